import pickle

import numpy as np
import pytest
import xarray as xr

from neurospatial import Environment
from tests.animation.helpers import assert_what_why_how


def test_from_samples_grid_covers_samples_and_counts_active_bins():
    rng = np.random.default_rng(0)
    positions = rng.uniform(0, 100, size=(5000, 2))
    env = Environment.from_samples(positions, bin_size=10.0)
    assert env.layout == "grid"
    assert env.n_dims == 2
    assert env.grid_shape == (10, 10)
    assert env.n_bins == 100
    assert env.bin_centers.shape == (100, 2)
    (xlo, xhi), (ylo, yhi) = env.dimension_ranges
    assert xlo <= positions[:, 0].min() and xhi >= positions[:, 0].max()
    assert ylo <= positions[:, 1].min() and yhi >= positions[:, 1].max()
    assert [len(e) for e in env.grid_edges] == [11, 11]
    assert env.units == "cm"


def test_active_bins_follow_threshold():
    positions = np.array([[0.5, 0.5]] * 3 + [[1.5, 0.5]] * 1 + [[2.5, 2.5]] * 5)
    env = Environment.from_samples(positions, bin_size=1.0, bin_count_threshold=2)
    assert env.n_bins == 2
    assert env.active_mask.sum() == 2
    # A bin with 1 sample is inactive at threshold 2.
    assert env.bin_at([[1.5, 0.5]])[0] == -1
    all_bins = Environment.from_samples(positions, bin_size=1.0, infer_active_bins=False)
    assert all_bins.n_bins == int(np.prod(all_bins.grid_shape))


def test_per_dimension_bin_size_and_1d_3d():
    rng = np.random.default_rng(1)
    env = Environment.from_samples(rng.uniform(0, 100, (4000, 2)), bin_size=(10.0, 20.0))
    assert env.grid_shape == (10, 5)
    np.testing.assert_allclose(env.bin_sizes, [10.0, 20.0])
    env1 = Environment.from_samples(rng.uniform(0, 50, 1000), bin_size=5.0)
    assert env1.n_dims == 1 and env1.bin_centers.shape == (env1.n_bins, 1)
    env3 = Environment.from_samples(rng.uniform(0, 10, (3000, 3)), bin_size=2.0)
    assert env3.n_dims == 3 and env3.grid_shape == (5, 5, 5)


def test_bin_at_maps_centres_to_themselves_and_outside_to_minus_one():
    rng = np.random.default_rng(2)
    env = Environment.from_samples(rng.uniform(0, 100, (5000, 2)), bin_size=7.0)
    np.testing.assert_array_equal(env.bin_at(env.bin_centers), np.arange(env.n_bins))
    assert env.bin_at([[-50.0, 10.0], [np.nan, 1.0]]).tolist() == [-1, -1]


def test_to_grid_scatters_values_in_grid_order():
    positions = np.array([[0.5, 0.5], [1.5, 0.5], [0.5, 1.5]])
    env = Environment.from_samples(positions, bin_size=1.0)
    grid = env.to_grid(np.array([1.0, 2.0, 3.0]))
    assert grid.shape == env.grid_shape
    assert grid[env.active_mask].tolist() == [1.0, 2.0, 3.0]
    assert np.isnan(grid[~env.active_mask]).all()


def test_invalid_inputs_raise():
    with pytest.raises(ValueError, match="bin_size"):
        Environment.from_samples(np.zeros((10, 2)), bin_size=0)
    with pytest.raises(ValueError, match="n_dims"):
        Environment.from_samples(np.zeros((10, 4)), bin_size=1)
    with pytest.raises(ValueError, match="no finite samples"):
        Environment.from_samples(np.full((3, 2), np.nan), bin_size=1)


