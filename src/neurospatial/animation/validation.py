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

from neurospatial.errors import format_message, warn

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
    "check_skeleton",
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


def _values(sample: Any) -> str:
    """One sample's values as written in messages: ``[nan, 45.2]`` (a scalar: ``nan``)."""
    arr = np.asarray(sample, dtype=np.float64)
    if arr.ndim == 0:
        return repr(float(arr))
    return "[" + ", ".join(repr(float(v)) for v in arr.ravel()) + "]"


def _suggestions(missing: Iterable[str], available: Sequence[str]) -> list[str]:
    """'Did you mean' lines for names close to an available one."""
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, list(available), n=3, cutoff=0.5)
        if close:
            hints.append(f"Did you mean {', '.join(map(repr, close))} instead of {name!r}?")
    return hints


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


#: The missing-data policies of overlays.
MISSING = ("raise", "gap")


def check_missing(missing: Any, name: str) -> str:
    """An overlay's ``missing`` policy: ``"raise"`` or ``"gap"``."""
    if missing not in MISSING:
        raise ValueError(
            format_message(
                f"{name}={missing!r} is not one of {list(MISSING)}.",
                "it says what NaN samples mean: an error ('raise'), or samples not drawn, "
                "with trails and skeleton edges broken there ('gap').",
                ["Pass missing='gap' for tracking output with lost points, else omit it."],
            )
        )
    return str(missing)


def check_finite(
    data: NDArray[np.float64],
    name: str,
    *,
    subject: str = "overlay data",
    allow_nan: bool = False,
) -> None:
    """Raise if `data` holds NaN or Inf (count, first sample indices, first bad sample);
    with `allow_nan` (``missing="gap"``), only Inf: a NaN is a gap, an Inf an error.

    `subject` is what the first line calls the data (``"overlay data"``, the
    documented message, or e.g. ``"frame_times"``); `name` says which input it is.
    """
    bad = np.isinf(data) if allow_nan else ~np.isfinite(data)
    if not bad.any():
        return
    rows = np.flatnonzero(bad.reshape(len(data), -1).any(axis=1)) if data.ndim else np.array([0])
    first, n_bad = int(rows[0]), int(bad.sum())
    sample = data[first] if data.ndim else data
    found = "Inf" if allow_nan else "NaN/Inf"
    how = [
        "Drop the bad samples together with their timestamps: "
        "keep = np.all(np.isfinite(data.reshape(len(data), -1)), axis=1); "
        "data, times = data[keep], times[keep].",
        "Interpolate over short gaps before building the overlay.",
        "Check the tracking output (low-likelihood points are often exported as NaN).",
    ]
    if not allow_nan:
        how[1] = (
            "Interpolate over short gaps before building the overlay, or pass "
            "missing='gap' (NaN samples are then not drawn; trails and edges break there)."
        )
    raise ValueError(
        format_message(
            f"Found {n_bad} {found} values in {subject} at indices: {_first(rows)}.\n"
            f"  {name}: {n_bad} non-finite value(s) in {len(rows)} of "
            f"{len(data) if data.ndim else 1} sample(s)\n"
            f"  First invalid value at index {first}: {_values(sample)}",
            "non-finite values cannot be drawn, interpolated or placed in time; silently "
            "dropping them would misalign the samples with their timestamps"
            + (" (NaN may mark a gap with missing='gap'; Inf never does)." if allow_nan else "."),
            how,
        )
    )


