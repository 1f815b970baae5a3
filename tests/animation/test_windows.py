"""Windowed alignment: `align_scene(scene, frames=...)` is the full alignment restricted
to the window, for every overlay kind, and reads only the chunks the window covers."""

from __future__ import annotations

import re

import numpy as np
import pytest
import xarray as xr
import zarr
from zarr.storage import LocalStore

from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    VideoOverlay,
    align_scene,
    build_scene,
    open_scene,
    render_frame,
)
from tests.animation.helpers import square_env

N_FRAMES = 120
FPS = 10.0


def _scene():
    """Every overlay kind, each on its own clock, some starting late or ending early."""
    rng = np.random.default_rng(11)
    env = square_env(bin_size=2.5)  # 1681 bins: 19 frames per stored field chunk
    t = np.arange(0.0, N_FRAMES / FPS, 1 / 1097.0)  # never on a frame time; 4 stored chunks
    walk = 50 + np.cumsum(rng.normal(0, 0.12, (len(t), 2)), axis=0)
    walk = np.clip(walk, 5, 95)
    nose_t = t[5:-30]  # the nose's own clock: starts late, ends early
    overlays = [
        PositionOverlay(walk, times=t, trail_length=6),
        PositionOverlay(walk[::37][:N_FRAMES] + 1.0, color="blue"),  # 1:1 with frames
        BodypartOverlay(
            {"nose": walk[5:-30] + 2.0, "tail": walk - 2.0},
            times={"nose": nose_t, "tail": t},
            skeleton=[("nose", "tail")],
        ),
        HeadDirectionOverlay(np.cumsum(rng.normal(0, 0.02, len(t))), times=t),
        VideoOverlay(
            rng.integers(0, 255, (40, 12, 16, 3), dtype=np.uint8),
            times=np.arange(40) * 0.25 + 0.3,  # 4 Hz video from 0.3 s
        ),
    ]
    fields = rng.random((N_FRAMES, env.n_bins))
    frame_times = np.arange(N_FRAMES) / FPS
    return build_scene(env, fields, overlays=overlays, frame_times=frame_times)


def _restricted(tree: xr.DataTree, frames) -> dict[str, xr.Dataset]:
    """Every node of an aligned scene with its time axis restricted to `frames`."""
    out = {}
    for node in tree.subtree:
        ds = node.to_dataset()
        out[node.path] = ds.isel(time=frames) if "time" in ds.dims else ds
    return out


def _assert_window_equals_restriction(scene, full, frames):
    window = align_scene(scene, frames=frames)
    expected = _restricted(full, frames)
    assert {n.path for n in window.subtree} == set(expected)
    for node in window.subtree:
        xr.testing.assert_identical(node.to_dataset(), expected[node.path])


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    scene = _scene()
    path = tmp_path_factory.mktemp("windows") / "scene.zarr"
    scene.to_zarr(path, consolidated=False)
    return path


@pytest.mark.parametrize("source", ["memory", "zarr"])
def test_windows_equal_the_full_alignment_restricted(source, stored):
    scene = _scene() if source == "memory" else open_scene(stored)
    full = align_scene(scene)
    rng = np.random.default_rng(3)
    windows = [
        slice(0, 1),  # the first frame
        slice(0, 9),  # the start, before the nose and the video begin
        slice(N_FRAMES - 4, N_FRAMES),  # the end, after the nose stopped
        slice(N_FRAMES - 1, None),
        slice(-10, None),
        slice(38, 47),  # across the fields' chunk boundary (see below)
        slice(10, 110, 7),  # strided
        np.array([77, 3, 3, 119]),  # any order, repeats
    ]
    for _ in range(6):
        start = int(rng.integers(0, N_FRAMES - 1))
        windows.append(slice(start, int(rng.integers(start + 1, N_FRAMES + 1))))
    for frames in windows:
        _assert_window_equals_restriction(scene, full, frames)


