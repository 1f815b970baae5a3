"""Common machinery of overlays: the dataclasses users build, and the kinds.

An overlay dataclass validates its own input at construction (types, shapes,
finite values, monotonic times, colours, sizes) and converts to an ``xr.Dataset``
with `to_dataset`. Everything after that works on datasets (which is what a scene
stores), through the dataset's kind: one `OverlayKind` per overlay kind, defined
in that kind's module, says how its datasets are checked against the environment
(`check`), linked to other overlays (`link`), sampled at frame times (`align`),
how many earlier frames a frame draws (`history`), which layers a frame shows
(`layers`) and what a parallel worker needs (`pack`). Adding a kind is one module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from neurospatial.errors import format_message

if TYPE_CHECKING:
    import xarray as xr

    from neurospatial.animation.render.layers import Layer
    from neurospatial.environment import Environment

__all__ = [
    "LayerContext",
    "Overlay",
    "OverlayKind",
    "color_attr",
    "kind_of",
    "register_kind",
    "resolve_times",
    "space_coord",
]

SPACE = ("x", "y", "z")


class Overlay:
    """Base of all overlays: `kind` names the node in the scene."""

    kind: ClassVar[str] = "overlay"

    def n_samples(self) -> int:
        raise NotImplementedError

    def has_own_times(self) -> bool:
        return getattr(self, "times", None) is not None

    def to_dataset(self, frame_times: Any = None) -> xr.Dataset:
        """Convert to the scene vocabulary.

        Parameters
        ----------
        frame_times : array-like of shape (n_frames,), optional
            Used as the time coordinate when the overlay has no ``times`` of its
            own (one sample per frame).
        """
        raise NotImplementedError


def resolve_times(overlay: Overlay, own: NDArray[np.float64] | None, frame_times: Any) -> Any:
    """The overlay's time coordinate: its own times, else the frame times (1:1)."""
    if own is not None:
        return own
    n = overlay.n_samples()
    if frame_times is None:
        raise ValueError(
            format_message(
                f"{type(overlay).__name__} has no times and no frame_times were given.",
                "an overlay without its own timestamps is matched 1:1 to the frames.",
                [
                    "Pass times= to the overlay (one timestamp per sample).",
                    "Call to_dataset(frame_times=...) with one time per sample.",
                ],
            )
        )
    ft = np.asarray(frame_times, dtype=np.float64)
    if len(ft) != n:
        raise ValueError(
            format_message(
                f"{type(overlay).__name__} has {n} samples and no times, but there are "
                f"{len(ft)} frames.",
                "without times= an overlay is matched 1:1 to the frames, so it needs "
                "exactly n_frames samples.",
                [
                    "Pass times= (the sample timestamps) so it is interpolated onto the frames.",
                    f"Resample the overlay to {len(ft)} samples, one per frame.",
                ],
            )
        )
    return ft


def space_coord(n_dims: int) -> NDArray[np.object_]:
    return np.array(SPACE[:n_dims], dtype=object)


def color_attr(color: Any) -> str:
    """Colours as strings in attrs (names and hex stay, tuples become hex)."""
    if isinstance(color, str):
        return color
    from matplotlib.colors import to_hex

    return str(to_hex(color, keep_alpha=True))


# ------------------------------------------------------------------------ kinds
@dataclass
class LayerContext:
    """What a kind's layer builder may know beyond its own window of data.

    Attributes
    ----------
    n_dims : int
        The environment's dimension count (1D points are lifted onto the strip).
    frames : ndarray of int
        Global frame index of each frame of the window.
    centre : ndarray of shape (2,)
        The environment's centre (world, lifted).
    anchors : dict of str -> ndarray of shape (n_window, 2)
        Per overlay that can anchor others (`OverlayKind.anchor`), its anchor point
        per frame of the window (world, lifted).
    """

    n_dims: int
    frames: NDArray[np.int64]
    centre: NDArray[np.float64]
    anchors: dict[str, NDArray[np.float64]] = field(default_factory=dict)


#: A kind's layers for one window: local frame position -> that frame's layers.
LayerBuilder = Callable[[int], "list[Layer]"]


