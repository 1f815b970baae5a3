"""Overlays from `movement`-shaped pose datasets, read by duck typing.

movement (DeepLabCut, SLEAP, LightningPose, ... loaded as xarray) stores poses as
``position(time, space, keypoint(s), individual(s))`` with ``confidence(time,
keypoint(s), individual(s))``. movement itself is never imported here (it is heavy
and changes global state on import): any Dataset or DataArray shaped like its
datasets is accepted,

* with singular or plural dim names (``keypoint``/``keypoints``,
  ``individual``/``individuals``), in any order (dims are transposed by name);
* with ``time`` in seconds, or in frames (``attrs["time_unit"] == "frames"`` or an
  integer time coordinate), converted with `fps` (the argument, else
  ``attrs["fps"]``);
* in tracker pixels, converted to environment units with a `VideoCalibration`.

Low-confidence points (below `confidence_threshold`) become gaps
(``missing="gap"``); a NaN confidence keeps its point.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from neurospatial.errors import format_message

__all__ = ["INDIVIDUAL_COLORS", "individual_color", "pose_arrays"]

#: Colours of individuals (skeletons), chosen per name so that they are stable.
INDIVIDUAL_COLORS = ("white", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#cc79a7", "#d55e00")
_ALIASES = {"keypoints": "keypoint", "individuals": "individual"}


def individual_color(name: str) -> str:
    """A colour for an individual, the same for the same name in every run."""
    return INDIVIDUAL_COLORS[zlib.crc32(str(name).encode()) % len(INDIVIDUAL_COLORS)]


def pose_arrays(
    data: Any,
    *,
    position_variable: str = "position",
    fps: float | None = None,
    confidence_threshold: float | None = None,
    calibration: Any = None,
) -> tuple[xr.DataArray, NDArray[np.float64]]:
    """Positions as ``(time, keypoint, individual, space)`` in environment units, with
    low-confidence points set to NaN, and the times in seconds."""
    if isinstance(data, xr.DataArray):
        ds = data.to_dataset(name=position_variable)
    elif isinstance(data, xr.Dataset):
        ds = data
    else:
        raise TypeError(
            format_message(
                f"Expected an xarray Dataset or DataArray shaped like movement's, got "
                f"{type(data).__name__}.",
                "poses are read from position(time, space, keypoint, individual).",
                ["Load the file with movement (movement.io.load_poses) or read_pose."],
            )
        )
    if position_variable not in ds:
        raise ValueError(
            format_message(
                f"The dataset has no {position_variable!r} variable (it has "
                f"{sorted(map(str, ds.data_vars))}).",
                "the keypoint coordinates are read from that variable.",
                ["Name the variable holding positions: position_variable='...'."],
            )
        )
    position = _named(ds[position_variable])
    missing = [d for d in ("time", "space") if d not in position.dims]
    if missing:
        raise ValueError(
            format_message(
                f"{position_variable!r} has dims {tuple(map(str, position.dims))}, without "
                f"{missing}.",
                "a pose is read from position(time, space[, keypoint][, individual]).",
                ["Pass a dataset shaped like movement's (see movement.io.load_poses)."],
            )
        )
    for name in ("keypoint", "individual"):
        if name not in position.dims:
            position = position.expand_dims({name: ["0" if name == "individual" else name]})
    position = position.transpose("time", "keypoint", "individual", "space")
    values = np.asarray(position.values, dtype=np.float64)
    if confidence_threshold is not None and "confidence" in ds:
        confidence = _named(ds["confidence"])
        for name in ("keypoint", "individual"):
            if name not in confidence.dims:
                confidence = confidence.expand_dims({name: position[name].values})
        score = np.asarray(confidence.transpose("time", "keypoint", "individual").values, float)
        low = score < float(confidence_threshold)  # NaN confidence: kept
        values = np.where(low[..., None], np.nan, values)
    if calibration is not None:
        flat = values.reshape(-1, values.shape[-1])
        ok = np.all(np.isfinite(flat), axis=1)
        world = np.full_like(flat, np.nan)
        world[ok] = calibration.transform_px_to_cm(flat[ok, :2])
        values = world.reshape(values.shape)
    times = _seconds(position, ds.attrs, fps)
    out = position.copy(data=values).assign_coords(time=times)
    return out, times


def _named(var: xr.DataArray) -> xr.DataArray:
    renames = {d: _ALIASES[str(d)] for d in var.dims if str(d) in _ALIASES}
    return var.rename(renames) if renames else var


def _seconds(
    position: xr.DataArray, attrs: dict[str, Any], fps: float | None
) -> NDArray[np.float64]:
    time = position["time"].values
    in_frames = attrs.get("time_unit") == "frames" or np.issubdtype(
        np.asarray(time).dtype, np.integer
    )
    if not in_frames:
        return np.asarray(time, dtype=np.float64)
    rate = fps if fps is not None else attrs.get("fps")
    if rate is None or not np.isfinite(float(rate)) or float(rate) <= 0:
        raise ValueError(
            format_message(
                f"The pose's time is in frames (0 .. {time[-1] if len(time) else 0}) and no "
                "frame rate is known (no fps= and no attrs['fps']).",
                "overlays are placed in time in seconds.",
                [
                    "Pass the video's frame rate: fps=30.",
                    "Load the file with its frame rate (movement: fps=...).",
                ],
            )
        )
    return np.asarray(time, dtype=np.float64) / float(rate)


def pick(position: xr.DataArray, dim: str, wanted: Any, what: str) -> list[str]:
    """Names along `dim` (keypoint or individual): all (None), one, or a list; unknown
    names are refused with the available ones."""
    names = [str(v) for v in position[dim].values]
    if wanted is None:
        return names
    chosen = (
        [str(wanted)]
        if isinstance(wanted, str) or not isinstance(wanted, Sequence)
        else [str(w) for w in wanted]
    )
    unknown = [c for c in chosen if c not in names]
    if unknown:
        raise ValueError(
            format_message(
                f"{what} {unknown} not in the pose data (it has {names}).",
                f"{what} are chosen by the names the tracker gave them.",
                [f"Use names from: {names}."],
            )
        )
    return chosen


def _one_individual(position: xr.DataArray, individual: Any) -> xr.DataArray:
    names = [str(v) for v in position["individual"].values]
    if individual is None:
        if len(names) > 1:
            raise ValueError(
                format_message(
                    f"The pose data holds {len(names)} individuals {names}; which one?",
                    "one overlay follows one animal.",
                    [f"Pass individual=..., one of {names} (or one overlay per individual)."],
                )
            )
        individual = names[0]
    (chosen,) = pick(position, "individual", individual, "individual")
    return position.isel(individual=names.index(chosen))


def _centroid(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mean over axis 1 of (time, k, space) points, of the finite ones; NaN if none."""
    finite = np.asarray(np.isfinite(points).all(axis=-1))
    total = np.where(finite[..., None], points, 0.0).sum(axis=1)
    count = finite.sum(axis=1)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def position_from_movement(
    cls: Any, data: Any, *, keypoint: Any, individual: Any, **kw: Any
) -> Any:
    """`PositionOverlay.from_movement`."""
    style, read = _split(kw)
    position, times = pose_arrays(data, **read)
    one = _one_individual(position, individual)
    names = pick(one, "keypoint", keypoint, "keypoints")
    index = [[str(v) for v in one["keypoint"].values].index(n) for n in names]
    xy = _centroid(np.asarray(one.values)[:, index])
    return cls(xy, times=times, **_gap(read, style))


