"""Layer descriptions: what one frame shows, renderer-neutral, every style decision made.

A frame is a list of frozen layers in drawing order (bottom first). Coordinates are
world coordinates (x right, y up, environment units); 1D environments are lifted
onto a horizontal strip (`lift`) so every layer has (x, y) points. Sizes and widths
are in points (1/72 inch) and each renderer converts them to its own units; arrow
heads are in world units. Colours are matplotlib colour strings.

The compositor turns these into pixels; the HoloViews view and napari translate the
same descriptions into their elements and layers, so every surface draws the same
thing. Style constants live here, nowhere else.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from neurospatial.animation.render.video_source import VideoSource
    from neurospatial.animation.transforms import Affine2D

__all__ = [
    "BACKGROUND_COLOR",
    "KEYPOINT_PALETTE",
    "NO_DATA_COLOR",
    "STRIP_CENTRE",
    "STRIP_Y",
    "ArrowLayer",
    "FieldLayer",
    "LabelLayer",
    "Layer",
    "PointsLayer",
    "RegionLayer",
    "SegmentsLayer",
    "TrailLayer",
    "VideoFrameLayer",
    "keypoint_colors",
    "lift",
    "time_label",
    "trail_alpha",
    "trail_width",
]

#: Colour of active bins whose value is NaN ("no data", e.g. below min occupancy).
NO_DATA_COLOR = "#b3b3b3"
#: Colour of the plot area outside the environment's active bins.
BACKGROUND_COLOR = "#ffffff"
#: 1D environments are drawn as a strip: its y range in world units, and its centre
#: line, where 1D points are placed.
STRIP_Y = (0.0, 1.0)
STRIP_CENTRE = 0.5 * (STRIP_Y[0] + STRIP_Y[1])
#: Okabe-Ito colours (colour-blind safe), black left out: it vanishes on dark fields.
KEYPOINT_PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
#: Markers get a thin dark outline so they read on any field colour.
OUTLINE_COLOR = "#141414"
OUTLINE_WIDTH_PT = 0.72
KEYPOINT_SIZE_PT = 7.0
ARROW_WIDTH_PT = 2.5
#: Arrow heads: length as a fraction of the arrow, width as a fraction of the head length.
ARROW_HEAD_LENGTH = 0.3
ARROW_HEAD_WIDTH = 1.1
#: Trails: opacity of the oldest and the newest segment.
TRAIL_ALPHA = (0.15, 0.90)
REGION_COLOR = "#ff7f0e"  # one colour for all regions; names are written next to them
REGION_EDGE_WIDTH_PT = 1.5
REGION_POINT_SIZE_PT = 12.0
REGION_POINT_EDGE_PT = 2.0
REGION_LABEL_SIZE_PT = 8.0
REGION_LABEL_OFFSET_PT = (8.0, 8.0)


def lift(points: ArrayLike, n_dims: int) -> NDArray[np.float64]:
    """World points as (n, 2): 2D points unchanged, 1D points onto the strip's centre line.

    3D points keep their three coordinates (only 3D-aware renderers draw them).
    """
    pts = np.asarray(points, dtype=np.float64)
    if n_dims == 1:
        x = pts.reshape(-1) if pts.ndim < 2 else pts[..., 0]
        return np.stack([x, np.full(x.shape, STRIP_CENTRE)], axis=-1)
    return pts.reshape(-1, n_dims) if pts.ndim < 2 else pts


def trail_width(size: float) -> float:
    """Trail width in points for a marker `size` points across."""
    return max(1.08, 0.2 * size)


def time_label(time: float) -> str:
    """The text of the per-frame time label."""
    return f"t = {time:.2f} s"


def trail_alpha(age: NDArray[Any], n_segments: int) -> NDArray[np.float64]:
    """Opacity of trail segments by age (1 = the newest of `n_segments`), rising
    linearly with recency up to `TRAIL_ALPHA[1]`; the oldest of n segments gets
    ``lo + (hi - lo) / n``, so long trails fade out towards `TRAIL_ALPHA[0]`."""
    lo, hi = TRAIL_ALPHA
    return lo + (hi - lo) * (n_segments - np.asarray(age, dtype=np.float64) + 1) / n_segments


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


def _frozen(values: ArrayLike, shape_tail: tuple[int, ...] = ()) -> NDArray[np.float64]:
    """A read-only float array for a layer. Builders pass fresh arrays (made read-only
    in place) or views of their window's read-only arrays (kept); views of writeable
    arrays are copied."""
    arr = np.asarray(values, dtype=np.float64)
    if shape_tail == (2,) and arr.ndim == 2 and arr.shape[1] == 3:
        arr = arr[:, :2]  # a 3D point is drawn at its (x, y): the flat view of a volume
    if shape_tail:
        arr = arr.reshape(-1, *shape_tail)
    if arr.flags.writeable:
        if not arr.flags.owndata:
            arr = arr.copy()
        arr.flags.writeable = False
    return arr


# --------------------------------------------------------------------------- layers
@dataclass(frozen=True, eq=False)
class FieldLayer:
    """The field of one frame: a value per active bin, coloured through `cmap`.

    Values outside [vmin, vmax] are clipped to the colormap's ends; NaN bins are drawn
    in `nodata_color`, or left transparent when `transparent_nodata` (a video is drawn
    under the field and shows through). Image renderers get the same values as an
    image from `field_image`.
    """

    name: str
    frame: int
    time: float
    values: NDArray[np.float64]  # (n_bins,)
    cmap: str
    vmin: float
    vmax: float
    nodata_color: str = NO_DATA_COLOR
    background_color: str = BACKGROUND_COLOR
    transparent_nodata: bool = False


@dataclass(frozen=True)
class RegionLayer:
    """A named region (static: the same object in every frame; hashable).

    Polygons are filled with `color` at `fill_alpha` and outlined `edge_width` points
    wide; points are rings `marker_size` points across. The label is written at
    `label_offset` points (right, up) from `label_anchor`.
    """

    name: str
    kind: str  # "polygon" or "point"
    coords: tuple[tuple[float, float], ...]  # polygon vertices, or the single point
    color: str
    fill_alpha: float
    edge_width: float
    marker_size: float
    label: str
    label_anchor: tuple[float, float]
    label_offset: tuple[float, float] = REGION_LABEL_OFFSET_PT
    label_size: float = REGION_LABEL_SIZE_PT


@dataclass(frozen=True, eq=False)
class TrailLayer:
    """A fading trail: segments between consecutive frames' positions, broken at gaps
    (a segment is present only when both its ends are). `age` is 1 for the newest
    segment; `alpha` is each segment's opacity."""

    name: str
    starts: NDArray[np.float64]  # (n, 2)
    ends: NDArray[np.float64]  # (n, 2)
    age: NDArray[np.float64]  # (n,)
    alpha: NDArray[np.float64]  # (n,)
    color: str
    width: float


