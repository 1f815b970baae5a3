"""The served app (``neurospatial serve``): the browser player, a HoloViews view and controls.

`SceneApp` is a ``pn.viewable.Viewer``: it serves a scene with `serve`, and
displays in a notebook like any Panel object (after ``pn.extension()``). Its
player is the notebook widget's browser module (``animation/web/player.js``) in
Panel's ``AnyWidgetComponent``: the page runs the clock and holds a window of
frames that a `FrameServer` thread renders ahead; Python is reached once per
window, never per frame. The HoloViews view (zoom, hover) follows the player's
frame once it rests (paused, scrubbed or stepped), not while playing.
"""

from __future__ import annotations

import gc
import html
import ipaddress
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import panel as pn
import param
import xarray as xr
from panel.custom import AnyWidgetComponent

from neurospatial.animation.backends.live import (
    FOLLOW_AFTER_S,
    SPEEDS,
    FrameServer,
    encode_jpeg,
    layer_names,
    parse_want,
)
from neurospatial.animation.render.raster import Compositor
from neurospatial.animation.scene import restyle_scene
from neurospatial.animation.summary import format_summary, scene_summary
from neurospatial.errors import format_message

__all__ = ["COLORMAPS", "SceneApp", "is_loopback", "make_server", "websocket_origins"]

_WEB = Path(__file__).resolve().parents[1] / "web"
#: Colour maps offered by the app (the scene's own is added when not among them).
COLORMAPS = (
    "viridis",
    "magma",
    "inferno",
    "plasma",
    "cividis",
    "turbo",
    "hot",
    "gray",
    "bone",
    "coolwarm",
    "RdBu_r",
    "Spectral_r",
)


class PlayerPane(AnyWidgetComponent):
    """The browser player (the notebook widget's module) as a Panel component."""

    _esm = _WEB / "player.js"
    # Panel holds each change from the page for 50 ms by default (to batch them);
    # a request for frames must go at once.
    _debounce = 0
    _stylesheets = [(_WEB / "player.css").read_text(encoding="utf-8")]  # noqa: RUF012

    n_frames = param.Integer(0, bounds=(0, None), doc="Frames in the scene.")
    fps = param.Number(30.0, bounds=(0, None), doc="Frames per second at 1x.")
    image_width = param.Integer(0, bounds=(0, None), doc="Frame width in pixels.")
    image_height = param.Integer(0, bounds=(0, None), doc="Frame height in pixels.")
    title = param.String("", doc="The scene's title (the picture's label).")
    frame = param.Integer(0, bounds=(0, None), doc="The frame on screen when paused.")
    playing = param.Boolean(False, doc="Whether the clock runs.")
    speed: param.Selector = param.Selector(default=1.0, objects=list(SPEEDS), doc="Playback speed.")
    loop = param.Boolean(False, doc="Start again at the end.")
    layers = param.List([], item_type=str, doc="Layers that can be hidden.")
    hidden = param.List([], item_type=str, doc="Layers not drawn.")
    _times = param.Bytes(b"", doc="Frame times, float64 little-endian.")
    _generation = param.Integer(0, doc="Bumped when the frames change look.")
    _poster = param.Bytes(b"", doc="The first frame shown, JPEG.")
    _poster_frame = param.Integer(0, doc="The poster's frame.")
    _want = param.Dict({}, doc="The browser's latest request for frames.")


