"""The behaviour-video layer of the compositor.

Once per export: plot pixels are mapped to video-array coordinates by one
affine chain – pixel -> world (the plot's inverse world->pixel map) -> video
pixel (the calibration's inverse) -> cropped, downsampled array index. Per
frame: decode (or index) the nearest video frame, resample it with
``cv2.warpAffine`` (bilinear, one step, coordinates computed on the fly: 3x
faster here than a precomputed ``cv2.remap`` table) and blend it at ``alpha``.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurospatial.animation.render.video_source import VideoSource
from neurospatial.animation.transforms import Affine2D

__all__ = ["VideoBlender"]


class VideoBlender:
    """Blends the frames of one video overlay into an RGBX canvas.

    Built in two steps so decoding can start before the plot layout is known: the
    constructor opens the source (and, given the video frames an export will show,
    in order, starts decoding them ahead in a thread); `place` computes the
    resampling once the world -> pixel map exists.

    Parameters
    ----------
    source : VideoSource
    px_to_world : Affine2D
        Pixel of the frames `source` returns (cropped, downsampled) -> world, as in
        `VideoFrameLayer.px_to_world`.
    alpha : float
    plan : array of int, optional
        The video frame number each rendered frame shows (-1: none), in render order.
    """

    def __init__(
        self,
        source: VideoSource,
        px_to_world: Affine2D,
        alpha: float,
        plan: NDArray[np.int64] | None = None,
    ) -> None:
        self.alpha = float(alpha)
        self._array_to_world = px_to_world
        self._frames: Any
        self._prefetch: _Prefetcher | None = None
        self.rect = (0, 0, 0, 0)
        self.mask = np.zeros((0, 0), dtype=bool)
        self._last: tuple[int, NDArray[np.uint8]] | None = None
        self._size = source.size
        if source.path is not None:
            # A small cache: an export reads each frame once, in order (the layer keeps
            # the last warped frame for repeats).
            reader = source.reader(rgbx=True, cache_size=2)
            self._frames = reader
            if plan is not None:
                reader.plan(plan)
                order = plan[plan >= 0]
                order = order[np.concatenate([[True], np.diff(order) != 0])]  # runs -> one each
                if len(order) and np.all(np.diff(order) > 0):
                    self._prefetch = _Prefetcher(reader, order.tolist())  # decode ahead, now
        else:
            self._frames = _ArrayFrames(source)

    def place(self, world_to_px: Affine2D, clip: tuple[int, int, int, int]) -> None:
        """Map every plot pixel in `clip` (row0, row1, col0, col1) to the video array."""
        out_w, out_h = self._size
        r0, r1, c0, c1 = clip
        rows, cols = np.mgrid[r0:r1, c0:c1]
        pixels = np.stack([cols.ravel(), rows.ravel(), np.ones(rows.size)])
        # Plot pixel (col, row) -> world -> returned-frame pixel: one affine chain, pixel
        # centres at integers on both sides.
        affine = (self._array_to_world.inverse() @ world_to_px.inverse()).matrix[:2]
        map_x, map_y = (affine @ pixels).reshape(2, *rows.shape)
        inside = (map_x >= -0.5) & (map_x <= out_w - 0.5) & (map_y >= -0.5) & (map_y <= out_h - 0.5)
        rr, cc = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
        if len(rr) == 0:  # the video does not reach the plot
            self.close()
            return
        sl = (slice(rr[0], rr[-1] + 1), slice(cc[0], cc[-1] + 1))
        self.rect = (r0 + rr[0], r0 + rr[-1] + 1, c0 + cc[0], c0 + cc[-1] + 1)
        # The same map for the rectangle's own pixel grid (origin at its top-left).
        shift = np.array([[1, 0, self.rect[2]], [0, 1, self.rect[0]], [0, 0, 1]])
        self._affine = (np.vstack([affine, [0, 0, 1]]) @ shift)[:2]
        self._size_px = (self.rect[3] - self.rect[2], self.rect[1] - self.rect[0])
        self.mask = inside[sl]
        self._full = bool(self.mask.all())
        self._mask_u8 = self.mask.astype(np.uint8)
        if self._prefetch is not None:  # from now on the thread warps frames too
            self._prefetch.warp = self._warp

    def warped(self, k: int) -> NDArray[np.uint8] | None:
        """Video frame `k` resampled onto the layer rectangle (RGBX), or None."""
        if k < 0 or self.mask.size == 0:
            return None
        if self._last is not None and self._last[0] == k:  # same video frame as before
            return self._last[1]
        frame, done = self._frame(k)
        warped = frame if done else self._warp(frame)
        self._last = (k, warped)
        return warped

    def _warp(self, frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """A video frame (RGB or RGBX) resampled onto the layer rectangle, RGBX."""
        import cv2

        image: Any = np.ascontiguousarray(frame)
        if image.shape[2] == 3:  # in-memory frames are RGB; the reader gives RGBX
            image = cv2.cvtColor(image, cv2.COLOR_RGB2RGBA)
        out = cv2.warpAffine(
            image,
            self._affine,
            self._size_px,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        return np.asarray(out, dtype=np.uint8)

    def blend(self, canvas: NDArray[np.uint8], k: int) -> None:
        """Blend video frame `k` over the canvas at alpha, inside the video's footprint."""
        video = self.warped(k)
        if video is None:
            return
        import cv2

        r0, r1, c0, c1 = self.rect
        region = canvas[r0:r1, c0:c1]
        mixed = cv2.addWeighted(region, 1.0 - self.alpha, video, self.alpha, 0.0)
        if self._full:
            region[...] = mixed
        else:
            cv2.copyTo(mixed, self._mask_u8, region)

    def _frame(self, k: int) -> tuple[NDArray[np.uint8], bool]:
        """Video frame k and whether it is warped already: from the decode-ahead
        thread when frames come in its order (warped there once `place` ran)."""
        if self._prefetch is not None:
            item = self._prefetch.get(k)
            if item is not None:
                return item
            self._prefetch.close()  # asked out of order: read directly from now on
            self._prefetch = None
        return self._frames[k], False

    def close(self) -> None:
        if self._prefetch is not None:
            self._prefetch.close()
            self._prefetch = None
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()


