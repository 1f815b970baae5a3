"""VideoOverlay: validation, temporal and spatial alignment, real and synthetic video."""

from pathlib import Path

import numpy as np
import pytest

from neurospatial import Environment
from neurospatial.animation import (
    Affine2D,
    PositionOverlay,
    VideoCalibration,
    VideoOverlay,
    align_scene,
    animate,
    build_scene,
    calibrate_video,
    render_frame,
)
from neurospatial.animation.video_probe import probe_video
from neurospatial.animation.video_reader import VideoReader
from tests.animation.helpers import decode_frames, red_centroid, write_video

RECORDING = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "openfield_m3v1.mp4"
needs_recording = pytest.mark.skipif(
    not RECORDING.exists(),
    reason=f"real recording not found at {RECORDING} (../shared/data beside the checkout)",
)


def _env_for(width_cm, height_cm, seed=0):
    rng = np.random.default_rng(seed)
    pos = np.column_stack([rng.uniform(1, width_cm - 1, 4000), rng.uniform(1, height_cm - 1, 4000)])
    return Environment.from_samples(pos, bin_size=2.0)


def _dot_file_scene(tmp_path, n=6, **video):
    """An n-frame scene over a dot video file (no field data), one video frame each."""
    frames, _ = _dot_frames(n)
    path = write_video(tmp_path / "dots.mp4", frames)
    env = _env_for(80, 60)
    times = np.arange(n) / 30.0
    return build_scene(
        env,
        np.full((n, env.n_bins), np.nan),
        overlays=[VideoOverlay(path, times=times, **video)],
        frame_times=times,
    )


def _dot_frames(n=6, h=120, w=160, seed=0):
    """Black frames with a white dot of radius 5 px at known, moving pixel centres."""
    rows, cols = np.mgrid[0:h, 0:w]
    centres = [(30 + 18 * k, 40 + 9 * k) for k in range(n)]  # (col, row)
    frames = np.zeros((n, h, w, 3), dtype=np.uint8)
    for k, (c, r) in enumerate(centres):
        frames[k][(cols - c) ** 2 + (rows - r) ** 2 <= 25] = 255
    return frames, np.array(centres, dtype=float)


# ------------------------------------------------------------------ validation
def test_array_source_validation(tmp_path):
    frames, _ = _dot_frames()
    with pytest.raises(TypeError, match="uint8"):
        VideoOverlay(frames.astype(float))
    with pytest.raises(ValueError, match="expected \\(n_frames, height, width, 3\\)"):
        VideoOverlay(frames[..., :2])
    with pytest.raises(ValueError, match=r"alpha=1.5 is outside \[0, 1\]"):
        VideoOverlay(frames, alpha=1.5)
    with pytest.raises(ValueError, match="z_order='top'"):
        VideoOverlay(frames, z_order="top")
    with pytest.raises(ValueError, match="not a rectangle inside the 160x120 frame"):
        VideoOverlay(frames, crop=(100, 10, 100, 50))
    with pytest.raises(ValueError, match="downsample=0 is not a positive integer"):
        VideoOverlay(frames, downsample=0)
    with pytest.raises(ValueError, match=r"downsample=1\.5"):
        VideoOverlay(frames, downsample=1.5)


def test_file_source_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="Video file not found"):
        VideoOverlay(tmp_path / "missing.mp4")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    with pytest.raises(ValueError, match=r"corrupt\.mp4"):
        VideoOverlay(corrupt)


def test_calibration_must_match_frame_size():
    frames, _ = _dot_frames()
    calibration = VideoCalibration(Affine2D.scale(0.5), (320, 240))
    with pytest.raises(
        ValueError, match="calibration is for 320x240 frames but the video is 160x120"
    ):
        VideoOverlay(frames, calibration=calibration)


def test_timestamp_count_mismatch_warns(tmp_path):
    frames, _ = _dot_frames(6)
    with pytest.warns(UserWarning, match="has 6 frames but 5 timestamps") as record:
        overlay = VideoOverlay(frames, times=np.arange(5) / 30)
    assert record[0].filename == __file__
    assert overlay.n_samples() == 5
    message = str(record[0].message)
    assert "\n\nWHY: " in message and "\n\nHOW:\n  1. " in message, message


@pytest.mark.parametrize("n_dims", [1, 3])
def test_video_requires_2d_environment(n_dims):
    rng = np.random.default_rng(0)
    env = Environment.from_samples(rng.uniform(0, 50, (500, n_dims)), bin_size=10.0)
    frames, _ = _dot_frames(3)
    with pytest.raises(ValueError, match="VideoOverlay requires 2D environment") as exc:
        build_scene(env, np.zeros((3, env.n_bins)), overlays=[VideoOverlay(frames)])
    assert f"env.n_dims = {n_dims}" in str(exc.value)


