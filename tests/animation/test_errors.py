"""Content of user-facing errors and warnings at the validation boundary.

Every check is expected to produce a WHAT / WHY / HOW message that names the
offending values. These tests pin down that content (counts, indices, values,
ranges, suggestions), not just the exception type, and check that warnings are
attributed to the caller's line (the test file), not to library internals.
"""

from __future__ import annotations

import re
import threading
import warnings

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from neurospatial import Environment
from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    VideoOverlay,
    align_scene,
    animate,
    build_scene,
    subsample_frames,
)
from neurospatial.animation.validation import OUT_OF_BOUNDS_WARN_FRACTION


def _env2d(rng: np.random.Generator) -> Environment:
    return Environment.from_samples(rng.uniform(0, 100, (2000, 2)), bin_size=10.0)


def _env1d(rng: np.random.Generator) -> Environment:
    return Environment.from_samples(rng.uniform(0, 100, (500, 1)), bin_size=10.0)


def _fields(rng: np.random.Generator, env: Environment, n_frames: int) -> np.ndarray:
    return rng.random((n_frames, env.n_bins))


def _inside(rng: np.random.Generator, n: int, n_dims: int = 2) -> np.ndarray:
    """Positions well inside a [0, 100]^n_dims environment."""
    return rng.uniform(20, 80, (n, n_dims))


def _has_what_why_how(message: str, n_how: int) -> None:
    assert "\n\nWHY: " in message
    assert "\n\nHOW:\n" in message
    for i in range(1, n_how + 1):
        assert f"\n  {i}. " in message
    assert f"\n  {n_how + 1}. " not in message


# --------------------------------------------------------------- non-monotonic times
def test_non_monotonic_frame_times_reports_count_indices_pair_and_three_fixes():
    rng = np.random.default_rng(1)
    env = _env2d(rng)
    frame_times = [0.0, 1.0, 2.0, 1.5, 3.0, 3.0, 4.0]
    with pytest.raises(
        ValueError, match=r"^frame_times are not monotonically increasing\.\n"
    ) as exc:
        build_scene(env, _fields(rng, env, 7), frame_times=frame_times)
    msg = str(exc.value)
    assert "\n  frame_times: 2 violation(s) " in msg
    assert "first at indices [2, 4]\n" in msg
    assert "\n  First violating pair: frame_times[2] = 2.0, then frame_times[3] = 1.5\n" in msg
    assert "1. Sort the samples by time" in msg
    assert "2. Remove duplicate timestamps" in msg
    assert "3. Check for clock resets or concatenated sessions" in msg
    _has_what_why_how(msg, 3)


def test_non_monotonic_position_times_duplicate_is_a_violation():
    rng = np.random.default_rng(2)
    times = np.array([0.0, 0.1, 0.2, 0.2, 0.4])
    with pytest.raises(
        ValueError,
        match=r"^Overlay timestamps are not monotonically increasing\.\n"
        r"  PositionOverlay times: 1 violation\(s\) .*, first at indices \[2\]\n",
    ) as exc:
        PositionOverlay(_inside(rng, 5), times=times)
    assert (
        "  First violating pair: PositionOverlay times[2] = 0.2, then "
        "PositionOverlay times[3] = 0.2"
    ) in str(exc.value)


def test_non_monotonic_more_than_five_violations_are_truncated():
    rng = np.random.default_rng(3)
    times = np.tile([1.0, 0.0], 6)  # 11 steps, violations at 0, 2, 4, 6, 8, 10
    with pytest.raises(
        ValueError,
        match=r"HeadDirectionOverlay times: 6 violation\(s\) .*, "
        r"first at indices \[0, 2, 4, 6, 8, \.\.\.\]",
    ):
        HeadDirectionOverlay(rng.uniform(-np.pi, np.pi, 12), times=times)


def test_non_monotonic_bodypart_times_per_keypoint_names_the_keypoint():
    rng = np.random.default_rng(4)
    data = {"nose": _inside(rng, 4), "tail": _inside(rng, 3)}
    times = {"nose": [0.0, 1.0, 2.0, 3.0], "tail": [0.0, 2.0, 1.0]}
    with pytest.raises(
        ValueError,
        match=r"^Overlay timestamps are not monotonically increasing\.\n"
        r"  BodypartOverlay times\['tail'\]: 1 violation\(s\) .*, first at indices \[1\]\n"
        r"  First violating pair: BodypartOverlay times\['tail'\]\[1\] = 2\.0, then "
        r"BodypartOverlay times\['tail'\]\[2\] = 1\.0\n",
    ):
        BodypartOverlay(data, times=times)


def test_non_increasing_align_frame_times():
    rng = np.random.default_rng(5)
    env = _env2d(rng)
    scene = build_scene(env, _fields(rng, env, 4))
    with pytest.raises(
        ValueError,
        match=r"^frame_times are not monotonically increasing\.\n"
        r"  frame_times: 3 violation\(s\) .*, first at indices \[0, 1, 2\]\n",
    ):
        align_scene(scene, frame_times=[3.0, 2.0, 1.0, 0.0])


def test_non_monotonic_fields_time_coordinate_names_it():
    rng = np.random.default_rng(6)
    env = _env2d(rng)
    fields = xr.DataArray(
        _fields(rng, env, 3), dims=("time", "bin"), coords={"time": [0.0, 2.0, 1.0]}
    )
    with pytest.raises(ValueError) as exc:
        build_scene(env, fields)
    msg = str(exc.value)
    assert msg.splitlines()[0] == "fields time coordinate is not monotonically increasing."
    assert "fields time coordinate[1] = 2.0, then fields time coordinate[2] = 1.0" in msg
    _has_what_why_how(msg, 3)


# ------------------------------------------------------------------ NaN / Inf data
def test_nan_in_position_data_reports_count_rows_and_first_value():
    rng = np.random.default_rng(10)
    data = _inside(rng, 10)
    data[3] = np.nan  # 2 values in 1 row
    data[7, 1] = np.nan
    with pytest.raises(
        ValueError, match=r"^Found 3 NaN/Inf values in overlay data at indices: \[3, 7\]\.\n"
    ) as exc:
        PositionOverlay(data)
    msg = str(exc.value)
    assert "\n  PositionOverlay data: 3 non-finite value(s) in 2 of 10 sample(s)\n" in msg
    assert "\n  First invalid value at index 3: [nan, nan]\n" in msg
    _has_what_why_how(msg, 3)


