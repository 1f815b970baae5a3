"""`VideoOverlay`: the raw behaviour video, calibrated into environment units."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from neurospatial.animation.calibration import NON_GRID_CHECK, NON_GRID_WHY, VideoCalibration
from neurospatial.animation.overlays.base import (
    LayerBuilder,
    LayerContext,
    Overlay,
    OverlayKind,
    register_kind,
    resolve_times,
)
from neurospatial.animation.validation import check_times
from neurospatial.animation.video_probe import frame_size, probe_video
from neurospatial.errors import format_message, warn

if TYPE_CHECKING:
    import xarray as xr

    from neurospatial.environment import Environment

__all__ = ["VideoKind", "VideoOverlay"]


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
                    format_message(
                        f"VideoOverlay source array has shape {np.shape(self.source)}; expected "
                        "(n_frames, height, width, 3).",
                        "an in-memory video is a stack of RGB frames (one frame: "
                        "(height, width, 3)).",
                        [
                            "Stack the frames: np.stack(frames), each of shape (height, width, 3).",
                            "Add a frame axis to a single frame: frame[None].",
                        ],
                    )
                )
            n_frames, fps = len(self.source), None
        self._size = (width, height)
        self._check_style(width, height)
        if self.calibration is not None:
            if not isinstance(self.calibration, VideoCalibration):
                raise TypeError(
                    format_message(
                        "VideoOverlay calibration must be a VideoCalibration (from "
                        f"calibrate_video), got {type(self.calibration).__name__}.",
                        "the calibration maps video pixels to environment units for this "
                        "frame size.",
                        [
                            "Build one with calibrate_video(source, env, ...).",
                            "Omit calibration to stretch the frame over the environment.",
                        ],
                    )
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
            times = check_times(self.times, "VideoOverlay times", overlay=True)
            if len(times) != n_frames:
                used = min(len(times), n_frames)
                warn(
                    format_message(
                        f"VideoOverlay: the video has {n_frames} frames but {len(times)} "
                        f"timestamps were given; using the first {used} of each.",
                        "a mismatch usually means dropped frames or timestamps from another "
                        "file; from the first missing one on, the video is shifted against "
                        "the behaviour.",
                        [
                            "Check that the timestamps come from this video's recording.",
                            "If frames were dropped, pass the timestamps of the frames the "
                            "file holds (one per frame).",
                        ],
                    )
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
            raise ValueError(
                format_message(
                    f"VideoOverlay crop {self.crop} ({self.crop[2]}x{self.crop[3]} pixels) is "
                    f"smaller than downsample={d}.",
                    "downsampling averages blocks of downsample x downsample pixels; the crop "
                    "must hold at least one block per axis.",
                    [
                        f"Use downsample <= {min(self.crop[2], self.crop[3])} for this crop.",
                        f"Use a crop at least {d} pixels wide and high.",
                    ],
                )
            )

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


class VideoKind(OverlayKind):
    """Video frames by timestamp. Unaligned: ``frame(time, row, col, channel)`` for
    arrays, ``attrs["source"]`` for files, ``px_to_world(affine_row, affine_col)``.
    Aligned: ``frame_index(time)``, the video frame shown at each frame time (-1:
    none), the video's own ``video_time(video_frame)`` and, for arrays,
    ``frame(video_frame, row, col, channel)``."""

    name = "video"
    load_variables = ("frame_index",)

    def check(self, name: str, ds: xr.Dataset, env: Environment) -> xr.Dataset:
        """Video needs a 2D environment; without a calibration it is stretched over it."""
        if env.n_dims != 2:
            raise ValueError(
                format_message(
                    "VideoOverlay requires 2D environment.\n"
                    f"  Overlay {name!r} was given a {env.n_dims}D environment "
                    f"(env.n_dims = {env.n_dims}).",
                    "video frames are images of a plane; they cannot be placed on a 1D "
                    "track or in a 3D volume.",
                    [
                        "Build a 2D environment from the (x, y) positions.",
                        "Drop the VideoOverlay for this environment.",
                    ],
                )
            )
        if env.layout != "grid":
            what = (
                f"VideoOverlay {name!r}: the environment's layout is {env.layout!r}, not a grid; "
            )
            if "px_to_world" in ds:  # calibrated
                why, how = NON_GRID_WHY, [NON_GRID_CHECK]
                what += "alignment is approximate."
            else:
                what += (
                    "without a calibration the video is stretched over the environment's "
                    "bounding box, so alignment is approximate."
                )
                why = "this layout's bounding box need not be the arena's edges in the video."
                how = [
                    "Calibrate the video: VideoOverlay(source, calibration="
                    "calibrate_video(source, env, landmarks_px=..., landmarks_env=...)).",
                ]
            warn(format_message(what, why, how))
        if "px_to_world" not in ds:
            from neurospatial.animation.transforms import pixel_to_world

            width, height = json.loads(ds.attrs["frame_size_px"])
            x, y, w, h = json.loads(ds.attrs["crop"]) or [0, 0, width, height]
            d = int(ds.attrs["downsample"])
            w, h = (w // d) * d, (h // d) * d  # the pixels downsampled frames cover
            (x0, x1), (y0, y1) = env.dimension_ranges
            box = (x - 0.5, y - 0.5, x + w - 0.5, y + h - 0.5)
            matrix = pixel_to_world((x0, x1, y0, y1), box).matrix
            ds = ds.assign(px_to_world=(("affine_row", "affine_col"), matrix))
            ds.attrs["calibration"] = "stretched over the environment's bounding box"
        return ds

    def align(self, ds: xr.Dataset, frame_times: NDArray[np.float64]) -> xr.Dataset:
        """The nearest video frame within one video frame period (else -1: nothing is
        drawn); frames stay with the video (indexed, never copied per frame)."""
        import xarray as xr

        from neurospatial.animation.interpolation import nearest_frames

        source = np.asarray(ds["time"].values, dtype=np.float64)
        aligned = xr.Dataset(
            {
                "frame_index": ("time", nearest_frames(source, frame_times)),
                "video_time": ("video_frame", source),
            },
            coords={"time": frame_times, "video_frame": np.arange(len(source))},
            attrs=dict(ds.attrs),
        )
        if "frame" in ds:
            aligned["frame"] = ds["frame"].drop_vars("time").rename(time="video_frame")
        aligned["px_to_world"] = ds["px_to_world"]
        return aligned

    def layers(
        self, name: str, ds: xr.Dataset, values: Mapping[str, NDArray[Any]], ctx: LayerContext
    ) -> LayerBuilder:
        from neurospatial.animation.render.layers import VideoFrameLayer
        from neurospatial.animation.render.video_source import VideoSource

        source = VideoSource(ds)
        px_to_world = self.px_to_world(ds) @ source.array_to_px
        index = np.asarray(values["frame_index"], dtype=np.int64)
        alpha, z_order = float(ds.attrs["alpha"]), str(ds.attrs["z_order"])

        def build(k: int) -> list[Any]:
            return [VideoFrameLayer(name, int(index[k]), source, px_to_world, alpha, z_order)]

        return build

    def pack(self, ds: xr.Dataset) -> xr.Dataset:
        """Only the video frames the window shows (in-memory videos)."""
        if "frame" not in ds:
            return ds
        index = ds["frame_index"].values
        used = np.unique(index[index >= 0])
        return ds.isel(video_frame=np.searchsorted(ds["video_frame"].values, used))

    def frames_shown(
        self, ds: xr.Dataset, frame_times: NDArray[np.float64], frames: range
    ) -> NDArray[np.int64]:
        """The video frame each of `frames` shows (-1: none), for decoding ahead."""
        aligned = ds if "frame_index" in ds else self.align(ds, frame_times)
        index = aligned["frame_index"].values
        return np.asarray(index[frames.start : frames.stop] if aligned is ds else index, np.int64)

    def under_field(self, attrs: Mapping[Any, Any]) -> bool:
        return attrs.get("z_order") == "below"

    def upgrade(self, ds: xr.Dataset, version: int) -> xr.Dataset:
        """Schema 1 placed pixel centres at +0.5 (continuous pixel coordinates); today
        they are at integers: the same map is ``old @ translation(0.5, 0.5)``."""
        if version >= 2 or "px_to_world" not in ds:
            return ds
        from neurospatial.animation.transforms import Affine2D

        matrix = (self.px_to_world(ds) @ Affine2D.translation(0.5, 0.5)).matrix
        return ds.assign(px_to_world=(("affine_row", "affine_col"), np.array(matrix)))

    @staticmethod
    def px_to_world(ds: xr.Dataset) -> Any:
        """The calibration: full-video pixel -> world, an `Affine2D`."""
        from neurospatial.animation.transforms import Affine2D

        return Affine2D(np.asarray(ds["px_to_world"].values, dtype=np.float64))


register_kind(VideoKind())
