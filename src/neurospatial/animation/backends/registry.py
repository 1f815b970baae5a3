"""Backends by name, and the ``backend="auto"`` rule."""

from __future__ import annotations

from pathlib import Path

from neurospatial.animation.errors import format_message

__all__ = ["VIDEO_SUFFIXES", "available_backends", "resolve_backend"]

VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".avi")
#: Backends that exist, in the order they are documented.
_BACKENDS = ("video", "html")


def available_backends() -> tuple[str, ...]:
    return _BACKENDS


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
