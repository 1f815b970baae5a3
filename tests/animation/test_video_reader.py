"""VideoReader: exact frames in order, after seeks, with skipped frames, rotated."""

import subprocess

import numpy as np
import pytest

from neurospatial.animation import video_reader
from neurospatial.animation.backends.ffmpeg import ffmpeg_exe
from neurospatial.animation.video_reader import VideoReader, decode_thread_type

N_FRAMES = 320


def _ffmpeg(*args, input=None):
    """Run the ffmpeg we ship; its standard output."""
    command = [ffmpeg_exe(), "-v", "error", *args]
    return subprocess.run(command, input=input, capture_output=True, check=True).stdout


def _levels(k):
    """Frame k's two grey levels: k // 16 and k % 16, in steps of 10."""
    return 16 + 10 * (k // 16), 16 + 10 * (k % 16)


def _frame_number(frame):
    """The number shown in a frame's two top bands (rows 0-11 and 12-23)."""
    top, bottom = frame[2:10].mean(), frame[14:22].mean()
    return int(round((top - 16) / 10)) * 16 + int(round((bottom - 16) / 10))


@pytest.fixture(scope="module")
def numbered_video(tmp_path_factory):
    """320 frames of a moving texture, each showing its number in two grey bands on top;
    H.264 with a keyframe every 50 frames (seeks land between keyframes) and a fixed
    I/P b b b pattern of non-reference B-frames."""
    path = tmp_path_factory.mktemp("video") / "numbered.mp4"
    return _write_numbered(
        path, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "50",
        "-x264-params", "bframes=3:b-adapt=0:b-pyramid=none",
    )  # fmt: skip


def _write_numbered(path, *codec):
    """Encode N_FRAMES numbered frames (moving texture, number in two top bands)."""
    texture = np.random.default_rng(0).integers(0, 256, (48, 200, 3), dtype=np.uint8)
    frames = np.empty((N_FRAMES, 48, 64, 3), dtype=np.uint8)
    for k in range(N_FRAMES):
        frames[k] = texture[:, k % 136 : k % 136 + 64]
        frames[k, :12], frames[k, 12:24] = _levels(k)
    _ffmpeg(
        *("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "64x48", "-framerate", "30", "-i", "-"),
        *codec,
        str(path),
        input=frames.tobytes(),
    )
    return path


@pytest.fixture(scope="module")
def sequential(numbered_video):
    reader = VideoReader(numbered_video)
    frames = np.stack([reader[i] for i in range(len(reader))])
    reader.close()
    return frames


def test_sequential_frames_are_numbered_in_order(sequential):
    assert len(sequential) == N_FRAMES
    assert [_frame_number(f) for f in sequential] == list(range(N_FRAMES))


@pytest.mark.parametrize("thread_type", ["NONE", "AUTO"])
def test_planned_irregular_frames_match_sequential_decoding(
    numbered_video, sequential, thread_type
):
    # Animation frames 2.37 video frames apart: steps of 2 and 3. The unplanned
    # non-reference frames in between are not decoded at all.
    plan = np.round(np.arange(0, N_FRAMES - 1, 2.37)).astype(np.int64)
    assert set(np.diff(plan)) == {2, 3}
    reader = VideoReader(numbered_video, cache_size=1)
    reader.thread_type = thread_type
    reader.plan(plan)
    for k in plan:
        np.testing.assert_array_equal(reader[k], sequential[k], err_msg=f"frame {k}")
    # Off the plan (a jump back, an unplanned frame, the next one) reads the right frame.
    for k in (5, 200, 201, 0):
        np.testing.assert_array_equal(reader[k], sequential[k], err_msg=f"frame {k}")
    reader.close()


def test_seeks_are_frame_accurate(numbered_video, sequential, monkeypatch):
    monkeypatch.setattr(video_reader, "MAX_SKIP", 2)  # every jump of more than 2 frames seeks
    reader = VideoReader(numbered_video, cache_size=1)
    for k in (49, 50, 51, 3, 299, 100, 101, 319, 1, 0, 150):
        np.testing.assert_array_equal(reader[k], sequential[k], err_msg=f"frame {k}")
    reader.close()


def test_rgbx_frames_are_the_rgb_frames_plus_opaque_alpha(numbered_video, sequential):
    reader = VideoReader(numbered_video, rgbx=True)
    frame = reader[10]
    assert frame.shape == (48, 64, 4) and reader.shape == (N_FRAMES, 48, 64, 4)
    np.testing.assert_array_equal(frame[..., :3], sequential[10])
    assert (frame[..., 3] == 255).all()
    reader.close()


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_rotation_metadata_is_applied_like_ffmpeg(tmp_path, rotation):
    """Phone videos carry a rotation; frames come out as players (and ffmpeg) show them."""
    source = tmp_path / "plain.mp4"
    rotated = tmp_path / f"rotated{rotation}.mp4"
    _ffmpeg(
        *("-f", "lavfi", "-i", "testsrc=size=64x48:rate=30", "-frames:v", "3"),
        *("-c:v", "libx264", "-pix_fmt", "yuv444p", "-qp", "0", str(source)),
    )
    _ffmpeg("-display_rotation", str(rotation), "-i", str(source), "-c", "copy", str(rotated))
    shown = (48, 64) if rotation == 180 else (64, 48)  # (rows, cols)
    raw = _ffmpeg("-i", str(rotated), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
    expected = np.frombuffer(raw, dtype=np.uint8).reshape(*shown, 3).astype(int)
    frame = VideoReader(rotated)[0]
    assert frame.shape == (*shown, 3)
    error = np.abs(frame.astype(int) - expected).mean()  # colour conversions differ a little
    wrong = np.abs(np.rot90(frame, 2).astype(int) - expected).mean()  # turned the other way
    assert error < 10 < 40 < wrong, (error, wrong)


def test_decode_threads_follow_the_core_count():
    assert decode_thread_type(1) == "NONE"
    assert decode_thread_type(2) == "NONE"
    assert decode_thread_type(8) == "AUTO"  # FFmpeg's own choice


def test_unplanned_non_reference_frames_are_not_decoded(numbered_video):
    plan = np.arange(0, N_FRAMES, 4)
    reader = VideoReader(numbered_video)
    reader.plan(plan)
    for k in plan:  # the planned frames, in order, as an export reads them
        assert _frame_number(reader[k]) == k
    assert reader.frames_decoded < 0.8 * N_FRAMES, reader.frames_decoded  # B-frames: skipped
    unplanned = VideoReader(numbered_video)
    for k in plan:
        unplanned[k]
    assert unplanned.frames_decoded > reader.frames_decoded  # without a plan: all decoded
    reader.close()
    unplanned.close()


def test_seeks_next_to_keyframes_are_frame_accurate(numbered_video, sequential, monkeypatch):
    """With B-frames a keyframe is decoded before it is shown, so a seek just before
    it can land on it: the reader must go back further (checked both sides of
    every keyframe)."""
    import av

    with av.open(str(numbered_video)) as container:
        stream = container.streams.video[0]
        rate = float(stream.time_base) * 30
        keys = [round(p.pts * rate) for p in container.demux(stream) if p.is_keyframe]
    assert len(keys) >= 4
    monkeypatch.setattr(video_reader, "MAX_SKIP", 0)  # every read seeks
    reader = VideoReader(numbered_video, cache_size=1)
    for key in keys[1:]:
        for k in (key - 2, key - 1, key, key + 1):
            if 0 <= k < N_FRAMES:
                np.testing.assert_array_equal(reader[k], sequential[k], err_msg=f"frame {k}")
    reader.close()


def test_a_seek_landing_after_the_target_goes_back(numbered_video, sequential, monkeypatch):
    monkeypatch.setattr(video_reader, "SEEK_LEAD", -3.0)  # aim 3 frames late: keyframes overshoot
    monkeypatch.setattr(video_reader, "MAX_SKIP", 0)
    reader = VideoReader(numbered_video, cache_size=1)
    for k in range(40, 60):
        np.testing.assert_array_equal(reader[k], sequential[k], err_msg=f"frame {k}")
    reader.close()


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        # AVI stamps its start with the first decoding time: with B-frames that is one
        # frame before the first picture's timestamp.
        ("bframes.avi", ("-c:v", "mpeg4", "-bf", "2", "-q:v", "2", "-g", "50")),
        # MPEG-TS seeks can land on any frame; the decoder then drops frames until the
        # next keyframe.
        ("stream.ts", ("-c:v", "libx264", "-g", "50", "-bf", "3")),
    ],
)
def test_numbering_and_seeks_in_other_containers(tmp_path, monkeypatch, name, codec):
    path = _write_numbered(tmp_path / name, *codec)
    reader = VideoReader(path)
    assert [_frame_number(reader[k]) for k in range(N_FRAMES)] == list(range(N_FRAMES))
    monkeypatch.setattr(video_reader, "MAX_SKIP", 0)  # every read seeks
    seeking = VideoReader(path, cache_size=1)
    for k in (5, 30, 49, 50, 51, 299, 120, 319, 1, 0, 200):
        assert _frame_number(seeking[k]) == k, k
    planned = VideoReader(path, cache_size=1)
    plan = np.round(np.arange(2, N_FRAMES - 1, 3.3)).astype(np.int64)
    planned.plan(plan)
    assert [_frame_number(planned[k]) for k in plan] == plan.tolist()


def test_truncated_file_reports_the_frames_that_decode(tmp_path, numbered_video):
    """The header (moved to the front) announces 320 frames; the data stops earlier."""
    whole = _ffmpeg_copy(numbered_video, tmp_path / "faststart.mp4", "-movflags", "+faststart")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.6)])
    reader = VideoReader(cut)
    assert len(reader) == N_FRAMES
    decodable = 0
    with pytest.raises(ValueError, match="ended at frame") as exc:
        for k in range(N_FRAMES):
            reader[k]
            decodable = k + 1
    assert 0 < decodable < N_FRAMES
    assert f"ended at frame {decodable}," in str(exc.value)
    assert f"Pass times= for the {decodable} frames" in str(exc.value)
    # After a seek past the end, the same count (not the frame asked for).
    with pytest.raises(ValueError, match=f"ended at frame {decodable},"):
        VideoReader(cut)[N_FRAMES - 1]


def test_reader_pickles_without_its_decoder(numbered_video, sequential):
    import pickle

    reader = VideoReader(numbered_video)
    reader[3]
    copy = pickle.loads(pickle.dumps(reader))
    np.testing.assert_array_equal(copy[40], sequential[40])
    reader.close()
    copy.close()


def _ffmpeg_copy(source, path, *args):
    _ffmpeg("-i", str(source), "-c", "copy", *args, str(path))
    return path
