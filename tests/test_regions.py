import json
import pickle

import numpy as np
import pytest
import shapely

from neurospatial import Environment
from neurospatial.regions import Region, Regions


def test_add_point_and_polygon_regions(env2d):
    point = env2d.regions.add("reward", point=(10.0, 20.0))
    square = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)])
    poly = env2d.regions.add("nest", polygon=square)
    assert point.kind == "point" and point.coords.tolist() == [10.0, 20.0]
    assert poly.kind == "polygon" and poly.coords.shape == (4, 2)
    assert poly.polygon.equals(square)
    assert list(env2d.regions) == ["reward", "nest"]
    del env2d.regions["reward"]
    assert list(env2d.regions) == ["nest"]


def test_polygon_from_vertices(env2d):
    region = env2d.regions.add("tri", polygon=[(0, 0), (5, 0), (0, 5)])
    assert region.polygon.area == pytest.approx(12.5)


def test_region_errors(env2d, env1d):
    with pytest.raises(ValueError, match="neither"):
        env2d.regions.add("a")
    with pytest.raises(ValueError, match="both"):
        env2d.regions.add("a", point=(0, 0), polygon=[(0, 0), (1, 0), (0, 1)])
    env2d.regions.add("a", point=(0, 0))
    with pytest.raises(ValueError, match="already exists"):
        env2d.regions.add("a", point=(1, 1))
    with pytest.raises(ValueError, match="2D environment"):
        env1d.regions.add("seg", polygon=[(0, 0), (1, 0), (0, 1)])
    with pytest.raises(ValueError, match="2 finite"):
        env2d.regions.add("b", point=(0, 0, 0))
    with pytest.raises(KeyError, match="Available regions"):
        del env2d.regions["missing"]
    assert env1d.regions.add("spot", point=12.5).coords.tolist() == [12.5]


def test_regions_are_plain_data():
    regions = Regions(2)
    regions.add("r", point=(1.0, 2.0), metadata={"value": 3})
    text = regions.to_json()
    assert json.loads(text)["r"]["coords"] == [1.0, 2.0]
    back = Regions.from_json(2, text)
    assert dict(back) == dict(regions)
    assert pickle.loads(pickle.dumps(regions))["r"] == regions["r"]
    assert isinstance(back["r"], Region)


def test_regions_survive_environment_round_trip():
    rng = np.random.default_rng(3)
    env = Environment.from_samples(rng.uniform(0, 10, (500, 2)), bin_size=1.0)
    env.regions.add("corner", polygon=[(0, 0), (2, 0), (2, 2), (0, 2)])
    back = Environment.from_dataset(env.to_dataset())
    np.testing.assert_array_equal(back.regions["corner"].coords, env.regions["corner"].coords)
