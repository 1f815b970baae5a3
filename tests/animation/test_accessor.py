"""The `.nsanim` accessor forwards to public functions; xarray-shaped input is checked."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neurospatial.animation import (
    PositionOverlay,
    align_dataset,
    align_scene,
    animate,
    animate_field,
    build_scene,
    field_image,
    render_frame,
    scene_from_field,
    show,
    show_field,
    to_holoviews,
)
from neurospatial.animation.backends import register_backend, unregister_backend
from neurospatial.animation.backends.widget import Player
from tests.animation.helpers import square_env


def _grid_field(seed=0):
    rng = np.random.default_rng(seed)
    return xr.DataArray(
        rng.random((4, 3, 5)),
        dims=("time", "y", "x"),
        coords={"time": [0.0, 0.5, 1.0, 1.5], "y": [25.0, 15.0, 5.0], "x": 5.0 + 10 * np.arange(5)},
    )


def _bin_field():
    env = square_env()
    rng = np.random.default_rng(1)
    data = xr.DataArray(
        rng.random((4, env.n_bins)), dims=("time", "bin"), coords={"time": [0.0, 0.1, 0.2, 0.3]}
    )
    return env, data


def _scene():
    env, data = _bin_field()
    return build_scene(env, data, overlays=[PositionOverlay(np.full((4, 2), 50.0))])


def _poses():
    times = np.linspace(0, 1, 11)
    return xr.Dataset(
        {"position": (("time", "space"), np.c_[times * 10, times * 20])},
        coords={"time": times, "space": ["x", "y"]},
    )


@pytest.fixture
def echo():
    """A live backend returning the scene it was given."""
    register_backend("echo", lambda scene, **_: scene, kind="live")
    yield "echo"
    unregister_backend("echo")


def _same(a, b):
    if isinstance(a, Player):
        try:
            assert (a.n_frames, a.fps, a.layers, a.frame, a.speed, a.loop) == (
                b.n_frames,
                b.fps,
                b.layers,
                b.frame,
                b.speed,
                b.loop,
            )
            assert a._times == b._times and a._poster == b._poster
        finally:
            a.close()
            b.close()
    elif isinstance(a, xr.DataTree | xr.Dataset):
        xr.testing.assert_identical(a, b)
    elif hasattr(a, "image"):
        np.testing.assert_array_equal(a.image, b.image)
    else:  # a DynamicMap
        np.testing.assert_array_equal(
            a[1].Field.field.data["value"], b[1].Field.field.data["value"]
        )


CALLS = [
    ("grid scene", lambda: (_grid_field().nsanim.scene(), scene_from_field(_grid_field()))),
    (
        "bin scene",
        lambda: (
            _bin_field()[1].nsanim.scene(_bin_field()[0], cmap="magma"),
            scene_from_field(_bin_field()[1], _bin_field()[0], cmap="magma"),
        ),
    ),
    (
        "field animate",
        lambda: (
            _grid_field().nsanim.animate(backend="echo", fps=10),
            animate_field(_grid_field(), backend="echo", fps=10),
        ),
    ),
    (
        "field show",
        lambda: (
            _grid_field().nsanim.show(frame=2, speed=2),
            show_field(_grid_field(), frame=2, speed=2),
        ),
    ),
    (
        "dataset align",
        lambda: (_poses().nsanim.align([0.25, 0.5]), align_dataset(_poses(), [0.25, 0.5])),
    ),
    (
        "scene animate",
        lambda: (_scene().nsanim.animate(backend="echo"), animate(_scene(), backend="echo")),
    ),
    (
        "scene show",
        lambda: (_scene().nsanim.show(loop=True), show(_scene(), loop=True)),
    ),
    (
        "scene render_frame",
        lambda: (_scene().nsanim.render_frame(2, dpi=50), render_frame(_scene(), 2, dpi=50)),
    ),
    ("scene to_holoviews", lambda: (_scene().nsanim.to_holoviews(), to_holoviews(_scene()))),
    (
        "scene align",
        lambda: (
            _scene().nsanim.align(frames=slice(1, 3)),
            align_scene(_scene(), frames=slice(1, 3)),
        ),
    ),
]


@pytest.mark.parametrize("call", [c[1] for c in CALLS], ids=[c[0] for c in CALLS])
def test_accessor_calls_equal_their_functions(call, echo):
    via_accessor, via_function = call()
    _same(via_accessor, via_function)


def test_grid_field_round_trips_through_the_field_image():
    field = _grid_field()
    image = field_image(field.nsanim.scene())
    np.testing.assert_allclose(image.values, field.sortby("y").values)
    np.testing.assert_allclose(image["y"], [5.0, 15.0, 25.0])
    np.testing.assert_allclose(image["time"], field["time"])


def test_one_dimensional_grid_field():
    field = xr.DataArray(
        np.arange(6.0).reshape(2, 3),
        dims=("time", "x"),
        coords={"time": [0, 1], "x": [1.0, 2.0, 3.0]},
    )
    scene = field.nsanim.scene()
    assert scene["fields"].sizes["bin"] == 3


def test_align_dataset_is_linear_and_nan_outside():
    aligned = _poses().nsanim.align([0.25, 2.0])
    np.testing.assert_allclose(aligned["position"].values[0], [2.5, 5.0])
    assert np.isnan(aligned["position"].values[1]).all()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda: xr.DataArray(np.zeros((3, 4)), dims=("frame", "bin")).nsanim.scene(),
            r"needs a 'time' dimension; this one has dims \['frame', 'bin'\]",
        ),
        (
            lambda: xr.DataArray(np.zeros((3, 4)), dims=("time", "bin")).nsanim.scene(),
            r"needs its environment \(dims \['time', 'bin'\]\)",
        ),
        (
            lambda: xr.DataArray(np.zeros((3, 4, 2)), dims=("time", "row", "col")).nsanim.scene(),
            r"Cannot read a field stack with dims \['time', 'row', 'col'\]",
        ),
        (
            lambda: xr.DataArray(
                np.zeros((1, 3)), dims=("time", "x"), coords={"x": [0.0, 2.0, 1.0]}
            ).nsanim.scene(),
            r"'x' coordinates are not strictly monotonic \(first values \[0.0, 2.0, 1.0\]\)",
        ),
        (
            lambda: xr.DataArray(np.zeros((1, 3)), dims=("time", "x")).nsanim.scene(),
            "'x' dimension has no coordinates",
        ),
        (
            lambda: xr.Dataset(
                {"pos": (("time", "space"), np.zeros((2, 2)))}, coords={"time": [0.0, 1.0]}
            ).nsanim.align([0.5]),
            r"no position\(time, ...\) variable \(variables and dims: \{'pos': \['time', 'space'\]\}\)",
        ),
    ],
)
def test_bad_xarray_input_names_what_was_found(make, match):
    with pytest.raises(ValueError, match=match) as err:
        make()
    text = str(err.value)
    assert "\n\nWHY: " in text and "\n\nHOW:\n  1. " in text
