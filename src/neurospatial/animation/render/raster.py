"""The raster compositor: a scene frame -> RGB pixels, fast.

Per export, once: the chrome (matplotlib, see ``chrome.py``), a pixel -> bin
index image for the field, a 258-entry colour lookup (256 colours, "no data",
background), the regions layer, and every overlay converted to pixel
coordinates for all frames. Per frame: copy the chrome, look up the field
colours (``np.take(palette, index, out=...)``), blend regions, draw overlays
anti-aliased, write the time label. The same code feeds every backend, so
`render_frame` returns exactly the pixels the video backend encodes.
"""

from __future__ import annotations

import json
import warnings
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from neurospatial.animation.alignment import align_scene
from neurospatial.animation.errors import format_message
from neurospatial.animation.render import draw
from neurospatial.animation.render.chrome import (
    BACKGROUND_COLOR,
    NO_DATA_COLOR,
    STRIP_CENTRE,
    Chrome,
    build_chrome,
)
from neurospatial.animation.render.video_layer import VideoLayer
from neurospatial.animation.scene import scene_environment, scene_overlays, scene_style

__all__ = ["KEYPOINT_PALETTE", "Compositor", "Frame", "render_frame"]

#: Okabe-Ito colours (colour-blind safe), black left out: it vanishes on dark fields.
KEYPOINT_PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
OUTLINE = np.array([20.0, 20.0, 20.0])
OUTLINE_CV = (20.0, 20.0, 20.0, 0.0)
_FIELD_BLOCK = 256  # frames of a numpy field quantized at once


@dataclass
class Frame:
    """One rendered frame.

    Attributes
    ----------
    image : ndarray of shape (H, W, 3), uint8
        Exactly the pixels the video backend writes for this frame.
    time : float
        Frame time in seconds.
    index : int
        Frame index.
    transform : ndarray of shape (3, 3)
        World (x, y, 1) -> pixel (col, row, 1), pixel centres at integers.
    """

    image: NDArray[np.uint8]
    time: float
    index: int
    transform: NDArray[np.float64]
    n_dims: int = 2

    def world_to_px(self, points: ArrayLike) -> NDArray[np.float64]:
        """Map world points of shape (n, 2) – (n,) or (n, 1) in 1D – to (col, row) pixels."""
        return _apply(self.transform, _as_xy(points, self.n_dims))


def render_frame(
    scene: xr.DataTree, index: int, *, dpi: float = 100, show_colorbar: bool = True
) -> Frame:
    """Render one frame of a scene to pixels (a figure, a thumbnail, a test).

    Parameters
    ----------
    scene : xr.DataTree
        From `build_scene` or `open_scene` (aligned on the fly if needed).
    index : int
        Frame index (negative counts from the end).
    dpi : float
        100 gives 800 x 600 pixels (8 x 6 inches).
    show_colorbar : bool
        Draw the colorbar.
    """
    with Compositor(scene, dpi=dpi, show_colorbar=show_colorbar) as compositor:
        return compositor.frame(index)