# --------------------------------------------------------- temporal alignment
def test_nearest_frame_within_one_period():
    frames, _ = _dot_frames(4)
    env = _env_for(80, 60)
    video = VideoOverlay(frames, times=[1.0, 1.1, 1.2, 1.3])
    frame_times = [0.85, 0.95, 1.04, 1.06, 1.26, 1.39, 1.41, 1.5]
    with pytest.warns(UserWarning, match="Limited temporal overlap"):
        scene = build_scene(
            env, np.zeros((8, env.n_bins)), overlays=[video], frame_times=frame_times
        )
    index = align_scene(scene)["overlays/video"]["frame_index"].values
    assert index.tolist() == [-1, -1, 0, 1, 3, 3, -1, -1]  # nothing before 1.0 s


# ---------------------------------------------------------- spatial alignment
def test_synthetic_dot_and_position_marker_coincide_in_mp4(tmp_path):
    frames, centres = _dot_frames()
    path = write_video(tmp_path / "dots.mp4", frames)
    env = _env_for(80, 60)
    calibration = calibrate_video(path, env, cm_per_px=0.5)
    times = np.arange(len(frames)) / 30.0
    world = calibration.transform_px_to_cm(centres)  # pixel centres
    overlays = [
        VideoOverlay(path, calibration=calibration, times=times, alpha=1.0),
        PositionOverlay(world, times=times, color="red", size=5.0),
    ]
    scene = build_scene(
        env,
        np.full((len(frames), env.n_bins), np.nan),
        overlays=overlays,
        frame_times=times,
        cmap="gray",
        vmin=0,
        vmax=1,
    )
    out = animate(scene, save_path=tmp_path / "dots_out.mp4", progress=False, crf=12)
    decoded = decode_frames(out)
    assert len(decoded) == len(frames)
    reference = render_frame(scene, 0)
    (c0, r1), (c1, r0) = reference.world_to_px([[1.0, 1.0], [79.0, 59.0]]).round().astype(int)
    for k, frame in enumerate(decoded):
        img = frame.astype(int)[r0:r1, c0:c1]  # inside the video, away from the white page
        rows, cols = np.nonzero(img.min(axis=2) > 170)
        dot = np.array([cols.mean() + c0, rows.mean() + r0])
        marker = red_centroid(frame)
        expected = reference.world_to_px([world[k]])[0]
        assert np.linalg.norm(dot - expected) < 2.0, (k, dot, expected)
        assert np.linalg.norm(marker - dot) < 2.0, (k, marker, dot)


@needs_recording
def test_real_recording_lands_where_calibration_says():
    info = probe_video(RECORDING)
    assert (info.width, info.height) == (640, 480)
    env = _env_for(64, 48)
    calibration = calibrate_video(RECORDING, env, cm_per_px=0.1)  # 64 x 48 cm: covers env
    with pytest.warns(UserWarning, match="Environment bounds extend beyond calibrated video"):
        calibrate_video(RECORDING, _env_for(90, 60), cm_per_px=0.1)
    k = 40
    original = VideoReader(RECORDING)[k].astype(float).mean(axis=2)
    rng = np.random.default_rng(1)
    us = rng.integers(20, 620, 600)
    vs = rng.integers(20, 460, 600)
    world = calibration.transform_px_to_cm(np.column_stack([us, vs]))

    def correlation(cal):
        video = VideoOverlay(RECORDING, calibration=cal, alpha=1.0)
        times = np.arange(info.n_frames) / info.fps
        scene = build_scene(
            env, np.full((1, env.n_bins), np.nan), overlays=[video], frame_times=[times[k]]
        )
        frame = render_frame(scene, 0)
        px = frame.world_to_px(world).round().astype(int)
        rendered = frame.image.astype(float).mean(axis=2)[px[:, 1], px[:, 0]]
        return np.corrcoef(original[vs, us], rendered)[0, 1]

    aligned = correlation(calibration)
    assert aligned > 0.9, aligned
    no_flip = VideoCalibration(Affine2D.scale(0.1), (640, 480))
    assert correlation(no_flip) < 0.9  # the same check fails without the y flip


