"""Environments beyond the rectangle: masked grids, hexagons, linearized tracks.

Each layout is checked where it meets the rest of the library: `bin_at` and the
bins' geometry, round trips (dataset, zarr scene, pickle), `compute_place_field`
against a hand-computed occupancy, and `render_frame` pixels (a field that is 1 in
one bin lights that bin's shape at its world position; a position marker on it
lands there).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import shapely

from neurospatial import Environment, compute_place_field
from neurospatial.animation import (
    PositionOverlay,
    build_scene,
    field_image,
    open_scene,
    render_frame,
    to_holoviews,
)
from neurospatial.animation.scene import scene_environment
from tests.animation.helpers import assert_what_why_how, red_centroid

W_NODES = {0: (0.0, 100.0), 1: (0.0, 0.0), 2: (50.0, 0.0), 3: (50.0, 100.0)}
W_NODES |= {4: (100.0, 0.0), 5: (100.0, 100.0)}
W_EDGES = [(0, 1), (1, 2), (2, 3), (2, 4), (4, 5)]


def circle() -> Environment:
    return Environment.from_polygon(shapely.Point(50, 50).buffer(45), bin_size=5.0)


def hexagons() -> Environment:
    rng = np.random.default_rng(0)
    return Environment.from_samples(
        rng.uniform(0, 100, (20_000, 2)), bin_size=10.0, layout="hexagonal"
    )


def w_track() -> Environment:
    return Environment.from_graph(
        W_EDGES, W_EDGES, edge_spacing=10.0, bin_size=5.0, positions=W_NODES, track_width=8.0
    )


def cube() -> Environment:
    rng = np.random.default_rng(4)
    return Environment.from_samples(rng.uniform(0, 100, (20_000, 3)), bin_size=10.0)


LAYOUTS = {"circle": circle, "hexagonal": hexagons, "w_track": w_track}
STORED = {**LAYOUTS, "cube_3d": cube}  # the pixel tests of 3D are below


# ------------------------------------------------------------------ masked grids
def test_a_polygon_keeps_the_bins_whose_centres_are_inside():
    env = circle()
    assert env.layout == "grid" and env.grid_shape == (18, 18)
    inside = shapely.contains_xy(shapely.Point(50, 50).buffer(45), *env.bin_centers.T)
    assert inside.all()
    gx, gy = np.meshgrid(*[(e[:-1] + e[1:]) / 2 for e in env.grid_edges], indexing="ij")
    outside = ~env.active_mask
    assert np.all(np.hypot(gx[outside] - 50, gy[outside] - 50) > 44.5)
    assert env.bin_at([[50.0, 50.0], [3.0, 3.0]]).tolist()[1] == -1  # a corner: no bin


def test_from_mask_and_from_image_place_bins_as_documented():
    edges = (np.array([0.0, 10, 20, 30]), np.array([0.0, 10, 20]))
    mask = np.array([[True, True], [False, True], [True, False]])  # mask[ix, iy]
    env = Environment.from_mask(mask, edges, units="mm")
    assert env.n_bins == 4 and env.units == "mm"
    assert env.bin_at([[15.0, 5.0], [15.0, 15.0]]).tolist() == [-1, 2]
    image = np.array([[0, 1, 1], [1, 1, 0]], dtype=np.uint8)  # top row first
    from_image = Environment.from_image(image, bin_size=10.0, origin=(100.0, 200.0))
    # Top row -> y in [210, 220); bottom row -> y in [200, 210).
    assert from_image.bin_at([[105.0, 215.0], [115.0, 215.0], [105.0, 205.0]]).tolist()[0] == -1
    assert from_image.bin_at([[115.0, 215.0], [105.0, 205.0]]).min() >= 0
    assert from_image.n_bins == 4


@pytest.mark.parametrize(
    ("trigger", "fragment"),
    [
        (lambda: Environment.from_polygon(_ring(), 10.0), "No bin centre"),
        (lambda: Environment.from_polygon([(0, 0), (1, 0), (0, 1)], 1.0), "got list"),
        (lambda: Environment.from_polygon(shapely.Point(0, 0).buffer(5), -1.0), "got -1.0"),
        (
            lambda: Environment.from_mask(np.zeros((2, 2), bool), (np.arange(3.0),) * 2),
            "no active bin (all 4 are False)",
        ),
        (
            lambda: Environment.from_mask(np.full((2, 2), 3), (np.arange(3.0),) * 2),
            "holds values [3]",
        ),
        (
            lambda: Environment.from_mask(np.ones((2, 2), bool), (np.array([0, 1, 3.0]),) * 2),
            "not evenly spaced",
        ),
        (lambda: Environment.from_image(np.ones((2, 2, 3)), 1.0), "expected (rows, cols)"),
        (
            lambda: Environment.from_samples(np.zeros((5, 3)), 1.0, layout="hexagonal"),
            "with 3 dimension(s)",
        ),
        (lambda: Environment.from_samples(np.zeros((5, 2)), 1.0, layout="voronoi"), "'voronoi'"),
        (
            lambda: w_track().linearize([[25.0, 50.0], [0.0, 50.0]]),
            "1 of 2 positions lie farther than 8 cm from the track (#0 (25, 50): 25)",
        ),
        (
            lambda: Environment.from_graph([(0, 1)], [(0, 1)], 0.0, 5.0, positions={0: (0, 0)}),
            "1",  # the node without a position
        ),
        (
            lambda: Environment.from_graph(W_EDGES, [(0, 1), (7, 8)], 0.0, 5.0, positions=W_NODES),
            "(7, 8)",
        ),
    ],
    ids=[
        "polygon_no_bin",
        "not_a_polygon",
        "bin_size",
        "empty_mask",
        "mask_values",
        "uneven_edges",
        "image_shape",
        "hexagonal_3d",
        "unknown_layout",
        "far_off_track",
        "node_without_position",
        "unknown_edge",
    ],
)
def test_bad_layouts_say_what_why_and_how(trigger, fragment):
    with pytest.raises(ValueError) as exc:
        trigger()
    assert_what_why_how(str(exc.value), fragment)


def _ring():
    """A thin ring: one 10-unit bin over it has its centre in the hole."""
    return shapely.Point(0, 0).buffer(5).difference(shapely.Point(0, 0).buffer(4.5))


# --------------------------------------------------------------------- hexagons
def test_hexagon_bins_are_hexagons():
    env = hexagons()
    lattice = env.hex_lattice
    assert env.layout == "hexagonal" and lattice.size == 10.0
    assert env.bin_at(env.bin_centers).tolist() == list(range(env.n_bins))
    # Points just inside each corner belong to the hexagon; just outside, never.
    corners = lattice.corners()
    for k in range(0, env.n_bins, 17):
        centre = env.bin_centers[k]
        assert (env.bin_at(centre + 0.98 * corners) == k).all()
        assert (env.bin_at(centre + 1.04 * corners) != k).all()
    # Areas: the share of random points per bin matches the hexagon's area.
    rng = np.random.default_rng(1)
    (x0, x1), (y0, y1) = env.dimension_ranges[:2]
    points = rng.uniform((x0, y0), (x1, y1), (200_000, 2))
    counts = np.bincount(env.bin_at(points) + 1, minlength=env.n_bins + 1)[1:]
    area = np.sqrt(3) / 2 * 10.0**2
    expected = area / ((x1 - x0) * (y1 - y0)) * len(points)
    assert np.abs(np.median(counts) / expected - 1) < 0.02
    with pytest.raises(AttributeError, match="exists for grid layouts"):
        env.grid_shape  # noqa: B018


# ----------------------------------------------------------------------- tracks
def test_a_track_linearizes_2d_samples_and_bins_along_its_edges():
    env = w_track()
    assert env.layout == "graph" and env.n_dims == 2 and env.track_width == 8.0
    # Known distances: edge lengths 100, 50, 100, 50, 100 with 10 between edges.
    points = [[0.0, 60.0], [20.0, 0.0], [50.0, 70.0], [80.0, 0.5], [100.0, 90.0]]
    linear, edge = env.linearize(points)
    np.testing.assert_allclose(linear, [40.0, 130.0, 240.0, 310.0, 430.0], atol=0.5)
    assert edge.tolist() == [0, 1, 2, 3, 4]
    assert np.isnan(env.linearize([[np.nan, 1.0]])[0]).all()
    bins = env.bin_at(points)
    np.testing.assert_allclose(env.linear_bin_centers[bins], linear, atol=2.5)
    assert env.bin_at([[25.0, 50.0]]).tolist() == [-1]  # between the arms: off the track


# -------------------------------------------------------------- round trips
@pytest.mark.parametrize("layout", sorted(STORED))
def test_every_layout_round_trips_through_datasets_zarr_and_pickle(layout, tmp_path):
    env = STORED[layout]()
    env.regions.add("goal", point=tuple(env.bin_centers[3]))
    again = Environment.from_dataset(env.to_dataset())
    assert again == env and again.layout == env.layout
    np.testing.assert_array_equal(again.bin_centers, env.bin_centers)
    assert pickle.loads(pickle.dumps(env)) == env
    scene = build_scene(env, np.ones((3, env.n_bins)), fps=10)
    scene.to_zarr(tmp_path / "s.zarr", consolidated=False)
    stored = scene_environment(open_scene(tmp_path / "s.zarr"))
    assert stored == env
    probe = env.bin_centers[:: max(1, env.n_bins // 20)] + 0.3
    np.testing.assert_array_equal(stored.bin_at(probe), env.bin_at(probe))


@pytest.mark.parametrize("layout", sorted(STORED))
def test_compute_place_field_against_a_hand_computed_occupancy(layout):
    env = STORED[layout]()
    rng = np.random.default_rng(2)
    visited = rng.choice(env.n_bins, 6, replace=False)
    samples = np.repeat(visited, [5, 10, 15, 20, 25, 30])  # samples per visited bin
    rng.shuffle(samples)
    positions = env.bin_centers[samples]
    times = np.arange(len(samples)) * 0.1  # each sample stands for 0.1 s
    spikes = times[samples == visited[2]] + 0.05  # the cell fires in visited[2] only
    rate = compute_place_field(env, spikes, times, positions, bandwidth=0)
    occupancy = np.zeros(env.n_bins)
    np.add.at(occupancy, samples, 0.1)
    expected = np.full(env.n_bins, np.nan)
    counts = np.zeros(env.n_bins)
    counts[visited[2]] = 15
    seen = occupancy > 0
    expected[seen] = counts[seen] / occupancy[seen]
    np.testing.assert_allclose(rate, expected, equal_nan=True)
    smooth = compute_place_field(env, spikes, times, positions, bandwidth=env.bin_sizes[0])
    assert np.nanargmax(smooth) == visited[2]


# --------------------------------------------------------------------- pixels
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_one_lit_bin_lights_its_shape_where_it_is_and_the_marker_lands_on_it(layout):
    env = LAYOUTS[layout]()
    target = int(env.bin_at([[50.0, 62.0]])[0])
    assert target >= 0
    fields = np.zeros((1, env.n_bins))
    fields[0, target] = 1.0
    scene = build_scene(env, fields, vmin=0, vmax=1, fps=1)
    frame = render_frame(scene, 0, dpi=100)
    picture = frame.image[..., :3].astype(int)
    red, green, blue = np.moveaxis(picture, -1, 0)
    lit = (red > 200) & (green > 200) & (blue < 80)  # viridis: 1 is yellow...
    plot = (red < 100) & (green < 20) & (blue > 60)  # ...0 is dark purple
    rows, cols = np.nonzero(lit & _inside_axes(frame, env))
    centre = frame.world_to_px(env.bin_centers[target : target + 1])[0]
    assert np.hypot(cols.mean() - centre[0], rows.mean() - centre[1]) <= 1.5
    px_per_unit = np.abs(np.diff(frame.world_to_px(np.array([[0.0, 0.0], [1.0, 0.0]])), axis=0))[
        0, 0
    ]
    area = {
        "circle": 5.0**2,
        "hexagonal": np.sqrt(3) / 2 * 10.0**2,
        "w_track": 5.0 * 8.0,  # bin length x track width
    }[layout] * px_per_unit**2
    assert abs(len(rows) / area - 1) < 0.12, (len(rows), area)
    assert plot.sum() > 10 * len(rows)  # the other bins are drawn (dark)
    # Where there is no bin (a corner of the circle, between the track's arms):
    # background, neither lit nor dark.
    empty = frame.world_to_px(np.array([{"circle": [7.0, 7.0]}.get(layout, [25.0, 50.0])]))[0]
    r, c = int(round(empty[1])), int(round(empty[0]))
    if layout != "hexagonal":
        assert not lit[r, c] and not plot[r, c]
    marked = build_scene(
        env,
        fields,
        overlays=[PositionOverlay(np.array([[50.0, 62.0]]), color="red")],
        vmin=0,
        vmax=1,
        fps=1,
    )
    marker = red_centroid(render_frame(marked, 0).image[..., :3])
    expected = frame.world_to_px(np.array([[50.0, 62.0]]))[0]
    assert np.hypot(*(marker - expected)) <= 1.5
    assert lit[int(round(marker[1])), int(round(marker[0]))] or layout != "circle"


def _inside_axes(frame, env) -> np.ndarray:
    """Pixels over the environment's extent (not the colour bar)."""
    mask = np.zeros(frame.image.shape[:2], bool)
    (x0, x1), (y0, y1) = env.dimension_ranges[:2]
    lo = frame.world_to_px(np.array([[x0, y0]]))[0]
    hi = frame.world_to_px(np.array([[x1, y1]]))[0]
    c0, c1 = sorted((int(lo[0]), int(hi[0])))
    r0, r1 = sorted((int(lo[1]), int(hi[1])))
    mask[max(r0, 0) : r1, max(c0, 0) : c1] = True
    return mask


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_field_image_and_the_holoviews_view_take_every_layout(layout):
    env = LAYOUTS[layout]()
    scene = build_scene(env, np.ones((2, env.n_bins)), fps=1)
    image = field_image(scene).isel(time=0).values
    assert np.isfinite(image).any() and (np.isnan(image).any() or layout == "hexagonal")
    x0, x1, y0, y1 = field_image(scene).attrs["extent"]
    assert (x0, x1, y0, y1) == (*env.dimension_ranges[0], *env.dimension_ranges[1])
    dmap = to_holoviews(scene)
    assert dmap[0] is not None


