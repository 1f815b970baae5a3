"""Streaming frames to the ffmpeg that imageio-ffmpeg ships (no system ffmpeg needed)."""

from __future__ import annotations

import contextlib
import queue
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Encoder", "concat_segments", "encode_command", "ffmpeg_exe", "grow_pipe"]

#: Video codec and its options per container suffix.
CODECS: dict[str, list[str]] = {
    ".mp4": ["-c:v", "libx264"],
    ".mov": ["-c:v", "libx264"],
    ".avi": ["-c:v", "libx264"],
    ".webm": ["-c:v", "libvpx-vp9", "-row-mt", "1", "-deadline", "realtime", "-b:v", "0"],
}


#: Colour tags matching the RGB -> YUV conversion (BT.601, limited range).
BT601 = [
    "-colorspace",
    "smpte170m",
    "-color_primaries",
    "smpte170m",
    "-color_trc",
    "smpte170m",
    "-color_range",
    "tv",
]


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def encode_command(
    path: Path, width: int, height: int, fps: float, *, crf: int, preset: str, source: str = "-"
) -> list[str]:
    """ffmpeg arguments encoding raw yuv420p frames from `source` (default: stdin) to `path`."""
    suffix = path.suffix.lower()
    codec = list(CODECS[suffix])
    codec += ["-preset", preset, "-crf", str(crf)] if codec[1] == "libx264" else ["-crf", str(crf)]
    faststart = ["-movflags", "+faststart"] if suffix in (".mp4", ".mov") else []
    raw = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}"]
    return [
        ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        *raw,
        "-framerate",
        repr(float(fps)),
        "-i",
        source,
        "-an",
        *codec,
        "-pix_fmt",
        "yuv420p",
        *BT601,
        *faststart,
        str(path),
    ]


class Encoder:
    """An ffmpeg process encoding RGBX frames handed to it one at a time.

    Frames are converted to yuv420p here with OpenCV (BT.601, limited range;
    ~0.2 ms a frame, 5x faster than ffmpeg's converter, and 2.7x less data
    through the pipe) and never held all in memory. The output has exactly the
    input size (no resizing), is tagged BT.601 so players decode the colours
    right, and has ``+faststart`` for MP4/MOV. On error the process is killed;
    the caller removes the partial file.
    """

    def __init__(
        self, path: Path, width: int, height: int, fps: float, *, crf: int, preset: str
    ) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"yuv420p needs even frame sizes, got {width}x{height}.")
        self._yuv = np.empty((height * 3 // 2, width), dtype=np.uint8)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close/kill)
        self._proc = subprocess.Popen(
            encode_command(path, width, height, fps, crf=crf, preset=preset),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        self.path = path
        self.n_written = 0
        grow_pipe(self._proc.stdin)

    def write(self, frame: NDArray[np.uint8]) -> None:
        """Encode one contiguous RGBX frame of shape (H, W, 4), uint8."""
        import cv2

        assert self._proc.stdin is not None
        cv2.cvtColor(frame, cv2.COLOR_RGBA2YUV_I420, dst=self._yuv)
        try:
            self._proc.stdin.write(self._yuv.data.cast("B"))
        except (BrokenPipeError, OSError) as exc:
            raise RuntimeError(self._failure("the encoder stopped accepting frames")) from exc
        self.n_written += 1

    def stream(
        self,
        render: Callable[[int, NDArray[np.uint8]], Any],
        indices: Iterable[int],
        new_buffer: Callable[[], NDArray[np.uint8]],
        tick: Callable[[int], None] | None = None,
    ) -> None:
        """Render frames into a ring of buffers while a thread writes them to ffmpeg.

        Rendering frame i+1 overlaps with writing frame i (the pipe write releases
        the GIL); three buffers bound the memory to three frames.
        """
        free: queue.Queue[NDArray[np.uint8]] = queue.Queue()
        full: queue.Queue[NDArray[np.uint8] | None] = queue.Queue()
        for _ in range(3):
            free.put(new_buffer())
        errors: list[BaseException] = []

        def writer() -> None:
            while (buf := full.get()) is not None:
                if not errors:
                    try:
                        self.write(buf)
                    except BaseException as exc:  # re-raised in the rendering thread
                        errors.append(exc)
                free.put(buf)

        thread = threading.Thread(target=writer, name="neurospatial-encoder", daemon=True)
        thread.start()
        try:
            for i in indices:
                buf = free.get()
                if errors:
                    break
                render(i, buf)
                full.put(buf)
                if tick is not None:
                    tick(1)
        finally:
            full.put(None)
            thread.join()
        if errors:
            raise errors[0]

    def close(self) -> None:
        assert self._proc.stdin is not None
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        code = self._proc.wait()
        try:
            if code != 0:
                raise RuntimeError(self._failure(f"ffmpeg exited with code {code}"))
        finally:
            self._stderr.close()

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        self._stderr.close()

    def _failure(self, what: str) -> str:
        self._proc.poll()
        self._stderr.seek(0)
        tail = self._stderr.read().decode(errors="replace")[-2000:].strip()
        return (
            f"Video encoding failed after {self.n_written} frames: {what}.\n"
            f"ffmpeg said: {tail or '(nothing)'}\n"
            "No output file was written; any existing file at the destination is untouched."
        )

    def __enter__(self) -> Encoder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.kill()


def grow_pipe(pipe: Any) -> None:
    """Enlarge the pipe buffer (Linux; 64 KiB by default) to cut context switches.

    A frame is ~2 MB; with the default buffer the renderer and ffmpeg hand over
    every 64 KiB, which on two cores costs a large share of the throughput.
    """
    try:
        import fcntl

        size = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        fcntl.fcntl(pipe.fileno(), 1031, min(size, 8 * 2**20))  # F_SETPIPE_SZ
    except (OSError, ValueError, ImportError, AttributeError):
        pass


def concat_segments(segments: list[Path], out: Path) -> None:
    """Join encoded segments without re-encoding (ffmpeg concat demuxer, stream copy)."""
    listing = out.with_suffix(".txt")
    # The concat list quotes paths in single quotes; a quote inside is written '\''.
    quoted = (str(p.resolve()).replace("'", "'\\''") for p in segments)
    listing.write_text("".join(f"file '{q}'\n" for q in quoted))
    faststart = ["-movflags", "+faststart"] if out.suffix.lower() in (".mp4", ".mov") else []
    try:
        result = subprocess.run(
            [
                ffmpeg_exe(),
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                "-c",
                "copy",
                *faststart,
                str(out),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        listing.unlink(missing_ok=True)
    if result.returncode != 0:
        raise RuntimeError(f"Joining video segments failed: {result.stderr.strip()[-2000:]}")
