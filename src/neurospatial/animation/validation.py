"""Input validation shared by overlays and the scene.

Every check raises a ``ValueError``/``TypeError`` with a WHAT / WHY / HOW message
naming the offending values, before numpy or xarray get a chance to fail
obscurely. Renderers never re-validate: data that passed here is trusted.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurospatial.animation.errors import format_message, warn

__all__ = [
    "OUT_OF_BOUNDS_WARN_FRACTION",
    "as_float_array",
    "check_bounds",
    "check_color",
    "check_finite",
    "check_names_exist",
    "check_overlap",
    "check_positive",
    "check_rate",
    "check_space",
    "check_times",
]

#: Fraction of samples outside the environment above which a warning is emitted.
#: A few samples past the edge are normal (tracking jitter at walls, bins the
#: animal rarely visited); more than 10% usually means a unit or calibration
#: mismatch (mm vs cm, pixels vs cm).
OUT_OF_BOUNDS_WARN_FRACTION = 0.10

_MAX_LISTED = 5


def _first(indices: NDArray[np.intp]) -> str:
    head = ", ".join(str(int(i)) for i in indices[:_MAX_LISTED])
    return f"[{head}{', ...' if len(indices) > _MAX_LISTED else ''}]"


def as_float_array(data: Any, name: str) -> NDArray[np.float64]:
    """Convert to a float64 array, rejecting non-numeric input with a clear message."""
    arr = np.asarray(data)
    if (
        np.iscomplexobj(arr)
        or arr.dtype == object
        or not (np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_))
    ):
        raise TypeError(
            format_message(
                f"{name} must be numeric, got an array of dtype {arr.dtype} (shape {arr.shape}).",
                "positions, angles and times are plotted as numbers.",
                [
                    "Convert the data first, e.g. np.asarray(data, dtype=float).",
                    "Check that the right column or variable was passed.",
                ],
            )
        )
    return np.asarray(arr, dtype=np.float64)


def check_finite(data: NDArray[np.float64], name: str) -> None:
    """Raise if `data` holds NaN or Inf (count, first indices, first bad value)."""
    bad = ~np.isfinite(data)
    if not bad.any():
        return
    rows = np.flatnonzero(bad.reshape(len(data), -1).any(axis=1)) if data.ndim else np.array([0])
    first_value = data[bad].flat[0]
    raise ValueError(
        format_message(
            f"{name} contains {int(bad.sum())} non-finite value(s) (NaN or Inf) in "
            f"{len(rows)} sample(s); first at indices {_first(rows)}, first bad value: "
            f"{first_value}.",
            "non-finite samples cannot be drawn or interpolated; silently dropping them "
            "would misalign the overlay with its timestamps.",
            [
                "Drop the bad samples together with their timestamps: "
                "keep = np.all(np.isfinite(data.reshape(len(data), -1)), axis=1); "
                "data, times = data[keep], times[keep].",
                "Interpolate over short gaps before building the overlay.",
                "Check the tracking output (low-likelihood points are often exported as NaN).",
            ],
        )
    )


def check_times(times: Any, name: str, n_samples: int | None = None) -> NDArray[np.float64]:
    """Validate a timestamp vector: 1D, numeric, finite, strictly increasing, right length."""
    t = as_float_array(times, name)
    if t.ndim != 1:
        raise ValueError(f"{name} must be 1D (one timestamp per sample), got shape {t.shape}.")
    if n_samples is not None and len(t) != n_samples:
        raise ValueError(
            format_message(
                f"{name} has {len(t)} timestamps but the data has {n_samples} samples.",
                "each sample needs exactly one timestamp to be placed in time.",
                [
                    "Pass the timestamps that belong to this data (same length).",
                    "If the data was trimmed or subsampled, apply the same to the times.",
                ],
            )
        )
    check_finite(t, name)
    steps = np.diff(t)
    bad = np.flatnonzero(steps <= 0)
    if len(bad):
        i = int(bad[0])
        raise ValueError(
            format_message(
                f"{name} is not strictly increasing: {len(bad)} violation(s), first at "
                f"indices {_first(bad)}; first violating pair: {name}[{i}] = {t[i]} then "
                f"{name}[{i + 1}] = {t[i + 1]}.",
                "timestamps must be strictly increasing for interpolation onto frame times.",
                [
                    "Sort the samples by time: order = np.argsort(times); "
                    "data, times = data[order], times[order].",
                    "Remove duplicate timestamps: _, keep = np.unique(times, return_index=True).",
                    "Check for clock resets or concatenated sessions and split them.",
                ],
            )
        )
    return t


def check_positive(
    value: Any,
    name: str,
    *,
    meaning: str,
    example: str,
    allow_none: bool = False,
    integer: bool = False,
) -> None:
    """A finite number > 0 (an integer with `integer`); `meaning` says what it is
    (the WHY of the error) and `example` a valid call (the HOW)."""
    if value is None and allow_none:
        return
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if ok and integer:
        ok = float(value).is_integer()
    if not ok or not np.isfinite(value) or value <= 0:
        kind = "a positive integer" if integer else "a positive number"
        raise ValueError(
            format_message(
                f"{name} must be {kind}{' or None' if allow_none else ''}, got {value!r}.",
                meaning,
                [f"Pass e.g. {example}."],
            )
        )


def check_rate(value: Any, name: str) -> float:
    """A frame rate: a finite number > 0 (frames per second)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.number)
        or not (np.isfinite(value) and value > 0)
    ):
        raise ValueError(
            format_message(
                f"{name} must be a positive number, got {value!r}.",
                "it is a rate in frames per second.",
                [f"Pass e.g. {name}=30."],
            )
        )
    return float(value)


