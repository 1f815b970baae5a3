"""Builders and checks behind the `Environment` factories of the non-rectangular layouts.

Masked grids (`grid_from_polygon`, `grid_from_image`, `check_mask`), the hexagonal
lattice inferred from samples and the track's width and linearization. Each returns
plain arrays for `Environment` to hold; errors are WHAT / WHY / HOW and name the
offending values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurospatial.errors import format_message
from neurospatial.hexagonal import HexLattice

if TYPE_CHECKING:
    from neurospatial.environment import Environment

__all__ = [
    "check_mask",
    "check_track_width",
    "grid_from_image",
    "grid_from_polygon",
    "hexagonal_from_samples",
    "linearize",
]

Edges = tuple[NDArray[np.float64], ...]


def _positive(value: Any, name: str, example: str) -> NDArray[np.float64]:
    sizes = np.asarray(value, dtype=np.float64).reshape(-1)
    if sizes.size == 0 or not np.all(np.isfinite(sizes)) or np.any(sizes <= 0):
        raise ValueError(
            format_message(
                f"{name} must be positive and finite, got {value!r}.",
                f"{name} is a length in environment units.",
                [f"Pass a positive number, e.g. {name}={example}."],
            )
        )
    return sizes


def grid_from_polygon(polygon: Any, bin_size: float | ArrayLike) -> tuple[Edges, NDArray[np.bool_]]:
    """Edges of a grid over the polygon's bounds and the mask of the bins whose centres
    lie inside it."""
    import shapely

    if not isinstance(polygon, shapely.geometry.base.BaseGeometry) or polygon.geom_type not in (
        "Polygon",
        "MultiPolygon",
    ):
        kind = getattr(polygon, "geom_type", type(polygon).__name__)
        raise ValueError(
            format_message(
                f"polygon must be a shapely Polygon or MultiPolygon, got {kind}.",
                "the arena's outline decides which bins belong to it.",
                [
                    "Build one with shapely, e.g. shapely.Point(50, 50).buffer(45) for a "
                    "circle or shapely.Polygon([(x0, y0), (x1, y1), ...]).",
                    "For a mask you already have, use Environment.from_mask or from_image.",
                ],
            )
        )
    sizes = np.broadcast_to(_positive(bin_size, "bin_size", "2.5"), (2,))
    x0, y0, x1, y1 = polygon.bounds
    lo, hi = np.array([x0, y0]), np.array([x1, y1])
    n = np.maximum(np.ceil((hi - lo) / sizes - 1e-9).astype(int), 1)
    start = (lo + hi) / 2 - n * sizes / 2
    edges = tuple(start[d] + sizes[d] * np.arange(n[d] + 1) for d in range(2))
    centres = [(e[:-1] + e[1:]) / 2 for e in edges]
    gx, gy = np.meshgrid(*centres, indexing="ij")
    active = shapely.contains_xy(polygon, gx, gy)
    if not active.any():
        raise ValueError(
            format_message(
                f"No bin centre lies inside the polygon (bounds "
                f"{tuple(round(v, 6) for v in polygon.bounds)}, area {polygon.area:g}) with "
                f"bin_size={bin_size!r}.",
                "a bin belongs to the arena when its centre is inside the outline, and an "
                "environment needs at least one bin.",
                [
                    "Use a smaller bin_size than the polygon's width.",
                    "Check the polygon's coordinates are in environment units (not pixels).",
                ],
            )
        )
    return edges, active


def check_mask(
    active_mask: ArrayLike, grid_edges: tuple[ArrayLike, ...]
) -> tuple[Edges, NDArray[np.bool_]]:
    """The mask as booleans and the edges as float arrays, checked against each other."""
    mask = np.asarray(active_mask)
    if mask.dtype != bool:
        values = np.unique(mask)
        if not np.all(np.isin(values, (0, 1))):
            raise ValueError(
                format_message(
                    f"active_mask holds values {values[:6].tolist()}, not booleans.",
                    "each entry says whether its grid bin belongs to the environment.",
                    ["Pass a boolean array, e.g. image > threshold."],
                )
            )
        mask = mask.astype(bool)
    edges = tuple(np.asarray(e, dtype=np.float64) for e in grid_edges)
    for axis, e in zip("xyz", edges, strict=False):
        if e.ndim != 1 or len(e) < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
            raise ValueError(
                format_message(
                    f"grid_edges for {axis} must be at least two increasing finite numbers, "
                    f"got {np.asarray(e).tolist()[:8]}.",
                    "bins lie between consecutive edges.",
                    ["Pass e.g. np.arange(0, 100 + bin_size, bin_size) per dimension."],
                )
            )
        steps = np.diff(e)
        if not np.allclose(steps, steps[0], rtol=1e-6, atol=0):
            raise ValueError(
                format_message(
                    f"grid_edges for {axis} are not evenly spaced (steps from {steps.min():g} "
                    f"to {steps.max():g}).",
                    "a grid's bins have one size per dimension.",
                    ["Pass evenly spaced edges, e.g. np.linspace(lo, hi, n + 1)."],
                )
            )
    return edges, mask


def grid_from_image(
    mask_image: ArrayLike, bin_size: float, origin: tuple[float, float]
) -> tuple[Edges, NDArray[np.bool_]]:
    """Edges and (x, y)-ordered mask of a 2D grid with one bin per image pixel."""
    image = np.asarray(mask_image)
    if image.ndim != 2:
        raise ValueError(
            format_message(
                f"mask_image has shape {image.shape}, expected (rows, cols).",
                "each pixel of a 2D image becomes one bin.",
                [
                    "Pass one channel, e.g. rgb[..., 0] > 0, or a boolean array.",
                    "For 3D masks, use Environment.from_mask with edges per dimension.",
                ],
            )
        )
    size = float(_positive(bin_size, "bin_size", "2.5")[0])
    ox, oy = (float(v) for v in origin)
    n_rows, n_cols = image.shape
    edges = (ox + size * np.arange(n_cols + 1), oy + size * np.arange(n_rows + 1))
    # Row 0 is the top of the image: the highest y. mask[ix, iy].
    return check_mask(image[::-1].T, edges)


def hexagonal_from_samples(
    positions: NDArray[np.float64],
    sizes: NDArray[np.float64],
    infer_active_bins: bool,
    bin_count_threshold: int,
) -> tuple[HexLattice, NDArray[np.bool_]]:
    """The lattice covering 2D samples and its active hexagons."""
    if positions.shape[1] != 2 or not np.allclose(sizes, sizes[0]):
        raise ValueError(
            format_message(
                f"layout='hexagonal' needs 2D samples and one bin_size; got samples with "
                f"{positions.shape[1]} dimension(s) and bin_size {sizes.tolist()}.",
                "hexagons tile the plane, all of one size.",
                [
                    "Pass (x, y) samples and a single bin_size (the hexagons' width).",
                    "For 1D or 3D samples, use layout='grid'.",
                ],
            )
        )
    lattice = HexLattice.covering(positions.min(axis=0), positions.max(axis=0), float(sizes[0]))
    if not infer_active_bins:
        return lattice, np.ones(lattice.n_cells, dtype=bool)
    cells = lattice.index(positions)
    counts = np.bincount(cells[cells >= 0], minlength=lattice.n_cells)
    active = counts > bin_count_threshold
    if not active.any():
        raise ValueError(
            format_message(
                f"No hexagon has more than bin_count_threshold={bin_count_threshold} samples "
                f"(the fullest has {int(counts.max())} of {len(positions)}).",
                "with infer_active_bins=True only hexagons with more samples than the "
                "threshold are active, and an environment needs at least one.",
                ["Lower bin_count_threshold.", "Increase bin_size."],
            )
        )
    return lattice, active


def check_track_width(track_width: float | None, bin_size: float) -> float:
    """The track's width: given, or twice the bin length."""
    size = float(_positive(bin_size, "bin_size", "2.5")[0])
    if track_width is None:
        return 2.0 * size
    return float(_positive(track_width, "track_width", "10.0")[0])


