"""Animation of spatial fields with behaviour overlays.

Public API: overlay dataclasses, the xarray scene (`build_scene`, `align_scene`,
`open_scene`), rendering (`animate`, `render_frame`), the notebook player (`show`,
`show_field`), and what renderers draw from:
the layer model (`frame_layers`), the field as an image (`field_image`) and the
HoloViews view (`to_holoviews`).
"""

from neurospatial.animation import accessor as _accessor  # noqa: F401  (registers .nsanim)
from neurospatial.animation.alignment import align_scene, subsample_frames
from neurospatial.animation.api import animate, show
from neurospatial.animation.calibration import VideoCalibration, calibrate_video
from neurospatial.animation.from_xarray import (
    align_dataset,
    animate_field,
    scene_from_field,
    show_field,
)
from neurospatial.animation.overlays import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    VideoOverlay,
)
from neurospatial.animation.pose_files import read_pose
from neurospatial.animation.render.field_image import field_image
from neurospatial.animation.render.holoviews_ import to_holoviews
from neurospatial.animation.render.model import frame_layers
from neurospatial.animation.render.raster import Frame, render_frame
from neurospatial.animation.scene import build_scene
from neurospatial.animation.store import open_scene
from neurospatial.animation.transforms import Affine2D

__all__ = [
    "Affine2D",
    "BodypartOverlay",
    "Frame",
    "HeadDirectionOverlay",
    "PositionOverlay",
    "SceneApp",
    "VideoCalibration",
    "VideoOverlay",
    "align_dataset",
    "align_scene",
    "animate",
    "animate_field",
    "build_scene",
    "calibrate_video",
    "field_image",
    "frame_layers",
    "open_scene",
    "read_pose",
    "render_frame",
    "scene_from_field",
    "show",
    "show_field",
    "subsample_frames",
    "to_holoviews",
]


def __getattr__(name: str) -> object:
    # The served app needs Panel: imported when first asked for, not with the package.
    if name == "SceneApp":
        from neurospatial.animation.backends.app import SceneApp

        return SceneApp
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
