import dask.array as da
import numpy as np
import pytest
import xarray as xr

from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    align_scene,
    build_scene,
    subsample_frames,
)


def test_positions_are_linearly_interpolated_nan_outside(env2d):
    t = np.array([1.0, 2.0, 3.0])
    pos = np.array([[10.0, 10.0], [20.0, 30.0], [30.0, 50.0]])
    frame_times = np.array([0.5, 1.0, 1.5, 2.75, 3.0, 3.5])
    scene = build_scene(
        env2d,
        np.zeros((6, env2d.n_bins)),
        frame_times=frame_times,
        overlays=[PositionOverlay(pos, times=t)],
    )
    aligned = align_scene(scene)
    expected = np.column_stack(
        [np.interp(frame_times, t, pos[:, d], left=np.nan, right=np.nan) for d in range(2)]
    )
    np.testing.assert_allclose(
        aligned["overlays/position"]["position"].values, expected, equal_nan=True
    )
    np.testing.assert_array_equal(aligned["overlays/position"]["time"].values, frame_times)
    assert np.isnan(expected[0]).all() and np.isnan(expected[-1]).all()


def test_headings_are_interpolated_on_the_circle(env2d):
    angles = np.array([np.deg2rad(350.0), np.deg2rad(10.0)])
    scene = build_scene(
        env2d,
        np.zeros((3, env2d.n_bins)),
        frame_times=[0.0, 0.5, 1.0],
        overlays=[HeadDirectionOverlay(angles, times=[0.0, 1.0])],
    )
    heading = align_scene(scene)["overlays/head_direction"]["heading"].values
    np.testing.assert_allclose(np.linalg.norm(heading, axis=1), 1.0)
    np.testing.assert_allclose(np.rad2deg(np.arctan2(heading[1, 1], heading[1, 0])), 0.0, atol=1e-9)


def test_new_frame_times_and_lazy_fields_are_kept(env2d):
    fields = da.from_array(np.ones((4, env2d.n_bins)), chunks=(2, -1))
    pos = np.full((10, 2), 50.0)
    scene = build_scene(env2d, fields, overlays=[PositionOverlay(pos, times=np.arange(10.0))])
    aligned = align_scene(scene, frame_times=[1.0, 2.0, 3.0, 4.0])
    assert isinstance(aligned["fields"]["field"].data, da.Array)
    np.testing.assert_array_equal(aligned["overlays/position"]["time"].values, [1, 2, 3, 4])
    with pytest.raises(ValueError, match="frame_times has 2 entries but the scene has 4"):
        align_scene(scene, frame_times=[0.0, 1.0])


def test_one_to_one_overlays_are_untouched(env2d):
    pos = np.random.default_rng(0).uniform(0, 100, (5, 2))
    scene = build_scene(
        env2d,
        np.zeros((5, env2d.n_bins)),
        overlays=[BodypartOverlay({"a": pos}, skeleton=[("a", "a")])],
    )
    aligned = align_scene(scene)
    xr.testing.assert_identical(
        aligned["overlays/bodypart"].to_dataset(), scene["overlays/bodypart"].to_dataset()
    )


@pytest.mark.parametrize("kind", ["numpy", "list", "dask", "dataarray"])
def test_subsample_frames_keeps_type(kind):
    base = np.arange(30.0).reshape(30, 1) * np.ones((1, 4))
    data = {
        "numpy": base,
        "list": list(base),
        "dask": da.from_array(base, chunks=(7, -1)),
        "dataarray": xr.DataArray(base, dims=("time", "bin"), coords={"time": np.arange(30) / 30}),
    }[kind]
    out = subsample_frames(data, source_fps=30, target_fps=10)
    assert type(out) is type(data)
    values = np.asarray(out if kind != "dataarray" else out.values)
    np.testing.assert_array_equal(values[:, 0], np.arange(0, 30, 3))
    if kind == "dataarray":
        np.testing.assert_allclose(out["time"].values, np.arange(0, 30, 3) / 30)


def test_subsample_frames_non_integer_ratio():
    out = subsample_frames(np.arange(10), source_fps=25, target_fps=10)
    np.testing.assert_array_equal(out, [0, 2, 5, 8])


def test_interp_time_equals_dataset_interp():
    from neurospatial.animation.interpolation import interp_time

    rng = np.random.default_rng(7)
    t = np.cumsum(rng.uniform(0.01, 0.03, 500))
    ds = xr.Dataset(
        {
            "position": (("time", "space", "keypoint"), rng.normal(size=(500, 2, 3))),
            "skeleton": (("edge", "end"), np.array([["a", "b"]], dtype=object)),
        },
        coords={
            "time": t,
            "space": np.array(["x", "y"], dtype=object),
            "keypoint": np.array(["a", "b", "c"], dtype=object),
        },
        attrs={"kind": "bodypart"},
    )
    frames = np.linspace(t[0] - 0.5, t[-1] + 0.5, 333)
    expected = ds.interp(time=frames, assume_sorted=True)
    actual = interp_time(ds, frames)
    xr.testing.assert_allclose(actual, expected)
    lazy = interp_time(ds.chunk({"time": 100}), frames)
    assert isinstance(lazy["position"].data, da.Array)
    xr.testing.assert_allclose(lazy.compute(), expected)