@pytest.mark.parametrize("layout", ["hexagonal", "w_track"])
def test_a_video_on_a_non_grid_layout_is_placed_with_a_warning(layout):
    from neurospatial.animation import VideoOverlay

    env = LAYOUTS[layout]()
    frames = np.zeros((2, 50, 50, 3), dtype=np.uint8)
    frames[:, :5] = 255  # the video's top rows are white
    with pytest.warns(UserWarning, match=f"layout is '{env.layout}', not a grid") as record:
        scene = build_scene(env, np.zeros((2, env.n_bins)), overlays=[VideoOverlay(frames)], fps=2)
    message = next(str(w.message) for w in record if "not a grid" in str(w.message))
    assert "\n\nWHY: " in message and "\n\nHOW:\n  1. " in message, message
    assert "stretched over the environment's bounding box" in message  # not calibrated
    assert "calibrate_video(source, env" in message
    picture = render_frame(scene, 0).image[..., :3]
    # Between bins (no field drawn there): x = 25 lies between the track's arms.
    top = render_frame(scene, 0).world_to_px(np.array([[25.0, env.dimension_ranges[1][1] - 1]]))[0]
    assert picture[int(top[1]), int(top[0])].min() > 200  # the top row at the top


def test_a_calibrated_video_on_a_non_grid_layout_warns_without_saying_it_is_stretched():
    from neurospatial.animation import VideoOverlay, calibrate_video

    env = LAYOUTS["hexagonal"]()
    frames = np.zeros((2, 50, 50, 3), dtype=np.uint8)
    (x0, x1), (y0, y1) = env.dimension_ranges
    with pytest.warns(UserWarning, match="approximate for non-grid"):
        calibration = calibrate_video(
            frames,
            env,
            landmarks_px=[(0, 49), (49, 49), (49, 0)],  # the frame's corners
            landmarks_env=[(x0, y0), (x1, y0), (x1, y1)],
        )
    with pytest.warns(UserWarning, match="layout is 'hexagonal', not a grid") as record:
        build_scene(
            env,
            np.zeros((2, env.n_bins)),
            overlays=[VideoOverlay(frames, calibration=calibration)],
            fps=2,
        )
    message = next(str(w.message) for w in record if "not a grid" in str(w.message))
    assert "stretched" not in message and "placed by its calibration" in message, message
    assert "render_frame(build_scene(" in message, message


