import threading

import dask.array as da
import numpy as np
import pytest

from neurospatial.animation import PositionOverlay, animate, build_scene, render_frame
from neurospatial.animation.backends import ffmpeg as ffmpeg_module
from neurospatial.animation.render import raster
from tests.animation.helpers import decode_frames, probe, red_centroid, square_env


def _moving_marker_scene(n_frames=12):
    env = square_env()
    t = np.linspace(0, 1, n_frames)
    points = np.column_stack([10 + 80 * t, 20 + 60 * t**2])
    overlay = PositionOverlay(points, color="red", size=14.0)
    fields = np.zeros((n_frames, env.n_bins))
    scene = build_scene(env, fields, overlays=[overlay], cmap="gray", vmin=0, vmax=1, fps=10)
    return scene, points


@pytest.mark.parametrize("n_workers", [1, 2])
def test_marker_position_survives_encoding(tmp_path, n_workers):
    n_frames = 12
    scene, points = _moving_marker_scene(n_frames)
    out = animate(scene, save_path=tmp_path / "m.mp4", n_workers=n_workers, progress=False)
    frames = decode_frames(out)
    assert len(frames) == n_frames
    transform = render_frame(scene, 0)
    # All frames, including 5 and 6 on both sides of the 2-worker boundary.
    for i, frame in enumerate(frames):
        expected = transform.world_to_px([points[i]])[0]
        np.testing.assert_allclose(red_centroid(frame), expected, atol=2.0)


def test_parallel_segments_match_single_process(tmp_path):
    scene, _ = _moving_marker_scene(10)
    one = decode_frames(animate(scene, save_path=tmp_path / "a.mp4", progress=False))
    two = decode_frames(animate(scene, save_path=tmp_path / "b.mp4", n_workers=2, progress=False))
    assert len(one) == len(two) == 10
    for a, b in zip(one, two, strict=True):
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 1.0


def test_parallel_processes_render_lazy_scenes(tmp_path):
    """Lazy scenes (opened from a store, or dask-backed) are sent to the processes as
    their aligned windows, loaded."""
    from neurospatial.animation import open_scene
    from neurospatial.animation.scene import restyle_scene

    scene, points = _moving_marker_scene(10)
    scene.to_zarr(tmp_path / "s.zarr", consolidated=False)
    stored = restyle_scene(open_scene(tmp_path / "s.zarr"), vmax=2.0)  # attrs travel
    one = decode_frames(animate(stored, save_path=tmp_path / "a.mp4", progress=False))
    two = decode_frames(animate(stored, save_path=tmp_path / "b.mp4", n_workers=2, progress=False))
    env = square_env()
    lazy = build_scene(
        env,
        da.zeros((10, env.n_bins), chunks=(3, -1)),
        overlays=[PositionOverlay(points, color="red", size=14.0)],
        cmap="gray",
        vmin=0,
        vmax=2.0,
        fps=10,
    )
    three = decode_frames(animate(lazy, save_path=tmp_path / "c.mp4", n_workers=2, progress=False))
    assert len(one) == len(two) == len(three) == 10
    for a, b, c in zip(one, two, three, strict=True):
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 1.0
        assert np.abs(a.astype(int) - c.astype(int)).mean() < 1.0


def test_fields_only_video_shows_a_moving_bump(tmp_path):
    env = square_env()
    n_frames = 8
    centres = np.column_stack([np.linspace(15, 85, n_frames), np.full(n_frames, 50.0)])
    d2 = ((env.bin_centers[None] - centres[:, None]) ** 2).sum(axis=-1)
    fields = np.exp(-d2 / (2 * 8.0**2))
    out = env.animate_fields(
        fields, save_path=tmp_path / "bump.mp4", fps=8, cmap="gray", progress=False
    )
    frames = decode_frames(out)
    assert len(frames) == n_frames
    transform = render_frame(build_scene(env, fields), 0)
    for frame, centre in zip(frames, centres, strict=True):
        gray = frame.astype(float).mean(axis=2)
        region = transform.world_to_px([[0.0, 0.0], [100.0, 100.0]]).round().astype(int)
        (c0, r1), (c1, r0) = region
        sub = gray[r0:r1, c0:c1]
        rows, cols = np.nonzero(sub >= sub.min() + 0.9 * (sub.max() - sub.min()))
        found = np.array([cols.mean() + c0, rows.mean() + r0])  # centre of the brightest bins
        expected = transform.world_to_px([centre])[0]
        assert np.linalg.norm(found - expected) < 12  # about half a bin (5 cm = 21 px)
        assert sub.max() > 200 and np.percentile(sub, 10) < 40  # not blank


def test_codec_size_and_frame_count(tmp_path):
    scene, _ = _moving_marker_scene(15)
    out = animate(scene, save_path=tmp_path / "v.mp4", progress=False, dpi=50)
    info = probe(out)
    assert info == {
        "codec": "h264",
        "pix_fmt": "yuv420p",
        "width": 400,
        "height": 300,
        "frames": 15,
    }
    # +faststart: the moov atom comes before the media data.
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (
        head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat")
    )


def test_render_frame_matches_encoded_pixels(tmp_path):
    scene, _ = _moving_marker_scene(6)
    frames = decode_frames(animate(scene, save_path=tmp_path / "x.mp4", progress=False, crf=10))
    for i in (0, 5):
        expected = render_frame(scene, i).image.astype(int)
        assert np.abs(frames[i].astype(int) - expected).mean() < 2.0


