"""`HeadDirectionOverlay`: heading arrows anchored at the animal."""

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

__all__ = ["ANCHOR_CENTRE", "HeadDirectionKind", "HeadDirectionOverlay"]

#: ``attrs["anchor"]`` of a heading drawn at the environment's centre (no animal position).
ANCHOR_CENTRE = "centre"


@dataclass
class HeadDirectionOverlay(Overlay):
    """Head direction drawn as an arrow from the animal's position.

    Parameters
    ----------
    data : array-like of shape (n_samples,) or (n_samples, n_dims)
        Angles in radians (counter-clockwise from +x, 2D), or direction vectors
        (any non-zero length; they are normalized).
    times : array-like of shape (n_samples,), optional
        Timestamps in seconds; without them one sample per frame.
    color : colour
        Arrow colour.
    length : float
        Arrow length in environment units.
    missing : {"raise", "gap"}
        What NaN samples mean: an error (``"raise"``, the default), or gaps
        (``"gap"``: not drawn, trails and skeleton edges break there, interpolation
        never bridges them). Inf is always an error.

    Notes
    -----
    Headings are stored as unit vectors ``heading(time, space)``, so they are
    interpolated on the circle (vectors interpolated, then renormalized): no
    wrap-around jump between 359 and 1 degrees.
    """

    data: Any
    times: Any = None
    color: Any = "yellow"
    length: float = 20.0
    missing: str = "raise"

    kind: ClassVar[str] = "head_direction"

    def __post_init__(self) -> None:
        data = as_float_array(self.data, "HeadDirectionOverlay data")
        if data.ndim == 2 and data.shape[1] == 1:
            data = data[:, 0]
        if (
            data.ndim not in (1, 2)
            or len(data) == 0
            or (data.ndim == 2 and data.shape[1] not in (2, 3))
        ):
            raise ValueError(
                format_message(
                    "Overlay data has incorrect shape.\n"
                    "  Expected: (n_samples,) angles in radians or (n_samples, n_dims) vectors "
                    "with n_dims 2 or 3, and at least one sample\n"
                    f"  Got: {np.shape(self.data)} in HeadDirectionOverlay data",
                    "each sample is one heading: an angle, or a direction vector.",
                    [
                        "Pass angles in radians as a 1D array: np.arctan2(dy, dx).",
                        "Pass direction vectors as columns: np.column_stack([dx, dy]).",
                    ],
                )
            )
        self.missing = check_missing(self.missing, "HeadDirectionOverlay missing")
        check_finite(data, "HeadDirectionOverlay data", allow_nan=self.missing == "gap")
        if data.ndim == 1:
            data = np.column_stack([np.cos(data), np.sin(data)])
        norms = np.linalg.norm(data, axis=1)
        zero = np.flatnonzero(norms == 0)  # NaN (a gap) is not zero
        if len(zero):
            raise ValueError(
                format_message(
                    f"HeadDirectionOverlay data has {len(zero)} zero-length vector(s), first at "
                    f"indices {zero[:5].tolist()}.",
                    "a zero vector has no direction to draw.",
                    [
                        "Drop those samples together with their times: keep = "
                        "np.linalg.norm(data, axis=1) > 0; data, times = data[keep], times[keep].",
                        "Pass angles in radians instead of vectors.",
                    ],
                )
            )
        self.data = data / norms[:, None]
        if self.times is not None:
            self.times = check_times(
                self.times, "HeadDirectionOverlay times", len(data), overlay=True
            )
        check_color(self.color, "HeadDirectionOverlay color")
        check_positive(
            self.length,
            "HeadDirectionOverlay length",
            meaning="it is the arrow's length in environment units.",
            example="length=10.0",
        )

    @classmethod
    def from_movement(
        cls,
        data: Any,
        *,
        left_keypoint: str,
        right_keypoint: str,
        origin_keypoint: str | None = None,
        camera_view: str = "top_down",
        individual: str | None = None,
        confidence_threshold: float | None = None,
        fps: float | None = None,
        calibration: Any = None,
        position_variable: str = "position",
        **style: Any,
    ) -> HeadDirectionOverlay:
        """The direction an animal faces, from a movement-shaped pose dataset:
        perpendicular to left -> right (turned +90 degrees seen from above, -90 from
        below), or, with `origin_keypoint`, from the left/right midpoint towards it.
        Compute it in world coordinates (y up): pass `calibration` for tracker pixels."""
        from neurospatial.animation.pose_io import heading_from_movement

        return heading_from_movement(
            cls,
            data,
            left_keypoint=left_keypoint,
            right_keypoint=right_keypoint,
            origin_keypoint=origin_keypoint,
            camera_view=camera_view,
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
        return xr.Dataset(
            {"heading": (("time", "space"), self.data)},
            coords={"time": time, "space": space_coord(self.data.shape[1])},
            attrs={
                "kind": self.kind,
                "color": color_attr(self.color),
                "length": float(self.length),
            },
        )


class HeadDirectionKind(OverlayKind):
    """``heading(time, space)`` unit vectors, drawn as arrows ``length`` long (attrs)
    from an anchor decided when the scene is built (`link`, stored in
    ``attrs["anchor"]``)."""

    name = "head_direction"
    space_variable = "heading"
    load_variables = ("heading",)

    def link(self, name: str, ds: xr.Dataset, datasets: Mapping[str, xr.Dataset]) -> xr.Dataset:
        """The anchor rule: the k-th heading overlay is drawn at the k-th overlay of the
        most preferred kind that can anchor (`OverlayKind.anchor_rank`: positions, then
        pose keypoint centroids), the last one if there are fewer; with none, at the
        environment's centre, like a compass. The order is the order they were given."""
        from neurospatial.animation.overlays.base import kind_of

        headings = [n for n, d in datasets.items() if d.attrs.get("kind") == self.name]
        k = headings.index(name)
        ranked: dict[int, list[str]] = {}
        for other, d in datasets.items():
            rank = kind_of(d).anchor_rank
            if rank is not None:
                ranked.setdefault(rank, []).append(other)
        if not ranked:
            return ds.assign_attrs(anchor=ANCHOR_CENTRE)
        candidates = ranked[min(ranked)]
        return ds.assign_attrs(anchor=candidates[min(k, len(candidates) - 1)])

    def align(self, ds: xr.Dataset, frame_times: NDArray[np.float64]) -> xr.Dataset:
        """Vectors interpolated component-wise, then renormalized: interpolation on the
        circle (no jump between 359 and 1 degrees)."""
        aligned = super().align(ds, frame_times)
        heading = aligned["heading"]
        norm = ((heading**2).sum("space", skipna=False)) ** 0.5
        aligned["heading"] = heading / norm.where(norm > 0)
        return aligned

    def layers(
        self, name: str, ds: xr.Dataset, values: Mapping[str, NDArray[Any]], ctx: LayerContext
    ) -> LayerBuilder:
        from neurospatial.animation.render.layers import arrow_layer

        heading = np.asarray(values["heading"], dtype=np.float64)
        anchor = str(ds.attrs.get("anchor", ANCHOR_CENTRE))
        if anchor not in ctx.anchors:  # the centre, or the anchor is not in this scene
            anchor = ANCHOR_CENTRE
        if anchor == ANCHOR_CENTRE:
            origins = np.broadcast_to(ctx.centre[: heading.shape[1]], heading.shape)
        else:
            origins = ctx.anchors[anchor]
        length, color = float(ds.attrs["length"]), str(ds.attrs["color"])
        tips = origins + length * heading
        origins, tips = np.array(origins), tips  # layers hold views of them
        origins.flags.writeable = tips.flags.writeable = False
        valid = np.all(np.isfinite(origins), axis=1) & np.all(np.isfinite(tips), axis=1)
        none = np.zeros((0, 2))

        def build(k: int) -> list[Any]:
            if not valid[k]:
                return [arrow_layer(name, none, none, length, color)]
            return [arrow_layer(name, origins[k : k + 1], tips[k : k + 1], length, color)]

        return build


register_kind(HeadDirectionKind())
