"""Backends by name: file backends write a file, live backends return an object.

A **file** backend is called as ``export(scene, save_path, *, fps, dpi,
show_colorbar, n_workers, progress, **options) -> Path`` (and ``client=`` when the
caller renders on a dask cluster); a **live** backend as
``show(scene, *, fps, dpi, show_colorbar, **options) -> object``, an object the
caller displays (a notebook widget, a viewer window). `animate` and
``env.animate_fields`` return what the backend returns.

``backend="auto"`` picks a file backend from the save_path suffix; without a
save_path, the live backend made for notebooks when running inside Jupyter;
otherwise it raises, listing what is available.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from neurospatial.errors import format_message

__all__ = [
    "Backend",
    "available_backends",
    "in_notebook",
    "register_backend",
    "resolve_backend",
]


@dataclass(frozen=True)
class Backend:
    """A registered output surface.

    Attributes
    ----------
    name : str
    kind : {"file", "live"}
    function : callable or str
        The exporter (file) or show function (live), or ``"module:function"``,
        imported on first use.
    options : tuple of str
        Backend-specific keyword arguments it accepts.
    suffixes : tuple of str
        File backends: the save_path suffixes ``backend="auto"`` sends to it.
    notebook : bool
        Live backends: chosen by ``backend="auto"`` inside Jupyter.
    """

    name: str
    kind: Literal["file", "live"]
    function: Callable[..., Any] | str
    options: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    notebook: bool = False

    def load(self) -> Callable[..., Any]:
        """The backend's function (imported now if it was given by name)."""
        if callable(self.function):
            return self.function
        import importlib

        module, _, attr = self.function.partition(":")
        function: Callable[..., Any] = getattr(importlib.import_module(module), attr)
        return function


#: Backends by name, in the order they are documented (imported only when used).
_REGISTRY: dict[str, Backend] = {}


def register_backend(
    name: str,
    function: Callable[..., Any] | str,
    *,
    kind: Literal["file", "live"],
    options: tuple[str, ...] = (),
    suffixes: tuple[str, ...] = (),
    notebook: bool = False,
    replace: bool = False,
) -> Backend:
    """Register an output surface under `name` (see `Backend` for the arguments).

    Examples
    --------
    >>> from neurospatial.animation.backends import register_backend, unregister_backend
    >>> def show_title(scene, *, fps, dpi, show_colorbar):
    ...     return scene.attrs["title"]
    >>> register_backend("title", show_title, kind="live").kind
    'live'
    >>> unregister_backend("title")
    """
    if kind not in ("file", "live"):
        raise ValueError(
            format_message(
                f"Backend kind {kind!r} is neither 'file' nor 'live'.",
                "file backends write save_path; live backends return an object to display.",
                ["Pass kind='file' or kind='live'."],
            )
        )
    if name in _REGISTRY and not replace:
        raise ValueError(
            format_message(
                f"A backend named {name!r} is already registered.",
                "backends are chosen by name, so names are unique.",
                ["Choose another name.", "Pass replace=True to replace it."],
            )
        )
    backend = Backend(name, kind, function, tuple(options), tuple(suffixes), bool(notebook))
    _REGISTRY[name] = backend
    return backend


def unregister_backend(name: str) -> None:
    """Remove a registered backend (e.g. one a test registered)."""
    _REGISTRY.pop(name, None)


register_backend(
    "video",
    "neurospatial.animation.backends.video:export_video",
    kind="file",
    options=("crf", "preset", "frames"),
    suffixes=(".mp4", ".webm", ".mov", ".avi"),
)
register_backend(
    "html",
    "neurospatial.animation.backends.html:export_html",
    kind="file",
    options=("crf", "preset", "max_html_mb", "text", "frames"),
    suffixes=(".html", ".htm"),
)
register_backend(
    "widget",
    "neurospatial.animation.backends.widget:show_widget",
    kind="live",
    options=("frame", "speed", "loop", "hidden"),
    notebook=True,
)
register_backend(
    "napari",
    "neurospatial.animation.backends.napari_:show_napari",
    kind="live",
    options=("block", "play"),
)


def available_backends() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def in_notebook() -> bool:
    """Running in a Jupyter kernel: IPython's shell has a kernel (IPython is looked at
    only if something imported it already; the terminal IPython has no kernel)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def resolve_backend(backend: str, save_path: Path | None) -> Backend:
    """The backend to use: an explicit name, or ``"auto"`` (see the module docstring)."""
    if backend != "auto":
        found = _REGISTRY.get(backend)
        if found is None:
            raise ValueError(
                format_message(
                    f"Unknown backend {backend!r}.",
                    "backends are registered by name.",
                    [f"Use one of: {', '.join(repr(b) for b in ('auto', *_REGISTRY))}."],
                )
            )
        return found
    if save_path is not None:
        suffix = save_path.suffix.lower()
        for candidate in _REGISTRY.values():
            if candidate.kind == "file" and suffix in candidate.suffixes:
                return candidate
    elif in_notebook():
        for candidate in _REGISTRY.values():
            if candidate.kind == "live" and candidate.notebook:
                return candidate
    raise ValueError(_auto_message(save_path))


def _auto_message(save_path: Path | None) -> str:
    files = [b for b in _REGISTRY.values() if b.kind == "file"]
    live = [b.name for b in _REGISTRY.values() if b.kind == "live"]
    how = [
        f"Save to a file: save_path='animation{b.suffixes[0]}' ({b.name} backend; suffixes "
        f"{', '.join(b.suffixes)})."
        for b in files
        if b.suffixes
    ]
    if live:
        how.append(f"Show it live: backend={live[0]!r} (live backends: {', '.join(live)}).")
    how.append(f"Name a backend explicitly: one of {list(_REGISTRY)}.")
    if save_path is None:
        what = "backend='auto' cannot choose a backend: no save_path was given"
        what += (
            " and no live backend for notebooks is available."
            if in_notebook()
            else (" and this is not a Jupyter notebook.")
        )
        why = (
            "'auto' picks a file backend from the save_path suffix, or, without one, the "
            "notebook player inside Jupyter."
        )
    else:
        what = (
            f"backend='auto' cannot choose a backend for save_path={str(save_path)!r} "
            f"(suffix {save_path.suffix!r})."
        )
        why = "'auto' picks the backend from the output file's suffix."
    return format_message(what, why, how)
