"""``missing="gap"``: NaN samples are gaps, drawn the same way by every renderer.

A gap is not drawn; trails and skeleton edges break at it; interpolation never
bridges it (a frame between a valid and a NaN sample is NaN); Inf stays an error;
``missing="raise"`` (the default) keeps refusing NaN.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    align_scene,
    build_scene,
    frame_layers,
    render_frame,
    to_holoviews,
)
from neurospatial.animation.render.layers import PointsLayer, SegmentsLayer, TrailLayer
from tests.animation.helpers import square_env

N = 12
FPS = 10.0


def _path() -> np.ndarray:
    s = np.linspace(0, 1, N)
    return np.column_stack([20 + 60 * s, 30 + 40 * s])


def _gappy(gap=(5, 6)) -> np.ndarray:
    path = _path()
    path[list(gap)] = np.nan  # tracking lost at frames 5 and 6
    return path


def _scene(**extra):
    env = square_env()
    nose = _gappy()
    tail = _path() - [8.0, 0.0]
    tail[2] = np.nan  # the tail lost at frame 2 only
    return build_scene(
        env,
        np.zeros((N, env.n_bins)),
        overlays=[
            PositionOverlay(nose, color="red", trail_length=4, missing="gap"),
            BodypartOverlay(
                {"nose": _path(), "tail": tail}, skeleton=[("nose", "tail")], missing="gap"
            ),
            HeadDirectionOverlay(np.where(np.arange(N) == 9, np.nan, 0.0), missing="gap"),
        ],
        fps=FPS,
        cmap="gray",
        vmin=0,
        vmax=1,
        **extra,
    )


def _by_type(layers, kind, name):
    return next(layer for layer in layers if isinstance(layer, kind) and layer.name == name)


def test_nan_is_refused_by_default_and_inf_always():
    with pytest.raises(ValueError, match="missing='gap'"):
        PositionOverlay(_gappy())
    bad = _path()
    bad[3] = np.inf
    with pytest.raises(ValueError, match=r"(?s)Found 2 Inf values .* Inf never does"):
        PositionOverlay(bad, missing="gap")
    with pytest.raises(ValueError, match=r"missing='skip' is not one of \['raise', 'gap'\]"):
        PositionOverlay(_path(), missing="skip")


def test_interpolation_never_bridges_a_gap():
    # Samples at 0.0, 0.1, ... ; frames half-way between them.
    scene = build_scene(
        square_env(),
        np.zeros((N - 1, square_env().n_bins)),
        overlays=[PositionOverlay(_gappy(), times=np.arange(N) / FPS, missing="gap")],
        frame_times=(np.arange(N - 1) + 0.5) / FPS,
    )
    aligned = align_scene(scene)["overlays"]["position"]["position"].values
    missing = np.isnan(aligned).any(axis=1)
    # Frames between 4-5, 5-6 and 6-7 touch a NaN sample: NaN; all others are values.
    assert np.flatnonzero(missing).tolist() == [4, 5, 6]


def test_the_layer_model_leaves_gaps_out():
    scene = align_scene(_scene())
    at_gap = frame_layers(scene, 5)
    assert len(_by_type(at_gap, PointsLayer, "position").positions) == 0  # no marker
    after = frame_layers(scene, 8)  # the trail (4 frames back) breaks at the gap
    trail = _by_type(after, TrailLayer, "position")
    assert len(trail.starts) == 1  # only 7 -> 8; 4 -> 5 .. 6 -> 7 touch the gap
    np.testing.assert_allclose(trail.ends[0], _path()[8])
    skeleton = _by_type(frame_layers(scene, 2), SegmentsLayer, "bodypart")
    assert len(skeleton.starts) == 0  # the tail is missing: no edge
    assert len(_by_type(frame_layers(scene, 3), SegmentsLayer, "bodypart").starts) == 1
    arrows = [layer for layer in frame_layers(scene, 9) if layer.name == "head_direction"]
    assert all(len(layer.origins) == 0 for layer in arrows)  # no heading at frame 9


def _red_near(image: np.ndarray, px: np.ndarray, radius: int = 5) -> bool:
    col, row = px.round().astype(int)
    patch = image[row - radius : row + radius + 1, col - radius : col + radius + 1].astype(int)
    return bool((patch[..., 0] - np.maximum(patch[..., 1], patch[..., 2]) > 100).any())


def test_the_compositor_draws_no_marker_in_a_gap():
    scene = _scene()
    before, gap = render_frame(scene, 4), render_frame(scene, 5)
    assert _red_near(before.image, before.world_to_px(_path()[4:5])[0])
    assert not _red_near(gap.image, gap.world_to_px(_path()[5:6])[0])  # no marker, no trail
    later = render_frame(scene, 8)  # the trail resumes after the gap
    middle = (_path()[7] + _path()[8]) / 2
    assert _red_near(later.image, later.world_to_px(middle[None])[0], radius=2)
    assert not _red_near(later.image, later.world_to_px(_path()[5:6])[0])


def test_the_holoviews_view_leaves_gaps_out():
    dmap = to_holoviews(_scene())
    assert len(dmap[5].Points.position) == 0
    assert len(dmap[4].Points.position) == 1


def test_napari_leaves_gaps_out():
    pytest.importorskip("napari")
    from napari.components import ViewerModel

    from neurospatial.animation.backends.napari_ import add_scene

    viewer = ViewerModel()
    layers = add_scene(viewer, _scene())
    viewer.dims.set_current_step(0, 5)
    assert layers["Position"].shown.tolist() == [False]
    viewer.dims.set_current_step(0, 2)
    assert layers["Pose"].shown.tolist() == [True, False]
    np.testing.assert_allclose(layers["Pose skeleton"].data[:, 1], 0.0)  # no edge drawn
    viewer.dims.set_current_step(0, 4)
    assert layers["Position"].shown.tolist() == [True]
