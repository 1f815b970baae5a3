"""The scene: one ``xr.DataTree`` holding fields, environment and overlays.

Layout::

    /                 attrs: schema version, fps, cmap, vmin, vmax, title, regions style
    /fields           field(time, bin)      (dask-backed when the input was)
    /environment      Environment.to_dataset()
    /overlays/<name>  one dataset per overlay, each with its own ``time``

`build_scene` validates everything once; `align_scene` (in ``alignment.py``)
interpolates overlays onto the frame times; renderers trust the result.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from neurospatial.animation.overlays.base import Overlay, kind_of
from neurospatial.animation.validation import (
    check_names_exist,
    check_overlap,
    check_rate,
    check_times,
)
from neurospatial.errors import format_message

if TYPE_CHECKING:
    from neurospatial.environment import Environment

__all__ = [
    "SCENE_KIND",
    "SCHEMA_VERSION",
    "build_scene",
    "link_overlays",
    "scene_environment",
    "scene_style",
]

#: 2: head-direction overlays store their anchor (``attrs["anchor"]``); version 1
#: scenes are read and given the anchors the rule gives.
SCHEMA_VERSION = 2
SCENE_KIND = "neurospatial.scene"
#: Target size of one stored field chunk (frames x bins x 8 bytes): a random frame
#: reads (and decompresses) one chunk, about 0.5 ms; an export reads them in order.
_CHUNK_BYTES = 2**18
#: Target size of one stored overlay chunk: a window of frames reads a few.
_OVERLAY_CHUNK_BYTES = 2**16


def build_scene(
    env: Environment,
    fields: Any,
    *,
    overlays: Overlay | Sequence[Overlay] | None = None,
    frame_times: Any = None,
    fps: float = 30,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
    show_regions: bool | Sequence[str] = False,
    region_alpha: float = 0.3,
    volume: str | float = "max",
    track_view: str = "2d",
) -> xr.DataTree:
    """Validate fields and overlays against an environment and assemble a scene.

    Parameters
    ----------
    env : Environment
    fields : array-like, list of arrays, dask array or DataArray
        Values per active bin over time: an array of shape (n_frames, n_bins), a
        list of n_frames arrays of shape (n_bins,), or a DataArray with dims
        ``(time, bin)`` (its ``time`` coordinate is used as frame times when
        `frame_times` is not given). Dask input stays lazy. NaN means "no data".
    overlays : overlay or list of overlays, optional
        `PositionOverlay`, `BodypartOverlay`, `HeadDirectionOverlay`, ...
    frame_times : array-like of shape (n_frames,), optional
        Time of each frame in seconds; default ``arange(n_frames) / fps``.
    fps : float
        Playback rate of exported animations.
    cmap, vmin, vmax : colour mapping; vmin/vmax default to the global finite
        min/max over all frames.
    title : str, optional
    show_regions : bool or list of str
        Draw all of ``env.regions`` (True) or the named ones.
    region_alpha : float
        Fill opacity of polygon regions, in [0, 1].
    volume : "max" or float
        How image renderers draw a 3D grid flat: its maximum along z (``"max"``), or
        the z slice holding that height. Overlays are drawn at their (x, y).
    track_view : {"2d", "linear"}
        How a track (``Environment.from_graph``) is drawn: along its 2D geometry, or
        linearized (linear position on x, the field as a strip, 2D positions and
        keypoints at their linear positions; heading arrows, regions and video are
        not drawn on a line).

    Returns
    -------
    xr.DataTree
        The scene; store it with ``scene.to_zarr(path)``, reopen with `open_scene`.
    """
    field = _as_field_array(fields, env)
    n_frames = field.sizes["time"]
    check_rate(fps, "fps")
    if frame_times is None:
        if "time" in field.coords:
            times = check_times(field["time"].values, "fields time coordinate")
        else:
            times = np.arange(n_frames, dtype=np.float64) / float(fps)
    else:
        times = check_times(frame_times, "frame_times")
        if len(times) != n_frames:
            raise ValueError(
                format_message(
                    f"frame_times has {len(times)} entries but fields has {n_frames} frames.",
                    "each frame needs exactly one time.",
                    [
                        "Pass one time per frame (len(frame_times) == len(fields)).",
                        "Omit frame_times to use arange(n_frames) / fps.",
                    ],
                )
            )
    field = field.assign_coords(time=times)

    _check_cmap(cmap)
    if not isinstance(region_alpha, int | float | np.number) or not (
        0.0 <= float(region_alpha) <= 1.0
    ):
        raise ValueError(
            format_message(
                f"region_alpha must be a number in [0, 1], got {region_alpha!r}.",
                "it is the fill opacity of polygon regions.",
                ["Use e.g. region_alpha=0.3 (0 = invisible fill, 1 = opaque)."],
            )
        )
    if isinstance(show_regions, str):
        show_regions = [show_regions]
    if not isinstance(show_regions, bool):
        show_regions = [str(n) for n in show_regions]
        check_names_exist(show_regions, list(env.regions), "region", "show_regions")
    vmin, vmax = _color_limits(field, vmin, vmax)
    from neurospatial.animation.render.volume import check_volume, flat_view

    volume = check_volume(volume, env)
    if env.n_dims == 3:
        flat_view(env, volume)  # an empty slice fails here, not when drawing
    from neurospatial.animation.render.linear_view import check_track_view

    track_view = check_track_view(track_view, env)

    nodes: dict[str, xr.Dataset] = {
        "/": xr.Dataset(
            attrs={
                "kind": SCENE_KIND,
                "schema_version": SCHEMA_VERSION,
                "fps": float(fps),
                "cmap": str(cmap),
                "vmin": vmin,
                "vmax": vmax,
                "title": "" if title is None else str(title),
                "show_regions": json.dumps(show_regions),
                "region_alpha": float(region_alpha),
                "volume": volume,
                "track_view": track_view,
            }
        ),
        "/fields": field.to_dataset(name="field"),
        "/environment": env.to_dataset(),
    }
    named = _named(overlays)
    nodes["/"].attrs["overlays"] = json.dumps([name for name, _ in named])
    datasets: dict[str, xr.Dataset] = {}
    for name, overlay in named:
        ds = overlay.to_dataset(frame_times=times)
        if track_view == "linear" and ds.attrs.get("kind") == "video":
            raise ValueError(
                format_message(
                    "VideoOverlay requires 2D environment.\n"
                    f"  Overlay {name!r} was given a track drawn linearized "
                    "(track_view='linear').",
                    "video frames are images of a plane; a linearized track is a line.",
                    [
                        "Draw the track along its 2D geometry: track_view='2d'.",
                        "Drop the VideoOverlay for the linearized view.",
                    ],
                )
            )
        ds = kind_of(ds).check(name, ds, env)
        if overlay.has_own_times():
            check_overlap(name, ds["time"].values, times)
        else:
            ds.attrs["frame_locked"] = 1  # one sample per frame: follows new frame times
        datasets[name] = ds
    for name, ds in link_overlays(datasets).items():
        nodes[f"/overlays/{name}"] = _chunked(ds)
    return xr.DataTree.from_dict(nodes)


def restyle_scene(
    scene: xr.DataTree,
    *,
    cmap: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> xr.DataTree:
    """`scene` (a shallow copy: no data is read or copied) drawn with another colour map
    and/or colour limits; what is not given stays the scene's."""
    if cmap is None and vmin is None and vmax is None:
        return scene
    if cmap is not None:
        _check_cmap(cmap)
    low, high = _check_limits(
        scene.attrs["vmin"] if vmin is None else vmin,
        scene.attrs["vmax"] if vmax is None else vmax,
    )
    from neurospatial.animation.store import share_store

    restyled = scene.copy()
    restyled.attrs.update(vmin=low, vmax=high, **({"cmap": cmap} if cmap is not None else {}))
    share_store(scene, restyled)  # a stored scene restyled still reads from its store
    return restyled


