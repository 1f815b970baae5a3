"""Video metadata without decoding: frame size, frame count and frame rate.

`probe_video` reads a file's header with the ffmpeg that imageio-ffmpeg ships
(results cached per file); `frame_size` also accepts frame arrays.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neurospatial.errors import format_message

__all__ = ["VideoInfo", "frame_size", "probe_video"]


@dataclass(frozen=True)
class VideoInfo:
    """Frame size (pixels), frame count and nominal frame rate of a video file."""

    width: int
    height: int
    n_frames: int
    fps: float


def frame_size(source: object) -> tuple[int, int]:
    """(width, height) of a video file or a frame array."""
    if isinstance(source, str | os.PathLike):
        info = probe_video(source)
        return info.width, info.height
    shape, dtype = getattr(source, "shape", None), getattr(source, "dtype", None)
    if shape is None or dtype is None:
        raise TypeError(
            format_message(
                f"source must be a video path or a frame array, got {type(source).__name__}.",
                "only the frame size is needed, read from the file or the array shape.",
                [
                    "Pass the path to the video file (str or pathlib.Path).",
                    "Pass frames as a uint8 array of shape (n_frames, height, width, 3).",
                ],
            )
        )
    if np.dtype(dtype) != np.uint8:
        raise TypeError(
            format_message(
                f"source frames must have dtype uint8, got {dtype} (shape {tuple(shape)}).",
                "video frames are 8-bit RGB images.",
                [
                    "Convert floats in [0, 1]: (frames * 255).round().astype(np.uint8).",
                    "Convert other integers: np.clip(frames, 0, 255).astype(np.uint8).",
                ],
            )
        )
    if len(shape) not in (3, 4) or shape[-1] != 3 or 0 in tuple(shape):
        raise ValueError(
            format_message(
                f"source frames have shape {tuple(shape)}; expected (n_frames, height, width, 3) "
                "or (height, width, 3) with no empty axis.",
                "frames are RGB images; the width and height are read from the shape.",
                [
                    "Stack grayscale frames to RGB: np.repeat(frames[..., None], 3, axis=-1).",
                    "Drop an alpha channel: frames[..., :3].",
                    "Pass the path of the video file instead.",
                ],
            )
        )
    return int(shape[-2]), int(shape[-3])


def _decoded_frame_size(path: Path) -> tuple[int, int]:
    """Read the displayed frame size from ffmpeg's stream description.

    ffmpeg decodes a single frame into a null muxer; the size of the output
    stream already accounts for rotation metadata, like decoded frames do.
    """
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)]
    command += ["-map", "0:v:0", "-frames:v", "1", "-f", "null", "-"]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, errors="replace", timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        size, reason = None, "ffmpeg did not answer within 60 s."
    else:
        output = result.stderr.partition("\nOutput #0")[2]
        found = re.search(r"Video: .*?, (\d+)x(\d+)[\s,\[]", output)
        size = None if result.returncode or found is None else found.groups()
        lines = result.stderr.strip().splitlines()
        reason = lines[-1] if lines else f"ffmpeg exited with code {result.returncode}."
    if size is None:
        raise ValueError(
            format_message(
                f"Could not read the frame size of video {str(path)!r}: {reason}",
                "the file is not a readable video (corrupt, truncated, not a video, or no "
                "video stream), so it cannot be calibrated or drawn.",
                [
                    f"Check that the file plays: ffmpeg -i {str(path)!r} -f null -",
                    "Re-encode it, e.g. ffmpeg -i in.avi -c:v libx264 -pix_fmt yuv420p out.mp4.",
                    "Pass the frames as a uint8 array instead.",
                ],
            )
        )
    return int(size[0]), int(size[1])


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Read a video's size, frame count and frame rate from its header (no decoding).

    Results are cached per file (path, size and modification time), so building
    an overlay and rendering it do not run ffmpeg twice.
    """
    path = Path(path)
    if path.is_file():
        stat = path.stat()
        return _probe_cached(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    return _probe(path)


@functools.lru_cache(maxsize=64)
def _probe_cached(path: str, size: int, mtime_ns: int) -> VideoInfo:
    return _probe(Path(path))


def _probe(path: Path) -> VideoInfo:
    if not path.is_file():
        raise FileNotFoundError(
            format_message(
                f"Video file not found: {str(path)!r}.",
                "the video overlay reads frames from this file.",
                [
                    "Check the path (relative paths are relative to the working directory).",
                    "Pass the frames as a uint8 array of shape (n_frames, H, W, 3) instead.",
                ],
            )
        )
    import cv2

    width, height = _decoded_frame_size(path)  # as decoded: rotation metadata applied
    capture = cv2.VideoCapture(str(path))
    try:
        n_frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = float(capture.get(cv2.CAP_PROP_FPS))
    finally:
        capture.release()
    if n_frames <= 0 or not fps > 0:
        raise ValueError(
            format_message(
                f"Cannot read video {str(path)!r}: not a decodable video file "
                f"(size {width}x{height}, {n_frames} frames, {fps:g} fps reported).",
                "frames are decoded from the file; an unreadable or corrupt file has none.",
                [
                    "Check that the file is a complete video (try playing it).",
                    "Re-encode it, e.g. ffmpeg -i in.avi -c:v libx264 -pix_fmt yuv420p out.mp4.",
                ],
            )
        )
    return VideoInfo(width=width, height=height, n_frames=n_frames, fps=fps)
