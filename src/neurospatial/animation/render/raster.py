"""The raster compositor: layer descriptions -> RGB pixels, fast.

Once per (environment, style, size), cached: the chrome (matplotlib, see
``chrome.py``: axes, colorbar, title, region rasters, glyphs), a pixel -> bin index
image for the field (`raster_bins`) and a 258-entry colour lookup (256 colours,
"no data", background). Per frame: copy the chrome, then draw the frame's layers
(`LayerModel`) bottom first: the field through the index (``np.take(palette,
index, out=...)``), video warped onto the plot, regions blended, overlays
anti-aliased (OpenCV), the time label from the glyph atlas. `render_frame` and every
backend draw through this class, so they show exactly the same pixels.
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from neurospatial.animation.render import draw
from neurospatial.animation.render.chrome import Chrome, build_chrome
from neurospatial.animation.render.field_image import raster_bins
from neurospatial.animation.render.layers import (
    BACKGROUND_COLOR,
    NO_DATA_COLOR,
    ArrowLayer,
    FieldLayer,
    LabelLayer,
    Layer,
    PointsLayer,
    RegionLayer,
    SegmentsLayer,
    TrailLayer,
    VideoFrameLayer,
    lift,
)
from neurospatial.animation.render.model import LayerModel, SceneInfo, model_from, scene_info
from neurospatial.animation.render.video_layer import VideoBlender
from neurospatial.animation.transforms import Affine2D
from neurospatial.errors import format_message

__all__ = ["Compositor", "Frame", "render_frame"]

#: Frames of field values one export window holds at most (bytes), and its bounds.
_WINDOW_BYTES = 2**21
_WINDOW_FRAMES = (32, 1024)
#: Static canvases kept (chrome + field index per environment, style and size).
_CACHE_SIZE = 8


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
    transform : Affine2D
        World (x, y) -> pixel (col, row), pixel centres at integers
        (``np.asarray(transform)`` is its 3x3 matrix).
    """

    image: NDArray[np.uint8]
    time: float
    index: int
    transform: Affine2D
    n_dims: int = 2

    def world_to_px(self, points: ArrayLike) -> NDArray[np.float64]:
        """Map world points of shape (n, 2) – (n,) or (n, 1) in 1D – to (col, row) pixels."""
        return self.transform(lift(points, self.n_dims)[:, :2])


def render_frame(
    scene: xr.DataTree, index: int, *, dpi: float = 100, show_colorbar: bool = True
) -> Frame:
    """Render one frame of a scene to pixels (a figure, a thumbnail, a test).

    Only the frame and the frames its trails reach back to are aligned and read;
    the chrome and the pixel -> bin index are built once per environment, style and
    size, and reused.

    Parameters
    ----------
    scene : xr.DataTree
        From `build_scene`, `open_scene` or `align_scene`.
    index : int
        Frame index (negative counts from the end).
    dpi : float
        100 gives 800 x 600 pixels (8 x 6 inches).
    show_colorbar : bool
        Draw the colorbar.
    """
    with Compositor(scene, dpi=dpi, show_colorbar=show_colorbar) as compositor:
        return compositor.frame(index)


@dataclass(eq=False)
class _Static:
    """What every frame of a (scene style, size) shares: built once, cached."""

    chrome: Chrome
    background: NDArray[np.uint8]  # (H, W, 4) RGBX: the chrome
    lut: NDArray[np.uint32]  # 258 RGBX colours: colormap, no data, background
    index: NDArray[np.intp]  # field pixel -> bin (n_bins: no bin), within field_rect
    field_rect: tuple[int, int, int, int]
    #: (row0, row1, col0, col1) holding every pixel a frame may change: the axes, the
    #: time label, the regions (their labels may reach past the axes).
    dynamic: tuple[int, int, int, int]
    regions: dict[RegionLayer, tuple[tuple[NDArray[Any], NDArray[Any]], NDArray[Any], NDArray[Any]]]


_STATIC: OrderedDict[tuple[Any, ...], _Static] = OrderedDict()


def _static(info: SceneInfo, dpi: float, show_colorbar: bool) -> _Static:
    key = (info.key, float(dpi), bool(show_colorbar))
    static = _STATIC.get(key)
    if static is None:
        static = _build_static(info, dpi, show_colorbar)
        _STATIC[key] = static
        while len(_STATIC) > _CACHE_SIZE:
            _STATIC.popitem(last=False)
    _STATIC.move_to_end(key)
    return static