@needs_recording
def test_reader_random_access_matches_sequential_decoding():
    sequential = VideoReader(RECORDING)
    frames = [sequential[i].copy() for i in range(190)]
    random_access = VideoReader(RECORDING, cache_size=2)
    # 182 is the recording's second keyframe: reads from 183 on start there. Its x264
    # (core 148) needs a decoder workaround FFmpeg only enables after reading frame 0;
    # without it these frames decode green.
    for i in (183, 49, 3, 181, 27, 0, 189, 48, 10, 182):
        np.testing.assert_array_equal(random_access[i], frames[i], err_msg=f"frame {i}")
    cropped = VideoReader(RECORDING, crop=(100, 50, 200, 160), downsample=2)
    assert cropped[5].shape == (80, 100, 3)


def test_array_crop_downsample_and_below(tmp_path):
    frames, _ = _dot_frames(3)
    env = _env_for(80, 60)
    video = VideoOverlay(frames, crop=(10, 20, 140, 90), downsample=2, alpha=1.0, z_order="below")
    fields = np.zeros((3, env.n_bins))
    fields[:, ::2] = np.nan  # half the bins have no data: the video shows there
    scene = build_scene(env, fields, overlays=[video], cmap="gray", vmin=0, vmax=1)
    frame = render_frame(scene, 0)
    assert frame.image.shape == (600, 800, 3)
    # A field of zeros is black; the video's black background too: only the dot is white,
    # and only where the field has no data.
    assert (frame.image.min(axis=2) > 200).sum() > 0


# ------------------------------------------------------------- review fixes
def test_full_range_video_keeps_its_levels(tmp_path):
    import imageio_ffmpeg

    levels = np.arange(0, 240, 20, dtype=np.uint8)  # 12 grey stripes, 16 px wide
    frame = np.repeat(np.repeat(levels[None, :, None], 16, axis=1), 48, axis=0)
    frame = np.repeat(frame, 3, axis=2)
    path = tmp_path / "webcam.avi"
    writer = imageio_ffmpeg.write_frames(
        str(path), (192, 48), codec="mjpeg", quality=10, pix_fmt_out="yuvj420p", macro_block_size=1
    )
    writer.send(None)
    for _ in range(3):
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    decoded = VideoReader(path)[1].astype(float)
    stripes = decoded[24, 8::16, 0]
    np.testing.assert_allclose(stripes, levels, atol=6)


def test_an_aligned_scene_is_not_aligned_again_to_other_times():
    frames, _ = _dot_frames(6)
    env = _env_for(80, 60)
    video = VideoOverlay(frames, times=np.arange(6) * 0.1)
    scene = build_scene(
        env, np.zeros((3, env.n_bins)), overlays=[video], frame_times=[0.0, 0.2, 0.4]
    )
    once = align_scene(scene)
    assert align_scene(once) is once
    assert align_scene(once, frame_times=[0.0, 0.2, 0.4]) is once  # the same times: exact
    with pytest.raises(ValueError, match="already aligned") as exc:
        align_scene(once, frame_times=[0.1, 0.3, 0.5])
    assert "interpolate interpolated data" in str(exc.value)
    direct = align_scene(scene, frame_times=[0.1, 0.3, 0.5])
    assert direct["overlays/video"]["frame_index"].values.tolist() == [1, 3, 5]
    part = align_scene(once, frames=[2, 0])  # selecting frames of an aligned scene is exact
    assert part["overlays/video"]["frame_index"].values.tolist() == [4, 0]


def test_no_video_before_its_first_frame():
    frames, _ = _dot_frames(4)
    env = _env_for(80, 60)
    video = VideoOverlay(frames, times=[1.0, 1.1, 1.2, 1.3])
    scene = build_scene(
        env, np.zeros((4, env.n_bins)), overlays=[video], frame_times=[0.95, 0.99, 1.0, 1.35]
    )
    index = align_scene(scene)["overlays/video"]["frame_index"].values
    assert index.tolist() == [-1, -1, 0, 3]


def test_parallel_segments_carry_only_the_video_frames_they_show():
    from neurospatial.animation.backends.video import segment_window

    frames, _ = _dot_frames(6)
    env = _env_for(80, 60)
    scene = build_scene(env, np.zeros((6, env.n_bins)), overlays=[VideoOverlay(frames)])
    window, lo = segment_window(scene, 4, 6)
    video = window["overlays/video"]
    assert lo == 4 and video.sizes["video_frame"] == 2
    assert video["video_frame"].values.tolist() == [4, 5]
    shown = video["frame"].sel(video_frame=video["frame_index"].values[1]).values
    np.testing.assert_array_equal(shown, frames[5])
    np.testing.assert_array_equal(render_frame(window, 1).image, render_frame(scene, 5).image)


def _decoding_threads():
    import threading

    return [t for t in threading.enumerate() if t.name == "neurospatial-video"]


