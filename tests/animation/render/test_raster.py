import numpy as np
import pytest

from neurospatial import Environment
from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    build_scene,
    render_frame,
)
from neurospatial.animation.render.chrome import figure_size
from neurospatial.animation.render.layers import KEYPOINT_PALETTE, keypoint_colors
from neurospatial.animation.render.raster import Compositor
from tests.animation.helpers import red_centroid, square_env


def _scene_with_points(points, **kwargs):
    env = square_env()
    n = len(points)
    fields = np.zeros((n, env.n_bins))
    overlay = PositionOverlay(np.asarray(points, dtype=float), color="red", size=12.0)
    return build_scene(env, fields, overlays=[overlay], cmap="gray", vmin=0, vmax=1, **kwargs)


@pytest.mark.parametrize("dpi", [100, 72])
def test_marker_lands_on_world_to_px(dpi):
    points = [(20.0, 30.0), (75.5, 80.25), (50.0, 5.0), (90.0, 50.0)]
    scene = _scene_with_points(points)
    for i, point in enumerate(points):
        frame = render_frame(scene, i, dpi=dpi)
        expected = frame.world_to_px([point])[0]
        np.testing.assert_allclose(red_centroid(frame.image), expected, atol=1.0)


def test_y_axis_points_up_and_x_right():
    scene = _scene_with_points([(50.0, 20.0), (50.0, 80.0), (80.0, 80.0)])
    low, high, right = (red_centroid(render_frame(scene, i).image) for i in range(3))
    assert high[1] < low[1] - 100  # larger y => smaller row (higher on screen)
    assert right[0] > high[0] + 100


def test_frame_size_even_and_800x600_at_dpi_100():
    assert figure_size(100) == (800, 600)
    w, h = figure_size(73)
    assert w % 2 == 0 and h % 2 == 0
    scene = _scene_with_points([(50.0, 50.0)])
    assert render_frame(scene, 0).image.shape == (600, 800, 3)
    assert render_frame(scene, 0, dpi=73).image.shape == (h, w, 3)


def test_frame_metadata_and_index_errors():
    scene = _scene_with_points([(50.0, 50.0), (60.0, 60.0)], frame_times=[1.5, 2.5])
    frame = render_frame(scene, -1)
    assert frame.index == 1 and frame.time == 2.5
    assert frame.image.dtype == np.uint8
    with pytest.raises(IndexError, match="out of range for 2 frames"):
        render_frame(scene, 2)


def test_field_colours_nan_and_background():
    env = square_env()
    fields = np.linspace(0, 1, env.n_bins)[None, :].repeat(2, axis=0)
    fields[0, 0] = np.nan  # bin 0 is the lower-left corner
    scene = build_scene(env, fields, cmap="viridis")
    compositor = Compositor(scene)
    img = compositor.frame(0).image
    corner = compositor.world_to_px([env.bin_centers[0]])[0].round().astype(int)
    assert tuple(img[corner[1], corner[0]]) == (179, 179, 179)  # the no-data grey
    top_right = compositor.world_to_px([env.bin_centers[-1]])[0].round().astype(int)
    assert tuple(img[top_right[1], top_right[0]]) == (253, 231, 37)  # viridis max
    outside = compositor.world_to_px([[-4.0, 50.0]])[0].round().astype(int)
    assert tuple(img[outside[1], outside[0]]) == (255, 255, 255)  # background


def test_inactive_bins_are_background_and_1d_strip():
    rng = np.random.default_rng(0)
    env = Environment.from_samples(rng.uniform(0, 100, (500, 1)), bin_size=10.0)
    scene = build_scene(env, np.tile(np.linspace(0, 1, env.n_bins), (3, 1)))
    frame = render_frame(scene, 0)
    left = frame.world_to_px([env.bin_centers[0, 0]])[0].round().astype(int)
    right = frame.world_to_px([env.bin_centers[-1, 0]])[0].round().astype(int)
    assert left[1] == right[1]  # one strip
    assert frame.image[left[1], left[0]].tolist() != frame.image[right[1], right[0]].tolist()


def test_a_3d_environment_is_drawn_flat_as_its_maximum_along_z():
    rng = np.random.default_rng(0)
    env = Environment.from_samples(rng.uniform(0, 10, (500, 3)), bin_size=5.0)
    values = np.zeros((2, env.n_bins))
    values[:, 0] = 1.0  # one bin: its (x, y) column shows it (tests/test_layouts.py)
    frame = render_frame(build_scene(env, values, vmin=0, vmax=1), 0)
    assert frame.image.shape == (600, 800, 3)


