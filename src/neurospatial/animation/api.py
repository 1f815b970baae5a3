"""`animate`: a scene to an output surface (the one entry point for every backend)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import xarray as xr

from neurospatial.animation.backends.registry import resolve_backend
from neurospatial.animation.validation import check_rate
from neurospatial.errors import format_message

__all__ = ["animate", "show"]


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
    client: Any = None,
    **backend_options: Any,
) -> Any:
    """Render a scene (from `build_scene` or `open_scene`) with a backend.

    Parameters
    ----------
    scene : xr.DataTree
    backend : str
        ``"video"`` or ``"html"`` (file backends), ``"widget"`` (the notebook player,
        live) or ``"auto"``: from the `save_path` suffix (``.mp4 .webm .mov .avi`` ->
        video, ``.html`` -> html); without a save_path, the widget inside Jupyter;
        otherwise an error listing the backends.
    save_path : path
        Output file of a file backend; written atomically (nothing appears until it
        is complete). Live backends take none.
    fps : float, optional
        Playback frame rate (default: the scene's ``fps``).
    dpi : float
        100 gives 800 x 600 pixels.
    n_workers : int
        File backends: processes rendering contiguous frame ranges in parallel.
    show_colorbar : bool
    progress : bool, optional
        File backends: progress bar; default on for long exports.
    client : dask.distributed.Client or str, optional
        File backends: render segments of frames on this cluster's workers (a Client,
        or a scheduler address such as ``"tcp://host:8786"``), each worker reading its
        frames from the scene's zarr store (a scene held in memory is written to a
        temporary store beside `save_path` first). Client and workers must share a
        filesystem. Needs ``pip install "neurospatial[distributed]"``.
    **backend_options
        Video: ``crf`` (0-51, default 23) and ``preset`` (x264, default "ultrafast").
        HTML: ``max_html_mb`` (default 50), ``text`` (a caption), ``crf`` and ``preset``
        ("ultrafast" and 26 up to 1000 frames; "veryfast" and 28 beyond, for size).
        Widget: ``frame`` (shown first), ``speed`` (0.25, 0.5, 1, 2 or 4), ``loop``,
        ``hidden`` (layer names not drawn).

    Returns
    -------
    pathlib.Path or object
        The written file (file backends), or the live backend's object.
    """
    path = Path(save_path) if save_path is not None else None
    spec = resolve_backend(backend, path)
    rate = check_rate(scene.attrs["fps"] if fps is None else fps, "fps")
    allowed = set(spec.options)
    unknown = sorted(set(backend_options) - allowed)
    if unknown:
        raise TypeError(
            format_message(
                f"Unknown option(s) for the {spec.name} backend: {unknown}.",
                f"each backend takes its own options; the {spec.name} backend takes "
                f"{sorted(allowed)}.",
                [
                    f"Remove {unknown} or use one of {sorted(allowed)}.",
                    "Check the spelling of the option names.",
                ],
            )
        )
    if spec.kind == "live":
        if client is not None:
            raise ValueError(
                format_message(
                    f"client= was given to the live {spec.name!r} backend.",
                    "a cluster renders files; live backends draw frames in this process "
                    "as they are shown.",
                    [
                        "Drop client to show it.",
                        "Write a file on the cluster: animate(scene, save_path='out.mp4', "
                        "client=client).",
                    ],
                )
            )
        if path is not None:
            raise ValueError(
                format_message(
                    f"The {spec.name!r} backend is live (it returns an object to display), "
                    f"but save_path={str(path)!r} was given.",
                    "live backends do not write files.",
                    [
                        f"Drop save_path to show it: animate(scene, backend={spec.name!r}).",
                        "Write a file with backend='video' or 'html' (or 'auto').",
                    ],
                )
            )
        return spec.load()(scene, fps=rate, dpi=dpi, show_colorbar=show_colorbar, **backend_options)
    if path is None:
        raise ValueError(
            format_message(
                f"The {spec.name!r} backend writes a file, but save_path is None.",
                "exports need a destination.",
                ["Pass save_path, e.g. save_path='animation.mp4'."],
            )
        )
    if client is not None:  # file backends registered by others need not take one
        backend_options["client"] = client
    return spec.load()(
        scene,
        path,
        fps=rate,
        dpi=dpi,
        show_colorbar=show_colorbar,
        n_workers=n_workers,
        progress=progress,
        **backend_options,
    )


def show(scene: xr.DataTree, **options: Any) -> Any:
    """The notebook player for `scene`: ``animate(scene, backend="widget", **options)``
    (a `Player`; the last expression of a cell displays it)."""
    return animate(scene, backend="widget", **options)
