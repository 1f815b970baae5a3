"""What the live players share: frames rendered ahead in a thread and sent in chunks.

The browser module (``animation/web/player.js``) runs the clock in the page and
asks for windows of frames, ``{type: "want", gen, start, stop, step}``. A
`FrameServer` renders them in order with one `Compositor`, encodes them as JPEG
and hands them to a ``send(message, jpegs)`` callable in chunks, the first frame
of a request at once. The notebook widget (anywidget comm) and the served app
(Panel) differ only in that callable.

A new request replaces the one being served, so the latest scrub wins; one that
extends the request being served goes on where it is instead of sending frames
again.
"""

from __future__ import annotations

import atexit
import json
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from neurospatial.animation.render.raster import Compositor
from neurospatial.errors import format_message

__all__ = [
    "FOLLOW_AFTER_S",
    "JPEG_QUALITY",
    "SPEEDS",
    "FrameServer",
    "check_frame",
    "check_hidden",
    "check_speed",
    "encode_jpeg",
    "layer_names",
    "parse_want",
]

#: JPEG quality of the frames sent to the browser (800x600 demo frames: ~55 kB).
JPEG_QUALITY = 85
#: The HoloViews view follows a frame chosen in the browser once it has rested this
#: long. Its update holds the Python side (HoloViews' update: 75 ms for the app's scene
#: on 2 cores, more under load; the app's `HoloViewsView.redraw`: 26 ms), and frames
#: asked for meanwhile wait: so never during a drag or a quick run of scrubs.
FOLLOW_AFTER_S = 0.8
#: Playback speeds the player offers (times the scene's frame rate).
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)
#: A chunk is sent once it holds this many frames or took this long to render.
_CHUNK_FRAMES = 4
_CHUNK_SECONDS = 0.05
#: Frames aligned around a frame asked for outside the current window.
_SCRUB_BEHIND, _SCRUB_AHEAD = 24, 48

Send = Callable[[dict[str, Any], list[bytes]], None]
Request = tuple[int, range, frozenset[str]]

_RUNNING: weakref.WeakSet[FrameServer] = weakref.WeakSet()


@atexit.register
def _stop_running() -> None:
    # A daemon thread caught at interpreter exit inside native code (the encoder,
    # the store's readers) can abort the process: stop them while Python still runs.
    servers = list(_RUNNING)
    for server in servers:
        server.stop()
    for server in servers:
        server.join(timeout=2.0)


class FrameServer(threading.Thread):
    """Renders the latest request's frames in order and sends them in chunks.

    Parameters
    ----------
    compositor : Compositor
        Owned from now on: closed when the server stops or replaces it.
    send : callable
        ``send(message, jpegs)``: ``message`` is ``{"type": "frames", "gen", "index",
        "cost"}`` (``cost``: median seconds spent per frame), ``jpegs`` one encoded
        frame per index. Errors go out as ``{"type": "error", "message"}``.
    """

    def __init__(self, compositor: Compositor, send: Send) -> None:
        super().__init__(name="neurospatial-frames", daemon=True)
        self._compositor = compositor
        self._send_chunk = send
        self._wake = threading.Condition()
        self._pending: Request | None = None
        self._replacement: Compositor | None = None
        self._stopped = False
        # (generation, step, next frame) of the request being served: a request that
        # extends it continues from there instead of sending its frames again.
        self._cursor: tuple[int, int, int] | None = None
        self._spent: deque[float] = deque(maxlen=16)  # seconds of the last frames
        self.error: str | None = None  # the last rendering error, if any

    @property
    def compositor(self) -> Compositor:
        """The compositor frames are drawn with (the replacement, once one is given)."""
        return self._replacement or self._compositor

    def submit(self, gen: int, frames: range, hidden: frozenset[str]) -> None:
        """Serve `frames` next (replacing a request not yet finished)."""
        with self._wake:
            self._pending = (gen, frames, hidden)
            self._wake.notify()

    def replace(self, compositor: Compositor) -> None:
        """Draw with `compositor` from the next request on (the old one is closed)."""
        with self._wake:
            if self._replacement is not None:
                self._replacement.close()
            self._replacement = compositor
            self._pending = None  # asked for with the old look
            self._wake.notify()

    def stop(self) -> None:
        """Stop after the frame being drawn; the compositor is closed."""
        with self._wake:
            self._stopped = True
            self._wake.notify()

    def _superseded(self) -> bool:
        return self._pending is not None or self._stopped or self._replacement is not None

    def run(self) -> None:
        _RUNNING.add(self)
        try:
            while True:
                with self._wake:
                    while self._pending is None and not self._stopped:
                        self._swap()
                        self._wake.wait()
                    if self._stopped:
                        return
                    self._swap()
                    request, self._pending = self._pending, None
                if request is None:
                    continue
                try:
                    self._serve(*request)
                except Exception as exc:  # shown in the player, kept on the Python side
                    self.error = f"{type(exc).__name__}: {exc}"
                    self._send_chunk({"type": "error", "message": self.error}, [])
        finally:
            with self._wake:
                self._swap()
            self._compositor.close()

    def _swap(self) -> None:
        if self._replacement is not None:
            self._compositor.close()
            self._compositor, self._replacement = self._replacement, None
            self._cursor = None
            self._spent.clear()

    def _serve(self, gen: int, frames: range, hidden: frozenset[str]) -> None:
        compositor = self._compositor
        cursor = self._cursor
        if cursor is not None and cursor[:2] == (gen, frames.step) and cursor[2] in frames:
            # Asked again for frames this request already sent (they are on their way
            # to the browser) and for more after them: go on where it stopped.
            frames = range(cursor[2], frames.stop, frames.step)
        index: list[int] = []
        jpegs: list[bytes] = []
        began = time.perf_counter()
        for k, i in enumerate(frames):
            if self._superseded():
                break
            tic = time.perf_counter()
            # One window around a scrub's target: the next scrubs nearby reuse it.
            compositor.prefetch(i, max(frames.stop, i + _SCRUB_AHEAD), behind=_SCRUB_BEHIND)
            index.append(i)
            jpegs.append(encode_jpeg(compositor.render(i, hidden=hidden)))
            self._cursor = (gen, frames.step, i + frames.step)
            self._spent.append(time.perf_counter() - tic)
            full = len(index) >= _CHUNK_FRAMES or time.perf_counter() - began > _CHUNK_SECONDS
            if k == 0 or full:  # the first frame of a request goes at once (scrubs)
                self._send(gen, index, jpegs)
                index, jpegs, began = [], [], time.perf_counter()
        if index:
            self._send(gen, index, jpegs)

    def _send(self, gen: int, index: list[int], jpegs: list[bytes]) -> None:
        # "cost": seconds per frame spent rendering and encoding (the browser asks
        # for every n-th frame when fps x speed needs more than that allows).
        cost = float(np.median(self._spent)) if self._spent else None
        self._send_chunk({"type": "frames", "gen": gen, "index": index, "cost": cost}, jpegs)


