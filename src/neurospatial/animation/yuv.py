"""Decoded video frames to RGB(X): 8-bit planar YUV converted with OpenCV (BT.601).

FFmpeg's own converter (``frame.to_ndarray``) handles every other pixel format
(RGB, grey, 10-bit, odd sizes). OpenCV's conversion is limited range; full-range
("pc", JPEG) frames are mapped to limited range first with two lookup tables.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["to_rgb"]

#: Decoded formats converted here with OpenCV (BT.601): 8-bit planar YUV; others go
#: through FFmpeg's converter.
_PLANAR_YUV = {
    "yuv420p": (2, 2, False),
    "yuvj420p": (2, 2, True),
    "yuv422p": (2, 1, False),
    "yuvj422p": (2, 1, True),
    "yuv444p": (1, 1, False),
    "yuvj444p": (1, 1, True),
}  # format -> (chroma x subsampling, chroma y subsampling, full range)

#: Full ("pc", JPEG) range -> limited ("tv") range, for OpenCV's limited-range conversion.
_LUMA_TO_TV = np.round(16 + np.arange(256) * 219 / 255).astype(np.uint8)
_CHROMA_TO_TV = np.round(128 + (np.arange(256) - 128) * 224 / 255).astype(np.uint8)


def to_rgb(frame: Any, channels: int = 3) -> NDArray[np.uint8]:
    """An ``av.VideoFrame`` as an (H, W, channels) uint8 array; 4 channels is RGB + 255."""
    import cv2

    width, height = frame.width, frame.height
    layout = _PLANAR_YUV.get(frame.format.name)
    if layout is None or width % 2 or height % 2:  # FFmpeg's converter
        image = frame.to_ndarray(format="rgb24")
        return image if channels == 3 else cv2.cvtColor(image, cv2.COLOR_RGB2RGBA)
    sx, sy, full = layout
    full = full or frame.color_range == 2  # tagged full ("pc", JPEG) range
    i420 = np.empty(width * height * 3 // 2, dtype=np.uint8)
    y: Any = _plane(frame.planes[0])
    u: Any = _plane(frame.planes[1])
    v: Any = _plane(frame.planes[2])
    if (sx, sy) != (2, 2):  # 4:4:4 or 4:2:2 -> 4:2:0, averaging
        half = (width // 2, height // 2)
        u = cv2.resize(u, half, interpolation=cv2.INTER_AREA)
        v = cv2.resize(v, half, interpolation=cv2.INTER_AREA)
    if full:
        y, u, v = cv2.LUT(y, _LUMA_TO_TV), cv2.LUT(u, _CHROMA_TO_TV), cv2.LUT(v, _CHROMA_TO_TV)
    n = width * height
    i420[:n].reshape(height, width)[...] = y
    i420[n : n * 5 // 4].reshape(height // 2, width // 2)[...] = u
    i420[n * 5 // 4 :].reshape(height // 2, width // 2)[...] = v
    code = cv2.COLOR_YUV2RGBA_I420 if channels == 4 else cv2.COLOR_YUV2RGB_I420
    return np.asarray(cv2.cvtColor(i420.reshape(height * 3 // 2, width), code), dtype=np.uint8)


def _plane(plane: Any) -> NDArray[np.uint8]:
    """An av.VideoPlane as a (height, width) uint8 view (line padding dropped)."""
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]