class SceneApp(pn.viewable.Viewer):
    """A scene in the browser: the player, a HoloViews view that follows it, colour
    controls and what ``neurospatial info`` says about the scene.

    Parameters
    ----------
    scene : xr.DataTree
        From `build_scene`, `open_scene` or `align_scene`; a store-backed scene is read
        window by window, never whole.
    dpi : float
        100 gives 800 x 600 player frames.
    hv_width : int
        Width of the HoloViews view in screen pixels.
    summary : str, optional
        The side panel's text (default: `format_summary` of the scene).
    **params
        Initial values of the parameters below.

    Examples
    --------
    >>> import panel as pn
    >>> from neurospatial.animation import open_scene
    >>> app = SceneApp(open_scene("session.zarr"))  # doctest: +SKIP
    >>> app.servable()  # doctest: +SKIP
    """

    frame = param.Integer(0, bounds=(0, 0), doc="The frame shown when paused (set it to seek).")
    playing = param.Boolean(False, doc="Whether the player is playing.")
    speed: param.Selector = param.Selector(
        default=1.0, objects=list(SPEEDS), doc="Playback speed, x fps."
    )
    loop = param.Boolean(False, doc="Start again at the end.")
    hidden = param.ListSelector(default=[], objects=[], doc="Layers not drawn.")
    cmap: param.Selector = param.Selector(
        default="viridis", objects=list(COLORMAPS), doc="Field colour map."
    )
    vmin = param.Number(0.0, doc="Field value drawn with the colour map's first colour.")
    vmax = param.Number(1.0, doc="Field value drawn with the colour map's last colour.")

    def __init__(
        self,
        scene: xr.DataTree,
        *,
        dpi: float = 100,
        hv_width: int = 480,
        summary: str | None = None,
        **params: Any,
    ) -> None:
        self._scene = scene
        self._dpi = float(dpi)
        compositor = Compositor(scene, dpi=dpi)
        try:
            layers = layer_names(scene, compositor)
            n = compositor.n_frames
            cmap = str(scene.attrs["cmap"])
            super().__init__()
            # Per instance (after __init__: before it, these would change the class).
            self.param.frame.bounds = (0, max(n - 1, 0))
            self.param.hidden.objects = layers
            if cmap not in self.param.cmap.objects:
                self.param.cmap.objects = [cmap, *self.param.cmap.objects]
            defaults = {"cmap": cmap, "vmin": scene.attrs["vmin"], "vmax": scene.attrs["vmax"]}
            with param.parameterized.discard_events(self):  # no player to tell yet
                self.param.update(**{**defaults, **params})
            restyled = self._restyled()
            if restyled is not scene:
                compositor.close()
                compositor = Compositor(restyled, dpi=dpi)
            poster = encode_jpeg(compositor.render(self.frame, hidden=set(self.hidden)))
        except BaseException:
            compositor.close()
            raise
        self._player = PlayerPane(
            n_frames=n,
            fps=float(scene.attrs["fps"]),
            image_width=compositor.width,
            image_height=compositor.height,
            title=compositor.info.title,
            frame=self.frame,
            playing=self.playing,
            speed=self.speed,
            loop=self.loop,
            layers=layers,
            hidden=list(self.hidden),
            _times=np.ascontiguousarray(compositor.times, dtype="<f8").tobytes(),
            _poster=poster,
            _poster_frame=self.frame,
            width=compositor.width,
            height=compositor.height + 90,  # the picture and two rows of controls
        )
        self._server = FrameServer(compositor, self._send_frames)
        self._player.param.watch(self._on_want, "_want")
        self._player.param.watch(self._from_player, ["frame", "playing", "speed", "loop", "hidden"])
        self._player.param.watch(self._hidden_changed, "hidden")
        self._server.start()
        self._hv_width = int(hv_width)
        self._summary = summary if summary is not None else format_summary(scene_summary(scene))
        self._layout: pn.viewable.Viewable | None = None
        self._view: Any = None  # the HoloViews callback and its stream, made when shown
        self._follow_seen: dict[str, Any] | None = None  # what _follow saw last
        self._follow_due = 0.0

    # ------------------------------------------------------------------ public
    @property
    def scene(self) -> xr.DataTree:
        """The scene as given (colour changes make restyled copies of it)."""
        return self._scene

    @property
    def layers(self) -> list[str]:
        """Layers that can be hidden: ``"field"``, each region, each overlay."""
        return list(self.param.hidden.objects)

    @property
    def error(self) -> str | None:
        """The last error met while rendering frames or changing colours, if any."""
        return self._server.error

    def close(self) -> None:
        """Stop rendering frames (the browser session ended)."""
        self._server.stop()

    def __panel__(self) -> pn.viewable.Viewable:
        if self._layout is None:
            self._layout = self._build_layout()
        return self._layout

    # ---------------------------------------------------------------- parameters
    @param.depends("frame", "playing", "speed", "loop", "hidden", watch=True)
    def _to_player(self) -> None:
        self._player.param.update(
            frame=self.frame,
            playing=self.playing,
            speed=self.speed,
            loop=self.loop,
            hidden=list(self.hidden),
        )

    def _from_player(self, *events: param.parameterized.Event) -> None:
        self.param.update(**{e.name: e.new for e in events})

    def _hidden_changed(self, event: param.parameterized.Event) -> None:
        # Every change of the layers passes through the player's parameter, from
        # the page or from Python.
        if set(event.old or ()) != set(event.new or ()):
            self._player._generation += 1  # the browser drops its frames and asks again

    @param.depends("cmap", "vmin", "vmax", watch=True)
    def _restyle(self) -> None:
        try:
            restyled = self._restyled()
        except ValueError as exc:
            self._show_message(str(exc))
            return
        self._show_message("")
        self._server.replace(Compositor(restyled, dpi=self._dpi))
        self._player._generation += 1
        if self._view is not None:
            self._hv_pane.object = self._make_view(restyled)

    def _restyled(self) -> xr.DataTree:
        return restyle_scene(self._scene, cmap=self.cmap, vmin=self.vmin, vmax=self.vmax)

    # ------------------------------------------------------------------ frames
    def _on_want(self, event: param.parameterized.Event) -> None:
        want = parse_want(event.new, self._player._generation, self._player.n_frames)
        if want is not None:
            self._server.submit(*want, frozenset(self.hidden))

    def _send_frames(self, message: dict[str, Any], jpegs: list[bytes]) -> None:
        # From the FrameServer's thread: Panel queues it on the session's event loop.
        self._player.send({**message, "jpegs": jpegs})

    # ------------------------------------------------------------------ layout
    def _build_layout(self) -> pn.viewable.Viewable:
        title = str(self._scene.attrs.get("title") or "")
        heading = pn.pane.HTML(
            f"<h2 class='nsanim-title'>{html.escape(title or 'neurospatial')}</h2>",
            margin=(0, 10),
        )
        self._message = pn.pane.HTML("", margin=(0, 10), styles={"color": "#b00020"})
        cmap = pn.widgets.Select.from_param(self.param.cmap, name="Colour map", width=160)
        low = pn.widgets.FloatInput.from_param(self.param.vmin, name="vmin", width=110)
        high = pn.widgets.FloatInput.from_param(self.param.vmax, name="vmax", width=110)
        colours = pn.Row(cmap, low, high)
        # The zoomable view comes once the page has loaded: the player first.
        self._view_box = pn.Column(
            pn.pane.HTML("<i>Loading the zoomable view…</i>", margin=(0, 10)),
            min_width=self._hv_width + 120,
        )
        pn.state.onload(self._show_view)
        info = pn.pane.HTML(
            f"<pre class='nsanim-info'>{html.escape(self._summary)}</pre>",
            sizing_mode="stretch_width",
        )
        pn.state.add_periodic_callback(self._follow, period=100)
        return pn.Row(
            pn.Column(heading, self._player, colours, self._message),
            pn.Column(self._view_box, pn.pane.HTML("<b>Scene</b>", margin=(0, 10)), info),
        )

    def _show_view(self) -> None:
        self._hv_pane = pn.pane.HoloViews(self._make_view(self._restyled()), linked_axes=False)
        self._view_box[:] = [self._hv_pane]

    def _make_view(self, scene: xr.DataTree) -> Any:
        import holoviews as hv

        from neurospatial.animation.render.holoviews_ import HoloViewsView

        view = HoloViewsView(scene, frame_width=self._hv_width)
        state = {"frame": self.frame, "hidden": list(self.hidden)}
        stream = hv.streams.Stream.define("PlayerState", **state)()
        self._view = (view, stream)
        return hv.DynamicMap(view, streams=[stream])

    def _follow(self) -> None:
        """Every 100 ms: once the frame and the layers rested, the HoloViews view shows them."""
        if self._view is None or self.playing:
            return
        _, stream = self._view
        wanted = {"frame": self.frame, "hidden": list(self.hidden)}
        if stream.contents == wanted:
            self._follow_seen = None
            return
        now = time.monotonic()
        if wanted != self._follow_seen:  # changed since the last look: wait again
            self._follow_seen, self._follow_due = wanted, now + FOLLOW_AFTER_S
        elif now >= self._follow_due:
            self._follow_seen = None
            view, _ = self._view
            plots = [plot for plot, _ in getattr(self._hv_pane, "_plots", {}).values()]
            served = len(plots) == 1 and plots[0].renderer.mode == "server"
            if served and view.redraw(plots[0], **wanted):
                stream.update(**wanted)  # what the view shows, without HoloViews' update
            else:
                stream.event(**wanted)

    def _show_message(self, text: str) -> None:
        message = getattr(self, "_message", None)
        if message is not None:
            message.object = f"<pre>{html.escape(text)}</pre>" if text else ""


