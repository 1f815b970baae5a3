"""Frames of a video file, decoded on demand with PyAV (FFmpeg's libraries).

`VideoReader` reads in order with one decoder; a jump backwards or far ahead
seeks to the previous keyframe and decodes forward to the exact frame
(frame-accurate; tested against sequential decoding). When an export announces
the frames it will read (`VideoReader.plan`), the decoder skips the
non-reference frames nobody will see (inter-frame codecs still need every
reference frame), about 30% of the decoding of a typical H.264 file when
animation frames are several video frames apart. A bounded LRU cache holds
recent frames. Nothing is decoded up front.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import OrderedDict
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurospatial.animation.video_probe import probe_video
from neurospatial.animation.yuv import to_rgb
from neurospatial.errors import format_message

__all__ = ["MAX_SKIP", "SEEK_LEAD", "VideoReader", "decode_thread_type"]

#: Forward jumps up to this many frames are decoded through rather than sought.
MAX_SKIP = 90

#: A seek aims this many frames before the target frame's timestamp, then goes to the
#: keyframe at or before that; it goes further back if it lands after the target.
SEEK_LEAD = 0.25


def decode_thread_type(n_cores: int | None = None) -> str:
    """PyAV decoder threading: none on machines of 2 cores or fewer, where rendering
    and encoding already keep the cores busy and frame threading only adds work
    (measured with ffmpeg: 1.16 s against 1.55 s of CPU for 1200 frames of a 640x480
    recording); else FFmpeg's automatic choice."""
    if n_cores is None:  # the cores this process may use (affinity, container limits)
        n_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        n_cores = n_cores or os.cpu_count() or 1
    return "NONE" if n_cores <= 2 else "AUTO"


