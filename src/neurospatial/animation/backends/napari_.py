"""The ``napari`` backend (optional extra): a scene as napari layers, lazily.

`add_scene` translates a scene into layers of any napari viewer (a
``napari.Viewer`` or, without a display, a ``napari.components.ViewerModel``):

* the field as an Image over ``(time, y, x)`` (``(time, z, y, x)`` for a 3D grid,
  shown as a volume) showing `field_image`'s pixels, read a block of frames at a
  time (a stored scene's straight from its store), never loaded whole; the scene's
  colour map and limits; NaN transparent; any layout;
* each position overlay as Points with its trail as Vectors, the last
  ``trail_length`` moves ("Position", "Position 2", ...);
* each pose overlay as Points coloured per keypoint and its skeleton as Vectors
  (an edge whose end is missing is left out);
* each heading as Vectors drawn as arrows from the layer model's anchor;
* each video as an RGB Image placed by a 4x4 affine from its calibration (the y
  flip included), read a frame at a time;
* the regions as Shapes (polygons filled at ``region_alpha``, points as circles).

The overlay layers hold only what the current frame shows and are rewritten when
the time slider moves (napari re-slices every item of a layer on every step, so
layers over all frames cost 100-200 ms a step at 100,000 frames).

Everything is in world coordinates (environment units; time in seconds along the
first axis), and the 2D view has y up, so the cursor reads environment units.
`ScenePlayer` plays at the scene's frame rate by the clock, dropping frames the
display cannot keep up with instead of falling behind.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from neurospatial.errors import format_message

if TYPE_CHECKING:
    from collections.abc import Callable

    import napari

__all__ = ["ScenePlayer", "add_scene", "player_of", "show_napari"]

#: World units per point of marker size (markers are sized in points elsewhere; here
#: in environment units, about as large as in a 100 cm arena's 800 x 600 frame).
_PT = 0.3
#: What the ImportError says when napari is missing.
INSTALL = 'pip install "neurospatial[napari]"'


def _require_napari() -> Any:
    try:
        import napari
    except ImportError as exc:
        raise ImportError(
            format_message(
                "The napari backend needs napari, which is not installed.",
                "napari is an optional extra: it is large (Qt, OpenGL) and only needed "
                "for this backend.",
                [f"Install it: {INSTALL}.", "Or use backend='video', 'html' or 'widget'."],
            )
        ) from exc
    return napari


def show_napari(
    scene: xr.DataTree,
    *,
    fps: float,
    dpi: float = 100,
    show_colorbar: bool = True,
    block: bool = False,
    play: bool = False,
) -> napari.Viewer:
    """The ``napari`` backend: a ``napari.Viewer`` showing `scene` (non-blocking;
    ``block=True`` runs napari's event loop until the window closes, for scripts).
    ``play=True`` starts playback at once; the space bar plays and pauses."""
    napari = _require_napari()
    del dpi, show_colorbar  # napari draws its own canvas and colour bars
    title = str(scene.attrs.get("title") or "neurospatial")
    viewer = napari.Viewer(title=title)
    add_scene(viewer, scene)
    player = ScenePlayer(viewer, fps=float(fps))
    viewer.bind_key("Space", lambda _viewer: player.toggle(), overwrite=True)
    viewer.window.neurospatial_player = player  # kept alive with the window
    if play:
        player.play()
    if block:
        napari.run()
    return viewer


def player_of(viewer: napari.Viewer) -> ScenePlayer:
    """The `ScenePlayer` of a viewer made by the napari backend (space plays/pauses)."""
    player: ScenePlayer = viewer.window.neurospatial_player
    return player


# ------------------------------------------------------------------------ layers
def add_scene(viewer: Any, scene: xr.DataTree) -> dict[str, Any]:
    """Add `scene`'s layers to `viewer`; returns them by layer name.

    The field and video layers span the time axis (read a block of frames or one
    frame at a time); the overlay layers hold what the current frame shows and are
    updated when the time slider moves, so a step costs the same for 100 or 100,000
    frames.
    """
    from neurospatial.animation.alignment import align_window
    from neurospatial.animation.render.field_image import field_pixels, image_axes, image_dims
    from neurospatial.animation.render.model import scene_info
    from neurospatial.animation.store import scene_dataset

    info = scene_info(scene)
    env = info.env
    times = info.times
    dt = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    # `field_image`'s pixels, read without dask (a stored scene's straight from its store).
    axes, spatial = image_axes(env), image_dims(env)
    steps = [float(axes[d][1] - axes[d][0]) if len(axes[d]) > 1 else 1.0 for d in spatial]
    origin = [float(axes[d][0]) for d in spatial]
    layers: dict[str, Any] = {}
    values = scene_dataset(scene, "fields", direct=True)["field"].variable
    to_pixels = field_pixels(env)

    def read(start: int, stop: int) -> NDArray[np.float64]:
        return to_pixels(np.asarray(values[start:stop]))

    layers["Field"] = viewer.add_image(
        _CachedFrames(read, (len(times), *(len(axes[d]) for d in spatial))),
        name="Field",
        colormap=_colormap(info.cmap),
        contrast_limits=(info.vmin, info.vmax),
        scale=(dt, *steps),
        translate=(float(times[0]) if len(times) else 0.0, *origin),
        rendering="mip" if env.n_dims == 3 else "translucent",
        metadata={"kind": "field"},
    )
    names = json.loads(scene.attrs.get("overlays", "[]"))
    anchors: dict[str, NDArray[np.float64]] = {}
    counts: dict[str, int] = {}
    updates: list[Any] = []
    # Every overlay sampled at every frame, in memory: a stored scene's samples are
    # read straight from the store (0.1 s for 100,000 frames of three overlays, 0.5 s
    # through dask's scheduler). A video keeps its pictures where they are.
    aligned = align_window(scene, direct=True).overlays
    loaded = {n: ds if ds.attrs["kind"] == "video" else ds.load() for n, ds in aligned.items()}
    for name in names:
        ds = loaded[name]
        kind = str(ds.attrs["kind"])
        counts[kind] = counts.get(kind, 0) + 1
        label = _LABELS.get(kind, kind.title())
        label = label if counts[kind] == 1 else f"{label} {counts[kind]}"
        if kind == "position":
            xy = np.asarray(ds["position"].transpose("time", "space").values, np.float64)
            anchors[name] = xy
            made, update = _position_layers(viewer, label, ds, xy)
        elif kind == "bodypart":
            made, update = _pose_layers(viewer, label, ds)
            anchors.setdefault(name, _pose_anchor(ds))
        elif kind == "head_direction":
            made, update = _heading_layers(viewer, label, ds, anchors, env)
        elif kind == "video":
            stored = scene["overlays"][name].to_dataset()
            made, update = _video_layers(viewer, label, stored, ds, times, dt), None
        else:
            continue
        layers.update(made)
        if update is not None:
            updates.append(update)
    layers.update(_region_layers(viewer, info))
    viewer.dims.axis_labels = ("time (s)", *(f"{d} ({env.units})" for d in spatial))
    camera = _camera(viewer)
    if env.n_dims == 2 and camera is not None:
        camera.orientation2d = ("up", "right")  # y up, as in every other view
    if hasattr(viewer, "reset_view"):
        viewer.reset_view()
    n_frames = len(times)

    def show_frame(_event: Any = None) -> None:
        k = min(max(int(viewer.dims.current_step[0]), 0), max(n_frames - 1, 0))
        for update in updates:
            update(k)

    viewer.dims.events.current_step.connect(show_frame)
    viewer.dims.set_current_step(0, 0)  # the first frame, as every player starts
    show_frame()
    for layer in layers.values():
        if type(layer).__name__ == "Vectors":
            _reuse_mesh_colour(viewer, layer)
    return layers


def _reuse_mesh_colour(viewer: Any, layer: Any) -> None:
    """Keep a Vectors layer's shader compiled while its vectors move.

    vispy's Mesh (which draws napari's Vectors) makes a new colour Function each time
    its data changes, so the shader is rebuilt on every step: about 3.6 ms a layer a
    step here, a third of what the overlays cost. The layer's mesh is given one
    Function to reuse. A viewer without a canvas (``ViewerModel``) or a vispy that
    no longer has this method is left as it is.
    """
    qt_viewer = getattr(getattr(viewer, "window", None), "_qt_viewer", None)
    visuals = getattr(getattr(qt_viewer, "canvas", None), "layer_to_visual", {})
    node: Any = getattr(visuals.get(layer), "node", None)
    build = getattr(node, "_build_color_transform", None)
    if node is None or build is None:
        return
    made: dict[str, Any] = {}

    def reuse(colors: NDArray[Any]) -> Any:
        if colors.ndim == 2 and colors.shape[1] == 1:  # values through a colour map
            return build(colors)
        if "rgba" not in made:
            made["rgba"] = build(colors)
        return made["rgba"]

    node.unfreeze()
    node._build_color_transform = reuse
    node.freeze()


def _camera(viewer: Any) -> Any:
    """The viewer's camera (``viewer.scene.camera`` since napari 0.9)."""
    scene = getattr(viewer, "scene", None)
    if scene is not None and hasattr(scene, "camera"):
        return scene.camera
    return getattr(viewer, "camera", None)