def test_skeleton_edge_with_nan_endpoint_is_not_drawn():
    env = square_env()
    t = np.array([0.0, 1.0])
    nose = np.array([[20.0, 50.0], [20.0, 50.0]])
    tail = np.array([[80.0, 50.0], [80.0, 50.0]])
    pose = BodypartOverlay(
        {"nose": nose, "tail": tail},
        times={"nose": t, "tail": t + 0.5},
        skeleton=[("nose", "tail")],
        skeleton_color="red",
    )
    scene = build_scene(
        env,
        np.zeros((2, env.n_bins)),
        overlays=[pose],
        frame_times=[0.0, 1.0],
        cmap="gray",
        vmin=0,
        vmax=1,
    )
    middle = lambda frame: frame.image[  # noqa: E731
        int(round(frame.world_to_px([[50.0, 50.0]])[0, 1])),
        int(round(frame.world_to_px([[50.0, 50.0]])[0, 0])),
    ]
    assert tuple(render_frame(scene, 0).image.shape) == (600, 800, 3)
    # Frame 0: the tail has no sample yet (its clock starts at 0.5 s): no edge.
    assert middle(render_frame(scene, 0))[0] < 50
    assert middle(render_frame(scene, 1)).tolist() == [255, 0, 0]


def test_trail_fades_and_breaks_at_gaps():
    env = square_env()
    points = np.array([[10.0, 50.0], [30.0, 50.0], [50.0, 50.0], [70.0, 50.0]])
    overlay = PositionOverlay(
        points, times=[0.0, 1.0, 2.0, 3.0], trail_length=5, color="red", size=6.0
    )
    # Frame 0 (t = -1 s) is before the overlay starts: no sample, so no segment from it.
    scene = build_scene(
        env,
        np.zeros((5, env.n_bins)),
        overlays=[overlay],
        frame_times=[-1.0, 0.0, 1.0, 2.0, 3.0],
        cmap="gray",
        vmin=0,
        vmax=1,
    )
    frame = render_frame(scene, 4)
    px = frame.world_to_px([[20.0, 50.0], [60.0, 50.0], [5.0, 50.0]]).round().astype(int)
    old, new, before = (frame.image[r, c] for c, r in px)
    assert old[0] > 40 and old[1] < 10  # oldest segment: faint red
    assert new[0] > old[0] + 60  # newest segment: strong red
    assert before.tolist() == [0, 0, 0]  # nothing drawn towards the missing frame


def test_head_direction_arrow_points_along_heading():
    env = square_env()
    pos = PositionOverlay(np.array([[50.0, 50.0]] * 2), color="black", size=4.0)
    heading = HeadDirectionOverlay(np.array([np.pi / 2, 0.0]), color="red", length=30.0)
    scene = build_scene(
        env, np.zeros((2, env.n_bins)), overlays=[pos, heading], cmap="gray", vmin=0, vmax=1
    )
    for i, tip in enumerate([(50.0, 80.0), (80.0, 50.0)]):
        frame = render_frame(scene, i)
        img = frame.image.astype(int)
        rows, cols = np.nonzero((img[..., 0] > 40) & (img[..., 1] < 20))  # any red coverage
        anchor_px, tip_px = frame.world_to_px([[50.0, 50.0], tip])
        if i == 0:  # pointing up: tip is the top-most red pixel, shaft starts at the animal
            assert abs(rows.min() - tip_px[1]) <= 1.5 and abs(rows.max() - anchor_px[1]) <= 4
            assert abs(cols.mean() - tip_px[0]) < 1.0
        else:  # pointing right
            assert abs(cols.max() - tip_px[0]) <= 1.5 and abs(cols.min() - anchor_px[0]) <= 4
            assert abs(rows.mean() - tip_px[1]) < 1.0


def test_keypoint_colors_are_stable_and_distinct():
    names = ["nose", "left_ear", "right_ear", "tail_base"]
    first = keypoint_colors(names)
    assert first == keypoint_colors(list(reversed(names)))
    assert len(set(first.values())) == 4
    assert set(first.values()) <= set(KEYPOINT_PALETTE)