def test_inf_in_position_data_first_bad_value_is_first_in_row_order():
    rng = np.random.default_rng(11)
    data = _inside(rng, 8)
    data[2, 1] = -np.inf
    data[5, 0] = np.nan
    with pytest.raises(
        ValueError,
        match=r"^Found 2 NaN/Inf values in overlay data at indices: \[2, 5\]\.\n"
        r"  PositionOverlay data: 2 non-finite value\(s\) in 2 of 8 sample\(s\)\n"
        + re.escape(f"  First invalid value at index 2: [{float(data[2, 0])!r}, -inf]\n"),
    ):
        PositionOverlay(data)


def test_nan_rows_beyond_five_are_truncated():
    rng = np.random.default_rng(12)
    data = _inside(rng, 20)
    data[[1, 4, 6, 9, 11, 15, 19], 0] = np.nan
    with pytest.raises(
        ValueError,
        match=r"^Found 7 NaN/Inf values in overlay data at indices: \[1, 4, 6, 9, 11, \.\.\.\]\.\n"
        r"  PositionOverlay data: 7 non-finite value\(s\) in 7 of 20 sample\(s\)\n"
        r"  First invalid value at index 1: \[nan, ",
    ):
        PositionOverlay(data)


def test_nan_in_bodypart_names_the_keypoint():
    rng = np.random.default_rng(13)
    tail = _inside(rng, 6)
    tail[4, 0] = np.inf
    with pytest.raises(
        ValueError,
        match=r"^Found 1 NaN/Inf values in overlay data at indices: \[4\]\.\n"
        r"  BodypartOverlay data\['tail'\]: 1 non-finite value\(s\) in 1 of 6 sample\(s\)\n"
        r"  First invalid value at index 4: \[inf, ",
    ):
        BodypartOverlay({"nose": _inside(rng, 6), "tail": tail})


def test_nan_in_head_direction_angles():
    rng = np.random.default_rng(14)
    angles = rng.uniform(-np.pi, np.pi, 9)
    angles[[5, 8]] = [np.nan, np.inf]
    with pytest.raises(
        ValueError,
        match=r"^Found 2 NaN/Inf values in overlay data at indices: \[5, 8\]\.\n"
        r"  HeadDirectionOverlay data: 2 non-finite value\(s\) in 2 of 9 sample\(s\)\n"
        r"  First invalid value at index 5: nan\n",
    ):
        HeadDirectionOverlay(angles)


def test_nan_in_head_direction_vectors():
    rng = np.random.default_rng(15)
    vectors = rng.normal(size=(6, 2))
    vectors[0, 1] = np.nan
    with pytest.raises(
        ValueError,
        match=r"^Found 1 NaN/Inf values in overlay data at indices: \[0\]\.\n"
        r"  HeadDirectionOverlay data: 1 non-finite value\(s\) in 1 of 6 sample\(s\)\n"
        + re.escape(f"  First invalid value at index 0: [{float(vectors[0, 0])!r}, nan]\n"),
    ):
        HeadDirectionOverlay(vectors)


def test_nan_in_frame_times():
    rng = np.random.default_rng(16)
    env = _env2d(rng)
    with pytest.raises(
        ValueError,
        match=r"^Found 1 NaN/Inf values in frame_times at indices: \[4\]\.\n"
        r"  frame_times: 1 non-finite value\(s\) in 1 of 5 sample\(s\)\n"
        r"  First invalid value at index 4: nan\n",
    ):
        build_scene(env, _fields(rng, env, 5), frame_times=[0.0, 1.0, 2.0, 3.0, np.nan])


def test_nan_in_overlay_times_names_them():
    rng = np.random.default_rng(18)
    with pytest.raises(
        ValueError,
        match=r"^Found 1 NaN/Inf values in PositionOverlay times at indices: \[2\]\.\n"
        r"  PositionOverlay times: 1 non-finite value\(s\) in 1 of 4 sample\(s\)\n"
        r"  First invalid value at index 2: inf\n",
    ):
        PositionOverlay(_inside(rng, 4), times=[0.0, 1.0, np.inf, 3.0])


def test_zero_length_head_direction_vector():
    rng = np.random.default_rng(17)
    vectors = rng.normal(size=(5, 2))
    vectors[[1, 3]] = 0.0
    with pytest.raises(ValueError, match=r"2 zero-length vector\(s\), first at indices \[1, 3\]"):
        HeadDirectionOverlay(vectors)


def test_heading_scalar_gets_the_shape_error_not_a_numpy_one():
    with pytest.raises(ValueError, match=r"^Overlay data has incorrect shape\.\n") as exc:
        HeadDirectionOverlay(1.0)
    assert "  Got: () in HeadDirectionOverlay data" in str(exc.value)


# ------------------------------------------------------------- shape vs env.n_dims
def test_position_3d_in_2d_environment():
    rng = np.random.default_rng(20)
    env = _env2d(rng)
    overlay = PositionOverlay(_inside(rng, 6, n_dims=3))
    with pytest.raises(ValueError, match=r"^Overlay data has incorrect shape\.\n") as exc:
        build_scene(env, _fields(rng, env, 6), overlays=overlay)
    msg = str(exc.value)
    assert "  Expected: (n_samples, 2) for 2D environment\n" in msg
    assert "  Got: (6, 3) in overlay 'position' (position)" in msg
    assert "WHY: coordinate dimensionality must match environment.n_dims = 2." in msg
    assert "1. Keep the first 2 coordinate(s): data[:, :2]." in msg
    assert "2. Pass data of shape (n_samples, 2) in environment units." in msg
    _has_what_why_how(msg, 3)


def test_position_1d_in_2d_environment():
    rng = np.random.default_rng(21)
    env = _env2d(rng)
    overlay = PositionOverlay(rng.uniform(20, 80, 4), times=[0.0, 1.0, 2.0, 3.0])
    with pytest.raises(
        ValueError, match=r"Expected: \(n_samples, 2\) for 2D environment\n  Got: \(4, 1\) in"
    ):
        build_scene(env, _fields(rng, env, 4), overlays=overlay, frame_times=[0.0, 1.0, 2.0, 3.0])


def test_position_2d_in_1d_environment():
    rng = np.random.default_rng(22)
    env = _env1d(rng)
    overlay = PositionOverlay(_inside(rng, 3))
    with pytest.raises(
        ValueError,
        match=r"Expected: \(n_samples, 1\) for 1D environment\n  Got: \(3, 2\) in overlay",
    ):
        build_scene(env, _fields(rng, env, 3), overlays=overlay)


def test_bodypart_3d_in_2d_environment_names_overlay():
    rng = np.random.default_rng(23)
    env = _env2d(rng)
    overlay = BodypartOverlay({"nose": _inside(rng, 5, 3), "tail": _inside(rng, 5, 3)})
    with pytest.raises(
        ValueError,
        match=r"Expected: \(n_samples, 2\) for 2D environment\n  Got: \(5, 3\) per keypoint in "
        r"overlay 'bodypart'",
    ):
        build_scene(env, _fields(rng, env, 5), overlays=overlay)


