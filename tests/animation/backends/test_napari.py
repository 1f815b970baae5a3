"""The napari backend's layers, on ``napari.components.ViewerModel`` (no display).

The field and video span the time axis; overlay layers hold the current frame's
points and follow the time slider.

What is drawn on a real canvas (under Xvfb) is checked in test_napari_canvas.py.
napari is an optional extra: without it these tests skip, except under CI=true.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    VideoOverlay,
    build_scene,
    open_scene,
)
from tests.animation.helpers import square_env
from tests.animation.test_windows import CountingStore

if os.environ.get("CI") != "true":
    pytest.importorskip("napari", reason='napari is an optional extra: pip install ".[napari]"')

from napari.components import ViewerModel

from neurospatial.animation.backends.napari_ import add_scene

N = 20
FPS = 10.0


def _scene():
    env = square_env()
    env.regions.add("goal", point=(80.0, 20.0))
    env.regions.add("box", polygon=[(10, 10), (30, 10), (30, 30), (10, 30)])
    s = np.linspace(0, 1, N)
    nose = np.column_stack([20 + 60 * s, 30 + 40 * s])
    tail = nose - [8.0, 0.0]
    t = np.arange(N) / FPS
    frames = np.zeros((4, 30, 40, 3), dtype=np.uint8)
    frames[:, :3] = 255  # the video's top rows
    return build_scene(
        env,
        np.random.default_rng(0).random((N, env.n_bins)),
        overlays=[
            PositionOverlay(nose, color="red", trail_length=5),
            PositionOverlay(tail, color="blue"),
            BodypartOverlay(  # the tail is tracked from frame 3 on: no point, no edge before
                {"nose": nose, "tail": tail[3:]},
                times={"nose": t, "tail": t[3:]},
                skeleton=[("nose", "tail")],
            ),
            HeadDirectionOverlay(np.zeros(N), length=10.0),
            VideoOverlay(frames, times=np.linspace(0, (N - 1) / FPS, 4), z_order="below"),
        ],
        fps=FPS,
        show_regions=True,
        region_alpha=0.4,
        title="napari <scene>",
    )


@pytest.fixture(scope="module")
def shown():
    viewer = ViewerModel()
    return viewer, add_scene(viewer, _scene())


def test_every_overlay_has_readable_layers_of_the_right_kind(shown):
    viewer, layers = shown
    kinds = {name: type(layer).__name__ for name, layer in layers.items()}
    assert kinds == {
        "Field": "Image",
        "Position": "Points",
        "Position trail": "Vectors",
        "Position 2": "Points",
        "Pose": "Points",
        "Pose skeleton": "Vectors",
        "Heading": "Vectors",
        "Video": "Image",
        "Regions": "Shapes",
    }
    assert viewer.layers[0].name == "Video"  # under the field
    assert viewer.dims.axis_labels == ("time (s)", "y (cm)", "x (cm)")
    assert layers["Position trail"].metadata["tail_length"] == 5


def test_coordinates_are_seconds_and_world_units(shown):
    viewer, layers = shown
    field = layers["Field"]
    np.testing.assert_allclose(field.scale[0], 1 / FPS)
    # A world point maps to the field pixel holding it: row 0 is the lowest y.
    y, x = 37.0, 62.0
    row, col = field.world_to_data((0.0, y, x))[1:]
    env = square_env()
    ys = (env.grid_edges[1][:-1] + env.grid_edges[1][1:]) / 2
    xs = (env.grid_edges[0][:-1] + env.grid_edges[0][1:]) / 2
    assert abs(ys[round(row)] - y) <= 2.5 and abs(xs[round(col)] - x) <= 2.5
    step = np.array([40.0, 60.0]) / (N - 1)  # (y, x) per frame
    viewer.dims.set_current_step(0, 0)
    np.testing.assert_allclose(layers["Position"].data, [[30.0, 20.0]])  # (y, x)
    np.testing.assert_allclose(layers["Heading"].data, [[[30.0, 20.0], [0.0, 10.0]]])  # east
    assert layers["Pose"].shown.tolist() == [True, False]  # no tail tracked yet: no point...
    np.testing.assert_allclose(layers["Pose skeleton"].data[:, 1], 0.0)  # ...and no edge
    np.testing.assert_allclose(layers["Position trail"].data[:, 1], 0.0)  # no moves yet
    viewer.dims.set_current_step(0, 7)
    np.testing.assert_allclose(layers["Position"].data, [[30.0, 20.0] + 7 * step])
    assert layers["Pose"].shown.all()
    np.testing.assert_allclose(layers["Pose skeleton"].data[0, 1], [0.0, -8.0])  # tail - nose
    trail = layers["Position trail"].data  # the last 5 moves, ending at the marker
    assert trail.shape == (5, 2, 2)
    np.testing.assert_allclose(trail[-1, 0] + trail[-1, 1], [30.0, 20.0] + 7 * step)
    viewer.dims.set_current_step(0, 0)


def test_the_field_layer_gives_field_image_pixels_however_it_is_indexed(shown):
    from neurospatial.animation import field_image

    _, layers = shown
    data = layers["Field"].data
    expected = field_image(_scene()).values
    assert data.shape == expected.shape and np.asarray(data).shape == expected.shape
    np.testing.assert_array_equal(np.asarray(data), expected)  # NaN where no bin
    for key in (7, np.int64(-1), slice(3, 4), slice(2, 9), slice(15, 3, -4), [5, 1, 5]):
        np.testing.assert_array_equal(data[key], expected[key], err_msg=str(key))
    np.testing.assert_array_equal(data[4, 2:5, ::2], expected[4, 2:5, ::2])
    np.testing.assert_array_equal(data[:0], expected[:0])
    for outside in (len(expected), -len(expected) - 1):
        with pytest.raises(IndexError):
            data[outside]


def test_the_video_is_placed_by_its_calibration_with_y_flipped(shown):
    _, layers = shown
    video = layers["Video"]
    assert video.rgb
    env = square_env()
    (_x0, _x1), (y0, y1) = env.dimension_ranges
    # The first row of the frame (the top of the video) lands at the top (highest y).
    top_left = video.data_to_world((0.0, 0.0, 0.0))
    bottom_right = video.data_to_world((0.0, 29.0, 39.0))
    assert top_left[1] > bottom_right[1] and top_left[2] < bottom_right[2]
    assert abs(top_left[1] - y1) < 0.1 * (y1 - y0) and abs(bottom_right[1] - y0) < 0.1 * (y1 - y0)
    frame = np.asarray(video.data[0])
    assert frame.shape == (30, 40, 3) and frame[0].min() == 255 and frame[-1].max() == 0


@pytest.mark.parametrize("layer", ["Field", "Video"])
def test_the_lazy_image_data_index_like_arrays(shown, layer):
    """napari (and users) index the field and video data as arrays: ints, slices,
    empty slices, lists, negative frames; each answer matches the whole array's."""
    _, layers = shown
    data = layers[layer].data
    whole = np.asarray(data)
    assert whole.shape == data.shape
    keys = [0, -1, slice(2, 5), slice(0, 0), slice(None, None, 3), [3, 0], (1, slice(0, 4))]
    keys += [(slice(2, 5), 0), ([3, 0], slice(0, 2)), (slice(0, 0), 0), (-1, 2, 3)]
    for key in keys:
        got = np.asarray(data[key])
        np.testing.assert_array_equal(got, whole[key], err_msg=f"{layer}[{key!r}]")
    with pytest.raises(IndexError):
        data[len(whole)]


