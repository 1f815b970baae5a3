"""Geometry of a linearized track: a graph of straight edges in 2D.

A track (linear track, T-maze, W-track, ...) is nodes with ``(x, y)`` positions
joined by straight edges, laid end to end in a chosen order so that every point on
it has one *linear position*. Conventions:

- **Orientation.** ``edge_order`` lists each edge once as ``(u, v)``; linear
  distance along it grows from 0 at ``u`` to the edge's length at ``v``.
- **Linear position** on edge ``k`` is ``edge_offsets[k]`` (the summed lengths of
  edges ``0 .. k-1`` and the spacings between them) plus the distance from ``u``.
- **Spacing.** ``edge_spacing[k]`` is a gap in linear position between edges ``k``
  and ``k + 1`` that no track point maps into: edges that do not touch in space
  need not be contiguous in 1D plots.
- **Ties.** A point exactly as close to several edges (e.g. at a junction) goes to
  the earliest of them in linear order.
- **Nodes** are hashable keys, kept in the order first seen (the graph's node
  listing, or the edge list); only nodes on an edge are kept.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurospatial.errors import format_message

__all__ = ["Projection", "Track", "TrackBins", "linear_bin", "parse_track", "project", "track_bins"]

Edge = tuple[Hashable, Hashable]


@dataclass(frozen=True, eq=False)
class Track:
    """A track graph in linear order; build it with `parse_track`.

    Attributes
    ----------
    node_names : tuple
        Original node keys; row ``i`` of ``node_positions`` is ``node_names[i]``.
    node_positions : ndarray
        Array of shape (n_nodes, 2): the nodes' ``(x, y)`` positions.
    edges : ndarray
        Integer array of shape (n_edges, 2): node indices of each edge in linear
        order, from its start (column 0) to its end (column 1).
    edge_spacing : ndarray
        Array of shape (n_edges - 1,): gap in linear position after each edge.
    """

    node_names: tuple[Hashable, ...]
    node_positions: NDArray[np.float64]
    edges: NDArray[np.intp]
    edge_spacing: NDArray[np.float64]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Track):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    @property
    def edge_lengths(self) -> NDArray[np.float64]:
        """Array of shape (n_edges,): the Euclidean length of each edge."""
        start, end = self.node_positions[self.edges[:, 0]], self.node_positions[self.edges[:, 1]]
        return np.hypot(*(end - start).T)

    @property
    def edge_offsets(self) -> NDArray[np.float64]:
        """Array of shape (n_edges,): the linear position where each edge starts."""
        return np.concatenate([[0.0], np.cumsum(self.edge_lengths[:-1] + self.edge_spacing)])

    @property
    def total_length(self) -> float:
        """Linear position of the end of the last edge (spacings included)."""
        return float(self.edge_offsets[-1] + self.edge_lengths[-1])

    def to_dict(self) -> dict[str, list[Any]]:
        """Plain JSON-serializable lists (e.g. for zarr attrs), inverted by `from_dict`.

        Node names are kept as they are (str, int, ...; tuples are stored as lists).
        """
        return {
            "node_names": [_name_to_json(name) for name in self.node_names],
            "node_positions": self.node_positions.tolist(),
            "edges": self.edges.tolist(),
            "edge_spacing": self.edge_spacing.tolist(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Track:
        """Rebuild a track from `to_dict` output (an exact round trip)."""
        return cls(
            node_names=tuple(_name_from_json(name) for name in d["node_names"]),
            node_positions=np.asarray(d["node_positions"], dtype=np.float64).reshape(-1, 2),
            edges=np.asarray(d["edges"], dtype=np.intp).reshape(-1, 2),
            edge_spacing=np.asarray(d["edge_spacing"], dtype=np.float64).reshape(-1),
        )


@dataclass(frozen=True, eq=False)
class TrackBins:
    """Bins along a track; build them with `track_bins`. No bin straddles two edges.

    Attributes
    ----------
    centers : ndarray
        Array of shape (n_bins, 2): each bin's centre on the track, ``(x, y)``.
    linear_centers : ndarray
        Array of shape (n_bins,): each bin's centre in linear position (increasing).
    linear_edges : ndarray
        Array of shape (n_bins, 2): each bin's start and end linear position.
    edge : ndarray
        Integer array of shape (n_bins,): each bin's edge (index in linear order).
    segments : ndarray
        Array of shape (n_bins, 2, 2): each bin's 2D start and end point, for drawing.
    """

    centers: NDArray[np.float64]
    linear_centers: NDArray[np.float64]
    linear_edges: NDArray[np.float64]
    edge: NDArray[np.intp]
    segments: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Projection:
    """Nearest track points, from `project`; invalid points give NaN and edge -1.

    Attributes
    ----------
    linear : ndarray
        Array of shape (n_points,): linear position of the nearest track point.
    edge : ndarray
        Integer array of shape (n_points,): its edge (index in linear order).
    distance : ndarray
        Array of shape (n_points,): Euclidean distance from the point to the track.
    nearest : ndarray
        Array of shape (n_points, 2): the nearest track point, ``(x, y)``.
    """

    linear: NDArray[np.float64]
    edge: NDArray[np.intp]
    distance: NDArray[np.float64]
    nearest: NDArray[np.float64]


def parse_track(
    graph: Any,
    edge_order: Sequence[Edge] | None,
    edge_spacing: float | Sequence[float] = 0.0,
    *,
    positions: Mapping[Hashable, ArrayLike] | ArrayLike | None = None,
) -> Track:
    """Validate a track graph and lay its edges out in linear order.

    Parameters
    ----------
    graph : graph or sequence of (u, v) pairs
        A networkx-like undirected graph (``graph.nodes(data=True)`` yields
        ``(node, attrs)`` with ``attrs["pos"] = (x, y)``, ``graph.edges()`` yields
        ``(u, v)``; a repeated edge counts once), or an edge list with ``positions=``.
    edge_order : sequence of (u, v) pairs or None
        Every edge of the graph exactly once, in linear order, each in either
        orientation: ``(u, v)`` makes linear distance grow from ``u`` to ``v``.
        None only for a simple path, walked from its lower-sorted end node.
    edge_spacing : float or sequence of float, default 0.0
        Non-negative gap in linear position between consecutive edges: one value
        for all gaps, or n_edges - 1 values.
    positions : mapping or array-like, optional
        Node positions: a mapping node -> (x, y), or an array of shape (n_nodes, 2)
        indexed by integer node. Required with an edge list; with a graph it
        replaces the ``"pos"`` attributes.

    Returns
    -------
    Track

    Examples
    --------
    An L-shaped track of 3 edges, its long arm split at "mid":

    >>> pos = {"start": (0, 0), "mid": (0, 60), "corner": (0, 100), "end": (40, 100)}
    >>> edges = [("start", "mid"), ("mid", "corner"), ("corner", "end")]
    >>> track = parse_track(edges, edges, edge_spacing=[0, 10], positions=pos)
    >>> track.edge_lengths.tolist(), track.edge_offsets.tolist(), track.total_length
    ([60.0, 40.0, 40.0], [0.0, 60.0, 110.0], 150.0)
    >>> project(track, [(1.0, 30.0), (20.0, 103.0)]).linear.tolist()
    [30.0, 130.0]
    """
    graph_edges, nodes, pos_of = _read_graph(graph, positions)
    if not graph_edges:
        _fail(
            "The track graph has no edges.",
            "a track is made of edges; with none there is nothing to linearize.",
            ["Pass a graph or edge list with at least one (u, v) edge."],
        )
    missing = [node for node in nodes if node not in pos_of]
    if missing:
        _fail(
            f"Nodes without positions: {_names(missing)}.",
            "every node on an edge needs an (x, y) position to place the edge.",
            ["Pass positions={node: (x, y)}, or a graph whose nodes have a 'pos' attribute."],
        )
    xy = [np.asarray(pos_of[node], dtype=np.float64) for node in nodes]
    bad = [n for n, p in zip(nodes, xy, strict=True) if p.shape != (2,) or not np.isfinite(p).all()]
    if bad:
        _fail(
            f"Nodes whose positions are not finite (x, y) pairs: {_names(bad)}.",
            "NaN, infinite or malformed positions give edges no length or direction.",
            ["Give each of those nodes two finite coordinates, or drop the node."],
        )
    order = _path_order(graph_edges) if edge_order is None else [(u, v) for u, v in edge_order]
    _check_edge_order(order, graph_edges)
    index = {node: i for i, node in enumerate(nodes)}
    edges = np.array([[index[u], index[v]] for u, v in order], dtype=np.intp)
    track = Track(tuple(nodes), np.array(xy), edges, _spacing(edge_spacing, len(order)))
    zero = [order[k] for k in np.flatnonzero(track.edge_lengths == 0)]
    if zero:
        _fail(
            f"Zero-length edges (both ends at the same position): {_names(zero)}.",
            "an edge without length has no direction, so positions on it are undefined.",
            ["Merge the two nodes, or move one of them."],
        )
    return track


def track_bins(track: Track, bin_size: float) -> TrackBins:
    """Divide each edge into equal bins of at most ``bin_size``.

    Edge ``k`` of length ``L`` gets ``n = max(1, ceil(L / bin_size - 1e-9))`` bins
    of length ``L / n``, so no bin straddles two edges.

    Parameters
    ----------
    track : Track
    bin_size : float
        Target bin length, positive and finite, in the track's units.

    Returns
    -------
    TrackBins
    """
    if not (isinstance(bin_size, Real) and math.isfinite(bin_size) and bin_size > 0):
        _fail(
            f"bin_size={bin_size!r} is not a positive finite number.",
            "each edge is divided into bins of at most bin_size.",
            ["Pass a positive number in the track's units, e.g. bin_size=2.0."],
        )
    lengths = track.edge_lengths
    counts = np.array([max(1, math.ceil(L / bin_size - 1e-9)) for L in lengths], dtype=np.intp)
    edge = np.repeat(np.arange(len(lengths), dtype=np.intp), counts)
    local = np.arange(len(edge)) - (np.cumsum(counts) - counts)[edge]  # bin number on its edge
    frac = np.stack([local, local + 1], axis=1) / counts[edge, None]  # (n_bins, 2)
    start = track.node_positions[track.edges[edge, 0]]
    end = track.node_positions[track.edges[edge, 1]]
    segments = start[:, None, :] + frac[:, :, None] * (end - start)[:, None, :]
    segments[frac == 1.0] = end[frac[:, 1] == 1.0]  # exact end nodes
    mid = (local + 0.5) / counts[edge]
    return TrackBins(
        centers=start + mid[:, None] * (end - start),
        linear_centers=track.edge_offsets[edge] + mid * lengths[edge],
        linear_edges=track.edge_offsets[edge, None] + frac * lengths[edge, None],
        edge=edge,
        segments=segments,
    )


def project(track: Track, points: ArrayLike, *, chunk: int = 100_000) -> Projection:
    """Nearest point on the track (over all edges) to each 2D point.

    Parameters
    ----------
    track : Track
    points : array-like
        Array of shape (n_points, 2) of ``(x, y)`` positions. Rows with NaN or
        infinite values give NaN results and edge -1.
    chunk : int, default 100_000
        Points handled at once; memory grows as chunk x n_edges.

    Returns
    -------
    Projection
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        _fail(
            f"points has shape {pts.shape}, expected (n_points, 2).",
            "each point is one (x, y) position in the track's plane.",
            ["Pass an array of shape (n_points, 2), e.g. positions[:, :2]."],
        )
    n = len(pts)
    linear, distance = np.full(n, np.nan), np.full(n, np.nan)
    nearest, edge = np.full((n, 2), np.nan), np.full(n, -1, dtype=np.intp)
    a = track.node_positions[track.edges[:, 0]]
    b = track.node_positions[track.edges[:, 1]]
    d = b - a
    sq_lengths = (d**2).sum(axis=1)
    lengths, offsets = track.edge_lengths, track.edge_offsets
    valid = np.flatnonzero(np.isfinite(pts).all(axis=1))
    step = max(1, int(chunk))
    for lo in range(0, len(valid), step):
        rows = valid[lo : lo + step]
        px, py = pts[rows, :1], pts[rows, 1:]  # (c, 1) against (n_edges,) -> (c, n_edges)
        t = np.clip(((px - a[:, 0]) * d[:, 0] + (py - a[:, 1]) * d[:, 1]) / sq_lengths, 0, 1)
        qx = np.where(t == 1, b[:, 0], a[:, 0] + t * d[:, 0])  # exact end nodes: exact ties
        qy = np.where(t == 1, b[:, 1], a[:, 1] + t * d[:, 1])
        k = np.argmin((px - qx) ** 2 + (py - qy) ** 2, axis=1)  # first minimum wins
        take = np.arange(len(rows))
        nearest[rows] = np.stack([qx[take, k], qy[take, k]], axis=1)
        linear[rows] = offsets[k] + t[take, k] * lengths[k]
        edge[rows] = k
    distance[valid] = np.hypot(*(pts[valid] - nearest[valid]).T)
    return Projection(linear=linear, edge=edge, distance=distance, nearest=nearest)


