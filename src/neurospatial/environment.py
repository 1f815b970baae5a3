"""`Environment`: a discretized space (bins) with named regions.

Layouts: ``"grid"`` (a regular grid in 1, 2 or 3 dims, optionally masked: bins
inferred from samples, inside a polygon, from a mask or an image), ``"hexagonal"``
(2D hexagons) and ``"graph"`` (a linearized track: bins along the edges of a graph
laid out in 2D). Everything downstream (place fields, the scene, renderers) talks
to an environment through layout-neutral members – `bin_centers`, `bin_at`,
`n_bins`, `dimension_ranges`, `to_dataset` – so renderers need no layout-specific
code. Grid-only members (`grid_edges`, `grid_shape`, `active_mask`) say so when
asked on another layout.
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurospatial.environment_factories import LayoutFactories
from neurospatial.errors import format_message
from neurospatial.hexagonal import HexLattice
from neurospatial.regions import Regions

if TYPE_CHECKING:
    import xarray as xr
    from scipy.sparse import csr_matrix
    from scipy.spatial import cKDTree

    from neurospatial.tracks import Track, TrackBins

__all__ = ["Environment"]

SPACE_NAMES = ("x", "y", "z")
LAYOUTS = ("grid", "hexagonal", "graph")
_CACHED_PROPERTIES = ("bin_centers", "_flat_active_index", "_grid_to_active", "_cell_to_bin")


class Environment(LayoutFactories):
    """A discretized N-dimensional space (1, 2 or 3 dims) with named regions.

    Build one with `Environment.from_samples` (a grid or hexagons over samples),
    `from_polygon`, `from_mask` or `from_image` (masked grids) or `from_graph` (a
    linearized track). Bins are numbered 0..n_bins-1 over the *active* bins only;
    every per-bin array (fields, occupancy) uses that order: the C order of the grid
    (or the hexagon lattice's rows) restricted to active bins; along the track's
    linear coordinate for a track.

    Examples
    --------
    >>> import numpy as np
    >>> from neurospatial import Environment
    >>> rng = np.random.default_rng(0)
    >>> positions = rng.uniform(0, 100, size=(5000, 2))
    >>> env = Environment.from_samples(positions, bin_size=10.0)
    >>> env.n_dims, env.grid_shape
    (2, (10, 10))
    """

    def __init__(
        self,
        grid_edges: tuple[NDArray[np.float64], ...],
        active_mask: NDArray[np.bool_],
        *,
        units: str = "cm",
        regions: Regions | None = None,
        name: str = "",
    ) -> None:
        self._grid_edges = tuple(np.asarray(e, dtype=np.float64) for e in grid_edges)
        self._active_mask = np.asarray(active_mask, dtype=bool)
        n_dims = len(self._grid_edges)
        if n_dims not in (1, 2, 3):
            raise ValueError(
                format_message(
                    f"Environments have 1, 2 or 3 dimensions, got {n_dims} "
                    f"(grid_edges holds {n_dims} edge arrays).",
                    "bins are laid out along the x, y and z axes only.",
                    [
                        "Pass one edge array per dimension, e.g. (x_edges, y_edges).",
                        "Build the environment from positions: "
                        "Environment.from_samples(positions, bin_size=...).",
                    ],
                )
            )
        expected = tuple(len(e) - 1 for e in self._grid_edges)
        if self._active_mask.shape != expected:
            raise ValueError(
                format_message(
                    f"active_mask has shape {self._active_mask.shape}, expected {expected} "
                    "(one entry per grid bin).",
                    "each grid bin between consecutive edges is either active or not, so the "
                    "mask has len(edges) - 1 entries per dimension.",
                    [
                        f"Pass a boolean mask of shape {expected}.",
                        "Check that the mask is in (x, y, z) order, not (row, col) image order.",
                    ],
                )
            )
        self._layout = "grid"
        self._hex: HexLattice | None = None
        self._hex_active: NDArray[np.bool_] | None = None
        self._track: Track | None = None
        self._track_bins: TrackBins | None = None
        self._track_width = self._track_bin_size = 0.0
        self.units = units
        self.name = name
        self.regions = regions if regions is not None else Regions(n_dims)
        self._kdtree: cKDTree | None = None
        self._kernels: dict[float, csr_matrix] = {}
        if not self._active_mask.any():
            raise ValueError(
                format_message(
                    f"active_mask has no active bin (all {self._active_mask.size} are False).",
                    "an environment needs at least one bin to hold values.",
                    [
                        "Check the mask's polarity: True marks bins that belong to the arena.",
                        "Check that the mask covers the arena (its extent and bin size).",
                    ],
                )
            )

    @classmethod
    def _other(cls, layout: str, n_dims: int, units: str, name: str) -> Environment:
        """An environment of a non-grid layout (the factories fill in its geometry)."""
        env = cls.__new__(cls)
        env._grid_edges, env._active_mask = (), np.zeros(0, dtype=bool)
        env._layout = layout
        env._hex = env._hex_active = None
        env._track = env._track_bins = None
        env._track_width = env._track_bin_size = 0.0
        env.units, env.name, env.regions = units, name, Regions(n_dims)
        env._kdtree, env._kernels = None, {}
        return env

    # ------------------------------------------------------------------ factory
    @classmethod
    def from_samples(
        cls,
        positions: ArrayLike,
        bin_size: float | ArrayLike,
        *,
        units: str = "cm",
        infer_active_bins: bool = True,
        bin_count_threshold: int = 0,
        name: str = "",
        layout: str = "grid",
    ) -> Environment:
        """Build a regular grid (or a hexagonal lattice) covering position samples.

        Parameters
        ----------
        positions : array-like of shape (n_samples, n_dims)
            Samples of the animal's position (n_dims is 1, 2 or 3). Non-finite
            rows are ignored.
        bin_size : float or sequence of float
            Bin side length in environment units, one value or one per dimension.
        units : str
            Unit label of the coordinates (drawn on axes).
        infer_active_bins : bool
            If True, only bins with more than `bin_count_threshold` samples are
            active; otherwise every grid bin is active.
        bin_count_threshold : int
            Minimum sample count a bin must exceed to be active.
        layout : {"grid", "hexagonal"}
            ``"hexagonal"`` (2D samples only): pointy-top hexagons of width `bin_size`
            across flats (the distance between neighbouring centres).

        Notes
        -----
        Per dimension the grid has ``floor(extent / bin_size) + 1`` bins,
        centred on the data's range, so no sample lies on the outer edges. The
        hexagonal lattice likewise covers the samples' range, centred on it.
        """
        if layout not in ("grid", "hexagonal"):
            raise ValueError(
                format_message(
                    f"layout={layout!r} is not a layout from_samples builds.",
                    "from_samples lays regular bins over the samples: square ('grid') or "
                    "hexagonal ('hexagonal').",
                    [
                        "Pass layout='grid' or layout='hexagonal'.",
                        "For a track, use Environment.from_graph; for an arena's outline, "
                        "Environment.from_polygon.",
                    ],
                )
            )
        pos = np.asarray(positions, dtype=np.float64)
        if pos.ndim == 1:
            pos = pos[:, None]
        if pos.ndim != 2 or pos.shape[1] not in (1, 2, 3):
            raise ValueError(
                format_message(
                    f"positions has shape {np.shape(positions)}, expected (n_samples, n_dims) "
                    "with n_dims in 1, 2, 3.",
                    "each row is one position sample, each column one coordinate (x, y, z).",
                    [
                        "Stack coordinates as columns, e.g. np.column_stack([x, y]).",
                        "If the array is (n_dims, n_samples), transpose it: positions.T.",
                    ],
                )
            )
        n_given = len(pos)
        pos = pos[np.all(np.isfinite(pos), axis=1)]
        if len(pos) == 0:
            raise ValueError(
                format_message(
                    "positions has no finite samples "
                    f"({f'all {n_given} rows hold NaN or Inf' if n_given else 'it is empty'}); "
                    "cannot infer the extent.",
                    "the grid is laid over the range of the finite samples.",
                    [
                        "Check the tracking output (lost tracking is often exported as NaN).",
                        "Pass the positions in environment units, not a mask or an empty array.",
                    ],
                )
            )
        n_dims = pos.shape[1]
        given = np.asarray(bin_size, dtype=np.float64)
        if given.ndim > 1 or given.size not in (1, n_dims):
            raise ValueError(
                format_message(
                    f"bin_size has shape {given.shape} ({bin_size!r}) but the samples have "
                    f"{n_dims} dimension(s).",
                    "bin_size is one side length for every dimension, or one per dimension.",
                    [
                        "Pass one value, e.g. bin_size=2.5.",
                        f"Pass {n_dims} values, one per dimension of the samples.",
                    ],
                )
            )
        sizes = np.broadcast_to(given.reshape(-1), (n_dims,))
        if not np.all(np.isfinite(sizes)) or np.any(sizes <= 0):
            raise ValueError(
                format_message(
                    f"bin_size must be positive and finite, got {bin_size!r}.",
                    "it is the side length of a bin in environment units.",
                    [
                        "Pass one value, e.g. bin_size=2.5, or one per dimension, "
                        "e.g. bin_size=(2.5, 5.0).",
                    ],
                )
            )
        lo, hi = pos.min(axis=0), pos.max(axis=0)
        if layout == "hexagonal":
            from neurospatial.layouts import hexagonal_from_samples

            lattice, active = hexagonal_from_samples(
                pos, sizes, infer_active_bins, bin_count_threshold
            )
            env = cls._hexagonal(lattice, active, units)
            env.name = name
            return env
        n = np.floor((hi - lo) / sizes + 1e-9).astype(int) + 1
        start = (lo + hi) / 2 - n * sizes / 2
        edges = tuple(start[d] + sizes[d] * np.arange(n[d] + 1) for d in range(n_dims))
        if infer_active_bins:
            counts, _ = np.histogramdd(pos, bins=edges)
            active = counts > bin_count_threshold
            if not active.any():
                raise ValueError(
                    format_message(
                        f"No bin has more than bin_count_threshold={bin_count_threshold} "
                        f"samples (the fullest bin has {int(counts.max())} of {len(pos)}).",
                        "with infer_active_bins=True only bins with more samples than the "
                        "threshold are active, and an environment needs at least one.",
                        [
                            "Lower bin_count_threshold.",
                            "Increase bin_size, so that more samples fall in each bin.",
                        ],
                    )
                )
        else:
            active = np.ones(tuple(n), dtype=bool)
        return cls(edges, active, units=units, name=name)

    # --------------------------------------------------------------- properties
    @property
    def layout(self) -> str:
        """Layout kind: ``"grid"`` (regular, possibly masked), ``"hexagonal"`` or
        ``"graph"`` (a linearized track)."""
        return self._layout

    @property
    def n_dims(self) -> int:
        return len(self._grid_edges) if self._layout == "grid" else 2

    @property
    def n_bins(self) -> int:
        """Number of active bins."""
        if self._layout == "hexagonal":
            return int(self._hex_active.sum())  # type: ignore[union-attr]
        if self._layout == "graph":
            return len(self._track_bins.centers)  # type: ignore[union-attr]
        return int(self._active_mask.sum())

    def _only(self, layout: str, member: str, how: list[str]) -> None:
        """Raise for `member` asked on another layout than `layout`."""
        if self._layout != layout:
            raise AttributeError(
                format_message(
                    f"Environment.{member} exists for {layout} layouts; this environment's "
                    f"layout is {self._layout!r}.",
                    f"only a {layout} environment has it.",
                    how,
                )
            )

    def _grid_only(self, member: str) -> None:
        self._only(
            "grid",
            member,
            [
                "Use the layout-neutral members: bin_centers, bin_at, n_bins, dimension_ranges.",
                "For a track, env.track and env.linear_bin_centers describe the bins.",
            ],
        )

    @property
    def grid_edges(self) -> tuple[NDArray[np.float64], ...]:
        """Bin edges per dimension (grid layouts)."""
        self._grid_only("grid_edges")
        return self._grid_edges

    @property
    def grid_shape(self) -> tuple[int, ...]:
        """Number of grid bins per dimension, in (x, y, z) order (grid layouts)."""
        self._grid_only("grid_shape")
        return self._active_mask.shape

    @property
    def active_mask(self) -> NDArray[np.bool_]:
        """Boolean array of `grid_shape`, True for active bins (grid layouts)."""
        self._grid_only("active_mask")
        return self._active_mask

    @property
    def hex_lattice(self) -> HexLattice:
        """The hexagonal lattice (hexagonal layouts)."""
        how = ["Build one with Environment.from_samples(..., layout='hexagonal')."]
        self._only("hexagonal", "hex_lattice", how)
        assert self._hex is not None
        return self._hex

    @property
    def track(self) -> Track:
        """The track's graph in linear order (graph layouts)."""
        how = ["Build one with Environment.from_graph(graph, edge_order, ...)."]
        self._only("graph", "track", how)
        assert self._track is not None
        return self._track

    @property
    def track_width(self) -> float:
        """Width of the track in environment units (graph layouts): samples within half
        of it from the track's centre line are on the track."""
        self.track  # noqa: B018  (the error for other layouts)
        return self._track_width

    @property
    def linear_bin_centers(self) -> NDArray[np.float64]:
        """Distance along the track of each bin's centre, shape (n_bins,) (graph layouts)."""
        self.track  # noqa: B018
        return self._track_bins.linear_centers  # type: ignore[union-attr]

    @property
    def linear_bin_edges(self) -> NDArray[np.float64]:
        """Start and end of each bin along the track, shape (n_bins, 2) (graph layouts)."""
        self.track  # noqa: B018
        return self._track_bins.linear_edges  # type: ignore[union-attr]

    @property
    def bin_sizes(self) -> NDArray[np.float64]:
        """Bin side length per dimension (hexagons: their width across flats; a track:
        the bin length asked for)."""
        if self._layout == "hexagonal":
            return np.full(2, self._hex.size)  # type: ignore[union-attr]
        if self._layout == "graph":
            lengths = np.diff(self._track_bins.linear_edges, axis=1)  # type: ignore[union-attr]
            return np.full(2, float(lengths.max()))
        return np.array([e[1] - e[0] for e in self._grid_edges])

    @property
    def dimension_ranges(self) -> tuple[tuple[float, float], ...]:
        """Per-dimension (min, max) of the discretized space."""
        if self._layout == "hexagonal":
            lattice = self._hex
            centres = self.bin_centers
            half = np.array([lattice.size / 2, lattice.radius])  # type: ignore[union-attr]
            lo, hi = centres.min(axis=0) - half, centres.max(axis=0) + half
            return tuple((float(a), float(b)) for a, b in zip(lo, hi, strict=True))
        if self._layout == "graph":
            points = self._track.node_positions  # type: ignore[union-attr]
            reach = self._track_width / 2
            lo, hi = points.min(axis=0) - reach, points.max(axis=0) + reach
            return tuple((float(a), float(b)) for a, b in zip(lo, hi, strict=True))
        return tuple((float(e[0]), float(e[-1])) for e in self._grid_edges)

    @cached_property
    def bin_centers(self) -> NDArray[np.float64]:
        """Array of shape (n_bins, n_dims): centre of each active bin."""
        if self._layout == "hexagonal":
            return self._hex.centers()[self._hex_active]  # type: ignore[union-attr]
        if self._layout == "graph":
            return self._track_bins.centers  # type: ignore[union-attr]
        centres = [(e[:-1] + e[1:]) / 2 for e in self._grid_edges]
        mesh = np.meshgrid(*centres, indexing="ij")
        return np.stack([m[self._active_mask] for m in mesh], axis=1)

    @cached_property
    def _grid_to_active(self) -> NDArray[np.int64]:
        """Flat grid index -> active bin index (-1 for inactive grid bins)."""
        lookup = np.full(self._active_mask.size, -1, dtype=np.int64)
        lookup[self._flat_active_index] = np.arange(self.n_bins)
        return lookup

    @cached_property
    def _flat_active_index(self) -> NDArray[np.int64]:
        return np.flatnonzero(self._active_mask.ravel())

    @cached_property
    def _cell_to_bin(self) -> NDArray[np.int64]:
        """Hexagon flat index -> active bin index (-1 for inactive hexagons)."""
        active = self._hex_active
        lookup = np.full(len(active), -1, dtype=np.int64)  # type: ignore[arg-type]
        lookup[active] = np.arange(int(active.sum()))  # type: ignore[union-attr]
        return lookup

    # ------------------------------------------------------------------ queries
    def bin_at(self, points: ArrayLike) -> NDArray[np.int64]:
        """Active bin index of each point, -1 outside the environment.

        Parameters
        ----------
        points : array-like of shape (n_points, n_dims)
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, self.n_dims)
        if self._layout == "hexagonal":
            cells = self._hex.index(pts)  # type: ignore[union-attr]
            return np.where(cells >= 0, self._cell_to_bin[np.maximum(cells, 0)], -1)
        if self._layout == "graph":
            return self._track_bin_at(pts, self._track_width / 2)
        inside = np.all(np.isfinite(pts), axis=1)
        pts = np.where(np.isfinite(pts), pts, 0.0)
        idx = []
        for d, edges in enumerate(self._grid_edges):
            i = np.floor((pts[:, d] - edges[0]) / (edges[1] - edges[0])).astype(np.int64)
            # Points on the far edge belong to the last bin.
            i[pts[:, d] == edges[-1]] = len(edges) - 2
            inside &= (i >= 0) & (i < len(edges) - 1)
            idx.append(np.where(inside, i, 0))
        flat = np.ravel_multi_index(tuple(idx), self.grid_shape)
        return np.where(inside, self._grid_to_active[flat], -1)

    def linearize(
        self, positions: ArrayLike, *, max_distance: float | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Distance along the track and edge (its index in the edge order) of each 2D
        sample (graph layouts); NaN and -1 for non-finite samples.

        Samples farther than `max_distance` from the track (default: the track's
        width) are refused with the offending ones named: they are not on it.
        """
        from neurospatial.layouts import linearize

        return linearize(self, positions, max_distance)

    def _track_bin_at(self, points: NDArray[np.float64], reach: float) -> NDArray[np.int64]:
        from neurospatial.tracks import linear_bin, project

        where = project(self._track, points)  # type: ignore[arg-type]
        bins = linear_bin(self._track_bins, self._track, where.linear, where.edge)  # type: ignore[arg-type]
        return np.where(where.distance <= reach, bins, -1)

    def to_grid(self, values: ArrayLike, fill: float = np.nan) -> NDArray[np.float64]:
        """Scatter per-bin values of shape (..., n_bins) onto the grid, (..., *grid_shape)."""
        self._grid_only("to_grid")
        vals = np.asarray(values, dtype=np.float64)
        out = np.full((*vals.shape[:-1], self._active_mask.size), fill)
        out[..., self._flat_active_index] = vals
        return out.reshape(*vals.shape[:-1], *self.grid_shape)

    def kdtree(self) -> cKDTree:
        """KD-tree over `bin_centers` (cached; dropped by ``clear_cache(kdtree=True)``)."""
        if self._kdtree is None:
            from scipy.spatial import cKDTree

            # On a track, distances run along it (its linear coordinate).
            points = (
                self.linear_bin_centers[:, None] if self._layout == "graph" else self.bin_centers
            )
            self._kdtree = cKDTree(points)
        return self._kdtree

    def smoothing_kernel(self, bandwidth: float) -> csr_matrix:
        """Sparse Gaussian kernel over bins, K[i, j] = exp(-d_ij^2 / 2 bw^2), d <= 4 bw.

        ``d`` is the distance between bin centres; on a track, the distance along it
        (between linear positions, edge spacings included).

        Cached per bandwidth; dropped by ``clear_cache(kernels=True)``.
        """
        key = float(bandwidth)
        kernel = self._kernels.get(key)
        if kernel is None:
            tree = self.kdtree()
            dist = tree.sparse_distance_matrix(tree, 4.0 * key, output_type="coo_matrix")
            dist.data = np.exp(-0.5 * (dist.data / key) ** 2)
            kernel = dist.tocsr()
            kernel.setdiag(1.0)  # zero distances are not stored by the sparse matrix
            self._kernels[key] = kernel
        return kernel

    # ---------------------------------------------------------------- animation
    def animate_fields(
        self,
        fields: Any,
        *,
        backend: str = "auto",
        save_path: str | os.PathLike[str] | None = None,
        fps: float = 30,
        overlays: Any = None,
        frame_times: ArrayLike | None = None,
        show_regions: bool | list[str] = False,
        region_alpha: float = 0.3,
        cmap: str = "viridis",
        vmin: float | None = None,
        vmax: float | None = None,
        title: str | None = None,
        dpi: float = 100,
        n_workers: int = 1,
        show_colorbar: bool = True,
        progress: bool | None = None,
        client: Any = None,
        **backend_options: Any,
    ) -> Any:
        """Animate per-bin values over time with behaviour overlays.

        `build_scene` (validation, overlays, style) followed by `animate`
        (rendering). See `neurospatial.animation.build_scene` for `fields`,
        `overlays`, `frame_times` and the style arguments, and
        `neurospatial.animation.animate` for `backend`, `save_path`, `dpi`,
        `n_workers`, `show_colorbar`, `progress`, `client` (a dask.distributed
        cluster to render on) and backend options.

        Returns
        -------
        pathlib.Path or object
            The written file (``backend="video"``, ``"html"``, or ``"auto"`` with a
            save_path), or the live backend's object to display.

        Examples
        --------
        >>> import numpy as np, tempfile, pathlib
        >>> from neurospatial import Environment
        >>> env = Environment.from_samples(np.random.default_rng(0).uniform(0, 50, (500, 2)), 10)
        >>> fields = np.random.default_rng(1).random((10, env.n_bins))
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "fields.mp4"
        >>> env.animate_fields(fields, save_path=out, fps=10).name
        'fields.mp4'
        """
        from neurospatial.animation.api import animate
        from neurospatial.animation.scene import build_scene

        scene = build_scene(
            self,
            fields,
            overlays=overlays,
            frame_times=frame_times,
            fps=fps,
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            title=title,
            show_regions=show_regions,
            region_alpha=region_alpha,
        )
        return animate(
            scene,
            backend=backend,
            save_path=save_path,
            dpi=dpi,
            n_workers=n_workers,
            show_colorbar=show_colorbar,
            progress=progress,
            client=client,
            **backend_options,
        )

    # -------------------------------------------------------------------- cache
    def clear_cache(
        self, *, kdtree: bool = True, kernels: bool = True, cached_properties: bool = True
    ) -> None:
        """Drop cached derived state (it is rebuilt on demand).

        Useful before pickling an environment to worker processes, or to free
        memory after heavy smoothing.
        """
        if kdtree:
            self._kdtree = None
        if kernels:
            self._kernels = {}
        if cached_properties:
            for name in _CACHED_PROPERTIES:
                self.__dict__.pop(name, None)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_kdtree"] = None
        state["_kernels"] = {}
        for name in _CACHED_PROPERTIES:
            state.pop(name, None)
        return state

    # ------------------------------------------------------------ serialization
    def to_dataset(self) -> xr.Dataset:
        """Lossless description as an ``xr.Dataset`` (bins, layout geometry, units,
        regions)."""
        import xarray as xr

        space = np.array(SPACE_NAMES[: self.n_dims], dtype=object)
        data_vars: dict[str, Any] = {"bin_center": (("bin", "space"), self.bin_centers)}
        attrs: dict[str, Any] = {
            "layout": self.layout,
            "units": self.units,
            "name": self.name,
            "regions": self.regions.to_json(),
        }
        if self._layout == "grid":
            data_vars["active_mask"] = (tuple(f"grid_{s}" for s in space), self._active_mask)
            for s, edges in zip(space, self._grid_edges, strict=True):
                data_vars[f"edges_{s}"] = (f"grid_edge_{s}", edges)
        elif self._layout == "hexagonal":
            data_vars["hex_active"] = ("hex_cell", self._hex_active)
            attrs["hex_lattice"] = json.dumps(self._hex.to_attrs())  # type: ignore[union-attr]
        else:
            data_vars["linear_bin_center"] = ("bin", self.linear_bin_centers)
            attrs["track"] = json.dumps(self._track.to_dict())  # type: ignore[union-attr]
            attrs["track_bin_size"] = self._track_bin_size
            attrs["track_width"] = self._track_width
        return xr.Dataset(data_vars, coords={"space": space}, attrs=attrs)

    @classmethod
    def from_dataset(cls, ds: xr.Dataset) -> Environment:
        """Rebuild an environment written by `to_dataset`."""
        layout = ds.attrs.get("layout")
        if layout not in LAYOUTS:
            raise ValueError(
                format_message(
                    f"Unsupported environment layout {layout!r} (known: {list(LAYOUTS)}).",
                    "the dataset's attrs['layout'] says how its bins are rebuilt, and this "
                    "version of neurospatial does not know that layout.",
                    [
                        "Pass a dataset written by Environment.to_dataset().",
                        "Upgrade neurospatial if a newer version wrote it.",
                    ],
                )
            )
        space = [str(s) for s in ds["space"].values]
        units, name = str(ds.attrs.get("units", "cm")), str(ds.attrs.get("name", ""))
        if layout == "grid":
            edges = tuple(np.asarray(ds[f"edges_{s}"].values, dtype=np.float64) for s in space)
            env = cls(edges, np.asarray(ds["active_mask"].values, dtype=bool), units=units)
        elif layout == "hexagonal":
            lattice = HexLattice.from_attrs(json.loads(ds.attrs["hex_lattice"]))
            env = cls._hexagonal(lattice, np.asarray(ds["hex_active"].values, bool), units)
        else:
            from neurospatial.tracks import Track

            track = Track.from_dict(json.loads(ds.attrs["track"]))
            env = cls._on_track(
                track, float(ds.attrs["track_bin_size"]), float(ds.attrs["track_width"]), units
            )
        env.name = name
        env.regions = Regions.from_json(len(space), ds.attrs.get("regions", "{}"))
        return env

    def __repr__(self) -> str:
        ranges = ", ".join(
            f"{s}=[{lo:g}, {hi:g}]"
            for s, (lo, hi) in zip(SPACE_NAMES, self.dimension_ranges, strict=False)
        )
        shape = f"grid_shape={self.grid_shape}, " if self._layout == "grid" else ""
        return (
            f"Environment(layout={self.layout!r}, n_dims={self.n_dims}, n_bins={self.n_bins}, "
            f"{shape}{ranges} {self.units}, regions={list(self.regions)})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Environment):
            return NotImplemented
        if (self._layout, self.units, self.n_bins) != (other._layout, other.units, other.n_bins):
            return False
        if dict(self.regions) != dict(other.regions):
            return False
        if self._layout == "hexagonal":
            return self._hex == other._hex and np.array_equal(
                np.asarray(self._hex_active), np.asarray(other._hex_active)
            )
        if self._layout == "graph":
            return (
                self._track.to_dict() == other._track.to_dict()  # type: ignore[union-attr]
                and self._track_bin_size == other._track_bin_size
                and self._track_width == other._track_width
            )
        return (
            self.grid_shape == other.grid_shape
            and all(
                np.array_equal(a, b)
                for a, b in zip(self._grid_edges, other._grid_edges, strict=True)
            )
            and np.array_equal(self._active_mask, other._active_mask)
        )

    __hash__ = None  # type: ignore[assignment]