class Compositor:
    """Renders frames of one scene at one size; build once, call `render` per frame."""

    def __init__(
        self,
        scene: xr.DataTree,
        *,
        dpi: float = 100,
        show_colorbar: bool = True,
        frames: range | None = None,
    ):
        """`frames`: the frames an export will render, in order (video decoding
        starts on them at once, while the plot layout is built)."""
        if not scene.attrs.get("aligned"):
            scene = align_scene(scene)
        env = scene_environment(scene)
        if env.n_dims == 3:
            raise ValueError(
                format_message(
                    "3D environments cannot be drawn by the raster compositor "
                    "(video, HTML, render_frame).",
                    "a flat image of a 3D grid hides most bins.",
                    [
                        "Explore 3D fields interactively with napari (the optional "
                        "'napari' extra) once that backend is available.",
                        "Slice or project the field to 2D and build a 2D environment.",
                    ],
                )
            )
        style = scene_style(scene)
        overlays = scene_overlays(scene)
        self._videos: list[VideoLayer] = []
        try:  # video layers start decoding threads: stop them if the rest fails
            for ds in overlays.values():
                if ds.attrs["kind"] == "video":
                    self._videos.append(VideoLayer(ds, frames))
            self.env = env
            self.n_dims = env.n_dims
            self.times = np.asarray(scene["fields"]["time"].values, dtype=np.float64)
            self.n_frames = len(self.times)
            self.vmin, self.vmax = float(style["vmin"]), float(style["vmax"])
            show = style["show_regions"]
            names = list(env.regions) if show is True else (show or [])
            self.chrome: Chrome = build_chrome(
                env,
                dpi=dpi,
                cmap=style["cmap"],
                vmin=self.vmin,
                vmax=self.vmax,
                title=style.get("title", ""),
                show_colorbar=show_colorbar,
                regions=[env.regions[n] for n in names],
                region_alpha=float(style["region_alpha"]),
            )
            self.transform = self.chrome.world_to_px
            self.height, self.width = self.chrome.height, self.chrome.width
            self._field: xr.DataArray = scene["fields"]["field"]  # type: ignore[assignment]
            self._block: tuple[int, int, NDArray[np.float64]] | None = None
            self._init_field_layer(style["cmap"])
            self._init_regions()
            for video in self._videos:
                video.place(self.transform, self.chrome.axes_clip)
            self._layers = self._init_overlays(overlays, dpi)
            self._below = [v for v in self._videos if v.below]
            self._above = [v for v in self._videos if not v.below]
            # RGBX canvas: 4-byte pixels make the field lookup a uint32 gather (3x faster
            # than 3-byte rows); ffmpeg reads it as "rgb0". Drawing uses the RGB view.
            self._canvas = self.new_canvas()
            self._chrome = self.new_canvas()
            self._chrome[..., :3] = self.chrome.image
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ public
    def close(self) -> None:
        """Stop the video decoders this compositor started (idempotent)."""
        for video in self._videos:
            video.close()

    def __enter__(self) -> Compositor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def frame(self, index: int) -> Frame:
        index = self._check_index(index)
        image = np.ascontiguousarray(self.render(index)[..., :3])
        return Frame(
            image=image,
            time=float(self.times[index]),
            index=index,
            transform=self.transform.copy(),
            n_dims=self.n_dims,
        )

    def world_to_px(self, points: ArrayLike) -> NDArray[np.float64]:
        return _apply(self.transform, _as_xy(points, self.n_dims))

    def new_canvas(self) -> NDArray[np.uint8]:
        """A blank RGBX buffer of this compositor's size, for `render(..., out=)`."""
        return np.zeros((self.height, self.width, 4), dtype=np.uint8)

    def render(self, index: int, out: NDArray[np.uint8] | None = None) -> NDArray[np.uint8]:
        """Render frame `index` into `out` (default: a reused buffer), RGBX (H, W, 4)."""
        canvas = self._canvas if out is None else out
        np.copyto(canvas, self._chrome)
        for video in self._below:
            video.blend(canvas, index)
        self._draw_field(canvas, index)
        for video in self._above:
            video.blend(canvas, index)
        self._draw_regions(canvas)
        r0, r1, c0, c1 = self.chrome.axes_clip
        view = canvas[r0:r1, c0:c1]  # overlays are clipped to the axes
        for layer in self._layers:
            layer(view, index)
        self._draw_label(canvas, index)
        return canvas

    # ------------------------------------------------------------------- field
    def _init_field_layer(self, cmap: str) -> None:
        from matplotlib import colormaps
        from matplotlib.colors import to_rgb

        lut = np.zeros((258, 4), dtype=np.uint8)
        lut[:256, :3] = np.round(colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255)
        lut[256, :3] = np.round(np.array(to_rgb(NO_DATA_COLOR)) * 255)
        lut[257, :3] = np.round(np.array(to_rgb(BACKGROUND_COLOR)) * 255)
        self._lut = lut.view(np.uint32).ravel()  # one RGBX pixel per entry
        r0, r1, c0, c1 = self.chrome.axes_clip
        rows, cols = np.mgrid[r0:r1, c0:c1]
        pixels = np.column_stack([cols.ravel(), rows.ravel()]).astype(np.float64)
        world = _apply(np.linalg.inv(self.transform), pixels)
        # In 1D the axes' y range is the strip: every pixel's x picks the bin.
        bins = self.env.bin_at(world[:, : self.n_dims])
        index = np.where(bins >= 0, bins, self.env.n_bins).reshape(rows.shape)
        inside = index < self.env.n_bins
        rr = np.flatnonzero(inside.any(axis=1))
        cc = np.flatnonzero(inside.any(axis=0))
        if len(rr) == 0:
            self._field_rect = (r0, r0, c0, c0)
            self._index = np.zeros((0, 0), dtype=np.intp)
        else:
            self._field_rect = (r0 + rr[0], r0 + rr[-1] + 1, c0 + cc[0], c0 + cc[-1] + 1)
            self._index = np.ascontiguousarray(
                index[rr[0] : rr[-1] + 1, cc[0] : cc[-1] + 1], dtype=np.intp
            )
        self._field_buf = np.empty(self._index.shape, dtype=np.uint32)
        self._codes = np.empty(self.env.n_bins + 1, dtype=np.intp)
        self._codes[-1] = 257

    def _field_row(self, index: int) -> NDArray[np.float64]:
        block = self._block
        if block is None or not (block[0] <= index < block[1]):
            data = self._field.data
            chunks = getattr(data, "chunks", None)
            if chunks is not None:  # dask: load the whole chunk holding `index`
                bounds = np.cumsum((0, *chunks[0]))
                k = int(np.searchsorted(bounds, index, side="right")) - 1
                start, stop = int(bounds[k]), int(bounds[k + 1])
            else:
                start = index - index % _FIELD_BLOCK
                stop = min(start + _FIELD_BLOCK, self.n_frames)
            values = np.asarray(self._field.isel(time=slice(start, stop)).values, dtype=np.float64)
            block = self._block = (start, stop, values)
        return block[2][index - block[0]]

    def _draw_field(self, canvas: NDArray[np.uint8], index: int) -> None:
        if self._index.size == 0:
            return
        values = self._field_row(index)
        codes = self._codes
        scaled = (values - self.vmin) * (256.0 / (self.vmax - self.vmin))
        with np.errstate(invalid="ignore"):
            np.clip(scaled, 0, 255, out=scaled)
        finite = np.isfinite(values)
        codes[:-1] = np.where(finite, np.nan_to_num(scaled), 256).astype(np.intp)
        palette = self._lut[codes]
        r0, r1, c0, c1 = self._field_rect
        target = canvas.view(np.uint32)[r0:r1, c0:c1, 0]
        if self._below:  # video under the field shows through NaN and empty pixels
            np.take(palette, self._index, out=self._field_buf)
            opaque = np.take(codes < 256, self._index)
            np.copyto(target, self._field_buf, where=opaque)
        else:  # straight into the canvas ("clip" mode: no buffering; indices are valid)
            np.take(palette, self._index, out=target, mode="clip")

    # ----------------------------------------------------------------- regions
    def _init_regions(self) -> None:
        rgba = self.chrome.regions_rgba
        if rgba is None:
            self._regions = None
            return
        r, c = self.chrome.regions_origin
        rows, cols = np.nonzero(rgba[..., 3])
        alpha = rgba[rows, cols, 3:4].astype(np.float32) / 255.0
        color = rgba[rows, cols, :3].astype(np.float32)
        self._regions = ((rows + r, cols + c), color, alpha)  # only the covered pixels

    def _draw_regions(self, canvas: NDArray[np.uint8]) -> None:
        if self._regions is None:
            return
        where, color, alpha = self._regions
        draw.blend_pixels(canvas, where, color, alpha)

    # --------------------------------------------------------------- overlays
    def _init_overlays(self, overlays: dict[str, xr.Dataset], dpi: float) -> list[Any]:
        pt = dpi / 72.0
        clip = self.chrome.axes_clip
        origin = (clip[2], clip[0])  # (col, row) of the view overlays are drawn on
        layers: list[Any] = []
        anchors: list[NDArray[np.float64]] = []
        centroids: list[NDArray[np.float64]] = []
        headings: list[xr.Dataset] = []
        for ds in overlays.values():
            kind = ds.attrs["kind"]
            if kind == "position":
                world = np.asarray(ds["position"].values, dtype=np.float64)
                anchors.append(world)
                layers.append(_PositionLayer(self._to_px(world), ds.attrs, pt, origin))
            elif kind == "bodypart":
                world = np.moveaxis(np.asarray(ds["position"].values, dtype=np.float64), 1, -1)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames
                    centroids.append(np.nanmean(world, axis=1))
                px = self._to_px(world.reshape(-1, world.shape[-1])).reshape(*world.shape[:2], 2)
                layers.append(_BodypartLayer(px, ds, pt, origin))
            elif kind == "head_direction":
                headings.append(ds)
        sources = anchors or centroids
        centre = np.array([np.mean(r) for r in self.env.dimension_ranges])
        for k, ds in enumerate(headings):
            vectors = np.asarray(ds["heading"].values, dtype=np.float64)
            if sources:
                anchor = sources[min(k, len(sources) - 1)]
            else:  # no animal position: drawn as a compass at the environment centre
                anchor = np.broadcast_to(centre, vectors.shape)
            tips = anchor + float(ds.attrs["length"]) * vectors
            layers.append(
                _ArrowLayer(
                    self._to_px(anchor), self._to_px(tips), _rgb(ds.attrs["color"]), pt, origin
                )
            )
        return layers

    def _to_px(self, world: NDArray[np.float64]) -> NDArray[np.float64]:
        return _apply(self.transform, _as_xy(world, self.n_dims))

    # -------------------------------------------------------------------- text
    def _draw_label(self, canvas: NDArray[np.uint8], index: int) -> None:
        mask = self.chrome.glyphs.render(f"t = {self.times[index]:.2f} s")
        r, c = self.chrome.label_origin
        h = min(mask.shape[0], self.height - r)
        w = min(mask.shape[1], self.width - c)
        draw.blend_mask(canvas, mask[:h, :w], (r, c), self.chrome.text_color)

    def _check_index(self, index: int) -> int:
        n = self.n_frames
        if not isinstance(index, int | np.integer) or not (-n <= index < n):
            raise IndexError(f"Frame index {index!r} is out of range for {n} frames.")
        return int(index) % n


