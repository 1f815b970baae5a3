"""Anti-aliased drawing primitives on the RGBX canvas (OpenCV, sub-pixel exact).

Coordinates are float pixels (col, row) with pixel centres at integers (OpenCV's
convention); they are passed to OpenCV in 1/16-pixel fixed point (``shift=4``),
so markers land where `world_to_px` says, not on the nearest pixel. Opaque shapes
are drawn straight onto the canvas (OpenCV blends their anti-aliased edges);
translucent strokes (the fading trail) are drawn into a coverage mask first and
blended once. Drawing is clipped to ``clip = (row0, row1, col0, col1)``.

OpenCV draws in C at a few microseconds per shape: a frame's overlays cost a
fraction of a millisecond, where numpy distance fields cost over a millisecond.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["blend_mask", "blend_pixels", "disc", "fading_polyline", "polygon", "segment"]

Canvas = NDArray[np.uint8]  # (H, W, 4) RGBX
Clip = tuple[int, int, int, int]
SHIFT = 4
_ONE = 1 << SHIFT


def _fixed(points: NDArray[Any]) -> NDArray[np.int32]:
    return np.round(np.asarray(points, dtype=np.float64) * _ONE).astype(np.int32)


def _color(color: NDArray[Any]) -> tuple[float, float, float, float]:
    return (float(color[0]), float(color[1]), float(color[2]), 0.0)


def _view(canvas: Canvas, clip: Clip) -> tuple[Canvas, NDArray[np.float64]]:
    """The clip rectangle as a view, and the offset to subtract from coordinates."""
    r0, r1, c0, c1 = clip
    return canvas[r0:r1, c0:c1], np.array([c0, r0], dtype=np.float64)


def disc(
    canvas: Canvas, center: NDArray[Any], radius: float, color: NDArray[Any], clip: Clip
) -> None:
    """Filled anti-aliased disc of `radius` pixels centred at (col, row)."""
    view, offset = _view(canvas, clip)
    c = _fixed(np.asarray(center) - offset)
    cv2.circle(
        view,
        (int(c[0]), int(c[1])),
        int(round(radius * _ONE)),
        _color(color),
        -1,
        cv2.LINE_AA,
        SHIFT,
    )


def segment(
    canvas: Canvas,
    p0: NDArray[Any],
    p1: NDArray[Any],
    width: float,
    color: NDArray[Any],
    clip: Clip,
) -> None:
    """Opaque anti-aliased line of `width` pixels (rounded to whole pixels, >= 1)."""
    view, offset = _view(canvas, clip)
    a, b = _fixed(np.asarray(p0) - offset), _fixed(np.asarray(p1) - offset)
    cv2.line(
        view,
        (int(a[0]), int(a[1])),
        (int(b[0]), int(b[1])),
        _color(color),
        max(1, int(round(width))),
        cv2.LINE_AA,
        SHIFT,
    )


def polygon(canvas: Canvas, vertices: NDArray[Any], color: NDArray[Any], clip: Clip) -> None:
    """Filled anti-aliased convex polygon, vertices of shape (n, 2) in (col, row)."""
    view, offset = _view(canvas, clip)
    cv2.fillConvexPoly(
        view, _fixed(np.asarray(vertices) - offset), _color(color), cv2.LINE_AA, SHIFT
    )


def fading_polyline(
    canvas: Canvas,
    starts: NDArray[Any],
    ends: NDArray[Any],
    width: float,
    color: NDArray[Any],
    alphas: NDArray[Any],
    clip: Clip,
) -> None:
    """Segments with per-segment opacity (a fading trail), blended once.

    Each segment is drawn into an 8-bit coverage mask with its opacity as the
    value (later, more opaque segments win at the joints), then the colour is
    blended through the mask over the segments' bounding box only.
    """
    if len(starts) == 0:
        return
    thickness = max(1, int(round(width)))
    pad = thickness + 2
    pts = np.concatenate([starts, ends])
    r0 = max(int(np.floor(pts[:, 1].min())) - pad, clip[0])
    r1 = min(int(np.ceil(pts[:, 1].max())) + pad + 1, clip[1])
    c0 = max(int(np.floor(pts[:, 0].min())) - pad, clip[2])
    c1 = min(int(np.ceil(pts[:, 0].max())) + pad + 1, clip[3])
    if r0 >= r1 or c0 >= c1:
        return
    mask = np.zeros((r1 - r0, c1 - c0), dtype=np.uint8)
    offset = np.array([c0, r0], dtype=np.float64)
    a_fixed, b_fixed = _fixed(starts - offset), _fixed(ends - offset)
    for a, b, alpha in zip(a_fixed, b_fixed, alphas, strict=True):
        cv2.line(
            mask,
            (int(a[0]), int(a[1])),
            (int(b[0]), int(b[1])),
            float(round(255 * alpha)),
            thickness,
            cv2.LINE_AA,
            SHIFT,
        )
    rows, cols = np.nonzero(mask)  # a thin trail covers a few % of its box: blend only those
    where = (rows + r0, cols + c0)
    alpha = mask[rows, cols].astype(np.float32)[:, None] * np.float32(1.0 / 255.0)
    blend_pixels(canvas, where, np.asarray(color, dtype=np.float32), alpha)


def blend_pixels(
    canvas: Canvas,
    where: tuple[NDArray[Any], NDArray[Any]],
    color: NDArray[Any],
    alpha: NDArray[Any],
) -> None:
    """Blend colours into the listed pixels: canvas + (color - canvas) * alpha, rounded.

    `where` is (rows, cols); `color` is (3,) or (n, 3); `alpha` is (n, 1) in [0, 1].
    """
    under = canvas[where][:, :3]
    out = under + (color - under) * alpha
    np.rint(out, out=out)
    canvas[(*where, slice(0, 3))] = out


def blend_mask(
    canvas: Canvas, mask: NDArray[np.float32], top_left: tuple[int, int], color: NDArray[Any]
) -> None:
    """Blend `color` through a coverage `mask` (values in [0, 1]) placed at (row, col)."""
    r, c = top_left
    h, w = mask.shape
    region = canvas[r : r + h, c : c + w, :3]
    out = region + (np.asarray(color, dtype=np.float32) - region) * mask[..., None]
    np.rint(out, out=out)
    region[...] = out
