"""Named regions of interest: plain data (a kind and world coordinates).

A region is either a point (a location, drawn as a ring) or a polygon (2D
environments only, drawn filled). Regions hold numpy coordinates only, so they
pickle and serialize to JSON without shapely; `Region.polygon` builds a shapely
object on demand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from neurospatial.errors import format_message

__all__ = ["Region", "Regions"]


class RegionKeyError(KeyError):
    """The ``KeyError(name)`` of a missing region. Its WHAT / WHY / HOW message is
    built only when shown, so ``name in regions`` and ``regions.get(name)``, which
    catch it, cost nothing; unlike a plain ``KeyError`` it prints unquoted."""

    def __init__(self, name: str, available: Sequence[str] = ()) -> None:
        super().__init__(name)
        self.available = list(available)

    def __str__(self) -> str:
        import difflib

        name = self.args[0]
        close = difflib.get_close_matches(str(name), self.available, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        return format_message(
            f"No region named {name!r}. Available regions: {self.available}.{hint}",
            "regions are looked up by the exact name they were added with.",
            [
                "Check the spelling (names are case-sensitive).",
                f"Add it first with regions.add({name!r}, point=...) (or polygon=...).",
            ],
        )


@dataclass(frozen=True, eq=False)
class Region:
    """A named region of interest.

    Parameters
    ----------
    name : str
        Unique name within the environment.
    kind : {"point", "polygon"}
        A point is one location; a polygon is a closed outline in 2D.
    coords : ndarray
        Array of shape (n_dims,) for a point, (n_vertices, 2) for a polygon
        (the outline is implicitly closed), in environment units.
    metadata : dict
        Free-form JSON-serializable data carried along.
    """

    name: str
    kind: Literal["point", "polygon"]
    coords: NDArray[np.float64]
    metadata: dict[str, Any] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Region):
            return NotImplemented
        return (
            self.name == other.name
            and self.kind == other.kind
            and np.array_equal(self.coords, other.coords)
            and self.metadata == other.metadata
        )

    def __hash__(self) -> int:
        return hash((self.name, self.kind, self.coords.tobytes()))

    @property
    def polygon(self) -> Any:
        """The region as a shapely ``Polygon`` (polygon regions only)."""
        if self.kind != "polygon":
            raise TypeError(
                format_message(
                    f"Region {self.name!r} is a {self.kind}, not a polygon.",
                    "only polygon regions have an outline to turn into a shapely Polygon.",
                    [
                        "Check region.kind == 'polygon' before using region.polygon.",
                        "For a point, use region.coords (or shapely.Point(region.coords)).",
                    ],
                )
            )
        import shapely

        return shapely.Polygon(self.coords)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serializable description (lossless for float64 coordinates)."""
        return {"kind": self.kind, "coords": self.coords.tolist(), "metadata": self.metadata}

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Region:
        coords = np.asarray(data["coords"], dtype=np.float64)
        return cls(name, data["kind"], coords, dict(data.get("metadata", {})))