def linear_bin(
    bins: TrackBins, track: Track, linear: ArrayLike, edge: ArrayLike
) -> NDArray[np.intp]:
    """Bin index of each (linear position, edge) pair, e.g. from `project`.

    Parameters
    ----------
    bins : TrackBins
        Bins of ``track``, from `track_bins`.
    track : Track
    linear, edge : array-like
        Linear positions and their integer edge indices (broadcast together). A
        position at an edge's end is in that edge's last bin; positions beyond an
        edge's ends are clipped to its first or last bin.

    Returns
    -------
    ndarray
        Integer bin indices; -1 where ``linear`` is NaN or ``edge`` is -1.
    """
    n_edges = len(track.edges)
    lin, k = np.broadcast_arrays(
        np.asarray(linear, dtype=np.float64), np.asarray(edge, dtype=np.intp)
    )
    bad = np.unique(k[(k < -1) | (k >= n_edges)])
    if bad.size:
        _fail(
            f"edge values {bad.tolist()} are not edges of the track (0 .. {n_edges - 1}, or -1).",
            "each linear position is binned within its own edge.",
            ["Pass the edge indices returned by project(track, points)."],
        )
    counts = np.bincount(bins.edge, minlength=n_edges)
    ok = (k >= 0) & np.isfinite(lin)
    first = (np.cumsum(counts) - counts)[k[ok]]
    # Bin starts increase strictly (edges have length, gaps are >= 0): one global search.
    found = np.searchsorted(bins.linear_edges[:, 0], lin[ok], side="right") - 1
    out = np.full(lin.shape, -1, dtype=np.intp)
    out[ok] = np.clip(found, first, first + counts[k[ok]] - 1)
    return out