def test_head_direction_3d_in_2d_environment():
    rng = np.random.default_rng(24)
    env = _env2d(rng)
    overlay = HeadDirectionOverlay(rng.normal(size=(5, 3)))
    with pytest.raises(
        ValueError,
        match=r"Expected: \(n_samples, 2\) for 2D environment\n  Got: \(5, 3\) in overlay "
        r"'head_direction' \(heading\)",
    ):
        build_scene(env, _fields(rng, env, 5), overlays=overlay)


# -------------------------------------------------------------- temporal overlap
def test_no_overlap_build_scene_overlay_after_frames():
    rng = np.random.default_rng(30)
    env = _env2d(rng)
    overlay = PositionOverlay(_inside(rng, 11), times=np.linspace(20.0, 30.0, 11))
    with pytest.raises(
        ValueError,
        match=r"^No temporal overlap between overlay and frames\.\n  Overlay: 'position'\n",
    ) as exc:
        build_scene(env, _fields(rng, env, 10), overlays=overlay, frame_times=np.arange(10) * 1.1)
    msg = str(exc.value)
    assert "\n  Overlay time range: [20.000, 30.000] seconds\n" in msg
    assert "\n  Frame time range: [0.000, 9.900] seconds\n" in msg
    assert "\n  Overlap: 0.0%\n\nWHY: " in msg
    assert "Shift the overlay times" in msg
    _has_what_why_how(msg, 3)


def test_no_overlap_build_scene_overlay_before_frames():
    rng = np.random.default_rng(31)
    env = _env2d(rng)
    overlay = HeadDirectionOverlay(
        rng.uniform(-np.pi, np.pi, 5), times=[-5.0, -4.0, -3.0, -2.0, -1.5]
    )
    with pytest.raises(
        ValueError,
        match=r"^No temporal overlap between overlay and frames\.\n"
        r"  Overlay: 'head_direction'\n"
        r"  Overlay time range: \[-5\.000, -1\.500\] seconds\n"
        r"  Frame time range: \[0\.000, 0\.100\] seconds\n"
        r"  Overlap: 0\.0%\n",
    ):
        build_scene(env, _fields(rng, env, 4), overlays=overlay, fps=30)


def test_no_overlap_align_scene_with_new_frame_times():
    rng = np.random.default_rng(32)
    env = _env2d(rng)
    overlay = PositionOverlay(_inside(rng, 5), times=[0.0, 1.0, 2.0, 3.0, 4.0])
    scene = build_scene(env, _fields(rng, env, 5), overlays=overlay, frame_times=np.arange(5.0))
    with pytest.raises(
        ValueError,
        match=r"^No temporal overlap between overlay and frames\.\n  Overlay: 'position'\n",
    ) as exc:
        align_scene(scene, frame_times=np.arange(5.0) + 100.0)
    msg = str(exc.value)
    assert "\n  Overlay time range: [0.000, 4.000] seconds\n" in msg
    assert "\n  Frame time range: [100.000, 104.000] seconds\n" in msg
    assert "\n  Overlap: 0.0%\n" in msg


def _assert_overlap_warning(
    msg: str, name: str, pct: str, covered: str, span: str, overlay_range: str, frame_range: str
) -> None:
    """Content of the partial-overlap warning: documented first line, then the details."""
    assert msg.splitlines()[0] == "Limited temporal overlap between overlay and frames.", msg
    assert f"\n  Overlay: {name!r}\n" in msg, msg
    assert f"\n  Overlay time range: {overlay_range} seconds\n" in msg, msg
    assert f"\n  Frame time range: {frame_range} seconds\n" in msg, msg
    assert f"\n  Overlap: {pct}% ({covered} / {span} seconds)\n\nWHY: " in msg, msg
    assert "never extrapolated" in msg, msg
    _has_what_why_how(msg, 2)


def test_partial_overlap_warning_content_and_location():
    rng = np.random.default_rng(33)
    env = _env2d(rng)
    overlay = PositionOverlay(_inside(rng, 6), times=np.linspace(8.0, 18.0, 6))
    with pytest.warns(
        UserWarning, match=r"^Limited temporal overlap.*\n  Overlay: 'position'\n"
    ) as record:
        build_scene(env, _fields(rng, env, 11), overlays=overlay, frame_times=np.arange(11.0))
    assert len(record) == 1
    _assert_overlap_warning(
        str(record[0].message),
        "position",
        "20.0",
        "2.00",
        "10.00",
        "[8.000, 18.000]",
        "[0.000, 10.000]",
    )
    assert record[0].filename == __file__


def test_partial_overlap_warning_from_align_scene_points_at_caller():
    rng = np.random.default_rng(34)
    env = _env2d(rng)
    overlay = PositionOverlay(_inside(rng, 5), times=[0.0, 1.0, 2.0, 3.0, 4.0])
    scene = build_scene(env, _fields(rng, env, 5), overlays=overlay, frame_times=np.arange(5.0))
    with pytest.warns(UserWarning, match=r"\n  Overlap: 12\.5% ") as record:
        align_scene(scene, frame_times=np.arange(5.0) * 2 + 3.0)
    assert len(record) == 1
    _assert_overlap_warning(
        str(record[0].message),
        "position",
        "12.5",
        "1.00",
        "8.00",
        "[0.000, 4.000]",
        "[3.000, 11.000]",
    )
    assert record[0].filename == __file__


def test_partial_overlap_warning_for_bodypart_with_per_keypoint_clocks():
    rng = np.random.default_rng(36)
    env = _env2d(rng)
    data = {"nose": _inside(rng, 3), "tail": _inside(rng, 4)}
    times = {"nose": [9.0, 10.0, 12.0], "tail": [8.5, 9.0, 11.0, 20.0]}  # union [8.5, 20]
    with pytest.warns(UserWarning, match=r"\n  Overlay: 'bodypart'\n") as record:
        build_scene(
            env,
            _fields(rng, env, 11),
            overlays=BodypartOverlay(data, times=times),
            frame_times=np.arange(11.0),
        )
    _assert_overlap_warning(
        str(record[0].message),
        "bodypart",
        "15.0",
        "1.50",
        "10.00",
        "[8.500, 20.000]",
        "[0.000, 10.000]",
    )
    assert record[0].filename == __file__


def test_no_overlap_warning_at_or_above_half():
    rng = np.random.default_rng(35)
    env = _env2d(rng)
    fields = _fields(rng, env, 11)
    half = PositionOverlay(_inside(rng, 6), times=np.linspace(5.0, 15.0, 6))  # exactly 50%
    most = HeadDirectionOverlay(rng.uniform(-1, 1, 4), times=[-1.0, 2.0, 4.0, 7.0])  # 70%
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scene = build_scene(env, fields, overlays=[half, most], frame_times=np.arange(11.0))
    assert set(scene["overlays"].children) == {"position", "head_direction"}


