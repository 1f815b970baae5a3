"""A realistic session end to end: build -> align -> to_zarr -> open_scene -> align -> render."""

import dask.array as da
import numpy as np
import xarray as xr

from neurospatial import Environment, compute_place_field
from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    align_scene,
    build_scene,
    open_scene,
    render_frame,
)
from neurospatial.demo import make_session


def test_forty_seconds_at_250_hz_round_trip(tmp_path):
    s = make_session(duration_s=40.0, rate_hz=250.0, seed=3)
    assert len(s.times) == 10_000
    env = Environment.from_samples(s.positions, bin_size=2.5)
    env.regions.add("reward", point=(65.0, 40.0))
    frame_times = np.linspace(0.5, 39.5, 400)
    rate = compute_place_field(env, s.spike_times, s.times, s.positions, bandwidth=5.0)
    drift = np.linspace(0.5, 1.5, len(frame_times))[:, None]
    fields = da.from_array(rate[None, :] * drift, chunks=(64, -1))  # lazy, chunked in time
    overlays = [
        PositionOverlay(s.positions, times=s.times, trail_length=10),
        BodypartOverlay(s.keypoints, times=s.times, skeleton=[("nose", "tail_base")]),
        HeadDirectionOverlay(s.heading, times=s.times),
    ]
    scene = build_scene(
        env,
        fields,
        overlays=overlays,
        frame_times=frame_times,
        show_regions=True,
        title="integration",
    )
    aligned = align_scene(scene)
    for name in ("position", "bodypart", "head_direction"):
        np.testing.assert_array_equal(aligned[f"overlays/{name}"]["time"].values, frame_times)
    expected = np.column_stack(
        [np.interp(frame_times, s.times, s.positions[:, d]) for d in range(2)]
    )
    np.testing.assert_allclose(aligned["overlays/position"]["position"].values, expected)

    store = tmp_path / "session.zarr"
    scene.to_zarr(store, consolidated=False)
    reopened = open_scene(store)
    field = reopened["fields"]["field"]
    assert isinstance(field.data, da.Array) and field.data.chunks[0][0] == 64
    realigned = align_scene(reopened)
    for name in ("position", "bodypart", "head_direction"):
        xr.testing.assert_allclose(
            realigned[f"overlays/{name}"].to_dataset().compute(),
            aligned[f"overlays/{name}"].to_dataset(),
        )
    np.testing.assert_allclose(field.values, rate[None, :] * drift, equal_nan=True)
    a, b = render_frame(scene, 200).image, render_frame(reopened, 200).image
    np.testing.assert_array_equal(a, b)  # a stored scene renders the same
