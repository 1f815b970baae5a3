"""Geometry of a hexagonal lattice of bins (pointy-top hexagons, rows along x).

A lattice is described by its `HexLattice`: the centre of hexagon (row 0, column 0),
the hexagon `size` (width across flats, which is also the distance between
neighbouring centres) and the number of rows and columns. Row ``j`` lies at
``y = y0 + j * size * sqrt(3) / 2``; its hexagons at ``x = x0 + (i + j % 2 / 2) * size``
(odd rows are shifted right by half a hexagon). Flat index ``j * n_cols + i``.

Standard library and numpy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["HexLattice"]

_SQRT3 = math.sqrt(3.0)


@dataclass(frozen=True)
class HexLattice:
    """A rectangular patch of a pointy-top hexagonal lattice."""

    x0: float
    y0: float
    size: float  # width across flats = centre spacing
    n_rows: int
    n_cols: int

    @classmethod
    def covering(cls, lo: ArrayLike, hi: ArrayLike, size: float) -> HexLattice:
        """The smallest lattice whose hexagons cover the box ``[lo, hi]`` (2 values each),
        centred on it."""
        (xlo, ylo), (xhi, yhi) = np.asarray(lo, float), np.asarray(hi, float)
        row_step = size * _SQRT3 / 2
        n_rows = int(math.floor((yhi - ylo) / row_step + 1e-9)) + 2
        n_cols = int(math.floor((xhi - xlo) / size + 1e-9)) + 2
        # Centre the lattice's centres on the box (odd rows reach half a hexagon further).
        x0 = (xlo + xhi) / 2 - ((n_cols - 1) * size + (size / 2 if n_rows > 1 else 0)) / 2
        y0 = (ylo + yhi) / 2 - (n_rows - 1) * row_step / 2
        return cls(float(x0), float(y0), float(size), n_rows, n_cols)

    @property
    def radius(self) -> float:
        """Centre-to-corner distance."""
        return self.size / _SQRT3

    @property
    def row_step(self) -> float:
        return self.size * _SQRT3 / 2

    @property
    def n_cells(self) -> int:
        return self.n_rows * self.n_cols

    def centers(self) -> NDArray[np.float64]:
        """Centres of all hexagons, shape (n_cells, 2), in flat-index order."""
        rows, cols = np.divmod(np.arange(self.n_cells), self.n_cols)
        return np.column_stack(
            [self.x0 + (cols + (rows % 2) / 2) * self.size, self.y0 + rows * self.row_step]
        )

    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """((x_min, x_max), (y_min, y_max)) of the lattice's hexagons."""
        shift = self.size / 2 if self.n_rows > 1 else 0.0
        x_hi = self.x0 + (self.n_cols - 1) * self.size + shift + self.size / 2
        y_hi = self.y0 + (self.n_rows - 1) * self.row_step + self.radius
        return ((self.x0 - self.size / 2, x_hi), (self.y0 - self.radius, y_hi))

    def corners(self) -> NDArray[np.float64]:
        """The six corners of a hexagon centred at the origin, shape (6, 2)."""
        angles = np.deg2rad(30.0 + 60.0 * np.arange(6))
        return self.radius * np.column_stack([np.cos(angles), np.sin(angles)])

    def index(self, points: ArrayLike) -> NDArray[np.int64]:
        """Flat index of the hexagon holding each point (shape (n, 2)); -1 outside the
        lattice or for non-finite points. A point on a shared side goes to one of the
        two hexagons."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        finite = np.all(np.isfinite(pts), axis=1)
        x = np.where(finite, pts[:, 0], self.x0)
        y = np.where(finite, pts[:, 1], self.y0)
        # The hexagon holding a point has the nearest centre (hexagons are the Voronoi
        # cells of their centres); it lies in the nearest row or one next to it.
        guess = np.floor((y - self.y0) / self.row_step + 0.5).astype(np.int64)
        best = np.full(len(pts), -1, dtype=np.int64)
        best_d2 = np.full(len(pts), np.inf)
        for row in (guess - 1, guess, guess + 1):
            col = np.floor((x - self.x0) / self.size - (row % 2) / 2 + 0.5).astype(np.int64)
            cx = self.x0 + (col + (row % 2) / 2) * self.size
            cy = self.y0 + row * self.row_step
            d2 = (x - cx) ** 2 + (y - cy) ** 2
            ok = (row >= 0) & (row < self.n_rows) & (col >= 0) & (col < self.n_cols)
            better = ok & (d2 < best_d2)
            best = np.where(better, row * self.n_cols + col, best)
            best_d2 = np.where(better, d2, best_d2)
        # The nearest centre of the patch may still not hold a point beyond its rim.
        centres = self.centers()[np.maximum(best, 0)]
        dx, dy = np.abs(x - centres[:, 0]), np.abs(y - centres[:, 1])
        eps = 1e-9 * self.size
        inside = (dx <= self.size / 2 + eps) & (dy <= self.radius - dx / _SQRT3 + eps)
        return np.where(finite & (best >= 0) & inside, best, -1)

    def to_attrs(self) -> list[float]:
        return [self.x0, self.y0, self.size, float(self.n_rows), float(self.n_cols)]

    @classmethod
    def from_attrs(cls, values: ArrayLike) -> HexLattice:
        x0, y0, size, n_rows, n_cols = (float(v) for v in np.asarray(values).ravel())
        return cls(x0, y0, size, int(n_rows), int(n_cols))