# -------------------------------------------------------------- skeleton / names
def test_skeleton_typo_lists_missing_available_and_suggestion():
    rng = np.random.default_rng(40)
    data = {"nose": _inside(rng, 4), "tail": _inside(rng, 4), "ear_left": _inside(rng, 4)}
    with pytest.raises(ValueError, match=r"^Skeleton references bodyparts not in data\.\n") as exc:
        BodypartOverlay(data, skeleton=[("nose", "ear_left"), ("nsoe", "tail")])
    msg = str(exc.value)
    assert "\n  Missing: ['nsoe']\n" in msg
    assert "\n  Available: ['ear_left', 'nose', 'tail']\n" in msg
    assert "\n  Edges naming them: [('nsoe', 'tail')]\n" in msg
    assert "\n  Did you mean 'nose' instead of 'nsoe'?\n" in msg
    _has_what_why_how(msg, 3)


def test_skeleton_several_missing_sorted_without_suggestion_for_far_miss():
    rng = np.random.default_rng(41)
    data = {"nose": _inside(rng, 4), "tail": _inside(rng, 4)}
    with pytest.raises(ValueError, match=r"\n  Missing: \['hip', 'xyzzy'\]\n") as exc:
        BodypartOverlay(data, skeleton=[("xyzzy", "hip"), ("nose", "tail")])
    assert "Did you mean" not in str(exc.value)


def test_skeleton_edge_not_a_pair():
    rng = np.random.default_rng(42)
    data = {"nose": _inside(rng, 4), "tail": _inside(rng, 4)}
    with pytest.raises(
        ValueError, match=r"skeleton edge 'nosetail' is not a pair of keypoint names"
    ):
        BodypartOverlay(data, skeleton=["nosetail"])


def test_bodypart_colors_naming_missing_keypoint():
    rng = np.random.default_rng(43)
    data = {"nose": _inside(rng, 4), "tail": _inside(rng, 4)}
    with pytest.raises(
        ValueError,
        match=r"BodypartOverlay colors names keypoint\(s\) that do not exist: \['tial'\]\. "
        r"Available: \['nose', 'tail'\]\.\nDid you mean 'tail' instead of 'tial'\?",
    ):
        BodypartOverlay(data, colors={"tial": "red"})


# -------------------------------------------------------------------- bounds
def _oob_positions(rng: np.random.Generator, n: int, n_out: int) -> np.ndarray:
    pos = _inside(rng, n)
    pos[:n_out, 0] = 500.0  # 5 m instead of 5 m in cm: a unit mix-up
    return pos


def _assert_oob_warning(msg: str, name: str, n_out: int, n: int) -> None:
    """Documented first line (percentage, count), the overlay's name and WHY / HOW."""
    first = (
        f"{n_out * 100 / n:.1f}% of overlay points ({n_out} / {n}) are outside environment bounds."
    )
    assert msg.splitlines()[0] == first, msg
    assert f"\n  Overlay: {name!r}\n" in msg, msg
    assert "mm vs cm" in msg, msg
    _has_what_why_how(msg, 3)


def test_out_of_bounds_warning_above_threshold():
    rng = np.random.default_rng(50)
    env = _env2d(rng)
    n = 100
    n_out = int(round(OUT_OF_BOUNDS_WARN_FRACTION * n)) + 3
    pos = _oob_positions(rng, n, n_out)
    (x0, x1), (y0, y1) = env.dimension_ranges
    with pytest.warns(
        UserWarning, match=rf"^{n_out * 100 / n:.1f}% of overlay points \({n_out} / {n}\)"
    ) as record:
        build_scene(env, _fields(rng, env, n), overlays=PositionOverlay(pos))
    assert len(record) == 1
    msg = str(record[0].message)
    _assert_oob_warning(msg, "position", n_out, n)
    assert f"\n  Environment x range: [{x0:.2f}, {x1:.2f}] cm\n" in msg
    assert f"\n  Environment y range: [{y0:.2f}, {y1:.2f}] cm\n" in msg
    assert f"\n  Overlay x range: [{pos[:, 0].min():.2f}, 500.00] cm\n" in msg
    assert f"\n  Overlay y range: [{pos[:, 1].min():.2f}, {pos[:, 1].max():.2f}] cm\n" in msg
    assert record[0].filename == __file__


def test_out_of_bounds_no_warning_at_or_below_threshold():
    rng = np.random.default_rng(51)
    env = _env2d(rng)
    n = 200
    at_threshold = int(round(OUT_OF_BOUNDS_WARN_FRACTION * n))
    for n_out in (0, 1, at_threshold - 1, at_threshold):  # up to exactly the threshold
        pos = _oob_positions(rng, n, n_out)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            build_scene(env, _fields(rng, env, n), overlays=PositionOverlay(pos))


def test_out_of_bounds_warning_one_sample_past_threshold():
    rng = np.random.default_rng(52)
    env = _env2d(rng)
    n = 200
    n_out = int(round(OUT_OF_BOUNDS_WARN_FRACTION * n)) + 1
    with pytest.warns(UserWarning, match=r"\n  Overlay: 'position'\n") as record:
        build_scene(
            env, _fields(rng, env, n), overlays=PositionOverlay(_oob_positions(rng, n, n_out))
        )
    _assert_oob_warning(str(record[0].message), "position", n_out, n)


def test_out_of_bounds_warning_bodypart_counts_keypoint_samples():
    rng = np.random.default_rng(53)
    env = _env2d(rng)
    nose = _inside(rng, 10)
    tail = _inside(rng, 10)
    tail[:, 1] = -300.0  # all tail samples out: 10 of 20 keypoint samples
    with pytest.warns(UserWarning, match=r"^50\.0% of overlay points \(10 / 20\)") as record:
        build_scene(
            env, _fields(rng, env, 10), overlays=BodypartOverlay({"nose": nose, "tail": tail})
        )
    msg = str(record[0].message)
    _assert_oob_warning(msg, "bodypart", 10, 20)
    assert "\n  Overlay y range: [-300.00, " in msg
    assert record[0].filename == __file__


# ------------------------------------------------------------------ lengths
def test_position_times_length_mismatch():
    rng = np.random.default_rng(60)
    with pytest.raises(
        ValueError, match=r"PositionOverlay times has 9 timestamps but the data has 10 samples\."
    ) as exc:
        PositionOverlay(_inside(rng, 10), times=np.arange(9.0))
    _has_what_why_how(str(exc.value), 2)


