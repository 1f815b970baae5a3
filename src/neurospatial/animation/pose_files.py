"""`read_pose`: DeepLabCut and SLEAP prediction files as movement-shaped Datasets.

Readers (maintained libraries, not hand-written parsers):

* DeepLabCut writes its predictions with pandas (a DataFrame whose columns are
  ``scorer / [individuals /] bodyparts / coords``), so pandas reads them back:
  ``read_csv`` with the header rows, ``read_hdf`` (PyTables) for ``.h5``.
* SLEAP labels files (``.slp``) are read with sleap-io, SLEAP's own I/O library;
  SLEAP analysis files (``.h5``, exported with ``sleap-convert --format analysis``) are
  plain HDF5 arrays (``tracks``, ``node_names``, ``track_names``, ``point_scores``),
  read with h5py.

The result has ``position(time, space, keypoint, individual)`` and
``confidence(time, keypoint, individual)`` in video pixels, ``time`` in frames (in
seconds when `fps` is given), ``attrs["fps"]`` and ``attrs["source_software"]``: what
the ``from_movement`` readers take. Use a `VideoCalibration` there for world units.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from neurospatial.errors import format_message

__all__ = ["read_pose"]


def read_pose(path: str | os.PathLike[str], *, fps: float | None = None) -> xr.Dataset:
    """Read a DeepLabCut (``.csv``/``.h5``) or SLEAP (``.slp``, analysis ``.h5``) file.

    Examples
    --------
    >>> from neurospatial.animation import PositionOverlay, read_pose
    >>> poses = read_pose("video1DLC_resnet50.h5", fps=30)  # doctest: +SKIP
    >>> nose = PositionOverlay.from_movement(  # doctest: +SKIP
    ...     poses, keypoint="nose", confidence_threshold=0.6
    ... )
    """
    where = Path(path)
    if not where.is_file():
        raise ValueError(
            format_message(
                f"No pose file at {str(where)!r}.",
                "read_pose reads DeepLabCut (.csv, .h5) and SLEAP analysis (.h5) files.",
                ["Check the path (and the working directory)."],
            )
        )
    suffix = where.suffix.lower()
    if suffix == ".csv":
        ds = _deeplabcut(_dlc_csv(where))
    elif suffix == ".slp":
        ds = _sleap_labels(where)
    elif suffix in (".h5", ".hdf5"):
        ds = _sleap_analysis(where) if _is_sleap(where) else _deeplabcut(_dlc_hdf(where))
    else:
        raise ValueError(
            format_message(
                f"Cannot read pose file {where.name!r}: unknown suffix {suffix!r}.",
                "read_pose knows DeepLabCut predictions (.csv, .h5) and SLEAP files (.slp, "
                "analysis .h5).",
                ["Load other formats with movement.io.load_poses and pass the Dataset on."],
            )
        )
    if fps is not None:
        ds = ds.assign_coords(time=ds["time"].values / float(fps))
        ds.attrs.update(fps=float(fps), time_unit="seconds")
    return ds


def _dlc_csv(path: Path) -> Any:
    import pandas as pd

    with path.open(encoding="utf-8") as f:
        rows = [next(f) for _ in range(4)]
    depth = 4 if rows[1].startswith("individuals") else 3
    return pd.read_csv(path, header=list(range(depth)), index_col=0)


def _dlc_hdf(path: Path) -> Any:
    import pandas as pd

    try:
        return pd.read_hdf(path)
    except ImportError as exc:  # PyTables missing
        raise ImportError(
            format_message(
                "Reading DeepLabCut .h5 files needs PyTables, which is not installed.",
                "DeepLabCut writes its predictions with pandas' HDF5 support (PyTables).",
                ['Install it: pip install "neurospatial[pose]" (or pip install tables).'],
            )
        ) from exc


def _deeplabcut(frame: Any) -> xr.Dataset:
    names = [str(n) for n in frame.columns.names]
    levels = {"bodyparts", "coords"}
    if not levels <= set(names):
        raise ValueError(
            format_message(
                f"Not DeepLabCut predictions: the columns' levels are {names}.",
                "DeepLabCut's tables have column levels scorer, [individuals,] bodyparts, "
                "coords (x, y, likelihood).",
                ["Pass a predictions file from DeepLabCut's analyze_videos."],
            )
        )
    columns = frame.columns
    individuals = (
        list(dict.fromkeys(columns.get_level_values("individuals")))
        if "individuals" in names
        else ["individual_0"]
    )
    keypoints = list(dict.fromkeys(columns.get_level_values("bodyparts")))
    n = len(frame)
    position = np.full((n, 2, len(keypoints), len(individuals)), np.nan)
    confidence = np.full((n, len(keypoints), len(individuals)), np.nan)
    for i, individual in enumerate(individuals):
        for j, keypoint in enumerate(keypoints):
            part = frame.xs(keypoint, level="bodyparts", axis=1)
            if "individuals" in names:
                if individual not in part.columns.get_level_values("individuals"):
                    continue
                part = part.xs(individual, level="individuals", axis=1)
            coords = {
                c: np.asarray(part.xs(c, level="coords", axis=1)).ravel()
                for c in ("x", "y", "likelihood")
            }
            position[:, 0, j, i], position[:, 1, j, i] = coords["x"], coords["y"]
            confidence[:, j, i] = coords["likelihood"]
    return _dataset(position, confidence, keypoints, individuals, "DeepLabCut")


def _is_sleap(path: Path) -> bool:
    import h5py

    with h5py.File(path, "r") as f:
        return "tracks" in f and "node_names" in f


def _sleap_analysis(path: Path) -> xr.Dataset:
    import h5py

    with h5py.File(path, "r") as f:
        tracks = np.asarray(f["tracks"][()], dtype=np.float64)  # (tracks, 2, nodes, frames)
        nodes = [_text(n) for n in f["node_names"][()]]
        names = [_text(n) for n in f["track_names"][()]] if "track_names" in f else []
        scores = np.asarray(f["point_scores"][()], float) if "point_scores" in f else None
    individuals = names or [f"track_{k}" for k in range(tracks.shape[0])]
    position = np.transpose(tracks, (3, 1, 2, 0))  # (frames, 2, nodes, tracks)
    confidence = (
        np.transpose(scores, (2, 1, 0))
        if scores is not None
        else np.full(position[:, 0].shape, np.nan)
    )
    return _dataset(position, confidence, nodes, individuals, "SLEAP")


def _sleap_labels(path: Path) -> xr.Dataset:
    try:
        import sleap_io
    except ImportError as exc:
        raise ImportError(
            format_message(
                "Reading SLEAP .slp files needs sleap-io, which is not installed.",
                "sleap-io is SLEAP's own reader of its labels files.",
                [
                    'Install it: pip install "neurospatial[pose]" (or pip install sleap-io).',
                    "Or export an analysis file: sleap-convert --format analysis labels.slp.",
                ],
            )
        ) from exc
    labels = sleap_io.load_slp(str(path))
    values = np.asarray(labels.numpy(return_confidence=True), dtype=np.float64)
    # (frames, tracks, nodes, x/y/score) -> (frames, 2, nodes, tracks), (frames, nodes, tracks)
    position = np.transpose(values[..., :2], (0, 3, 2, 1))
    confidence = np.transpose(values[..., 2], (0, 2, 1))
    nodes = list(labels.skeletons[0].node_names)
    tracks = [t.name for t in labels.tracks] or [f"track_{k}" for k in range(values.shape[1])]
    return _dataset(position, confidence, nodes, tracks, "SLEAP")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _dataset(
    position: np.ndarray,
    confidence: np.ndarray,
    keypoints: list[str],
    individuals: list[str],
    software: str,
) -> xr.Dataset:
    n = position.shape[0]
    return xr.Dataset(
        {
            "position": (("time", "space", "keypoint", "individual"), position),
            "confidence": (("time", "keypoint", "individual"), confidence),
        },
        coords={
            "time": np.arange(n),
            "space": ["x", "y"],
            "keypoint": keypoints,
            "individual": individuals,
        },
        attrs={"time_unit": "frames", "source_software": software},
    )
