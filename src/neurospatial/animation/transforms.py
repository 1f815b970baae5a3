"""The one mapping between world and pixel coordinates.

Conventions (every renderer, the calibration and `Frame.world_to_px` use them):

- **World** coordinates are ``(x, y)``: x to the right, y up, in environment units.
- **Pixel** coordinates are ``(x, y) = (column, row)`` from the top-left of an
  image, y down, with **pixel centres at integers**: the pixel in column ``c``,
  row ``r`` is centred on ``(c, r)``, and an image of ``W x H`` pixels covers
  ``[-0.5, W - 0.5] x [-0.5, H - 0.5]``. Rounding a pixel coordinate gives the
  array index (``image[round(y), round(x)]``), as in numpy, OpenCV, matplotlib's
  ``imshow``, napari and the pose trackers (DeepLabCut).

A map between the two is an `Affine2D`. `pixel_to_world` builds the map of an
image (or a rectangle of one) onto a world rectangle; it is the one place where
the y flip between the two lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurospatial.animation.validation import as_float_array

__all__ = ["Affine2D", "image_box", "pixel_to_world"]


@dataclass(frozen=True, eq=False)
class Affine2D:
    """A 2D affine map stored as a 3x3 homogeneous matrix.

    Parameters
    ----------
    matrix : array-like of shape (3, 3)
        Finite values with last row ``[0, 0, 1]``; a point ``(x, y)`` maps to
        ``matrix @ [x, y, 1]``. Stored as a read-only float64 copy.

    Examples
    --------
    >>> flip = Affine2D.scale(0.5, -0.5) @ Affine2D.translation(0, -48)
    >>> flip([[0.0, 0.0], [64.0, 48.0]]).tolist()
    [[0.0, 24.0], [32.0, 0.0]]
    >>> flip.inverse()(flip([10.0, 20.0])).tolist()
    [10.0, 20.0]
    """

    matrix: NDArray[np.float64]

    def __post_init__(self) -> None:
        m = np.array(as_float_array(self.matrix, "Affine2D matrix"))  # private copy
        if m.shape != (3, 3):
            raise ValueError(f"Affine2D matrix must have shape (3, 3), got {m.shape}.")
        if not np.all(np.isfinite(m)):
            raise ValueError(f"Affine2D matrix must be finite, got\n{m}.")
        if not np.allclose(m[2], [0.0, 0.0, 1.0], rtol=0.0, atol=1e-12):
            raise ValueError(f"Affine2D matrix must have last row [0, 0, 1], got {m[2].tolist()}.")
        m[2] = [0.0, 0.0, 1.0]
        m += 0.0  # -0.0 -> 0.0, so equal matrices hash equally
        m.flags.writeable = False
        object.__setattr__(self, "matrix", m)

    @classmethod
    def identity(cls) -> Affine2D:
        return cls(np.eye(3))

    @classmethod
    def scale(cls, sx: float, sy: float | None = None) -> Affine2D:
        """Scale by `sx` along x and `sy` (default: `sx`) along y."""
        return cls(np.diag([sx, sx if sy is None else sy, 1.0]))

    @classmethod
    def translation(cls, tx: float, ty: float) -> Affine2D:
        m = np.eye(3)
        m[:2, 2] = tx, ty
        return cls(m)

    @property
    def linear(self) -> NDArray[np.float64]:
        """The 2x2 linear part (rotation, scale, shear, reflection)."""
        return self.matrix[:2, :2]

    def __call__(self, points: ArrayLike) -> NDArray[np.float64]:
        """Map an array of shape (n, 2) (or one point of shape (2,)) of (x, y) points.

        NaN points stay NaN, so trajectories with gaps can be mapped directly.
        """
        pts = as_float_array(points, "points")
        if pts.shape[-1:] != (2,) or pts.ndim > 2:
            raise ValueError(
                f"Affine2D maps points of shape (n, 2) or (2,), got shape {pts.shape}."
            )
        return pts @ self.linear.T + self.matrix[:2, 2]

    def __matmul__(self, other: object) -> Affine2D:
        """Composition: ``(a @ b)(p) == a(b(p))``."""
        if not isinstance(other, Affine2D):
            return NotImplemented
        return Affine2D(self.matrix @ other.matrix)

    def inverse(self) -> Affine2D:
        """The inverse map; ValueError if the linear part is (numerically) singular."""
        linear = self.linear
        if np.linalg.cond(linear) > 1e12:
            raise ValueError(
                f"Affine2D is singular (determinant {np.linalg.det(linear):.3g}) and has no "
                f"inverse: it collapses the plane onto a line or a point.\n{self.matrix}"
            )
        inv = np.linalg.inv(linear)
        m = np.eye(3)
        m[:2, :2] = inv
        m[:2, 2] = -inv @ self.matrix[:2, 2]
        return Affine2D(m)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Affine2D):
            return NotImplemented
        return bool(np.array_equal(self.matrix, other.matrix))

    def __hash__(self) -> int:
        return hash(self.matrix.tobytes())

    def __reduce__(self) -> tuple[type[Affine2D], tuple[NDArray[np.float64]]]:
        return (type(self), (np.array(self.matrix),))

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> NDArray[Any]:
        """The 3x3 matrix, so numpy functions accept the transform (``np.asarray(t)``)."""
        return np.array(self.matrix, dtype=dtype)

    def __repr__(self) -> str:
        return f"Affine2D(matrix={self.matrix.tolist()})"


def image_box(width: float, height: float) -> tuple[float, float, float, float]:
    """``(left, top, right, bottom)`` pixel edges of a whole image of ``width x height``
    pixels: ``(-0.5, -0.5, width - 0.5, height - 0.5)`` (pixel centres at integers)."""
    return (-0.5, -0.5, width - 0.5, height - 0.5)


def pixel_to_world(
    extent: tuple[float, float, float, float], box: tuple[float, float, float, float]
) -> Affine2D:
    """The map from pixel coordinates to world coordinates for a pixel rectangle
    that shows a world rectangle, y flipped.

    Parameters
    ----------
    extent : (x0, x1, y0, y1)
        The world rectangle (x0 < x1, y0 < y1, y up).
    box : (left, top, right, bottom)
        The pixel rectangle that shows it, as pixel edges (continuous pixel
        coordinates, e.g. `image_box` for a whole image); its top edge shows
        ``y1`` and its bottom edge ``y0``.

    Examples
    --------
    >>> to_world = pixel_to_world((0.0, 32.0, 0.0, 24.0), image_box(64, 48))
    >>> to_world([[-0.5, -0.5], [0.0, 0.0], [63.5, 47.5]]).tolist()  # corners, a centre
    [[0.0, 24.0], [0.25, 23.75], [32.0, 0.0]]
    """
    x0, x1, y0, y1 = (float(v) for v in extent)
    left, top, right, bottom = (float(v) for v in box)
    sx = (x1 - x0) / (right - left)
    sy = (y1 - y0) / (bottom - top)
    return Affine2D(np.array([[sx, 0.0, x0 - sx * left], [0.0, -sy, y1 + sy * top], [0, 0, 1.0]]))
