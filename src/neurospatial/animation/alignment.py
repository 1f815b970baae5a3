"""Temporal alignment: every overlay interpolated onto the frame times.

Alignment is ``Dataset.interp(time=frame_times, assume_sorted=True)``: linear,
NaN outside the overlay's own time range (never extrapolated). Headings are
unit vectors, interpolated component-wise and renormalized (interpolation on
the circle, no wrap-around jump).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from neurospatial.animation.errors import format_message
from neurospatial.animation.scene import scene_overlays
from neurospatial.animation.validation import check_overlap, check_rate, check_times

__all__ = ["align_overlay", "align_scene", "subsample_frames"]


def align_scene(scene: xr.DataTree, frame_times: Any = None) -> xr.DataTree:
    """Return a copy of `scene` with every overlay sampled at the frame times.

    Parameters
    ----------
    scene : xr.DataTree
        A scene from `build_scene` or `open_scene`.
    frame_times : array-like of shape (n_frames,), optional
        New times for the frames (default: the scene's ``/fields`` times). The
        overlays' temporal overlap with them is checked again.

    Returns
    -------
    xr.DataTree
        Same layout; every ``/overlays/<name>`` has ``time`` equal to the frame
        times. Fields are untouched (still lazy when they were).
    """
    if frame_times is None and scene.attrs.get("aligned"):
        return scene  # already aligned to its own frame times
    fields = scene["fields"].to_dataset()
    n_frames = fields.sizes["time"]
    if frame_times is None:
        times = np.asarray(fields["time"].values, dtype=np.float64)
        check_new = False
    else:
        times = check_times(frame_times, "frame_times")
        if len(times) != n_frames:
            raise ValueError(
                format_message(
                    f"frame_times has {len(times)} entries but the scene has {n_frames} frames.",
                    "each frame of the scene needs exactly one time.",
                    ["Pass one time per frame.", "Omit frame_times to keep the scene's."],
                )
            )
        check_new = True
    nodes: dict[str, xr.Dataset] = {
        "/": xr.Dataset(attrs=dict(scene.attrs)),
        "/fields": fields.assign_coords(time=times),
        "/environment": scene["environment"].to_dataset(),
    }
    for name, ds in scene_overlays(scene).items():
        if ds.attrs.get("frame_locked"):
            ds = ds.assign_coords(time=times)  # 1:1 with frames, whatever their times
        elif check_new:
            check_overlap(name, ds["time"].values, times)
        nodes[f"/overlays/{name}"] = align_overlay(ds, times)
    aligned = xr.DataTree.from_dict(nodes)
    aligned.attrs["aligned"] = 1
    return aligned


def align_overlay(ds: xr.Dataset, frame_times: NDArray[np.float64]) -> xr.Dataset:
    """Sample one overlay dataset at `frame_times` (linear; NaN outside its range)."""
    if ds.attrs.get("kind") == "video":
        return _align_video(ds, frame_times)
    source = ds["time"].values
    if len(source) == len(frame_times) and np.array_equal(source, frame_times):
        return ds
    if len(source) == 1:
        # One sample: shown exactly at its time, nowhere else (nothing to interpolate).
        return ds.reindex(time=frame_times)
    aligned = interp_time(ds, frame_times)
    if "heading" in aligned:
        heading = aligned["heading"]
        norm = ((heading**2).sum("space", skipna=False)) ** 0.5
        aligned["heading"] = heading / norm.where(norm > 0)
    return aligned


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

    data_vars = {}
    for name, var in ds.data_vars.items():
        if "time" not in var.dims:
            data_vars[name] = var
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
    coords = {k: v for k, v in ds.coords.items() if "time" not in v.dims}
    return xr.Dataset(data_vars, coords={**coords, "time": frame_times}, attrs=dict(ds.attrs))


def _align_video(ds: xr.Dataset, frame_times: NDArray[np.float64]) -> xr.Dataset:
    """Nearest video frame within one video frame period (else -1: nothing drawn).

    Returns ``frame_index(time)`` on the frame times; an array source keeps its
    frames along ``video_frame`` (indexed, never copied per animation frame).
    """
    # An aligned dataset keeps the video's own timestamps (video_time), so it can be
    # aligned again (new frame times, or a stored aligned scene).
    realign = "video_time" in ds
    source = np.asarray((ds["video_time"] if realign else ds["time"]).values, dtype=np.float64)
    period = float(np.median(np.diff(source))) if len(source) > 1 else 0.0
    right = np.clip(np.searchsorted(source, frame_times), 0, len(source) - 1)
    left = np.clip(right - 1, 0, len(source) - 1)
    nearest = np.where(
        np.abs(source[left] - frame_times) <= np.abs(source[right] - frame_times), left, right
    )
    # Shown from the first frame's time until one period after the last frame's.
    close = (frame_times >= source[0]) & (
        np.abs(source[nearest] - frame_times) <= period * (1 + 1e-9)
    )
    aligned = xr.Dataset(
        {
            "frame_index": ("time", np.where(close, nearest, -1).astype(np.int64)),
            "video_time": ("video_frame", source),
        },
        coords={"time": frame_times},
        attrs=dict(ds.attrs),
    )
    if "frame" in ds:
        frames = ds["frame"]
        aligned["frame"] = (
            frames if realign else frames.drop_vars("time").rename(time="video_frame")
        )
    if "px_to_world" in ds:
        aligned["px_to_world"] = ds["px_to_world"]
    return aligned


def subsample_frames(fields: Any, *, source_fps: float, target_fps: float) -> Any:
    """Keep the frames nearest to a lower frame rate.

    Parameters
    ----------
    fields : ndarray, dask array, list of arrays or DataArray
        Frames along the first axis (``time`` for a DataArray).
    source_fps, target_fps : float
        Rates in frames per second; ``target_fps <= source_fps``.

    Returns
    -------
    Same type as `fields`
        Frames ``round(k * source_fps / target_fps)`` for k = 0, 1, ... (lazy for
        dask input; a DataArray keeps its matching ``time`` values).

    Examples
    --------
    >>> import numpy as np
    >>> subsample_frames(np.arange(10)[:, None], source_fps=10, target_fps=5).ravel()
    array([0, 2, 4, 6, 8])
    """
    check_rate(source_fps, "source_fps")
    check_rate(target_fps, "target_fps")
    if target_fps > source_fps:
        raise ValueError(
            format_message(
                f"target_fps={target_fps} is higher than source_fps={source_fps}.",
                "subsampling only drops frames; it cannot invent new ones.",
                [
                    f"Use target_fps <= {source_fps}.",
                    "To play faster or slower, change fps= of the export instead.",
                ],
            )
        )
    n = len(fields) if not isinstance(fields, xr.DataArray) else fields.sizes["time"]
    step = source_fps / target_fps
    index = np.unique(np.round(np.arange(0, n, step)).astype(np.intp))
    index = index[index < n]
    if isinstance(fields, xr.DataArray):
        return fields.isel(time=index)
    if isinstance(fields, list):
        return [fields[i] for i in index]
    if isinstance(fields, tuple):
        return tuple(fields[i] for i in index)
    return fields[index]