def test_window_numbers_frames_and_keeps_laziness(stored):
    scene = open_scene(stored)
    window = align_scene(scene, frames=slice(40, 45))
    assert window["fields"]["frame"].values.tolist() == [40, 41, 42, 43, 44]
    assert window.attrs["aligned"] == 1
    assert window["fields"]["field"].chunks is not None  # fields are still lazy
    # A window of a window is exact and keeps the original numbers.
    inner = align_scene(window, frames=[1, 3])
    assert inner["fields"]["frame"].values.tolist() == [41, 43]
    xr.testing.assert_identical(
        inner["overlays/position"].to_dataset(),
        align_scene(scene, frames=[41, 43])["overlays/position"].to_dataset(),
    )


def test_frames_argument_errors():
    scene = _scene()
    with pytest.raises(IndexError, match=r"outside the scene's 120 frames, e\.g\. \[120, 500\]"):
        align_scene(scene, frames=[5, 120, 500])
    with pytest.raises(TypeError, match="frames must be a slice or a 1D array of frame indices"):
        align_scene(scene, frames=np.array([[1, 2]]))
    with pytest.raises(TypeError, match="dtype float64"):
        align_scene(scene, frames=np.array([1.5]))


class CountingStore(LocalStore):
    """A local zarr store that records the keys it is asked for."""

    def __init__(self, root, **kwargs):
        super().__init__(root, **kwargs)
        self.keys: list[str] = []

    async def get(self, key, prototype=None, byte_range=None):
        self.keys.append(key)
        return await super().get(key, prototype, byte_range)

    def chunks(self, variable: str) -> set[int]:
        """Time-chunk indices of `variable` (a node path) read so far."""
        pattern = re.compile(rf"^{re.escape(variable)}/c/(\d+)(/|$)")
        return {int(m.group(1)) for k in self.keys if (m := pattern.match(k))}


def _time_chunk(path, variable):
    return zarr.open_array(str(path / variable), mode="r").chunks[0]