# ------------------------------------------------------------------- layers
class _PositionLayer:
    """Marker and fading trail; coordinates in fixed point for every frame, computed once."""

    def __init__(
        self, px: NDArray[np.float64], attrs: dict[str, Any], pt: float, origin: tuple[int, int]
    ) -> None:
        self.fx = draw.to_fixed(px, origin)
        self.valid = np.all(np.isfinite(px), axis=1)
        self.color = _rgb(attrs["color"])
        self.cv = draw.cv_color(self.color)
        radius = float(attrs["size"]) * pt / 2
        self.r_in = round(radius * draw.ONE)
        self.r_out = round((radius + 1.0) * draw.ONE)
        self.trail = int(attrs.get("trail_length", 0))
        self.thickness = max(1, round(max(1.5, 0.4 * radius)))

    def __call__(self, view: NDArray[np.uint8], i: int) -> None:
        fx, valid = self.fx, self.valid
        if self.trail and i > 0:
            start = max(0, i - self.trail)
            k = np.arange(start, i)
            keep = valid[k] & valid[k + 1]  # the trail breaks at gaps
            fade = 0.15 + 0.75 * (k - start + 1) / (i - start)
            draw.fading_polyline(
                view, fx[k[keep]], fx[k[keep] + 1], self.thickness, self.color, fade[keep]
            )
        if valid[i]:
            centre = (int(fx[i, 0]), int(fx[i, 1]))
            draw.disc(view, centre, self.r_out, OUTLINE_CV)
            draw.disc(view, centre, self.r_in, self.cv)


