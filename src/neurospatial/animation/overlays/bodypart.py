"""`BodypartOverlay`: pose keypoints with an optional skeleton."""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from neurospatial.animation.overlays.base import (
    LayerBuilder,
    LayerContext,
    Overlay,
    OverlayKind,
    color_attr,
    register_kind,
    resolve_times,
    space_coord,
)
from neurospatial.animation.validation import (
    as_float_array,
    check_color,
    check_finite,
    check_missing,
    check_names_exist,
    check_positive,
    check_skeleton,
    check_times,
)
from neurospatial.errors import format_message

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["BodypartKind", "BodypartOverlay"]


@dataclass
class BodypartOverlay(Overlay):
    """Pose keypoints, coloured per keypoint, joined by a skeleton.

    Parameters
    ----------
    data : dict of str -> array-like of shape (n_samples, n_dims)
        Keypoint name -> positions in environment units.
    times : array-like of shape (n_samples,) or dict of str -> array-like, optional
        Shared timestamps, or one timestamp vector per keypoint (each keypoint is
        then interpolated on its own clock and may have its own length).
        Without times every keypoint must have one sample per frame.
    skeleton : list of (str, str), optional
        Edges between keypoints.
    colors : dict of str -> colour, optional
        Colour per keypoint; keypoints not listed get a colour-blind-safe colour
        chosen from their name (stable across calls).
    skeleton_color : colour
        Colour of the skeleton edges.
    skeleton_width : float
        Edge width in points.
    missing : {"raise", "gap"}
        What NaN samples mean: an error (``"raise"``, the default), or gaps
        (``"gap"``: not drawn, trails and skeleton edges break there, interpolation
        never bridges them). Inf is always an error.
    """

    data: Any
    times: Any = None
    skeleton: Any = None
    colors: Any = None
    skeleton_color: Any = "white"
    skeleton_width: float = 2.0
    missing: str = "raise"

    kind: ClassVar[str] = "bodypart"

    def __post_init__(self) -> None:
        self.missing = check_missing(self.missing, "BodypartOverlay missing")
        if not isinstance(self.data, Mapping) or not self.data:
            got = "an empty dict" if isinstance(self.data, Mapping) else type(self.data).__name__
            raise TypeError(
                format_message(
                    "BodypartOverlay data must be a non-empty dict of keypoint name -> "
                    f"(n_samples, n_dims) array, got {got}.",
                    "keypoints are drawn, coloured and joined by the skeleton by name.",
                    [
                        "Pass a dict: BodypartOverlay({'nose': nose_xy, 'tail': tail_xy}).",
                        "From a (n_samples, n_keypoints, n_dims) array: "
                        "{name: pose[:, i] for i, name in enumerate(names)}.",
                    ],
                )
            )
        parsed: dict[str, NDArray[np.float64]] = {}
        for name, values in self.data.items():
            label = f"BodypartOverlay data[{name!r}]"
            arr = as_float_array(values, label)
            if arr.ndim == 1:
                arr = arr[:, None]
            if arr.ndim != 2 or arr.shape[1] not in (1, 2, 3) or len(arr) == 0:
                raise ValueError(
                    format_message(
                        "Overlay data has incorrect shape.\n"
                        "  Expected: (n_samples, n_dims) with n_dims 1, 2 or 3 and at least one "
                        "sample\n"
                        f"  Got: {np.shape(values)} in {label}",
                        "each row is one sample of the keypoint, each column one coordinate "
                        "(x, y, z).",
                        [
                            "Stack coordinates as columns: np.column_stack([x, y]).",
                            "If the array is (n_dims, n_samples), transpose it: values.T.",
                        ],
                    )
                )
            check_finite(arr, label, allow_nan=self.missing == "gap")
            parsed[str(name)] = arr
        dims = {a.shape[1] for a in parsed.values()}
        if len(dims) > 1:
            raise ValueError(
                format_message(
                    "BodypartOverlay keypoints have different dimensions: "
                    f"{ {k: a.shape for k, a in parsed.items()} }.",
                    "all keypoints of a pose live in the same space (one n_dims).",
                    [
                        "Pass every keypoint with the same number of columns, e.g. all (x, y).",
                        "Drop extra columns, e.g. values[:, :2] for 2D.",
                    ],
                )
            )
        self.data = parsed
        names = list(parsed)
        self.times = self._parse_times(parsed)
        self.skeleton = self._parse_skeleton(names)
        if self.colors is not None:
            if not isinstance(self.colors, Mapping):
                raise TypeError(
                    format_message(
                        "BodypartOverlay colors must be a dict of keypoint -> colour, got "
                        f"{type(self.colors).__name__}.",
                        "colours are given per keypoint name; keypoints not listed get an "
                        "automatic colour.",
                        [
                            "Pass a dict, e.g. colors={'nose': 'red', 'tail': '#1f77b4'}.",
                            "Omit colors to use the automatic colours.",
                        ],
                    )
                )
            check_names_exist(self.colors, names, "keypoint", "BodypartOverlay colors")
            for name, color in self.colors.items():
                check_color(color, f"BodypartOverlay colors[{name!r}]")
        check_color(self.skeleton_color, "BodypartOverlay skeleton_color")
        check_positive(
            self.skeleton_width,
            "BodypartOverlay skeleton_width",
            meaning="it is the width of the skeleton's lines in points.",
            example="skeleton_width=2.0",
        )

    def _parse_times(self, parsed: dict[str, NDArray[np.float64]]) -> Any:
        if self.times is None:
            lengths = {len(a) for a in parsed.values()}
            if len(lengths) > 1:
                raise ValueError(
                    format_message(
                        "BodypartOverlay keypoints have different lengths "
                        f"{ {k: len(a) for k, a in parsed.items()} } and no times.",
                        "without times every keypoint is matched 1:1 to the frames, so all "
                        "need the same number of samples.",
                        [
                            "Pass times as a dict with one timestamp vector per keypoint, "
                            "so each is placed in time on its own clock.",
                            "Trim or resample the keypoints to one common length.",
                        ],
                    )
                )
            return None
        if isinstance(self.times, Mapping):
            check_names_exist(self.times, list(parsed), "keypoint", "BodypartOverlay times")
            check_names_exist(
                parsed, list(self.times), "keypoint timestamp", "BodypartOverlay data"
            )
            return {
                k: check_times(self.times[k], f"BodypartOverlay times[{k!r}]", len(a), overlay=True)
                for k, a in parsed.items()
            }
        lengths = {len(a) for a in parsed.values()}
        if len(lengths) > 1:
            raise ValueError(
                format_message(
                    "BodypartOverlay keypoints have different lengths "
                    f"{ {k: len(a) for k, a in parsed.items()} } but share one times vector "
                    f"of {np.size(self.times)}.",
                    "a shared times vector gives one timestamp per sample of every keypoint.",
                    [
                        "Pass times as a dict with one vector per keypoint.",
                        "Trim the keypoints to the samples the times belong to.",
                    ],
                )
            )
        return check_times(self.times, "BodypartOverlay times", lengths.pop(), overlay=True)

    def _parse_skeleton(self, names: list[str]) -> list[tuple[str, str]] | None:
        if self.skeleton is None:
            return None
        edges = []
        for edge in self.skeleton:
            if isinstance(edge, str) or len(edge) != 2:
                raise ValueError(
                    format_message(
                        f"BodypartOverlay skeleton edge {edge!r} is not a pair of keypoint names.",
                        "each skeleton edge joins two keypoints.",
                        [
                            "Pass edges as (name, name) tuples: "
                            "skeleton=[('nose', 'neck'), ('neck', 'tail')].",
                        ],
                    )
                )
            edges.append((str(edge[0]), str(edge[1])))
        check_skeleton(edges, names)
        return edges

    @property
    def keypoints(self) -> list[str]:
        return list(self.data)

    @property
    def n_dims(self) -> int:
        return int(next(iter(self.data.values())).shape[1])

    @classmethod
    def from_movement(
        cls,
        data: Any,
        *,
        keypoints: list[str] | None = None,
        individuals: list[str] | None = None,
        skeleton: Any = None,
        confidence_threshold: float | None = None,
        fps: float | None = None,
        calibration: Any = None,
        position_variable: str = "position",
        **style: Any,
    ) -> list[BodypartOverlay]:
        """One overlay per individual from a movement-shaped pose dataset, each with a
        skeleton colour stable per individual name. See `neurospatial.animation.pose_io`
        for what is accepted (dims, times, `confidence_threshold`, `calibration`)."""
        from neurospatial.animation.pose_io import bodyparts_from_movement

        return bodyparts_from_movement(
            cls,
            data,
            keypoints=keypoints,
            individuals=individuals,
            skeleton=skeleton,
            confidence_threshold=confidence_threshold,
            fps=fps,
            calibration=calibration,
            position_variable=position_variable,
            **style,
        )

    def n_samples(self) -> int:
        return len(next(iter(self.data.values())))

    def to_dataset(self, frame_times: Any = None) -> xr.Dataset:
        """``position(time, space, keypoint)`` plus ``skeleton(edge, end)``.

        With per-keypoint times the dataset's time axis is the union of all
        timestamps; each keypoint is linearly interpolated onto it within its own
        range (NaN outside). Linear interpolation of a piecewise-linear track at a
        superset of its knots reproduces it, so aligning this dataset onto frame
        times equals interpolating each keypoint on its own clock.
        """
        import xarray as xr

        keypoints = self.keypoints
        if isinstance(self.times, dict):
            time = np.unique(np.concatenate(list(self.times.values())))
            stacked = np.stack(
                [
                    np.column_stack(
                        [
                            np.interp(
                                time, self.times[k], self.data[k][:, d], left=np.nan, right=np.nan
                            )
                            for d in range(self.n_dims)
                        ]
                    )
                    for k in keypoints
                ],
                axis=-1,
            )
        else:
            time = resolve_times(self, self.times, frame_times)
            stacked = np.stack([self.data[k] for k in keypoints], axis=-1)
        data_vars: dict[str, Any] = {"position": (("time", "space", "keypoint"), stacked)}
        if self.skeleton:
            data_vars["skeleton"] = (("edge", "end"), np.array(self.skeleton, dtype=object))
        attrs: dict[str, Any] = {
            "kind": self.kind,
            "skeleton_color": color_attr(self.skeleton_color),
            "skeleton_width": float(self.skeleton_width),
            "colors": json.dumps({k: color_attr(c) for k, c in (self.colors or {}).items()}),
        }
        return xr.Dataset(
            data_vars,
            coords={
                "time": time,
                "space": space_coord(self.n_dims),
                "keypoint": np.array(keypoints, dtype=object),
            },
            attrs=attrs,
        )


