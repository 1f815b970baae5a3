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

import asyncio
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets
import xarray as xr

from neurospatial.animation.backends.live import (
    FOLLOW_AFTER_S,
    JPEG_QUALITY,
    FrameServer,
    check_frame,
    check_hidden,
    check_speed,
    encode_jpeg,
    layer_names,
    parse_want,
)
from neurospatial.animation.render.raster import Compositor

__all__ = ["JPEG_QUALITY", "Player", "show_widget"]

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
    image_width = traitlets.Int(0).tag(sync=True)
    image_height = traitlets.Int(0).tag(sync=True)
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
            layers = layer_names(scene, compositor)
            hidden = check_hidden(list(hidden or []), layers)
            frame = check_frame(frame, compositor.n_frames)
            speed = check_speed(speed)
            poster = encode_jpeg(compositor.render(frame, hidden=set(hidden)))
        except BaseException:
            compositor.close()
            raise
        super().__init__(
            n_frames=compositor.n_frames,
            fps=rate,
            image_width=compositor.width,
            image_height=compositor.height,
            title=compositor.info.title,
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
        self._renderer = FrameServer(compositor, self._send_frames)
        self.on_msg(self._on_message)
        self._renderer.start()

    @property
    def error(self) -> str | None:
        """The last error met while rendering frames, if any (also shown in the player)."""
        return self._renderer.error

    # ------------------------------------------------------------------ public
    def holoviews(self, **options: Any) -> Any:
        """A HoloViews view of the scene (`to_holoviews` options) that shows the player's
        frame and layers: it follows a frame chosen in the browser (paused, scrubbed,
        stepped) once it has rested `FOLLOW_AFTER_S` (0.8 s), and at once when
        ``player.frame`` is set or layers are hidden or shown."""
        import holoviews as hv

        from neurospatial.animation.render.holoviews_ import HoloViewsView

        _load_bokeh_extension()
        view = HoloViewsView(self.scene, **options)
        state = hv.streams.Stream.define("PlayerState", frame=self.frame, hidden=self.hidden)()
        pending: dict[str, Any] = {}  # changes not shown yet
        timer: asyncio.TimerHandle | None = None

        def show() -> None:
            if pending:
                state.event(**pending)
                pending.clear()

        def follow(change: dict[str, Any]) -> None:
            nonlocal timer
            pending[change["name"]] = change["new"]
            if timer is not None:
                timer.cancel()
                timer = None
            loop = _running_loop()
            # A frame chosen in the browser (scrub, step, pause) is followed once it
            # has rested, so the view's update never holds up the frames a scrub
            # asks for; a frame set from Python, and a layer toggle, at once.
            from_browser = change["name"] in getattr(self, "_property_lock", {})
            if loop is None or change["name"] != "frame" or not from_browser:
                show()
            else:
                timer = loop.call_later(FOLLOW_AFTER_S, show)

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
        return check_frame(proposal["value"], self.n_frames)

    @traitlets.validate("speed")
    def _valid_speed(self, proposal: dict[str, Any]) -> float:
        return check_speed(proposal["value"])

    @traitlets.validate("hidden")
    def _valid_hidden(self, proposal: dict[str, Any]) -> list[str]:
        return check_hidden(list(proposal["value"]), self.layers)

    @traitlets.observe("hidden")
    def _hidden_changed(self, change: dict[str, Any]) -> None:
        if set(change["old"] or ()) != set(change["new"] or ()):
            self._generation += 1  # the browser drops its frames and asks again

    # ----------------------------------------------------------------- kernel
    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        want = parse_want(content, self._generation, self.n_frames)
        if want is not None:
            self._renderer.submit(*want, frozenset(self.hidden))

    def _send_frames(self, message: dict[str, Any], jpegs: list[bytes]) -> None:
        self.send(message, jpegs)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running this code (an IPython kernel's), if any."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _load_bokeh_extension() -> None:
    """In Jupyter, HoloViews' Bokeh extension with its JavaScript inline, unless an
    extension is loaded already: without one the view shows as text, and by default
    BokehJS comes from a CDN, so on a machine offline (a cluster node, say) the view
    stays blank while the player, which needs no network, plays."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    from holoviews.ipython import notebook_extension

    shell = get_ipython()
    if not hasattr(shell, "kernel") or getattr(notebook_extension, "_loaded", False):
        return
    import holoviews as hv

    hv.extension("bokeh", inline=True, logo=False)
