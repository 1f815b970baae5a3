"""Overlays from movement-shaped pose datasets (built here by hand; movement itself is
never imported by the library)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    build_scene,
    calibrate_video,
    render_frame,
)
from neurospatial.animation.pose_io import individual_color
from tests.animation.helpers import assert_what_why_how, square_env

N = 10
KEYPOINTS = ["nose", "left_ear", "right_ear", "tail"]


def _poses(*, plural=True, order=("time", "space", "keypoints", "individuals"), frames=False):
    """Two mice facing +x (y up): nose ahead, ears either side, tail behind."""
    t = np.arange(N)
    base = np.column_stack([10 + 5 * t, np.full(N, 50.0)])
    offsets = {"nose": (6, 0), "left_ear": (2, 3), "right_ear": (2, -3), "tail": (-8, 0)}
    values = np.zeros((N, 2, 4, 2))
    for j, k in enumerate(KEYPOINTS):
        values[:, :, j, 0] = base + offsets[k]
        values[:, :, j, 1] = base + offsets[k] + [0, 20]  # the second mouse, 20 above
    confidence = np.full((N, 4, 2), 0.9)
    confidence[3, 0, 0] = 0.1  # the first mouse's nose at frame 3: low
    confidence[4, 0, 0] = np.nan  # ...at frame 4: unknown (kept)
    kp, ind = ("keypoints", "individuals") if plural else ("keypoint", "individual")
    ds = xr.Dataset(
        {
            "position": (("time", "space", kp, ind), values),
            "confidence": (("time", kp, ind), confidence),
        },
        coords={
            "time": t if frames else t / 10.0,
            "space": ["x", "y"],
            kp: KEYPOINTS,
            ind: ["mouse_a", "mouse_b"],
        },
        attrs={"fps": 10.0, "time_unit": "frames" if frames else "seconds"},
    )
    renamed = [{"keypoints": kp, "individuals": ind}.get(d, d) for d in order]
    return ds.transpose(*renamed)


@pytest.mark.parametrize(
    "poses",
    [
        _poses(),
        _poses(plural=False),
        _poses(order=("individuals", "keypoints", "space", "time")),
        _poses(frames=True),
    ],
    ids=["plural", "singular", "any_order", "frames"],
)
def test_layout_variants_give_the_same_positions_and_times(poses):
    overlay = PositionOverlay.from_movement(poses, keypoint="nose", individual="mouse_a")
    np.testing.assert_allclose(overlay.data[:, 0], 16 + 5 * np.arange(N))
    np.testing.assert_allclose(overlay.times, np.arange(N) / 10.0)
    centroid = PositionOverlay.from_movement(poses, individual="mouse_b")
    np.testing.assert_allclose(centroid.data[0], [10 + 0.5, 70.0])  # mean of the four


def test_a_confidence_threshold_makes_gaps_and_nan_confidence_keeps_the_point():
    overlay = PositionOverlay.from_movement(
        _poses(), keypoint="nose", individual="mouse_a", confidence_threshold=0.5
    )
    assert overlay.missing == "gap"
    assert np.isnan(overlay.data[3]).all() and np.isfinite(overlay.data[4]).all()
    scene = build_scene(
        square_env(),
        np.zeros((N, square_env().n_bins)),
        overlays=[overlay],
        frame_times=np.arange(N) / 10.0,
    )
    render_frame(scene, 3)  # drawn without a marker (tests/animation/test_gaps.py)


def test_one_pose_overlay_per_individual_with_stable_colours():
    overlays = BodypartOverlay.from_movement(
        _poses(), skeleton=[("nose", "tail"), ("left_ear", "right_ear")]
    )
    assert len(overlays) == 2
    assert [o.skeleton_color for o in overlays] == [
        individual_color("mouse_a"),
        individual_color("mouse_b"),
    ]
    assert individual_color("mouse_a") == individual_color("mouse_a")
    assert set(overlays[0].data) == set(KEYPOINTS)
    np.testing.assert_allclose(overlays[1].data["tail"][0], [2.0, 70.0])
    only = BodypartOverlay.from_movement(_poses(), keypoints=["nose"], individuals=["mouse_b"])
    assert len(only) == 1 and list(only[0].data) == ["nose"]


def test_heading_faces_forward_from_the_ears():
    heading = HeadDirectionOverlay.from_movement(
        _poses(), left_keypoint="left_ear", right_keypoint="right_ear", individual="mouse_a"
    )
    # left ear at +y, right ear at -y of a mouse facing +x: top-down, y up.
    np.testing.assert_allclose(heading.data[0], [1.0, 0.0], atol=1e-12)
    below = HeadDirectionOverlay.from_movement(
        _poses(),
        left_keypoint="left_ear",
        right_keypoint="right_ear",
        individual="mouse_a",
        camera_view="bottom_up",
    )
    np.testing.assert_allclose(below.data[0], [-1.0, 0.0], atol=1e-12)
    nose = HeadDirectionOverlay.from_movement(
        _poses(),
        left_keypoint="left_ear",
        right_keypoint="right_ear",
        origin_keypoint="nose",
        individual="mouse_a",
    )
    np.testing.assert_allclose(nose.data[0], [1.0, 0.0], atol=1e-12)


def test_tracker_pixels_become_world_units_with_a_calibration():
    frames = np.zeros((1, 100, 200, 3), dtype=np.uint8)
    env = square_env()
    with pytest.warns(UserWarning, match="beyond calibrated video coverage"):
        calibration = calibrate_video(frames, env, cm_per_px=0.5)
    poses = _poses()
    overlay = PositionOverlay.from_movement(
        poses, keypoint="tail", individual="mouse_a", calibration=calibration
    )
    px = poses["position"].sel(keypoints="tail", individuals="mouse_a").transpose("time", "space")
    expected = calibration.transform_px_to_cm(np.asarray(px.values))
    np.testing.assert_allclose(overlay.data, expected)
    back = calibration.transform_cm_to_px(overlay.data)
    np.testing.assert_allclose(back, px.values)  # the round trip lands on the same pixel


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: PositionOverlay.from_movement(_poses()), "holds 2 individuals"),
        (
            lambda: PositionOverlay.from_movement(_poses(), individual="mouse_a", keypoint="paw"),
            "keypoints ['paw'] not in the pose data",
        ),
        (
            lambda: PositionOverlay.from_movement(
                _poses(frames=True).drop_attrs(), individual="mouse_a"
            ),
            "time is in frames",
        ),
        (
            lambda: PositionOverlay.from_movement(
                _poses(), individual="mouse_a", position_variable="pose"
            ),
            "no 'pose' variable",
        ),
        (
            lambda: HeadDirectionOverlay.from_movement(
                _poses(),
                left_keypoint="left_ear",
                right_keypoint="right_ear",
                individual="mouse_a",
                camera_view="side",
            ),
            "camera_view='side'",
        ),
    ],
    ids=["several_individuals", "unknown_keypoint", "frames_without_fps", "variable", "view"],
)
def test_bad_pose_input_says_what_why_and_how(call, fragment):
    with pytest.raises(ValueError) as exc:
        call()
    assert_what_why_how(str(exc.value), fragment)


def test_a_real_movement_dataset_is_read():
    """With movement installed (optional; not a dependency): its own dataset."""
    load_poses = pytest.importorskip(
        "movement.io.load_poses", reason="movement is not installed (an optional check)"
    )
    values = _poses()["position"].transpose("time", "space", "keypoints", "individuals").values
    ds = load_poses.from_numpy(
        position_array=values,
        confidence_array=np.full(values[:, 0].shape, 0.9),
        individual_names=["mouse_a", "mouse_b"],
        keypoint_names=KEYPOINTS,
        fps=10.0,
    )
    overlay = PositionOverlay.from_movement(ds, keypoint="nose", individual="mouse_a")
    np.testing.assert_allclose(overlay.data[:, 0], 16 + 5 * np.arange(N))
    np.testing.assert_allclose(overlay.times, np.arange(N) / 10.0)