class Regions(MutableMapping[str, Region]):
    """Mapping of region name -> `Region` for one environment.

    Use `add` to create regions (it validates against the environment's
    dimensionality); ``del regions[name]`` removes one.
    """

    def __init__(self, n_dims: int, regions: Mapping[str, Region] | None = None) -> None:
        self._n_dims = n_dims
        self._data: dict[str, Region] = {}
        for region in (regions or {}).values():
            self[region.name] = region

    def add(
        self,
        name: str,
        *,
        point: Any = None,
        polygon: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Region:
        """Add a point or polygon region and return it.

        Parameters
        ----------
        name : str
            Unique region name.
        point : array-like of shape (n_dims,), optional
            Location of a point region, in environment units.
        polygon : shapely.Polygon or array-like of shape (n_vertices, 2), optional
            Outline of a polygon region (2D environments only).
        metadata : mapping, optional
            JSON-serializable data stored with the region.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(
                format_message(
                    f"Region name must be a non-empty string, got {name!r}.",
                    "regions are stored, drawn and looked up by name.",
                    ["Pass a name such as 'reward' or 'arm_1'."],
                )
            )
        if (point is None) == (polygon is None):
            given = "both" if point is not None else "neither"
            raise ValueError(
                format_message(
                    f"Region {name!r}: got {given} of point= and polygon=.",
                    "a region is either a point or a polygon.",
                    [
                        "Pass point= for a location: regions.add('reward', point=(10.0, 20.0)).",
                        "Pass polygon= for an area: "
                        "regions.add('arm', polygon=[(0, 0), (10, 0), (10, 5)]).",
                    ],
                )
            )
        if name in self._data:
            raise ValueError(
                format_message(
                    f"Region {name!r} already exists (a {self._data[name].kind}).",
                    "region names are unique within an environment.",
                    [
                        "Choose another name.",
                        f"Remove it first with del env.regions[{name!r}].",
                    ],
                )
            )
        if point is not None:
            region = Region(name, "point", self._parse_point(name, point), dict(metadata or {}))
        else:
            region = Region(
                name, "polygon", self._parse_polygon(name, polygon), dict(metadata or {})
            )
        self._data[name] = region
        return region

    def _parse_point(self, name: str, point: Any) -> NDArray[np.float64]:
        coords = np.asarray(point, dtype=np.float64).reshape(-1)
        if coords.shape != (self._n_dims,) or not np.all(np.isfinite(coords)):
            raise ValueError(
                format_message(
                    f"Region {name!r}: point {np.asarray(point).tolist()!r} is not "
                    f"{self._n_dims} finite coordinates.",
                    f"the environment is {self._n_dims}D, so a point has {self._n_dims} "
                    "coordinate(s).",
                    [f"Pass a point with {self._n_dims} finite values in environment units."],
                )
            )
        return coords

    def _parse_polygon(self, name: str, polygon: Any) -> NDArray[np.float64]:
        if self._n_dims != 2:
            raise ValueError(
                format_message(
                    f"Region {name!r}: polygon regions need a 2D environment, this one is "
                    f"{self._n_dims}D.",
                    "a polygon outline is defined in a plane.",
                    ["Use point= for a location in this environment."],
                )
            )
        if hasattr(polygon, "exterior"):
            coords = np.asarray(polygon.exterior.coords, dtype=np.float64)[:-1]
        else:
            coords = np.asarray(polygon, dtype=np.float64)
        if coords.ndim != 2 or coords.shape[1] != 2 or len(coords) < 3:
            raise ValueError(
                format_message(
                    f"Region {name!r}: polygon has shape {coords.shape}, "
                    "expected (n_vertices >= 3, 2).",
                    "an outline needs at least three (x, y) vertices.",
                    ["Pass a shapely Polygon or a list of (x, y) pairs."],
                )
            )
        if not np.all(np.isfinite(coords)):
            bad = np.flatnonzero(~np.all(np.isfinite(coords), axis=1))
            raise ValueError(
                format_message(
                    f"Region {name!r}: polygon vertices must be finite numbers; "
                    f"{len(bad)} of {len(coords)} are not, first at indices "
                    f"{bad[:5].tolist()} (vertex {bad[0]} is {coords[bad[0]].tolist()}).",
                    "an outline is drawn through every vertex.",
                    ["Drop or fix the non-finite vertices before adding the region."],
                )
            )
        return coords

    def __getitem__(self, name: str) -> Region:
        try:
            return self._data[name]
        except KeyError:
            raise RegionKeyError(name, sorted(self._data)) from None

    def __setitem__(self, name: str, region: Region) -> None:
        if not isinstance(region, Region) or region.name != name:
            got = (
                f"a Region named {region.name!r}"
                if isinstance(region, Region)
                else type(region).__name__
            )
            raise TypeError(
                format_message(
                    f"regions[{name!r}] = ... needs a Region named {name!r}, got {got}.",
                    "regions.add validates a region against the environment's dimensions; "
                    "assignment only takes Region objects under their own name.",
                    [f"Use regions.add({name!r}, point=...) or polygon=... to create regions."],
                )
            )
        self._data[name] = region

    def __delitem__(self, name: str) -> None:
        self[name]
        del self._data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        inner = ", ".join(f"{n!r}: {r.kind}" for n, r in self._data.items())
        return f"Regions({{{inner}}})"

    def to_json(self) -> str:
        """Serialize all regions to a JSON string (used by `Environment.to_dataset`)."""
        return json.dumps({name: region.to_dict() for name, region in self._data.items()})

    @classmethod
    def from_json(cls, n_dims: int, text: str) -> Regions:
        data = json.loads(text)
        return cls(n_dims, {name: Region.from_dict(name, d) for name, d in data.items()})
