"""`animate`: a scene to an output surface (the one entry point for every backend)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import xarray as xr

from neurospatial.animation.backends.registry import get_backend, resolve_backend
from neurospatial.animation.errors import format_message
from neurospatial.animation.validation import check_rate

__all__ = ["animate"]


def animate(
    scene: xr.DataTree,
    *,
    backend: str = "auto",
    save_path: str | os.PathLike[str] | None = None,
    fps: float | None = None,
    dpi: float = 100,
    n_workers: int = 1,
    show_colorbar: bool = True,
    progress: bool | None = None,
    **backend_options: Any,
) -> Path:
    """Render a scene (from `build_scene` or `open_scene`) with a backend.

    Parameters
    ----------
    scene : xr.DataTree
    backend : {"auto", "video", "html"}
        ``"auto"`` picks from the `save_path` suffix (``.mp4 .webm .mov .avi`` -> video,
        ``.html`` -> html).
    save_path : path
        Output file; written atomically (nothing appears until it is complete).
    fps : float, optional
        Playback frame rate (default: the scene's ``fps``).
    dpi : float
        100 gives 800 x 600 pixels.
    n_workers : int
        Processes rendering contiguous frame ranges in parallel.
    show_colorbar : bool
    progress : bool, optional
        Progress bar; default on for long exports.
    **backend_options
        Video: ``crf`` (0-51, default 23) and ``preset`` (x264, default "ultrafast").
        HTML: ``max_html_mb`` (default 50), ``text`` (a caption), ``crf`` and ``preset``
        ("ultrafast" and 26 up to 1000 frames; "veryfast" and 28 beyond, for size).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(save_path) if save_path is not None else None
    name = resolve_backend(backend, path)
    if path is None:
        raise ValueError(
            format_message(
                f"The {name!r} backend writes a file, but save_path is None.",
                "exports need a destination.",
                ["Pass save_path, e.g. save_path='animation.mp4'."],
            )
        )
    rate = check_rate(scene.attrs["fps"] if fps is None else fps, "fps")
    backend_spec = get_backend(name)
    allowed = set(backend_spec.options)
    unknown = sorted(set(backend_options) - allowed)
    if unknown:
        raise TypeError(
            f"Unknown option(s) for the {name} backend: {unknown}. "
            f"{name.capitalize()} options: {sorted(allowed)}."
        )
    return backend_spec.exporter()(
        scene,
        path,
        fps=rate,
        dpi=dpi,
        show_colorbar=show_colorbar,
        n_workers=n_workers,
        progress=progress,
        **backend_options,
    )