class _Prefetcher:
    """Decodes the frames an export will ask for, in order, a few ahead, in a thread.

    PyAV's decoding and OpenCV's conversions release the GIL, so decoding overlaps
    with rendering. Once `warp` is set, frames are also resampled here. Only this
    thread touches the reader until `close`.
    """

    def __init__(self, reader: Any, order: list[int], depth: int = 16) -> None:
        self._reader, self._order = reader, order
        self.warp: Callable[[NDArray[np.uint8]], NDArray[np.uint8]] | None = None
        self._queue: queue.Queue[tuple[int, Any, bool] | None] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="neurospatial-video", daemon=True)
        self._thread.start()

    def _put(self, item: tuple[int, Any, bool] | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for k in self._order:
                if self._stop.is_set():
                    return
                frame, warp = self._reader[k], self.warp
                item = (k, frame, False) if warp is None else (k, warp(frame), True)
                if not self._put(item):
                    return
        except BaseException as exc:  # re-raised in the rendering thread
            self._put((-1, exc, False))
        self._put(None)

    def get(self, k: int) -> tuple[NDArray[np.uint8], bool] | None:
        """(frame k, whether it is warped), or None when it is not coming (asked out
        of order, or exhausted)."""
        while True:
            item = self._queue.get()
            if item is None:
                return None
            index, value, warped = item
            if index == -1:
                raise value
            if index == k:
                return value, warped
            if index > k:
                return None

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()


class _ArrayFrames:
    """Frames of an in-memory or stored video array, cropped and downsampled by d x d
    block averages (like the file reader, so the pixel mapping is the same)."""

    def __init__(self, source: VideoSource) -> None:
        self.source = source

    def __getitem__(self, k: int) -> NDArray[np.uint8]:
        return self.source.array_frame(k)
