import json
import warnings

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    build_scene,
    open_scene,
)
from neurospatial.animation.scene import scene_environment, scene_style
from neurospatial.animation.store import scene_overlays


def _fields(env, n_frames=6, seed=0):
    return np.random.default_rng(seed).uniform(0, 5, (n_frames, env.n_bins))


def test_scene_layout_and_default_frame_times(env2d):
    fields = _fields(env2d)
    scene = build_scene(env2d, fields, fps=2)
    assert isinstance(scene, xr.DataTree)
    assert set(scene.children) == {"fields", "environment"}
    field = scene["fields"]["field"]
    assert field.dims == ("time", "bin")
    np.testing.assert_array_equal(field["time"].values, np.arange(6) / 2.0)
    np.testing.assert_array_equal(field.values, fields)
    assert scene_environment(scene) == env2d


@pytest.mark.parametrize("kind", ["numpy", "list", "dask", "dataarray"])
def test_field_input_kinds(env2d, kind):
    fields = _fields(env2d)
    data = {
        "numpy": fields,
        "list": list(fields),
        "dask": da.from_array(fields, chunks=(2, -1)),
        "dataarray": xr.DataArray(
            fields, dims=("time", "bin"), coords={"time": np.arange(6) * 0.25}
        ),
    }[kind]
    scene = build_scene(env2d, data)
    field = scene["fields"]["field"]
    assert isinstance(field.data, da.Array) == (kind == "dask")
    np.testing.assert_array_equal(field.values, fields)
    if kind == "dataarray":
        np.testing.assert_array_equal(field["time"].values, np.arange(6) * 0.25)


def test_style_is_stored_in_attrs(env2d):
    env2d.regions.add("goal", point=(10, 10))
    scene = build_scene(
        env2d,
        _fields(env2d),
        cmap="magma",
        vmin=-1,
        vmax=9,
        title="T",
        show_regions=["goal"],
        region_alpha=0.5,
        fps=12,
    )
    style = scene_style(scene)
    assert style["cmap"] == "magma" and style["title"] == "T"
    assert (style["vmin"], style["vmax"], style["fps"]) == (-1.0, 9.0, 12.0)
    assert style["show_regions"] == ["goal"] and style["region_alpha"] == 0.5


def test_global_color_limits_ignore_nan_and_are_lazy_for_dask(env2d):
    fields = _fields(env2d, 8)
    fields[3, 5] = 100.0
    fields[1, 2] = -4.0
    fields[2, :] = np.nan
    fields[4, 7] = np.inf
    scene = build_scene(env2d, da.from_array(fields, chunks=(3, -1)))
    assert (scene.attrs["vmin"], scene.attrs["vmax"]) == (-4.0, 100.0)
    assert isinstance(scene["fields"]["field"].data, da.Array)
    all_nan = build_scene(env2d, np.full((2, env2d.n_bins), np.nan))
    assert (all_nan.attrs["vmin"], all_nan.attrs["vmax"]) == (0.0, 1.0)


def test_overlay_names_are_unique_and_readable(env2d):
    n = 6
    times = np.arange(n) / 30.0
    pts = np.full((n, 2), 50.0)
    overlays = [
        PositionOverlay(pts),
        PositionOverlay(pts, color="blue"),
        BodypartOverlay({"nose": pts}),
        HeadDirectionOverlay(np.zeros(n)),
        PositionOverlay(pts, times=times),
    ]
    scene = build_scene(env2d, _fields(env2d, n), overlays=overlays)
    assert json.loads(scene.attrs["overlays"]) == [
        "position",
        "position_2",
        "bodypart",
        "head_direction",
        "position_3",
    ]
    assert list(scene_overlays(scene)) == json.loads(scene.attrs["overlays"])
    assert scene["overlays/position_2"].attrs["color"] == "blue"


def test_single_overlay_is_accepted(env2d):
    scene = build_scene(env2d, _fields(env2d, 3), overlays=PositionOverlay(np.ones((3, 2))))
    assert list(scene["overlays"].children) == ["position"]