def test_decoding_ahead_and_out_of_order_requests_give_the_same_frames(tmp_path):
    from neurospatial.animation.render.raster import Compositor

    n = 40  # more frames than the decode-ahead queue holds: its thread is still running
    scene = _dot_file_scene(tmp_path, n=n, alpha=1.0)
    with Compositor(scene) as direct:  # render_frame's way: no frames announced
        assert not _decoding_threads()
        expected = [direct.frame(i).image for i in range(n)]
    with Compositor(scene, frames=range(n)) as sequential:  # an export's way
        assert len(_decoding_threads()) == 1  # decoding before frame 0
        for i in range(n):
            np.testing.assert_array_equal(sequential.frame(i).image, expected[i])
    assert not _decoding_threads()
    with Compositor(scene, frames=range(n)) as jumping:
        for i in (4, 1, 5, 0):  # out of order: falls back to direct reads
            np.testing.assert_array_equal(jumping.frame(i).image, expected[i])


def test_video_pixels_are_bilinear_samples_at_the_calibrated_position():
    """Sub-pixel check of the whole pixel -> world -> video chain: a noise video (a
    half-pixel shift changes most values) shown opaque; each plot pixel must equal the
    bilinear sample of the frame at its calibrated video position."""
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 256, (2, 60, 80, 3), dtype=np.uint8)
    env = _env_for(80, 60)
    px = np.array([[0, 60], [80, 60], [80, 0], [10, 10]], dtype=float)
    sheared = np.array([[1.3, 0.15, -8], [0.15, -1.3, 68]])  # rotation, shear, y flip
    calibration = calibrate_video(
        frames, env, landmarks_px=px, landmarks_env=px @ sheared[:, :2].T + sheared[:, 2]
    )
    video = VideoOverlay(frames, calibration=calibration, alpha=1.0)
    scene = build_scene(env, np.full((2, env.n_bins), np.nan), overlays=[video])
    frame = render_frame(scene, 1)
    world = rng.uniform([15, 15], [65, 45], (300, 2))
    cols, rows = frame.world_to_px(world).round().T.astype(int)
    centres = np.linalg.solve(frame.transform, np.stack([cols, rows, np.ones_like(cols)]))
    x, y = calibration.transform_cm_to_px(centres[:2].T).T  # array coordinates
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    f = frames[1].astype(float)
    expected = (
        f[y0, x0] * (1 - fx) * (1 - fy)
        + f[y0, x0 + 1] * fx * (1 - fy)
        + f[y0 + 1, x0] * (1 - fx) * fy
        + f[y0 + 1, x0 + 1] * fx * fy
    )
    error = np.abs(frame.image[rows, cols].astype(float) - expected)
    assert error.max() <= 3, error.max()  # OpenCV's 1/32-px fixed-point positions


def test_a_failing_compositor_stops_its_decoding_thread(tmp_path, monkeypatch):
    from neurospatial.animation.render import raster, video_layer

    scene = _dot_file_scene(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(video_layer.VideoBlender, "place", broken)
    with pytest.raises(RuntimeError, match="layout failed"):
        raster.Compositor(scene, frames=range(6))  # decoding starts before the layout
    assert not _decoding_threads()


def test_uncalibrated_video_spans_the_environment_whatever_the_downsampling():
    """Downsampled frames cover whole blocks of pixels (81 // 4 * 4 = 80 of 81 columns):
    stretched over the environment, they span it like the full-resolution ones."""
    env = Environment.from_samples(
        np.array([[0.0, 0.0], [80.0, 60.0]]), bin_size=4.0, infer_active_bins=False
    )
    frames = np.zeros((2, 60, 81, 3), dtype=np.uint8)
    frames[..., 0] = frames[..., 2] = 255  # magenta: neither the page nor the no-data grey

    def span(downsample):
        video = VideoOverlay(frames, alpha=1.0, downsample=downsample)
        scene = build_scene(env, np.full((2, env.n_bins), np.nan), overlays=[video])
        frame = render_frame(scene, 0)
        (x0, x1), (y0, y1) = env.dimension_ranges
        ends = frame.world_to_px([[x0, (y0 + y1) / 2], [x1, (y0 + y1) / 2]]).round()
        (left, mid), (right, _) = ends.astype(int)
        row = frame.image[mid].astype(int)
        covered = np.flatnonzero((row[:, 0] > 200) & (row[:, 2] > 200) & (row[:, 1] < 60))
        return covered.min(), covered.max(), left, right

    first, last, left, right = span(1)
    assert abs(first - left) <= 1 and abs(last - right) <= 1
    for downsample in (3, 4):
        assert span(downsample)[:2] == (first, last), downsample