# --- helpers ---------------------------------------------------------------------------


def _fail(what: str, why: str, how: list[str]) -> NoReturn:
    raise ValueError(format_message(what, why, how))


def _sorted(items: Iterable[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:  # node names of mixed types
        return sorted(items, key=repr)


def _names(items: Iterable[Any], limit: int = 20) -> str:
    shown = _sorted(list(items))
    more = f", ... ({len(shown) - limit} more)" if len(shown) > limit else ""
    return f"[{', '.join(map(repr, shown[:limit]))}{more}]"


def _read_graph(graph: Any, positions: Any) -> tuple[list[Edge], list[Hashable], Mapping[Any, Any]]:
    """Edges, nodes on an edge (in order first seen) and a node -> position lookup."""
    is_graph = callable(getattr(graph, "nodes", None)) and callable(getattr(graph, "edges", None))
    pairs = graph.edges() if is_graph else graph
    edges = list({frozenset((u, v)): (u, v) for u, v in pairs}.values())  # repeats count once
    on_edge = dict.fromkeys(node for e in edges for node in e)
    listed = [node for node, _ in graph.nodes(data=True)] if is_graph else []
    nodes = [node for node in dict.fromkeys([*listed, *on_edge]) if node in on_edge]
    if positions is None and is_graph:
        pos = {n: attrs.get("pos") for n, attrs in graph.nodes(data=True)}
        return edges, nodes, {n: p for n, p in pos.items() if p is not None}
    if positions is None or isinstance(positions, Mapping):
        return edges, nodes, positions or {}
    return edges, nodes, dict(enumerate(np.asarray(positions, dtype=np.float64)))  # by int node


def _check_edge_order(order: list[Edge], graph_edges: list[Edge]) -> None:
    known = {frozenset(e) for e in graph_edges}
    seen = Counter(frozenset(e) for e in order)
    repeats = {frozenset(e): e for e in reversed(order) if seen[frozenset(e)] > 1}  # 1st listing
    problems = {
        "names edges that are not in the graph": [e for e in order if frozenset(e) not in known],
        "lists edges more than once": list(repeats.values()),
        "is missing graph edges": [e for e in graph_edges if frozenset(e) not in seen],
    }
    if any(problems.values()):
        _fail(
            "edge_order " + "; ".join(f"{p}: {_names(v)}" for p, v in problems.items() if v) + ".",
            "edge_order places every edge of the graph in 1D, so it must list each graph edge "
            "exactly once ((u, v) and (v, u) are the same edge).",
            ["Check the node names in edge_order.", "Add missing edges and remove repeats."],
        )


def _path_order(edges: list[Edge]) -> list[Edge]:
    """Edges of a simple path, walked from its lower-sorted end node."""
    neighbours: dict[Hashable, list[Hashable]] = {}
    for u, v in edges:
        neighbours.setdefault(u, []).append(v)
        neighbours.setdefault(v, []).append(u)
    branches = [n for n, nb in neighbours.items() if len(nb) > 2]
    ends = [n for n, nb in neighbours.items() if len(nb) == 1]
    walk: list[Edge] = []
    prev, node = None, (_sorted(ends)[0] if len(ends) == 2 and not branches else None)
    while node is not None and len(walk) < len(edges):
        nxt = next((n for n in neighbours[node] if n != prev), None)
        if nxt is not None:
            walk.append((node, nxt))
        prev, node = node, nxt
    if len(walk) != len(edges):
        _fail(
            f"edge_order=None, but the graph is not one simple path: it has end nodes "
            f"{_names(ends)} and nodes with more than 2 edges {_names(branches)}.",
            "the linear order can only be inferred when there is a single way through the track "
            "(a connected path: 2 end nodes, no branches, no cycles).",
            ["Pass edge_order=[(u, v), ...] listing every edge in the order to lay them out."],
        )
    return walk


def _spacing(edge_spacing: Any, n_edges: int) -> NDArray[np.float64]:
    values = np.asarray(edge_spacing, dtype=np.float64)
    full = np.full(n_edges - 1, values) if values.ndim == 0 else values
    if full.shape != (n_edges - 1,) or not (np.isfinite(values) & (values >= 0)).all():
        _fail(
            f"edge_spacing={values.tolist()} is not one or {n_edges - 1} non-negative finite "
            f"numbers (the track has {n_edges} edges, so {n_edges - 1} gaps).",
            "edge_spacing is the gap in linear position between consecutive edges; a negative "
            "gap would make edges overlap in 1D.",
            ["Pass one number for all gaps, e.g. edge_spacing=10.0.", "Or n_edges - 1 numbers."],
        )
    return full


def _name_to_json(name: Any) -> Any:
    name = name.item() if isinstance(name, np.generic) else name
    return [_name_to_json(part) for part in name] if isinstance(name, tuple) else name


def _name_from_json(name: Any) -> Any:
    return tuple(_name_from_json(part) for part in name) if isinstance(name, list) else name
