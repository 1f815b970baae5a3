"""Sampling overlay datasets at frame times: linear interpolation and nearest frames.

Interpolation is ``Dataset.interp(time=frame_times, assume_sorted=True)``: linear,
NaN outside the source's time range (never extrapolated). `source_window` finds the
source samples that interpolation at given frame times reads, so a window of frames
reads only the chunks of a stored overlay that cover it; interpolating the window
of samples gives exactly the values interpolating all of them gives.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

__all__ = ["interp_time", "nearest_frames", "source_window"]


def source_window(source: NDArray[np.float64], frame_times: NDArray[np.float64]) -> slice:
    """The slice of sorted `source` times that interpolation at `frame_times` uses:
    the samples bracketing the earliest and the latest frame time, plus one on each
    side (at least two samples whenever the source has two)."""
    if len(frame_times) == 0:
        return slice(0, min(2, len(source)))
    lo = int(np.searchsorted(source, np.min(frame_times), side="right")) - 2
    hi = int(np.searchsorted(source, np.max(frame_times), side="left")) + 2
    return slice(max(0, min(lo, len(source) - 2)), min(len(source), max(hi, 2)))


def interp_time(ds: xr.Dataset, frame_times: NDArray[np.float64]) -> xr.Dataset:
    """``ds.interp(time=frame_times, assume_sorted=True)``, computed with ``np.interp``.

    Same result as `Dataset.interp` (linear, NaN outside the source range, never
    extrapolated; checked by the tests), but `Dataset.interp` sends multi-column
    data such as ``position(time, space)`` through scipy's ``interp1d`` at ~2.4x
    the cost of ``np.interp`` per column. Lazy (dask) variables stay lazy.
    """
    source = np.asarray(ds["time"].values, dtype=np.float64)
    n = len(frame_times)

    def columns(values: NDArray[np.float64]) -> NDArray[np.float64]:
        flat = values.reshape(-1, values.shape[-1])
        out = np.empty((flat.shape[0], n))
        for k, row in enumerate(flat):
            out[k] = np.interp(frame_times, source, row, left=np.nan, right=np.nan)
        return out.reshape(*values.shape[:-1], n)

    data_vars: dict[Any, Any] = {}
    for name, var in ds.data_vars.items():
        if "time" not in var.dims:
            data_vars[name] = var
            continue
        if var.chunks is None:  # not dask: straight to numpy (no graph)
            axis = var.dims.index("time")
            values = np.moveaxis(np.asarray(var.values, dtype=np.float64), axis, -1)
            data_vars[name] = (var.dims, np.moveaxis(columns(values), -1, axis), var.attrs)
            continue
        result = xr.apply_ufunc(
            columns,
            var.astype(np.float64, copy=False),
            input_core_dims=[["time"]],
            output_core_dims=[["new_time"]],
            dask="parallelized",
            output_dtypes=[np.float64],
            dask_gufunc_kwargs={"output_sizes": {"new_time": n}, "allow_rechunk": True},
        )
        data_vars[name] = result.rename(new_time="time").transpose(*var.dims)
    coords: dict[Any, Any] = {k: v for k, v in ds.coords.items() if "time" not in v.dims}
    return xr.Dataset(data_vars, coords={**coords, "time": frame_times}, attrs=dict(ds.attrs))


def nearest_frames(
    source: NDArray[np.float64], frame_times: NDArray[np.float64]
) -> NDArray[np.int64]:
    """For each frame time, the index of the nearest `source` time if it is within one
    source period (the median step), else -1; nothing before the first source time.

    Used for video: a frame is shown from its own timestamp until one period after
    the last frame's.
    """
    period = float(np.median(np.diff(source))) if len(source) > 1 else 0.0
    right = np.clip(np.searchsorted(source, frame_times), 0, len(source) - 1)
    left = np.clip(right - 1, 0, len(source) - 1)
    nearest = np.where(
        np.abs(source[left] - frame_times) <= np.abs(source[right] - frame_times), left, right
    )
    close = (frame_times >= source[0]) & (
        np.abs(source[nearest] - frame_times) <= period * (1 + 1e-9)
    )
    return np.where(close, nearest, -1).astype(np.int64)