def test_a_video_on_a_1d_track_or_in_3d_is_refused():
    from neurospatial.animation import VideoOverlay

    frames = np.zeros((2, 10, 10, 3), dtype=np.uint8)
    for env in (
        Environment.from_samples(np.linspace(0, 100, 50)[:, None], bin_size=5.0),
        Environment.from_samples(np.random.default_rng(0).uniform(0, 10, (200, 3)), 2.0),
    ):
        with pytest.raises(ValueError, match="VideoOverlay requires 2D environment"):
            build_scene(env, np.zeros((2, env.n_bins)), overlays=[VideoOverlay(frames)], fps=2)


def test_a_networkx_graph_with_positions_makes_the_same_track():
    nx = pytest.importorskip("networkx")
    graph = nx.Graph()
    for node, pos in W_NODES.items():
        graph.add_node(node, pos=pos)
    graph.add_edges_from(W_EDGES)
    env = Environment.from_graph(graph, W_EDGES, edge_spacing=10.0, bin_size=5.0, track_width=8.0)
    assert env == w_track()


# ------------------------------------------------------------------------- 3D
def _volume_scene(volume="max"):
    rng = np.random.default_rng(3)
    env = Environment.from_samples(rng.uniform(0, 100, (20_000, 3)), bin_size=10.0)
    target = int(env.bin_at([[35.0, 65.0, 75.0]])[0])
    fields = np.zeros((1, env.n_bins))
    fields[0, target] = 1.0
    marker = PositionOverlay(np.array([[35.0, 65.0, 75.0]]), color="red")
    scene = build_scene(env, fields, overlays=[marker], vmin=0, vmax=1, fps=1, volume=volume)
    return env, scene