def _build_static(info: SceneInfo, dpi: float, show_colorbar: bool) -> _Static:
    from matplotlib import colormaps

    env = info.drawn  # a 3D grid: its flat (x, y) view
    chrome = build_chrome(
        env,
        dpi=dpi,
        cmap=info.cmap,
        vmin=info.vmin,
        vmax=info.vmax,
        title=info.title,
        show_colorbar=show_colorbar,
        regions=info.regions,
        x_label=info.x_label,
    )
    background = np.zeros((chrome.height, chrome.width, 4), dtype=np.uint8)
    background[..., :3] = chrome.image
    lut = np.zeros((258, 4), dtype=np.uint8)
    lut[:256, :3] = np.round(colormaps[info.cmap](np.linspace(0, 1, 256))[:, :3] * 255)
    lut[256, :3] = _rgb(NO_DATA_COLOR)
    lut[257, :3] = _rgb(BACKGROUND_COLOR)
    r0, r1, c0, c1 = chrome.axes_clip
    to_world = chrome.world_to_px.inverse()
    xs = to_world(np.column_stack([np.arange(c0, c1), np.full(c1 - c0, r0)]))[:, 0]
    ys = to_world(np.column_stack([np.full(r1 - r0, c0), np.arange(r0, r1)]))[:, 1]
    bins = raster_bins(env, xs, ys)  # the same mapping the field image uses
    index = np.where(bins >= 0, bins, env.n_bins)
    inside = index < env.n_bins
    rr, cc = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    if len(rr) == 0:
        rect, index = (r0, r0, c0, c0), np.zeros((0, 0), dtype=np.intp)
    else:
        rect = (r0 + rr[0], r0 + rr[-1] + 1, c0 + cc[0], c0 + cc[-1] + 1)
        index = np.ascontiguousarray(index[rr[0] : rr[-1] + 1, cc[0] : cc[-1] + 1], np.intp)
    regions = {}
    for layer, (rgba, (r, c)) in chrome.regions.items():
        rows, cols = np.nonzero(rgba[..., 3])
        alpha = rgba[rows, cols, 3:4].astype(np.float32) / 255.0
        regions[layer] = ((rows + r, cols + c), rgba[rows, cols, :3].astype(np.float32), alpha)
    boxes = [chrome.axes_clip]
    r, c = chrome.label_origin
    boxes.append((r, min(chrome.height, r + chrome.glyphs.height), c, chrome.width))
    boxes += [
        (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1)
        for (rows, cols), _, _ in regions.values()
    ]
    dynamic = (
        int(min(b[0] for b in boxes)),
        int(max(b[1] for b in boxes)),
        int(min(b[2] for b in boxes)),
        int(max(b[3] for b in boxes)),
    )
    lut32 = lut.view(np.uint32).ravel()
    return _Static(chrome, background, lut32, index, rect, dynamic, regions)


