"""Fitting pixel -> world maps: scale bars, known scales and landmark least squares.

Pixel points are (x = column, y = row) with pixel centres at integers, world points
(x, y) with y up (``transforms.py``). Every check raises a WHAT / WHY / HOW error
naming the offending values before numpy gets a chance to fail obscurely.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurospatial.animation.transforms import Affine2D
from neurospatial.animation.validation import as_float_array
from neurospatial.errors import format_message

__all__ = ["bar_scale", "check_landmarks", "fit_affine", "fit_similarity", "positive_scale"]

#: Landmarks are degenerate below this ratio of smallest to largest singular value.
DEGENERATE_RATIO = 1e-8


def positive_scale(value: Any, name: str) -> float:
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value <= 0:
        raise ValueError(
            format_message(
                f"{name} must be a positive finite number, got {value!r}.",
                "it sets the size of a pixel in environment units.",
                [f"Pass {name} as a number greater than 0 (environment units)."],
            )
        )
    return float(value)


def bar_scale(scale_bar: Any) -> float:
    try:
        p1, p2, length = scale_bar
        ends = np.asarray([p1, p2], dtype=np.float64)
    except (TypeError, ValueError):
        ends = None
    if ends is None or ends.shape != (2, 2):
        raise ValueError(
            format_message(
                f"scale_bar={scale_bar!r} is not ((x1, y1), (x2, y2), length).",
                "a scale bar is two pixel points (x = column, y = row) and the world "
                "distance between them.",
                ["Pass e.g. scale_bar=((100, 400), (500, 400), 80.0) for 400 px = 80 cm."],
            )
        )
    if not np.all(np.isfinite(ends)):
        raise ValueError(
            format_message(
                f"scale_bar end points must be finite, got {ends.tolist()}.",
                "the scale is computed from the distance between the end points.",
                ["Pass pixel coordinates as finite numbers."],
            )
        )
    length = positive_scale(length, "scale_bar length")
    pixels = float(np.hypot(*(ends[1] - ends[0])))
    if pixels == 0:
        raise ValueError(
            format_message(
                f"scale_bar end points coincide: both are {ends[0].tolist()}, so the bar is "
                "0 px long.",
                "the scale is length / (pixel distance between the end points).",
                ["Pass two distinct pixel points, as far apart as possible for precision."],
            )
        )
    return length / pixels


def check_landmarks(
    landmarks_px: Any, landmarks_env: Any
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    arrays = {}
    for name, value in (("landmarks_px", landmarks_px), ("landmarks_env", landmarks_env)):
        arr = as_float_array(value, name)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(
                format_message(
                    f"{name} has shape {arr.shape}; expected (n_landmarks, 2).",
                    "each landmark is one (x, y) point.",
                    ["Stack the points as rows: np.array([[x0, y0], [x1, y1], ...])."],
                )
            )
        arrays[name] = arr
    px, world = arrays["landmarks_px"], arrays["landmarks_env"]
    if len(px) != len(world):
        raise ValueError(
            format_message(
                f"landmarks_px has {len(px)} points but landmarks_env has {len(world)}.",
                "landmarks are matched by position: row i of both arrays is the same point.",
                ["Pass the same landmarks, in the same order, in both arrays."],
            )
        )
    if len(px) < 3:
        raise ValueError(
            format_message(
                f"Got {len(px)} landmark(s); at least 3 are needed.",
                "an affine map has 6 unknowns and each landmark gives 2 equations.",
                [
                    "Add landmarks (arena corners are good ones); 4 or more let the "
                    "residual check the fit.",
                    "With only two known points, use scale_bar=((x1, y1), (x2, y2), length).",
                ],
            )
        )
    for name, arr in arrays.items():
        bad = np.flatnonzero(~np.all(np.isfinite(arr), axis=1))
        if len(bad):
            raise ValueError(
                format_message(
                    f"{name} has {len(bad)} non-finite landmark(s) at rows {bad.tolist()}: "
                    f"{arr[bad].tolist()}.",
                    "every landmark enters the least-squares fit.",
                    ["Remove those rows from both landmark arrays, or fix their coordinates."],
                )
            )
        centred = arr - arr.mean(axis=0)
        sv = np.linalg.svd(centred, compute_uv=False)
        if sv[0] == 0 or sv[1] <= DEGENERATE_RATIO * sv[0]:
            raise ValueError(
                format_message(
                    f"{name} are collinear or coincide ({arr.tolist()}); the fit is degenerate.",
                    "points on one line fix the map only along that line.",
                    ["Use at least 3 landmarks that span an area, e.g. three arena corners."],
                )
            )
    return px, world


def fit_affine(px: NDArray[np.float64], world: NDArray[np.float64]) -> Affine2D:
    design = np.column_stack([px, np.ones(len(px))])
    coefficients = np.linalg.lstsq(design, world, rcond=None)[0]  # (3, 2)
    return Affine2D(np.vstack([coefficients.T, [0.0, 0.0, 1.0]]))


def fit_similarity(px: NDArray[np.float64], world: NDArray[np.float64]) -> Affine2D:
    """Least-squares scale * orthogonal matrix (rotation or reflection) + translation.

    With centred points P, Q, sum |s R p - q|^2 is minimised over orthogonal R
    by R = U V^T where Q^T P = U S V^T, and then s = trace(S) / sum |p|^2.
    """
    px_mean, world_mean = px.mean(axis=0), world.mean(axis=0)
    p, q = px - px_mean, world - world_mean
    u, singular, vt = np.linalg.svd(q.T @ p)
    scale = singular.sum() / np.sum(p**2)
    linear = scale * (u @ vt)
    m = np.eye(3)
    m[:2, :2] = linear
    m[:2, 2] = world_mean - linear @ px_mean
    return Affine2D(m)
