"""Scenes in zarr: `open_scene`, and reading nodes for renderers.

``scene.to_zarr(path, consolidated=False)`` (xarray's own method) writes a scene;
`open_scene` reads it back lazily, dask-backed, and also opens the store without dask
so that renderers reading a window of frames at a time (`scene_dataset` with
``direct=True``) touch only the chunks they need, without dask's per-computation
overhead.
"""

from __future__ import annotations

import json
import os
import weakref
from collections.abc import Hashable
from typing import Any, NamedTuple

import numpy as np
import xarray as xr

from neurospatial.animation.scene import SCENE_KIND, SCHEMA_VERSION, link_overlays
from neurospatial.errors import format_message

__all__ = [
    "missing_chunks",
    "open_scene",
    "scene_dataset",
    "scene_overlays",
    "share_store",
    "stored_location",
]


def open_scene(path: str | os.PathLike[str] | Any) -> xr.DataTree:
    """Open a scene written with ``scene.to_zarr(path)``, lazily (dask-backed).

    Parameters
    ----------
    path : path or zarr store
        The store's root folder, or any zarr store object (e.g. a
        ``zarr.storage.FsspecStore`` for remote data).
    """
    where: Any = os.fspath(path) if isinstance(path, str | os.PathLike) else path
    label = where if isinstance(where, str) else type(where).__name__
    if isinstance(where, str) and not os.path.exists(where):
        raise FileNotFoundError(
            format_message(
                f"No scene at {label!r}: the path does not exist.",
                "open_scene reads a zarr store written by scene.to_zarr(path).",
                [
                    "Check the path (relative paths are relative to the working directory).",
                    "Write the scene first: build_scene(...).to_zarr(path, consolidated=False).",
                ],
            )
        )
    not_a_scene = format_message(
        f"{label!r} is not a neurospatial scene.",
        f"a scene is a zarr store whose root has attrs kind={SCENE_KIND!r} and a schema_version.",
        [
            "Write scenes with build_scene(...).to_zarr(path).",
            "Check the path points at the store's root folder.",
        ],
    )
    try:
        tree = xr.open_datatree(
            where, engine="zarr", chunks={}, consolidated=False, create_default_indexes=False
        )
    except Exception as exc:  # zarr/xarray raise many types for "not a store"
        raise ValueError(not_a_scene) from exc
    if tree.attrs.get("kind") != SCENE_KIND or "fields" not in tree.children:
        raise ValueError(not_a_scene)
    missing = [
        path
        for path, node, variable in (
            ("fields/field", "fields", "field"),
            ("environment/bin_center", "environment", "bin_center"),
        )
        if node not in tree.children or variable not in tree[node].data_vars
    ]
    if missing:
        raise ValueError(
            format_message(
                f"{label!r} is an incomplete scene: {missing} missing.",
                "every scene stores its fields and its environment; a store whose writing "
                "was interrupted, or that was copied in part, lacks some of them.",
                [
                    "Write the scene again: scene.to_zarr(path, mode='w', consolidated=False).",
                    "If it was copied, copy the whole folder again.",
                ],
            )
        )
    version = int(tree.attrs.get("schema_version", -1))
    if version > SCHEMA_VERSION:
        raise ValueError(
            format_message(
                f"{label!r} has scene schema version {version}, newer than this neurospatial "
                f"supports ({SCHEMA_VERSION}).",
                "a newer version of neurospatial wrote it, and may store things this one "
                "cannot draw correctly.",
                ["Upgrade neurospatial: pip install --upgrade neurospatial."],
            )
        )
    # The same store without dask, for renderers; no indexes of its own (the coordinates
    # come from `tree`: long sessions' time indexes are tens of MB).
    raw = xr.open_datatree(
        where,
        engine="zarr",
        chunks=None,
        cache=False,
        consolidated=False,
        create_default_indexes=False,
    )
    tree = _indexed(tree, raw)
    if version < SCHEMA_VERSION and "overlays" in tree.children:  # in today's terms
        from neurospatial.animation.overlays.base import kind_of

        old = {n: kind_of(ds).upgrade(ds, version) for n, ds in scene_overlays(tree).items()}
        for name, ds in link_overlays(old).items():
            tree["overlays"][name] = xr.DataTree(ds)
    _register_direct(tree, raw, os.path.abspath(where) if isinstance(where, str) else where)
    return tree


def _indexed(tree: xr.DataTree, raw: xr.DataTree) -> xr.DataTree:
    """The tree with a pandas index on every dimension coordinate (as xarray makes by
    default), built without copying the values read, and shared between nodes whose
    coordinates are equal (overlays on one clock): a long session's overlay time
    indexes are each tens of MB. The values are read from `raw`, the same store
    without dask (dask's first computations in a process cost about 0.2 s)."""
    import pandas as pd
    from xarray.indexes import PandasIndex

    known: list[Any] = []
    nodes: dict[str, xr.Dataset] = {}
    stored_nodes = {node.path: node for node in raw.subtree}
    for node in tree.subtree:
        ds = node.to_dataset(inherit=False)
        stored = stored_nodes[node.path].to_dataset(inherit=False)
        for dim in [d for d in ds.dims if d in ds.coords]:
            values = np.asarray((stored if dim in stored.coords else ds)[dim].values)
            for seen in known:  # same shape and dtype first: comparing values costs more
                same = seen.shape == values.shape and seen.dtype == values.dtype
                if same and np.array_equal(seen, values):
                    values = seen
                    break
            else:
                known.append(values)
            index = PandasIndex(pd.Index(values, copy=False), str(dim))
            ds = ds.assign_coords(xr.Coordinates.from_xindex(index))
        nodes[node.path] = ds
    return xr.DataTree.from_dict(nodes)


