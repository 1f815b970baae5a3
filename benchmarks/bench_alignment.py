"""Alignment cost: 1,000,000 overlay samples onto 100,000 frames.

Compares `align_overlay` (xarray ``Dataset.interp(..., assume_sorted=True)``) with
plain ``np.interp`` per spatial column on the same data, in the same run.
Target: within 2x of np.interp. Run: ``.venv/bin/python benchmarks/bench_alignment.py``.
"""

from __future__ import annotations

import time

import numpy as np
import xarray as xr

from neurospatial.animation.alignment import align_overlay

N_SAMPLES = 1_000_000
N_FRAMES = 100_000
REPEATS = 7


def main() -> None:
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.5, 1.5, N_SAMPLES)) * 4e-3  # ~250 Hz, jittered
    positions = np.cumsum(rng.normal(size=(N_SAMPLES, 2)), axis=0)
    frame_times = np.linspace(times[0] - 1.0, times[-1] + 1.0, N_FRAMES)
    ds = xr.Dataset(
        {"position": (("time", "space"), positions)},
        coords={"time": times, "space": np.array(["x", "y"], dtype=object)},
    )

    def numpy_interp() -> np.ndarray:
        return np.column_stack(
            [
                np.interp(frame_times, times, positions[:, d], left=np.nan, right=np.nan)
                for d in range(2)
            ]
        )

    def ours() -> np.ndarray:
        return align_overlay(ds, frame_times)["position"].values

    np.testing.assert_allclose(ours(), numpy_interp(), equal_nan=True)
    results = {}
    for name, fn in (("np.interp (baseline)", numpy_interp), ("align_overlay (xarray)", ours)):
        fn()
        samples = []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        results[name] = float(np.median(samples))
    base = results["np.interp (baseline)"]
    print(
        f"Alignment of {N_SAMPLES:,} samples (2 columns) onto {N_FRAMES:,} frames, "
        f"median of {REPEATS}"
    )
    print(f"{'method':<26}{'ms':>10}{'ratio':>10}")
    for name, seconds in results.items():
        print(f"{name:<26}{seconds * 1e3:>10.1f}{seconds / base:>10.2f}")


if __name__ == "__main__":
    main()
