import pickle

import numpy as np
import pytest
import xarray as xr

from neurospatial.animation import BodypartOverlay, HeadDirectionOverlay, PositionOverlay


def test_position_overlay_defaults_and_dataset():
    rng = np.random.default_rng(0)
    data = rng.uniform(0, 10, (50, 2))
    times = np.arange(50) / 10.0
    overlay = PositionOverlay(data, times=times)
    assert (overlay.color, overlay.size, overlay.trail_length) == ("red", 10.0, None)
    ds = overlay.to_dataset()
    expected = xr.Dataset(
        {"position": (("time", "space"), data)},
        coords={"time": times, "space": np.array(["x", "y"], dtype=object)},
        attrs={"kind": "position", "color": "red", "size": 10.0},
    )
    xr.testing.assert_identical(ds, expected)
    assert (
        PositionOverlay(data, times=times, trail_length=5).to_dataset().attrs["trail_length"] == 5
    )


def test_position_overlay_without_times_uses_frame_times():
    data = np.zeros((4, 2))
    ds = PositionOverlay(data).to_dataset(frame_times=[0.0, 0.5, 1.0, 1.5])
    np.testing.assert_array_equal(ds["time"].values, [0.0, 0.5, 1.0, 1.5])
    with pytest.raises(ValueError, match="no times and no frame_times"):
        PositionOverlay(data).to_dataset()


def test_position_overlay_1d_and_rgb_colour():
    overlay = PositionOverlay(np.arange(5.0), color=(0.0, 0.5, 1.0))
    ds = overlay.to_dataset(frame_times=np.arange(5.0))
    assert ds["position"].shape == (5, 1)
    assert ds.attrs["color"] == "#0080ffff"


def test_bodypart_overlay_dataset_vocabulary():
    rng = np.random.default_rng(1)
    data = {"nose": rng.uniform(0, 10, (20, 2)), "tail": rng.uniform(0, 10, (20, 2))}
    times = np.linspace(0, 1, 20)
    overlay = BodypartOverlay(
        data, times=times, skeleton=[("nose", "tail")], colors={"nose": "cyan"}
    )
    assert (overlay.skeleton_color, overlay.skeleton_width) == ("white", 2.0)
    ds = overlay.to_dataset()
    assert ds["position"].dims == ("time", "space", "keypoint")
    assert ds["keypoint"].values.tolist() == ["nose", "tail"]
    np.testing.assert_array_equal(ds["position"].sel(keypoint="tail").values, data["tail"])
    assert ds["skeleton"].dims == ("edge", "end")
    assert ds["skeleton"].values.tolist() == [["nose", "tail"]]
    assert ds.attrs["colors"] == '{"nose": "cyan"}'


def test_bodypart_per_keypoint_times_interpolate_each_on_its_own_clock():
    t_nose = np.linspace(0.0, 10.0, 11)
    t_tail = np.linspace(0.05, 9.05, 7)
    nose = np.column_stack([t_nose, 2 * t_nose])  # linear tracks: exact under interp
    tail = np.column_stack([-t_tail, t_tail**2])
    overlay = BodypartOverlay({"nose": nose, "tail": tail}, times={"nose": t_nose, "tail": t_tail})
    ds = overlay.to_dataset()
    frames = np.array([0.0, 0.3, 4.0, 9.05, 9.5])
    aligned = ds.interp(time=frames, assume_sorted=True)
    expect_nose = np.column_stack([frames, 2 * frames])
    np.testing.assert_allclose(aligned["position"].sel(keypoint="nose").values, expect_nose)
    expect_tail = np.column_stack(
        [np.interp(frames, t_tail, tail[:, d], left=np.nan, right=np.nan) for d in range(2)]
    )
    np.testing.assert_allclose(
        aligned["position"].sel(keypoint="tail").values, expect_tail, equal_nan=True
    )
    assert np.isnan(aligned["position"].sel(keypoint="tail").values[0]).all()


def test_head_direction_angles_become_unit_vectors():
    angles = np.array([0.0, np.pi / 2, np.pi])
    ds = HeadDirectionOverlay(angles, times=[0.0, 1.0, 2.0]).to_dataset()
    np.testing.assert_allclose(ds["heading"].values, [[1, 0], [0, 1], [-1, 0]], atol=1e-12)
    vectors = HeadDirectionOverlay(np.array([[3.0, 4.0]]), times=[0.0]).to_dataset()
    np.testing.assert_allclose(vectors["heading"].values, [[0.6, 0.8]])
    assert ds.attrs == {"kind": "head_direction", "color": "yellow", "length": 20.0}


def test_zero_vector_heading_is_rejected():
    with pytest.raises(ValueError, match="zero-length"):
        HeadDirectionOverlay(np.array([[1.0, 0.0], [0.0, 0.0]]))


@pytest.mark.parametrize(
    "overlay",
    [
        PositionOverlay(np.ones((3, 2)), times=[0, 1, 2], trail_length=2),
        BodypartOverlay({"a": np.ones((3, 2))}, skeleton=[("a", "a")]),
        HeadDirectionOverlay(np.zeros(3), color="white"),
    ],
)
def test_overlays_pickle(overlay):
    clone = pickle.loads(pickle.dumps(overlay))
    xr.testing.assert_identical(
        clone.to_dataset(frame_times=[0.0, 1.0, 2.0]),
        overlay.to_dataset(frame_times=[0.0, 1.0, 2.0]),
    )