def check_color(color: Any, name: str) -> tuple[float, float, float, float]:
    """Parse a matplotlib colour (name, hex, or RGB(A) tuple) into RGBA floats."""
    from matplotlib.colors import to_rgba

    try:
        return tuple(float(c) for c in to_rgba(color))  # type: ignore[return-value]
    except (ValueError, TypeError):
        suggestions = ""
        if isinstance(color, str):
            from matplotlib.colors import get_named_colors_mapping

            close = difflib.get_close_matches(color.lower(), list(get_named_colors_mapping()), 3)
            suggestions = f" Did you mean: {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(
            format_message(
                f"{name}={color!r} is not a colour.{suggestions}",
                "colours are parsed by matplotlib.",
                [
                    "Use a named colour such as 'red' or 'white'.",
                    "Use a hex string such as '#1f77b4' or an RGB(A) tuple of floats in [0, 1].",
                ],
            )
        ) from None


def check_names_exist(
    names: Iterable[str], available: Sequence[str], what: str, context: str
) -> None:
    """Raise listing names absent from `available`, with fuzzy suggestions."""
    missing = sorted({n for n in names if n not in available})
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, list(available), n=3, cutoff=0.5)
        if close:
            hints.append(f"Did you mean {', '.join(map(repr, close))} instead of {name!r}?")
    hint_text = ("\n" + "\n".join(hints)) if hints else ""
    raise ValueError(
        format_message(
            f"{context} names {what}(s) that do not exist: {missing}. "
            f"Available: {sorted(available)}.{hint_text}",
            f"every {what} referenced must be defined.",
            [
                f"Fix the spelling of the {what} names.",
                f"Remove the references to missing {what}s, or add them.",
            ],
        )
    )


def check_overlap(name: str, source: NDArray[np.float64], frame_times: NDArray[np.float64]) -> None:
    """Raise on no temporal overlap with the frames; warn when it covers < 50%."""
    f0, f1 = float(frame_times[0]), float(frame_times[-1])
    o0, o1 = float(source[0]), float(source[-1])
    intersects = max(f0, o0) <= min(f1, o1)
    covered = max(0.0, min(f1, o1) - max(f0, o0))
    span = f1 - f0
    fraction = (covered / span if span > 0 else 1.0) if intersects else 0.0
    ranges = (
        f"Overlay time range: [{o0:.3f}, {o1:.3f}] s. Frame time range: [{f0:.3f}, {f1:.3f}] s."
    )
    if not intersects:
        raise ValueError(
            format_message(
                f"Overlay {name!r} has no temporal overlap with the frames. {ranges} "
                "Overlap: 0.0%.",
                "overlays are interpolated onto the frame times; with no overlap nothing "
                "would be drawn.",
                [
                    "Check that both use the same clock and units (seconds, same origin).",
                    "Shift the overlay times, e.g. times - times[0] + frame_times[0].",
                    "Pass frame_times that cover the overlay's recording.",
                ],
            )
        )
    if fraction < 0.5:
        warn(
            f"Limited temporal overlap between overlay {name!r} and the frames. {ranges} "
            f"Overlap: {fraction * 100:.1f}% ({covered:.2f} / {span:.2f} seconds). Frames "
            "outside the overlay's range show no overlay (it is never extrapolated). "
            "Check the time bases, or pass frame_times within the overlay's range."
        )


def check_bounds(
    name: str,
    points: NDArray[np.float64],
    ranges: Sequence[tuple[float, float]],
    units: str,
) -> None:
    """Warn when more than `OUT_OF_BOUNDS_WARN_FRACTION` of the samples lie outside."""
    pts = points.reshape(-1, len(ranges))
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if len(pts) == 0:
        return
    lo = np.array([r[0] for r in ranges])
    hi = np.array([r[1] for r in ranges])
    outside = np.any((pts < lo) | (pts > hi), axis=1)
    fraction = float(outside.mean())
    if fraction <= OUT_OF_BOUNDS_WARN_FRACTION:
        return
    axes = "; ".join(
        f"{axis}: environment [{lo[d]:.2f}, {hi[d]:.2f}], overlay "
        f"[{pts[:, d].min():.2f}, {pts[:, d].max():.2f}]"
        for d, axis in enumerate("xyz"[: len(ranges)])
    )
    warn(
        f"Overlay {name!r}: {fraction * 100:.1f}% of overlay points ({int(outside.sum())} / "
        f"{len(pts)}) are outside environment bounds ({units}). {axes}. Out-of-bounds "
        "points are still drawn where they fall. Check that units (e.g. mm vs cm) and "
        "calibration match the environment."
    )


def check_space(name: str, var: Any, n_dims: int) -> None:
    """The ``space`` size of an overlay variable must be the environment's n_dims."""
    n_space = var.sizes.get("space")
    if n_space is None or n_space == n_dims:
        return
    per = " per keypoint" if "keypoint" in var.dims else ""
    how = [
        f"Pass data of shape (n_samples, {n_dims}) in environment units.",
        f"Recreate the environment from {n_space}D positions: "
        "Environment.from_samples(positions, bin_size=...).",
    ]
    if n_space > n_dims:
        how.insert(0, f"Keep the first {n_dims} coordinate(s): data[:, :{n_dims}].")
    raise ValueError(
        format_message(
            "Overlay data has incorrect shape.\n"
            f"  Expected: (n_samples, {n_dims}) for {n_dims}D environment\n"
            f"  Got: ({var.sizes['time']}, {n_space}){per} in overlay {name!r} "
            f"({var.name})",
            f"coordinate dimensionality must match environment.n_dims = {n_dims}.",
            how,
        )
    )
