"""The linearized view of a track: linear position on x, the field as a strip.

`linear_view` turns a track environment into a 1D grid over its linear coordinate
(cells of a quarter of the shortest bin; cells in the gaps between edges hold no
bin) with the projection of per-bin values onto it, and a map of 2D world points to
the strip: ``(linear position, strip centre)``, NaN for points farther from the
track than its width. The layer model applies both, so every image renderer draws
the linearized view through its 1D machinery; the animal's linear position is its
marker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from neurospatial.animation.render.layers import (
    STRIP_CENTRE,
    ArrowLayer,
    Layer,
    PointsLayer,
    SegmentsLayer,
    TrailLayer,
)
from neurospatial.errors import format_message

if TYPE_CHECKING:
    from neurospatial.environment import Environment

__all__ = ["TRACK_VIEWS", "check_track_view", "linear_view", "to_strip"]

TRACK_VIEWS = ("2d", "linear")
Project = Callable[[NDArray[np.float64]], NDArray[np.float64]]
PointMap = Callable[[NDArray[np.float64]], NDArray[np.float64]]
_CELLS_PER_BIN = 4


def check_track_view(track_view: Any, env: Environment) -> str:
    if track_view not in TRACK_VIEWS:
        raise ValueError(
            format_message(
                f"track_view={track_view!r} is not one of {list(TRACK_VIEWS)}.",
                "a track is drawn along its 2D geometry ('2d') or along its linear "
                "coordinate ('linear').",
                ["Pass track_view='2d' (the default) or track_view='linear'."],
            )
        )
    if track_view == "linear" and env.layout != "graph":
        raise ValueError(
            format_message(
                f"track_view='linear' needs a track (layout 'graph'); this environment's "
                f"layout is {env.layout!r}.",
                "only a track has a linear coordinate to lay the field along.",
                [
                    "Build the environment with Environment.from_graph.",
                    "Omit track_view for other layouts.",
                ],
            )
        )
    return str(track_view)


def linear_view(env: Environment) -> tuple[Environment, Project, PointMap]:
    """The 1D grid of the linearized view, the projection of values onto it and the
    map of 2D world points to the strip."""
    from neurospatial.environment import Environment
    from neurospatial.tracks import project

    track = env.track
    spans = env.linear_bin_edges  # (n_bins, 2), increasing, gaps between edges
    step = float(np.diff(spans, axis=1).min()) / _CELLS_PER_BIN
    n = max(1, int(np.ceil(track.total_length / step)))
    cell_edges = np.linspace(0.0, track.total_length, n + 1)
    centres = (cell_edges[:-1] + cell_edges[1:]) / 2
    k = np.clip(np.searchsorted(spans[:, 0], centres, side="right") - 1, 0, len(spans) - 1)
    inside = (centres >= spans[k, 0]) & (centres <= spans[k, 1])
    flat = Environment((cell_edges,), inside, units=env.units, name=env.name)
    cell_bin = k[inside]

    def values_on_cells(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(values, dtype=np.float64)[cell_bin]

    reach = env.track_width

    def to_line(points: NDArray[np.float64]) -> NDArray[np.float64]:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        where = project(track, pts)
        linear = np.where(where.distance <= reach, where.linear, np.nan)
        return np.column_stack([linear, np.full(len(pts), STRIP_CENTRE)])

    return flat, values_on_cells, to_line


def to_strip(layers: list[Layer], to_line: PointMap) -> list[Layer]:
    """Layers of the 2D track drawn on the strip: points, trails and segments at
    their linear positions; heading arrows dropped (no direction along a line).
    Points off the track are not drawn."""
    out: list[Layer] = []
    for layer in layers:
        if isinstance(layer, ArrowLayer):
            continue
        if isinstance(layer, PointsLayer):
            moved = to_line(layer.positions)
            keep = np.isfinite(moved[:, 0])
            layer = dataclasses.replace(
                layer,
                positions=_readonly(moved[keep]),
                colors=tuple(c for c, k in zip(layer.colors, keep, strict=True) if k)
                if len(layer.colors) == len(keep)
                else layer.colors,
                labels=tuple(lab for lab, k in zip(layer.labels, keep, strict=True) if k)
                if len(layer.labels) == len(keep)
                else layer.labels,
            )
        elif isinstance(layer, TrailLayer | SegmentsLayer):
            starts, ends = to_line(layer.starts), to_line(layer.ends)
            keep = np.isfinite(starts[:, 0]) & np.isfinite(ends[:, 0])
            changes: dict[str, Any] = {
                "starts": _readonly(starts[keep]),
                "ends": _readonly(ends[keep]),
            }
            if isinstance(layer, TrailLayer):
                changes |= {
                    "age": _readonly(layer.age[keep]),
                    "alpha": _readonly(layer.alpha[keep]),
                }
            elif len(layer.labels) == len(keep):
                changes["labels"] = tuple(
                    lab for lab, k in zip(layer.labels, keep, strict=True) if k
                )
            layer = dataclasses.replace(layer, **changes)
        out.append(layer)
    return out


def _readonly(arr: NDArray[np.float64]) -> NDArray[np.float64]:
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    arr.flags.writeable = False
    return arr