def bodyparts_from_movement(
    cls: Any, data: Any, *, keypoints: Any, individuals: Any, skeleton: Any, **kw: Any
) -> list[Any]:
    """`BodypartOverlay.from_movement`: one overlay per individual."""
    style, read = _split(kw)
    position, times = pose_arrays(data, **read)
    chosen = pick(position, "keypoint", keypoints, "keypoints")
    all_keypoints = [str(v) for v in position["keypoint"].values]
    out = []
    all_individuals = [str(v) for v in position["individual"].values]
    for name in pick(position, "individual", individuals, "individuals"):
        one = position.isel(individual=all_individuals.index(name))
        values = np.asarray(one.values)
        parts = {k: values[:, all_keypoints.index(k)] for k in chosen}
        given = {"skeleton_color": individual_color(name), **style}
        out.append(cls(parts, times=times, skeleton=skeleton, **_gap(read, given)))
    return out


def heading_from_movement(
    cls: Any,
    data: Any,
    *,
    left_keypoint: str,
    right_keypoint: str,
    origin_keypoint: str | None,
    camera_view: str,
    individual: Any,
    **kw: Any,
) -> Any:
    """`HeadDirectionOverlay.from_movement`: the direction the animal faces."""
    if camera_view not in ("top_down", "bottom_up"):
        raise ValueError(
            format_message(
                f"camera_view={camera_view!r} is not 'top_down' or 'bottom_up'.",
                "seen from below, left and right swap, and so does the forward direction.",
                ["Pass camera_view='top_down' (the default) or 'bottom_up'."],
            )
        )
    style, read = _split(kw)
    position, times = pose_arrays(data, **read)
    one = _one_individual(position, individual)
    names = [str(v) for v in one["keypoint"].values]
    wanted = [left_keypoint, right_keypoint] + ([origin_keypoint] if origin_keypoint else [])
    pick(one, "keypoint", wanted, "keypoints")
    values = np.asarray(one.values)
    left, right = values[:, names.index(left_keypoint)], values[:, names.index(right_keypoint)]
    if origin_keypoint:  # from the midpoint of left and right towards it (e.g. the nose)
        forward = values[:, names.index(origin_keypoint)] - (left + right) / 2
    else:  # perpendicular to left -> right: +90 degrees seen from above (y up)
        across = right - left
        sign = 1.0 if camera_view == "top_down" else -1.0
        forward = sign * np.column_stack([-across[:, 1], across[:, 0]])
    return cls(forward, times=times, **_gap(read, style))


_READ = ("position_variable", "fps", "confidence_threshold", "calibration")


def _split(kw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    given = {k: kw.pop(k) for k in _READ if k in kw}
    return kw, {k: v for k, v in given.items() if v is not None}


def _gap(read: dict[str, Any], style: dict[str, Any]) -> dict[str, Any]:
    """A confidence threshold makes gaps: ``missing="gap"`` unless said otherwise."""
    if "confidence_threshold" in read:
        style = {"missing": "gap", **style}
    return style
