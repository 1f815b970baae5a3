"""The layer model: an aligned window of a scene and a frame -> that frame's layers.

`frame_layers(window, frame)` is the one function every renderer draws from. A
`LayerModel` does the same for many frames of one window: it loads the window's
overlay data once, asks each overlay's kind for its layer builder
(`OverlayKind.layers`), and reads field values in blocks. `SceneInfo` holds what
does not change from frame to frame (environment, style, regions), read once per
scene object and shared by every window of it.

Drawing order: videos below the field, the field, videos above it, regions, the
overlays in the order they were given, the time label.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from neurospatial.animation.alignment import Window, align_window
from neurospatial.animation.overlays.base import LayerContext, kind_of
from neurospatial.animation.render.layers import (
    REGION_COLOR,
    REGION_EDGE_WIDTH_PT,
    REGION_POINT_EDGE_PT,
    REGION_POINT_SIZE_PT,
    FieldLayer,
    LabelLayer,
    Layer,
    RegionLayer,
    VideoFrameLayer,
    lift,
    time_label,
)
from neurospatial.animation.scene import scene_environment, scene_style
from neurospatial.animation.store import scene_overlays
from neurospatial.errors import format_message

if TYPE_CHECKING:
    from neurospatial.environment import Environment

__all__ = [
    "LayerModel",
    "SceneInfo",
    "frame_layers",
    "history_frames",
    "model_from",
    "scene_info",
]


@dataclass(eq=False)
class SceneInfo:
    """What a scene's frames share: environment, style, regions, trail history."""

    env: Environment
    drawn: Environment  # what image renderers draw: env, or a 3D grid's (x, y) grid
    project: Any  # per-bin values of env -> of `drawn` (None: the same)
    to_line: Any  # the linearized view: 2D world points -> the strip (None: not linear)
    x_label: str  # the drawn x axis: "x", or "linear position"
    n_frames: int
    times: NDArray[np.float64]
    numbers: NDArray[np.int64]  # each frame's number (its position, or a window's `frame`)
    cmap: str
    vmin: float
    vmax: float
    title: str
    regions: tuple[RegionLayer, ...]
    history: int  # earlier frames a frame's layers use (the longest trail)
    has_video_below: bool
    key: tuple[Any, ...]  # identifies environment and style, for render caches


#: The most field values a layer model reads at once (bytes).
_BLOCK_BYTES = 2**21

_INFO: dict[int, tuple[Any, tuple[dict[Any, Any], ...], SceneInfo]] = {}


def scene_info(scene: xr.DataTree) -> SceneInfo:
    """The `SceneInfo` of a scene, built once per scene object (and again when the
    attrs of its root, environment or overlays change)."""
    attrs = _attrs(scene)
    entry = _INFO.get(id(scene))
    if entry is not None and entry[0]() is scene and entry[1] == attrs:
        return entry[2]
    info = _build_info(scene)
    _INFO[id(scene)] = (weakref.ref(scene, _forget(id(scene))), attrs, info)
    return info


def _attrs(scene: xr.DataTree) -> tuple[dict[Any, Any], ...]:
    """What `SceneInfo` is made from besides data: the attrs of the root, the
    environment (regions) and each overlay (style)."""
    nodes = [scene, scene["environment"]]
    if "overlays" in scene.children:
        nodes += list(scene["overlays"].children.values())
    return tuple(dict(node.attrs) for node in nodes)


def _forget(key: int) -> Any:
    """A weakref callback dropping a collected scene's info."""
    return lambda _: _INFO.pop(key, None)


def history_frames(scene: xr.DataTree) -> int:
    """How many frames before a frame its layers use (the longest trail)."""
    return scene_info(scene).history


def _build_info(scene: xr.DataTree) -> SceneInfo:
    env = scene_environment(scene)
    style = scene_style(scene)
    fields = scene["fields"]
    times = np.asarray(fields["time"].values, dtype=np.float64)
    numbers = (
        np.asarray(fields["frame"].values, dtype=np.int64)
        if "frame" in fields.coords
        else np.arange(len(times), dtype=np.int64)
    )
    history, below = 0, False
    for name in json.loads(scene.attrs.get("overlays", "[]")):
        node = scene["overlays"][name]
        kind = kind_of(node)  # a node: only its attrs are read
        history = max(history, kind.history(node))
        below = below or kind.under_field(node.attrs)
    regions = region_layers(env, style["show_regions"], float(style["region_alpha"]))
    cmap, vmin, vmax = str(style["cmap"]), float(style["vmin"]), float(style["vmax"])
    title = str(style.get("title", ""))
    drawn, project, to_line = env, None, None
    volume = str(style.get("volume", "max"))
    track_view = str(style.get("track_view", "2d"))
    if env.n_dims == 3:
        from neurospatial.animation.render.volume import flat_view

        drawn, project = flat_view(env, volume)
    elif track_view == "linear":
        from neurospatial.animation.render.linear_view import linear_view

        drawn, project, to_line = linear_view(env)
        regions = ()  # 2D shapes: not on the line
    key = (_fingerprint(env), volume, track_view, cmap, vmin, vmax, title, regions)
    return SceneInfo(
        env=env,
        drawn=drawn,
        project=project,
        to_line=to_line,
        x_label="linear position" if to_line is not None else "x",
        n_frames=len(times),
        times=times,
        numbers=numbers,
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        title=title,
        regions=regions,
        history=history,
        has_video_below=below,
        key=key,
    )


