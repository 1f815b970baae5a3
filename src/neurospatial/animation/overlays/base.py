"""Common machinery of overlay dataclasses.

An overlay validates its own input at construction (types, shapes, finite
values, monotonic times, colours, sizes) and converts to an ``xr.Dataset`` with
`to_dataset`. Checks that need the environment or the frame times (dimension
count, bounds, 1:1 length, temporal overlap) happen in `build_scene`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from neurospatial.animation.errors import format_message

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["Overlay", "color_attr", "resolve_times", "space_coord"]

SPACE = ("x", "y", "z")


class Overlay:
    """Base of all overlays: `kind` names the node in the scene."""

    kind: ClassVar[str] = "overlay"

    def n_samples(self) -> int:
        raise NotImplementedError

    def has_own_times(self) -> bool:
        return getattr(self, "times", None) is not None

    def to_dataset(self, frame_times: Any = None) -> xr.Dataset:
        """Convert to the scene vocabulary.

        Parameters
        ----------
        frame_times : array-like of shape (n_frames,), optional
            Used as the time coordinate when the overlay has no ``times`` of its
            own (one sample per frame).
        """
        raise NotImplementedError


def resolve_times(overlay: Overlay, own: NDArray[np.float64] | None, frame_times: Any) -> Any:
    """The overlay's time coordinate: its own times, else the frame times (1:1)."""
    if own is not None:
        return own
    n = overlay.n_samples()
    if frame_times is None:
        raise ValueError(
            format_message(
                f"{type(overlay).__name__} has no times and no frame_times were given.",
                "an overlay without its own timestamps is matched 1:1 to the frames.",
                [
                    "Pass times= to the overlay (one timestamp per sample).",
                    "Call to_dataset(frame_times=...) with one time per sample.",
                ],
            )
        )
    ft = np.asarray(frame_times, dtype=np.float64)
    if len(ft) != n:
        raise ValueError(
            format_message(
                f"{type(overlay).__name__} has {n} samples and no times, but there are "
                f"{len(ft)} frames.",
                "without times= an overlay is matched 1:1 to the frames, so it needs "
                "exactly n_frames samples.",
                [
                    "Pass times= (the sample timestamps) so it is interpolated onto the frames.",
                    f"Resample the overlay to {len(ft)} samples, one per frame.",
                ],
            )
        )
    return ft


def space_coord(n_dims: int) -> NDArray[np.object_]:
    return np.array(SPACE[:n_dims], dtype=object)


def color_attr(color: Any) -> str:
    """Colours as strings in attrs (names and hex stay, tuples become hex)."""
    if isinstance(color, str):
        return color
    from matplotlib.colors import to_hex

    return str(to_hex(color, keep_alpha=True))