@pytest.mark.parametrize("suffix", [".mov", ".webm"])
def test_other_containers(tmp_path, suffix):
    scene, _ = _moving_marker_scene(4)
    out = animate(scene, save_path=tmp_path / f"v{suffix}", progress=False, dpi=40)
    assert len(decode_frames(out)) == 4


def _no_partial_files(folder):
    return [p.name for p in folder.iterdir() if "partial" in p.name or p.name.startswith(".")]


def test_interrupted_export_leaves_no_file_and_keeps_existing(tmp_path, monkeypatch):
    scene, _ = _moving_marker_scene(20)
    target = tmp_path / "keep.mp4"
    target.write_bytes(b"precious")
    original = raster.Compositor.render

    def interrupt(self, index, out=None):
        if index == 7:
            raise KeyboardInterrupt
        return original(self, index, out)

    monkeypatch.setattr(raster.Compositor, "render", interrupt)
    with pytest.raises(KeyboardInterrupt):
        animate(scene, save_path=target, progress=False)
    assert target.read_bytes() == b"precious"
    assert _no_partial_files(tmp_path) == []
    fresh = tmp_path / "fresh.mp4"
    with pytest.raises(KeyboardInterrupt):
        animate(scene, save_path=fresh, progress=False)
    assert not fresh.exists() and _no_partial_files(tmp_path) == []


def test_killed_encoder_raises_and_leaves_nothing(tmp_path, monkeypatch):
    scene, _ = _moving_marker_scene(30)
    original = ffmpeg_module.Encoder.write

    def kill_then_write(self, frame):
        if self.n_written == 3:
            self._proc.kill()
            self._proc.wait()
        return original(self, frame)

    monkeypatch.setattr(ffmpeg_module.Encoder, "write", kill_then_write)
    with pytest.raises(RuntimeError, match="Video encoding failed after 3 frames"):
        animate(scene, save_path=tmp_path / "k.mp4", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_backend_selection_errors(tmp_path):
    scene, _ = _moving_marker_scene(2)
    with pytest.raises(ValueError, match=r"(?s)Unknown backend 'gif'.*'auto', 'video', 'html'"):
        animate(scene, backend="gif", save_path=tmp_path / "a.gif")
    with pytest.raises(ValueError, match="cannot choose a backend"):
        animate(scene, save_path=tmp_path / "a.xyz")
    with pytest.raises(ValueError, match="save_path is None"):
        animate(scene, backend="video")
    with pytest.raises(TypeError, match="Unknown option"):
        animate(scene, save_path=tmp_path / "a.mp4", bitrate=5000)
    with pytest.raises(ValueError, match="crf must be an integer"):
        animate(scene, save_path=tmp_path / "a.mp4", crf=99)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        animate(scene, save_path=tmp_path / "missing" / "a.mp4")


class _Locked:
    """An array-like holding a lock: cannot be pickled."""

    def __init__(self, values):
        self.values = values
        self.lock = threading.Lock()
        self.shape, self.dtype, self.ndim = values.shape, values.dtype, values.ndim

    def __getitem__(self, key):
        with self.lock:
            return self.values[key]


def test_unpicklable_inputs_with_workers_raise_helpful_error(tmp_path):
    env = square_env()
    values = np.random.default_rng(0).random((6, env.n_bins))
    # Lazy fields over an object that cannot be pickled: loaded here, window by window,
    # so the processes get plain arrays.
    fields = da.from_array(_Locked(values), chunks=(3, -1), asarray=False)
    out = env.animate_fields(fields, save_path=tmp_path / "p.mp4", n_workers=2, progress=False)
    assert len(decode_frames(out)) == 6
    out.unlink()
    scene = build_scene(env, values)
    scene["fields"].attrs["note"] = threading.Lock()  # what no process can receive
    with pytest.raises(ValueError, match="not pickle-able") as exc:
        animate(scene, save_path=tmp_path / "p.mp4", n_workers=2, progress=False)
    message = str(exc.value)
    assert "env.clear_cache()" in message and "n_workers=1" in message
    assert "WHY:" in message and "HOW:" in message
    assert list(tmp_path.iterdir()) == []
    out = animate(scene, save_path=tmp_path / "p.mp4", n_workers=1, progress=False)
    assert len(decode_frames(out)) == 6


def test_progress_bar_can_be_shown_or_silenced(tmp_path, capsys):
    scene, _ = _moving_marker_scene(3)
    animate(scene, save_path=tmp_path / "a.mp4", progress=True)
    assert "Rendering" in capsys.readouterr().err
    animate(scene, save_path=tmp_path / "b.mp4", progress=False)
    assert capsys.readouterr().err == ""


def test_paths_with_quotes_and_bad_fps(tmp_path):
    scene, _ = _moving_marker_scene(6)
    folder = tmp_path / "Bob's data"
    folder.mkdir()
    out = animate(scene, save_path=folder / "q.mp4", n_workers=2, progress=False)
    assert len(decode_frames(out)) == 6
    for fps in (0, -5, float("nan")):
        with pytest.raises(ValueError, match="fps must be a positive number"):
            animate(scene, save_path=tmp_path / "f.mp4", fps=fps)
