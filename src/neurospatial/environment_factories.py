"""The `Environment` factories of the non-rectangular layouts (a mixin).

Masked grids (`from_polygon`, `from_mask`, `from_image`) and linearized tracks
(`from_graph`); hexagons come from ``Environment.from_samples(layout="hexagonal")``.
Each builds its geometry with `neurospatial.layouts` / `neurospatial.tracks` and
hands plain arrays to `Environment`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from neurospatial.environment import Environment
    from neurospatial.hexagonal import HexLattice
    from neurospatial.tracks import Track

__all__ = ["LayoutFactories"]


def _env(cls: type[LayoutFactories]) -> type[Environment]:
    return cast("type[Environment]", cls)  # the mixin is only ever Environment's


class LayoutFactories:
    """Classmethods `Environment` inherits: environments of every layout but the
    plain grid over samples."""

    @classmethod
    def from_polygon(
        cls, polygon: Any, bin_size: float | ArrayLike, *, units: str = "cm", name: str = ""
    ) -> Environment:
        """A grid masked to the bins whose centres lie inside `polygon`.

        Parameters
        ----------
        polygon : shapely Polygon or MultiPolygon
            The arena's outline in environment units (e.g. a circle:
            ``shapely.Point(50, 50).buffer(45)``; a plus maze: a union of boxes).
        bin_size : float or pair of float
            Bin side length(s).

        Examples
        --------
        >>> import shapely
        >>> from neurospatial import Environment
        >>> env = Environment.from_polygon(shapely.Point(0, 0).buffer(10), bin_size=2.0)
        >>> env.layout, env.grid_shape, env.n_bins
        ('grid', (10, 10), 80)
        """
        from neurospatial.layouts import grid_from_polygon

        edges, active = grid_from_polygon(polygon, bin_size)
        return _env(cls)(edges, active, units=units, name=name)

    @classmethod
    def from_mask(
        cls,
        active_mask: ArrayLike,
        grid_edges: tuple[ArrayLike, ...],
        *,
        units: str = "cm",
        name: str = "",
    ) -> Environment:
        """A grid from a boolean mask in (x, y[, z]) order and its edges per dimension.

        Examples
        --------
        >>> import numpy as np
        >>> from neurospatial import Environment
        >>> mask = np.array([[True, False], [True, True]])  # mask[ix, iy]
        >>> env = Environment.from_mask(mask, (np.array([0, 5, 10]), np.array([0, 5, 10])))
        >>> env.n_bins, env.bin_at([[7.0, 2.0]]).tolist()
        (3, [1])
        """
        from neurospatial.layouts import check_mask

        edges, active = check_mask(active_mask, grid_edges)
        return _env(cls)(edges, active, units=units, name=name)

    @classmethod
    def from_image(
        cls,
        mask_image: ArrayLike,
        bin_size: float,
        *,
        origin: tuple[float, float] = (0.0, 0.0),
        units: str = "cm",
        name: str = "",
    ) -> Environment:
        """A 2D grid from a boolean image (rows, cols): one bin per pixel.

        Row 0 is the image's top, so it becomes the highest y; pixel ``(row, col)``
        covers x in ``origin[0] + [col, col + 1) * bin_size`` and y in
        ``origin[1] + [n_rows - 1 - row, n_rows - row) * bin_size``.

        Examples
        --------
        >>> import numpy as np
        >>> from neurospatial import Environment
        >>> image = np.array([[1, 0, 0], [1, 1, 1]], dtype=bool)  # an L, top row first
        >>> env = Environment.from_image(image, bin_size=10.0)
        >>> env.bin_at([[5.0, 15.0], [25.0, 15.0]]).tolist()  # top-left on, top-right off
        [1, -1]
        """
        from neurospatial.layouts import grid_from_image

        edges, active = grid_from_image(mask_image, bin_size, origin)
        return _env(cls)(edges, active, units=units, name=name)

    @classmethod
    def from_graph(
        cls,
        graph: Any,
        edge_order: Any,
        edge_spacing: float | ArrayLike,
        bin_size: float,
        *,
        positions: Any = None,
        track_width: float | None = None,
        units: str = "cm",
        name: str = "",
    ) -> Environment:
        """A linearized track: bins along the edges of a graph laid out in 2D.

        Parameters
        ----------
        graph : networkx graph or sequence of (u, v)
            A graph whose nodes have a ``"pos"`` attribute (x, y), or an edge list
            with `positions` (a mapping node -> (x, y)).
        edge_order : sequence of (u, v)
            Every edge once, in the order of the linear coordinate; each pair's order
            is the direction distance grows along that edge.
        edge_spacing : float or sequence of float
            Gap in linear distance between consecutive edges (one value or
            ``len(edge_order) - 1``).
        bin_size : float
            Bin length along the track (each edge gets equal bins of about this length).
        track_width : float, optional
            The track's width (default ``2 * bin_size``): 2D samples within half of it
            from the centre line are on the track (`bin_at`), and bins are drawn this
            wide.

        Examples
        --------
        >>> from neurospatial import Environment
        >>> nodes = {"a": (0.0, 0.0), "b": (0.0, 50.0), "c": (40.0, 50.0)}
        >>> env = Environment.from_graph([("a", "b"), ("b", "c")], [("a", "b"), ("b", "c")],
        ...                              edge_spacing=0.0, bin_size=10.0, positions=nodes)
        >>> env.layout, env.n_bins
        ('graph', 9)
        >>> linear, edge = env.linearize([[1.0, 20.0], [30.0, 49.0]])
        >>> linear.tolist(), edge.tolist()
        ([20.0, 80.0], [0, 1])
        """
        from neurospatial.layouts import check_track_width
        from neurospatial.tracks import parse_track

        track = parse_track(graph, edge_order, edge_spacing, positions=positions)  # type: ignore[arg-type]
        width = check_track_width(track_width, bin_size)
        return _env(cls)._on_track(track, float(bin_size), width, units, name)

    @classmethod
    def _hexagonal(
        cls, lattice: HexLattice, active: NDArray[np.bool_], units: str, name: str = ""
    ) -> Environment:
        env = _env(cls)._other("hexagonal", 2, units, name)
        env._hex, env._hex_active = lattice, np.asarray(active, dtype=bool)
        return env

    @classmethod
    def _on_track(
        cls, track: Track, bin_size: float, width: float, units: str, name: str = ""
    ) -> Environment:
        from neurospatial.tracks import track_bins

        env = _env(cls)._other("graph", 2, units, name)
        env._track, env._track_bins = track, track_bins(track, bin_size)
        env._track_bin_size, env._track_width = bin_size, width
        return env
