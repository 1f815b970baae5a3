"""`PositionOverlay`: the animal's position with an optional fading trail."""

from __future__ import annotations

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
    check_positive,
    check_times,
)
from neurospatial.errors import format_message

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["PositionKind", "PositionOverlay"]


@dataclass
class PositionOverlay(Overlay):
    """Position marker with an optional trail.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_dims)
        Positions in environment units ((n_samples,) is accepted for 1D).
    times : array-like of shape (n_samples,), optional
        Timestamps in seconds. Without them the overlay must have one sample
        per frame.
    color : str or tuple
        Any matplotlib colour.
    size : float
        Marker diameter in points.
    trail_length : int, optional
        Number of past frames drawn as a fading trail (None: no trail).
    missing : {"raise", "gap"}
        What NaN samples mean: an error (``"raise"``, the default), or gaps
        (``"gap"``: not drawn, trails and skeleton edges break there, interpolation
        never bridges them). Inf is always an error.
    """

    data: Any
    times: Any = None
    color: Any = "red"
    size: float = 10.0
    trail_length: int | None = None
    missing: str = "raise"

    kind: ClassVar[str] = "position"

    def __post_init__(self) -> None:
        data = as_float_array(self.data, "PositionOverlay data")
        if data.ndim == 1:
            data = data[:, None]
        if data.ndim != 2 or data.shape[1] not in (1, 2, 3) or len(data) == 0:
            raise ValueError(
                format_message(
                    "Overlay data has incorrect shape.\n"
                    "  Expected: (n_samples, n_dims) with n_dims 1, 2 or 3 and at least one "
                    "sample\n"
                    f"  Got: {np.shape(self.data)} in PositionOverlay data",
                    "each row is one position sample, each column one coordinate (x, y, z).",
                    [
                        "Stack coordinates as columns: np.column_stack([x, y]).",
                        "If the array is (n_dims, n_samples), transpose it: data.T.",
                    ],
                )
            )
        self.missing = check_missing(self.missing, "PositionOverlay missing")
        check_finite(data, "PositionOverlay data", allow_nan=self.missing == "gap")
        self.data = data
        if self.times is not None:
            self.times = check_times(self.times, "PositionOverlay times", len(data), overlay=True)
        check_color(self.color, "PositionOverlay color")
        check_positive(
            self.size,
            "PositionOverlay size",
            meaning="it is the marker's diameter in points.",
            example="size=10.0",
        )
        check_positive(
            self.trail_length,
            "PositionOverlay trail_length",
            meaning="it is how many past frames the trail shows (None: no trail).",
            example="trail_length=10, or trail_length=None for no trail",
            allow_none=True,
            integer=True,
        )
        if self.trail_length is not None:
            self.trail_length = int(self.trail_length)

    @classmethod
    def from_movement(
        cls,
        data: Any,
        *,
        keypoint: str | list[str] | None = None,
        individual: str | None = None,
        confidence_threshold: float | None = None,
        fps: float | None = None,
        calibration: Any = None,
        position_variable: str = "position",
        **style: Any,
    ) -> PositionOverlay:
        """The position of one animal from a movement-shaped pose dataset: one keypoint,
        or the centroid of several (default: all). See `neurospatial.animation.pose_io`
        for what is accepted (dims, times, `confidence_threshold`, `calibration`)."""
        from neurospatial.animation.pose_io import position_from_movement

        return position_from_movement(
            cls,
            data,
            keypoint=keypoint,
            individual=individual,
            confidence_threshold=confidence_threshold,
            fps=fps,
            calibration=calibration,
            position_variable=position_variable,
            **style,
        )

    def n_samples(self) -> int:
        return len(self.data)

    def to_dataset(self, frame_times: Any = None) -> xr.Dataset:
        import xarray as xr

        time = resolve_times(self, self.times, frame_times)
        attrs: dict[str, Any] = {
            "kind": self.kind,
            "color": color_attr(self.color),
            "size": float(self.size),
        }
        if self.trail_length is not None:
            attrs["trail_length"] = self.trail_length
        return xr.Dataset(
            {"position": (("time", "space"), self.data)},
            coords={"time": time, "space": space_coord(self.data.shape[1])},
            attrs=attrs,
        )


class PositionKind(OverlayKind):
    """``position(time, space)``: a marker, and a fading trail over the last
    ``trail_length`` frames (attrs), broken where a sample is missing."""

    name = "position"
    space_variable = "position"
    position_variable = "position"
    load_variables = ("position",)
    anchor_rank = 0

    def history(self, ds: Any) -> int:
        return int(ds.attrs.get("trail_length", 0))

    def anchor(self, values: Mapping[str, NDArray[Any]]) -> NDArray[np.float64]:
        return np.asarray(values["position"], dtype=np.float64)

    def layers(
        self, name: str, ds: xr.Dataset, values: Mapping[str, NDArray[Any]], ctx: LayerContext
    ) -> LayerBuilder:
        from neurospatial.animation.render.layers import (
            lift,
            points_layer,
            trail_layer,
            trail_width,
        )

        pos = lift(values["position"], ctx.n_dims)
        pos.flags.writeable = False  # layers hold views of it
        valid = np.all(np.isfinite(pos), axis=1)
        numbers = np.asarray(ctx.frames, dtype=np.int64)
        # Segment j joins the window's frames j and j + 1: drawn when both are present and
        # they are consecutive frames of the scene (a window may be any set of frames).
        joined = valid[:-1] & valid[1:] & (np.diff(numbers) == 1)
        contiguous = bool(np.all(np.diff(numbers) == 1))
        complete = np.concatenate([[0], np.cumsum(joined)])  # joined segments before k
        color, size = str(ds.attrs["color"]), float(ds.attrs["size"])
        trail, width = self.history(ds), trail_width(size)
        frames = numbers.tolist()
        ages = np.arange(trail, 0, -1, dtype=np.float64)  # oldest first
        ages.flags.writeable = False
        none = np.zeros((0, 2))

        def build(k: int) -> list[Any]:
            n = min(trail, frames[k])  # segments of a full trail (fewer at the start)
            age: NDArray[Any]
            j0 = max(0, k - n)
            if contiguous and complete[k] - complete[j0] == k - j0:  # views, no copies
                starts, ends, age = pos[j0:k], pos[j0 + 1 : k + 1], ages[trail - (k - j0) :]
            else:  # the segments between frames (number) frames[k] - n .. frames[k]
                first = numbers[:-1]
                keep = np.flatnonzero(joined & (first >= frames[k] - n) & (first < frames[k]))
                starts, ends, age = pos[keep], pos[keep + 1], frames[k] - first[keep]
            if valid[k]:
                marker = points_layer(name, pos[k : k + 1], (color,), (name,), size)
            else:
                marker = points_layer(name, none, (), (), size)
            return [trail_layer(name, starts, ends, age, max(n, 1), color, width), marker]

        return build


register_kind(PositionKind())