def linearize(
    env: Environment, positions: ArrayLike, max_distance: float | None
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """`Environment.linearize`: linear position and edge index of 2D samples."""
    from neurospatial.tracks import project

    track = env.track
    points = np.asarray(positions, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(
            format_message(
                f"positions has shape {points.shape}, expected (n_samples, 2).",
                "a track is laid out in 2D; each sample is an (x, y) position.",
                ["Stack the coordinates as columns: np.column_stack([x, y])."],
            )
        )
    limit = env.track_width if max_distance is None else float(max_distance)
    where = project(track, points)
    far = np.flatnonzero(where.distance > limit)
    if len(far):
        shown = ", ".join(
            f"#{i} ({points[i, 0]:g}, {points[i, 1]:g}): {where.distance[i]:.3g}" for i in far[:5]
        )
        raise ValueError(
            format_message(
                f"{len(far)} of {len(points)} positions lie farther than {limit:g} "
                f"{env.units} from the track ({shown}{', ...' if len(far) > 5 else ''}).",
                "a sample off the track has no meaningful distance along it; those are "
                "usually tracking errors or positions in other units (pixels).",
                [
                    "Drop or NaN those samples (NaN samples give NaN).",
                    "Check positions are in the track's units and frame (a calibration).",
                    "Pass a larger max_distance if the animal may leave the centre line.",
                ],
            )
        )
    return where.linear, where.edge
