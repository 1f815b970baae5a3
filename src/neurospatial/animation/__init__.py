"""Animation of spatial fields with behaviour overlays.

Public API: overlay dataclasses, the xarray scene (`build_scene`, `align_scene`,
`open_scene`) and frame utilities.
"""

from neurospatial.animation.alignment import align_scene, subsample_frames
from neurospatial.animation.overlays import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
)
from neurospatial.animation.scene import build_scene, open_scene

__all__ = [
    "BodypartOverlay",
    "HeadDirectionOverlay",
    "PositionOverlay",
    "align_scene",
    "build_scene",
    "open_scene",
    "subsample_frames",
]
