import json
import pickle
import subprocess
import sys

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


def _what_why_how(message: str) -> str:
    """The WHAT part of a WHAT / WHY / HOW message (asserting WHY and HOW follow)."""
    what, _, rest = message.partition("\n\nWHY: ")
    assert rest and "\n\nHOW:\n  1. " in rest, message
    return what


@pytest.mark.parametrize(
    ("error", "trigger", "fragment"),
    [
        (TypeError, lambda r: r.add("a", point=(1, 2)).polygon, "Region 'a' is a point"),
        (TypeError, lambda r: r.add("", point=(1, 2)), "got ''"),
        (ValueError, lambda r: r.add("a"), "Region 'a': got neither"),
        (ValueError, lambda r: r.add("a", point=(0, 0), polygon=[(0, 0), (1, 0), (0, 1)]), "both"),
        (
            ValueError,
            lambda r: [r.add("a", point=(0, 0)), r.add("a", point=(1, 1))],
            "Region 'a' already exists (a point)",
        ),
        (ValueError, lambda r: r.add("b", point=(0, np.nan)), "point [0.0, nan] is not 2 finite"),
        (ValueError, lambda r: r.add("c", polygon=[(0, 0), (1, 1)]), "polygon has shape (2, 2)"),
        (
            ValueError,
            lambda r: r.add("d", polygon=[(0, 0), (np.inf, 0), (0, 1)]),
            "1 of 3 are not, first at indices [1] (vertex 1 is [inf, 0.0])",
        ),
        (TypeError, lambda r: r.__setitem__("e", 3), "needs a Region named 'e', got int"),
    ],
    ids=[
        "polygon_of_point",
        "name",
        "neither",
        "both",
        "duplicate",
        "point",
        "polygon_shape",
        "polygon_finite",
        "setitem",
    ],
)
def test_region_errors_have_what_why_how_naming_the_value(env2d, error, trigger, fragment):
    with pytest.raises(error) as exc:
        trigger(env2d.regions)
    assert fragment in _what_why_how(str(exc.value))


def test_polygon_in_1d_environment_has_what_why_how(env1d):
    with pytest.raises(ValueError) as exc:
        env1d.regions.add("seg", polygon=[(0, 0), (1, 0), (0, 1)])
    assert "this one is 1D" in _what_why_how(str(exc.value))


def test_missing_region_key_error_prints_unquoted_with_suggestion(env2d):
    env2d.regions.add("reward", point=(1.0, 2.0))
    with pytest.raises(KeyError) as exc:
        env2d.regions["rewrad"]
    assert exc.value.args == ("rewrad",)  # like dict: the missing key
    what = _what_why_how(str(exc.value))
    assert what == "No region named 'rewrad'. Available regions: ['reward']. Did you mean 'reward'?"
    assert "rewrad" not in env2d.regions and env2d.regions.get("rewrad") is None


def test_membership_tests_do_not_import_the_animation_package():
    probe = (
        "import sys, numpy as np\n"
        "from neurospatial import Environment\n"
        "env = Environment.from_samples(np.zeros((3, 2)), bin_size=1.0)\n"
        "assert 'x' not in env.regions and env.regions.get('x') is None\n"
        "print('neurospatial.animation' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