# --------------------------------------------------------------------------- serving
def is_loopback(address: str) -> bool:
    """Whether `address` (an IP or ``localhost``) is reachable only from this machine."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def websocket_origins(address: str, port: int, extra: Sequence[str] = ()) -> list[str]:
    """Browser origins allowed to open the app's websocket: the bound address and
    port (with ``localhost`` for a loopback address), and `extra` ones."""
    origins = [f"{address}:{port}"]
    if is_loopback(address):
        origins += [f"localhost:{port}", f"127.0.0.1:{port}"]
    elif address in ("0.0.0.0", "::"):
        import socket

        origins += [f"{socket.gethostname()}:{port}", f"{socket.getfqdn()}:{port}"]
    return list(dict.fromkeys([*origins, *extra]))


def make_server(
    scene: xr.DataTree,
    *,
    port: int = 5006,
    address: str = "127.0.0.1",
    allow_origins: Sequence[str] = (),
    title: str | None = None,
    summary: str | None = None,
    dpi: float = 100,
) -> Any:
    """A Bokeh server (not started) showing `scene` at ``http://address:port/``, one
    `SceneApp` per browser session. It serves only this scene."""

    _check_bindable(address, port)
    # Render one frame now: a scene that cannot be drawn fails before the URL is
    # printed, and the first browser session does not wait for the imports.
    with Compositor(scene, dpi=dpi) as compositor:
        encode_jpeg(compositor.render(0))
    # Panel, Bokeh, HoloViews and matplotlib leave ~10^6 long-lived objects; a full
    # garbage collection walks them all (~200 ms, seen stalling a scrub's frame).
    # Frozen, they are left out of collections (objects made later are collected).
    import holoviews  # noqa: F401  (imported by the first page's view: freeze it too)

    from neurospatial.animation.render import holoviews_  # noqa: F401

    gc.collect()
    gc.freeze()

    def session() -> pn.viewable.Viewable:
        app = SceneApp(scene, dpi=dpi, summary=summary)
        pn.state.on_session_destroyed(lambda _context: app.close())
        return app.__panel__()

    page_title = str(title if title is not None else scene.attrs.get("title") or "neurospatial")
    try:
        return pn.serve(
            {"/": session},
            port=port,
            address=address,
            websocket_origin=websocket_origins(address, port, allow_origins),
            show=False,
            start=False,
            title=page_title,
            verbose=False,
        )
    except OSError as exc:  # taken between the check and now
        raise _unbindable(address, port, exc) from exc


def _check_bindable(address: str, port: int) -> None:
    """Raise our error if nothing can listen on `address`:`port` (checked with a
    socket of our own, closed at once: Tornado leaks the one that fails)."""
    import socket

    try:
        infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise _unbindable(address, port, exc) from exc
    family, kind, proto, _, where = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Tornado does
        try:
            probe.bind(where)
        except OSError as exc:
            raise _unbindable(address, port, exc) from exc


def _unbindable(address: str, port: int, exc: OSError) -> ValueError:
    return ValueError(
        format_message(
            f"Cannot listen on {address}:{port}: {exc.strerror or exc}.",
            "another program may use that port, or the address is not this machine's.",
            [
                "Pick another port with --port.",
                "Use an address of this machine with --address (default 127.0.0.1).",
            ],
        )
    )