_LABELS = {
    "position": "Position",
    "bodypart": "Pose",
    "head_direction": "Heading",
    "video": "Video",
}


def _colormap(name: str) -> Any:
    """napari's colour map of that name, or the matplotlib one as a napari Colormap."""
    from napari.utils.colormaps import AVAILABLE_COLORMAPS, Colormap

    if name in AVAILABLE_COLORMAPS:
        return name
    from matplotlib import colormaps

    return Colormap(colormaps[name](np.linspace(0, 1, 256)), name=name)


#: At most this many bytes of field pixels in a block of `_CachedFrames` (an 800 x 800
#: raster is 5 MB a frame: 6 frames a block, not 64).
_BLOCK_BYTES = 32 * 2**20


class _CachedFrames:
    """The field image as napari reads it, a frame at a time, from `read(start, stop)`
    (frames ``start:stop``). Stepping (also playback that drops frames) reads blocks of
    up to `block` frames once each (each stored chunk once); a jump reads only the
    frames asked for, and stepping on from there reads blocks again."""

    def __init__(
        self,
        read: Callable[[int, int], NDArray[Any]],
        shape: tuple[int, ...],
        block: int = 64,
    ) -> None:
        frame_bytes = 8 * int(np.prod(shape[1:], dtype=np.int64))
        self._read = read
        self._block = max(1, min(block, _BLOCK_BYTES // max(frame_bytes, 1)))
        self.shape, self.dtype, self.ndim = shape, np.dtype(np.float64), len(shape)
        self._cached: tuple[int, NDArray[Any]] = (0, read(0, 0))
        self._last = -2  # the frame asked for last

    def _frames(self, start: int, stop: int) -> NDArray[Any] | None:
        """Frames ``start:stop`` from the cache (read if need be), or None when they
        span two blocks."""
        first = (start // self._block) * self._block
        if stop - 1 >= first + self._block:
            return None
        held, frames = self._cached
        # Stepping: back one frame, or forward within a block (playback drops frames).
        stepping = -1 <= start - self._last < self._block
        self._last = start
        if not held <= start < stop <= held + len(frames):
            if stepping:
                self._cached = (first, self._read(first, min(self.shape[0], first + self._block)))
            else:
                self._cached = (start, self._read(start, stop))
        held, frames = self._cached
        return frames[start - held : stop - held]

    def __getitem__(self, key: Any) -> NDArray[Any]:
        key = key if isinstance(key, tuple) else (key,)
        first, rest = key[0], key[1:]
        if isinstance(first, int | np.integer):
            n = self.shape[0]
            if not -n <= int(first) < n:
                raise IndexError(f"frame {int(first)} is outside the {n} frames")
            k = int(first) % n
            return self[(slice(k, k + 1), *rest)][0]
        if isinstance(first, slice):  # napari 0.9 asks for frame k as k:k+1
            start, stop, step = first.indices(self.shape[0])
            frames = self._frames(start, stop) if step == 1 and stop > start else None
            if frames is not None:
                return np.asarray(frames[(slice(None), *rest)])
        picked = np.arange(self.shape[0])[first]  # any other frames: read what they span
        if picked.size == 0:
            return np.asarray(self._read(0, 0)[(slice(None), *rest)])
        low = int(picked.min())
        frames = self._read(low, int(picked.max()) + 1)[picked - low]
        return np.asarray(frames[(slice(None), *rest)] if np.ndim(picked) else frames[rest])

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[Any]:
        return self._read(0, self.shape[0])


def _put(layer: Any, data: NDArray[np.float64]) -> None:
    """New coordinates for a layer of a fixed number of items: written in place and
    re-sliced without recomputing its extent or thumbnail (a step must stay cheap)."""
    layer.data[...] = data
    layer.refresh(thumbnail=False, extent=False, highlight=False)


def _show_only(points: Any, shown: NDArray[np.bool_]) -> None:
    """Which of a Points layer's points are drawn, set only when that changes (each
    setting re-slices and redraws the layer: about 1 ms a step)."""
    if not np.array_equal(points.shown, shown):
        points.shown = shown


def _fixed(points: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """(x, y[, z]) points as napari's (y, x[, ...]) rows, NaN rows parked at the first
    finite point (or 0), and which rows are real."""
    points = np.atleast_2d(np.asarray(points, np.float64))
    ok = np.all(np.isfinite(points), axis=1)
    park = points[ok][0] if ok.any() else np.zeros(points.shape[1])
    return np.where(ok[:, None], points, park)[:, ::-1].copy(), ok


def _fixed_vectors(starts: NDArray[np.float64], ends: NDArray[np.float64]) -> NDArray[np.float64]:
    """napari vectors (n, 2, d) of a fixed count: a vector with a missing end becomes
    one of length 0 (not drawn)."""
    a, ok_a = _fixed(starts)
    b, ok_b = _fixed(ends)
    delta = np.where((ok_a & ok_b)[:, None], b - a, 0.0)
    return np.stack([a, delta], axis=1)


def _position_layers(viewer: Any, label: str, ds: xr.Dataset, xy: Any) -> tuple[Any, Any]:
    color = str(ds.attrs.get("color", "red"))
    first, _ = _fixed(xy[:1])
    points = viewer.add_points(
        first,
        name=label,
        face_color=color,
        size=float(ds.attrs.get("size", 10.0)) * _PT,
        metadata={"kind": "position"},
    )
    out: dict[str, Any] = {label: points}
    trail = ds.attrs.get("trail_length")
    length = int(trail) if trail not in (None, "None") else 0
    tail = None
    if length > 0:
        tail = viewer.add_vectors(
            _fixed_vectors(np.repeat(xy[:1], length, 0), np.repeat(xy[:1], length, 0)),
            name=f"{label} trail",
            edge_color=color,
            edge_width=0.6,
            vector_style="line",
            opacity=0.7,
            metadata={"kind": "trail", "tail_length": length},
        )
        out[f"{label} trail"] = tail

    def update(k: int) -> None:
        where, shown = _fixed(xy[k : k + 1])
        _put(points, where)
        _show_only(points, shown)
        if tail is not None:  # the last `length` moves (none before the first frame)
            idx = np.arange(k - length, k)
            starts = np.where((idx >= 0)[:, None], xy[np.maximum(idx, 0)], np.nan)
            ends = np.where((idx >= 0)[:, None], xy[np.maximum(idx + 1, 0)], np.nan)
            _put(tail, _fixed_vectors(starts, ends))

    return out, update


def _pose_layers(viewer: Any, label: str, ds: xr.Dataset) -> tuple[Any, Any]:
    from neurospatial.animation.render.layers import keypoint_colors

    position = ds["position"].transpose("time", "keypoint", "space")
    keypoints = [str(k) for k in position["keypoint"].values]
    given = json.loads(ds.attrs.get("colors", "{}"))
    palette = {**keypoint_colors(keypoints), **given}
    colors = np.array([palette[k] for k in keypoints], dtype=object)
    values = np.asarray(position.values, np.float64)  # (time, keypoint, space)
    first, _ = _fixed(values[0])
    points = viewer.add_points(
        first,
        name=label,
        size=6.0 * _PT,
        face_color=list(colors),
        metadata={"kind": "pose"},
    )
    out: dict[str, Any] = {label: points}
    index = {k: j for j, k in enumerate(keypoints)}
    edges = [(index[a], index[b]) for a, b in np.asarray(ds["skeleton"].values).tolist()]
    a, b = np.array([e[0] for e in edges], int), np.array([e[1] for e in edges], int)
    skeleton = None
    if edges:
        skeleton = viewer.add_vectors(
            _fixed_vectors(values[0][a], values[0][b]),
            name=f"{label} skeleton",
            edge_color=str(ds.attrs.get("skeleton_color", "white")),
            edge_width=0.5,
            vector_style="line",
            metadata={"kind": "skeleton"},
        )
        out[f"{label} skeleton"] = skeleton

    def update(k: int) -> None:
        where, shown = _fixed(values[k])
        _put(points, where)
        _show_only(points, shown)  # a missing keypoint is not drawn
        if skeleton is not None:  # nor an edge with a missing end
            _put(skeleton, _fixed_vectors(values[k][a], values[k][b]))

    return out, update


def _pose_anchor(ds: xr.Dataset) -> NDArray[np.float64]:
    values = np.asarray(ds["position"].transpose("time", "keypoint", "space").values)
    return np.asarray(values[:, 0], np.float64)


def _heading_layers(
    viewer: Any, label: str, ds: xr.Dataset, anchors: dict[str, Any], env: Any
) -> tuple[Any, Any]:
    heading = np.asarray(ds["heading"].transpose("time", "space").values, np.float64)
    anchor = anchors.get(str(ds.attrs.get("anchor", "")))
    if anchor is None:  # drawn at the environment's centre
        centre = [np.mean(r) for r in env.dimension_ranges[: heading.shape[1]]]
        anchor = np.broadcast_to(np.asarray(centre), heading.shape)
    tips = anchor + heading * float(ds.attrs.get("length", 10.0))
    layer = viewer.add_vectors(
        _fixed_vectors(anchor[:1], tips[:1]),
        name=label,
        edge_color=str(ds.attrs.get("color", "white")),
        edge_width=1.0,
        vector_style="arrow",
        metadata={"kind": "head_direction"},
    )

    def update(k: int) -> None:
        _put(layer, _fixed_vectors(anchor[k : k + 1], tips[k : k + 1]))

    return {label: layer}, update


class _SceneVideo:
    """The video frame shown at each scene frame, read when napari asks for it."""

    def __init__(self, source: Any, index: NDArray[np.int64]) -> None:
        self._source, self._index = source, index
        width, height = source.size
        self.shape = (len(index), height, width, 3)
        self.dtype = np.dtype(np.uint8)
        self.ndim = 4

    def __getitem__(self, key: Any) -> NDArray[np.uint8]:
        key = key if isinstance(key, tuple) else (key,)
        first, rest = key[0], key[1:]
        frames = np.arange(len(self._index))[first]
        wanted = [self._frame(int(k)) for k in np.atleast_1d(frames)]
        stack = np.stack(wanted) if wanted else np.zeros((0, *self.shape[1:]), np.uint8)
        if np.ndim(frames):  # several frames: the other indexes apply to each
            return np.asarray(stack[(slice(None), *rest)])
        return np.asarray(stack[0][rest])

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[np.uint8]:
        return self[:]

    def _frame(self, k: int) -> NDArray[np.uint8]:
        number = int(self._index[k])
        if number < 0:
            return np.zeros(self.shape[1:], np.uint8)
        return self._source.frame(number)


def _video_layers(
    viewer: Any, label: str, stored: xr.Dataset, aligned: xr.Dataset, t: Any, dt: float
) -> dict[str, Any]:
    from neurospatial.animation.overlays.video import VideoKind
    from neurospatial.animation.render.video_source import VideoSource

    source = VideoSource(stored)
    # A returned frame's pixel (col, row) -> world (x, y), as the compositor places it.
    px_to_world = VideoKind.px_to_world(aligned) @ source.array_to_px
    m = px_to_world.matrix
    affine = np.array(
        [
            [dt, 0.0, 0.0, float(t[0]) if len(t) else 0.0],
            [0.0, m[1, 1], m[1, 0], m[1, 2]],  # y from (row, col)
            [0.0, m[0, 1], m[0, 0], m[0, 2]],  # x from (row, col)
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    frames = _SceneVideo(source, np.asarray(aligned["frame_index"].values, np.int64))
    layer = viewer.add_image(
        frames,
        name=label,
        rgb=True,
        affine=affine,
        opacity=float(aligned.attrs.get("alpha", 1.0)),
        contrast_limits=(0, 255),
        metadata={"kind": "video"},
    )
    if str(aligned.attrs.get("z_order", "below")) == "below":  # under the field
        viewer.layers.move(viewer.layers.index(layer), 0)
    return {label: layer}


def _region_layers(viewer: Any, info: Any) -> dict[str, Any]:
    if not info.regions:
        return {}
    shapes, kinds, faces, names = [], [], [], []
    for region in info.regions:
        coords = np.asarray(region.coords, np.float64)
        if region.kind == "polygon":
            shapes.append(coords[:, ::-1])  # (y, x) vertices
            kinds.append("polygon")
        else:
            (x, y), r = coords[0], max(info.env.bin_sizes[:2].min(), 1e-9)
            shapes.append(np.array([[y, x], [r, r]]))  # an ellipse's centre and radii
            kinds.append("ellipse")
        faces.append(region.color)
        names.append(region.name)
    layer = viewer.add_shapes(
        shapes,
        shape_type=kinds,
        name="Regions",
        face_color=faces,
        edge_color=faces,
        opacity=max(float(info.regions[0].fill_alpha), 0.05),
        features={"name": names},
        text={"string": "{name}", "color": "white", "size": 10},
        metadata={"kind": "regions"},
    )
    return {"Regions": layer}


# ---------------------------------------------------------------------- playback
class ScenePlayer:
    """Plays a viewer's time axis at `fps` by the clock: each tick shows the frame
    whose time has come, skipping the ones the display had no time for."""

    def __init__(self, viewer: Any, *, fps: float) -> None:
        from qtpy.QtCore import QTimer

        self.viewer, self.fps = viewer, float(fps)
        self._timer = QTimer()
        self._timer.setInterval(max(1, int(1000 / max(self.fps, 1e-9) / 2)))
        self._timer.timeout.connect(self._tick)
        self._start = (0.0, 0)
        self.shown = 0  # frames put on screen since play()

    @property
    def playing(self) -> bool:
        return bool(self._timer.isActive())

    def play(self) -> None:
        self._start = (time.perf_counter(), int(self.viewer.dims.current_step[0]))
        self.shown = 0
        self._timer.start()

    def pause(self) -> None:
        self._timer.stop()

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def _tick(self) -> None:
        began, first = self._start
        n = int(self.viewer.dims.nsteps[0])
        target = first + int((time.perf_counter() - began) * self.fps)
        if target >= n:
            self.pause()
            target = n - 1
        if target != int(self.viewer.dims.current_step[0]):
            self.viewer.dims.set_current_step(0, target)
            self.shown += 1