class OverlayKind:
    """How the datasets of one overlay kind are checked, aligned and drawn.

    Subclasses live in their kind's module and register with `register_kind`;
    `kind_of(ds)` finds the kind of a dataset from ``ds.attrs["kind"]``.
    """

    name: ClassVar[str]
    #: The variable holding coordinates in space (checked against the environment).
    space_variable: ClassVar[str | None] = None
    #: The variable holding positions (bounds-checked, used as anchors).
    position_variable: ClassVar[str | None] = None
    #: Variables a window's layers read (loaded at once, per window).
    load_variables: ClassVar[tuple[str, ...]] = ()
    #: Overlays of kinds with an `anchor` anchor others (head direction) by this
    #: preference, lowest first (None: never an anchor).
    anchor_rank: ClassVar[int | None] = None

    def check(self, name: str, ds: xr.Dataset, env: Environment) -> xr.Dataset:
        """Build-time checks against the environment; may return an amended dataset."""
        from neurospatial.animation.validation import check_bounds, check_space

        if self.space_variable is not None:
            check_space(name, ds[self.space_variable], env.n_dims)
        if self.position_variable is not None:
            values: NDArray[np.float64] = np.moveaxis(ds[self.position_variable].values, 1, -1)
            check_bounds(name, values, env.dimension_ranges, env.units)
        return ds

    def link(self, name: str, ds: xr.Dataset, datasets: Mapping[str, xr.Dataset]) -> xr.Dataset:
        """Relate this overlay to the others of the scene (all of them, in drawing
        order) at build time; decisions are stored in attrs."""
        return ds

    def align(self, ds: xr.Dataset, frame_times: NDArray[np.float64]) -> xr.Dataset:
        """The dataset sampled at `frame_times` (linear, NaN outside its time range).

        Only the source samples the frame times need are read (`source_window`), so
        aligning a window of frames reads only the chunks that cover it.
        """
        from neurospatial.animation.interpolation import interp_time, source_window

        source = np.asarray(ds["time"].values, dtype=np.float64)
        if len(source) == 1:  # one sample: shown exactly at its time, nowhere else
            return ds.reindex(time=frame_times)
        return interp_time(ds.isel(time=source_window(source, frame_times)), frame_times)

    def history(self, ds: Any) -> int:
        """How many earlier frames a frame's layers use (a trail's length)."""
        return 0

    def anchor(self, values: Mapping[str, NDArray[Any]]) -> NDArray[np.float64] | None:
        """Per frame, the point other overlays may be anchored at (None: cannot anchor)."""
        return None

    def under_field(self, attrs: Mapping[Any, Any]) -> bool:
        """Whether this overlay is drawn under the field (which then leaves its NaN and
        empty pixels transparent)."""
        return False

    def upgrade(self, ds: xr.Dataset, version: int) -> xr.Dataset:
        """A dataset stored under an older scene schema `version`, in today's terms."""
        return ds

    def layers(
        self, name: str, ds: xr.Dataset, values: Mapping[str, NDArray[Any]], ctx: LayerContext
    ) -> LayerBuilder:
        """The layer builder of an aligned window: ``builder(k)`` gives the layers of
        the window's k-th frame. `values` holds the window's variables, loaded."""
        raise NotImplementedError

    def pack(self, ds: xr.Dataset) -> xr.Dataset:
        """An aligned window reduced to what drawing it needs (sent to workers)."""
        return ds

    def frames_shown(
        self, ds: xr.Dataset, frame_times: NDArray[np.float64], frames: range
    ) -> NDArray[np.int64] | None:
        """For kinds that read ahead (video): what frames `frames` of the scene (at
        `frame_times`) show, in order, so a renderer can start reading now. None: no
        reading ahead."""
        return None


_KINDS: dict[str, OverlayKind] = {}


def register_kind(kind: OverlayKind) -> OverlayKind:
    """Register an overlay kind under ``kind.name`` (datasets carry it in attrs)."""
    _KINDS[kind.name] = kind
    return kind


def kind_of(ds: Any) -> OverlayKind:
    """The kind of an overlay dataset (or scene node), from ``ds.attrs["kind"]``."""
    import neurospatial.animation.overlays  # noqa: F401  (registers the built-in kinds)

    name = ds.attrs.get("kind")
    kind = _KINDS.get(str(name))
    if kind is None:
        raise ValueError(
            format_message(
                f"Unknown overlay kind {name!r} in a scene.",
                "every overlay dataset names its kind in attrs['kind'], which says how it is "
                "aligned and drawn.",
                [
                    f"Known kinds: {sorted(_KINDS)}.",
                    "Upgrade neurospatial if the scene was written by a newer version.",
                ],
            )
        )
    return kind
