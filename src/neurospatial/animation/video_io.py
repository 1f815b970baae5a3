"""Reading behaviour video: metadata without decoding, frames on demand.

`VideoReader` decodes with the ffmpeg that imageio-ffmpeg ships, streaming raw
yuv420p frames through a pipe (converted to RGB here with OpenCV). Sequential
reads (the common case: rendering frames in order) keep one decoder running; a
jump backwards or far ahead restarts it with an input seek (``-ss`` before
``-i``), which ffmpeg makes frame-accurate by decoding from the previous
keyframe and discarding frames before the target. When an export announces the
frames it will read (`VideoReader.plan`), ffmpeg drops the others before
converting and piping them. Crop and downsample run inside ffmpeg (less data
through the pipe). A bounded LRU cache holds recent frames. Nothing is decoded
up front.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import subprocess
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurospatial.animation.errors import format_message

__all__ = ["VideoInfo", "VideoReader", "frame_size", "probe_video"]

#: Forward jumps up to this many frames are decoded through rather than sought.
_MAX_SKIP = 90

#: Planned frames one decoder hands over before the next one seeks (bounds the
#: select expression ffmpeg evaluates on every decoded frame).
_WINDOW = 2048


def decode_threads(n_cores: int | None = None) -> str:
    """ffmpeg decoder threads: 1 on machines of 2 cores or fewer, where rendering and
    encoding already keep the cores busy and frame threading only adds work (measured:
    1.16 s against 1.55 s of CPU for 1200 frames of a 640x480 recording); else ffmpeg's
    automatic choice ("0")."""
    n = os.cpu_count() if n_cores is None else n_cores
    return "1" if (n or 1) <= 2 else "0"


def _select_expression(offsets: NDArray[np.int64]) -> str:
    """ffmpeg `select` expression true for frame numbers in `offsets` (n counts from
    the seek). Terms are grouped in parentheses: ffmpeg's parser stops at ~100
    chained terms, and a group counts as one."""
    terms = [f"eq(n\\,{int(k)})" for k in offsets]
    groups = ["(" + "+".join(terms[i : i + 64]) + ")" for i in range(0, len(terms), 64)]
    return "+".join(groups)


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


def _grow_pipe(pipe: Any) -> None:
    from neurospatial.animation.backends.ffmpeg import grow_pipe

    grow_pipe(pipe)


class VideoReader:
    """Random access to the frames of a video file, decoded on demand.

    Parameters
    ----------
    path : path
        The video file.
    crop : (x, y, width, height), optional
        Pixel rectangle to keep (x = column, y = row of its top-left corner).
    downsample : int
        Keep every ``downsample``-th pixel per axis (area-averaged by ffmpeg).
    cache_size : int
        Decoded frames kept (least recently used dropped first).
    rgbx : bool
        Give frames 4 channels (RGB + 255), the compositor's canvas layout.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        crop: tuple[int, int, int, int] | None = None,
        downsample: int = 1,
        cache_size: int = 32,
        rgbx: bool = False,
    ) -> None:
        self.path = Path(path)
        self.info = probe_video(self.path)
        x, y, w, h = crop if crop is not None else (0, 0, self.info.width, self.info.height)
        self.crop = (int(x), int(y), int(w), int(h))
        self.downsample = int(downsample)
        # Frames come out of ffmpeg as yuv420p (its cheapest conversion; even sizes)
        # and are turned into RGB here by OpenCV, 10x faster than ffmpeg's own RGB path.
        self.width = max(2, self.crop[2] // self.downsample // 2 * 2)
        self.height = max(2, self.crop[3] // self.downsample // 2 * 2)
        self._frame_bytes = self.width * self.height * 3 // 2
        self._channels = 4 if rgbx else 3
        self._cache: OrderedDict[int, NDArray[np.uint8]] = OrderedDict()
        self._cache_size = int(cache_size)
        self._proc: subprocess.Popen[bytes] | None = None
        self._next = 0  # index of the frame the running decoder yields next
        # The frames the running decoder yields, in order, when it follows the plan
        # (None: every frame from `_next` on); `_pos` is the next one's position.
        self._window: NDArray[np.int64] | None = None
        self._pos = 0
        self._plan = np.zeros(0, dtype=np.int64)

    def plan(self, indices: NDArray[np.int64]) -> None:
        """Announce the frames an export will read (any order; negatives ignored).

        A decoder started at a planned frame hands over only the planned frames
        from there on: ffmpeg still decodes every frame in between (inter-frame
        codecs need them) but drops the unneeded ones before converting colours
        and piping them, the costly steps when animation frames are several
        video frames apart.
        """
        valid = np.asarray(indices, dtype=np.int64)
        self._plan = np.unique(valid[valid >= 0])

    def __len__(self) -> int:
        return self.info.n_frames

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (self.info.n_frames, self.height, self.width, self._channels)

    def __getitem__(self, index: int) -> NDArray[np.uint8]:
        index = int(index)
        if not 0 <= index < self.info.n_frames:
            raise IndexError(f"Frame {index} out of range for {self.info.n_frames} frames.")
        frame = self._cache.get(index)
        if frame is not None:
            self._cache.move_to_end(index)
            return frame
        if not self._reaches(index):
            self._start(index)
        while True:
            at, data = self._read_one()
            if at == index:
                break
        import cv2

        yuv = np.frombuffer(data, dtype=np.uint8).reshape(self.height * 3 // 2, self.width)
        code = cv2.COLOR_YUV2RGBA_I420 if self._channels == 4 else cv2.COLOR_YUV2RGB_I420
        frame = np.asarray(cv2.cvtColor(yuv, code), dtype=np.uint8)
        self._cache[index] = frame
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return frame

    def _reaches(self, index: int) -> bool:
        """Whether the running decoder yields `index` soon (else: seek)."""
        if self._proc is None:
            return False
        if self._window is None:
            return 0 <= index - self._next <= _MAX_SKIP
        j = int(np.searchsorted(self._window, index))
        return j < len(self._window) and self._window[j] == index and j - self._pos <= _MAX_SKIP

    def _start(self, index: int) -> None:
        from neurospatial.animation.backends.ffmpeg import ffmpeg_exe

        self.close()
        seek = [] if index == 0 else ["-ss", f"{(index - 0.25) / self.info.fps:.6f}"]
        x, y, w, h = self.crop
        d = self.downsample
        w, h = self.width * d, self.height * d  # whole d x d blocks: an exact 1/d scale
        filters = []
        if (x, y, w, h) != (0, 0, self.info.width, self.info.height):
            filters.append(f"crop={w}:{h}:{x}:{y}")
        # Limited ("tv") range out, whatever the source (webcams and MJPEG are often full
        # range): OpenCV's I420 -> RGB conversion below assumes it.
        size = f"{self.width}:{self.height}:flags=area:" if d > 1 else ""
        filters.append(f"scale={size}out_range=tv")
        limit: list[str] = []
        j = int(np.searchsorted(self._plan, index))
        self._window = None
        if j < len(self._plan) and self._plan[j] == index:
            self._window = self._plan[j : j + _WINDOW]
            filters.insert(0, "select=" + _select_expression(self._window - index))
            limit = ["-frames:v", str(len(self._window))]  # then stop decoding
        self._pos = 0
        self._proc = subprocess.Popen(
            [
                ffmpeg_exe(),
                "-hide_banner",
                "-loglevel",
                "error",
                "-threads",
                decode_threads(),
                *seek,
                "-i",
                str(self.path),
                "-an",
                "-vf",
                ",".join(filters),
                *limit,
                "-f",
                "rawvideo",
                "-pix_fmt",
                "yuv420p",
                "-fps_mode",
                "passthrough",
                "-",
            ],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._next = index
        _grow_pipe(self._proc.stdout)

    def _read_one(self) -> tuple[int, bytes]:
        """The next frame's index and raw yuv420p bytes (converted only if asked for)."""
        assert self._proc is not None and self._proc.stdout is not None
        data = self._proc.stdout.read(self._frame_bytes)
        if self._window is not None:
            at = int(self._window[self._pos]) if self._pos < len(self._window) else self._next
        else:
            at = self._next
        if len(data) < self._frame_bytes:
            self.close()
            raise ValueError(
                format_message(
                    f"Video {str(self.path)!r} ended at frame {at}, before the "
                    f"{self.info.n_frames} frames its header announces.",
                    "the file is truncated or its header is wrong, so later frames and "
                    "timestamps cannot be matched.",
                    [
                        f"Pass times= for the {at} frames that decode, so nothing later is "
                        "asked for.",
                        "Re-encode the file: ffmpeg -i in.mp4 -c:v libx264 -pix_fmt yuv420p "
                        "out.mp4 (it rewrites the header).",
                    ],
                )
            )
        if self._window is not None:
            self._pos += 1
            if self._pos == len(self._window):  # the decoder has stopped: next read seeks
                self.close()
        self._next = at + 1
        return at, data

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout is not None:
                with contextlib.suppress(OSError):
                    proc.stdout.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_proc"] = None
        state["_cache"] = OrderedDict()
        return state
