"""`VideoOverlay`: the raw behaviour video, calibrated into environment units."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from neurospatial.animation.calibration import VideoCalibration
from neurospatial.animation.errors import format_message, warn
from neurospatial.animation.overlays.base import Overlay, resolve_times
from neurospatial.animation.validation import check_times
from neurospatial.animation.video_probe import frame_size, probe_video

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["VideoOverlay"]


@dataclass
class VideoOverlay(Overlay):
    """Behaviour video drawn under or over the field, aligned in space and time.

    Parameters
    ----------
    source : path or ndarray
        A video file, or a uint8 array of shape (n_frames, height, width, 3).
    calibration : VideoCalibration, optional
        Pixel -> environment transform from `calibrate_video`. Without it the
        (cropped) frame is stretched over the environment's bounding box.
    times : array-like of shape (n_video_frames,), optional
        Timestamp of each video frame in seconds. Default: ``arange(n) / fps``
        from the file's own frame rate; for arrays, one frame per animation frame.
    alpha : float
        Opacity of the video, in [0, 1].
    z_order : {"above", "below"}
        ``"above"`` blends the video over the field; ``"below"`` draws it under
        the field, visible where the field has no data or no bins.
    crop : (x, y, width, height), optional
        Pixel rectangle of the video to show (x = column, y = row of its top-left).
    downsample : int
        Keep every n-th pixel per axis (area-averaged), for speed.

    Notes
    -----
    The frame shown at an animation frame is the video frame nearest in time,
    if it is within one video frame period; otherwise no video is drawn.
    """

    source: Any
    calibration: VideoCalibration | None = None
    times: Any = None
    alpha: float = 0.5
    z_order: str = "above"
    crop: Any = None
    downsample: int = 1

    kind: ClassVar[str] = "video"

    def __post_init__(self) -> None:
        if isinstance(self.source, str | os.PathLike):
            info = probe_video(self.source)
            self.source = Path(self.source).resolve()
            width, height, n_frames, fps = info.width, info.height, info.n_frames, info.fps
        else:
            if isinstance(self.source, np.ndarray) and self.source.ndim == 3:
                self.source = self.source[None]
            width, height = frame_size(self.source)
            if np.ndim(self.source) != 4:
                raise ValueError(
                    f"VideoOverlay source array has shape {np.shape(self.source)}; expected "
                    "(n_frames, height, width, 3)."
                )
            n_frames, fps = len(self.source), None
        self._size = (width, height)
        self._check_style(width, height)
        if self.calibration is not None:
            if not isinstance(self.calibration, VideoCalibration):
                raise TypeError(
                    "VideoOverlay calibration must be a VideoCalibration (from calibrate_video), "
                    f"got {type(self.calibration).__name__}."
                )
            if tuple(self.calibration.frame_size_px) != (width, height):
                raise ValueError(
                    format_message(
                        f"VideoOverlay calibration is for {self.calibration.frame_size_px[0]}x"
                        f"{self.calibration.frame_size_px[1]} frames but the video is "
                        f"{width}x{height}.",
                        "a calibration maps the pixels of one frame size.",
                        ["Calibrate this video: calibrate_video(source, env, ...)."],
                    )
                )
        if self.times is not None:
            times = check_times(self.times, "VideoOverlay times")
            if len(times) != n_frames:
                used = min(len(times), n_frames)
                warn(
                    f"VideoOverlay: the video has {n_frames} frames but {len(times)} timestamps "
                    f"were given; using the first {used} of each. A mismatch usually means "
                    "dropped frames or timestamps from another file, and shifts the video "
                    "against the behaviour by the difference. Check the timestamp source."
                )
            self._n = min(len(times), n_frames)
            self.times = times[: self._n]
        else:
            self._n = n_frames
            if fps is not None:
                self.times = np.arange(n_frames, dtype=np.float64) / fps

    def _check_style(self, width: int, height: int) -> None:
        if (
            isinstance(self.alpha, bool)
            or not isinstance(self.alpha, int | float | np.number)
            or not 0.0 <= float(self.alpha) <= 1.0
        ):
            raise ValueError(
                format_message(
                    f"VideoOverlay alpha={self.alpha!r} is outside [0, 1].",
                    "alpha is the video's opacity.",
                    ["Use e.g. alpha=0.5 (0 = invisible, 1 = opaque)."],
                )
            )
        if self.z_order not in ("above", "below"):
            raise ValueError(
                format_message(
                    f"VideoOverlay z_order={self.z_order!r} is not 'above' or 'below'.",
                    "the video is drawn either over the field or under it.",
                    ["Use z_order='above' (blended over the field) or 'below'."],
                )
            )
        d = self.downsample
        if isinstance(d, bool) or not isinstance(d, int | np.integer) or d < 1:
            raise ValueError(
                format_message(
                    f"VideoOverlay downsample={d!r} is not a positive integer.",
                    "downsample keeps every n-th pixel per axis.",
                    ["Use downsample=1 (full resolution) or 2, 3, ..."],
                )
            )
        if self.crop is not None:
            crop = tuple(self.crop) if np.ndim(self.crop) == 1 else ()
            ok = len(crop) == 4 and all(
                isinstance(v, int | np.integer) and not isinstance(v, bool) for v in crop
            )
            if (
                not ok
                or crop[2] <= 0
                or crop[3] <= 0
                or crop[0] < 0
                or crop[1] < 0
                or (crop[0] + crop[2] > width or crop[1] + crop[3] > height)
            ):
                raise ValueError(
                    format_message(
                        f"VideoOverlay crop={self.crop!r} is not a rectangle inside the "
                        f"{width}x{height} frame.",
                        "crop is (x, y, width, height) in pixels, x = column and y = row of "
                        "the top-left corner; it must lie within the frame.",
                        [
                            f"Use integers with 0 <= x, x + width <= {width}, 0 <= y, "
                            f"y + height <= {height}.",
                            "Omit crop to show the whole frame.",
                        ],
                    )
                )
            self.crop = tuple(int(v) for v in crop)
        if self.crop is not None and (self.crop[2] < d or self.crop[3] < d):
            raise ValueError(f"VideoOverlay crop {self.crop} is smaller than downsample={d}.")

    @property
    def frame_size_px(self) -> tuple[int, int]:
        """(width, height) of the full video frame."""
        return self._size

    def n_samples(self) -> int:
        return self._n

    def to_dataset(self, frame_times: Any = None) -> xr.Dataset:
        """Video frames by timestamp: ``frame(time, row, col, channel)`` for arrays, the
        file path in attrs for files (frames are decoded on demand, never copied)."""
        import xarray as xr

        time = resolve_times(self, self.times, frame_times)
        data_vars: dict[str, Any] = {}
        attrs: dict[str, Any] = {
            "kind": self.kind,
            "alpha": float(self.alpha),
            "z_order": self.z_order,
            "downsample": int(self.downsample),
            "crop": json.dumps(list(self.crop) if self.crop is not None else None),
            "frame_size_px": json.dumps(list(self._size)),
        }
        if isinstance(self.source, Path):
            attrs["source"] = str(self.source)
        else:
            data_vars["frame"] = (("time", "row", "col", "channel"), self.source[: self._n])
        if self.calibration is not None:
            matrix: NDArray[np.float64] = self.calibration.transform_px_to_cm.matrix
            data_vars["px_to_world"] = (("affine_row", "affine_col"), np.array(matrix))
        return xr.Dataset(data_vars, coords={"time": time}, attrs=attrs)