class _BodypartLayer:
    """Keypoints coloured per keypoint, joined by skeleton edges."""

    def __init__(
        self, px: NDArray[np.float64], ds: xr.Dataset, pt: float, origin: tuple[int, int]
    ) -> None:
        self.fx = draw.to_fixed(px, origin)  # (n_frames, n_keypoints, 2)
        self.valid = np.all(np.isfinite(px), axis=2)
        names = [str(k) for k in ds["keypoint"].values]
        given = json.loads(ds.attrs.get("colors", "{}"))
        auto = keypoint_colors(names)
        self.colors = [draw.cv_color(_rgb(given.get(n, auto[n]))) for n in names]
        self.edges: list[tuple[int, int]] = []
        if "skeleton" in ds:
            lookup = {n: i for i, n in enumerate(names)}
            self.edges = [(lookup[str(a)], lookup[str(b)]) for a, b in ds["skeleton"].values]
        self.edge_color = draw.cv_color(_rgb(ds.attrs["skeleton_color"]))
        self.edge_width = max(1, round(float(ds.attrs["skeleton_width"]) * pt))
        self.r_in = round(3.5 * pt * draw.ONE)
        self.r_out = round((3.5 * pt + 1.0) * draw.ONE)

    def __call__(self, view: NDArray[np.uint8], i: int) -> None:
        pts = [(int(c), int(r)) for c, r in self.fx[i]]
        valid = self.valid[i]
        for a, b in self.edges:
            if valid[a] and valid[b]:  # edges with a missing endpoint are not drawn
                draw.segment(view, pts[a], pts[b], self.edge_width, self.edge_color)
        for k, color in enumerate(self.colors):
            if valid[k]:
                draw.disc(view, pts[k], self.r_out, OUTLINE_CV)
                draw.disc(view, pts[k], self.r_in, color)