def test_zarr_round_trip_is_lazy_and_identical(env2d, tmp_path):
    rng = np.random.default_rng(3)
    n_frames = 2000  # 1.6 MB of float64: more than one 1 MiB chunk
    fields = rng.uniform(0, 1, (n_frames, env2d.n_bins))
    t = np.linspace(0, 10, 2000)
    pos = rng.uniform(10, 90, (2000, 2))
    env2d.regions.add("goal", point=(10, 10))
    scene = build_scene(
        env2d,
        fields,
        frame_times=np.linspace(0, 10, n_frames),
        overlays=[
            PositionOverlay(pos, times=t, trail_length=3),
            BodypartOverlay({"a": pos, "b": pos + 1}, times=t, skeleton=[("a", "b")]),
        ],
        title="stored",
        show_regions=True,
    )
    path = tmp_path / "scene.zarr"
    scene.to_zarr(path, consolidated=False)
    back = open_scene(path)
    field = back["fields"]["field"]
    assert isinstance(field.data, da.Array)
    assert field.data.chunks[0][0] < n_frames  # chunked along time
    assert back.attrs["schema_version"] == 2
    xr.testing.assert_allclose(field.load(), scene["fields"]["field"])
    assert scene_environment(back) == env2d
    ds = scene_overlays(back)["bodypart"]
    assert ds["skeleton"].values.tolist() == [["a", "b"]]
    assert ds.attrs["skeleton_color"] == "white"
    assert scene_style(back)["show_regions"] is True


def test_to_zarr_default_consolidated_round_trips(env2d, tmp_path):
    scene = build_scene(env2d, _fields(env2d))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Consolidated metadata")
        scene.to_zarr(tmp_path / "s.zarr")
    xr.testing.assert_allclose(
        open_scene(tmp_path / "s.zarr")["fields"]["field"].load(), scene["fields"]["field"]
    )


def test_open_scene_rejects_non_scenes(tmp_path, env2d):
    with pytest.raises(FileNotFoundError):
        open_scene(tmp_path / "missing.zarr")
    (tmp_path / "junk").mkdir()
    with pytest.raises(ValueError, match="is not a neurospatial scene"):
        open_scene(tmp_path / "junk")
    env2d.to_dataset().to_zarr(tmp_path / "env.zarr", consolidated=False)
    with pytest.raises(ValueError, match="is not a neurospatial scene"):
        open_scene(tmp_path / "env.zarr")


def test_open_scene_indexes_time_once_per_clock(env2d, tmp_path):
    """Overlays recorded on one clock share one time index in memory after opening (a
    long session's overlay time indexes are tens of MB each); indexes work as usual."""
    rng = np.random.default_rng(4)
    t = np.linspace(0, 10, 5000)
    pos = rng.uniform(10, 90, (5000, 2))
    scene = build_scene(
        env2d,
        _fields(env2d, 20),
        frame_times=np.linspace(0, 10, 20),
        overlays=[
            PositionOverlay(pos, times=t),
            HeadDirectionOverlay(rng.normal(size=5000), times=t),
            PositionOverlay(pos, times=t + 0.001),  # another clock
        ],
    )
    scene.to_zarr(tmp_path / "s.zarr", consolidated=False)
    back = open_scene(tmp_path / "s.zarr")
    times = {
        n: back[f"overlays/{n}"].to_dataset().indexes["time"] for n in back["overlays"].children
    }
    assert np.shares_memory(times["position"].values, times["head_direction"].values)
    assert not np.shares_memory(times["position"].values, times["position_2"].values)
    np.testing.assert_array_equal(times["position_2"].values, t + 0.001)
    near = back["overlays/position"].to_dataset().sel(time=t[1234] + 1e-6, method="nearest")
    np.testing.assert_array_equal(near["position"].values, pos[1234])
    assert back["overlays/position"]["position"].chunks is not None  # data stays lazy


def test_restyle_scene_changes_only_the_style_of_a_copy(env2d):
    from neurospatial.animation.scene import restyle_scene

    scene = build_scene(env2d, np.zeros((3, env2d.n_bins)), vmin=0, vmax=1)
    restyled = restyle_scene(scene, cmap="magma", vmax=4)
    assert (restyled.attrs["cmap"], restyled.attrs["vmin"], restyled.attrs["vmax"]) == (
        "magma",
        0.0,
        4.0,
    )
    assert scene.attrs["cmap"] == "viridis" and scene.attrs["vmax"] == 1.0
    assert restyle_scene(scene) is scene
    with pytest.raises(ValueError, match="vmin <= vmax"):
        restyle_scene(scene, vmin=5)
    with pytest.raises(ValueError, match="'nope' is not a registered"):
        restyle_scene(scene, cmap="nope")