class BodypartKind(OverlayKind):
    """``position(time, space, keypoint)`` and ``skeleton(edge, end)``: keypoints
    coloured per keypoint (attrs ``colors``, else `keypoint_colors`), skeleton edges
    drawn only where both ends are present."""

    name = "bodypart"
    space_variable = "position"
    position_variable = "position"
    load_variables = ("position",)
    anchor_rank = 1

    def anchor(self, values: Mapping[str, NDArray[Any]]) -> NDArray[np.float64]:
        """The keypoints' centroid (the present ones), per frame."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # frames with no keypoint
            return np.asarray(np.nanmean(values["position"], axis=-1), dtype=np.float64)

    def layers(
        self, name: str, ds: xr.Dataset, values: Mapping[str, NDArray[Any]], ctx: LayerContext
    ) -> LayerBuilder:
        from neurospatial.animation.render.layers import (
            KEYPOINT_SIZE_PT,
            keypoint_colors,
            lift,
            points_layer,
            segments_layer,
        )

        pos = lift(np.moveaxis(values["position"], 1, -1), ctx.n_dims)  # (n, keypoint, 2)
        pos.flags.writeable = False  # layers hold views of it
        valid = np.all(np.isfinite(pos), axis=-1)
        names = [str(k) for k in ds["keypoint"].values]
        given = json.loads(ds.attrs.get("colors", "{}"))
        auto = keypoint_colors(names)
        colors = np.array([given.get(n, auto[n]) for n in names], dtype=object)
        labels = np.array(names, dtype=object)
        lookup = {n: i for i, n in enumerate(names)}
        pairs = ds["skeleton"].values if "skeleton" in ds else np.zeros((0, 2))
        edges = np.array([(lookup[str(a)], lookup[str(b)]) for a, b in pairs], dtype=np.intp)
        edges = edges.reshape(-1, 2)
        edge_labels = np.array([f"{a}-{b}" for a, b in pairs], dtype=object)
        color, width = str(ds.attrs["skeleton_color"]), float(ds.attrs["skeleton_width"])

        complete = valid.all(axis=1)
        all_edges, all_colors, all_names = tuple(edge_labels), tuple(colors), tuple(labels)
        a, b = edges[:, 0], edges[:, 1]

        def build(k: int) -> list[Any]:
            p = pos[k]
            if complete[k]:  # every keypoint present: views, no selection
                return [
                    segments_layer(name, p[a], p[b], all_edges, color, width),
                    points_layer(name, p, all_colors, all_names, KEYPOINT_SIZE_PT),
                ]
            v = valid[k]
            keep = v[a] & v[b]
            return [
                segments_layer(
                    name, p[a[keep]], p[b[keep]], tuple(edge_labels[keep]), color, width
                ),
                points_layer(name, p[v], tuple(colors[v]), tuple(labels[v]), KEYPOINT_SIZE_PT),
            ]

        return build


register_kind(BodypartKind())