def test_regions_are_named_shapes(shown):
    _, layers = shown
    regions = layers["Regions"]
    assert list(regions.features["name"]) == ["goal", "box"]
    assert regions.shape_type == ["ellipse", "polygon"]
    np.testing.assert_allclose(regions.data[1][0], [10.0, 10.0])  # (y, x)
    # The point is a small circle around (80, 20): one bin size across each way.
    corners = np.asarray(regions.data[0])
    np.testing.assert_allclose(corners.min(axis=0), [20.0 - 5.0, 80.0 - 5.0])
    np.testing.assert_allclose(corners.max(axis=0), [20.0 + 5.0, 80.0 + 5.0])


def test_a_100k_frame_store_opens_reading_only_the_chunks_shown(tmp_path):
    import time

    n = 100_000
    env = square_env(bin_size=25.0)
    angle = np.arange(n) / 50
    scene = build_scene(
        env,
        np.random.default_rng(1).random((n, env.n_bins)).astype(np.float32),
        overlays=[PositionOverlay(50 + 40 * np.c_[np.cos(angle), np.sin(angle)])],
        fps=30.0,
    )
    path = tmp_path / "long.zarr"
    scene.to_zarr(path, consolidated=False)
    store = CountingStore(path, read_only=True)
    started = time.perf_counter()
    viewer = ViewerModel()
    layers = add_scene(viewer, open_scene(store))
    print(f"\n100,000 frames: layers in {time.perf_counter() - started:.2f} s")
    field_chunks = store.chunks("fields/field")
    assert len(field_chunks) <= 2, field_chunks  # what the viewer shows: frame 0
    viewer.dims.set_current_step(0, 70_000)
    frame = np.asarray(layers["Field"].data[70_000])  # what napari reads for that step
    assert frame.shape == (5, 5) and len(store.chunks("fields/field")) <= 4
    expected = 50 + 40 * np.array([np.sin(70_000 / 50), np.cos(70_000 / 50)])  # (y, x)
    np.testing.assert_allclose(layers["Position"].data, [expected], atol=1e-6)

    # Stepping frame after frame, as napari 0.9 asks (frame k as the slice k:k+1),
    # reads each stored chunk once, not once a frame.
    field = layers["Field"].data
    store.keys.clear()
    for k in range(70_000, 70_200):
        step = field[k : k + 1, :, :]
        np.testing.assert_array_equal(step[0], field[k])
    reads = [key for key in store.keys if key.startswith("fields/field/c/")]
    assert 1 <= len(reads) <= 8, reads  # a read per 64-frame block, not 200
    # So does playback that drops frames (every 3rd frame here).
    store.keys.clear()
    for k in range(80_000, 80_600, 3):
        field[k : k + 1, :, :]
    reads = [key for key in store.keys if key.startswith("fields/field/c/")]
    assert 1 <= len(reads) <= 14, reads  # a read per block, not 200


def test_without_napari_the_error_says_how_to_install(monkeypatch):
    from neurospatial.animation import animate

    monkeypatch.setitem(sys.modules, "napari", None)  # import napari -> ImportError
    with pytest.raises(ImportError, match=r'pip install "neurospatial\[napari\]"'):
        animate(_scene(), backend="napari")