class VideoReader:
    """Random access to the frames of a video file, decoded on demand.

    Frame ``k`` is the frame whose timestamp is ``k / fps`` after the stream's first
    (constant frame rate, as the frame count and rate of `probe_video` assume).
    Frames come out as displayed: rotation metadata is applied.

    Parameters
    ----------
    path : path
        The video file.
    crop : (x, y, width, height), optional
        Pixel rectangle to keep (x = column, y = row of its top-left corner).
    downsample : int
        Average ``downsample`` x ``downsample`` pixel blocks (OpenCV area resampling).
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
        self.width = max(1, self.crop[2] // self.downsample)
        self.height = max(1, self.crop[3] // self.downsample)
        self._channels = 4 if rgbx else 3
        self._cache: OrderedDict[int, NDArray[np.uint8]] = OrderedDict()
        self._cache_size = int(cache_size)
        self.thread_type = decode_thread_type()
        self._container: Any = None
        self._frames: Generator[tuple[int, Any]] | None = None  # the running decoder
        self._last = -1  # index of the last frame it produced
        self._skipping = False  # it skips unplanned non-reference frames
        self._plan: frozenset[int] = frozenset()
        self._facts: _StreamFacts | None = None  # read from the file at first use
        self._decoded_max = -1  # highest frame number the running decoder has seen
        #: Frames the decoders have decoded so far (skipped ones are not decoded).
        self.frames_decoded = 0

    def plan(self, indices: NDArray[np.int64]) -> None:
        """Announce the frames an export will read (any order; negatives ignored).

        A decoder started at a planned frame skips the non-reference frames that
        are not planned: nothing depends on them, so they need not be decoded.
        """
        valid = np.asarray(indices, dtype=np.int64)
        self._plan = frozenset(np.unique(valid[valid >= 0]).tolist())

    def __len__(self) -> int:
        return self.info.n_frames

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (self.info.n_frames, self.height, self.width, self._channels)

    def __getitem__(self, index: int) -> NDArray[np.uint8]:
        index = int(index)
        if not 0 <= index < self.info.n_frames:
            raise IndexError(f"Frame {index} out of range for {self.info.n_frames} frames.")
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
            return cached
        if not self._reaches(index):
            self._start(index)
        assert self._frames is not None
        import av

        while True:
            try:
                item = next(self._frames, None)
            except av.error.FFmpegError as exc:
                self.close()
                raise ValueError(
                    format_message(
                        f"Could not decode frame {index} of video {str(self.path)!r}: {exc}",
                        "the file is damaged, or the decoder cannot read it past this point.",
                        [
                            f"Check that it plays to the end: ffmpeg -v error -i "
                            f"{str(self.path)!r} -f null -",
                            "Re-encode it: ffmpeg -i in.mp4 -c:v libx264 -pix_fmt yuv420p out.mp4.",
                        ],
                    )
                ) from exc
            if item is None:
                at = self._decoded_max + 1  # frames 0 .. at - 1 decode
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
            self._last, decoded = item
            if self._last >= index:  # > index only where timestamps skip a frame number
                break
        frame = self._convert(decoded)
        self._cache[index] = frame
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return frame

    def _reaches(self, index: int) -> bool:
        """Whether the running decoder produces `index` soon (else: seek)."""
        if self._frames is None or not 0 < index - self._last <= MAX_SKIP:
            return False
        return not self._skipping or index in self._plan

    def _start(self, index: int) -> None:
        self.close()
        if self._facts is None:
            self._facts = _stream_facts(self.path)
        self._skipping = index in self._plan
        self._decoded_max = -1
        self._frames = self._decode(index)
        self._last = index - 1

    def _open(self) -> Any:
        """(Re)open the file; its video stream, set up for decoding."""
        import av

        assert self._facts is not None
        if self._container is not None:
            self._container.close()
        self._container = av.open(str(self.path))
        stream = self._container.streams.video[0]
        stream.thread_type = self.thread_type
        stream.codec_context.options = dict(self._facts.options)
        return stream

    def _decode(self, index: int) -> Generator[tuple[int, Any]]:
        """(frame number, frame) from frame `index` on, in order.

        A seek goes to the keyframe before the target and decodes forward. If it
        lands after the target (some containers seek to any frame, and a decoder
        then drops frames until the next keyframe), it goes further back; if even a
        seek to the start lands late, the file is decoded from the beginning.
        """
        import av

        assert self._facts is not None
        stream = self._open()
        base, fps, origin = float(stream.time_base), self.info.fps, self._facts.origin

        def number(pts: int) -> int:
            return round((pts - origin) * base * fps)

        back: float | None = SEEK_LEAD  # frames before the target to seek to (None: no seek)
        while True:
            seek = index > 0 and back is not None
            if seek:
                target = origin + (index - (back or 0.0)) / fps / base
                self._container.seek(int(target), stream=stream, backward=True)  # flushes
            context, found, late = stream.codec_context, False, False
            for packet in self._container.demux(stream):
                if self._skipping:
                    wanted = None if packet.pts is None else number(packet.pts)
                    skip = wanted is not None and wanted != index and wanted not in self._plan
                    context.skip_frame = "NONREF" if skip else "DEFAULT"
                try:
                    frames = context.decode(packet)
                except av.error.InvalidDataError:  # a damaged packet: go on, as ffmpeg does
                    continue
                for frame in frames:
                    if frame.pts is None:
                        continue
                    k = number(frame.pts)
                    self._decoded_max = max(self._decoded_max, k)
                    self.frames_decoded += 1
                    if not found:
                        if seek and k > index:
                            late = True
                            break
                        if k < index:
                            continue
                        found = True
                    yield k, frame
                if late:
                    break
            if not late and (found or not seek):
                return  # the end of the file
            # Landed after the target, or found nothing up to the end: go back further.
            if back is not None and back < index:
                back = min(float(index), back * 4 + fps)
            else:
                back = None
                stream = self._open()

    def _convert(self, frame: Any) -> NDArray[np.uint8]:
        """An av.VideoFrame as RGB(X) uint8, rotated as displayed, cropped, downsampled."""
        import cv2

        image: Any = to_rgb(frame, self._channels)
        turns = (int(getattr(frame, "rotation", 0) or 0) // 90) % 4  # counter-clockwise
        if turns:
            image = np.rot90(image, turns)
        x, y0, d = self.crop[0], self.crop[1], self.downsample
        image = image[y0 : y0 + self.height * d, x : x + self.width * d]
        if d > 1:
            image = cv2.resize(image, (self.width, self.height), interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(image, dtype=np.uint8)

    def close(self) -> None:
        frames, self._frames = self._frames, None
        container, self._container = self._container, None
        if frames is not None:
            with contextlib.suppress(Exception):
                frames.close()
        if container is not None:
            with contextlib.suppress(Exception):
                container.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_container"] = None
        state["_frames"] = None
        state["_cache"] = OrderedDict()
        return state


@dataclass(frozen=True)
class _StreamFacts:
    """What every decoder of a file needs: decoder options, and the timestamp of the
    first frame (frame numbers count from it)."""

    options: dict[str, str]
    origin: int


def _stream_facts(path: Path) -> _StreamFacts:
    """Read a file's `_StreamFacts` by decoding its first frame.

    - x264 writes its version into the first frame (an SEI message). FFmpeg's H.264
      decoder reads it there to work around bugs of old x264 versions (4:4:4 streams
      from builds before 151 decode to garbage without it); a decoder that starts at
      a later keyframe never sees it. Measured on the real open-field recording
      (x264 core 148): every frame after a seek came out green, in ffmpeg's command
      line tool as well. It is passed on as the decoder option ``x264_build``.
    - The first frame's timestamp is not always the stream's start time: in an AVI
      with B-frames the start time is the first decoding timestamp, one frame early.
    """
    import av

    options: dict[str, str] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        origin = int(stream.start_time or 0)
        for packet in container.demux(stream):
            if not options:
                found = re.search(rb"x264 - core (\d+)", bytes(packet))
                options = {} if found is None else {"x264_build": found.group(1).decode()}
                stream.codec_context.options = dict(options)
            try:
                frames = stream.codec_context.decode(packet)
            except av.error.InvalidDataError:
                continue
            first = next((f.pts for f in frames if f.pts is not None), None)
            if first is not None:
                origin = int(first)
                break
    return _StreamFacts(options, origin)