@pytest.mark.parametrize(("volume", "lit"), [("max", True), (75.0, True), (25.0, False)])
def test_a_3d_grid_is_drawn_as_its_maximum_or_a_slice(volume, lit):
    env, scene = _volume_scene(volume)
    frame = render_frame(scene, 0)
    red, green, blue = np.moveaxis(frame.image[..., :3].astype(int), -1, 0)
    yellow = (red > 200) & (green > 200) & (blue < 80)
    rows, cols = np.nonzero(yellow & _inside_axes(frame, env))
    if not lit:  # another height: the bin's column shows that slice (all 0)
        assert len(rows) == 0
        return
    centre = frame.world_to_px(np.array([[35.0, 65.0]]))[0]
    assert np.hypot(cols.mean() - centre[0], rows.mean() - centre[1]) <= 1.5
    px = np.abs(np.diff(frame.world_to_px(np.array([[0.0, 0.0], [1.0, 0.0]])), axis=0))[0, 0]
    # One bin's square, less the marker drawn on it (about 15% of it).
    assert 0.8 < len(rows) / (10.0 * px) ** 2 < 1.03
    marker = red_centroid(np.where(yellow[..., None], 0, frame.image[..., :3]))
    assert np.hypot(*(marker - centre)) <= 1.5  # drawn at its (x, y)