def _fingerprint(env: Environment) -> str:
    """Identifies an environment's geometry (its bins and extent) and units."""
    digest = hashlib.sha1(np.ascontiguousarray(env.bin_centers).tobytes())
    digest.update(repr((env.layout, env.units, env.dimension_ranges)).encode())
    return digest.hexdigest()


def region_layers(
    env: Environment, show: bool | list[str], alpha: float
) -> tuple[RegionLayer, ...]:
    """The regions a scene shows (`show_regions`), styled."""
    names = list(env.regions) if show is True else list(show or [])
    layers = []
    for name in names:
        region = env.regions[name]
        if region.kind == "polygon":
            coords = tuple((float(x), float(y)) for x, y in region.coords)
            anchor = np.asarray(region.coords, dtype=np.float64).mean(axis=0)
            width = REGION_EDGE_WIDTH_PT
        else:
            anchor = lift(region.coords, env.n_dims)[0, :2]
            coords = ((float(anchor[0]), float(anchor[1])),)
            width = REGION_POINT_EDGE_PT
        layers.append(
            RegionLayer(
                name=name,
                kind=region.kind,
                coords=coords,
                color=REGION_COLOR,
                fill_alpha=float(alpha),
                edge_width=width,
                marker_size=REGION_POINT_SIZE_PT,
                label=name,
                label_anchor=(float(anchor[0]), float(anchor[1])),
            )
        )
    return tuple(layers)


