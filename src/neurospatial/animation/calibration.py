"""Calibrating a behaviour video to environment coordinates.

A calibration is an affine map from video pixels to the environment's world
coordinates, fitted once (`calibrate_video`) and stored with the video overlay.
Pixel and world conventions are those of ``transforms.py``: pixel ``(x, y) =
(column, row)`` from the top-left, y down, pixel centres at integers (the image of
``W x H`` pixels covers ``[-0.5, W - 0.5] x [-0.5, H - 0.5]``); world ``(x, y)``
with y up, in environment units (the ``cm`` in names such as
``transform_px_to_cm`` stands for whatever ``env.units`` is).

Three ways to calibrate
-----------------------
``scale_bar=((x1, y1), (x2, y2), length)``
    Two pixel points a known world distance apart. The scale is
    ``s = length / |p2 - p1|`` (environment units per pixel) and the video's
    bottom-left corner sits at the world origin: the image covers
    ``[0, s W] x [0, s H]``, so ``x = s (x_px + 0.5)`` and ``y = s (H - 0.5 - y_px)``
    (uniform scale and a y flip, no rotation).
``cm_per_px=s``
    The same map with a known scale.
``landmarks_px=..., landmarks_env=...``
    Three or more matching points; the map is a least-squares fit, either
    ``"affine"`` (6 degrees of freedom: rotation, non-uniform scale, shear) or
    ``"similarity"`` (4: rotation, uniform scale, translation; reflections are
    allowed because the y flip is one).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from neurospatial.animation.fitting import (
    bar_scale,
    check_landmarks,
    fit_affine,
    fit_similarity,
    positive_scale,
)
from neurospatial.animation.transforms import Affine2D, image_box, pixel_to_world
from neurospatial.animation.video_probe import frame_size
from neurospatial.errors import format_message, warn

if TYPE_CHECKING:
    from neurospatial.environment import Environment

__all__ = ["RESIDUAL_WARN_FRACTION", "VideoCalibration", "calibrate_video"]

#: A landmark fit whose RMS residual exceeds this fraction of the environment's
#: larger extent triggers a warning. 1% of a 100 cm arena is 1 cm: larger than
#: the error of carefully clicked landmarks, smaller than what is visible.
RESIDUAL_WARN_FRACTION = 0.01

_LANDMARK_FITS = ("affine", "similarity")


# ---------------------------------------------------------------- VideoCalibration
@dataclass(frozen=True)
class VideoCalibration:
    """Pixel -> world map of a video, with the frame size it was made for.

    Parameters
    ----------
    transform_px_to_cm : Affine2D
        Maps pixel (x = column, y = row) to world (x, y) in environment units.
    frame_size_px : tuple of int
        ``(width, height)`` of the video frames in pixels.
    rms_residual : float, optional
        Root mean square distance (environment units) between the mapped pixel
        landmarks and the world landmarks; only set by landmark fits.
    """

    transform_px_to_cm: Affine2D
    frame_size_px: tuple[int, int]
    rms_residual: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.transform_px_to_cm, Affine2D):
            raise TypeError(
                "transform_px_to_cm must be an Affine2D, got "
                f"{type(self.transform_px_to_cm).__name__}."
            )
        self.transform_px_to_cm.inverse()  # raises if singular
        size = tuple(np.asarray(self.frame_size_px).ravel().tolist())
        if len(size) != 2 or not all(isinstance(v, int) and v > 0 for v in size):
            raise ValueError(
                f"frame_size_px must be (width, height) positive integers, got "
                f"{self.frame_size_px!r}."
            )
        object.__setattr__(self, "frame_size_px", size)
        if self.rms_residual is not None:
            rms = float(self.rms_residual)
            if not np.isfinite(rms) or rms < 0:
                raise ValueError(f"rms_residual must be finite and >= 0, got {rms!r}.")
            object.__setattr__(self, "rms_residual", rms)

    @property
    def transform_cm_to_px(self) -> Affine2D:
        """World (environment units) -> pixel (x = column, y = row)."""
        return self.transform_px_to_cm.inverse()

    @property
    def cm_per_px(self) -> float:
        """Approximate scale: environment units per pixel, ``sqrt(|det|)`` of the linear part."""
        return float(np.sqrt(abs(np.linalg.det(self.transform_px_to_cm.linear))))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (lists, ints, floats, None), e.g. for ``json.dumps``.

        ``"pixel_centres": "integer"`` records the pixel convention (``transforms.py``);
        dicts without it come from versions that put pixel centres at +0.5, and
        `from_dict` converts them.
        """
        return {
            "transform_px_to_cm": self.transform_px_to_cm.matrix.tolist(),
            "frame_size_px": list(self.frame_size_px),
            "rms_residual": self.rms_residual,
            "pixel_centres": "integer",
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VideoCalibration:
        """Inverse of `to_dict`."""
        missing = sorted({"transform_px_to_cm", "frame_size_px"} - set(data))
        if missing:
            raise ValueError(
                format_message(
                    f"Calibration dict is missing key(s) {missing}; got keys {sorted(data)}.",
                    "a calibration needs the pixel -> world matrix and the frame size.",
                    ["Pass the dict produced by VideoCalibration.to_dict()."],
                )
            )
        transform = Affine2D(np.asarray(data["transform_px_to_cm"], dtype=float))
        if data.get("pixel_centres") != "integer":  # written with pixel centres at +0.5
            transform = transform @ Affine2D.translation(0.5, 0.5)
        return cls(
            transform_px_to_cm=transform,
            frame_size_px=tuple(data["frame_size_px"]),
            rms_residual=data.get("rms_residual"),
        )


# ----------------------------------------------------------------- calibrate_video
def calibrate_video(
    source: str | os.PathLike[str] | ArrayLike,
    env: Environment,
    *,
    scale_bar: tuple[ArrayLike, ArrayLike, float] | None = None,
    landmarks_px: ArrayLike | None = None,
    landmarks_env: ArrayLike | None = None,
    cm_per_px: float | None = None,
    landmark_fit: str = "affine",
) -> VideoCalibration:
    """Fit the map from video pixels to environment coordinates.

    Give exactly one method: `scale_bar`, `landmarks_px` with `landmarks_env`,
    or `cm_per_px`. Pixel points are (x = column, y = row) from the image's
    top-left, pixel centres at integers (the coordinates an image viewer or a pose
    tracker reports for a pixel); world points are (x, y) with y up, in environment
    units. Details are in the module docstring.

    Parameters
    ----------
    source : path or array
        A video file (only its frame size is read) or a uint8 array of shape
        (n_frames, height, width, 3) or (height, width, 3). Lazy arrays (dask,
        xarray) are not loaded.
    env : Environment
        A 2D environment.
    scale_bar : tuple, optional
        ``((x1, y1), (x2, y2), length)``: two pixel points `length` environment
        units apart.
    landmarks_px, landmarks_env : array-like of shape (n, 2), optional
        Matching points (n >= 3) in pixels and in environment units.
    cm_per_px : float, optional
        Environment units per pixel.
    landmark_fit : {"affine", "similarity"}
        Model fitted to landmarks. With exactly 3 landmarks an affine fit is
        exact, so its residual tells nothing; use 4 or more to check the fit.

    Returns
    -------
    VideoCalibration

    Warns
    -----
    UserWarning
        If the landmark RMS residual exceeds `RESIDUAL_WARN_FRACTION` of the
        environment's larger extent; if the environment extends beyond the
        video frame; if the environment's layout is not a grid.

    Examples
    --------
    >>> import numpy as np
    >>> from neurospatial import Environment
    >>> env = Environment.from_samples(np.array([[2.0, 2.0], [30.0, 22.0]]), bin_size=2.0,
    ...                                infer_active_bins=False)
    >>> frames = np.zeros((48, 64, 3), dtype=np.uint8)
    >>> calibration = calibrate_video(frames, env, scale_bar=((0, 0), (8, 0), 4.0))
    >>> calibration.cm_per_px
    0.5
    >>> calibration.transform_px_to_cm([[-0.5, -0.5], [0.0, 0.0]]).tolist()  # corner, centre
    [[0.0, 24.0], [0.25, 23.75]]
    """
    _check_env(env)
    method = _choose_method(scale_bar, landmarks_px, landmarks_env, cm_per_px)
    if landmark_fit not in _LANDMARK_FITS:
        raise ValueError(
            format_message(
                f"landmark_fit={landmark_fit!r} is not a known fit; choose one of "
                f"{list(_LANDMARK_FITS)}.",
                "the fit decides which distortions the pixel -> world map can express.",
                [
                    "Use 'affine' (rotation, non-uniform scale, shear; the default).",
                    "Use 'similarity' (rotation and uniform scale only) for square pixels "
                    "and few or noisy landmarks.",
                ],
            )
        )
    rms = None
    if method == "landmarks":
        px, world = check_landmarks(landmarks_px, landmarks_env)
        transform = (fit_affine if landmark_fit == "affine" else fit_similarity)(px, world)
        residuals = transform(px) - world
        rms = float(np.sqrt(np.mean(np.sum(residuals**2, axis=1))))
    else:
        s = (
            bar_scale(scale_bar)
            if method == "scale_bar"
            else positive_scale(cm_per_px, "cm_per_px")
        )
    width, height = frame_size(source)  # after the cheap checks: may run ffmpeg
    if method != "landmarks":  # the image covers [0, s * width] x [0, s * height]
        transform = pixel_to_world((0.0, s * width, 0.0, s * height), image_box(width, height))
    calibration = VideoCalibration(transform, (width, height), rms)
    if rms is not None:
        _check_residual(rms, env, landmark_fit, len(px))
    if env.layout != "grid":
        warn(
            format_message(
                f"Environment layout is {env.layout!r}, not 'grid': video alignment is "
                "approximate for non-grid 2D layouts.",
                NON_GRID_WHY,
                [NON_GRID_CHECK],
            )
        )
    _check_coverage(calibration, env)
    return calibration


#: Why a video on a non-grid layout is only approximately aligned (calibrated or not).
NON_GRID_WHY = (
    "the video is placed by its calibration, but a non-grid layout's bins are drawn "
    "over it from a raster (each pixel shows the bin it falls in; the interactive views "
    "use 8 pixels across the smallest bin), so bin edges meet the video only to a pixel "
    "of that raster."
)
NON_GRID_CHECK = (
    "Check the fit by eye: render_frame(build_scene(env, fields, "
    "overlays=[VideoOverlay(source, calibration=calibration)], show_regions=True), 0)."
)


# ------------------------------------------------------------------------ helpers
def _check_env(env: Environment) -> None:
    if env.n_dims != 2:
        raise ValueError(
            format_message(
                "VideoOverlay requires 2D environment.\n"
                f"  calibrate_video got an environment with env.n_dims = {env.n_dims}.",
                "a video frame is a plane: it can only be calibrated to a 2D environment.",
                [
                    "Build the environment from 2D positions, e.g. "
                    "Environment.from_samples(np.column_stack([x, y]), bin_size=...).",
                    "For a 1D track or 3D data, draw the video separately instead of as "
                    "an overlay.",
                ],
            )
        )


def _choose_method(
    scale_bar: object, landmarks_px: object, landmarks_env: object, cm_per_px: object
) -> str:
    given = [
        name
        for name, value in (
            ("scale_bar", scale_bar),
            ("landmarks_px", landmarks_px),
            ("landmarks_env", landmarks_env),
            ("cm_per_px", cm_per_px),
        )
        if value is not None
    ]
    methods = sorted({"landmarks" if g.startswith("landmarks") else g for g in given})
    how = [
        "Pass scale_bar=((x1, y1), (x2, y2), length) for two pixel points a known distance apart.",
        "Pass landmarks_px=... and landmarks_env=... (3 or more matching points each).",
        "Pass cm_per_px=... if the scale is known.",
    ]
    if len(methods) != 1:
        what = (
            "calibrate_video needs a calibration method; none was given."
            if not methods
            else f"calibrate_video got several calibration methods: {given}."
        )
        raise ValueError(
            format_message(
                f"{what} Give exactly one of: scale_bar, landmarks_px + landmarks_env, cm_per_px.",
                "each method defines the whole pixel -> world map; mixing them would be ambiguous.",
                how,
            )
        )
    if methods == ["landmarks"] and len(given) != 2:
        missing = "landmarks_env" if given == ["landmarks_px"] else "landmarks_px"
        raise ValueError(
            format_message(
                f"calibrate_video got {given[0]} without {missing}.",
                "a landmark fit needs each landmark both in pixels and in environment units.",
                [f"Pass {missing}=... with the same landmarks in the same order.", *how[::2]],
            )
        )
    return methods[0]


def _extent(env: Environment) -> float:
    return max(hi - lo for lo, hi in env.dimension_ranges)


def _check_residual(rms: float, env: Environment, fit: str, n: int) -> None:
    limit = RESIDUAL_WARN_FRACTION * _extent(env)
    if rms <= limit:
        return
    warn(
        f"Large landmark fit residual: RMS {rms:.3g} {env.units} over {n} landmarks "
        f"({fit!r} fit) exceeds {RESIDUAL_WARN_FRACTION:.0%} of the environment's larger "
        f"extent ({limit:.3g} of {_extent(env):.3g} {env.units}). The video will be visibly "
        "misaligned. Check that landmarks_px and landmarks_env list the same points in the "
        "same order, that pixel points are (x = column, y = row), and that the environment "
        "units match; try landmark_fit='affine' if the pixels are not square."
    )


def _check_coverage(calibration: VideoCalibration, env: Environment) -> None:
    width, height = calibration.frame_size_px
    left, top, right, bottom = image_box(width, height)
    corners = np.array([[left, top], [right, top], [left, bottom], [right, bottom]])
    world = calibration.transform_px_to_cm(corners)
    low, high = world.min(axis=0), world.max(axis=0)
    ranges = np.array(env.dimension_ranges)
    # The environment's corners, in video pixels, must lie inside the frame (a
    # rotated frame covers less than its bounding box); half a pixel of slack.
    env_corners = np.array([[x, y] for x in ranges[0] for y in ranges[1]])
    px = calibration.transform_cm_to_px(env_corners)
    if np.all(px >= np.array([left, top]) - 0.5) and np.all(px <= np.array([right, bottom]) + 0.5):
        return
    axes = "; ".join(
        f"{axis}: environment [{ranges[d, 0]:.2f}, {ranges[d, 1]:.2f}], video "
        f"[{low[d]:.2f}, {high[d]:.2f}]"
        for d, axis in enumerate("xy")
    )
    warn(
        "Environment bounds extend beyond calibrated video coverage.\n"
        f"  {axes} ({env.units}).\n"
        "  Parts of the environment outside the frame are drawn without video. scale_bar and "
        "cm_per_px put the video's bottom-left corner at the environment origin (0, 0); if "
        "the environment's origin is elsewhere, calibrate with landmarks instead. Otherwise "
        "check the scale and that the video matches the environment."
    )
