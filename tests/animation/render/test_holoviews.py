"""The HoloViews view draws the layer descriptions: Bokeh models' data equal the layers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

hv = pytest.importorskip("holoviews")

from neurospatial.animation import (  # noqa: E402
    PositionOverlay,
    VideoCalibration,
    VideoOverlay,
    align_scene,
    build_scene,
    field_image,
    frame_layers,
    open_scene,
    to_holoviews,
)
from neurospatial.animation.render.holoviews_ import HoloViewsView, _axis_aligned  # noqa: E402
from neurospatial.animation.render.layers import (  # noqa: E402
    ArrowLayer,
    FieldLayer,
    PointsLayer,
    SegmentsLayer,
    TrailLayer,
)
from neurospatial.animation.transforms import Affine2D  # noqa: E402
from tests.animation.helpers import square_env  # noqa: E402
from tests.animation.render.golden_scene import golden_scene  # noqa: E402


@pytest.fixture(scope="module")
def bokeh():
    hv.extension("bokeh")
    return hv.renderer("bokeh")


def _sources(renderer, dmap, frame):
    plot = renderer.get_plot(dmap[frame])
    return {key: sub.handles["source"].data for key, sub in plot.subplots.items()}


def _of(layers, kind):
    return [la for la in layers if isinstance(la, kind)]


@pytest.mark.parametrize("frame", [0, 5, 12, 23])
def test_bokeh_data_equal_the_layer_descriptions(bokeh, frame):
    scene = golden_scene()
    layers = frame_layers(align_scene(scene), frame)
    data = _sources(bokeh, to_holoviews(scene), frame)

    (field,) = _of(layers, FieldLayer)
    image = field_image(scene).isel(time=frame).values
    got = data[("Field", "Field")]["image"][0]
    np.testing.assert_array_equal(got, image)  # bokeh keeps rows as given: lowest y first
    assert np.nanmax(np.abs(image)) == pytest.approx(np.nanmax(np.abs(field.values)))

    for layer in _of(layers, PointsLayer):
        source = data[("Points", layer.name.capitalize())]
        np.testing.assert_allclose(np.c_[source["x"], source["y"]], layer.positions)
        assert list(source["color"]) == list(layer.colors)
    for layer in _of(layers, SegmentsLayer):
        source = data[("Skeleton", layer.name.capitalize())]
        np.testing.assert_allclose(np.c_[source["x0"], source["y0"]], layer.starts)
        np.testing.assert_allclose(np.c_[source["x1"], source["y1"]], layer.ends)
    for layer in _of(layers, TrailLayer):
        source = data[("Trail", layer.name.capitalize())]
        np.testing.assert_allclose(np.c_[source["x0"], source["y0"]], layer.starts)
        np.testing.assert_allclose(np.c_[source["x1"], source["y1"]], layer.ends)
        np.testing.assert_allclose(source["alpha"], layer.alpha)
    for layer in _of(layers, ArrowLayer):
        source = data[("Heading", layer.name.capitalize().replace(" ", "_"))]
        start = np.c_[source["x0"], source["y0"]]
        np.testing.assert_allclose(start, layer.origins)
        tip = data[("HeadingTip", layer.name.capitalize().replace(" ", "_"))]
        np.testing.assert_allclose(
            [np.ravel(tip["xs"][0])[0], np.ravel(tip["ys"][0])[0]], layer.tips[0]
        )
    assert ("Region", "Nest") in data and ("RegionLabel", "Reward") in data


def test_redraw_writes_what_holoviews_own_update_writes(bokeh):
    """`HoloViewsView.redraw` (the app's follow) leaves every Bokeh source and the title
    as HoloViews' update of the same frame does; with other layers shown it declines."""
    from neurospatial.animation.render.holoviews_ import HoloViewsView

    scene = golden_scene()
    view = HoloViewsView(scene, frame_width=300)
    stream = hv.streams.Stream.define("Follow", frame=0, hidden=[])()
    plot = bokeh.get_plot(hv.DynamicMap(view, streams=[stream]))

    def state() -> dict[Any, Any]:
        out: dict[Any, Any] = {"title": plot.handles["plot"].title.text}
        for key, sub in plot.subplots.items():
            out[key] = {c: _copied(v) for c, v in sub.handles["source"].data.items()}
        return out

    for frame in (7, 19, 3):
        assert view.redraw(plot, frame)
        mine = state()
        stream.event(frame=frame)  # HoloViews' update of the same frame
        theirs = state()
        assert mine.keys() == theirs.keys()
        for key in theirs:
            if key == "title":
                assert mine[key] == theirs[key] and f"(frame {frame})" in mine[key]
                continue
            assert mine[key].keys() == theirs[key].keys(), key
            for column, values in theirs[key].items():
                assert len(mine[key][column]) == len(values), (key, column)
                for a, b in zip(mine[key][column], values, strict=True):  # NaN equals NaN
                    np.testing.assert_array_equal(a, b, err_msg=f"{key} {column}")
    assert not view.redraw(plot, 4, hidden=["field"])  # other elements: HoloViews' update


def _copied(values: Any) -> list[Any]:
    """A Bokeh source column as a list of copied items (arrays or scalars)."""
    return [np.array(v, copy=True) if isinstance(v, np.ndarray | list) else v for v in values]


def test_title_shows_time_and_frame_and_groups_restyle():
    scene = golden_scene()
    dmap = to_holoviews(scene)
    overlay = dmap[12]
    times = scene["fields"]["time"].values
    title = scene.attrs["title"]
    expected = f"t = {times[12]:.2f} s  (frame 12)"
    assert overlay.opts.get().kwargs["title"] == (f"{title}: {expected}" if title else expected)
    assert dmap.kdims[0].name == "frame" and dmap.kdims[0].range == (0, 23)
    styled = dmap.opts(hv.opts.Points("Points.Position", size=30))
    assert hv.Store.lookup_options("bokeh", styled[3].Points.Position, "style").kwargs["size"] == 30


def test_lazy_store_stays_lazy_and_frames_match(tmp_path, bokeh):
    scene = golden_scene()
    scene.to_zarr(tmp_path / "s.zarr", consolidated=False)
    stored = open_scene(tmp_path / "s.zarr")
    assert stored["fields"]["field"].chunks is not None
    dmap = to_holoviews(stored)
    for frame in (20, 3):
        np.testing.assert_array_equal(
            dmap[frame].Field.Field.data["value"],
            to_holoviews(scene)[frame].Field.Field.data["value"],
        )
    assert stored["fields"]["field"].chunks is not None  # nothing was loaded into the tree


def test_hover_and_bins(bokeh):
    scene = golden_scene()
    image = to_holoviews(scene)[0].Field.Field
    assert [d.name for d in image.vdims] == ["value", "bin"]
    bins = image.data["bin"]
    env_bins = np.arange(square_env(bin_size=5.0).n_bins)
    assert set(np.unique(bins[bins >= 0]).astype(int)) == set(env_bins)
    plot = bokeh.get_plot(to_holoviews(scene)[0])
    hover = plot.subplots[("Field", "Field")].handles["hover"]
    assert [t[0] for t in hover.tooltips] == ["x", "y", "value", "bin"]


def test_frame_out_of_range_says_what_to_pass():
    scene = golden_scene()
    with pytest.raises(KeyError, match="above upper bound 23"):  # the DynamicMap's own check
        to_holoviews(scene)[24]
    with pytest.raises(IndexError, match="Frame 24 is outside the scene's 24 frames"):
        HoloViewsView(scene)(24)


def test_video_is_placed_by_its_calibration():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (3, 20, 40, 3), dtype=np.uint8)
    env = square_env()
    # 40 x 20 px over 100 x 50 cm, y flipped: pixel (col, row) -> (2.5 col + 1.25, 48.75 - 2.5 row)
    calibration = VideoCalibration(
        Affine2D(np.array([[2.5, 0.0, 1.25], [0.0, -2.5, 48.75], [0.0, 0.0, 1.0]])), (40, 20)
    )
    video = VideoOverlay(frames, calibration=calibration, alpha=0.5)
    scene = build_scene(
        env, np.zeros((3, env.n_bins)), overlays=[video, PositionOverlay(np.full((3, 2), 50.0))]
    )
    rgb = to_holoviews(scene)[1].Video.Video
    assert rgb.bounds.lbrt() == pytest.approx((0.0, 0.0, 100.0, 50.0))
    np.testing.assert_array_equal(
        rgb.data[..., :3] if rgb.data.ndim == 3 else rgb.rgb.data, frames[1]
    )


def test_rotated_calibration_is_resampled_onto_its_bounding_box():
    rgb = np.zeros((10, 10, 3), np.uint8)
    rgb[0, 0] = 255  # top-left pixel
    quarter = np.array(
        [[0.0, -1.0, 9.0], [-1.0, 0.0, 9.0], [0.0, 0.0, 1.0]]
    )  # col -> -y, row -> -x
    image, bounds = _axis_aligned(rgb, quarter)
    assert bounds == pytest.approx((-0.5, -0.5, 9.5, 9.5))
    # pixel (0, 0) lands at world (9, 9): the top-right corner of the box
    row, col = np.unravel_index(np.argmax(image[..., 0]), image.shape[:2])
    assert (row, col) == (0, 9)