def test_head_direction_times_length_mismatch():
    rng = np.random.default_rng(61)
    with pytest.raises(
        ValueError, match=r"HeadDirectionOverlay times has 6 timestamps but the data has 4 samples"
    ):
        HeadDirectionOverlay(rng.uniform(-1, 1, 4), times=np.arange(6.0))


def test_bodypart_shared_times_length_mismatch():
    rng = np.random.default_rng(62)
    with pytest.raises(
        ValueError, match=r"BodypartOverlay times has 3 timestamps but the data has 5 samples"
    ):
        BodypartOverlay({"nose": _inside(rng, 5), "tail": _inside(rng, 5)}, times=[0.0, 1.0, 2.0])


def test_overlay_without_times_must_match_n_frames():
    rng = np.random.default_rng(63)
    env = _env2d(rng)
    with pytest.raises(
        ValueError, match=r"PositionOverlay has 7 samples and no times, but there are 5 frames\."
    ) as exc:
        build_scene(env, _fields(rng, env, 5), overlays=PositionOverlay(_inside(rng, 7)))
    msg = str(exc.value)
    assert "2. Resample the overlay to 5 samples, one per frame." in msg
    _has_what_why_how(msg, 2)


def test_head_direction_without_times_must_match_n_frames():
    rng = np.random.default_rng(64)
    env = _env2d(rng)
    with pytest.raises(
        ValueError, match=r"HeadDirectionOverlay has 3 samples and no times, but there are 8 frames"
    ):
        build_scene(env, _fields(rng, env, 8), overlays=HeadDirectionOverlay(rng.uniform(-1, 1, 3)))


def test_frame_times_wrong_length_build_scene():
    rng = np.random.default_rng(65)
    env = _env2d(rng)
    with pytest.raises(
        ValueError, match=r"frame_times has 4 entries but fields has 6 frames\."
    ) as exc:
        build_scene(env, _fields(rng, env, 6), frame_times=np.arange(4.0))
    _has_what_why_how(str(exc.value), 2)


def test_frame_times_wrong_length_align_scene():
    rng = np.random.default_rng(66)
    env = _env2d(rng)
    scene = build_scene(env, _fields(rng, env, 6))
    with pytest.raises(ValueError, match=r"frame_times has 7 entries but the scene has 6 frames\."):
        align_scene(scene, frame_times=np.arange(7.0))


def test_frame_times_not_1d():
    rng = np.random.default_rng(67)
    env = _env2d(rng)
    with pytest.raises(
        ValueError, match=r"frame_times must be 1D \(one timestamp per sample\), got shape \(3, 2\)"
    ):
        build_scene(env, _fields(rng, env, 6), frame_times=np.arange(6.0).reshape(3, 2))


# -------------------------------------------------------------------- fields
def test_fields_n_bins_mismatch():
    rng = np.random.default_rng(70)
    env = _env2d(rng)
    bad = rng.random((3, env.n_bins - 1))
    with pytest.raises(
        ValueError,
        match=rf"fields has {env.n_bins - 1} values per frame but the environment has "
        rf"{env.n_bins} active bins \(fields shape \(3, {env.n_bins - 1}\)\)\.",
    ) as exc:
        build_scene(env, bad)
    assert "Check for a transposed array" in str(exc.value)


def test_fields_wrong_ndim_suggests_time_axis():
    rng = np.random.default_rng(71)
    env = _env2d(rng)
    with pytest.raises(
        ValueError,
        match=rf"fields has shape \({env.n_bins},\); expected \(n_frames, n_bins\) = \(n_frames, {env.n_bins}\)",
    ) as exc:
        build_scene(env, rng.random(env.n_bins))
    assert "fields[None, :]" in str(exc.value)


def test_fields_empty_list():
    rng = np.random.default_rng(72)
    env = _env2d(rng)
    with pytest.raises(ValueError, match=r"fields is empty: no frames to animate\.") as exc:
        build_scene(env, [])
    assert "n_frames >= 1" in str(exc.value)


def test_fields_zero_size_arrays():
    rng = np.random.default_rng(73)
    env = _env2d(rng)
    for empty in (np.zeros((0, env.n_bins)), np.array([]), np.zeros((0, 0))):
        with pytest.raises(ValueError, match=r"^fields is empty: no frames to animate\."):
            build_scene(env, empty)


def test_fields_list_of_different_shapes():
    rng = np.random.default_rng(74)
    env = _env2d(rng)
    frames = [rng.random(env.n_bins), rng.random(env.n_bins - 2)]
    with pytest.raises(
        ValueError,
        match=rf"different shapes \[\({env.n_bins - 2},\), \({env.n_bins},\)\]; every frame must have shape \({env.n_bins},\)",
    ):
        build_scene(env, frames)


def test_fields_non_numeric():
    rng = np.random.default_rng(75)
    env = _env2d(rng)
    strings = np.array([["a"] * env.n_bins] * 2)
    with pytest.raises(TypeError, match=r"fields must be real numbers, got dtype <U1\."):
        build_scene(env, strings)
    objects = rng.random((2, env.n_bins)).astype(object)
    with pytest.raises(TypeError, match=r"fields must be real numbers, got dtype object\."):
        build_scene(env, objects)


# ---------------------------------------------------------- non-numeric overlays
def test_position_non_numeric_data():
    rng = np.random.default_rng(80)
    data = rng.uniform(0, 100, (3, 2)).astype(str)
    with pytest.raises(
        TypeError,
        match=r"PositionOverlay data must be numeric, got an array of dtype <U\d+ \(shape \(3, 2\)\)",
    ) as exc:
        PositionOverlay(data)
    assert "np.asarray(data, dtype=float)" in str(exc.value)
    _has_what_why_how(str(exc.value), 2)


def test_position_object_data_with_none():
    with pytest.raises(
        TypeError,
        match=r"PositionOverlay data must be numeric, got an array of dtype object \(shape \(2, 2\)\)",
    ):
        PositionOverlay([[1.0, None], [2.0, 3.0]])


def test_head_direction_and_bodypart_non_numeric_data():
    rng = np.random.default_rng(81)
    with pytest.raises(
        TypeError, match=r"HeadDirectionOverlay data must be numeric, got an array of dtype <U"
    ):
        HeadDirectionOverlay(["north", "east"])
    with pytest.raises(TypeError, match=r"BodypartOverlay data\['tail'\] must be numeric"):
        BodypartOverlay({"nose": _inside(rng, 2), "tail": [["a", "b"], ["c", "d"]]})


def test_non_numeric_times():
    rng = np.random.default_rng(82)
    with pytest.raises(
        TypeError,
        match=r"PositionOverlay times must be numeric, got an array of dtype <U\d+ \(shape \(3,\)\)",
    ):
        PositionOverlay(_inside(rng, 3), times=["0s", "1s", "2s"])