class Compositor:
    """Draws frames of one scene at one size.

    Parameters
    ----------
    scene : xr.DataTree
        From `build_scene`, `open_scene` or `align_scene` (a window of one too).
    dpi : float
        100 gives 800 x 600 pixels.
    show_colorbar : bool
    frames : range, optional
        The frames an export will render, in order: windows of them are aligned at
        once, and video decoding starts on them immediately (while the chrome is
        built). Without it every frame is aligned on its own (random access).
    """

    def __init__(
        self,
        scene: xr.DataTree,
        *,
        dpi: float = 100,
        show_colorbar: bool = True,
        frames: range | None = None,
    ):
        self.scene = scene
        self.info = info = scene_info(scene)
        self.n_dims = info.env.n_dims
        self.n_frames = info.n_frames
        self.times = info.times
        self._frames = frames
        per_frame = 8 * max(info.env.n_bins, 1)
        self._block = int(np.clip(_WINDOW_BYTES // per_frame, *_WINDOW_FRAMES))
        self._model: LayerModel | None = None
        self._span = (0, 0)
        self._videos: dict[str, VideoBlender] = {}
        self._placed = False
        try:  # video decoding starts here: stop its threads if the rest fails
            self._plans = self._video_plans(frames)
            if self._plans:  # start decoding the first frames before the chrome is built
                assert frames is not None
                first = self._model_for(frames.start).layers(int(info.numbers[frames.start]))
                for layer in first:
                    if isinstance(layer, VideoFrameLayer):
                        self._blender(layer)
            self._static = _static(info, dpi, show_colorbar)
            chrome = self._static.chrome
            self.transform = chrome.world_to_px
            self.height, self.width = chrome.height, chrome.width
            for video in self._videos.values():
                video.place(self.transform, chrome.axes_clip)
            self._placed = True
            # World -> fixed-point pixels relative to the axes clip, as one affine map.
            m, (c0, r0) = self.transform.matrix, self._clip_origin()
            self._fixed = (m[:2, :2].T * draw.ONE, (m[:2, 2] - (c0, r0)) * draw.ONE)
            self._scale = float(np.sqrt(abs(np.linalg.det(m[:2, :2]))))  # px per world unit
            # RGBX canvas: 4-byte pixels make the field lookup a uint32 gather (3x faster
            # than 3-byte rows); ffmpeg reads it as "rgb0". Drawing uses the RGB view.
            self._primed: list[NDArray[np.uint8]] = []
            self._canvas = self.new_canvas()
            self._codes = np.empty(info.drawn.n_bins + 1, dtype=np.intp)
            self._codes[-1] = 257
            self._field_buf = np.empty(self._static.index.shape, dtype=np.uint32)
            self._pt = dpi / 72.0
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ public
    def close(self) -> None:
        """Stop the video decoders this compositor started (idempotent)."""
        for video in self._videos.values():
            video.close()

    def __enter__(self) -> Compositor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def frame(self, index: int) -> Frame:
        import cv2

        index = self._check_index(index)
        image = np.asarray(cv2.cvtColor(self.render(index), cv2.COLOR_RGBA2RGB), np.uint8)
        return Frame(
            image=image,
            time=float(self.times[index]),
            index=index,
            transform=self.transform,
            n_dims=self.n_dims,
        )

    def world_to_px(self, points: ArrayLike) -> NDArray[np.float64]:
        return self.transform(lift(points, self.n_dims)[:, :2])

    def new_canvas(self) -> NDArray[np.uint8]:
        """An RGBX buffer of this compositor's size holding the chrome, for
        `render(..., out=)` (drawing into it restores only what frames change)."""
        canvas = self._static.background.copy()
        self._primed.append(canvas)
        return canvas

    def render(
        self,
        index: int,
        out: NDArray[np.uint8] | None = None,
        *,
        hidden: Collection[str] = (),
    ) -> NDArray[np.uint8]:
        """Render frame `index` (a position in the scene) into `out` (default: a reused
        buffer), RGBX (H, W, 4), leaving out the layers named in `hidden`."""
        layers = self._model_for(index).layers(int(self.info.numbers[index]))
        if hidden:
            layers = [layer for layer in layers if layer.name not in hidden]
        return self.draw(layers, out)

    def prefetch(self, start: int, stop: int, *, behind: int = 0) -> None:
        """Have frames ``[start, stop)`` aligned as one window, so that rendering them
        reads the scene once: if the current window does not hold them, align one block
        from `behind` frames before `start` (live players call this)."""
        start = self._check_index(start)
        first = max(0, start - max(0, int(behind)))
        end = min(self.n_frames, first + self._block)
        stop = min(max(stop, start + 1), end)
        if self._model is not None and self._span[0] <= start and stop <= self._span[1]:
            return
        stop = end  # a whole block: the next requests nearby or ahead need no new window
        self._model, self._span = model_from(self.scene, self.info, first, stop), (first, stop)

    def draw(self, layers: list[Layer], out: NDArray[np.uint8] | None = None) -> NDArray[np.uint8]:
        """Draw layer descriptions (bottom first) into `out` (default: a reused buffer)."""
        canvas = self._canvas if out is None else out
        if any(canvas is primed for primed in self._primed):  # the chrome is in place
            d0, d1, e0, e1 = self._static.dynamic
            np.copyto(canvas[d0:d1, e0:e1], self._static.background[d0:d1, e0:e1])
        else:
            np.copyto(canvas, self._static.background)
        r0, r1, c0, c1 = self._static.chrome.axes_clip
        view = canvas[r0:r1, c0:c1]  # overlays are clipped to the axes
        for layer in layers:
            _DRAW[type(layer)](self, canvas, view, layer)
        return canvas

    # --------------------------------------------------------------- windows
    def _model_for(self, index: int) -> LayerModel:
        """The layer model of a window holding frame `index` and its history."""
        if self._model is not None and self._span[0] <= index < self._span[1]:
            return self._model
        stop = index + 1
        if self._frames is not None and self._frames.start <= index < self._frames.stop:
            stop = min(self._frames.stop, index + self._block)
        self._model, self._span = model_from(self.scene, self.info, index, stop), (index, stop)
        return self._model

    def _video_plans(self, frames: range | None) -> dict[str, NDArray[np.int64]]:
        """Per overlay that reads ahead (video), the frames it will show, in order."""
        if frames is None:
            return {}
        from neurospatial.animation.overlays.base import kind_of
        from neurospatial.animation.store import scene_overlays

        times = self.times[frames.start : frames.stop]
        plans = {}
        for name, ds in scene_overlays(self.scene).items():
            plan = kind_of(ds).frames_shown(ds, times, frames)
            if plan is not None:
                plans[name] = plan
        return plans

    def _blender(self, layer: VideoFrameLayer) -> VideoBlender:
        """The blender of a video layer, made (and decoding ahead) on first use."""
        video = self._videos.get(layer.name)
        if video is None:
            plan = self._plans.get(layer.name)
            video = VideoBlender(layer.source, layer.px_to_world, layer.alpha, plan)
            self._videos[layer.name] = video
            if self._placed:
                video.place(self.transform, self._static.chrome.axes_clip)
        return video

    # ---------------------------------------------------------------- drawing
    def _draw_field(self, canvas: NDArray[np.uint8], view: Any, layer: FieldLayer) -> None:
        static = self._static
        if static.index.size == 0:
            return
        values, codes = layer.values, self._codes
        scaled = (values - layer.vmin) * (256.0 / (layer.vmax - layer.vmin))
        with np.errstate(invalid="ignore"):
            np.clip(scaled, 0, 255, out=scaled)
        codes[:-1] = np.where(np.isfinite(values), scaled, 256).astype(np.intp)
        palette = static.lut[codes]
        r0, r1, c0, c1 = static.field_rect
        target = canvas.view(np.uint32)[r0:r1, c0:c1, 0]
        if layer.transparent_nodata:  # a video under the field shows through NaN and no bin
            np.take(palette, static.index, out=self._field_buf)
            opaque = np.take(codes < 256, static.index)
            np.copyto(target, self._field_buf, where=opaque)
        else:  # straight into the canvas ("clip" mode: no buffering; indices are valid)
            np.take(palette, static.index, out=target, mode="clip")

    def _draw_video(self, canvas: NDArray[np.uint8], view: Any, layer: VideoFrameLayer) -> None:
        if layer.frame_index >= 0:
            self._blender(layer).blend(canvas, layer.frame_index)

    def _draw_region(self, canvas: NDArray[np.uint8], view: Any, layer: RegionLayer) -> None:
        raster = self._static.regions.get(layer)
        if raster is not None:
            draw.blend_pixels(canvas, *raster)

    def _px(self, world: NDArray[np.float64]) -> NDArray[np.int32]:
        """World points (finite, as layers hold them) -> fixed-point pixels relative to
        the axes clip."""
        linear, offset = self._fixed
        return np.rint(world @ linear + offset).astype(np.int32)

    def _draw_trail(self, canvas: NDArray[np.uint8], view: Any, layer: TrailLayer) -> None:
        if len(layer.starts):
            thickness = max(1, round(layer.width * self._pt))
            starts, ends = self._px(layer.starts), self._px(layer.ends)
            draw.fading_polyline(view, starts, ends, thickness, _rgb(layer.color), layer.alpha)

    def _draw_points(self, canvas: NDArray[np.uint8], view: Any, layer: PointsLayer) -> None:
        if not len(layer.positions):
            return
        radius = layer.size * self._pt / 2
        r_in = round(radius * draw.ONE)
        r_out = round((radius + layer.outline_width * self._pt) * draw.ONE)
        outline = _cv(layer.outline_color)
        for (c, r), color in zip(self._px(layer.positions).tolist(), layer.colors, strict=True):
            draw.disc(view, (c, r), r_out, outline)
            draw.disc(view, (c, r), r_in, _cv(color))

    def _draw_segments(self, canvas: NDArray[np.uint8], view: Any, layer: SegmentsLayer) -> None:
        if not len(layer.starts):
            return
        thickness, color = max(1, round(layer.width * self._pt)), _cv(layer.color)
        for a, b in zip(
            self._px(layer.starts).tolist(), self._px(layer.ends).tolist(), strict=True
        ):
            draw.segment(view, (a[0], a[1]), (b[0], b[1]), thickness, color)

    def _draw_arrows(self, canvas: NDArray[np.uint8], view: Any, layer: ArrowLayer) -> None:
        if not len(layer.origins):
            return
        thickness, color = max(1, round(layer.width * self._pt)), _cv(layer.color)
        (ax, bx), (ay, by) = self._fixed[0].T.tolist()  # world -> fixed point, per axis
        tx, ty = self._fixed[1].tolist()
        head_max = layer.head_length * self._scale * draw.ONE
        ratio = layer.head_width / layer.head_length / 2
        for (ox, oy), (px, py) in zip(layer.origins.tolist(), layer.tips.tolist(), strict=True):
            x0, y0 = ax * ox + bx * oy + tx, ay * ox + by * oy + ty  # a few arrows: plain floats
            x1, y1 = ax * px + bx * py + tx, ay * px + by * py + ty
            length = math.hypot(x1 - x0, y1 - y0)
            if length <= 1e-6 * draw.ONE:
                continue
            ux, uy = (x1 - x0) / length, (y1 - y0) / length
            head = min(length, head_max)
            cx, cy = x1 - head * ux, y1 - head * uy  # the head's base
            nx, ny = -uy * head * ratio, ux * head * ratio
            tip = (round(x1), round(y1))
            shaft_end = (round(cx + 0.5 * draw.ONE * ux), round(cy + 0.5 * draw.ONE * uy))
            triangle = np.array(
                [tip, (round(cx + nx), round(cy + ny)), (round(cx - nx), round(cy - ny))], np.int32
            )
            draw.segment(view, (round(x0), round(y0)), shaft_end, thickness, color)
            draw.polygon(view, triangle, color)

    def _clip_origin(self) -> tuple[int, int]:
        """(col, row) of the axes clip's top-left: the origin of overlay drawing."""
        r0, _, c0, _ = self._static.chrome.axes_clip
        return (c0, r0)

    def _draw_label(self, canvas: NDArray[np.uint8], view: Any, layer: LabelLayer) -> None:
        chrome = self._static.chrome
        mask = chrome.glyphs.render(layer.text)
        r, c = chrome.label_origin
        h = min(mask.shape[0], self.height - r)
        w = min(mask.shape[1], self.width - c)
        draw.blend_mask(canvas, mask[:h, :w], (r, c), chrome.text_color)

    def _check_index(self, index: int) -> int:
        n = self.n_frames
        if not isinstance(index, int | np.integer) or not (-n <= index < n):
            raise IndexError(
                format_message(
                    f"Frame index {index!r} is out of range for {n} frames.",
                    f"frames are numbered 0 .. {n - 1} (negative indices count from the end).",
                    [f"Pass an integer index with -{n} <= index < {n}."],
                )
            )
        return int(index) % n


_DRAW: dict[type, Any] = {
    FieldLayer: Compositor._draw_field,
    VideoFrameLayer: Compositor._draw_video,
    RegionLayer: Compositor._draw_region,
    TrailLayer: Compositor._draw_trail,
    PointsLayer: Compositor._draw_points,
    SegmentsLayer: Compositor._draw_segments,
    ArrowLayer: Compositor._draw_arrows,
    LabelLayer: Compositor._draw_label,
}


@functools.lru_cache(maxsize=256)
def _rgb(color: str) -> NDArray[np.float64]:
    from matplotlib.colors import to_rgb

    rgb = np.array(to_rgb(color)) * 255.0
    rgb.flags.writeable = False
    return rgb


@functools.lru_cache(maxsize=256)
def _cv(color: str) -> draw.Color:
    return draw.cv_color(_rgb(color))
