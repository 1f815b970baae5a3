"""Temporal alignment: overlays sampled at the frame times, for all frames or a window.

Each overlay kind aligns its own datasets (`OverlayKind.align`): positions and
keypoints are interpolated linearly (``Dataset.interp(time=..., assume_sorted=True)``
semantics, NaN outside the overlay's time range, never extrapolated), headings on
the circle, videos to the nearest frame. A window of frames (``frames=``) reads only
the source samples, and so only the stored chunks, that interpolating it needs, and
gives exactly the values aligning every frame gives there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from neurospatial.animation.overlays.base import kind_of
from neurospatial.animation.store import scene_dataset, scene_overlays
from neurospatial.animation.validation import check_overlap, check_rate, check_times
from neurospatial.errors import format_message

__all__ = ["Window", "align_scene", "align_window", "subsample_frames"]


def align_scene(scene: xr.DataTree, frame_times: Any = None, *, frames: Any = None) -> xr.DataTree:
    """Return a scene with every overlay sampled at the frame times.

    Parameters
    ----------
    scene : xr.DataTree
        A scene from `build_scene` or `open_scene`.
    frame_times : array-like of shape (n_frames,), optional
        New times for the frames (default: the scene's ``/fields`` times). The
        overlays' temporal overlap with them is checked again.
    frames : slice or array of int, optional
        Align only these frames (positions along the scene's time axis). Only the
        field and overlay chunks that cover them are read (for interpolation, the
        samples on either side too). The result equals aligning every frame and
        then selecting these.

    Returns
    -------
    xr.DataTree
        Same layout; every ``/overlays/<name>`` has ``time`` equal to the (selected)
        frame times, and ``/fields`` has a ``frame`` coordinate: each frame's number,
        its position in the scene first aligned (a window of a window keeps the
        numbers). Fields are not loaded (still lazy when they were).

    Raises
    ------
    ValueError
        For an already aligned scene given other `frame_times`: its overlays are
        samples at its frame times, and sampling those again would interpolate
        interpolated data. Selecting `frames` of an aligned scene is exact.

    Examples
    --------
    >>> import numpy as np
    >>> from neurospatial import Environment
    >>> from neurospatial.animation import PositionOverlay, build_scene
    >>> env = Environment.from_samples(np.array([[0.0, 0.0], [10.0, 10.0]]), bin_size=5.0)
    >>> overlay = PositionOverlay([[0.0, 0.0], [10.0, 10.0]], times=[0.0, 1.0])
    >>> scene = build_scene(env, np.zeros((5, env.n_bins)), overlays=[overlay], fps=4)
    >>> window = align_scene(scene, frames=slice(1, 3))
    >>> window["overlays/position"]["position"].values.tolist()
    [[2.5, 2.5], [5.0, 5.0]]
    >>> window["fields"]["frame"].values.tolist()
    [1, 2]
    """
    if scene.attrs.get("aligned") and frames is None and _same_times(scene, frame_times):
        return scene  # already aligned to these frame times
    return align_window(scene, frame_times, frames=frames).to_tree()


@dataclass
class Window:
    """An aligned scene (or window of one) before it is assembled into a DataTree."""

    attrs: dict[Any, Any]
    fields: xr.Dataset
    environment: xr.Dataset
    overlays: dict[str, xr.Dataset]

    def to_tree(self) -> xr.DataTree:
        nodes: dict[str, xr.Dataset] = {
            "/": xr.Dataset(attrs=self.attrs),
            "/fields": self.fields,
            "/environment": self.environment,
        }
        for name, ds in self.overlays.items():
            nodes[f"/overlays/{name}"] = ds
        return xr.DataTree.from_dict(nodes)


def align_window(
    scene: xr.DataTree, frame_times: Any = None, *, frames: Any = None, direct: bool = False
) -> Window:
    """`align_scene` without assembling the DataTree (renderers use the parts).

    `direct` is for renderers reading windows: a stored scene is read straight from its
    store (`scene_dataset`) and the aligned overlays are computed (numpy), in memory;
    fields stay as they are until read. napari asks for every frame's overlays at
    once this way (100,000 frames of three overlays: 0.1 s, a few MB).
    """
    fields = scene_dataset(scene, "fields", direct=direct)
    n_frames = fields.sizes["time"]
    index = _selection(frames, n_frames)
    # Each frame's number: its position in the scene being aligned (kept by windows).
    numbers = np.arange(n_frames)[index]
    overlays = scene_overlays(scene, direct=direct)
    environment = scene["environment"].to_dataset()
    attrs = {**scene.attrs, "aligned": 1}
    if scene.attrs.get("aligned"):
        if not _same_times(scene, frame_times):
            raise ValueError(_realign_message(scene))
        window = fields.isel(time=index)
        if "frame" not in window.coords:
            window = window.assign_coords(frame=("time", numbers))
        return Window(
            attrs, window, environment, {n: ds.isel(time=index) for n, ds in overlays.items()}
        )
    if frame_times is None:
        times = np.asarray(fields["time"].values, dtype=np.float64)
    else:
        times = check_times(frame_times, "frame_times")
        if len(times) != n_frames:
            raise ValueError(
                format_message(
                    f"frame_times has {len(times)} entries but the scene has {n_frames} frames.",
                    "each frame of the scene needs exactly one time.",
                    ["Pass one time per frame.", "Omit frame_times to keep the scene's."],
                )
            )
    selected = times[index]
    aligned: dict[str, xr.Dataset] = {}
    for name, ds in overlays.items():
        if ds.attrs.get("frame_locked"):
            ds = ds.assign_coords(time=times)  # 1:1 with frames, whatever their times
        elif frame_times is not None:
            check_overlap(name, ds["time"].values, times)
        aligned[name] = kind_of(ds).align(ds, selected)
        if direct:  # the window's samples in memory; what is indexed later (video) stays
            out = aligned[name]
            per_frame = [n for n, v in out.data_vars.items() if "time" in v.dims and v.chunks]
            if per_frame:
                loaded = out[per_frame].compute(scheduler="synchronous")
                aligned[name] = out.assign({n: loaded[n] for n in per_frame})
    window = fields.isel(time=index).assign_coords(time=selected, frame=("time", numbers))
    return Window(attrs, window, environment, aligned)


def _selection(frames: Any, n_frames: int) -> slice | NDArray[np.intp]:
    """`frames` as a slice with step 1 or an array of positions in [0, n_frames)."""
    if frames is None:
        return slice(0, n_frames)
    if isinstance(frames, slice):
        r = range(n_frames)[frames]
        if r.step == 1:
            return slice(r.start, r.stop)
        return np.arange(r.start, r.stop, r.step, dtype=np.intp)
    arr = np.atleast_1d(np.asarray(frames))
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise TypeError(
            format_message(
                f"frames must be a slice or a 1D array of frame indices, got "
                f"{type(frames).__name__} of shape {arr.shape} and dtype {arr.dtype}.",
                "frames selects positions along the scene's time axis.",
                ["Pass e.g. frames=slice(100, 200) or frames=np.array([3, 10, 42])."],
            )
        )
    bad = arr[(arr < -n_frames) | (arr >= n_frames)]
    if len(bad):
        raise IndexError(
            format_message(
                f"frames holds {len(bad)} index(es) outside the scene's {n_frames} frames, "
                f"e.g. {bad[:5].tolist()}.",
                f"valid frame indices are 0 .. {n_frames - 1} (negative ones count from the end).",
                ["Clip the indices: frames = frames[(frames >= 0) & (frames < n_frames)]."],
            )
        )
    return np.asarray(arr % max(n_frames, 1), dtype=np.intp)


def _same_times(scene: xr.DataTree, frame_times: Any) -> bool:
    if frame_times is None:
        return True
    current = np.asarray(scene["fields"]["time"].values, dtype=np.float64)
    given = np.asarray(frame_times, dtype=np.float64)
    return given.shape == current.shape and bool(np.array_equal(given, current))


def _realign_message(scene: xr.DataTree) -> str:
    return format_message(
        "This scene is already aligned; it cannot be aligned to other frame_times.",
        "its overlays hold samples at its own frame times; sampling them again at new "
        "times would interpolate interpolated data and silently blur the behaviour.",
        [
            "Align the original scene instead (from build_scene or open_scene): "
            "align_scene(scene, frame_times=new_times).",
            "Select frames of the aligned scene, which is exact: "
            "align_scene(aligned, frames=slice(start, stop)).",
        ],
    )


def subsample_frames(fields: Any, *, source_fps: float, target_fps: float) -> Any:
    """Keep the frames nearest to a lower frame rate.

    Parameters
    ----------
    fields : ndarray, dask array, list of arrays or DataArray
        Frames along the first axis (``time`` for a DataArray).
    source_fps, target_fps : float
        Rates in frames per second; ``target_fps <= source_fps``.

    Returns
    -------
    Same type as `fields`
        Frames ``round(k * source_fps / target_fps)`` for k = 0, 1, ... (lazy for
        dask input; a DataArray keeps its matching ``time`` values).

    Examples
    --------
    >>> import numpy as np
    >>> subsample_frames(np.arange(10)[:, None], source_fps=10, target_fps=5).ravel()
    array([0, 2, 4, 6, 8])
    """
    check_rate(source_fps, "source_fps")
    check_rate(target_fps, "target_fps")
    if target_fps > source_fps:
        raise ValueError(
            format_message(
                f"target_fps={target_fps} is higher than source_fps={source_fps}.",
                "subsampling only drops frames; it cannot invent new ones.",
                [
                    f"Use target_fps <= {source_fps}.",
                    "To play faster or slower, change fps= of the export instead.",
                ],
            )
        )
    n = len(fields) if not isinstance(fields, xr.DataArray) else fields.sizes["time"]
    step = source_fps / target_fps
    index = np.unique(np.round(np.arange(0, n, step)).astype(np.intp))
    index = index[index < n]
    if isinstance(fields, xr.DataArray):
        return fields.isel(time=index)
    if isinstance(fields, list):
        return [fields[i] for i in index]
    if isinstance(fields, tuple):
        return tuple(fields[i] for i in index)
    return fields[index]