@dataclass(frozen=True, eq=False)
class PointsLayer:
    """Markers: discs `size` points across with an outline; one colour and one label
    (keypoint or overlay name) per point. Missing points are not in the layer."""

    name: str
    positions: NDArray[np.float64]  # (n, 2)
    colors: tuple[str, ...]
    labels: tuple[str, ...]
    size: float
    outline_color: str = OUTLINE_COLOR
    outline_width: float = OUTLINE_WIDTH_PT


@dataclass(frozen=True, eq=False)
class SegmentsLayer:
    """Straight segments (a skeleton), `width` points wide; edges with a missing
    endpoint are left out. `labels` names each edge ("nose-tail_base")."""

    name: str
    starts: NDArray[np.float64]  # (n, 2)
    ends: NDArray[np.float64]  # (n, 2)
    labels: tuple[str, ...]
    color: str
    width: float


@dataclass(frozen=True, eq=False)
class ArrowLayer:
    """Arrows from `origins` to `tips`: a shaft `width` points wide and a triangular
    head `head_length` long and `head_width` wide (world units) ending at the tip."""

    name: str
    origins: NDArray[np.float64]  # (n, 2)
    tips: NDArray[np.float64]  # (n, 2)
    head_length: float
    head_width: float
    color: str
    width: float = ARROW_WIDTH_PT


@dataclass(frozen=True, eq=False)
class VideoFrameLayer:
    """One behaviour-video frame, placed in the world by `px_to_world` (its pixels,
    centres at integers, as `rgb()` returns them: cropped and downsampled).
    `frame_index` is -1 when the video has no frame at this time (nothing drawn)."""

    name: str
    frame_index: int  # video frame number, -1: none
    source: VideoSource
    px_to_world: Affine2D
    alpha: float
    z_order: str  # "below" or "above" the field

    def rgb(self) -> NDArray[np.uint8] | None:
        """The frame's pixels, (height, width, 3) uint8; None without a frame."""
        return None if self.frame_index < 0 else self.source.frame(self.frame_index)


@dataclass(frozen=True)
class LabelLayer:
    """Per-frame text: the frame's time (`time_label`)."""

    name: str
    text: str


Layer = (
    FieldLayer
    | RegionLayer
    | TrailLayer
    | PointsLayer
    | SegmentsLayer
    | ArrowLayer
    | VideoFrameLayer
    | LabelLayer
)


def points_layer(
    name: str,
    positions: NDArray[Any],
    colors: tuple[str, ...],
    labels: tuple[str, ...],
    size: float,
) -> PointsLayer:
    return PointsLayer(name, _frozen(positions, (2,)), colors, labels, size)


def segments_layer(
    name: str,
    starts: NDArray[Any],
    ends: NDArray[Any],
    labels: tuple[str, ...],
    color: str,
    width: float,
) -> SegmentsLayer:
    return SegmentsLayer(name, _frozen(starts, (2,)), _frozen(ends, (2,)), labels, color, width)


def trail_layer(
    name: str,
    starts: NDArray[Any],
    ends: NDArray[Any],
    age: NDArray[Any],
    n_segments: int,
    color: str,
    width: float,
) -> TrailLayer:
    alpha = trail_alpha(age, n_segments)
    return TrailLayer(
        name, _frozen(starts, (2,)), _frozen(ends, (2,)), _frozen(age), _frozen(alpha), color, width
    )


def arrow_layer(
    name: str, origins: NDArray[Any], tips: NDArray[Any], length: float, color: str
) -> ArrowLayer:
    head = ARROW_HEAD_LENGTH * length
    return ArrowLayer(
        name, _frozen(origins, (2,)), _frozen(tips, (2,)), head, ARROW_HEAD_WIDTH * head, color
    )
