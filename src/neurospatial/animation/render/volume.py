"""How a 3D grid is drawn flat: the field's maximum along z, or one z slice.

`flat_view` turns a 3D grid environment and the scene's ``volume`` option into a
2D grid environment over (x, y) and a function mapping each frame's values (one per
3D bin) to values per bin of that 2D grid. The layer model applies it, so every
image renderer draws a 3D scene through the same 2D machinery; overlays keep
their (x, y, z) coordinates and are drawn at (x, y).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from neurospatial.errors import format_message

if TYPE_CHECKING:
    from neurospatial.environment import Environment

__all__ = ["check_volume", "flat_view"]

Project = Callable[[NDArray[np.float64]], NDArray[np.float64]]


def check_volume(volume: Any, env: Environment) -> str:
    """The ``volume`` option as stored in a scene's attrs: ``"max"`` or a z value."""
    if isinstance(volume, str) and volume == "max":
        return "max"
    try:
        z = float(volume)
    except (TypeError, ValueError):
        z = float("nan")
    if not np.isfinite(z):
        raise ValueError(
            format_message(
                f"volume={volume!r} is neither 'max' nor a z coordinate.",
                "a 3D field is drawn flat: as its maximum along z, or as the z slice "
                "holding one height.",
                ["Pass volume='max' (the default), or a height, e.g. volume=12.5."],
            )
        )
    if env.n_dims == 3:
        lo, hi = env.dimension_ranges[2]
        if not lo <= z <= hi:
            raise ValueError(
                format_message(
                    f"volume={z:g} lies outside the environment's z range [{lo:g}, {hi:g}] "
                    f"{env.units}.",
                    "the slice drawn is the one holding that height.",
                    [f"Pass a z between {lo:g} and {hi:g}, or volume='max'."],
                )
            )
    return repr(z)


def flat_view(env: Environment, volume: str) -> tuple[Environment, Project]:
    """The 2D grid a 3D grid is drawn on and the projection of per-bin values onto it."""
    from neurospatial.environment import Environment

    x_edges, y_edges, z_edges = env.grid_edges
    mask = env.active_mask  # (nx, ny, nz)
    lookup = np.full(mask.shape, env.n_bins, dtype=np.intp)  # n_bins: no bin (NaN)
    lookup[mask] = np.arange(env.n_bins)
    if volume == "max":
        columns = mask.any(axis=2)
        index = lookup[columns]  # (n_flat, nz)
    else:
        found = int(np.searchsorted(z_edges, float(volume), side="right")) - 1
        k = min(max(found, 0), len(z_edges) - 2)
        columns = mask[:, :, k]
        if not columns.any():
            raise ValueError(
                format_message(
                    f"The z slice holding volume={float(volume):g} "
                    f"([{z_edges[k]:g}, {z_edges[k + 1]:g}) {env.units}) has no active bin.",
                    "the drawn slice would be empty.",
                    ["Pass another height, or volume='max'."],
                )
            )
        index = lookup[columns][:, k : k + 1]
    flat = Environment((x_edges, y_edges), np.asarray(columns), units=env.units, name=env.name)
    padded = np.empty(env.n_bins + 1)

    def project(values: NDArray[np.float64]) -> NDArray[np.float64]:
        padded[:-1] = values
        padded[-1] = np.nan
        return np.fmax.reduce(padded[index], axis=1)  # NaN only where all are NaN

    return flat, project