def scene_overlays(scene: xr.DataTree, *, direct: bool = False) -> dict[str, xr.Dataset]:
    """Overlay datasets by name, in the order they were given (drawing order).

    With `direct`, see `scene_dataset`.
    """
    if "overlays" not in scene.children:
        return {}
    names = json.loads(scene.attrs["overlays"])
    return {name: scene_dataset(scene, f"overlays/{name}", direct=direct) for name in names}


def scene_dataset(scene: xr.DataTree, path: str, *, direct: bool = False) -> xr.Dataset:
    """The node at `path` as a Dataset.

    With `direct`, the variables of a scene from `open_scene` that are still the ones it
    opened come straight from the store, without dask: indexing them reads only the
    chunks they touch, with none of dask's per-computation overhead (about 3 ms), which
    is what renderers reading one frame at a time need. Variables changed or added since
    are the scene's own, and so are the attrs. Such datasets load whatever is indexed
    from them: use them for windows, not for whole long scenes.
    """
    node = scene[path]
    entry = _entry(scene) if direct else None
    if entry is None:
        return node.to_dataset()
    raw, opened, cache = entry.raw, entry.names, entry.cache
    key = "/" + path.strip("/")
    signature = tuple((name, id(var)) for name, var in node.variables.items())
    hit = cache.get(key)
    if hit is None or hit[0] != signature:  # first use, or the node's variables changed
        ds, stored = node.to_dataset(), raw[path].to_dataset()
        same = [
            n
            for n, v in ds.variables.items()
            if v.chunks is not None and opened.get((key, str(n))) == v.data.name
        ]
        ds = ds.assign({n: stored[n].variable for n in same if n in ds.data_vars})
        ds = ds.assign_coords({n: stored[n].variable for n in same if n in ds.coords})
        cache[key] = hit = (signature, ds)  # holds the variables: their ids stay unique
    ds = hit[1]
    if ds.attrs != node.attrs:
        ds = ds.copy(deep=False)
        ds.attrs = dict(node.attrs)
    return ds


class _Opened(NamedTuple):
    """What `open_scene` remembers of a scene it returned."""

    ref: Any  # weak reference to the scene
    raw: xr.DataTree  # the store opened without dask
    names: dict[tuple[str, str], str]  # (node, variable) -> its dask name when opened
    cache: dict[str, Any]  # per node, the dataset renderers read (and its variables)
    where: Any  # the store: an absolute path or a zarr store object
    variables: dict[str, dict[Hashable, xr.Variable]]  # every node's variables as opened


_DIRECT: dict[int, _Opened] = {}


def _entry(scene: xr.DataTree) -> _Opened | None:
    entry = _DIRECT.get(id(scene))
    return entry if entry is not None and entry.ref() is scene else None


def _register(tree: xr.DataTree, entry: _Opened) -> None:
    key = id(tree)
    ref = weakref.ref(tree, lambda _: _DIRECT.pop(key, None))
    _DIRECT[key] = entry._replace(ref=ref)


def _register_direct(tree: xr.DataTree, raw: xr.DataTree, where: Any) -> None:
    names = {
        (node.path, str(name)): var.data.name
        for node in tree.subtree
        for name, var in node.variables.items()
        if var.chunks is not None
    }
    variables = {node.path: dict(node.variables) for node in tree.subtree}
    _register(tree, _Opened(None, raw, names, {}, where, variables))


def share_store(source: xr.DataTree, derived: xr.DataTree) -> None:
    """Let `derived`, a shallow copy of `source` with other attrs (`restyle_scene`), read
    from the store `source` was opened from, as `source` does (if it does)."""
    entry = _entry(source)
    if entry is None:
        return
    unchanged = stored_location(source) is not None
    variables = {node.path: dict(node.variables) for node in derived.subtree}
    _register(derived, entry._replace(cache={}, variables=variables if unchanged else {}))


def stored_location(scene: xr.DataTree) -> Any | None:
    """Where `scene` was opened from (an absolute path or the zarr store object), if it
    is a scene from `open_scene` whose data is still what it opened: the same nodes
    holding the same variables. Attrs may differ (callers send them along); anything
    else changed or added means the store no longer holds this scene: None."""
    entry = _entry(scene)
    if entry is None:
        return None
    nodes = {node.path: node for node in scene.subtree}
    if nodes.keys() != entry.variables.keys():
        return None
    for path, node in nodes.items():
        now, then = node.variables, entry.variables[path]
        if now.keys() != then.keys() or any(now[n] is not v for n, v in then.items()):
            return None
    return entry.where


def missing_chunks(path: str | os.PathLike[str]) -> dict[str, tuple[int, int]]:
    """Arrays of a stored scene with chunks absent from the store: path -> (stored,
    expected). zarr reads an absent chunk as fill values (NaN), silently; a store whose
    writing was interrupted has absent chunks, but so may a legitimate one whose chunk
    held only fill values (e.g. a long stretch without tracking)."""
    import warnings

    import zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr warns about folders it does not know
        group = zarr.open_group(os.fspath(path), mode="r")
        out = {}
        for name, member in group.members(max_depth=None):
            if isinstance(member, zarr.Array) and member.nchunks_initialized < member.nchunks:
                out[name] = (int(member.nchunks_initialized), int(member.nchunks))
    return out
