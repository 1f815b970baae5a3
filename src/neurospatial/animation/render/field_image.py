"""The field as an image: ``(time, y, x)`` in world coordinates, for image renderers.

One mechanism maps pixels to bins for every renderer: `raster_bins` gives the bin
under each pixel centre of an axis-aligned raster (``env.bin_at`` at the centres;
-1 where there is no bin). The compositor uses it at its screen pixels,
`field_image` at the environment's own raster (for a grid: one pixel per grid
bin; for hexagons or a track: a finer raster that shows their shapes), so a new
layout needs a `bin_at`, not a renderer change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from neurospatial.animation.render.layers import STRIP_CENTRE, STRIP_Y

if TYPE_CHECKING:
    from collections.abc import Callable

    from neurospatial.environment import Environment

__all__ = [
    "field_image",
    "field_pixels",
    "image_axes",
    "image_dims",
    "image_extent",
    "raster_bins",
]


def raster_bins(env: Environment, *axes: NDArray[np.float64]) -> NDArray[np.intp]:
    """Bin index under each pixel centre of an axis-aligned raster, -1 outside.

    Parameters
    ----------
    env : Environment
    *axes : 1D arrays
        World coordinates of the pixel centres along x, then y (then z), in the
        order the raster's columns, rows (and planes) go; for a 1D environment only
        x is used and the y axis spans the strip.

    Returns
    -------
    ndarray of int, shape (len(y), len(x)) (3D: (len(z), len(y), len(x)))
    """
    xs = np.asarray(axes[0], dtype=np.float64)
    if env.n_dims == 1:
        ny = len(axes[1]) if len(axes) > 1 else 1
        return np.broadcast_to(env.bin_at(xs[:, None]), (ny, len(xs))).astype(np.intp)
    grids = np.meshgrid(*[np.asarray(a, dtype=np.float64) for a in axes[: env.n_dims]])
    points = np.column_stack([g.ravel() for g in grids])
    bins = env.bin_at(points).astype(np.intp)
    if env.n_dims == 2:
        return bins.reshape(len(axes[1]), len(xs))
    # meshgrid's "xy" indexing gives (y, x, z); planes first.
    return np.moveaxis(bins.reshape(len(axes[1]), len(xs), len(axes[2])), 2, 0)


#: Pixels per bin (across its smallest side) of the field image of a non-grid layout,
#: and the most pixels per axis.
_PX_PER_BIN = 8
_MAX_PX = 800


def image_axes(env: Environment) -> dict[str, NDArray[np.float64]]:
    """World coordinates of the field image's pixel centres per axis (y ascending):
    for a grid, its bin centres; in 1D, one row on the strip's centre line; for other
    layouts (hexagons, a track), a raster fine enough to show each bin's shape
    (8 pixels across the smallest bin, at most 800 per axis) over the environment's
    extent."""
    if env.layout != "grid":
        step = float(env.bin_sizes.min())
        if env.layout == "graph":
            step = min(step, env.track_width)
        step /= _PX_PER_BIN
        axes = {}
        for name, (lo, hi) in zip("xy", env.dimension_ranges, strict=True):
            n = int(np.clip(np.ceil((hi - lo) / step), 1, _MAX_PX))
            axes[name] = lo + (np.arange(n) + 0.5) * (hi - lo) / n
        return axes
    centres = [(e[:-1] + e[1:]) / 2 for e in env.grid_edges]
    axes = {"x": centres[0]}
    axes["y"] = centres[1] if env.n_dims >= 2 else np.array([STRIP_CENTRE])
    if env.n_dims == 3:
        axes["z"] = centres[2]
    return axes


def image_extent(env: Environment) -> tuple[float, float, float, float]:
    """The world rectangle (x0, x1, y0, y1) the field image covers (in 1D: the strip)."""
    (x0, x1), *rest = env.dimension_ranges
    y0, y1 = rest[0] if rest else STRIP_Y
    return (float(x0), float(x1), float(y0), float(y1))


def image_dims(env: Environment) -> list[str]:
    """The image's spatial dims, in order: ``["y", "x"]``, or ``["z", "y", "x"]`` for a
    3D grid (a 1D environment is a strip of two rows)."""
    return ["z", "y", "x"][3 - max(env.n_dims, 2) :]


def field_pixels(env: Environment) -> Callable[[Any], NDArray[np.float64]]:
    """The function `field_image` applies to field values: ``(frames, bins)`` to
    ``(frames, [z,] y, x)`` pixels, NaN where there is no bin (for readers of a
    stored field that do without dask)."""
    axes = image_axes(env)
    index = raster_bins(env, axes["x"], axes["y"], *([axes["z"]] if "z" in axes else []))
    safe = np.where(index >= 0, index, 0)
    missing = index < 0

    def to_pixels(block: Any) -> NDArray[np.float64]:
        out = np.asarray(block, dtype=np.float64)[:, safe]
        out[:, missing] = np.nan
        return out

    return to_pixels


def field_image(scene: xr.DataTree) -> xr.DataArray:
    """The scene's field as a lazy image stack, for any layout.

    Parameters
    ----------
    scene : xr.DataTree
        From `build_scene`, `open_scene` or `align_scene`.

    Returns
    -------
    xr.DataArray
        Dims ``(time, y, x)`` (``(time, z, y, x)`` in 3D), dask-backed (chunked along
        time like stored fields; about 1 MiB of field values per chunk for fields in
        memory), with world coordinates of the pixel centres: ``x`` and ``y``
        ascending, so y increases upward (row 0 is the lowest y). NaN where there is
        no bin or no data. attrs: ``units``, ``cmap``, ``vmin``, ``vmax`` and
        ``extent`` = (x0, x1, y0, y1), the world rectangle the image covers.

    Examples
    --------
    >>> import numpy as np
    >>> from neurospatial import Environment
    >>> from neurospatial.animation import build_scene, field_image
    >>> env = Environment.from_samples(np.array([[0.0, 0.0], [20.0, 10.0]]), bin_size=10.0,
    ...                                infer_active_bins=False)
    >>> scene = build_scene(env, np.arange(2 * env.n_bins, dtype=float).reshape(2, -1))
    >>> image = field_image(scene)
    >>> image.dims, image.shape
    (('time', 'y', 'x'), (2, 2, 3))
    >>> image.isel(time=0).values.tolist()  # row 0 is the lowest y
    [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]
    """
    import dask.array as da

    from neurospatial.animation.render.model import scene_info

    info = scene_info(scene)
    env = info.env
    axes = image_axes(env)
    order = image_dims(env)
    to_pixels = field_pixels(env)
    field = scene["fields"]["field"]
    if field.chunks is None:  # in memory: chunks of about 1 MiB of field values
        per_chunk = max(1, 2**20 // (8 * max(env.n_bins, 1)))
        data: Any = da.from_array(np.asarray(field.values), chunks=(per_chunk, -1))
    else:
        data = field.data
    shape = tuple(len(axes[k]) for k in order)
    image = data.map_blocks(
        to_pixels,
        dtype=np.float64,
        chunks=(data.chunks[0], *shape),
        drop_axis=1,
        new_axis=list(range(1, 1 + len(shape))),
    )
    coords: dict[str, Any] = {"time": field["time"].values, **{k: axes[k] for k in order}}
    if "frame" in field.coords:
        coords["frame"] = ("time", field["frame"].values)
    return xr.DataArray(
        image,
        dims=("time", *order),
        coords=coords,
        name="field",
        attrs={
            "units": env.units,
            "cmap": info.cmap,
            "vmin": info.vmin,
            "vmax": info.vmax,
            "extent": image_extent(env),
        },
    )
