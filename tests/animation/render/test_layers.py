"""The layer model: renderer-neutral, frozen layer descriptions with every style decided."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import xarray as xr

from neurospatial import Environment
from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    VideoOverlay,
    align_scene,
    build_scene,
    field_image,
    frame_layers,
    open_scene,
    render_frame,
)
from neurospatial.animation.render.layers import (
    KEYPOINT_PALETTE,
    REGION_COLOR,
    STRIP_CENTRE,
    ArrowLayer,
    FieldLayer,
    LabelLayer,
    PointsLayer,
    RegionLayer,
    SegmentsLayer,
    TrailLayer,
    VideoFrameLayer,
    keypoint_colors,
)
from neurospatial.animation.render.raster import Compositor
from tests.animation.helpers import square_env


def _layers(scene, frame):
    return frame_layers(align_scene(scene), frame)


def _of(layers, kind, name=None):
    return [la for la in layers if isinstance(la, kind) and (name is None or la.name == name)]


def _still(n, xy):
    return np.tile(np.asarray(xy, dtype=float), (n, 1))


# ----------------------------------------------------------------- head direction
def _heading_scene(overlays, n=3):
    env = square_env()
    return build_scene(env, np.zeros((n, env.n_bins)), overlays=overlays)


def test_heading_is_anchored_at_the_position_overlay_stored_as_an_attribute():
    scene = _heading_scene(
        [PositionOverlay(_still(3, (20.0, 30.0))), HeadDirectionOverlay(np.zeros(3), length=10.0)]
    )
    assert scene["overlays/head_direction"].attrs["anchor"] == "position"
    (arrow,) = _of(_layers(scene, 1), ArrowLayer)
    np.testing.assert_allclose(arrow.origins, [[20.0, 30.0]])
    np.testing.assert_allclose(arrow.tips, [[30.0, 30.0]])
    assert arrow.head_length == pytest.approx(3.0) and arrow.head_width == pytest.approx(3.3)


def test_kth_heading_goes_to_kth_position_and_extra_headings_to_the_last():
    scene = _heading_scene(
        [
            PositionOverlay(_still(3, (20.0, 20.0))),
            PositionOverlay(_still(3, (70.0, 70.0))),
            HeadDirectionOverlay(np.zeros(3)),
            HeadDirectionOverlay(np.zeros(3)),
            HeadDirectionOverlay(np.zeros(3)),
        ]
    )
    names = ("head_direction", "head_direction_2", "head_direction_3")
    anchors = [scene[f"overlays/{n}"].attrs["anchor"] for n in names]
    assert anchors == ["position", "position_2", "position_2"]


def test_without_position_the_heading_uses_the_keypoint_centroid_of_present_keypoints():
    t = np.array([0.0, 1.0, 2.0])
    pose = BodypartOverlay(
        {"nose": _still(2, (40.0, 40.0)), "tail": _still(3, (20.0, 40.0))},
        times={"nose": t[1:], "tail": t},  # no nose at frame 0
    )
    env = square_env()
    scene = build_scene(
        env,
        np.zeros((3, env.n_bins)),
        overlays=[pose, HeadDirectionOverlay(np.zeros(3), times=t)],
        frame_times=t,
    )
    assert scene["overlays/head_direction"].attrs["anchor"] == "bodypart"
    (first,) = _of(_layers(scene, 0), ArrowLayer)
    (second,) = _of(_layers(scene, 1), ArrowLayer)
    np.testing.assert_allclose(first.origins, [[20.0, 40.0]])  # only the tail
    np.testing.assert_allclose(second.origins, [[30.0, 40.0]])  # between nose and tail


def test_without_any_animal_position_the_heading_is_a_compass_at_the_centre():
    env = Environment.from_samples(np.array([[0.0, 10.0], [60.0, 50.0]]), bin_size=5.0)
    scene = build_scene(env, np.zeros((2, env.n_bins)), overlays=[HeadDirectionOverlay([0.0, 1.0])])
    assert scene["overlays/head_direction"].attrs["anchor"] == "centre"
    (arrow,) = _of(_layers(scene, 0), ArrowLayer)
    centre = [np.mean(r) for r in env.dimension_ranges]
    np.testing.assert_allclose(arrow.origins, [centre])


def test_heading_anchor_survives_the_store_and_old_stores_get_it(tmp_path):
    scene = _heading_scene(
        [PositionOverlay(_still(3, (20.0, 30.0))), HeadDirectionOverlay(np.zeros(3))]
    )
    scene.to_zarr(tmp_path / "new.zarr", consolidated=False)
    assert (
        open_scene(tmp_path / "new.zarr")["overlays/head_direction"].attrs["anchor"] == "position"
    )
    old = scene.copy()  # a scene as schema version 1 stored it: no anchor attribute
    old.attrs["schema_version"] = 1
    del old["overlays/head_direction"].attrs["anchor"]
    old.to_zarr(tmp_path / "old.zarr", consolidated=False)
    reopened = open_scene(tmp_path / "old.zarr")
    assert reopened["overlays/head_direction"].attrs["anchor"] == "position"
    (arrow,) = _of(frame_layers(align_scene(reopened), 0), ArrowLayer)
    np.testing.assert_allclose(arrow.origins, [[20.0, 30.0]])


# -------------------------------------------------------------------------- trails
def test_trail_breaks_at_gaps_and_fades_with_age():
    env = square_env()
    xs = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    position = PositionOverlay(
        np.column_stack([xs, np.full(6, 50.0)]), times=np.arange(6.0), trail_length=4
    )
    frame_times = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0])  # frame 0: before the data
    scene = build_scene(
        env, np.zeros((7, env.n_bins)), overlays=[position], frame_times=frame_times
    )
    trail = _of(_layers(scene, 2), TrailLayer)[0]  # frames 0 (missing) .. 2
    np.testing.assert_allclose(trail.starts, [[10.0, 50.0]])  # the gap breaks the trail
    np.testing.assert_allclose(trail.ends, [[20.0, 50.0]])
    full = _of(_layers(scene, 6), TrailLayer)[0]  # frames 2 .. 6: a full trail
    np.testing.assert_allclose(full.starts[:, 0], [20.0, 30.0, 40.0, 50.0])
    np.testing.assert_array_equal(full.age, [4, 3, 2, 1])
    np.testing.assert_allclose(full.alpha, 0.15 + 0.75 * np.array([1, 2, 3, 4]) / 4)
    assert full.alpha[-1] == pytest.approx(0.9)
    assert full.color == "red" and full.width == pytest.approx(2.0)  # 0.2 x size 10
    (point,) = _of(_layers(scene, 6), PointsLayer)
    np.testing.assert_allclose(point.positions, [[60.0, 50.0]])
    assert (point.colors, point.labels, point.size) == (("red",), ("position",), 10.0)
    empty = _layers(scene, 0)  # no sample yet: empty layers, same structure
    assert [len(la.positions) for la in _of(empty, PointsLayer)] == [0]
    assert [len(la.starts) for la in _of(empty, TrailLayer)] == [0]


# ----------------------------------------------------------------------- keypoints
def test_keypoint_palette_is_stable_distinct_and_overridable():
    names = ["nose", "left_ear", "right_ear", "tail_base"]
    first = keypoint_colors(names)
    assert first == keypoint_colors(list(reversed(names)))
    assert len(set(first.values())) == 4 and set(first.values()) <= set(KEYPOINT_PALETTE)
    env = square_env()
    data = {n: _still(2, (20 + 10 * k, 50.0)) for k, n in enumerate(names)}
    pose = BodypartOverlay(
        data, skeleton=[("nose", "tail_base"), ("left_ear", "right_ear")], colors={"nose": "cyan"}
    )
    scene = build_scene(env, np.zeros((2, env.n_bins)), overlays=[pose])
    points = _of(_layers(scene, 0), PointsLayer)[0]
    assert points.labels == tuple(names)
    assert points.colors == ("cyan", first["left_ear"], first["right_ear"], first["tail_base"])
    assert points.size == 7.0
    segments = _of(_layers(scene, 0), SegmentsLayer)[0]
    assert segments.labels == ("nose-tail_base", "left_ear-right_ear")
    assert (segments.color, segments.width) == ("white", 2.0)


def test_skeleton_edges_with_a_missing_end_are_left_out():
    env = square_env()
    t = np.array([0.0, 1.0])
    pose = BodypartOverlay(
        {"nose": _still(2, (20.0, 50.0)), "tail": _still(2, (80.0, 50.0))},
        times={"nose": t, "tail": t + 0.5},
        skeleton=[("nose", "tail")],
    )
    scene = build_scene(env, np.zeros((2, env.n_bins)), overlays=[pose], frame_times=t)
    first, second = (_layers(scene, i) for i in (0, 1))
    assert len(_of(first, SegmentsLayer)[0].starts) == 0
    assert _of(first, PointsLayer)[0].labels == ("nose",)
    assert len(_of(second, SegmentsLayer)[0].starts) == 1


# ------------------------------------------------------------------------- regions
def test_region_styles_and_selection():
    env = square_env()
    env.regions.add("goal", point=(70.0, 60.0))
    env.regions.add("nest", polygon=[(5.0, 5.0), (25.0, 5.0), (25.0, 20.0)])
    env.regions.add("hidden", point=(10.0, 90.0))
    scene = build_scene(
        env, np.zeros((1, env.n_bins)), show_regions=["goal", "nest"], region_alpha=0.4
    )
    goal, nest = _of(_layers(scene, 0), RegionLayer)
    assert (goal.name, goal.kind, goal.coords) == ("goal", "point", ((70.0, 60.0),))
    assert (goal.color, goal.marker_size, goal.edge_width, goal.label) == (
        REGION_COLOR,
        12.0,
        2.0,
        "goal",
    )
    assert nest.kind == "polygon" and nest.fill_alpha == 0.4 and nest.edge_width == 1.5
    assert nest.label_anchor == pytest.approx((55 / 3, 10.0))
    assert hash(nest) == hash(dataclasses.replace(nest))  # static: equal by value
    one_d = Environment.from_samples(np.linspace(0, 100, 50)[:, None], bin_size=10.0)
    one_d.regions.add("reward", point=(40.0,))
    strip = build_scene(one_d, np.zeros((1, one_d.n_bins)), show_regions=True)
    (reward,) = _of(_layers(strip, 0), RegionLayer)
    assert reward.coords == ((40.0, STRIP_CENTRE),)  # 1D: on the strip


# ------------------------------------------------------------------ order, freezing
def test_layers_come_bottom_first_and_are_frozen():
    env = square_env()
    env.regions.add("goal", point=(70.0, 60.0))
    frames = np.zeros((3, 8, 8, 3), dtype=np.uint8)
    overlays = [
        VideoOverlay(frames, alpha=0.4, z_order="above"),
        PositionOverlay(_still(3, (50.0, 50.0))),
        VideoOverlay(frames, alpha=0.9, z_order="below"),
        HeadDirectionOverlay(np.zeros(3)),
    ]
    scene = build_scene(
        env,
        np.zeros((3, env.n_bins)),
        overlays=overlays,
        frame_times=[0.0, 0.75, 1.5],
        show_regions=True,
    )
    layers = _layers(scene, 1)
    kinds = [(type(la).__name__, la.name) for la in layers]
    assert kinds == [
        ("VideoFrameLayer", "video_2"),
        ("FieldLayer", "field"),
        ("VideoFrameLayer", "video"),
        ("RegionLayer", "goal"),
        ("TrailLayer", "position"),
        ("PointsLayer", "position"),
        ("ArrowLayer", "head_direction"),
        ("LabelLayer", "time"),
    ]
    field = layers[1]
    assert isinstance(field, FieldLayer) and field.transparent_nodata  # video under it
    assert (field.frame, field.time, field.cmap) == (1, 0.75, "viridis")
    assert layers[-1] == LabelLayer("time", "t = 0.75 s")
    below = layers[0]
    assert isinstance(below, VideoFrameLayer) and below.frame_index == 1
    assert below.rgb().shape == (8, 8, 3)
    # The video's pixel -> world map spans the environment (stretched: no calibration).
    (x0, x1), (y0, y1) = env.dimension_ranges
    corners = below.px_to_world([[-0.5, -0.5], [7.5, 7.5]])
    np.testing.assert_allclose(corners, [[x0, y1], [x1, y0]])
    with pytest.raises(dataclasses.FrozenInstanceError):
        field.vmin = 3.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        field.values[0] = 1.0


def test_the_compositor_draws_exactly_the_layer_descriptions():
    from tests.animation.render.golden_scene import golden_scene

    scene = golden_scene()
    aligned = align_scene(scene)
    with Compositor(scene) as compositor:
        for i in (0, 12, 23):
            canvas = compositor.draw(frame_layers(aligned, i))
            np.testing.assert_array_equal(canvas[..., :3], render_frame(scene, i).image)


def test_frame_layers_need_an_aligned_window():
    env = square_env()
    scene = build_scene(env, np.zeros((2, env.n_bins)))
    with pytest.raises(ValueError, match="needs an aligned scene or window") as exc:
        frame_layers(scene, 0)
    assert "align_scene(scene, frames=...)" in str(exc.value)
    window = align_scene(scene, frames=[1])
    with pytest.raises(IndexError, match="Frame 0 is not in this window"):
        frame_layers(window, 0)


# --------------------------------------------------------------------- field image
def test_field_image_is_lazy_with_y_up_and_nan_outside():
    rng = np.random.default_rng(5)
    samples = rng.uniform([0, 0], [40, 30], (4000, 2))
    samples = samples[~((samples[:, 0] > 30) & (samples[:, 1] > 20))]  # a corner unvisited
    env = Environment.from_samples(samples, bin_size=5.0)
    fields = rng.random((7, env.n_bins))
    scene = build_scene(env, fields, vmin=0.0, vmax=1.0)
    image = field_image(scene)
    assert image.dims == ("time", "y", "x") and image.chunks is not None
    assert np.all(np.diff(image["y"].values) > 0) and np.all(np.diff(image["x"].values) > 0)
    np.testing.assert_allclose(
        image["x"].values, (env.grid_edges[0][:-1] + env.grid_edges[0][1:]) / 2
    )
    values = image.values
    for k in rng.integers(0, env.n_bins, 20):
        x, y = env.bin_centers[k]
        here = image.sel(x=x, y=y, method="nearest")
        np.testing.assert_array_equal(here.values, fields[:, k])
    assert np.isnan(image.sel(x=37.0, y=28.0, method="nearest").values).all()  # no bin there
    assert np.isfinite(values).sum() == 7 * env.n_bins
    assert image.attrs["extent"] == (*env.dimension_ranges[0], *env.dimension_ranges[1])
    frame = render_frame(scene, 3)  # the compositor draws the same value at the same place
    col, row = frame.world_to_px([env.bin_centers[10]])[0].round().astype(int)
    from matplotlib import colormaps

    expected = np.round(np.array(colormaps["viridis"](int(fields[3, 10] * 256) / 255)[:3]) * 255)
    np.testing.assert_allclose(frame.image[row, col], expected, atol=1)


def test_field_image_of_1d_and_3d_environments_and_of_a_stored_scene(tmp_path):
    line = Environment.from_samples(np.linspace(0, 100, 200)[:, None], bin_size=10.0)
    image = field_image(build_scene(line, np.ones((2, line.n_bins))))
    assert image.dims == ("time", "y", "x") and image["y"].values.tolist() == [STRIP_CENTRE]
    cube = Environment.from_samples(
        np.random.default_rng(0).uniform(0, 10, (3000, 3)), bin_size=5.0
    )
    volume = field_image(build_scene(cube, np.arange(cube.n_bins, dtype=float)[None]))
    assert volume.dims == ("time", "z", "y", "x") and volume.shape == (1, *cube.grid_shape[::-1])
    z, y, x = (volume[d].values for d in ("z", "y", "x"))
    k = 5
    cx, cy, cz = cube.bin_centers[k]
    assert (
        volume.values[0, np.argmin(abs(z - cz)), np.argmin(abs(y - cy)), np.argmin(abs(x - cx))]
        == k
    )
    env = square_env()
    scene = build_scene(env, np.random.default_rng(1).random((30, env.n_bins)))
    scene.to_zarr(tmp_path / "s.zarr", consolidated=False)
    stored = field_image(open_scene(tmp_path / "s.zarr"))
    xr.testing.assert_identical(stored.compute(), field_image(scene).compute())


def test_layer_descriptions_are_json_friendly_styles():
    """Styles are plain strings and numbers a browser module or napari can take."""
    env = square_env()
    scene = build_scene(
        env,
        np.zeros((2, env.n_bins)),
        overlays=[PositionOverlay(_still(2, (1.0, 2.0)), color=(0, 0.5, 1))],
    )
    point = _of(_layers(scene, 0), PointsLayer)[0]
    assert json.loads(json.dumps({"color": point.colors[0], "size": point.size})) == {
        "color": "#0080ffff",
        "size": 10.0,
    }


def test_a_heading_whose_anchor_left_the_scene_is_drawn_at_the_centre():
    scene = _heading_scene(
        [PositionOverlay(_still(3, (20.0, 30.0))), HeadDirectionOverlay(np.zeros(3))]
    )
    scene.attrs["overlays"] = json.dumps(["head_direction"])  # the position is not drawn
    (arrow,) = _of(_layers(scene, 0), ArrowLayer)
    env = square_env()
    np.testing.assert_allclose(arrow.origins, [[np.mean(r) for r in env.dimension_ranges]])


def test_schema_1_video_calibrations_are_read_with_pixel_centres_at_integers(tmp_path):
    from neurospatial.animation import Affine2D, calibrate_video

    env = square_env()
    frames = np.zeros((2, 48, 64, 3), dtype=np.uint8)
    corners = [[-0.5, 47.5], [63.5, 47.5], [63.5, -0.5]]  # the image corners over the env
    (x0, x1), (y0, y1) = env.dimension_ranges
    calibration = calibrate_video(
        frames, env, landmarks_px=corners, landmarks_env=[[x0, y0], [x1, y0], [x1, y1]]
    )
    scene = build_scene(
        env, np.zeros((2, env.n_bins)), overlays=[VideoOverlay(frames, calibration=calibration)]
    )
    today = np.asarray(scene["overlays/video"]["px_to_world"].values)
    old = scene.copy()  # as schema 1 stored it: the same map for pixel centres at +0.5
    old.attrs["schema_version"] = 1
    shifted = (Affine2D(today) @ Affine2D.translation(-0.5, -0.5)).matrix
    old["overlays/video"]["px_to_world"] = xr.DataArray(shifted, dims=("affine_row", "affine_col"))
    old.to_zarr(tmp_path / "v1.zarr", consolidated=False)
    reopened = open_scene(tmp_path / "v1.zarr")
    np.testing.assert_allclose(reopened["overlays/video"]["px_to_world"].values, today)
