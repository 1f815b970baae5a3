"""Small scenes and video decoding shared by rendering tests."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from neurospatial import Environment


def square_env(size: float = 100.0, bin_size: float = 5.0) -> Environment:
    """A fully active square grid [0, size]^2."""
    corners = np.array([[0.0, 0.0], [size, size]])
    grid = np.linspace(0, size, 41)
    samples = np.array(np.meshgrid(grid, grid)).reshape(2, -1).T
    return Environment.from_samples(np.vstack([corners, samples]), bin_size=bin_size)


def red_centroid(image: np.ndarray) -> np.ndarray:
    """(col, row) centroid of strongly red pixels, weighted by redness."""
    img = image.astype(float)
    redness = np.clip(img[..., 0] - np.maximum(img[..., 1], img[..., 2]) - 100, 0, None)
    rows, cols = np.nonzero(redness)
    assert len(rows) > 0, "no red pixels found"
    w = redness[rows, cols]
    return np.array([np.average(cols, weights=w), np.average(rows, weights=w)])


def decode_frames(path: Path) -> list[np.ndarray]:
    """Decode every frame of a video to (H, W, 3) uint8 arrays (ffmpeg to a pipe)."""
    import subprocess

    from neurospatial.animation.backends.ffmpeg import ffmpeg_exe

    info = probe(Path(path))
    w, h = info["width"], info["height"]
    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
    return list(frames)


def probe(path: Path) -> dict[str, Any]:
    """Codec name, size, pixel format and exact frame count of an encoded output (decodes it)."""
    result = subprocess.run(
        [_ffmpeg(), "-hide_banner", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = result.stderr
    stream = re.search(r"Stream #0:0.*?Video: (\w+).*?, (\w+)\(?.*?, (\d+)x(\d+)", text)
    frames = re.findall(r"frame=\s*(\d+)", text)
    if stream is None:
        raise ValueError(f"No video stream found in {path}.")
    return {
        "codec": stream.group(1),
        "pix_fmt": stream.group(2),
        "width": int(stream.group(3)),
        "height": int(stream.group(4)),
        "frames": int(frames[-1]) if frames else 0,
    }


def write_video(path: Path, frames: np.ndarray, fps: float = 30) -> Path:
    """Write (n, H, W, 3) uint8 frames to a near-lossless video file (4:4:4)."""
    import imageio_ffmpeg

    h, w = frames.shape[1:3]
    writer = imageio_ffmpeg.write_frames(
        str(path), (w, h), fps=fps, macro_block_size=1, quality=10, pix_fmt_out="yuv444p"
    )
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    return path


def _ffmpeg() -> str:
    from neurospatial.animation.backends.ffmpeg import ffmpeg_exe

    return ffmpeg_exe()


def assert_what_why_how(message: str, fragment: str) -> None:
    """`message` is a WHAT / WHY / HOW error whose WHAT part names `fragment`."""
    what, _, rest = message.partition("\n\nWHY: ")
    assert fragment in what, message
    assert rest and "\n\nHOW:\n  1. " in rest, message
