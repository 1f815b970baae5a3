"""Animation of spatial fields with behaviour overlays.

Public API: overlay dataclasses, the xarray scene (`build_scene`, `align_scene`,
`open_scene`) and frame utilities.
"""

from neurospatial.animation.alignment import align_scene, subsample_frames
from neurospatial.animation.api import animate
from neurospatial.animation.overlays import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
)
from neurospatial.animation.render.raster import Frame, render_frame
from neurospatial.animation.scene import build_scene, open_scene

__all__ = [
    "BodypartOverlay",
    "Frame",
    "HeadDirectionOverlay",
    "PositionOverlay",
    "align_scene",
    "animate",
    "build_scene",
    "open_scene",
    "render_frame",
    "subsample_frames",
]
