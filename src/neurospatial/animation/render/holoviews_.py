"""The HoloViews view: a scene as a `DynamicMap` over the frame index.

Each frame is an `hv.Overlay` of one element per layer description, translated from
the layer model, so the view shows what the MP4 shows; people zoom, hover and
restyle it. Element groups name the kind of layer and labels name the layer:

=============  =========================  ==========================================
group          element                    from
=============  =========================  ==========================================
``Backdrop``   `hv.RGB`                   no-data vs outside colours (static; under
                                          the field, none over a video below it)
``Video``      `hv.RGB`                   `VideoFrameLayer` (placed by calibration)
``Field``      `hv.Image` (value, bin)    `FieldLayer` through the field image
``Region``     `hv.Polygons`/`hv.Points`  `RegionLayer` (+ `hv.Labels`, group
                                          ``RegionLabel``)
``Trail``      `hv.Segments` (alpha)      `TrailLayer`
``Points``     `hv.Points`                `PointsLayer`
``Skeleton``   `hv.Segments`              `SegmentsLayer`
``Heading``    `hv.Segments`              `ArrowLayer` shafts (heads: `hv.Polygons`,
                                          group ``HeadingTip``)
=============  =========================  ==========================================

so ``dmap.opts(hv.opts.Points("Points.nose", size=12))`` restyles one overlay. The
callback is a function of the frame number only; it aligns and reads the window
its frame needs (and a few frames ahead), so a lazy scene stays lazy.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from neurospatial.animation.render.field_image import image_axes, image_extent, raster_bins
from neurospatial.animation.render.layers import (
    ArrowLayer,
    FieldLayer,
    LabelLayer,
    Layer,
    PointsLayer,
    RegionLayer,
    SegmentsLayer,
    TrailLayer,
    VideoFrameLayer,
)
from neurospatial.animation.render.model import LayerModel, model_from, scene_info
from neurospatial.animation.transforms import image_box
from neurospatial.errors import format_message

if TYPE_CHECKING:
    import holoviews as hv

__all__ = ["HoloViewsView", "to_holoviews"]

#: Screen pixels per point (CSS: 96 px per inch, 72 pt per inch).
PX_PER_PT = 96 / 72
#: Frames aligned ahead of the one asked for (stepping forward reuses the window).
_AHEAD = 64


def to_holoviews(
    scene: xr.DataTree,
    *,
    frame_width: int = 500,
    colorbar: bool = True,
    hover: bool = True,
) -> hv.DynamicMap:
    """An interactive HoloViews view of a scene: a `DynamicMap` over the frame number.

    Parameters
    ----------
    scene : xr.DataTree
        From `build_scene`, `open_scene` or `align_scene`; lazy scenes stay lazy
        (each frame reads the window it needs).
    frame_width : int
        Plot width in screen pixels (the height follows the environment's aspect).
    colorbar : bool
        Show the field's colorbar.
    hover : bool
        Hover on the field shows x, y, bin and value.

    Returns
    -------
    hv.DynamicMap
        Key dimension ``frame`` (0 .. n_frames - 1); each frame is an `hv.Overlay`
        whose title shows the frame's time. ``dmap[i]`` gives frame i.

    Examples
    --------
    >>> import numpy as np
    >>> from neurospatial import Environment
    >>> from neurospatial.animation import build_scene, to_holoviews
    >>> env = Environment.from_samples(np.array([[0.0, 0.0], [20.0, 10.0]]), bin_size=10.0,
    ...                                infer_active_bins=False)
    >>> scene = build_scene(env, np.arange(2 * env.n_bins, dtype=float).reshape(2, -1))
    >>> overlay = to_holoviews(scene)[1]
    >>> overlay.Field.field.data["value"].tolist()  # row 0 is the lowest y
    [[6.0, 8.0, 10.0], [7.0, 9.0, 11.0]]
    """
    import holoviews as hv

    view = HoloViewsView(scene, frame_width=frame_width, colorbar=colorbar, hover=hover)
    frame = hv.Dimension("frame", range=(0, max(view.n_frames - 1, 0)), type=int, default=0)
    return hv.DynamicMap(view, kdims=[frame])


class HoloViewsView:
    """The callback of `to_holoviews`: frame number -> `hv.Overlay`.

    Holds the scene's static parts (the pixel -> bin image, the backdrop, the
    regions) and the layer model of the last window it aligned.
    """

    def __init__(
        self,
        scene: xr.DataTree,
        *,
        frame_width: int = 500,
        colorbar: bool = True,
        hover: bool = True,
    ) -> None:
        import holoviews as hv

        if not hv.Store.renderers:  # styling needs a plotting backend: Bokeh by default
            import holoviews.plotting.bokeh  # noqa: F401

        self.scene = scene
        self.info = info = scene_info(scene)
        self.n_frames = info.n_frames
        self.frame_width = int(frame_width)
        self.colorbar = bool(colorbar)
        self.hover = bool(hover)
        env = info.drawn  # a 3D grid: its flat (x, y) view; a linearized track: a strip
        axes = image_axes(env)
        self.extent = x0, x1, y0, y1 = image_extent(env)
        self._xs, self._ys = axes["x"], axes["y"]
        if len(self._ys) == 1:  # a strip (1D): two rows, as hv.Image needs a y spacing
            self._ys = y0 + (y1 - y0) * np.array([0.25, 0.75])
        self._bins = raster_bins(env, self._xs, self._ys)  # (ny, nx), row 0 lowest y
        self._missing = self._bins < 0
        self._safe = np.where(self._missing, 0, self._bins)
        self._bin_values = self._bins.astype(np.float64)  # the hover's "bin" column
        aspect = (y1 - y0) / (x1 - x0) if x1 > x0 else 1.0
        self.frame_height = max(60, round(self.frame_width * aspect))
        self._model: LayerModel | None = None
        self._span = (0, 0)
        self._static: dict[Any, list[Any]] = {}  # backdrops and regions, built once

    # ------------------------------------------------------------------ frames
    def layers(self, frame: int) -> list[Layer]:
        """The layer descriptions of frame `frame` (what `__call__` translates)."""
        frame = self._check(frame)
        model = self._model
        if model is None or not (self._span[0] <= frame < self._span[1]):
            stop = min(self.n_frames, frame + _AHEAD)
            model = self._model = model_from(self.scene, self.info, frame, stop)
            self._span = (frame, stop)
        return model.layers(int(self.info.numbers[frame]))

    def __call__(self, frame: int, hidden: Collection[str] = ()) -> hv.Overlay:
        """The overlay of frame `frame`, without the layers named in `hidden`."""
        import holoviews as hv

        frame = self._check(frame)
        elements: list[Any] = []
        title = ""
        for layer in self.layers(frame):
            if layer.name in hidden and not isinstance(layer, LabelLayer):
                continue
            if isinstance(layer, LabelLayer):
                title = f"{layer.text}  (frame {frame})"
                if self.info.title:
                    title = f"{self.info.title}: {title}"
            elif isinstance(layer, RegionLayer):  # static: translated once
                if layer not in self._static:
                    self._static[layer] = self._region(layer)
                elements.extend(self._static[layer])
            else:
                elements.extend(_TRANSLATE[type(layer)](self, layer))
        (x0, x1, y0, y1) = self.extent
        overlay = hv.Overlay(elements).opts(
            title=title,
            xlim=(x0, x1),
            ylim=(y0, y1),
            frame_width=self.frame_width,
            frame_height=self.frame_height,
            xlabel=_axis_label("x", self.info.env.units),
            ylabel="" if self.info.env.n_dims == 1 else _axis_label("y", self.info.env.units),
            show_legend=False,
        )
        return overlay

    def redraw(self, plot: Any, frame: int, hidden: Collection[str] = ()) -> bool:
        """Show frame `frame` in `plot`, the Bokeh plot HoloViews made of this view's
        DynamicMap, by writing each element's data into its Bokeh source.

        HoloViews' own update also recomputes ranges, options and extents over the
        whole overlay: 75 ms a frame for the app's scene here against 26 ms this way,
        and a server's event loop is held meanwhile. Between frames only the data and
        the title change (axes, colour limits and styles are the scene's), so the
        result is the same; a test compares every source with HoloViews' update.
        Returns False, changing nothing, when `plot` shows other elements (layers
        hidden or shown since): use HoloViews' update then.
        """
        from panel.io.document import hold

        overlay = self(frame, hidden)
        if list(overlay.keys()) != list(plot.subplots.keys()):
            return False
        updates = []
        for element, sub in zip(overlay.values(), plot.subplots.values(), strict=True):
            if element._plot_id == sub.handles.get("previous_id"):
                continue  # the same element (a backdrop, a region): nothing to send
            ranges, style = sub.current_ranges, sub.style[sub.cyclic_index]
            data, _, style = sub.get_data(element, ranges, style)
            sub._apply_transforms(element, data, ranges, style)  # e.g. a trail's alpha
            updates.append((sub, element, data))
        with hold(plot.document):  # one message to the page
            for sub, element, data in updates:
                sub.handles["source"].data = dict(data)
                sub.handles["previous_id"] = element._plot_id
                sub.current_frame = element
            plot.handles["plot"].title.text = str(overlay.opts.get().kwargs["title"])
        return True

    def _check(self, frame: Any) -> int:
        k = int(frame)
        if not 0 <= k < self.n_frames:
            raise IndexError(
                format_message(
                    f"Frame {frame} is outside the scene's {self.n_frames} frames.",
                    "the view's frame dimension runs over the scene's frames.",
                    [f"Pass a frame from 0 to {self.n_frames - 1}."],
                )
            )
        return k

    # ------------------------------------------------------------- translations
    def _backdrop(self, layer: FieldLayer) -> list[Any]:
        """Under the field (whose NaNs are transparent): active bins in the no-data
        colour, the rest in the background colour, as in the compositor; nothing when
        the no-data is transparent (a video under the field shows through)."""
        if layer.transparent_nodata:
            return []
        key = ("backdrop", layer.nodata_color, layer.background_color)
        if key not in self._static:
            import holoviews as hv
            from matplotlib.colors import to_rgba

            inside, outside = (
                np.asarray(to_rgba(layer.nodata_color)),
                to_rgba(layer.background_color),
            )
            rgba = np.where(self._missing[..., None], np.asarray(outside), inside)
            x0, x1, y0, y1 = self.extent
            image = np.ascontiguousarray(rgba[::-1])  # hv.RGB rows go from the top
            backdrop = hv.RGB(image, bounds=(x0, y0, x1, y1), vdims=list("RGBA"), group="Backdrop")
            self._static[key] = [backdrop]
        return self._static[key]

    def _field(self, layer: FieldLayer) -> list[Any]:
        import holoviews as hv

        values = layer.values[self._safe]
        values[self._missing] = np.nan
        data = {"x": self._xs, "y": self._ys, "value": values, "bin": self._bin_values}
        image = hv.Image(
            data, kdims=["x", "y"], vdims=["value", "bin"], group="Field", label=layer.name
        )
        options: dict[str, Any] = {
            "cmap": layer.cmap,
            "clim": (layer.vmin, layer.vmax),
            "colorbar": self.colorbar,
            "clipping_colors": {"NaN": "transparent"},
        }
        if self.hover:
            options["tools"] = ["hover"]
        return [*self._backdrop(layer), image.opts(**options)]

    def _video(self, layer: VideoFrameLayer) -> list[Any]:
        import holoviews as hv

        rgb = layer.rgb()
        if rgb is None:
            return []
        image, bounds = _axis_aligned(rgb, np.asarray(layer.px_to_world))
        element = hv.RGB(image, bounds=bounds, group="Video", label=layer.name)
        return [element.opts(alpha=float(layer.alpha))]

    def _region(self, layer: RegionLayer) -> list[Any]:
        import holoviews as hv

        xy = np.asarray(layer.coords, dtype=np.float64)
        if layer.kind == "polygon":
            shape: Any = hv.Polygons(
                [{"x": xy[:, 0], "y": xy[:, 1], "name": layer.name}],
                vdims=["name"],
                group="Region",
                label=layer.name,
            ).opts(
                color=layer.color,
                fill_alpha=layer.fill_alpha,
                line_color=layer.color,
                line_width=layer.edge_width * PX_PER_PT,
            )
        else:
            shape = hv.Points(
                (xy[:, 0], xy[:, 1], [layer.name]),
                vdims=["name"],
                group="Region",
                label=layer.name,
            ).opts(
                size=layer.marker_size * PX_PER_PT,
                fill_alpha=0.0,
                line_color=layer.color,
                line_width=layer.edge_width * PX_PER_PT,
            )
        # The label's offset in points, as world units at the plot's scale.
        x0, x1, _, _ = self.extent
        world_per_px = (x1 - x0) / self.frame_width
        dx, dy = (v * PX_PER_PT * world_per_px for v in layer.label_offset)
        label = hv.Labels(
            ([layer.label_anchor[0]], [layer.label_anchor[1]], [layer.label]),
            vdims=["text"],
            group="RegionLabel",
            label=layer.name,
        ).opts(
            text_color=layer.color,
            text_font_size=f"{layer.label_size * PX_PER_PT:.0f}px",
            xoffset=dx,
            yoffset=dy,
            text_align="left",
            text_baseline="bottom",
        )
        return [shape, label]

    def _trail(self, layer: TrailLayer) -> list[Any]:
        import holoviews as hv

        # Segments, not one hv.Path per segment: HoloViews' multi-path updates cost
        # ~40 ms a frame for a 30-segment trail; columnar segments cost ~1 ms.
        data = _segment_data(layer.starts, layer.ends, None)
        data["alpha"] = layer.alpha
        trail = hv.Segments(
            data, kdims=["x0", "y0", "x1", "y1"], vdims=["alpha"], group="Trail", label=layer.name
        )
        return [trail.opts(color=layer.color, alpha="alpha", line_width=layer.width * PX_PER_PT)]

    def _points(self, layer: PointsLayer) -> list[Any]:
        import holoviews as hv

        pts = layer.positions
        data = {
            "x": pts[:, 0],
            "y": pts[:, 1],
            "color": list(layer.colors),
            "name": list(layer.labels),
        }
        points = hv.Points(
            data, kdims=["x", "y"], vdims=["color", "name"], group="Points", label=layer.name
        )
        options: dict[str, Any] = {
            "color": "color",
            "size": layer.size * PX_PER_PT,
            "line_color": layer.outline_color,
            "line_width": layer.outline_width * PX_PER_PT,
        }
        if self.hover:
            options["tools"] = ["hover"]
        return [points.opts(**options)]

    def _segments(self, layer: SegmentsLayer) -> list[Any]:
        import holoviews as hv

        data = _segment_data(layer.starts, layer.ends, list(layer.labels))
        segments = hv.Segments(
            data,
            kdims=["x0", "y0", "x1", "y1"],
            vdims=["name"],
            group="Skeleton",
            label=layer.name,
        )
        return [segments.opts(color=layer.color, line_width=layer.width * PX_PER_PT)]

    def _arrows(self, layer: ArrowLayer) -> list[Any]:
        import holoviews as hv

        origins, tips = layer.origins, layer.tips
        d = tips - origins
        norm = np.hypot(d[:, 0], d[:, 1])
        ok = norm > 0
        u = np.zeros_like(d)
        u[ok] = d[ok] / norm[ok, None]
        base = tips - u * layer.head_length
        side = np.stack([-u[:, 1], u[:, 0]], axis=-1) * (layer.head_width / 2)
        shaft = hv.Segments(
            _segment_data(origins, base, [layer.name] * len(origins)),
            kdims=["x0", "y0", "x1", "y1"],
            vdims=["name"],
            group="Heading",
            label=layer.name,
        ).opts(color=layer.color, line_width=layer.width * PX_PER_PT)
        heads = [
            {"x": [t[0], b[0] + s[0], b[0] - s[0]], "y": [t[1], b[1] + s[1], b[1] - s[1]]}
            for t, b, s, good in zip(tips, base, side, ok, strict=True)
            if good
        ]
        tip = hv.Polygons(heads, group="HeadingTip", label=layer.name).opts(
            fill_color=layer.color, line_color=layer.color, line_width=0.5
        )
        return [shaft, tip]


def _axis_label(axis: str, units: str) -> str:
    return f"{axis} ({units})" if units else axis


def _segment_data(
    starts: NDArray[np.float64], ends: NDArray[np.float64], names: list[str] | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "x0": starts[:, 0],
        "y0": starts[:, 1],
        "x1": ends[:, 0],
        "y1": ends[:, 1],
    }
    if names is not None:
        data["name"] = names
    return data


def _axis_aligned(
    rgb: NDArray[np.uint8], px_to_world: NDArray[np.float64]
) -> tuple[NDArray[np.uint8], tuple[float, float, float, float]]:
    """A video frame as an axis-aligned image with rows from the top (hv.RGB's
    order) and its world bounds (left, bottom, right, top). Pixel centres are at
    integers, so the frame covers [-0.5, w - 0.5] x [-0.5, h - 0.5] in pixels. A
    rotated or sheared calibration is resampled onto its world bounding box."""
    h, w = rgb.shape[:2]
    m = px_to_world
    left_px, top_px, right_px, bottom_px = image_box(w, h)
    corners = np.array([[c, r, 1.0] for c in (left_px, right_px) for r in (top_px, bottom_px)])
    world = corners @ m[:2].T
    left, right = float(world[:, 0].min()), float(world[:, 0].max())
    bottom, top = float(world[:, 1].min()), float(world[:, 1].max())
    a, b, d, e = m[0, 0], m[0, 1], m[1, 0], m[1, 1]
    if abs(b) <= 1e-9 * abs(a) and abs(d) <= 1e-9 * abs(e):
        image = rgb
        if a < 0:
            image = image[:, ::-1]
        if e > 0:  # rows go up in the world: hv.RGB wants the top row first
            image = image[::-1]
        return np.ascontiguousarray(image), (left, bottom, right, top)
    import cv2

    # Output pixel (c, r) of a w x h raster over the box, row 0 at the top.
    sx, sy = (right - left) / w, (top - bottom) / h
    out_to_world = np.array([[sx, 0, left + 0.5 * sx], [0, -sy, top - 0.5 * sy], [0, 0, 1]])
    out_to_src = np.linalg.inv(m) @ out_to_world
    warped = cv2.warpAffine(
        rgb, out_to_src[:2], (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    )
    return np.asarray(warped, dtype=np.uint8), (left, bottom, right, top)


_TRANSLATE: dict[type, Any] = {
    FieldLayer: HoloViewsView._field,
    VideoFrameLayer: HoloViewsView._video,
    TrailLayer: HoloViewsView._trail,
    PointsLayer: HoloViewsView._points,
    SegmentsLayer: HoloViewsView._segments,
    ArrowLayer: HoloViewsView._arrows,
}
