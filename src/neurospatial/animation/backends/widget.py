"""The notebook player (``backend="widget"``): an anywidget whose browser side owns the clock.

The browser module (``animation/web/player.js``, shared with the served app)
plays at the scene's frame rate, keeps a window of decoded frames and asks for
the frames it lacks; a worker thread here renders them with one `Compositor`,
encodes them as JPEG and sends them in binary chunks. A new request replaces
the one being served (the latest scrub wins); the browser never draws a frame
whose moment has passed. Python round trips are per window, not per frame.

The player's ``frame`` follows the browser when it is paused, scrubbed or
stepped, and moves it when set from Python; `Player.holoviews` gives a
HoloViews view that follows it (zoom, hover).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets
import xarray as xr

from neurospatial.animation.render.raster import Compositor
from neurospatial.errors import format_message

__all__ = ["JPEG_QUALITY", "Player", "show_widget"]

#: JPEG quality of the frames sent to the browser (800x600 demo frames: ~55 kB).
JPEG_QUALITY = 85
#: A chunk is sent once it holds this many frames or took this long to render.
_CHUNK_FRAMES = 4
_CHUNK_SECONDS = 0.05
#: Frames aligned around a frame asked for outside the current window.
_SCRUB_BEHIND, _SCRUB_AHEAD = 24, 48
_WEB = Path(__file__).resolve().parents[1] / "web"


def show_widget(
    scene: xr.DataTree,
    *,
    fps: float,
    dpi: float = 100,
    show_colorbar: bool = True,
    frame: int = 0,
    speed: float = 1.0,
    loop: bool = False,
    hidden: list[str] | tuple[str, ...] = (),
) -> Player:
    """The ``widget`` backend: a `Player` for `scene` (displays itself in Jupyter)."""
    return Player(
        scene,
        fps=fps,
        dpi=dpi,
        show_colorbar=show_colorbar,
        frame=frame,
        speed=speed,
        loop=loop,
        hidden=list(hidden),
    )


class Player(anywidget.AnyWidget):
    """A scene played in the notebook: picture, play/pause, speed, loop, time slider,
    previous/next frame and layer toggles.

    Parameters
    ----------
    scene : xr.DataTree
        From `build_scene`, `open_scene` or `align_scene`; a store-backed scene is
        read window by window, never whole.
    fps : float, optional
        Playback rate at 1x (default: the scene's ``fps``).
    dpi : float
        100 gives 800 x 600 pixels.
    show_colorbar : bool
    frame : int
        The frame shown first.
    speed : float
        0.25, 0.5, 1, 2 or 4.
    loop : bool
    hidden : list of str
        Layers not drawn (names from ``player.layers``).

    Attributes
    ----------
    frame : int
        The frame on screen when paused (set it to seek).
    playing, speed, loop, hidden
        Synced with the browser both ways.
    layers : list of str
        The layers that can be hidden: ``"field"``, each region, each overlay.
    """

    _esm = (_WEB / "player.js").read_text(encoding="utf-8")
    _css = (_WEB / "player.css").read_text(encoding="utf-8")

    n_frames = traitlets.Int(0).tag(sync=True)
    fps = traitlets.Float(30.0).tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    speed = traitlets.Float(1.0).tag(sync=True)
    loop = traitlets.Bool(False).tag(sync=True)
    layers = traitlets.List(traitlets.Unicode()).tag(sync=True)
    hidden = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _times = traitlets.Bytes(b"").tag(sync=True)
    _generation = traitlets.Int(0).tag(sync=True)
    _poster = traitlets.Bytes(b"").tag(sync=True)
    _poster_frame = traitlets.Int(0).tag(sync=True)

    def __init__(
        self,
        scene: xr.DataTree,
        *,
        fps: float | None = None,
        dpi: float = 100,
        show_colorbar: bool = True,
        frame: int = 0,
        speed: float = 1.0,
        loop: bool = False,
        hidden: list[str] | None = None,
    ) -> None:
        from neurospatial.animation.validation import check_rate

        rate = check_rate(scene.attrs["fps"] if fps is None else fps, "fps")
        compositor = Compositor(scene, dpi=dpi, show_colorbar=show_colorbar)
        try:
            info = compositor.info
            names = ["field", *(r.name for r in info.regions)]
            names += json.loads(scene.attrs.get("overlays", "[]"))
            layers = list(dict.fromkeys(names))
            hidden = _check_hidden(list(hidden or []), layers)
            frame = _check_frame(frame, compositor.n_frames)
            speed = _check_speed(speed)
            poster = _encode(compositor.render(frame, hidden=set(hidden)))
        except BaseException:
            compositor.close()
            raise
        super().__init__(
            n_frames=compositor.n_frames,
            fps=rate,
            width=compositor.width,
            height=compositor.height,
            title=info.title,
            frame=frame,
            speed=speed,
            loop=bool(loop),
            layers=layers,
            hidden=hidden,
            _times=np.ascontiguousarray(compositor.times, dtype="<f8").tobytes(),
            _poster=poster,
            _poster_frame=frame,
        )
        self.scene = scene
        self.error: str | None = None  # the last rendering error, if any
        self._renderer = _Renderer(self, compositor)
        self.on_msg(self._on_message)
        self._renderer.start()

    # ------------------------------------------------------------------ public
    def holoviews(self, **options: Any) -> Any:
        """A HoloViews view of the scene (`to_holoviews` options) that shows the player's
        frame and layers: it follows when the player is paused, scrubbed or stepped,
        when ``player.frame`` is set, and when layers are hidden or shown."""
        import holoviews as hv

        from neurospatial.animation.render.holoviews_ import HoloViewsView

        view = HoloViewsView(self.scene, **options)
        state = hv.streams.Stream.define("PlayerState", frame=self.frame, hidden=self.hidden)()

        def follow(change: dict[str, Any]) -> None:
            state.event(**{change["name"]: change["new"]})

        self.observe(follow, names=["frame", "hidden"])
        return hv.DynamicMap(view, streams=[state])

    def close(self) -> None:
        """Stop the rendering thread, close the compositor and the widget."""
        renderer = getattr(self, "_renderer", None)
        if renderer is not None:
            renderer.stop()
        super().close()

    # ------------------------------------------------------------- validation
    @traitlets.validate("frame")
    def _valid_frame(self, proposal: dict[str, Any]) -> int:
        return _check_frame(proposal["value"], self.n_frames)

    @traitlets.validate("speed")
    def _valid_speed(self, proposal: dict[str, Any]) -> float:
        return _check_speed(proposal["value"])

    @traitlets.validate("hidden")
    def _valid_hidden(self, proposal: dict[str, Any]) -> list[str]:
        return _check_hidden(list(proposal["value"]), self.layers)

    @traitlets.observe("hidden")
    def _hidden_changed(self, change: dict[str, Any]) -> None:
        if set(change["old"] or ()) != set(change["new"] or ()):
            self._generation += 1  # the browser drops its frames and asks again

    # ----------------------------------------------------------------- kernel
    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "want":
            return
        try:
            gen, start, stop, step = (int(content[k]) for k in ("gen", "start", "stop", "step"))
        except (KeyError, TypeError, ValueError):
            return
        if gen != self._generation:
            return  # asked before the layers changed: a new request follows
        start, stop = max(0, start), min(self.n_frames, stop)
        if start < stop:
            self._renderer.submit((gen, range(start, stop, max(1, step)), frozenset(self.hidden)))


class _Renderer(threading.Thread):
    """Renders the latest request's frames in order and sends them in chunks."""

    def __init__(self, player: Player, compositor: Compositor) -> None:
        super().__init__(name="neurospatial-player", daemon=True)
        self._player = player
        self._compositor = compositor
        self._wake = threading.Condition()
        self._pending: tuple[int, range, frozenset[str]] | None = None
        self._stopped = False
        # (generation, step, next frame) of the request being served: a request that
        # extends it continues from there instead of sending its frames again.
        self._cursor: tuple[int, int, int] | None = None
        self._spent: deque[float] = deque(maxlen=16)  # seconds of the last frames

    def submit(self, request: tuple[int, range, frozenset[str]]) -> None:
        with self._wake:
            self._pending = request  # replaces a request not yet started or in progress
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()

    def _superseded(self) -> bool:
        return self._pending is not None or self._stopped

    def run(self) -> None:
        try:
            while True:
                with self._wake:
                    while self._pending is None and not self._stopped:
                        self._wake.wait()
                    if self._stopped:
                        return
                    request, self._pending = self._pending, None
                if request is None:
                    continue
                try:
                    self._serve(*request)
                except Exception as exc:  # shown in the player, kept on the Python side
                    self._player.error = f"{type(exc).__name__}: {exc}"
                    self._player.send({"type": "error", "message": self._player.error})
        finally:
            self._compositor.close()

    def _serve(self, gen: int, frames: range, hidden: frozenset[str]) -> None:
        compositor = self._compositor
        cursor = self._cursor
        if cursor is not None and cursor[:2] == (gen, frames.step) and cursor[2] in frames:
            # Asked again for frames this request already sent (they are on their way
            # to the browser) and for more after them: go on where it stopped.
            frames = range(cursor[2], frames.stop, frames.step)
        index: list[int] = []
        buffers: list[bytes] = []
        began = time.perf_counter()
        for k, i in enumerate(frames):
            if self._superseded():
                break
            tic = time.perf_counter()
            # One window around a scrub's target: the next scrubs nearby reuse it.
            compositor.prefetch(i, max(frames.stop, i + _SCRUB_AHEAD), behind=_SCRUB_BEHIND)
            index.append(i)
            buffers.append(_encode(compositor.render(i, hidden=hidden)))
            self._cursor = (gen, frames.step, i + frames.step)
            self._spent.append(time.perf_counter() - tic)
            full = len(index) >= _CHUNK_FRAMES or time.perf_counter() - began > _CHUNK_SECONDS
            if k == 0 or full:  # the first frame of a request goes at once (scrubs)
                self._send(gen, index, buffers)
                index, buffers, began = [], [], time.perf_counter()
        if index:
            self._send(gen, index, buffers)

    def _send(self, gen: int, index: list[int], buffers: list[bytes]) -> None:
        # "cost": seconds per frame spent rendering and encoding (the browser asks
        # for every n-th frame when fps x speed needs more than that allows).
        cost = float(np.median(self._spent)) if self._spent else None
        message = {"type": "frames", "gen": gen, "index": index, "cost": cost}
        self._player.send(message, buffers)


def _encode(canvas: np.ndarray) -> bytes:
    import cv2

    bgr = cv2.cvtColor(canvas, cv2.COLOR_RGBA2BGR)
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise RuntimeError("OpenCV could not encode a frame as JPEG.")
    return bytes(data)


def _check_frame(frame: Any, n_frames: int) -> int:
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


_SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)


def _check_speed(speed: Any) -> float:
    value = float(speed)
    if value not in _SPEEDS:
        raise ValueError(
            format_message(
                f"speed={speed!r} is not one of the player's speeds.",
                "the player plays at 0.25x to 4x the scene's frame rate, in steps of 2x.",
                [f"Pass one of {list(_SPEEDS)}."],
            )
        )
    return value


def _check_hidden(hidden: list[str], layers: list[str]) -> list[str]:
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