def check_times(
    times: Any, name: str, n_samples: int | None = None, *, overlay: bool = False
) -> NDArray[np.float64]:
    """Validate a timestamp vector: 1D, numeric, finite, strictly increasing, right length.

    With `overlay`, the times are an overlay's timestamps and errors start with the
    documented "Overlay timestamps are not monotonically increasing."; otherwise
    (frame times, a time coordinate) they start with `name`.
    """
    t = as_float_array(times, name)
    if t.ndim != 1:
        raise ValueError(
            format_message(
                f"{name} must be 1D (one timestamp per sample), got shape {t.shape}.",
                "each sample is placed at one time, so the times are a single vector.",
                [
                    "If it is a column vector of shape (n, 1), flatten it: np.ravel(times).",
                    "Check that the timestamps were passed, not the data.",
                ],
            )
        )
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
    check_finite(t, name, subject=name)
    steps = np.diff(t)
    bad = np.flatnonzero(steps <= 0)
    if len(bad):
        i = int(bad[0])
        if overlay:
            headline = "Overlay timestamps are not monotonically increasing."
        else:
            headline = (
                f"{name} {'are' if name.endswith('times') else 'is'} not monotonically increasing."
            )
        raise ValueError(
            format_message(
                f"{headline}\n"
                f"  {name}: {len(bad)} violation(s) (a time not greater than the one before), "
                f"first at indices {_first(bad)}\n"
                f"  First violating pair: {name}[{i}] = {float(t[i])}, then "
                f"{name}[{i + 1}] = {float(t[i + 1])}",
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
    hints = _suggestions(missing, available)
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


def check_skeleton(edges: Sequence[tuple[str, str]], keypoints: Sequence[str]) -> None:
    """Raise if skeleton edges name keypoints the data does not have."""
    missing = sorted({n for edge in edges for n in edge if n not in keypoints})
    if not missing:
        return
    broken = [edge for edge in edges if edge[0] not in keypoints or edge[1] not in keypoints]
    hints = "".join(f"\n  {hint}" for hint in _suggestions(missing, keypoints))
    raise ValueError(
        format_message(
            "Skeleton references bodyparts not in data.\n"
            f"  Missing: {missing}\n"
            f"  Available: {sorted(keypoints)}\n"
            f"  Edges naming them: {broken}{hints}",
            "a skeleton edge is drawn between the positions of its two keypoints; a name "
            "that is not a key of BodypartOverlay data has no position.",
            [
                "Fix the spelling of the keypoint names in skeleton.",
                "Add the missing keypoints to data (keypoint name -> (n_samples, n_dims) array).",
                "Remove the edges naming them from skeleton.",
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
    details = (
        f"  Overlay: {name!r}\n"
        f"  Overlay time range: [{o0:.3f}, {o1:.3f}] seconds\n"
        f"  Frame time range: [{f0:.3f}, {f1:.3f}] seconds\n"
    )
    if not intersects:
        raise ValueError(
            format_message(
                f"No temporal overlap between overlay and frames.\n{details}  Overlap: 0.0%",
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
            format_message(
                f"Limited temporal overlap between overlay and frames.\n{details}"
                f"  Overlap: {fraction * 100:.1f}% ({covered:.2f} / {span:.2f} seconds)",
                "frames outside the overlay's time range show no overlay (it is never "
                "extrapolated).",
                [
                    "Check that both use the same clock and units (seconds, same origin).",
                    "Pass frame_times within the overlay's range, or overlay data that "
                    "covers the frames.",
                ],
            )
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
    unit = f" {units}" if units else ""
    axes = "xyz"[: len(ranges)]
    env_lines = "".join(
        f"\n  Environment {axis} range: [{lo[d]:.2f}, {hi[d]:.2f}]{unit}"
        for d, axis in enumerate(axes)
    )
    overlay_lines = "".join(
        f"\n  Overlay {axis} range: [{pts[:, d].min():.2f}, {pts[:, d].max():.2f}]{unit}"
        for d, axis in enumerate(axes)
    )
    warn(
        format_message(
            f"{fraction * 100:.1f}% of overlay points ({int(outside.sum())} / {len(pts)}) are "
            f"outside environment bounds.\n  Overlay: {name!r}{env_lines}{overlay_lines}",
            "out-of-bounds points are still drawn where they fall; more than "
            f"{OUT_OF_BOUNDS_WARN_FRACTION:.0%} outside usually means the overlay and the "
            "environment use different units or coordinate frames.",
            [
                f"Check that the units match (e.g. mm vs cm): the environment is in "
                f"{units or 'unnamed units'}.",
                "Check the calibration (pixels vs environment units, origin, flipped y axis).",
                "Build the environment from the same position samples: "
                "Environment.from_samples(positions, bin_size=...).",
            ],
        )
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
