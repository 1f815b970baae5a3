"""Overlay dataclasses (the public API) and their conversion to datasets."""

from neurospatial.animation.overlays.base import Overlay
from neurospatial.animation.overlays.bodypart import BodypartOverlay
from neurospatial.animation.overlays.head_direction import HeadDirectionOverlay
from neurospatial.animation.overlays.position import PositionOverlay
from neurospatial.animation.overlays.video import VideoOverlay

__all__ = ["BodypartOverlay", "HeadDirectionOverlay", "Overlay", "PositionOverlay", "VideoOverlay"]
