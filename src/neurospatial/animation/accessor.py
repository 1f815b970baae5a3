"""The ``.nsanim`` accessor on DataArray, Dataset and DataTree: sugar over public
functions (registered when `neurospatial.animation` is imported).

Each method forwards in one line; type checkers and docs should lead with the
functions: `scene_from_field`, `animate_field`, `show_field`, `align_dataset`,
`animate`, `show`, `render_frame`, `to_holoviews`, `align_scene`.
"""

from __future__ import annotations

from typing import Any

import xarray as xr

from neurospatial.animation.alignment import align_scene
from neurospatial.animation.api import animate, show
from neurospatial.animation.from_xarray import (
    align_dataset,
    animate_field,
    scene_from_field,
    show_field,
)
from neurospatial.animation.render.holoviews_ import to_holoviews
from neurospatial.animation.render.raster import render_frame

__all__ = ["FieldAccessor", "OverlayAccessor", "SceneAccessor"]


@xr.register_dataarray_accessor("nsanim")
class FieldAccessor:
    """``field.nsanim``: a field stack DataArray, ``(time, bin)`` with ``env=`` or a grid
    ``(time, y, x)`` / ``(time, x)`` (see `scene_from_field`)."""

    def __init__(self, obj: xr.DataArray) -> None:
        self._obj = obj

    def scene(self, env: Any = None, **build_options: Any) -> xr.DataTree:
        """`scene_from_field(field, env, **build_options)`."""
        return scene_from_field(self._obj, env, **build_options)

    def animate(self, env: Any = None, **animate_options: Any) -> Any:
        """`animate_field(field, env, **animate_options)` (``env.animate_fields`` keywords)."""
        return animate_field(self._obj, env, **animate_options)

    def show(self, env: Any = None, **options: Any) -> Any:
        """`show_field(field, env, **options)`: the notebook player."""
        return show_field(self._obj, env, **options)


@xr.register_dataset_accessor("nsanim")
class OverlayAccessor:
    """``ds.nsanim``: an overlay-shaped Dataset (``position(time, space[, keypoint])``)."""

    def __init__(self, obj: xr.Dataset) -> None:
        self._obj = obj

    def align(self, frame_times: Any) -> xr.Dataset:
        """`align_dataset(ds, frame_times)`."""
        return align_dataset(self._obj, frame_times)


@xr.register_datatree_accessor("nsanim")
class SceneAccessor:
    """``scene.nsanim``: a scene DataTree (from `build_scene` or `open_scene`)."""

    def __init__(self, obj: xr.DataTree) -> None:
        self._obj = obj

    def animate(self, **animate_options: Any) -> Any:
        """`animate(scene, **animate_options)`."""
        return animate(self._obj, **animate_options)

    def show(self, **options: Any) -> Any:
        """`show(scene, **options)`: the notebook player."""
        return show(self._obj, **options)

    def render_frame(self, index: int, **options: Any) -> Any:
        """`render_frame(scene, index, **options)`."""
        return render_frame(self._obj, index, **options)

    def to_holoviews(self, **options: Any) -> Any:
        """`to_holoviews(scene, **options)`."""
        return to_holoviews(self._obj, **options)

    def align(self, frame_times: Any = None, *, frames: Any = None) -> xr.DataTree:
        """`align_scene(scene, frame_times, frames=frames)`."""
        return align_scene(self._obj, frame_times, frames=frames)
