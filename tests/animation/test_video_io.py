"""VideoReader: planned (selected) decoding hands over exactly the frames asked for."""

import numpy as np
import pytest

from neurospatial.animation import video_io
from neurospatial.animation.video_io import VideoReader, _select_expression, decode_threads


@pytest.fixture(scope="module")
def noisy_video(tmp_path_factory):
    """320 frames of 64x48 noise (every frame distinct), H.264 with B-frames."""
    import imageio_ffmpeg

    path = tmp_path_factory.mktemp("video") / "noise.mp4"
    rng = np.random.default_rng(0)
    writer = imageio_ffmpeg.write_frames(str(path), (64, 48), fps=30, macro_block_size=1)
    writer.send(None)
    for _ in range(320):
        writer.send(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
    writer.close()
    return path


@pytest.fixture(scope="module")
def sequential(noisy_video):
    reader = VideoReader(noisy_video)
    frames = np.stack([reader[i] for i in range(len(reader))])
    reader.close()
    return frames


def test_planned_irregular_frames_match_sequential_decoding(noisy_video, sequential):
    # Animation frames 2.37 video frames apart: steps of 2 and 3, no constant stride.
    # 135 planned frames: more than ffmpeg parses in one chained expression.
    plan = np.round(np.arange(0, 319, 2.37)).astype(np.int64)
    assert set(np.diff(plan)) == {2, 3} and len(plan) > 100
    reader = VideoReader(noisy_video, cache_size=1)
    reader.plan(plan)
    for k in plan:
        np.testing.assert_array_equal(reader[k], sequential[k], err_msg=f"frame {k}")
    reader.close()


def test_planned_windows_restart_exactly(noisy_video, sequential, monkeypatch):
    monkeypatch.setattr(video_io, "_WINDOW", 7)  # a new decoder (with a seek) every 7 frames
    plan = np.round(np.arange(3, 320, 4.6)).astype(np.int64)
    reader = VideoReader(noisy_video, cache_size=1)
    reader.plan(plan)
    for k in plan:
        np.testing.assert_array_equal(reader[k], sequential[k], err_msg=f"frame {k}")
    # Off the plan (a jump back, an unplanned frame) still reads the right frame.
    for k in (5, 200, 201):
        np.testing.assert_array_equal(reader[k], sequential[k], err_msg=f"frame {k}")
    reader.close()


def test_rgbx_frames_are_the_rgb_frames_plus_opaque_alpha(noisy_video, sequential):
    reader = VideoReader(noisy_video, rgbx=True)
    frame = reader[10]
    assert frame.shape == (48, 64, 4) and reader.shape == (320, 48, 64, 4)
    np.testing.assert_array_equal(frame[..., :3], sequential[10])
    assert (frame[..., 3] == 255).all()
    reader.close()


def test_select_expression_groups_terms():
    expression = _select_expression(np.arange(0, 300, 2))
    assert expression.count("eq(n\\,") == 150
    assert expression.count("(") - expression.count("eq(") == 3  # 150 terms in groups of 64


def test_decode_threads_follow_the_core_count():
    assert decode_threads(1) == "1"
    assert decode_threads(2) == "1"
    assert decode_threads(8) == "0"  # ffmpeg's own choice