# ------------------------------------------------------------------- colours
def test_unknown_position_colour_suggests_close_name():
    rng = np.random.default_rng(90)
    with pytest.raises(
        ValueError, match=r"PositionOverlay color='redd' is not a colour\. Did you mean: 'red'"
    ) as exc:
        PositionOverlay(_inside(rng, 3), color="redd")
    assert "'#1f77b4'" in str(exc.value)
    _has_what_why_how(str(exc.value), 2)


def test_unknown_colours_in_other_overlays():
    rng = np.random.default_rng(91)
    with pytest.raises(
        ValueError,
        match=r"HeadDirectionOverlay color='yelow' is not a colour\. Did you mean: 'yellow'",
    ):
        HeadDirectionOverlay(rng.uniform(-1, 1, 3), color="yelow")
    data = {"nose": _inside(rng, 3), "tail": _inside(rng, 3)}
    with pytest.raises(
        ValueError,
        match=r"BodypartOverlay skeleton_color='whte' is not a colour\. Did you mean: .*'white'",
    ):
        BodypartOverlay(data, skeleton_color="whte")
    with pytest.raises(
        ValueError,
        match=r"BodypartOverlay colors\['nose'\]='bleu' is not a colour\. Did you mean: .*'blue'",
    ):
        BodypartOverlay(data, colors={"nose": "bleu"})


def test_invalid_colour_tuple_has_no_suggestion():
    rng = np.random.default_rng(92)
    with pytest.raises(
        ValueError, match=r"PositionOverlay color=\(2\.0, 0\.0, 0\.0\) is not a colour\.\n"
    ) as exc:
        PositionOverlay(_inside(rng, 3), color=(2.0, 0.0, 0.0))
    assert "Did you mean" not in str(exc.value)


# --------------------------------------------------------- sizes and lengths
@pytest.mark.parametrize("size", [0, -1.5, float("nan"), True])
def test_non_positive_position_size(size):
    rng = np.random.default_rng(100)
    with pytest.raises(
        ValueError,
        match=rf"PositionOverlay size must be a positive number, got {re.escape(repr(size))}\.",
    ) as exc:
        PositionOverlay(_inside(rng, 3), size=size)
    assert "diameter in points" in str(exc.value) and "size=10.0" in str(exc.value)


def test_non_positive_head_direction_length_and_skeleton_width():
    rng = np.random.default_rng(101)
    with pytest.raises(
        ValueError, match=r"HeadDirectionOverlay length must be a positive number, got -5\.0\."
    ) as exc:
        HeadDirectionOverlay(rng.uniform(-1, 1, 3), length=-5.0)
    assert "environment units" in str(exc.value) and "length=10.0" in str(exc.value)
    with pytest.raises(
        ValueError, match=r"BodypartOverlay skeleton_width must be a positive number, got 0\."
    ) as exc:
        BodypartOverlay({"nose": _inside(rng, 3)}, skeleton_width=0)
    assert "in points" in str(exc.value) and "skeleton_width=2.0" in str(exc.value)


@pytest.mark.parametrize("trail_length", [0, 1.5, -3])
def test_bad_trail_length(trail_length):
    rng = np.random.default_rng(102)
    with pytest.raises(
        ValueError,
        match=rf"PositionOverlay trail_length must be a positive integer or None, got {re.escape(repr(trail_length))}\.",
    ) as exc:
        PositionOverlay(_inside(rng, 3), trail_length=trail_length)
    assert "past frames" in str(exc.value) and "trail_length=10" in str(exc.value)


def test_integral_float_trail_length_is_accepted_as_int():
    rng = np.random.default_rng(103)
    overlay = PositionOverlay(_inside(rng, 3), trail_length=4.0)
    assert overlay.trail_length == 4 and isinstance(overlay.trail_length, int)


def test_non_positive_fps():
    rng = np.random.default_rng(104)
    env = _env2d(rng)
    with pytest.raises(ValueError, match=r"fps must be a positive number, got 0\."):
        build_scene(env, _fields(rng, env, 3), fps=0)


# ------------------------------------------------------------- scene styling
def test_unknown_cmap_suggests_close_names():
    rng = np.random.default_rng(110)
    env = _env2d(rng)
    with pytest.raises(
        ValueError,
        match=r"cmap='virdis' is not a registered matplotlib colormap name\. Did you mean 'viridis'",
    ) as exc:
        build_scene(env, _fields(rng, env, 3), cmap="virdis")
    assert "'magma'" in str(exc.value)


def test_non_string_cmap():
    rng = np.random.default_rng(111)
    env = _env2d(rng)
    with pytest.raises(
        ValueError, match=r"cmap=3 is not a registered matplotlib colormap name\.\n"
    ) as exc:
        build_scene(env, _fields(rng, env, 3), cmap=3)
    assert "Did you mean" not in str(exc.value)


@pytest.mark.parametrize("alpha", [-0.1, 1.5, float("nan")])
def test_region_alpha_outside_unit_interval(alpha):
    rng = np.random.default_rng(112)
    env = _env2d(rng)
    with pytest.raises(
        ValueError,
        match=rf"region_alpha must be a number in \[0, 1\], got {re.escape(repr(alpha))}\.",
    ):
        build_scene(env, _fields(rng, env, 3), region_alpha=alpha)


def test_show_regions_missing_region_lists_available_and_suggests():
    rng = np.random.default_rng(113)
    env = _env2d(rng)
    env.regions.add("reward", point=(10.0, 20.0))
    env.regions.add("start", point=(90.0, 90.0))
    with pytest.raises(
        ValueError,
        match=r"show_regions names region\(s\) that do not exist: \['rewrad'\]\. "
        r"Available: \['reward', 'start'\]\.\nDid you mean 'reward' instead of 'rewrad'\?",
    ):
        build_scene(env, _fields(rng, env, 3), show_regions=["start", "rewrad"])


# -------------------------------------------------------------------- regions
def test_region_add_both_point_and_polygon():
    rng = np.random.default_rng(120)
    env = _env2d(rng)
    with pytest.raises(
        ValueError,
        match=r"Region 'goal': got both of point= and polygon=\.\n\nWHY: a region is either",
    ):
        env.regions.add("goal", point=(1.0, 2.0), polygon=[(0, 0), (1, 0), (1, 1)])
    assert "goal" not in env.regions


def test_region_add_neither_point_nor_polygon():
    rng = np.random.default_rng(121)
    env = _env2d(rng)
    with pytest.raises(
        ValueError, match=r"Region 'goal': got neither of point= and polygon=\."
    ) as exc:
        env.regions.add("goal")
    assert "regions.add('reward', point=(10.0, 20.0))" in str(exc.value)