def scene_environment(scene: xr.DataTree) -> Environment:
    """The `Environment` stored in a scene (read straight from a stored scene's
    store: its few small arrays through dask cost 0.2 s in a fresh process)."""
    from neurospatial.animation.store import scene_dataset
    from neurospatial.environment import Environment

    return Environment.from_dataset(scene_dataset(scene, "environment", direct=True))


def scene_style(scene: xr.DataTree) -> dict[str, Any]:
    """Style attrs of a scene, decoded (``show_regions`` back to bool or list)."""
    attrs = {str(k): v for k, v in scene.attrs.items()}
    attrs["show_regions"] = json.loads(attrs.get("show_regions", "false"))
    return attrs


# --------------------------------------------------------------------------- helpers
def _named(overlays: Overlay | Sequence[Overlay] | None) -> list[tuple[str, Overlay]]:
    if overlays is None:
        return []
    if isinstance(overlays, Overlay):
        overlays = [overlays]
    counts: dict[str, int] = {}
    named = []
    for overlay in overlays:
        if not isinstance(overlay, Overlay):
            raise TypeError(
                format_message(
                    "overlays must be overlay objects (PositionOverlay, BodypartOverlay, ...), "
                    f"got {type(overlay).__name__}.",
                    "each overlay class validates its data and says how it is drawn; raw "
                    "arrays do not say what they are.",
                    [
                        "Wrap the data in an overlay: PositionOverlay(positions, times=times).",
                        "Pass one overlay or a list of them: overlays=[PositionOverlay(...), "
                        "HeadDirectionOverlay(...)].",
                    ],
                )
            )
        counts[overlay.kind] = counts.get(overlay.kind, 0) + 1
        n = counts[overlay.kind]
        named.append((overlay.kind if n == 1 else f"{overlay.kind}_{n}", overlay))
    return named