def test_clear_cache_drops_cached_state_and_pickles(env2d):
    env2d.regions.add("goal", point=(20.0, 30.0))
    env2d.smoothing_kernel(5.0)
    assert env2d._kdtree is not None and env2d._kernels
    assert "bin_centers" in env2d.__dict__
    clone = pickle.loads(pickle.dumps(env2d))
    assert clone == env2d
    assert clone._kdtree is None and not clone._kernels
    env2d.clear_cache(kdtree=True, kernels=False, cached_properties=False)
    assert env2d._kdtree is None and env2d._kernels and "bin_centers" in env2d.__dict__
    env2d.clear_cache()
    assert not env2d._kernels and "bin_centers" not in env2d.__dict__
    np.testing.assert_array_equal(env2d.bin_centers, clone.bin_centers)


@pytest.mark.parametrize("n_dims", [1, 2, 3])
def test_dataset_round_trip_is_lossless(n_dims, tmp_path):
    rng = np.random.default_rng(n_dims)
    env = Environment.from_samples(rng.uniform(0, 30, (3000, n_dims)), bin_size=3.3, units="mm")
    env.regions.add("p", point=np.full(n_dims, 1.0 / 3.0), metadata={"reward": True})
    if n_dims == 2:
        env.regions.add("poly", polygon=[(0.1, 0.2), (10.0, 0.2), (5.0, 7.7)])
    ds = env.to_dataset()
    assert isinstance(ds, xr.Dataset)
    assert Environment.from_dataset(ds) == env
    ds.to_zarr(tmp_path / "env.zarr", consolidated=False)
    back = Environment.from_dataset(xr.open_zarr(tmp_path / "env.zarr", consolidated=False))
    assert back == env
    assert back.units == "mm"
    np.testing.assert_array_equal(back.regions["p"].coords, np.full(n_dims, 1.0 / 3.0))


def test_repr_mentions_layout_and_units(env2d):
    text = repr(env2d)
    assert "grid" in text and "cm" in text and f"n_bins={env2d.n_bins}" in text


def _positions() -> np.ndarray:
    return np.random.default_rng(3).uniform(0, 100, size=(200, 2))


def _layout_hex() -> None:
    ds = Environment.from_samples(_positions(), bin_size=10.0).to_dataset()
    ds.attrs["layout"] = "hex"
    Environment.from_dataset(ds)


@pytest.mark.parametrize(
    ("trigger", "fragment"),
    [
        (
            lambda: Environment(tuple(np.arange(3.0) for _ in range(4)), np.ones((2,) * 4, bool)),
            "got 4 (grid_edges holds 4 edge arrays)",
        ),
        (
            lambda: Environment((np.arange(3.0), np.arange(4.0)), np.ones((3, 3), bool)),
            "active_mask has shape (3, 3), expected (2, 3)",
        ),
        (lambda: Environment.from_samples(np.zeros((10, 4)), bin_size=1), "shape (10, 4)"),
        (
            lambda: Environment.from_samples(np.full((3, 2), np.nan), bin_size=1),
            "all 3 rows hold NaN or Inf",
        ),
        (lambda: Environment.from_samples(_positions(), bin_size=-2.0), "got -2.0"),
        (
            lambda: Environment.from_samples(_positions(), bin_size=10.0, bin_count_threshold=500),
            "bin_count_threshold=500 samples (the fullest bin has",
        ),
        (_layout_hex, "layout 'hex'"),
    ],
    ids=[
        "n_dims",
        "active_mask",
        "positions_shape",
        "no_finite",
        "bin_size",
        "threshold",
        "layout",
    ],
)
def test_errors_have_what_why_how_naming_the_value(trigger, fragment):
    with pytest.raises(ValueError) as exc:
        trigger()
    assert_what_why_how(str(exc.value), fragment)


@pytest.mark.parametrize("bin_size", [[1.0, 2.0, 3.0], [[1.0, 2.0]]])
def test_bin_size_of_the_wrong_length_says_so(bin_size):
    samples = np.random.default_rng(3).uniform(0, 10, (50, 2))
    with pytest.raises(
        ValueError, match=r"^bin_size has shape \((3,|1, 2)\) .* but the samples have 2 dimension"
    ):
        Environment.from_samples(samples, bin_size=bin_size)
