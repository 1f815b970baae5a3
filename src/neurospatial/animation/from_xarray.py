"""Scenes and alignment straight from xarray objects (what the `.nsanim` accessor calls).

`scene_from_field` takes a field stack as a DataArray: ``(time, bin)`` with its
environment, or a grid ``(time, y, x)`` / ``(time, x)`` whose coordinates are the bin
centres (the environment is inferred: every grid bin active). `align_dataset` aligns
an overlay-shaped Dataset (``position(time, space[, keypoint])``, as `movement`
writes) to frame times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from neurospatial.animation.validation import check_times
from neurospatial.errors import format_message

if TYPE_CHECKING:
    from neurospatial.environment import Environment

__all__ = [
    "align_dataset",
    "animate_field",
    "grid_environment",
    "scene_from_field",
    "show_field",
]


def grid_environment(field: xr.DataArray, *, units: str = "cm") -> Environment:
    """The grid environment of a ``(time, y, x)`` or ``(time, x)`` field: one active bin
    per pixel, bin centres at the coordinates (evenly spaced, either direction)."""
    from neurospatial.environment import Environment

    axes = _grid_axes(field)
    edges = tuple(_edges(field, name) for name in axes)
    shape = tuple(len(e) - 1 for e in edges)
    return Environment(edges, np.ones(shape, dtype=bool), units=units)


def scene_from_field(
    field: xr.DataArray, env: Environment | None = None, **build_options: Any
) -> xr.DataTree:
    """`build_scene` for a field DataArray (its ``time`` coordinate gives frame times).

    Parameters
    ----------
    field : xr.DataArray
        Dims ``(time, bin)`` with `env`, or ``(time, y, x)`` / ``(time, x)`` with
        coordinates at the bin centres and no `env`.
    env : Environment, optional
        Required for ``(time, bin)``; inferred from the grid otherwise.
    **build_options
        `build_scene` keywords: ``overlays``, ``fps``, ``cmap``, ``vmin``, ``vmax``,
        ``title``, ``show_regions``, ``region_alpha``, ``frame_times``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from neurospatial.animation.from_xarray import scene_from_field
    >>> field = xr.DataArray(np.zeros((3, 4, 5)), dims=("time", "y", "x"),
    ...                      coords={"time": [0.0, 0.1, 0.2], "y": np.arange(4.0),
    ...                              "x": np.arange(5.0) * 2})
    >>> scene_from_field(field)["fields"].sizes["bin"]
    20
    """
    env, stack = _as_bins(field, env)
    from neurospatial.animation.scene import build_scene

    return build_scene(env, stack, **build_options)


def animate_field(
    field: xr.DataArray, env: Environment | None = None, **animate_options: Any
) -> Any:
    """``env.animate_fields`` for a field DataArray (see `scene_from_field` for `field`
    and `env`; `animate_options` are ``animate_fields`` keywords)."""
    env, stack = _as_bins(field, env)
    return env.animate_fields(stack, **animate_options)


def show_field(field: xr.DataArray, env: Environment | None = None, **options: Any) -> Any:
    """The notebook player for a field DataArray: `animate_field` with
    ``backend="widget"`` (`options` are ``animate_fields`` keywords)."""
    return animate_field(field, env, backend="widget", **options)


def align_dataset(ds: xr.Dataset, frame_times: Any) -> xr.Dataset:
    """An overlay-shaped Dataset at `frame_times`: linear in time, NaN outside the
    samples' range (never extrapolated), as scenes align overlays.

    Parameters
    ----------
    ds : xr.Dataset
        With a ``position`` variable over ``time`` (and ``space``, optionally
        ``keypoint`` / ``individual``); ``time`` in seconds, strictly increasing.
    frame_times : array-like of shape (n_frames,)

    Returns
    -------
    xr.Dataset
        The numeric variables over ``time`` at `frame_times` (others, e.g. text
        labels per sample, cannot be interpolated and are left out).
    """
    if "position" not in ds.data_vars or "time" not in ds["position"].dims:
        found = {name: list(var.dims) for name, var in ds.data_vars.items()}
        raise ValueError(
            format_message(
                f"This Dataset has no position(time, ...) variable (variables and dims: {found}).",
                "an overlay-shaped Dataset holds positions over time, as movement's poses "
                "datasets do: position(time, space[, keypoint]).",
                [
                    "Rename the positions variable to 'position' (ds.rename(...)).",
                    "Align a single variable with DataArray.interp(time=frame_times).",
                ],
            )
        )
    check_times(np.asarray(ds["time"].values, dtype=np.float64), "the Dataset's time")
    times = check_times(frame_times, "frame_times")
    numeric = [n for n, v in ds.data_vars.items() if "time" in v.dims and v.dtype.kind in "fiub"]
    return ds[numeric].interp(time=times, assume_sorted=True)


# --------------------------------------------------------------------------- helpers
def _as_bins(field: Any, env: Environment | None) -> tuple[Environment, xr.DataArray]:
    """The environment and the field as ``(time, bin)``."""
    if not isinstance(field, xr.DataArray) or "time" not in field.dims:
        dims = list(getattr(field, "dims", ()))
        raise ValueError(
            format_message(
                f"A field stack needs a 'time' dimension; this one has dims {dims}.",
                "each frame of an animation is one time of the field.",
                [
                    "Rename the frame dimension: field.rename({'<dim>': 'time'}).",
                    "Give it time coordinates in seconds: field.assign_coords(time=...).",
                ],
            )
        )
    if "bin" in field.dims:
        if env is None:
            raise ValueError(
                format_message(
                    f"A (time, bin) field needs its environment (dims {list(field.dims)}).",
                    "bin numbers mean nothing without the environment that laid them out.",
                    ["Pass env=: field.nsanim.scene(env=env)."],
                )
            )
        return env, field.transpose("time", "bin")
    axes = _grid_axes(field)
    if env is None:
        env = grid_environment(field)
    ordered = field.sortby(list(axes)).transpose("time", *axes)  # (time, x[, y]): grid order
    if tuple(ordered.shape[1:]) != tuple(env.grid_shape):
        raise ValueError(
            format_message(
                f"The field's grid {tuple(ordered.shape[1:])} (x, y) does not match the "
                f"environment's {tuple(env.grid_shape)}.",
                "each pixel of a gridded field is one bin of the environment.",
                ["Leave env out to infer it from the field's coordinates."],
            )
        )
    flat = ordered.data.reshape(ordered.shape[0], -1)[:, np.flatnonzero(env.active_mask.ravel())]
    return env, xr.DataArray(flat, dims=("time", "bin"), coords={"time": field["time"]})


def _grid_axes(field: xr.DataArray) -> tuple[str, ...]:
    spatial = [str(d) for d in field.dims if d != "time"]
    if sorted(spatial) in (["x"], ["x", "y"]):
        return ("x",) if spatial == ["x"] else ("x", "y")
    raise ValueError(
        format_message(
            f"Cannot read a field stack with dims {list(field.dims)}.",
            "a field stack is (time, bin) with its environment, or a grid (time, y, x) or "
            "(time, x) whose coordinates are the bin centres.",
            [
                "Rename the dims: field.rename({'row': 'y', 'col': 'x'}).",
                "Pass a (time, bin) field with env=.",
            ],
        )
    )


def _edges(field: xr.DataArray, name: str) -> NDArray[np.float64]:
    if name not in field.coords:
        raise ValueError(
            format_message(
                f"The field's '{name}' dimension has no coordinates.",
                "the grid's bin centres come from the coordinates.",
                [f"Assign them: field.assign_coords({name}=centres)."],
            )
        )
    centres = np.asarray(field[name].values, dtype=np.float64)
    steps = np.diff(centres)
    if len(centres) < 2 or not (np.all(steps > 0) or np.all(steps < 0)):
        raise ValueError(
            format_message(
                f"The '{name}' coordinates are not strictly monotonic "
                f"(first values {centres[:4].tolist()}).",
                "grid bin centres go in one direction along each axis.",
                [
                    f"Sort the field: field.sortby('{name}').",
                    "Drop repeated coordinates, and give each axis at least 2 bins.",
                ],
            )
        )
    centres = np.sort(centres)
    step = np.diff(centres)
    if not np.allclose(step, step[0], rtol=1e-6):
        raise ValueError(
            format_message(
                f"The '{name}' coordinates are not evenly spaced (steps from {step.min():g} "
                f"to {step.max():g}).",
                "a grid environment has bins of one size along each axis.",
                ["Resample the field onto an even grid (field.interp(...)) first."],
            )
        )
    half = step[0] / 2
    return np.concatenate([centres - half, [centres[-1] + half]])