class LayerModel:
    """The layers of every frame of one aligned window.

    Parameters
    ----------
    window : xr.DataTree or Window
        From ``align_scene(scene, frames=...)`` (or `align_window`). To draw a
        frame's trail it must hold the frames the trail reaches back to
        (`history_frames`).
    info : SceneInfo, optional
        The scene's `SceneInfo` (default: read from `window`).
    """

    def __init__(self, window: xr.DataTree | Window, info: SceneInfo | None = None) -> None:
        if isinstance(window, xr.DataTree):
            info = info or scene_info(window)
            window = Window(
                dict(window.attrs),
                window["fields"].to_dataset(),
                window["environment"].to_dataset(),
                scene_overlays(window),
            )
        if not window.attrs.get("aligned") or "frame" not in window.fields.coords:
            raise ValueError(
                format_message(
                    "The layer model needs an aligned scene or window.",
                    "layers show each overlay at the frame's time, which alignment computes.",
                    ["Align it first: align_scene(scene) or align_scene(scene, frames=...)."],
                )
            )
        assert info is not None
        self.info = info
        self._field = window.fields["field"]
        self.numbers = np.asarray(window.fields["frame"].values, dtype=np.int64)
        self.times = np.asarray(window.fields["time"].values, dtype=np.float64)
        n = len(self.numbers)
        self._contiguous = n == 0 or bool(
            np.array_equal(self.numbers, np.arange(self.numbers[0], self.numbers[0] + n))
        )
        self._lookup = None if self._contiguous else {int(g): k for k, g in enumerate(self.numbers)}
        self._block: tuple[int, int, NDArray[np.float64]] | None = None
        env = info.env
        centre = lift([np.mean(r) for r in env.dimension_ranges], env.n_dims)[0]
        ctx = LayerContext(env.n_dims, self.numbers, centre)
        kinds = {name: kind_of(ds) for name, ds in window.overlays.items()}
        values = _load(
            {name: (ds, kinds[name].load_variables) for name, ds in window.overlays.items()}
        )
        for name, kind in kinds.items():
            anchor = kind.anchor(values[name])
            if anchor is not None:
                ctx.anchors[name] = lift(anchor, env.n_dims)
        self._builders = [
            kind.layers(name, window.overlays[name], values[name], ctx)
            for name, kind in kinds.items()
        ]

    def covers(self, frame: int) -> bool:
        """Whether `frame` (a frame number) is in this window."""
        if self._lookup is not None:
            return int(frame) in self._lookup
        return len(self.numbers) > 0 and self.numbers[0] <= frame <= self.numbers[-1]

    def layers(self, frame: int) -> list[Layer]:
        """The layers of frame number `frame` (as in the window's ``frame`` coordinate),
        bottom first."""
        if not self.covers(frame):
            shown = (
                f"frames {self.numbers[0]} .. {self.numbers[-1]}" if len(self.numbers) else "none"
            )
            raise IndexError(
                format_message(
                    f"Frame {frame} is not in this window ({len(self.numbers)} frames: {shown}).",
                    "a window holds the frames it was aligned for, numbered as in the scene.",
                    [
                        f"Align a window holding it: align_scene(scene, frames=slice({frame} - "
                        f"history_frames(scene), {frame} + 1)).",
                        "Pass a frame number from window['fields']['frame'].",
                    ],
                )
            )
        k = self._lookup[int(frame)] if self._lookup is not None else int(frame - self.numbers[0])
        info, time = self.info, float(self.times[k])
        values = self._row(k)
        field = FieldLayer(
            "field",
            int(frame),
            time,
            values if info.project is None else info.project(values),
            info.cmap,
            info.vmin,
            info.vmax,
            transparent_nodata=info.has_video_below,
        )
        below: list[Layer] = []
        above: list[Layer] = []
        rest: list[Layer] = []
        for build in self._builders:
            for layer in build(k):
                if isinstance(layer, VideoFrameLayer):
                    (below if layer.z_order == "below" else above).append(layer)
                else:
                    rest.append(layer)
        if info.to_line is not None:
            from neurospatial.animation.render.linear_view import to_strip

            rest = to_strip(rest, info.to_line)
        return [*below, field, *above, *info.regions, *rest, LabelLayer("time", time_label(time))]

    def _row(self, k: int) -> NDArray[np.float64]:
        """Field values of the window's k-th frame; read in blocks from k on (to the
        window's end, at most `_BLOCK_BYTES`): few reads when frames come in order, one
        row for the last frame of a window."""
        block = self._block
        if block is None or not (block[0] <= k < block[1]):
            per_frame = 8 * max(self.info.env.n_bins, 1)
            start = k
            stop = min(len(self.numbers), k + max(1, _BLOCK_BYTES // per_frame))
            part = self._field[start:stop]
            if part.chunks is not None:  # dask: one small computation, no thread pool
                values = np.asarray(part.data.compute(scheduler="synchronous"), np.float64)
            else:
                values = np.asarray(part.values, dtype=np.float64)
            values.flags.writeable = False
            block = self._block = (start, stop, values)
        return block[2][k - block[0]]


def model_from(scene: xr.DataTree, info: SceneInfo, start: int, stop: int) -> LayerModel:
    """The layer model of frames `start` .. `stop` - 1 of a scene (positions), aligned
    together with the frames the first one's trails reach back to."""
    lo = max(0, start - info.history)
    return LayerModel(align_window(scene, frames=slice(lo, stop), direct=True), info)


def frame_layers(window: xr.DataTree, frame: int) -> list[Layer]:
    """The layers of one frame of an aligned scene or window, bottom first.

    Parameters
    ----------
    window : xr.DataTree
        ``align_scene(scene)`` or, for one frame of a long scene,
        ``align_scene(scene, frames=slice(frame - history_frames(scene), frame + 1))``.
    frame : int
        The frame's number: its position in the scene that was aligned (the
        window's ``frame`` coordinate).

    Returns
    -------
    list of layers
        `FieldLayer`, `VideoFrameLayer`, `RegionLayer`, `TrailLayer`, `PointsLayer`,
        `SegmentsLayer`, `ArrowLayer`, `LabelLayer` (see ``render/layers.py``), in
        world coordinates with every style decision made.
    """
    return LayerModel(window).layers(frame)


def _load(
    wanted: dict[str, tuple[xr.Dataset, tuple[str, ...]]],
) -> dict[str, dict[str, NDArray[Any]]]:
    """The listed variables of each dataset as numpy arrays, computed together."""
    keys: list[tuple[str, str]] = []
    arrays: list[Any] = []
    for name, (ds, variables) in wanted.items():
        for var in variables:
            keys.append((name, var))
            arrays.append(ds[var].data)
    if any(hasattr(a, "dask") for a in arrays):
        import dask

        arrays = list(dask.compute(*arrays, scheduler="synchronous"))
    out: dict[str, dict[str, NDArray[Any]]] = {name: {} for name in wanted}
    for (name, var), array in zip(keys, arrays, strict=True):
        out[name][var] = np.asarray(array)
    return out
