"""Backends by name, and the ``backend="auto"`` rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from neurospatial.animation.errors import format_message

__all__ = ["VIDEO_SUFFIXES", "Backend", "available_backends", "get_backend", "resolve_backend"]

VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".avi")


@dataclass(frozen=True)
class Backend:
    """A registered output surface: where its exporter lives and which options it takes."""

    name: str
    module: str
    function: str
    options: tuple[str, ...]

    def exporter(self) -> Callable[..., Path]:
        import importlib

        exporter: Callable[..., Path] = getattr(importlib.import_module(self.module), self.function)
        return exporter


#: Backends by name, in the order they are documented (imported only when used).
_REGISTRY = {
    b.name: b
    for b in (
        Backend(
            "video", "neurospatial.animation.backends.video", "export_video", ("crf", "preset")
        ),
        Backend(
            "html",
            "neurospatial.animation.backends.html",
            "export_html",
            ("crf", "preset", "max_html_mb", "text"),
        ),
    )
}
_BACKENDS = tuple(_REGISTRY)


def available_backends() -> tuple[str, ...]:
    return _BACKENDS


def get_backend(name: str) -> Backend:
    return _REGISTRY[name]


def resolve_backend(backend: str, save_path: Path | None) -> str:
    """The backend to use: an explicit name, or ``"auto"`` from the save_path suffix."""
    if backend != "auto":
        if backend not in _BACKENDS:
            raise ValueError(
                format_message(
                    f"Unknown backend {backend!r}.",
                    "backends are registered by name.",
                    [f"Use one of: {', '.join(repr(b) for b in ('auto', *_BACKENDS))}."],
                )
            )
        return backend
    if save_path is not None and save_path.suffix.lower() in VIDEO_SUFFIXES:
        return "video"
    if save_path is not None and save_path.suffix.lower() in (".html", ".htm"):
        return "html"
    suffix = save_path.suffix if save_path is not None else None
    raise ValueError(
        format_message(
            f"backend='auto' cannot choose a backend for save_path={str(save_path)!r} "
            f"(suffix {suffix!r}).",
            "'auto' picks the backend from the output file's suffix.",
            [
                f"Save to a video file: save_path='animation.mp4' (suffixes {VIDEO_SUFFIXES}).",
                "Save a standalone player page: save_path='animation.html'.",
                f"Name a backend explicitly: one of {list(_BACKENDS)}.",
            ],
        )
    )