class _ArrowLayer:
    """Head-direction arrows: shaft and head geometry for every frame, computed once."""

    def __init__(
        self,
        start: NDArray[np.float64],
        tip: NDArray[np.float64],
        color: NDArray[np.float64],
        pt: float,
        origin: tuple[int, int],
    ) -> None:
        width = 2.5 * pt
        vec = tip - start
        length = np.hypot(vec[:, 0], vec[:, 1])
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = vec / length[:, None]
        head = np.minimum(length, np.maximum(3.0 * width, 0.3 * length))[:, None]
        base = tip - head * unit
        normal = np.column_stack([-unit[:, 1], unit[:, 0]]) * head * 0.55
        self.valid = np.isfinite(length) & (length > 1e-6)
        self.shaft_a = draw.to_fixed(start, origin)
        self.shaft_b = draw.to_fixed(base + 0.5 * unit, origin)
        self.head = draw.to_fixed(np.stack([tip, base + normal, base - normal], axis=1), origin)
        self.thickness = max(1, round(width))
        self.cv = draw.cv_color(color)

    def __call__(self, view: NDArray[np.uint8], i: int) -> None:
        if not self.valid[i]:
            return
        a, b = self.shaft_a[i], self.shaft_b[i]
        draw.segment(view, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), self.thickness, self.cv)
        draw.polygon(view, self.head[i], self.cv)


# ------------------------------------------------------------------ helpers
def keypoint_colors(names: list[str]) -> dict[str, str]:
    """Colour-blind-safe colour per keypoint, chosen from its name (stable across runs).

    Each name starts at ``crc32(name) % 7`` in `KEYPOINT_PALETTE`; names are
    visited in sorted order and take the next free colour on a collision, so the
    result depends only on the set of names.
    """
    out: dict[str, str] = {}
    used: set[int] = set()
    n = len(KEYPOINT_PALETTE)
    for name in sorted(names):
        k = zlib.crc32(name.encode()) % n
        for step in range(n):
            if (k + step) % n not in used or len(used) >= n:
                k = (k + step) % n
                break
        used.add(k)
        out[name] = KEYPOINT_PALETTE[k]
    return out


def _rgb(color: str) -> NDArray[np.float64]:
    from matplotlib.colors import to_rgb

    return np.array(to_rgb(color)) * 255.0


def _as_xy(points: ArrayLike, n_dims: int) -> NDArray[np.float64]:
    """World points -> (n, 2); in 1D, x gets the strip's centre line as y."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, n_dims)
    if n_dims == 1:
        pts = np.column_stack([pts[:, 0], np.full(len(pts), STRIP_CENTRE)])
    return pts


def _apply(matrix: NDArray[Any], xy: NDArray[Any]) -> NDArray[np.float64]:
    return xy @ matrix[:2, :2].T + matrix[:2, 2]
