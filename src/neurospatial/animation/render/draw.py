"""Anti-aliased drawing primitives on an RGB uint8 canvas, in numpy.

Coordinates are float pixels (col, row) with pixel centres at integers. Each
primitive computes a coverage in [0, 1] from a signed distance over its own
small bounding box only (so a marker costs a few hundred pixels, not a frame)
and blends its colour in place. All functions clip to a rectangle
``clip = (row0, row1, col0, col1)`` (half-open).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["blend_mask", "disc", "polygon", "polyline", "ring", "segment"]

Canvas = NDArray[np.uint8]
Clip = tuple[int, int, int, int]


def _box(
    c0: float, c1: float, r0: float, r1: float, clip: Clip
) -> tuple[int, int, int, int] | None:
    rows0 = max(int(np.floor(r0)), clip[0])
    rows1 = min(int(np.ceil(r1)) + 1, clip[1])
    cols0 = max(int(np.floor(c0)), clip[2])
    cols1 = min(int(np.ceil(c1)) + 1, clip[3])
    if rows0 >= rows1 or cols0 >= cols1:
        return None
    return rows0, rows1, cols0, cols1


def _blend(
    canvas: Canvas, box: tuple[int, int, int, int], cover: NDArray[Any], color: NDArray[Any]
) -> None:
    r0, r1, c0, c1 = box
    region = canvas[r0:r1, c0:c1]
    a = cover[..., None]
    out = region + (color - region) * a
    np.rint(out, out=out)
    region[...] = out


def disc(
    canvas: Canvas, center: NDArray, radius: float, color: NDArray, alpha: float, clip: Clip
) -> None:
    """Filled disc of `radius` pixels centred at (col, row)."""
    cx, cy = float(center[0]), float(center[1])
    pad = radius + 1.0
    box = _box(cx - pad, cx + pad, cy - pad, cy + pad, clip)
    if box is None:
        return
    cols = np.arange(box[2], box[3], dtype=np.float32) - cx
    rows = np.arange(box[0], box[1], dtype=np.float32)[:, None] - cy
    dist = np.sqrt(cols * cols + rows * rows)
    cover = np.clip(radius + 0.5 - dist, 0.0, 1.0) * alpha
    _blend(canvas, box, cover, color)


def ring(
    canvas: Canvas,
    center: NDArray,
    radius: float,
    width: float,
    color: NDArray,
    alpha: float,
    clip: Clip,
) -> None:
    """Circle outline of `radius` (centre of the stroke) and stroke `width` pixels."""
    cx, cy = float(center[0]), float(center[1])
    pad = radius + width + 1.0
    box = _box(cx - pad, cx + pad, cy - pad, cy + pad, clip)
    if box is None:
        return
    cols = np.arange(box[2], box[3], dtype=np.float32) - cx
    rows = np.arange(box[0], box[1], dtype=np.float32)[:, None] - cy
    dist = np.abs(np.sqrt(cols * cols + rows * rows) - radius)
    cover = np.clip(width / 2 + 0.5 - dist, 0.0, 1.0) * alpha
    _blend(canvas, box, cover, color)


def segment(
    canvas: Canvas,
    p0: NDArray,
    p1: NDArray,
    width: float,
    color: NDArray,
    alpha: float,
    clip: Clip,
) -> None:
    """Line segment with round caps, `width` pixels wide."""
    x0, y0, x1, y1 = float(p0[0]), float(p0[1]), float(p1[0]), float(p1[1])
    half = width / 2
    pad = half + 1.0
    box = _box(min(x0, x1) - pad, max(x0, x1) + pad, min(y0, y1) - pad, max(y0, y1) + pad, clip)
    if box is None:
        return
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    cols: NDArray[Any] = np.arange(box[2], box[3], dtype=np.float32)[None, :] - x0
    rows: NDArray[Any] = np.arange(box[0], box[1], dtype=np.float32)[:, None] - y0
    if length2 > 0:
        t = np.clip((cols * dx + rows * dy) / length2, 0.0, 1.0)
        ex = cols - t * dx
        ey = rows - t * dy
    else:
        ex, ey = cols, rows
    dist = np.sqrt(ex * ex + ey * ey)
    # Strokes thinner than a pixel fade instead of disappearing.
    cover = np.clip(half + 0.5 - dist, 0.0, 1.0) * (alpha * min(1.0, width))
    _blend(canvas, box, cover, color)


def polyline(
    canvas: Canvas,
    starts: NDArray,
    ends: NDArray,
    width: float,
    color: NDArray,
    alphas: NDArray,
    clip: Clip,
) -> None:
    """Several segments (starts/ends of shape (n, 2)) with per-segment opacity, one blend.

    Coverage is the maximum over segments, so joints are not blended twice; each
    segment is evaluated on its own small box, then only covered pixels are blended.
    """
    if len(starts) == 0:
        return
    half = width / 2
    pad = half + 1.0
    both = np.concatenate([starts, ends])
    union = _box(
        both[:, 0].min() - pad,
        both[:, 0].max() + pad,
        both[:, 1].min() - pad,
        both[:, 1].max() + pad,
        clip,
    )
    if union is None:
        return
    acc = np.zeros((union[1] - union[0], union[3] - union[2]), dtype=np.float32)
    strength = min(1.0, width)
    for (x0, y0), (x1, y1), alpha in zip(starts, ends, alphas, strict=True):
        box = _box(min(x0, x1) - pad, max(x0, x1) + pad, min(y0, y1) - pad, max(y0, y1) + pad, clip)
        if box is None:
            continue
        dx, dy = x1 - x0, y1 - y0
        length2 = max(dx * dx + dy * dy, 1e-12)
        cols = np.arange(box[2], box[3], dtype=np.float32)[None, :] - np.float32(x0)
        rows = np.arange(box[0], box[1], dtype=np.float32)[:, None] - np.float32(y0)
        t = np.clip((cols * dx + rows * dy) * (1.0 / length2), 0.0, 1.0)
        ex = cols - t * dx
        ey = rows - t * dy
        cover = np.clip(half + 0.5 - np.sqrt(ex * ex + ey * ey), 0.0, 1.0)
        cover *= alpha * strength
        sub = acc[box[0] - union[0] : box[1] - union[0], box[2] - union[2] : box[3] - union[2]]
        np.maximum(sub, cover, out=sub)
    rows_i, cols_i = np.nonzero(acc)
    a = acc[rows_i, cols_i][:, None]
    where = (rows_i + union[0], cols_i + union[2])
    under = canvas[where]
    out = under + (color - under) * a
    np.rint(out, out=out)
    canvas[where] = out


def polygon(canvas: Canvas, vertices: NDArray, color: NDArray, alpha: float, clip: Clip) -> None:
    """Filled convex polygon; vertices of shape (n, 2) in (col, row), any winding."""
    v = np.asarray(vertices, dtype=np.float64)
    box = _box(v[:, 0].min() - 1, v[:, 0].max() + 1, v[:, 1].min() - 1, v[:, 1].max() + 1, clip)
    if box is None:
        return
    # Orient counter-clockwise in (col, row) so outward normals point away.
    signed_area = np.sum(v[:, 0] * np.roll(v[:, 1], -1) - np.roll(v[:, 0], -1) * v[:, 1])
    if signed_area < 0:
        v = v[::-1]
    cols = np.arange(box[2], box[3], dtype=np.float32)[None, :]
    rows = np.arange(box[0], box[1], dtype=np.float32)[:, None]
    dist = np.full((box[1] - box[0], box[3] - box[2]), -np.inf, dtype=np.float32)
    for a, b in zip(v, np.roll(v, -1, axis=0), strict=True):
        edge = b - a
        norm = np.hypot(edge[0], edge[1])
        if norm == 0:
            continue
        nx, ny = edge[1] / norm, -edge[0] / norm  # outward for counter-clockwise order
        np.maximum(dist, (cols - a[0]) * nx + (rows - a[1]) * ny, out=dist)
    cover = np.clip(0.5 - dist, 0.0, 1.0) * alpha
    _blend(canvas, box, cover, color)


def blend_mask(
    canvas: Canvas, mask: NDArray[np.float32], top_left: tuple[int, int], color: NDArray
) -> None:
    """Blend `color` through a coverage `mask` placed with its top-left at (row, col)."""
    r, c = top_left
    h, w = mask.shape
    _blend(canvas, (r, r + h, c, c + w), mask, color)