def test_region_add_duplicate_name():
    rng = np.random.default_rng(122)
    env = _env2d(rng)
    env.regions.add("goal", point=(1.0, 2.0))
    with pytest.raises(ValueError, match=r"Region 'goal' already exists \(a point\)\.") as exc:
        env.regions.add("goal", point=(3.0, 4.0))
    assert "del env.regions['goal']" in exc.value.args[0]
    np.testing.assert_array_equal(env.regions["goal"].coords, [1.0, 2.0])


def test_region_polygon_in_1d_environment():
    rng = np.random.default_rng(123)
    env = _env1d(rng)
    with pytest.raises(
        ValueError, match=r"Region 'arm': polygon regions need a 2D environment, this one is 1D\."
    ) as exc:
        env.regions.add("arm", polygon=[(0, 0), (10, 0), (10, 5)])
    assert "\n  1. Use point= for a location" in str(exc.value)


def test_region_point_with_wrong_dimensions():
    rng = np.random.default_rng(124)
    env = _env2d(rng)
    with pytest.raises(
        ValueError, match=r"Region 'a': point \[1, 2, 3\] is not 2 finite coordinates\."
    ):
        env.regions.add("a", point=(1, 2, 3))


# ---------------------------------------------------------------- subsampling
def test_subsample_target_fps_above_source():
    rng = np.random.default_rng(130)
    frames = rng.random((10, 4))
    with pytest.raises(ValueError, match=r"target_fps=60 is higher than source_fps=30\.") as exc:
        subsample_frames(frames, source_fps=30, target_fps=60)
    msg = str(exc.value)
    assert "1. Use target_fps <= 30." in msg
    _has_what_why_how(msg, 2)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("source_fps", {"source_fps": 0, "target_fps": 10}),
        ("target_fps", {"source_fps": 30, "target_fps": -1.0}),
    ],
)
def test_subsample_non_positive_fps(name, kwargs):
    rng = np.random.default_rng(131)
    with pytest.raises(
        ValueError, match=rf"{name} must be a positive number, got {kwargs[name]!r}\."
    ):
        subsample_frames(rng.random((10, 4)), **kwargs)


# ------------------------------------------------- documented first lines (reference page)
def _frames_uint8(n: int = 3) -> np.ndarray:
    return np.zeros((n, 12, 16, 3), dtype=np.uint8)


def _doc_non_monotonic(rng, tmp_path):
    PositionOverlay(_inside(rng, 3), times=[0.0, 1.0, 1.0])


def _doc_nan(rng, tmp_path):
    data = _inside(rng, 4)
    data[1] = np.nan
    PositionOverlay(data)


def _doc_shape_in_scene(rng, tmp_path):
    env = _env2d(rng)
    build_scene(env, _fields(rng, env, 4), overlays=PositionOverlay(_inside(rng, 4, 3)))


def _doc_shape_position(rng, tmp_path):
    PositionOverlay(np.zeros((4, 5)))


def _doc_shape_bodypart(rng, tmp_path):
    BodypartOverlay({"nose": np.zeros((4, 2)), "tail": np.zeros((4, 2, 2))})


def _doc_shape_head_direction(rng, tmp_path):
    HeadDirectionOverlay(np.zeros((4, 5)))


def _doc_no_overlap(rng, tmp_path):
    env = _env2d(rng)
    overlay = PositionOverlay(_inside(rng, 3), times=[10.5, 20.0, 25.3])
    build_scene(env, _fields(rng, env, 4), overlays=overlay, frame_times=[0.0, 3.0, 6.0, 8.7])


def _doc_skeleton(rng, tmp_path):
    data = {"nose": _inside(rng, 3), "ear_right": _inside(rng, 3), "tail_base": _inside(rng, 3)}
    BodypartOverlay(data, skeleton=[("nose", "ear_left"), ("nose", "tail_base")])


def _doc_pickle(rng, tmp_path):
    # Lazy fields are loaded before pickling (window by window); what cannot be
    # pickled is then what the scene itself holds, here a lock in its attrs.
    env = _env2d(rng)
    scene = build_scene(env, _fields(rng, env, 6))
    scene["fields"].attrs["lock"] = threading.Lock()
    animate(scene, save_path=tmp_path / "p.mp4", n_workers=2, progress=False)


def _doc_video_1d(rng, tmp_path):
    env = _env1d(rng)
    build_scene(env, _fields(rng, env, 3), overlays=VideoOverlay(_frames_uint8(3)))


@pytest.mark.parametrize(
    ("trigger", "first_line", "details", "n_how"),
    [
        (
            _doc_non_monotonic,
            "Overlay timestamps are not monotonically increasing.",
            ["  PositionOverlay times: 1 violation(s)", "PositionOverlay times[1] = 1.0, then"],
            3,
        ),
        (
            _doc_nan,
            "Found 2 NaN/Inf values in overlay data at indices: [1].",
            ["  First invalid value at index 1: [nan, nan]"],
            3,
        ),
        (
            _doc_shape_in_scene,
            "Overlay data has incorrect shape.",
            [
                "  Expected: (n_samples, 2) for 2D environment",
                "  Got: (4, 3) in overlay 'position'",
            ],
            3,
        ),
        (
            _doc_shape_position,
            "Overlay data has incorrect shape.",
            [
                "  Expected: (n_samples, n_dims) with n_dims 1, 2 or 3",
                "  Got: (4, 5) in PositionOverlay",
            ],
            2,
        ),
        (
            _doc_shape_bodypart,
            "Overlay data has incorrect shape.",
            ["  Got: (4, 2, 2) in BodypartOverlay data['tail']"],
            2,
        ),
        (
            _doc_shape_head_direction,
            "Overlay data has incorrect shape.",
            ["  Got: (4, 5) in HeadDirectionOverlay data"],
            2,
        ),
        (
            _doc_no_overlap,
            "No temporal overlap between overlay and frames.",
            [
                "  Overlay: 'position'",
                "  Overlay time range: [10.500, 25.300] seconds",
                "  Frame time range: [0.000, 8.700] seconds",
                "  Overlap: 0.0%",
            ],
            3,
        ),
        (
            _doc_skeleton,
            "Skeleton references bodyparts not in data.",
            [
                "  Missing: ['ear_left']",
                "  Available: ['ear_right', 'nose', 'tail_base']",
                "  Did you mean 'ear_right' instead of 'ear_left'?",
            ],
            3,
        ),
        (
            _doc_pickle,
            "overlay_data is not pickle-able for parallel rendering.",
            ["n_workers=2", "TypeError"],
            3,
        ),
        (
            _doc_video_1d,
            "VideoOverlay requires 2D environment.",
            ["  Overlay 'video' was given a 1D environment"],
            2,
        ),
    ],
    ids=lambda v: v.__name__.removeprefix("_doc_") if callable(v) else None,
)
def test_documented_error_keeps_its_first_line(trigger, first_line, details, n_how, tmp_path):
    rng = np.random.default_rng(200)
    with pytest.raises(ValueError) as exc:
        trigger(rng, tmp_path)
    msg = str(exc.value)
    lines = msg.splitlines()
    assert lines[0] == first_line, msg
    assert lines[1].startswith("  "), msg  # our details follow on indented lines
    for detail in details:
        assert detail in msg, msg
    assert msg.index("\n\nWHY: ") < msg.index("\n\nHOW:\n")
    _has_what_why_how(msg, n_how)


