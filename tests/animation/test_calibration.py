"""Video calibration: `VideoCalibration` and `calibrate_video`."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from neurospatial import Environment
from neurospatial.animation import Affine2D, VideoCalibration, calibrate_video
from neurospatial.animation.calibration import RESIDUAL_WARN_FRACTION

RECORDING = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "openfield_m3v1.mp4"


def _env(lo: tuple[float, float], hi: tuple[float, float], bin_size: float = 2.0) -> Environment:
    """Fully active grid around the box [lo, hi] (edges centred on the box)."""
    corners = np.array([lo, hi], dtype=float)
    return Environment.from_samples(corners, bin_size=bin_size, infer_active_bins=False)


def _frames(width: int = 64, height: int = 48, n_frames: int = 2) -> np.ndarray:
    return np.zeros((n_frames, height, width, 3), dtype=np.uint8)


def _rotation(theta: float) -> Affine2D:
    c, s = np.cos(theta), np.sin(theta)
    return Affine2D(np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]))


def _true_px_to_cm(sx: float = 0.2, sy: float = 0.2, theta: float = 0.1) -> Affine2D:
    """Pixel -> world for a 640x480 video: scale, y flip, small rotation, offset."""
    return Affine2D.translation(-10.0, 100.0) @ _rotation(theta) @ Affine2D.scale(sx, -sy)


def _rms(transform: Affine2D, px: np.ndarray, world: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.sum((transform(px) - world) ** 2, axis=1))))


def _has_what_why_how(message: str) -> None:
    assert "\n\nWHY: " in message
    assert "\n\nHOW:\n  1. " in message


def _write_video(path: Path, width: int, height: int, n_frames: int) -> None:
    import imageio_ffmpeg

    writer = imageio_ffmpeg.write_frames(str(path), (width, height), macro_block_size=1)
    writer.send(None)
    rng = np.random.default_rng(0)
    for _ in range(n_frames):
        writer.send(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
    writer.close()


# -------------------------------------------------------------- VideoCalibration
def test_video_calibration_properties_dict_json_and_pickle():
    rng = np.random.default_rng(4)
    transform = _true_px_to_cm(sx=0.25, sy=0.25, theta=0.3)
    calibration = VideoCalibration(transform, (640, 480), rms_residual=0.01)
    np.testing.assert_allclose(calibration.cm_per_px, 0.25)
    px = rng.uniform(0, 640, size=(10, 2))
    np.testing.assert_allclose(calibration.transform_cm_to_px(transform(px)), px, atol=1e-9)

    data = json.loads(json.dumps(calibration.to_dict()))
    assert data == calibration.to_dict()
    assert data["frame_size_px"] == [640, 480]
    assert data["rms_residual"] == 0.01
    assert VideoCalibration.from_dict(data) == calibration
    assert pickle.loads(pickle.dumps(calibration)) == calibration

    no_rms = VideoCalibration(transform, (640, 480))
    assert VideoCalibration.from_dict(no_rms.to_dict()) == no_rms
    assert no_rms.to_dict()["rms_residual"] is None


def test_video_calibration_validates_fields():
    with pytest.raises(TypeError, match="must be an Affine2D, got ndarray"):
        VideoCalibration(np.eye(3), (64, 48))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="singular"):
        VideoCalibration(Affine2D.scale(0.0), (64, 48))
    with pytest.raises(ValueError, match=r"positive integers, got \(64, 0\)"):
        VideoCalibration(Affine2D.identity(), (64, 0))
    with pytest.raises(ValueError, match="rms_residual must be finite and >= 0"):
        VideoCalibration(Affine2D.identity(), (64, 48), rms_residual=-1.0)
    with pytest.raises(ValueError, match=r"missing key\(s\) \['frame_size_px'\]") as info:
        VideoCalibration.from_dict({"transform_px_to_cm": np.eye(3).tolist()})
    _has_what_why_how(str(info.value))


# ------------------------------------------------------------- calibrate_video
def test_scale_bar_8px_is_4cm_gives_half_cm_per_px_and_y_flip():
    env = _env((2.0, 2.0), (30.0, 22.0))  # ranges [1, 31] x [1, 23]; video covers 32 x 24
    calibration = calibrate_video(_frames(64, 48), env, scale_bar=((10, 20), (18, 20), 4.0))
    assert calibration.cm_per_px == 0.5
    assert calibration.frame_size_px == (64, 48)
    assert calibration.rms_residual is None
    t = calibration.transform_px_to_cm  # pixel centres at integers: corners at -0.5
    np.testing.assert_allclose(t(np.array([-0.5, -0.5])), [0.0, 48 * 0.5])  # top-left
    np.testing.assert_allclose(t(np.array([-0.5, 47.5])), [0.0, 0.0])  # bottom-left
    np.testing.assert_allclose(t(np.array([63.5, -0.5])), [32.0, 24.0])  # top-right
    np.testing.assert_allclose(t(np.array([0.0, 0.0])), [0.25, 23.75])  # centre of pixel (0, 0)
    # A diagonal bar gives the same scale: only its length matters.
    diagonal = calibrate_video(_frames(64, 48), env, scale_bar=((0, 0), (6, 8), 5.0))
    assert diagonal.cm_per_px == 0.5


def test_cm_per_px_method_matches_scale_bar():
    env = _env((2.0, 2.0), (30.0, 22.0))
    calibration = calibrate_video(_frames(64, 48), env, cm_per_px=0.5)
    bar = calibrate_video(_frames(64, 48), env, scale_bar=((10, 20), (18, 20), 4.0))
    assert calibration == bar
    np.testing.assert_allclose(calibration.transform_px_to_cm([-0.5, -0.5]), [0.0, 48 * 0.5])
    np.testing.assert_allclose(calibration.transform_cm_to_px([0.0, 0.0]), [-0.5, 47.5])


@pytest.mark.filterwarnings("ignore:Environment bounds extend beyond:UserWarning")  # rotated frames
def test_px_to_cm_to_px_is_identity():
    rng = np.random.default_rng(5)
    env = _env((10.0, 10.0), (90.0, 70.0))
    true = _true_px_to_cm()
    px = rng.uniform(20, 620, size=(6, 2))
    calibration = calibrate_video(_frames(640, 480), env, landmarks_px=px, landmarks_env=true(px))
    points = rng.uniform(0, 640, size=(100, 2))
    round_trip = calibration.transform_cm_to_px(calibration.transform_px_to_cm(points))
    np.testing.assert_allclose(round_trip, points, atol=1e-9)


@pytest.mark.parametrize("fit", ["affine", "similarity"])
@pytest.mark.filterwarnings("ignore:Environment bounds extend beyond:UserWarning")  # rotated frames
@pytest.mark.parametrize("flip", [True, False], ids=["y-flip", "no-flip"])
def test_landmarks_recover_exact_rotation_scale_translation(fit, flip):
    rng = np.random.default_rng(6)
    env = _env((10.0, 10.0), (90.0, 70.0))
    true = _true_px_to_cm(sx=0.2, sy=0.2, theta=0.15)
    if not flip:  # world y grows with pixel row: a proper rotation, no reflection
        true = Affine2D.translation(-10.0, 0.0) @ _rotation(0.15) @ Affine2D.scale(0.2)
    px = rng.uniform(20, 620, size=(8, 2))
    world = true(px)
    expected_world = world.copy()
    calibration = calibrate_video(
        _frames(640, 480), env, landmarks_px=px, landmarks_env=world, landmark_fit=fit
    )
    np.testing.assert_allclose(calibration.transform_px_to_cm.matrix, true.matrix, atol=1e-9)
    assert calibration.rms_residual is not None
    assert calibration.rms_residual < 1e-9
    np.testing.assert_allclose(calibration.cm_per_px, 0.2)
    np.testing.assert_array_equal(world, expected_world)  # inputs are not modified


@pytest.mark.parametrize("fit", ["affine", "similarity"])
def test_landmarks_with_noise_report_the_actual_rms_residual(fit):
    rng = np.random.default_rng(7)
    env = _env((10.0, 10.0), (90.0, 70.0))
    true = _true_px_to_cm(theta=-0.2)
    px = rng.uniform(20, 620, size=(12, 2))
    world = true(px) + rng.normal(0.0, 0.1, size=(12, 2))
    calibration = calibrate_video(
        _frames(640, 480), env, landmarks_px=px, landmarks_env=world, landmark_fit=fit
    )
    actual = _rms(calibration.transform_px_to_cm, px, world)
    assert calibration.rms_residual == pytest.approx(actual, rel=1e-12)
    assert 0.0 < calibration.rms_residual < 0.2
    # least squares: no worse than the true transform on the same data
    assert calibration.rms_residual <= _rms(true, px, world) + 1e-12
    if fit == "similarity":  # linear part is scale * orthogonal
        linear = calibration.transform_px_to_cm.linear
        np.testing.assert_allclose(
            linear @ linear.T, calibration.cm_per_px**2 * np.eye(2), atol=1e-15
        )
    corners = np.array([[0.0, 0.0], [640.0, 0.0], [0.0, 480.0], [640.0, 480.0]])
    np.testing.assert_allclose(calibration.transform_px_to_cm(corners), true(corners), atol=0.3)


def test_non_uniform_scale_is_recovered_by_affine_but_not_similarity():
    rng = np.random.default_rng(8)
    env = _env((10.0, 10.0), (90.0, 70.0))
    true = _true_px_to_cm(sx=0.2, sy=0.26, theta=0.05)
    px = rng.uniform(20, 620, size=(10, 2))
    px[:, 1] = rng.uniform(20, 460, size=10)
    world = true(px)
    affine = calibrate_video(_frames(640, 480), env, landmarks_px=px, landmarks_env=world)
    np.testing.assert_allclose(affine.transform_px_to_cm.matrix, true.matrix, atol=1e-9)
    assert affine.rms_residual < 1e-9
    with pytest.warns(UserWarning, match="Large landmark fit residual"):
        similarity = calibrate_video(
            _frames(640, 480),
            env,
            landmarks_px=px,
            landmarks_env=world,
            landmark_fit="similarity",
        )
    assert similarity.rms_residual > 1.0
    assert similarity.rms_residual == pytest.approx(
        _rms(similarity.transform_px_to_cm, px, world), rel=1e-12
    )


def test_frame_size_from_video_file_and_arrays(tmp_path):
    path = tmp_path / "small.mp4"
    _write_video(path, 64, 48, 5)
    env = _env((2.0, 2.0), (30.0, 22.0))
    assert calibrate_video(path, env, cm_per_px=0.5).frame_size_px == (64, 48)
    assert calibrate_video(str(path), env, cm_per_px=0.5).frame_size_px == (64, 48)
    assert calibrate_video(_frames(64, 48, 3), env, cm_per_px=0.5).frame_size_px == (64, 48)
    assert calibrate_video(_frames(64, 48)[0], env, cm_per_px=0.5).frame_size_px == (64, 48)


def test_frame_size_from_lazy_array_does_not_load_it():
    class LazyFrames:
        shape = (1000, 48, 64, 3)
        dtype = np.dtype(np.uint8)

        def __array__(self, *args, **kwargs):
            raise AssertionError("frames were loaded")

    env = _env((2.0, 2.0), (30.0, 22.0))
    assert calibrate_video(LazyFrames(), env, cm_per_px=0.5).frame_size_px == (64, 48)


@pytest.mark.skipif(not RECORDING.exists(), reason=f"recording not found at {RECORDING}")
def test_frame_size_of_real_recording():
    env = _env((5.0, 5.0), (60.0, 45.0))
    calibration = calibrate_video(RECORDING, env, cm_per_px=0.1)
    assert calibration.frame_size_px == (640, 480)


# ------------------------------------------------------------------------ errors
def test_missing_video_file_raises_file_not_found(tmp_path):
    env = _env((2.0, 2.0), (30.0, 22.0))
    missing = tmp_path / "nope.mp4"
    with pytest.raises(FileNotFoundError, match="Video file not found") as info:
        calibrate_video(missing, env, cm_per_px=0.5)
    assert "nope.mp4" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"this is not a video" * 50])
def test_corrupt_video_file_raises_value_error_naming_path(tmp_path, content):
    env = _env((2.0, 2.0), (30.0, 22.0))
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="Could not read the frame size of video") as info:
        calibrate_video(path, env, cm_per_px=0.5)
    assert str(path) in str(info.value)
    _has_what_why_how(str(info.value))


def test_truncated_video_file_raises_value_error(tmp_path):
    env = _env((2.0, 2.0), (30.0, 22.0))
    good = tmp_path / "good.mp4"
    _write_video(good, 64, 48, 5)
    bad = tmp_path / "truncated.mp4"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError, match=r"truncated\.mp4"):
        calibrate_video(bad, env, cm_per_px=0.5)


@pytest.mark.parametrize("n_dims", [1, 3])
def test_non_2d_environment_raises(n_dims):
    rng = np.random.default_rng(9)
    env = Environment.from_samples(rng.uniform(0, 10, (50, n_dims)), bin_size=2.0)
    with pytest.raises(ValueError) as info:
        calibrate_video(_frames(), env, cm_per_px=0.5)
    message = str(info.value)
    assert message.splitlines()[0] == "VideoOverlay requires 2D environment."
    assert f"env.n_dims = {n_dims}" in message
    _has_what_why_how(message)


def test_no_method_raises():
    env = _env((2.0, 2.0), (30.0, 22.0))
    with pytest.raises(ValueError, match="none was given") as info:
        calibrate_video(_frames(), env)
    assert "scale_bar" in str(info.value) and "cm_per_px" in str(info.value)
    _has_what_why_how(str(info.value))


def test_several_methods_raise_naming_them():
    env = _env((2.0, 2.0), (30.0, 22.0))
    with pytest.raises(
        ValueError, match=r"several calibration methods: \['scale_bar', 'cm_per_px'\]"
    ) as info:
        calibrate_video(_frames(), env, scale_bar=((0, 0), (8, 0), 4.0), cm_per_px=0.5)
    _has_what_why_how(str(info.value))
    square = [[0, 0], [1, 0], [0, 1]]
    with pytest.raises(ValueError, match=r"\['landmarks_px', 'landmarks_env', 'cm_per_px'\]"):
        calibrate_video(_frames(), env, landmarks_px=square, landmarks_env=square, cm_per_px=0.5)


@pytest.mark.parametrize(
    ("given", "missing"), [("landmarks_px", "landmarks_env"), ("landmarks_env", "landmarks_px")]
)
def test_landmarks_need_both_arrays(given, missing):
    env = _env((2.0, 2.0), (30.0, 22.0))
    with pytest.raises(ValueError, match=f"got {given} without {missing}") as info:
        calibrate_video(_frames(), env, **{given: [[0, 0], [1, 0], [0, 1]]})
    _has_what_why_how(str(info.value))


def test_landmark_count_mismatch_and_too_few():
    env = _env((2.0, 2.0), (30.0, 22.0))
    four = [[0, 0], [10, 0], [0, 10], [10, 10]]
    with pytest.raises(
        ValueError, match="landmarks_px has 4 points but landmarks_env has 3"
    ) as info:
        calibrate_video(_frames(), env, landmarks_px=four, landmarks_env=four[:3])
    _has_what_why_how(str(info.value))
    with pytest.raises(ValueError, match=r"Got 2 landmark\(s\); at least 3 are needed") as info:
        calibrate_video(_frames(), env, landmarks_px=four[:2], landmarks_env=four[:2])
    _has_what_why_how(str(info.value))


def test_landmark_shape_dtype_and_non_finite():
    env = _env((2.0, 2.0), (30.0, 22.0))
    good = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]
    with pytest.raises(
        ValueError, match=r"landmarks_env has shape \(3, 3\); expected \(n_landmarks, 2\)"
    ):
        calibrate_video(_frames(), env, landmarks_px=good, landmarks_env=np.zeros((3, 3)))
    with pytest.raises(TypeError, match="landmarks_px must be numeric"):
        calibrate_video(_frames(), env, landmarks_px=[["a", "b"]] * 3, landmarks_env=good)
    bad = [[0.0, 0.0], [np.nan, 0.0], [0.0, 10.0], [5.0, np.inf]]
    with pytest.raises(
        ValueError, match=r"landmarks_px has 2 non-finite landmark\(s\) at rows \[1, 3\]"
    ) as info:
        calibrate_video(_frames(), env, landmarks_px=bad, landmarks_env=[*good, [5.0, 5.0]])
    _has_what_why_how(str(info.value))


@pytest.mark.parametrize("which", ["landmarks_px", "landmarks_env"])
def test_collinear_landmarks_raise(which):
    env = _env((2.0, 2.0), (30.0, 22.0))
    line = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    spread = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    kwargs = {"landmarks_px": spread, "landmarks_env": spread, which: line}
    with pytest.raises(ValueError, match=f"{which} are collinear or coincide") as info:
        calibrate_video(_frames(), env, **kwargs)
    _has_what_why_how(str(info.value))
    kwargs[which] = np.ones((4, 2))  # all at one point
    with pytest.raises(ValueError, match="collinear or coincide"):
        calibrate_video(_frames(), env, **kwargs)


@pytest.mark.parametrize(
    ("scale_bar", "match"),
    [
        (((0, 0), (8, 0), 0.0), r"scale_bar length must be a positive finite number, got 0.0"),
        (((0, 0), (8, 0), -4.0), r"got -4.0"),
        (((0, 0), (8, 0), np.nan), r"got nan"),
        (
            ((3, 4), (3, 4), 4.0),
            r"end points coincide: both are \[3.0, 4.0\], so the bar is 0 px long",
        ),
        (
            ((0, np.nan), (8, 0), 4.0),
            r"end points must be finite, got \[\[0.0, nan\], \[8.0, 0.0\]\]",
        ),
        (((0, 0), 4.0), r"is not \(\(x1, y1\), \(x2, y2\), length\)"),
        (((0, 0, 0), (8, 0, 0), 4.0), r"is not \(\(x1, y1\), \(x2, y2\), length\)"),
    ],
)
def test_invalid_scale_bar_raises(scale_bar, match):
    env = _env((2.0, 2.0), (30.0, 22.0))
    with pytest.raises(ValueError, match=match) as info:
        calibrate_video(_frames(), env, scale_bar=scale_bar)
    _has_what_why_how(str(info.value))


@pytest.mark.parametrize("value", [0.0, -0.5, np.inf, np.nan, True, "0.5"])
def test_invalid_cm_per_px_raises(value):
    env = _env((2.0, 2.0), (30.0, 22.0))
    with pytest.raises(
        ValueError, match=r"cm_per_px must be a positive finite number, got"
    ) as info:
        calibrate_video(_frames(), env, cm_per_px=value)
    assert repr(value) in str(info.value)
    _has_what_why_how(str(info.value))


def test_unknown_landmark_fit_raises():
    env = _env((2.0, 2.0), (30.0, 22.0))
    square = [[0, 0], [10, 0], [0, 10]]
    with pytest.raises(
        ValueError,
        match=r"landmark_fit='projective' is not a known fit; choose one of \['affine', 'similarity'\]",
    ) as info:
        calibrate_video(
            _frames(), env, landmarks_px=square, landmarks_env=square, landmark_fit="projective"
        )
    _has_what_why_how(str(info.value))


@pytest.mark.parametrize(
    ("source", "error", "match"),
    [
        (
            np.zeros((2, 48, 64, 3), dtype=np.float32),
            TypeError,
            r"dtype uint8, got float32 \(shape \(2, 48, 64, 3\)\)",
        ),
        (
            np.zeros((48, 64), dtype=np.uint8),
            ValueError,
            r"shape \(48, 64\); expected \(n_frames, height, width, 3\)",
        ),
        (np.zeros((2, 48, 64, 4), dtype=np.uint8), ValueError, r"shape \(2, 48, 64, 4\)"),
        (np.zeros((0, 48, 64, 3), dtype=np.uint8), ValueError, r"shape \(0, 48, 64, 3\)"),
        ([[1, 2, 3]], TypeError, r"video path or a frame array, got list"),
    ],
)
def test_invalid_source_raises(source, error, match):
    env = _env((2.0, 2.0), (30.0, 22.0))
    with pytest.raises(error, match=match) as info:
        calibrate_video(source, env, cm_per_px=0.5)
    _has_what_why_how(str(info.value))


# ---------------------------------------------------------------------- warnings
@pytest.mark.filterwarnings("ignore:Environment bounds extend beyond:UserWarning")  # rotated frames
def test_large_residual_warns_with_number_and_rule():
    rng = np.random.default_rng(10)
    env = _env((10.0, 10.0), (90.0, 70.0))
    true = _true_px_to_cm()
    px = rng.uniform(20, 620, size=(6, 2))
    world = true(px)
    world[[0, 1]] = world[[1, 0]]  # two landmarks listed in a different order
    with pytest.warns(UserWarning, match="Large landmark fit residual") as record:
        calibration = calibrate_video(_frames(640, 480), env, landmarks_px=px, landmarks_env=world)
    message = str(record[0].message)
    extent = max(hi - lo for lo, hi in env.dimension_ranges)
    assert f"RMS {calibration.rms_residual:.3g} cm over 6 landmarks" in message
    assert (
        f"exceeds 1% of the environment's larger extent ({RESIDUAL_WARN_FRACTION * extent:.3g} of {extent:.3g} cm)"
        in message
    )
    assert "same order" in message
    assert record[0].filename == __file__  # attributed to the caller's line


@pytest.mark.filterwarnings("ignore:Environment bounds extend beyond:UserWarning")  # rotated frames
def test_small_residual_does_not_warn():
    rng = np.random.default_rng(11)
    env = _env((10.0, 10.0), (90.0, 70.0))
    true = _true_px_to_cm()
    px = rng.uniform(20, 620, size=(6, 2))
    world = true(px) + rng.normal(0.0, 0.05, size=(6, 2))
    calibration = calibrate_video(_frames(640, 480), env, landmarks_px=px, landmarks_env=world)
    extent = max(hi - lo for lo, hi in env.dimension_ranges)
    assert calibration.rms_residual < RESIDUAL_WARN_FRACTION * extent


def test_environment_beyond_video_coverage_warns_with_ranges():
    env = _env((2.0, 2.0), (30.0, 22.0))  # ranges [1, 31] x [1, 23]
    with pytest.warns(
        UserWarning, match=r"^Environment bounds extend beyond calibrated video coverage\.\n"
    ) as record:
        calibrate_video(_frames(64, 48), env, cm_per_px=0.25)  # video covers 16 x 12
    message = str(record[0].message)
    assert "x: environment [1.00, 31.00], video [0.00, 16.00]" in message
    assert "y: environment [1.00, 23.00], video [0.00, 12.00]" in message
    assert record[0].filename == __file__


def test_environment_with_negative_origin_warns_for_scale_bar():
    env = _env((-10.0, 2.0), (20.0, 22.0))  # x starts below the video's left edge at 0
    with pytest.warns(
        UserWarning, match=r"^Environment bounds extend beyond calibrated video coverage\.\n"
    ) as record:
        calibrate_video(_frames(64, 48), env, scale_bar=((0, 0), (8, 0), 4.0))
    assert "bottom-left corner at the environment origin" in str(record[0].message)


def test_environment_exactly_covered_does_not_warn():
    env = _env((1.0, 1.0), (31.0, 23.0), bin_size=2.0)
    lo, hi = np.array(env.dimension_ranges).T
    assert lo.min() >= 0.0 and hi[0] <= 32.0 and hi[1] <= 24.0
    calibrate_video(_frames(64, 48), env, cm_per_px=0.5)


def test_non_grid_layout_warns_alignment_is_approximate():
    env = Environment.from_samples(
        np.array([[2.0, 2.0], [30.0, 22.0]]),
        bin_size=2.0,
        infer_active_bins=False,
        layout="hexagonal",
    )
    with pytest.warns(UserWarning) as record:  # also: the hexagons reach past the video
        calibrate_video(_frames(64, 48), env, cm_per_px=0.5)
    messages = [str(w.message) for w in record]
    assert any(
        "alignment is approximate for non-grid 2D layouts" in m
        and "'hexagonal'" in m
        and "\n\nWHY: " in m
        and "\n\nHOW:\n  1. " in m
        for m in messages
    ), messages


def test_calibration_dicts_record_the_pixel_convention_and_old_ones_are_converted():
    calibration = VideoCalibration(
        Affine2D.scale(0.5, -0.5) @ Affine2D.translation(0, -48), (64, 48)
    )
    data = calibration.to_dict()
    assert data["pixel_centres"] == "integer"
    assert VideoCalibration.from_dict(data) == calibration
    # A dict from before pixel centres moved to integers: its pixel (0.5, 0.5) was the
    # centre of the top-left pixel, which is (0, 0) now; the same world point.
    old = {k: v for k, v in data.items() if k != "pixel_centres"}
    converted = VideoCalibration.from_dict(old)
    np.testing.assert_allclose(
        converted.transform_px_to_cm([0.0, 0.0]), calibration.transform_px_to_cm([0.5, 0.5])
    )