def test_a_3d_scene_keeps_its_volume_option_in_zarr_and_the_holoviews_view_draws_it(tmp_path):
    env, scene = _volume_scene(75.0)
    scene.to_zarr(tmp_path / "v.zarr", consolidated=False)
    stored = open_scene(tmp_path / "v.zarr")
    assert stored.attrs["volume"] == "75.0"
    np.testing.assert_array_equal(render_frame(stored, 0).image, render_frame(scene, 0).image)
    overlay = to_holoviews(stored)[0]
    image = overlay.Field.Field
    assert np.nanmax(image.dimension_values("value")) == 1.0
    assert pickle.loads(pickle.dumps(env)) == env


@pytest.mark.parametrize(
    ("volume", "fragment"),
    [("top", "volume='top' is neither"), (500.0, "outside the environment's z range")],
)
def test_bad_volume_options_say_what_why_and_how(volume, fragment):
    with pytest.raises(ValueError, match=fragment) as exc:
        _volume_scene(volume)
    assert "WHY:" in str(exc.value) and "HOW:" in str(exc.value)


# ------------------------------------------------------------ the linearized view
def test_the_linearized_view_lays_the_field_and_the_marker_along_linear_position(tmp_path):
    from neurospatial.animation import HeadDirectionOverlay
    from neurospatial.animation.render.layers import STRIP_CENTRE

    env = w_track()
    target = int(env.bin_at([[50.0, 62.0]])[0])
    fields = np.zeros((1, env.n_bins))
    fields[0, target] = 1.0
    overlays = [
        PositionOverlay(np.array([[50.0, 62.0]]), color="red"),
        HeadDirectionOverlay(np.array([0.0]), color="white"),
    ]
    scene = build_scene(env, fields, overlays=overlays, vmin=0, vmax=1, fps=1, track_view="linear")
    scene.to_zarr(tmp_path / "t.zarr", consolidated=False)
    scene = open_scene(tmp_path / "t.zarr")
    assert scene.attrs["track_view"] == "linear"
    frame = render_frame(scene, 0)
    picture = frame.image[..., :3].astype(int)
    red, green, blue = np.moveaxis(picture, -1, 0)
    yellow = (red > 200) & (green > 200) & (blue < 80)
    end = frame.world_to_px(np.array([[env.track.total_length, STRIP_CENTRE]]))[0]
    yellow[:, int(end[0]) + 2 :] = False  # not the colour bar
    _, cols = np.nonzero(yellow)
    (start, stop) = env.linear_bin_edges[target]
    (c0, _), (c1, _) = frame.world_to_px(np.array([[start, STRIP_CENTRE], [stop, STRIP_CENTRE]]))
    assert c0 - 1.5 <= cols.min() and cols.max() <= c1 + 1.5  # the bin's stretch of line
    linear = env.linearize([[50.0, 62.0]])[0][0]
    expected = frame.world_to_px(np.array([[linear, STRIP_CENTRE]]))[0]
    marker = red_centroid(np.where(yellow[..., None], 0, picture))
    assert np.hypot(*(marker - expected)) <= 1.5
    # The gap between the first two edges (linear 100 to 110) has no bin.
    gap = frame.world_to_px(np.array([[105.0, STRIP_CENTRE]]))[0].round().astype(int)
    assert picture[gap[1], gap[0]].min() > 240  # background, not the field
    # No heading arrow on a line: only the marker's red and the field's colours.
    white = np.all(picture > 245, axis=-1)
    r0, r1 = int(expected[1]) - 15, int(expected[1]) + 15
    assert not white[r0:r1, int(expected[0]) - 15 : int(expected[0]) + 15].any()
    overlay = to_holoviews(scene)[0]
    assert np.nanmax(overlay.Field.Field.dimension_values("value")) == 1.0


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: build_scene(circle(), np.zeros((1, 256)), track_view="linear"), "needs a track"),
        (lambda: build_scene(w_track(), np.zeros((1, 80)), track_view="1d"), "track_view='1d'"),
        (
            lambda: build_scene(
                w_track(),
                np.zeros((2, 80)),
                overlays=[_video()],
                track_view="linear",
            ),
            "VideoOverlay requires 2D environment",
        ),
    ],
    ids=["not_a_track", "unknown_view", "video_on_a_line"],
)
def test_bad_track_views_say_what_why_and_how(make, fragment):
    with pytest.raises(ValueError, match=fragment) as exc:
        make()
    assert "WHY:" in str(exc.value) and "HOW:" in str(exc.value)


def _video():
    from neurospatial.animation import VideoOverlay

    return VideoOverlay(np.zeros((2, 10, 10, 3), dtype=np.uint8))


def test_the_holoviews_view_of_a_1d_grid_has_its_strip():
    env = Environment.from_samples(np.linspace(0, 100, 50)[:, None], bin_size=5.0)
    overlay = to_holoviews(build_scene(env, np.ones((2, env.n_bins)), fps=10))[0]
    assert np.nanmax(overlay.Field.Field.dimension_values("value")) == 1.0


@pytest.mark.parametrize("layout", sorted(STORED))
def test_every_layout_exports_to_html(layout, tmp_path):
    from neurospatial.animation import animate

    env = STORED[layout]()
    scene = build_scene(env, np.random.default_rng(5).random((3, env.n_bins)), fps=3)
    out = animate(scene, backend="html", save_path=tmp_path / "a.html", dpi=40)
    assert out.stat().st_size > 1000 and "data:video/mp4;base64," in out.read_text()