def _doc_limited_overlap(rng):
    env = _env2d(rng)
    overlay = PositionOverlay(_inside(rng, 4), times=[0.0, 5.0, 10.0, 15.0])
    build_scene(env, _fields(rng, env, 4), overlays=overlay, frame_times=[10.0, 15.0, 20.0, 25.0])


def _doc_out_of_bounds(rng):
    env = _env2d(rng)
    build_scene(env, _fields(rng, env, 100), overlays=PositionOverlay(_oob_positions(rng, 100, 20)))


@pytest.mark.parametrize(
    ("trigger", "first_line", "details", "n_how"),
    [
        (
            _doc_limited_overlap,
            "Limited temporal overlap between overlay and frames.",
            [
                "  Overlay: 'position'",
                "  Overlay time range: [0.000, 15.000] seconds",
                "  Frame time range: [10.000, 25.000] seconds",
                "  Overlap: 33.3% (5.00 / 15.00 seconds)",
            ],
            2,
        ),
        (
            _doc_out_of_bounds,
            "20.0% of overlay points (20 / 100) are outside environment bounds.",
            ["  Overlay: 'position'", "  Environment x range: [", "  Overlay x range: ["],
            3,
        ),
    ],
    ids=lambda v: v.__name__.removeprefix("_doc_") if callable(v) else None,
)
def test_documented_warning_keeps_its_first_line(trigger, first_line, details, n_how):
    rng = np.random.default_rng(201)
    with pytest.warns(UserWarning) as record:
        trigger(rng)
    assert len(record) == 1
    msg = str(record[0].message)
    assert msg.splitlines()[0] == first_line, msg
    for detail in details:
        assert f"\n{detail}" in msg, msg
    _has_what_why_how(msg, n_how)
    assert record[0].filename == __file__


# ------------------------------------------------ every user-facing raise: WHAT / WHY / HOW
def _two_keypoints(rng: np.random.Generator, n: int = 4) -> dict[str, np.ndarray]:
    return {"nose": _inside(rng, n), "tail": _inside(rng, n)}


_RAISES = {
    # scene
    "overlays_not_overlay_objects": (
        TypeError,
        "got ndarray",
        lambda rng, env: build_scene(env, _fields(rng, env, 3), overlays=[np.zeros((3, 2))]),
    ),
    "fields_dataarray_dims": (
        ValueError,
        "has dims ('bin', 'time')",
        lambda rng, env: build_scene(
            env, xr.DataArray(_fields(rng, env, 3).T, dims=("bin", "time"))
        ),
    ),
    "fields_list_shapes": (
        ValueError,
        "frame 2 has (3,)",
        lambda rng, env: build_scene(
            env, [_fields(rng, env, 1)[0], _fields(rng, env, 1)[0], np.zeros(3)]
        ),
    ),
    "cmap_unknown": (
        ValueError,
        "cmap='virdis'",
        lambda rng, env: build_scene(env, _fields(rng, env, 3), cmap="virdis"),
    ),
    "frame_times_not_1d": (
        ValueError,
        "got shape (3, 2)",
        lambda rng, env: build_scene(
            env, _fields(rng, env, 6), frame_times=np.arange(6.0).reshape(3, 2)
        ),
    ),
    # overlays
    "bodypart_data_not_dict": (
        TypeError,
        "got list",
        lambda rng, env: BodypartOverlay([_inside(rng, 3)]),
    ),
    "bodypart_data_empty": (
        TypeError,
        "got an empty dict",
        lambda rng, env: BodypartOverlay({}),
    ),
    "bodypart_different_dims": (
        ValueError,
        "{'nose': (4, 2), 'tail': (4, 3)}",
        lambda rng, env: BodypartOverlay({"nose": _inside(rng, 4), "tail": _inside(rng, 4, 3)}),
    ),
    "bodypart_colors_not_dict": (
        TypeError,
        "got list",
        lambda rng, env: BodypartOverlay(_two_keypoints(rng), colors=["red", "blue"]),
    ),
    "bodypart_lengths_without_times": (
        ValueError,
        "{'nose': 4, 'tail': 3}",
        lambda rng, env: BodypartOverlay({"nose": _inside(rng, 4), "tail": _inside(rng, 3)}),
    ),
    "bodypart_lengths_shared_times": (
        ValueError,
        "share one times vector of 4",
        lambda rng, env: BodypartOverlay(
            {"nose": _inside(rng, 4), "tail": _inside(rng, 3)}, times=np.arange(4.0)
        ),
    ),
    "bodypart_edge_not_pair": (
        ValueError,
        "edge ('nose', 'tail', 'nose')",
        lambda rng, env: BodypartOverlay(_two_keypoints(rng), skeleton=[("nose", "tail", "nose")]),
    ),
    "head_direction_zero_vector": (
        ValueError,
        "2 zero-length vector(s), first at indices [1, 3]",
        lambda rng, env: HeadDirectionOverlay(
            np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
        ),
    ),
    "video_source_not_4d": (
        ValueError,
        "shape (12, 16, 3)",
        lambda rng, env: VideoOverlay(da.zeros((12, 16, 3), dtype=np.uint8)),
    ),
    "video_calibration_type": (
        TypeError,
        "got dict",
        lambda rng, env: VideoOverlay(_frames_uint8(), calibration={"scale": 2.0}),
    ),
    "video_crop_smaller_than_downsample": (
        ValueError,
        "crop (0, 0, 2, 3) (2x3 pixels) is smaller than downsample=4",
        lambda rng, env: VideoOverlay(_frames_uint8(), crop=(0, 0, 2, 3), downsample=4),
    ),
}


@pytest.mark.parametrize("case", sorted(_RAISES))
def test_converted_raise_has_what_why_how_and_names_the_value(case):
    error, fragment, trigger = _RAISES[case]
    rng = np.random.default_rng(210)
    env = _env2d(rng)
    with pytest.raises(error) as exc:
        trigger(rng, env)
    msg = str(exc.value)
    assert fragment in msg.split("\n\nWHY: ")[0], msg
    assert "\n\nWHY: " in msg and "\n\nHOW:\n  1. " in msg, msg
