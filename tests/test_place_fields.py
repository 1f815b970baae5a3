import numpy as np
import pytest

from neurospatial import Environment, compute_place_field


def _session(seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(0, 200, 0.02)
    pos = np.column_stack([50 + 45 * np.sin(t / 7.1), 50 + 45 * np.sin(t / 4.3 + 1.0)])
    pos += rng.normal(0, 0.5, pos.shape)
    return t, np.clip(pos, 0, 100)


def test_uniform_rate_is_recovered_exactly():
    """One spike per position sample => rate = 1 / dt in every visited bin."""
    t, pos = _session()
    env = Environment.from_samples(pos, bin_size=5.0)
    for bandwidth in (0.0, 5.0, 12.0):
        rate = compute_place_field(env, t, t, pos, bandwidth=bandwidth)
        finite = np.isfinite(rate)
        assert finite.all()
        np.testing.assert_allclose(rate[finite], 50.0, rtol=1e-9)


def test_unsmoothed_rate_is_spike_count_over_occupancy():
    t = np.arange(0, 4, 0.5)  # 8 samples, dt = 0.5 s
    pos = np.array([[0.5, 0.5]] * 4 + [[1.5, 0.5]] * 4)
    env = Environment.from_samples(pos, bin_size=1.0)
    spikes = np.array([0.1, 0.2, 0.3, 2.1])  # 3 spikes in bin 0 (2 s), 1 in bin 1 (2 s)
    rate = compute_place_field(env, spikes, t, pos, bandwidth=0.0)
    np.testing.assert_allclose(rate, [1.5, 0.5])


def test_min_occupancy_masks_rarely_visited_bins():
    t = np.arange(0, 10, 1.0)
    pos = np.array([[0.5, 0.5]] * 9 + [[1.5, 0.5]])
    env = Environment.from_samples(pos, bin_size=1.0)
    rate = compute_place_field(env, [0.5], t, pos, bandwidth=0.0, min_occupancy_s=2.0)
    assert np.isfinite(rate[0]) and np.isnan(rate[1])


def test_smoothing_peaks_at_place_field_centre():
    t, pos = _session(1)
    rng = np.random.default_rng(5)
    centre = np.array([60.0, 40.0])
    lam = 20 * np.exp(-np.sum((pos - centre) ** 2, axis=1) / (2 * 8.0**2))
    spikes = t[rng.random(len(t)) < lam * 0.02]
    env = Environment.from_samples(pos, bin_size=4.0)
    rate = compute_place_field(env, spikes, t, pos, bandwidth=4.0, min_occupancy_s=0.5)
    peak = env.bin_centers[np.nanargmax(rate)]
    assert np.linalg.norm(peak - centre) < 8.0
    assert 8.0 < np.nanmax(rate) < 25.0


def test_input_errors():
    t, pos = _session()
    env = Environment.from_samples(pos, bin_size=5.0)
    with pytest.raises(ValueError, match="times has 9999 samples but positions has 10000"):
        compute_place_field(env, t, t[:-1], pos)
    with pytest.raises(ValueError, match="strictly increasing"):
        compute_place_field(env, t, t[::-1], pos)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"times": np.arange(5.0)}, "times has 5 samples but positions has 6"),
        (
            {"times": [0.0, 1.0, 1.0, 2.0, 3.0, 4.0]},
            "first at index 1: times[1] = 1.0, then times[2] = 1.0",
        ),
        ({"times": [0.0], "positions": np.zeros((1, 2))}, "got 1 timestamp(s)"),
        (
            {"times": [0.0, 1.0, np.nan, 3.0, np.nan, 5.0]},
            "2 value(s) that are not finite, first at index 2: times[2] = nan",
        ),
        ({"bandwidth": -1.0}, "bandwidth=-1.0, min_occupancy_s=0.0"),
        ({"min_occupancy_s": -0.5}, "min_occupancy_s=-0.5"),
    ],
    ids=["lengths", "not_increasing", "too_few", "not_finite", "bandwidth", "min_occupancy"],
)
def test_input_errors_have_what_why_how_naming_the_value(kwargs, fragment):
    pos = np.random.default_rng(4).uniform(0, 100, (6, 2))
    env = Environment.from_samples(pos, bin_size=25.0)
    args = {"times": np.arange(6.0), "positions": pos, **kwargs}
    with pytest.raises(ValueError) as exc:
        compute_place_field(env, [0.5], args.pop("times"), args.pop("positions"), **args)
    what, _, rest = str(exc.value).partition("\n\nWHY: ")
    assert fragment in what, str(exc.value)
    assert rest and "\n\nHOW:\n  1. " in rest, str(exc.value)
