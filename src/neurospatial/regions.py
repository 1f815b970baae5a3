"""Named regions of interest: plain data (a kind and world coordinates).

A region is either a point (a location, drawn as a ring) or a polygon (2D
environments only, drawn filled). Regions hold numpy coordinates only, so they
pickle and serialize to JSON without shapely; `Region.polygon` builds a shapely
object on demand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["Region", "Regions"]


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
            raise TypeError(f"Region {self.name!r} is a {self.kind}, not a polygon.")
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
            raise TypeError(f"Region name must be a non-empty string, got {name!r}.")
        if (point is None) == (polygon is None):
            given = "both" if point is not None else "neither"
            raise ValueError(
                f"Region {name!r}: got {given} of point= and polygon=.\n"
                "WHY: a region is either a point or a polygon.\n"
                "HOW: pass exactly one, e.g. regions.add('reward', point=(10.0, 20.0)) or "
                "regions.add('arm', polygon=[(0, 0), (10, 0), (10, 5)])."
            )
        if name in self._data:
            raise ValueError(
                f"Region {name!r} already exists.\n"
                "WHY: region names are unique within an environment.\n"
                f"HOW: choose another name, or remove it first with del env.regions[{name!r}]."
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
                f"Region {name!r}: point {np.asarray(point).tolist()!r} is not {self._n_dims} "
                f"finite coordinates.\nWHY: the environment is {self._n_dims}D.\n"
                f"HOW: pass a point with {self._n_dims} finite values in environment units."
            )
        return coords

    def _parse_polygon(self, name: str, polygon: Any) -> NDArray[np.float64]:
        if self._n_dims != 2:
            raise ValueError(
                f"Region {name!r}: polygon regions need a 2D environment, this one is "
                f"{self._n_dims}D.\nWHY: a polygon outline is defined in a plane.\n"
                "HOW: use point= for a location in this environment."
            )
        if hasattr(polygon, "exterior"):
            coords = np.asarray(polygon.exterior.coords, dtype=np.float64)[:-1]
        else:
            coords = np.asarray(polygon, dtype=np.float64)
        if coords.ndim != 2 or coords.shape[1] != 2 or len(coords) < 3:
            raise ValueError(
                f"Region {name!r}: polygon has shape {coords.shape}, "
                "expected (n_vertices >= 3, 2).\n"
                "WHY: an outline needs at least three (x, y) vertices.\n"
                "HOW: pass a shapely Polygon or a list of (x, y) pairs."
            )
        if not np.all(np.isfinite(coords)):
            raise ValueError(f"Region {name!r}: polygon vertices must be finite numbers.")
        return coords

    def __getitem__(self, name: str) -> Region:
        try:
            return self._data[name]
        except KeyError:
            available = sorted(self._data)
            raise KeyError(f"No region named {name!r}. Available regions: {available}.") from None

    def __setitem__(self, name: str, region: Region) -> None:
        if not isinstance(region, Region) or region.name != name:
            raise TypeError("Use regions.add(name, point=... or polygon=...) to create regions.")
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
