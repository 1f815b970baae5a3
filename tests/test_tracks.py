"""Track geometry: parsing, projection onto the track, and bins along it."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from neurospatial.tracks import Track, linear_bin, parse_track, project, track_bins

# A W-track: a centre arm down to a junction, then left and right along the bottom
# and up the outer arms. Edge k of W_ORDER, with ``u`` the distance along it:
#   0: c_top -> c_bot  (50, 100 - u)   length 100
#   1: c_bot -> l_bot  (50 - u, 0)     length 50
#   2: l_bot -> l_top  (0, u)          length 100
#   3: c_bot -> r_bot  (50 + u, 0)     length 60
#   4: r_bot -> r_top  (110, u)        length 100
W_POS = {
    "c_top": (50.0, 100.0),
    "c_bot": (50.0, 0.0),
    "l_bot": (0.0, 0.0),
    "l_top": (0.0, 100.0),
    "r_bot": (110.0, 0.0),
    "r_top": (110.0, 100.0),
}
W_ORDER = [
    ("c_top", "c_bot"),
    ("c_bot", "l_bot"),
    ("l_bot", "l_top"),
    ("c_bot", "r_bot"),
    ("r_bot", "r_top"),
]
W_LENGTHS = np.array([100.0, 50.0, 100.0, 60.0, 100.0])
W_OFFSETS_SPACED = np.array([0.0, 110.0, 170.0, 280.0, 350.0])  # edge_spacing=10
VERTICAL = [True, False, True, False, True]


def w_point(k: int, u: float) -> tuple[float, float]:
    """The 2D point at distance u along edge k of the W-track, from its geometry."""
    return [(50.0, 100.0 - u), (50.0 - u, 0.0), (0.0, u), (50.0 + u, 0.0), (110.0, u)][k]


def w_track(edge_spacing: float = 10.0) -> Track:
    return parse_track(W_ORDER, W_ORDER, edge_spacing, positions=W_POS)


class FakeGraph:
    """The smallest networkx-like graph: nodes(data=True) and edges()."""

    def __init__(self, pos, edges):
        self._pos, self._edges = dict(pos), list(edges)

    def nodes(self, data=False):
        return [(n, {"pos": p}) for n, p in self._pos.items()] if data else list(self._pos)

    def edges(self):
        return list(self._edges)


def assert_error(match: str, func, *args, **kwargs) -> str:
    """``func`` raises a WHAT / WHY / HOW ValueError whose message contains ``match``."""
    with pytest.raises(ValueError, match=re.escape(match)) as info:
        func(*args, **kwargs)
    message = str(info.value)
    assert "WHY:" in message and "HOW:" in message
    return message


# --- parsing ---------------------------------------------------------------------------


def test_w_track_geometry():
    track = w_track()
    assert track.node_names == tuple(W_POS)  # edge-list order of first appearance
    np.testing.assert_array_equal(track.edge_lengths, W_LENGTHS)
    np.testing.assert_array_equal(track.edge_offsets, W_OFFSETS_SPACED)
    assert track.total_length == 450.0
    np.testing.assert_array_equal(track.edge_spacing, np.full(4, 10.0))
    names = [(track.node_names[u], track.node_names[v]) for u, v in track.edges]
    assert names == W_ORDER


def test_edge_spacing_per_gap():
    track = parse_track(W_ORDER, W_ORDER, [0, 5, 0, 20], positions=W_POS)
    np.testing.assert_array_equal(track.edge_offsets, [0.0, 100.0, 155.0, 255.0, 335.0])
    assert track.total_length == 435.0


def test_parse_duck_typed_graph():
    rng = np.random.default_rng(0)
    track = parse_track(FakeGraph(W_POS, rng.permutation(W_ORDER).tolist()), W_ORDER, 10.0)
    assert track == w_track()


def test_parse_networkx_graph():
    nx = pytest.importorskip("networkx")
    rng = np.random.default_rng(1)
    graph = nx.Graph()
    for name, pos in W_POS.items():
        graph.add_node(name, pos=pos)
    graph.add_edges_from([(v, u) for u, v in rng.permutation(W_ORDER).tolist()])
    assert parse_track(graph, W_ORDER, 10.0) == w_track()


def test_positions_array_for_integer_nodes():
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 10, size=(4, 2))
    track = parse_track([(2, 1), (1, 0), (0, 3)], [(2, 1), (1, 0), (0, 3)], positions=xy)
    assert track.node_names == (2, 1, 0, 3)
    np.testing.assert_array_equal(track.node_positions, xy[[2, 1, 0, 3]])


def test_graph_positions_override_pos_attributes():
    rng = np.random.default_rng(3)
    pos = {n: tuple(rng.uniform(0, 10, 2)) for n in "abc"}
    graph = FakeGraph({n: (0.0, 0.0) for n in "abc"}, [("a", "b"), ("b", "c")])
    track = parse_track(graph, [("a", "b"), ("b", "c")], positions=pos)
    np.testing.assert_array_equal(track.node_positions, [pos[n] for n in "abc"])


def test_edge_order_orientation_reverses_linear_distance():
    rng = np.random.default_rng(4)
    reversed_order = [("c_bot", "c_top"), *W_ORDER[1:]]
    track = parse_track(W_ORDER, reversed_order, 10.0, positions=W_POS)
    u = rng.uniform(0, 100, size=50)
    points = [w_point(0, x) for x in u]
    np.testing.assert_allclose(project(w_track(), points).linear, u, atol=1e-9)
    np.testing.assert_allclose(project(track, points).linear, 100.0 - u, atol=1e-9)
    # the other edges are unchanged
    points = [w_point(2, x) for x in u]
    np.testing.assert_allclose(project(track, points).linear, 170.0 + u, atol=1e-9)


def test_edge_order_none_walks_a_path_from_lowest_end():
    pos = {"a": (0, 0), "b": (0, 10), "c": (5, 10), "d": (5, 30)}
    track = parse_track([("c", "b"), ("d", "c"), ("b", "a")], None, positions=pos)
    names = [(track.node_names[u], track.node_names[v]) for u, v in track.edges]
    assert names == [("a", "b"), ("b", "c"), ("c", "d")]
    np.testing.assert_array_equal(track.edge_offsets, [0.0, 10.0, 15.0])
    # integer nodes: starts from 0, not from the first edge listed
    ints = parse_track([(2, 3), (0, 1), (1, 2)], None, positions={i: (i, i * i) for i in range(4)})
    assert ints.node_names[ints.edges[0, 0]] == 0
    assert ints.edges[:, 1].tolist() == [ints.node_names.index(i) for i in (1, 2, 3)]


def test_to_dict_round_trips_through_json():
    track = w_track()
    data = json.loads(json.dumps(track.to_dict()))
    back = Track.from_dict(data)
    assert back == track
    assert back.node_names == track.node_names
    np.testing.assert_array_equal(back.node_positions, track.node_positions)
    assert back.edges.dtype.kind == "i" and back.node_positions.dtype == np.float64


def test_to_dict_round_trips_int_and_tuple_names():
    rng = np.random.default_rng(5)
    pos = {(0, 0): rng.uniform(size=2), (0, 1): rng.uniform(size=2), 7: rng.uniform(size=2)}
    track = parse_track([((0, 0), (0, 1)), ((0, 1), 7)], None, [0.3], positions=pos)
    back = Track.from_dict(json.loads(json.dumps(track.to_dict())))
    assert back == track
    assert back.node_names == track.node_names
    np.testing.assert_array_equal(back.node_positions, track.node_positions)
    np.testing.assert_array_equal(back.edge_spacing, [0.3])


# --- projection ------------------------------------------------------------------------


def test_project_points_on_the_track():
    rng = np.random.default_rng(6)
    track = w_track(edge_spacing=10.0)
    k = rng.integers(0, 5, size=400)
    u = rng.uniform(0, 1, size=400) * W_LENGTHS[k]
    points = np.array([w_point(ki, ui) for ki, ui in zip(k, u, strict=True)])
    proj = project(track, points)
    np.testing.assert_allclose(proj.linear, W_OFFSETS_SPACED[k] + u, rtol=0, atol=1e-9)
    np.testing.assert_allclose(proj.nearest, points, rtol=0, atol=1e-9)
    np.testing.assert_allclose(proj.distance, 0.0, atol=1e-9)
    interior = (u > 1e-6) & (u < W_LENGTHS[k] - 1e-6)  # away from the shared end nodes
    np.testing.assert_array_equal(proj.edge[interior], k[interior])


def test_project_noisy_points_within_half_a_bin():
    rng = np.random.default_rng(7)
    track, bin_size = w_track(edge_spacing=10.0), 5.0
    k = rng.integers(0, 5, size=1000)
    u = rng.uniform(3, W_LENGTHS[k] - 3)  # > the noise away from the nodes
    noise = rng.uniform(-1, 1, size=1000)
    points = np.array([w_point(ki, ui) for ki, ui in zip(k, u, strict=True)])
    vertical = np.array(VERTICAL)[k]
    points[vertical, 0] += noise[vertical]  # perpendicular to the edge
    points[~vertical, 1] += noise[~vertical]
    proj = project(track, points)
    np.testing.assert_array_equal(proj.edge, k)
    assert np.all(np.abs(proj.linear - (W_OFFSETS_SPACED[k] + u)) < bin_size / 2)
    np.testing.assert_allclose(proj.distance, np.abs(noise), atol=1e-9)


def test_project_ties_go_to_the_earliest_edge():
    track = w_track()
    proj = project(track, [W_POS["c_bot"], (50.0, -5.0), W_POS["l_bot"]])
    # the junction is the end of edge 0 and the start of edges 1 and 3
    assert proj.edge.tolist() == [0, 0, 1]
    np.testing.assert_array_equal(proj.linear, [100.0, 100.0, 160.0])
    np.testing.assert_array_equal(proj.distance, [0.0, 5.0, 0.0])


def test_project_nan_points():
    rng = np.random.default_rng(8)
    points = rng.uniform(0, 100, size=(20, 2))
    points[[2, 5], 0] = np.nan
    points[7, 1] = np.inf
    proj = project(w_track(), points)
    bad = np.zeros(20, dtype=bool)
    bad[[2, 5, 7]] = True
    assert proj.edge[bad].tolist() == [-1, -1, -1]
    assert np.isnan(proj.linear[bad]).all() and np.isnan(proj.distance[bad]).all()
    assert np.isnan(proj.nearest[bad]).all()
    assert np.isfinite(proj.linear[~bad]).all() and (proj.edge[~bad] >= 0).all()
    np.testing.assert_array_equal(
        linear_bin(track_bins(w_track(), 5.0), w_track(), proj.linear, proj.edge)[bad], -1
    )


def brute_force(track: Track, point: np.ndarray) -> tuple[int, float]:
    """Nearest edge and linear position, one edge at a time."""
    best = (np.inf, -1, np.nan)
    for k, (i, j) in enumerate(track.edges):
        a, b = track.node_positions[i], track.node_positions[j]
        t = min(1.0, max(0.0, float(np.dot(point - a, b - a) / np.dot(b - a, b - a))))
        dist = float(np.linalg.norm(point - (a + t * (b - a))))
        if dist < best[0]:
            best = (dist, k, track.edge_offsets[k] + t * track.edge_lengths[k])
    return best[1], best[2]


def test_project_many_points_matches_brute_force_and_chunking():
    rng = np.random.default_rng(9)
    track = w_track()
    points = rng.uniform([-20, -20], [130, 120], size=(100_000, 2))
    proj = project(track, points)
    assert proj.linear.shape == proj.edge.shape == proj.distance.shape == (100_000,)
    assert proj.nearest.shape == (100_000, 2)
    expected = [brute_force(track, p) for p in points[:300]]
    np.testing.assert_array_equal(proj.edge[:300], [e for e, _ in expected])
    np.testing.assert_allclose(proj.linear[:300], [lin for _, lin in expected], atol=1e-9)
    small = project(track, points[:1000], chunk=7)
    np.testing.assert_array_equal(small.linear, proj.linear[:1000])
    np.testing.assert_array_equal(small.edge, proj.edge[:1000])
    np.testing.assert_allclose(project(track, proj.nearest[:1000]).distance, 0, atol=1e-9)


# --- bins ------------------------------------------------------------------------------


def test_track_bins_counts_and_equal_lengths():
    track = w_track(edge_spacing=10.0)
    bins = track_bins(track, 7.0)
    counts = [15, 8, 15, 9, 15]  # ceil(100 / 7), ceil(50 / 7), ..., ceil(60 / 7)
    assert np.bincount(bins.edge).tolist() == counts
    n_bins = sum(counts)
    assert bins.centers.shape == (n_bins, 2) and bins.segments.shape == (n_bins, 2, 2)
    assert bins.linear_centers.shape == (n_bins,) and bins.linear_edges.shape == (n_bins, 2)
    widths = np.diff(bins.linear_edges, axis=1)[:, 0]
    np.testing.assert_allclose(widths, (W_LENGTHS / counts)[bins.edge], rtol=1e-12)
    seg_lengths = np.linalg.norm(bins.segments[:, 1] - bins.segments[:, 0], axis=1)
    np.testing.assert_allclose(seg_lengths, widths, rtol=1e-12)
    assert np.all(np.diff(bins.linear_centers) > 0)
    np.testing.assert_allclose(bins.linear_centers, bins.linear_edges.mean(axis=1), rtol=1e-12)
    assert np.all(widths <= 7.0)


def test_track_bins_lie_on_their_edges():
    track = w_track(edge_spacing=10.0)
    bins = track_bins(track, 4.0)
    proj = project(track, bins.centers)
    np.testing.assert_allclose(proj.distance, 0.0, atol=1e-9)
    np.testing.assert_array_equal(proj.edge, bins.edge)
    np.testing.assert_allclose(proj.linear, bins.linear_centers, atol=1e-9)
    for end in (0, 1):
        seg = project(track, bins.segments[:, end])
        np.testing.assert_allclose(seg.distance, 0.0, atol=1e-9)
    # no bin straddles two edges: each lies within its own edge's linear range
    start, stop = W_OFFSETS_SPACED[bins.edge], (W_OFFSETS_SPACED + W_LENGTHS)[bins.edge]
    assert np.all(bins.linear_edges[:, 0] >= start - 1e-9)
    assert np.all(bins.linear_edges[:, 1] <= stop + 1e-9)
    for k in range(5):
        mine = np.flatnonzero(bins.edge == k)
        assert bins.linear_edges[mine[0], 0] == W_OFFSETS_SPACED[k]
        assert bins.linear_edges[mine[-1], 1] == W_OFFSETS_SPACED[k] + W_LENGTHS[k]
        a, b = (W_POS[n] for n in W_ORDER[k])
        np.testing.assert_array_equal(bins.segments[mine[0], 0], a)
        np.testing.assert_array_equal(bins.segments[mine[-1], 1], b)


def test_track_bins_rounding_and_short_edges():
    edges = [("a", "b"), ("b", "c")]
    track = parse_track(edges, edges, positions={"a": (0, 0), "b": (1.1, 0), "c": (1.1, 0.05)})
    bins = track_bins(track, 0.1)
    assert np.bincount(bins.edge).tolist() == [11, 1]  # 1.1 / 0.1 = 11.000000000000002


def test_linear_bin_of_bin_centres_and_edges():
    track = w_track(edge_spacing=10.0)
    bins = track_bins(track, 7.0)
    n_bins = len(bins.edge)
    np.testing.assert_array_equal(
        linear_bin(bins, track, bins.linear_centers, bins.edge), np.arange(n_bins)
    )
    np.testing.assert_array_equal(
        linear_bin(bins, track, bins.linear_edges[:, 0], bins.edge), np.arange(n_bins)
    )
    last = np.flatnonzero(np.diff(np.append(bins.edge, -1)) != 0)  # last bin of each edge
    first = np.flatnonzero(np.diff(np.insert(bins.edge, 0, -1)) != 0)
    ends = W_OFFSETS_SPACED + W_LENGTHS
    np.testing.assert_array_equal(linear_bin(bins, track, ends, np.arange(5)), last)
    np.testing.assert_array_equal(
        linear_bin(bins, track, ends + 3.0, np.arange(5)), last
    )  # clipped
    np.testing.assert_array_equal(
        linear_bin(bins, track, W_OFFSETS_SPACED - 3.0, np.arange(5)), first
    )
    out = linear_bin(bins, track, [np.nan, 5.0, 5.0], [0, -1, 0])
    assert out.tolist() == [-1, -1, 0]


def test_linear_bin_with_no_spacing_and_projection():
    rng = np.random.default_rng(11)
    track = w_track(edge_spacing=0.0)
    bins = track_bins(track, 3.0)
    k = rng.integers(0, 5, size=500)
    u = rng.uniform(0, 1, size=500) * W_LENGTHS[k]
    proj = project(track, [w_point(ki, ui) for ki, ui in zip(k, u, strict=True)])
    idx = linear_bin(bins, track, proj.linear, proj.edge)
    assert np.all(bins.edge[idx] == proj.edge)
    assert np.all(bins.linear_edges[idx, 0] <= proj.linear + 1e-9)
    assert np.all(proj.linear <= bins.linear_edges[idx, 1] + 1e-9)


# --- errors ----------------------------------------------------------------------------

PATH = [("a", "b"), ("b", "c"), ("c", "d")]
PATH_POS = {"a": (0, 0), "b": (0, 10), "c": (10, 10), "d": (10, 20)}


def test_error_nodes_without_positions():
    pos = {"a": (0, 0), "c": (10, 10)}
    assert_error("Nodes without positions: ['b', 'd']", parse_track, PATH, PATH, positions=pos)
    assert_error("Nodes without positions: ['a', 'b', 'c', 'd']", parse_track, PATH, PATH)
    graph = FakeGraph({"a": (0, 0), "b": None, "c": (1, 1)}, [("a", "b"), ("b", "c")])
    assert_error("Nodes without positions: ['b']", parse_track, graph, None)
    assert_error(
        "Nodes without positions: [3]", parse_track, [(0, 3)], None, positions=np.zeros((3, 2))
    )


def test_error_non_finite_or_malformed_positions():
    pos = {**PATH_POS, "c": (np.nan, 1.0), "b": (np.inf, 0.0)}
    assert_error("not finite (x, y) pairs: ['b', 'c']", parse_track, PATH, PATH, positions=pos)
    pos = {**PATH_POS, "d": (1.0, 2.0, 3.0)}
    assert_error("not finite (x, y) pairs: ['d']", parse_track, PATH, PATH, positions=pos)


def test_error_edge_order_unknown_edges():
    order = [("a", "b"), ("b", "z"), ("c", "d"), ("a", "c")]
    message = assert_error(
        "not in the graph: [('a', 'c'), ('b', 'z')]", parse_track, PATH, order, positions=PATH_POS
    )
    assert "missing graph edges: [('b', 'c')]" in message


def test_error_edge_listed_twice():
    order = [("a", "b"), ("b", "c"), ("b", "a"), ("c", "d")]
    assert_error("more than once: [('a', 'b')]", parse_track, PATH, order, positions=PATH_POS)


def test_error_edges_missing_from_edge_order():
    assert_error(
        "missing graph edges: [('b', 'c'), ('c', 'd')]",
        parse_track,
        PATH,
        PATH[:1],
        positions=PATH_POS,
    )


def test_error_zero_length_edges():
    pos = {**PATH_POS, "c": PATH_POS["b"]}
    assert_error(
        "Zero-length edges (both ends at the same position): [('b', 'c')]",
        parse_track,
        PATH,
        PATH,
        positions=pos,
    )


def test_error_edge_spacing():
    assert_error(
        "edge_spacing=[1.0] is not one or 2 non-negative",
        parse_track,
        PATH,
        PATH,
        [1.0],
        positions=PATH_POS,
    )
    assert_error("edge_spacing=[0.0, -2.0]", parse_track, PATH, PATH, [0, -2], positions=PATH_POS)
    assert_error("edge_spacing=-1.0", parse_track, PATH, PATH, -1, positions=PATH_POS)
    assert_error("edge_spacing=nan", parse_track, PATH[:1], PATH[:1], np.nan, positions=PATH_POS)


def test_error_empty_graph():
    assert_error("The track graph has no edges", parse_track, [], None, positions={})
    assert_error("The track graph has no edges", parse_track, FakeGraph({"a": (0, 0)}, []), [])


def test_error_edge_order_none_needs_a_path():
    t_maze = [("stem", "j"), ("j", "left"), ("j", "right")]
    pos = {"stem": (0, -10), "j": (0, 0), "left": (-10, 0), "right": (10, 0)}
    assert_error("more than 2 edges ['j']", parse_track, t_maze, None, positions=pos)
    loop = [("a", "b"), ("b", "c"), ("c", "a")]
    assert_error("end nodes []", parse_track, loop, None, positions=PATH_POS)
    two = [("a", "b"), ("c", "d")]
    assert_error("end nodes ['a', 'b', 'c', 'd']", parse_track, two, None, positions=PATH_POS)


@pytest.mark.parametrize("bin_size", [0, -1.0, np.nan, np.inf, "2"])
def test_error_bin_size(bin_size):
    assert_error(f"bin_size={bin_size!r}", track_bins, w_track(), bin_size)


def test_error_points_shape():
    assert_error("points has shape (3,)", project, w_track(), [1.0, 2.0, 3.0])
    assert_error("points has shape (2, 3)", project, w_track(), np.zeros((2, 3)))


def test_error_linear_bin_edge_values():
    track = w_track()
    bins = track_bins(track, 10.0)
    assert_error("edge values [-2, 5]", linear_bin, bins, track, [1.0, 2.0, 3.0], [5, -2, 0])
