"""The frames of one video overlay as they are shown: cropped and downsampled.

A `VideoSource` reads frames of a file (decoded on demand) or of an in-memory or
stored array (indexed on demand, never loaded whole), crops them to the overlay's
``crop`` and averages ``downsample x downsample`` blocks. `array_to_px` maps the
pixels of what it returns to the full video's pixels (centres at integers), so
``calibration @ array_to_px`` places a returned frame in the world.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from neurospatial.animation.transforms import Affine2D

__all__ = ["VideoSource"]


class VideoSource:
    """Frames of a video overlay dataset (aligned or not), by video frame number."""

    def __init__(self, ds: xr.Dataset) -> None:
        width, height = json.loads(ds.attrs["frame_size_px"])
        crop = json.loads(ds.attrs["crop"]) or [0, 0, width, height]
        d = int(ds.attrs["downsample"])
        self.crop = (int(crop[0]), int(crop[1]), int(crop[2]), int(crop[3]))
        self.downsample = d
        self.size = (max(1, self.crop[2] // d), max(1, self.crop[3] // d))  # (width, height)
        self.path: str | None = ds.attrs.get("source")
        self._frames: Any = None
        self._numbers: NDArray[np.int64] | None = None
        if self.path is None:
            self._frames = ds["frame"]  # in memory, dask or a store: read a frame at a time
            if "video_frame" in ds.coords:
                self._numbers = np.asarray(ds["video_frame"].values, dtype=np.int64)
        self._reader: Any = None
        # Pixel j of a returned frame averages video pixels crop + j*d .. crop + j*d + d-1.
        self.array_to_px = Affine2D.translation(
            self.crop[0] + (d - 1) / 2, self.crop[1] + (d - 1) / 2
        ) @ Affine2D.scale(d)

    def frame(self, k: int) -> NDArray[np.uint8]:
        """Video frame number `k`, (height, width, 3) uint8."""
        if self.path is None:
            return self.array_frame(k)
        if self._reader is None:
            self._reader = self.reader(rgbx=False, cache_size=4)
        frame: NDArray[np.uint8] = self._reader[k]
        return frame

    def reader(self, *, rgbx: bool, cache_size: int) -> Any:
        """A new `VideoReader` of the file with this crop and downsampling."""
        from neurospatial.animation.video_reader import VideoReader

        assert self.path is not None
        return VideoReader(
            self.path, crop=self.crop, downsample=self.downsample, rgbx=rgbx, cache_size=cache_size
        )

    def array_frame(self, k: int) -> NDArray[np.uint8]:
        """Frame `k` of an array source, cropped and downsampled (RGB)."""
        position = k if self._numbers is None else int(np.searchsorted(self._numbers, k))
        x, y, d = self.crop[0], self.crop[1], self.downsample
        w, h = self.size
        part = self._frames[position, y : y + h * d, x : x + w * d]
        frame = np.asarray(part.values, dtype=np.uint8)
        if d == 1:
            return frame
        import cv2

        return np.asarray(cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA), np.uint8)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_reader"] = None
        return state
