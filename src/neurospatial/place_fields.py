"""Occupancy-normalized firing-rate maps (place fields)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurospatial.errors import format_message

if TYPE_CHECKING:
    from neurospatial.environment import Environment

__all__ = ["compute_place_field"]


def compute_place_field(
    env: Environment,
    spike_times: ArrayLike,
    times: ArrayLike,
    positions: ArrayLike,
    *,
    bandwidth: float = 5.0,
    min_occupancy_s: float = 0.0,
) -> NDArray[np.float64]:
    """Firing rate (Hz) per active bin, Gaussian-smoothed and occupancy-normalized.

    Parameters
    ----------
    env : Environment
        The discretized space.
    spike_times : array-like of shape (n_spikes,)
        Spike times in seconds; spikes outside ``[times[0], times[-1]]`` are ignored.
    times : array-like of shape (n_samples,)
        Strictly increasing, finite timestamps of the position samples, in seconds.
    positions : array-like of shape (n_samples, n_dims)
        Position samples in environment units.
    bandwidth : float
        Standard deviation of the Gaussian smoothing kernel, in environment units.
        ``0`` disables smoothing.
    min_occupancy_s : float
        Bins with less (unsmoothed) occupancy than this, in seconds, are NaN.

    Returns
    -------
    ndarray of shape (n_bins,)
        ``rate = K @ spike_counts / K @ occupancy_s``, where ``K`` is the Gaussian
        kernel between bin centres (truncated at 4 bandwidths). Smoothing the
        counts and the occupancy separately and dividing keeps the estimate
        unbiased at walls and next to unvisited bins. Bins never visited are NaN.

    Notes
    -----
    Each position sample stands for the interval until the next sample
    (``dt = diff(times)``; the last sample gets the median interval). Spikes are
    placed at the position of the sample interval they fall in.

    Examples
    --------
    >>> import numpy as np
    >>> from neurospatial import Environment, compute_place_field
    >>> t = np.arange(0, 100, 0.01)
    >>> pos = np.column_stack([50 + 40 * np.sin(t / 3), 50 + 40 * np.cos(t / 5)])
    >>> env = Environment.from_samples(pos, bin_size=5.0)
    >>> rate = compute_place_field(env, t, t, pos, bandwidth=5.0)  # a spike per sample
    >>> bool(np.allclose(rate[np.isfinite(rate)], 100.0))  # 1 / dt everywhere
    True
    """
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim == 1:
        pos = pos[:, None]
    if len(t) != len(pos):
        raise ValueError(
            format_message(
                f"times has {len(t)} samples but positions has {len(pos)}.",
                "each position sample needs a timestamp.",
                [
                    "Pass times and positions of the same length.",
                    "If one was trimmed or subsampled, apply the same to the other.",
                ],
            )
        )
    missing = np.flatnonzero(~np.isfinite(t))
    if len(missing):  # NaN compares false: the ordering check below would let it through
        i = int(missing[0])
        raise ValueError(
            format_message(
                f"times holds {len(missing)} value(s) that are not finite, first at index "
                f"{i}: times[{i}] = {float(t[i])}.",
                "each position sample stands for the interval until the next one, which "
                "needs a timestamp at both ends.",
                [
                    "Drop those samples: keep = np.isfinite(times); "
                    "times, positions = times[keep], positions[keep].",
                ],
            )
        )
    if len(t) < 2 or np.any(np.diff(t) <= 0):
        if len(t) < 2:
            problem = f"got {len(t)} timestamp(s)"
        else:
            bad = np.flatnonzero(np.diff(t) <= 0)
            i = int(bad[0])
            problem = (
                f"{len(bad)} violation(s), first at index {i}: "
                f"times[{i}] = {float(t[i])}, then times[{i + 1}] = {float(t[i + 1])}"
            )
        raise ValueError(
            format_message(
                f"times must hold at least two strictly increasing timestamps; {problem}.",
                "each position sample stands for the interval until the next one, so the "
                "intervals must be positive.",
                [
                    "Sort the samples by time: order = np.argsort(times); "
                    "times, positions = times[order], positions[order].",
                    "Remove duplicate timestamps: _, keep = np.unique(times, return_index=True).",
                ],
            )
        )
    if bandwidth < 0 or min_occupancy_s < 0:
        raise ValueError(
            format_message(
                f"bandwidth and min_occupancy_s must be >= 0, got bandwidth={bandwidth!r}, "
                f"min_occupancy_s={min_occupancy_s!r}.",
                "bandwidth is the smoothing kernel's standard deviation (0: no smoothing) and "
                "min_occupancy_s a time in seconds.",
                ["Pass e.g. bandwidth=5.0 and min_occupancy_s=0.0."],
            )
        )
    spikes = np.asarray(spike_times, dtype=np.float64).reshape(-1)

    dt = np.diff(t)
    dt = np.append(dt, np.median(dt))
    bins = env.bin_at(pos)
    valid = bins >= 0
    occupancy = np.bincount(bins[valid], weights=dt[valid], minlength=env.n_bins)

    spikes = spikes[(spikes >= t[0]) & (spikes <= t[-1] + dt[-1])]
    sample = np.clip(np.searchsorted(t, spikes, side="right") - 1, 0, len(t) - 1)
    spike_bins = bins[sample]
    counts = np.bincount(spike_bins[spike_bins >= 0], minlength=env.n_bins).astype(np.float64)

    if bandwidth > 0:
        kernel = env.smoothing_kernel(bandwidth)
        counts = kernel @ counts
        smoothed_occupancy = kernel @ occupancy
    else:
        smoothed_occupancy = occupancy
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = counts / smoothed_occupancy
    rate[(occupancy <= 0) | (occupancy < min_occupancy_s)] = np.nan
    return rate