def _as_field_array(fields: Any, env: Environment) -> xr.DataArray:
    """Normalize the accepted field inputs to a DataArray ``field(time, bin)``."""
    if isinstance(fields, xr.DataArray):
        if fields.dims != ("time", "bin"):
            raise ValueError(
                format_message(
                    f"fields DataArray has dims {fields.dims}; expected ('time', 'bin').",
                    "frames are read along 'time' and values are matched to the environment's "
                    "bins along 'bin'.",
                    [
                        "If the dims are swapped, transpose: fields.transpose('time', 'bin').",
                        "If they have other names, rename them, e.g. "
                        "fields.rename({'frame': 'time', 'position_bin': 'bin'}).",
                    ],
                )
            )
        arr: Any = fields.data
        time = fields["time"].values if "time" in fields.coords else None
    else:
        if isinstance(fields, list | tuple):
            if len(fields) == 0:
                raise ValueError(_empty_fields_message())
            parts = [f if _is_dask(f) else np.asarray(f) for f in fields]
            shapes = sorted({tuple(p.shape) for p in parts})
            if len(shapes) > 1:
                odd = next(i for i, p in enumerate(parts) if p.shape != parts[0].shape)
                raise ValueError(
                    format_message(
                        f"fields list holds arrays of different shapes {shapes}; every frame "
                        f"must have shape ({env.n_bins},). Frame 0 has shape "
                        f"{tuple(parts[0].shape)}, frame {odd} has {tuple(parts[odd].shape)}.",
                        "the frames are stacked into one (n_frames, n_bins) array, one value "
                        "per active bin of the environment.",
                        [
                            f"Compute every frame on this environment ({env.n_bins} values each).",
                            "Check for a frame computed on another environment or bin_size.",
                        ],
                    )
                )
            if any(_is_dask(p) for p in parts):
                import dask.array as da

                arr = da.stack(parts)
            else:
                arr = np.stack(parts)
        else:
            arr = fields if _is_dask(fields) else np.asarray(fields)
        time = None
    if (
        np.iscomplexobj(arr)
        or arr.dtype == object
        or not (np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_))
    ):
        raise TypeError(
            format_message(
                f"fields must be real numbers, got dtype {arr.dtype}.",
                "field values are mapped to colours through vmin/vmax.",
                ["Convert first, e.g. np.asarray(fields, dtype=float) (or np.abs for complex)."],
            )
        )
    if arr.ndim != 2 or 0 in arr.shape:
        if arr.size == 0:
            raise ValueError(_empty_fields_message())
        raise ValueError(
            format_message(
                f"fields has shape {arr.shape}; expected (n_frames, n_bins) = "
                f"(n_frames, {env.n_bins}).",
                "each frame holds one value per active bin of the environment.",
                [
                    "For a single frame, add a time axis: fields[None, :].",
                    "For grid-shaped arrays, keep active bins: grid[..., env.active_mask].",
                ],
            )
        )
    if arr.shape[1] != env.n_bins:
        raise ValueError(
            format_message(
                f"fields has {arr.shape[1]} values per frame but the environment has "
                f"{env.n_bins} active bins (fields shape {arr.shape}).",
                "field values are drawn bin by bin, so the counts must match.",
                [
                    "Compute the fields on this environment (same bin_size and samples).",
                    "Check for a transposed array: expected (n_frames, n_bins).",
                ],
            )
        )
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    n_frames = arr.shape[0]
    chunk = max(1, min(n_frames, _CHUNK_BYTES // (8 * env.n_bins)))
    if _is_dask(arr):
        time_chunks = arr.chunks[0]
        if len(set(time_chunks[:-1])) > 1 or time_chunks[-1] > time_chunks[0]:
            arr = arr.rechunk({0: time_chunks[0]})
        arr = arr.rechunk({1: -1})
    out = xr.DataArray(arr, dims=("time", "bin"), name="field")
    if time is not None:
        out = out.assign_coords(time=time)
    if not _is_dask(arr):
        out.encoding["chunks"] = (chunk, env.n_bins)
    return out


def _is_dask(value: Any) -> bool:
    """True for dask arrays, without importing dask when nothing has (it costs ~0.5 s)."""
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(value, module.Array)


def _empty_fields_message() -> str:
    return format_message(
        "fields is empty: no frames to animate.",
        "an animation needs at least one frame of values.",
        ["Pass an array of shape (n_frames, n_bins) with n_frames >= 1."],
    )


def _color_limits(
    field: xr.DataArray, vmin: float | None, vmax: float | None
) -> tuple[float, float]:
    """Global finite min/max (dask-aware, one pass), unless given."""
    if vmin is None or vmax is None:
        data = field.data
        if _is_dask(data):
            import dask
            import dask.array as da

            finite = da.where(da.isfinite(data), data, np.nan)
            lo, hi = dask.compute(da.nanmin(finite), da.nanmax(finite))
        else:
            finite = np.where(np.isfinite(data), data, np.nan)
            if np.isnan(finite).all():
                lo, hi = np.nan, np.nan
            else:
                lo, hi = np.nanmin(finite), np.nanmax(finite)
        lo = 0.0 if not np.isfinite(lo) else float(lo)
        hi = 1.0 if not np.isfinite(hi) else float(hi)
        vmin = lo if vmin is None else vmin
        vmax = hi if vmax is None else vmax
    return _check_limits(vmin, vmax)


def _check_limits(vmin: Any, vmax: Any) -> tuple[float, float]:
    """Finite colour limits with vmin <= vmax (equal ones widened by 1)."""
    vmin, vmax = float(vmin), float(vmax)
    if not (np.isfinite(vmin) and np.isfinite(vmax)) or vmin > vmax:
        raise ValueError(
            format_message(
                f"vmin/vmax must be finite with vmin <= vmax, got {vmin}, {vmax}.",
                "they are the values mapped to the two ends of the colormap.",
                [
                    "Pass finite limits with vmin <= vmax, or omit them to use the data's "
                    "finite range."
                ],
            )
        )
    if vmin == vmax:
        vmax = vmin + 1.0
    return vmin, vmax


def _check_cmap(cmap: Any) -> None:
    from matplotlib import colormaps

    if not isinstance(cmap, str) or cmap not in colormaps:
        import difflib

        close = (
            difflib.get_close_matches(str(cmap), list(colormaps), 3)
            if isinstance(cmap, str)
            else []
        )
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(
            format_message(
                f"cmap={cmap!r} is not a registered matplotlib colormap name.{hint}",
                "field values are mapped to colours through a named matplotlib colormap.",
                [
                    "Use a name such as 'viridis', 'magma' or 'hot'.",
                    "List the names with sorted(matplotlib.colormaps).",
                ],
            )
        )


def link_overlays(datasets: dict[str, xr.Dataset]) -> dict[str, xr.Dataset]:
    """Each overlay related to the others by its kind (e.g. a heading's anchor)."""
    return {name: kind_of(ds).link(name, ds, datasets) for name, ds in datasets.items()}


def _chunked(ds: xr.Dataset) -> xr.Dataset:
    """Store chunks of about `_OVERLAY_CHUNK_BYTES` along time (at least one sample),
    so reading a window of frames reads a few chunks, not the whole overlay
    (in-memory variables only)."""
    for var in ds.data_vars.values():
        if var.dims[:1] == ("time",) and not _is_dask(var.data):
            per_sample = var.dtype.itemsize * int(np.prod(var.shape[1:], dtype=np.int64))
            per_chunk = max(1, min(var.shape[0], _OVERLAY_CHUNK_BYTES // max(per_sample, 1)))
            var.encoding["chunks"] = (per_chunk, *var.shape[1:])
    return ds