def parse_want(content: Any, generation: int, n_frames: int) -> tuple[int, range] | None:
    """``(gen, frames)`` of a browser's ``want`` message, or None for anything else
    (malformed, empty, or asked before the layers changed: a new request follows)."""
    if not isinstance(content, dict) or content.get("type") != "want":
        return None
    try:
        gen, start, stop, step = (int(content[k]) for k in ("gen", "start", "stop", "step"))
    except (KeyError, TypeError, ValueError):
        return None
    if gen != generation:
        return None
    start, stop = max(0, start), min(n_frames, stop)
    if start >= stop:
        return None
    return gen, range(start, stop, max(1, step))


def layer_names(scene: xr.DataTree, compositor: Compositor) -> list[str]:
    """The layers a player can hide: ``"field"``, each region drawn, each overlay."""
    names = ["field", *(r.name for r in compositor.info.regions)]
    names += json.loads(scene.attrs.get("overlays", "[]"))
    return list(dict.fromkeys(names))


def encode_jpeg(canvas: np.ndarray) -> bytes:
    """An RGBA canvas as JPEG bytes (quality `JPEG_QUALITY`)."""
    import cv2

    bgr = cv2.cvtColor(canvas, cv2.COLOR_RGBA2BGR)
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise RuntimeError("OpenCV could not encode a frame as JPEG.")
    return bytes(data)


def check_frame(frame: Any, n_frames: int) -> int:
    """`frame` as an int in 0 .. n_frames - 1, else a WHAT/WHY/HOW ValueError."""
    k = int(frame)
    if not 0 <= k < max(n_frames, 1):
        raise ValueError(
            format_message(
                f"frame={frame!r} is outside the scene's {n_frames} frames.",
                "the player shows frames 0 .. n_frames - 1.",
                [f"Pass a frame from 0 to {n_frames - 1}."],
            )
        )
    return k


def check_speed(speed: Any) -> float:
    """`speed` as one of `SPEEDS`, else a WHAT/WHY/HOW ValueError."""
    value = float(speed)
    if value not in SPEEDS:
        raise ValueError(
            format_message(
                f"speed={speed!r} is not one of the player's speeds.",
                "the player plays at 0.25x to 4x the scene's frame rate, in steps of 2x.",
                [f"Pass one of {list(SPEEDS)}."],
            )
        )
    return value


def check_hidden(hidden: list[str], layers: list[str]) -> list[str]:
    """`hidden` without repeats, else a WHAT/WHY/HOW ValueError naming unknown layers."""
    unknown = [name for name in hidden if name not in layers]
    if unknown:
        raise ValueError(
            format_message(
                f"Cannot hide layer(s) {unknown}: the scene has no layer by that name.",
                "layers are named 'field', after each region and after each overlay.",
                [f"Use names from {layers}."],
            )
        )
    return list(dict.fromkeys(hidden))
