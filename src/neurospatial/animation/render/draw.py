"""Anti-aliased drawing primitives on the RGBX canvas (OpenCV, sub-pixel exact).

Coordinates are pixels (col, row) with pixel centres at integers (OpenCV's
convention), in 1/16-pixel fixed point (``shift=4``) relative to the top-left of
the view being drawn on (the axes' clip rectangle), so markers land where
`world_to_px` says, not on the nearest pixel. Opaque shapes are drawn straight onto
the view (OpenCV blends their anti-aliased edges); translucent strokes (the fading
trail) are drawn into a coverage mask first and blended once.

OpenCV draws in C at a few microseconds per shape: a frame's overlays cost a
fraction of a millisecond, where numpy distance fields cost over a millisecond.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "blend_mask",
    "blend_pixels",
    "cv_color",
    "disc",
    "fading_polyline",
    "polygon",
    "segment",
]

Canvas = NDArray[np.uint8]  # (H, W, 4) RGBX; drawing happens on a view clipped to the axes
Color = tuple[float, float, float, float]
SHIFT = 4
ONE = 1 << SHIFT  # fixed point: 1/16 pixel


def cv_color(color: NDArray[Any]) -> Color:
    return (float(color[0]), float(color[1]), float(color[2]), 0.0)


def disc(view: Canvas, center: tuple[int, int], radius: int, color: Color) -> None:
    """Filled anti-aliased disc; `center` and `radius` in fixed point."""
    cv2.circle(view, center, radius, color, -1, cv2.LINE_AA, SHIFT)


def segment(
    view: Canvas, a: tuple[int, int], b: tuple[int, int], thickness: int, color: Color
) -> None:
    """Opaque anti-aliased line `thickness` whole pixels wide; ends in fixed point."""
    cv2.line(view, a, b, color, thickness, cv2.LINE_AA, SHIFT)


def polygon(view: Canvas, vertices: NDArray[np.int32], color: Color) -> None:
    """Filled anti-aliased convex polygon, vertices of shape (n, 2) in fixed point."""
    cv2.fillConvexPoly(view, vertices, color, cv2.LINE_AA, SHIFT)


def fading_polyline(
    view: Canvas,
    starts: NDArray[np.int32],
    ends: NDArray[np.int32],
    thickness: int,
    color: NDArray[Any],
    alphas: NDArray[Any],
) -> None:
    """Segments with per-segment opacity (a fading trail), blended once.

    Each segment is drawn into an 8-bit coverage mask with its opacity as the
    value (later, more opaque segments win at the joints), then the colour is
    blended through the mask, over the covered pixels only.
    """
    if len(starts) == 0:
        return
    pad = thickness + 2
    both = np.concatenate([starts, ends]) >> SHIFT
    r0 = max(int(both[:, 1].min()) - pad, 0)
    r1 = min(int(both[:, 1].max()) + pad + 1, view.shape[0])
    c0 = max(int(both[:, 0].min()) - pad, 0)
    c1 = min(int(both[:, 0].max()) + pad + 1, view.shape[1])
    if r0 >= r1 or c0 >= c1:
        return
    mask = np.zeros((r1 - r0, c1 - c0), dtype=np.uint8)
    shift = np.array([c0, r0], dtype=np.int32) << SHIFT
    for a, b, alpha in zip((starts - shift).tolist(), (ends - shift).tolist(), alphas, strict=True):
        cv2.line(mask, a, b, float(round(255 * alpha)), thickness, cv2.LINE_AA, SHIFT)
    rows, cols = np.nonzero(mask)  # a thin trail covers a few % of its box: blend only those
    alpha = mask[rows, cols].astype(np.float32)[:, None] * np.float32(1.0 / 255.0)
    blend_pixels(view, (rows + r0, cols + c0), np.asarray(color, dtype=np.float32), alpha)


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