def test_a_window_reads_only_its_chunks(stored):
    field_chunk = _time_chunk(stored, "fields/field")  # frames per stored chunk
    position_chunk = _time_chunk(stored, "overlays/position/position")  # samples per chunk
    n_samples = zarr.open_array(str(stored / "overlays/position/position"), mode="r").shape[0]
    assert field_chunk < N_FRAMES / 3 and position_chunk < n_samples / 3
    store = CountingStore(stored, read_only=True)
    scene = open_scene(store)
    times = scene["overlays/position"]["time"].values
    store.keys.clear()
    start, stop = 38, 47
    window = align_scene(scene, frames=slice(start, stop))
    window["fields"]["field"].load()
    window["overlays/position"]["position"].load()
    assert store.chunks("fields/field") == set(
        range(start // field_chunk, (stop - 1) // field_chunk + 1)
    )
    # Interpolation reads the samples bracketing the window's times, one more each side.
    lo = np.searchsorted(times, start / FPS, side="right") - 2
    hi = np.searchsorted(times, (stop - 1) / FPS) + 2
    expected = set(range(lo // position_chunk, (hi - 1) // position_chunk + 1))
    assert store.chunks("overlays/position/position") == expected
    assert not store.chunks("overlays/video/frame")  # the in-memory video was not read
    n_chunks = -(-len(times) // position_chunk)
    assert len(expected) < n_chunks / 3


def test_render_frame_reads_only_the_frame_and_its_trail(stored):
    store = CountingStore(stored, read_only=True)
    scene = open_scene(store)
    render_frame(scene, 5)  # warm: builds the chrome, reads the environment
    field_chunk = _time_chunk(stored, "fields/field")
    store.keys.clear()
    frame = 77
    render_frame(scene, frame)
    assert store.chunks("fields/field") == {frame // field_chunk}
    position = store.chunks("overlays/position/position")
    times = scene["overlays/position"]["time"].values
    position_chunk = _time_chunk(stored, "overlays/position/position")
    first = (np.searchsorted(times, (frame - 6) / FPS) - 2) // position_chunk  # 6-frame trail
    last = (np.searchsorted(times, frame / FPS) + 1) // position_chunk
    assert position <= set(range(first, last + 1)) and position
    shown = int(round((frame / FPS - 0.3) / 0.25))  # the nearest video frame
    video_chunk = _time_chunk(stored, "overlays/video/frame")
    assert store.chunks("overlays/video/frame") == {shown // video_chunk}


def test_an_aligned_scene_refuses_other_frame_times():
    scene = _scene()
    aligned = align_scene(scene)
    assert align_scene(aligned) is aligned
    with pytest.raises(ValueError, match="already aligned") as exc:
        align_scene(aligned, frame_times=np.arange(N_FRAMES) / 20.0)
    message = str(exc.value)
    assert "WHY:" in message and "align_scene(scene, frame_times=new_times)" in message
    xr.testing.assert_identical(
        align_scene(aligned, frames=slice(3, 9))["overlays/bodypart"].to_dataset(),
        align_scene(scene, frames=slice(3, 9))["overlays/bodypart"].to_dataset(),
    )


def test_trails_join_only_consecutive_frames_of_any_window():
    scene = _scene()
    full = align_scene(scene)
    from neurospatial.animation import frame_layers
    from neurospatial.animation.render.layers import TrailLayer

    def trail(window, frame):
        return next(la for la in frame_layers(window, frame) if isinstance(la, TrailLayer))

    expected = trail(full, 50)
    sparse = align_scene(scene, frames=np.array([30, 50, 70]))  # no neighbours: no trail
    assert len(trail(sparse, 50).starts) == 0
    mixed = align_scene(scene, frames=np.array([50, 44, 45, 46, 47, 48, 49, 10]))
    got = trail(mixed, 50)  # segments 44 -> 45 .. 48 -> 49 (49 -> 50 is not consecutive here)
    np.testing.assert_array_equal(got.starts, expected.starts[:-1])
    np.testing.assert_array_equal(got.age, expected.age[:-1])
    np.testing.assert_array_equal(got.alpha, expected.alpha[:-1])


def test_a_stored_array_video_is_read_a_frame_at_a_time(tmp_path):
    rng = np.random.default_rng(2)
    env = square_env()
    frames = rng.integers(0, 255, (200, 48, 64, 3), dtype=np.uint8)
    scene = build_scene(
        env, np.zeros((200, env.n_bins)), overlays=[VideoOverlay(frames, alpha=1.0)]
    )
    scene.to_zarr(tmp_path / "v.zarr", consolidated=False)
    store = CountingStore(tmp_path / "v.zarr", read_only=True)
    opened = open_scene(store)
    render_frame(opened, 3)
    store.keys.clear()
    image = render_frame(opened, 150).image
    assert store.chunks("overlays/video/frame") == {
        150 // _time_chunk(tmp_path / "v.zarr", "overlays/video/frame")
    }
    np.testing.assert_array_equal(image, render_frame(scene, 150).image)


def test_edits_after_opening_are_drawn(stored):
    scene = open_scene(stored)
    before = render_frame(scene, 60).image
    scene["overlays/position"].attrs["color"] = "cyan"  # style edited after a render
    del scene["overlays/position"].attrs["trail_length"]
    node = scene["overlays/position"]
    node["position"] = node["position"].copy(data=node["position"].values + 5.0)  # data edited
    edited = render_frame(scene, 60).image
    fresh = open_scene(stored)
    fresh["overlays/position"].attrs["color"] = "cyan"
    del fresh["overlays/position"].attrs["trail_length"]
    node = fresh["overlays/position"]
    node["position"] = node["position"].copy(data=node["position"].values + 5.0)
    np.testing.assert_array_equal(edited, render_frame(fresh, 60).image)
    assert not np.array_equal(edited, before)


def test_empty_windows_align_but_do_not_export(tmp_path):
    scene = _scene()
    empty = align_scene(scene, frames=slice(10, 10))
    assert empty["fields"].sizes["time"] == 0
    with pytest.raises(ValueError, match="has no frames to export") as exc:
        from neurospatial.animation import animate

        animate(empty, save_path=tmp_path / "e.mp4", progress=False)
    assert "WHY:" in str(exc.value)
    assert list(tmp_path.iterdir()) == []
