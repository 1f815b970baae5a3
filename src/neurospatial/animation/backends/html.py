"""HTML backend: one self-contained, offline file with a frame-accurate player.

The frames are the compositor's (every overlay kind, video included), encoded
as one H.264 MP4 and embedded as a base64 ``data:`` URL in the page
(``html_player.build_html``). Consecutive frames of an animated plot differ
little, so inter-frame coding makes the file a fraction of per-frame images
(see docs/html.md for the measured comparison with JPEG/WebP stills).

Size is controlled before rendering: for long animations a contiguous window of
frames is rendered and encoded to measure bytes per frame, and an estimate
above ``max_html_mb`` raises; the finished file is checked again before it is
written. Frames are never dropped silently.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from neurospatial.animation.backends.atomic import atomic_path, check_destination
from neurospatial.animation.backends.video import DEFAULT_PRESET, export_video, frame_span
from neurospatial.errors import format_message

__all__ = ["DEFAULT_MAX_HTML_MB", "LONG_ANIMATION_FRAMES", "estimate_html_mb", "export_html"]

DEFAULT_MAX_HTML_MB = 50.0
#: Long animations (more frames than this) are encoded for size: a page is loaded at once.
LONG_ANIMATION_FRAMES = 1000
#: Encoding for long animations: ~4x smaller than ultrafast; crf 28 keeps flat-coloured
#: plots clean and halves noisy (posterior-like) frames. Short ones use the video defaults.
HTML_PRESET = "veryfast"
HTML_CRF = 28
#: Short animations: the video backend's fast preset, crf 26 (a fifth smaller than 23,
#: no visible difference on plots).
SHORT_HTML_CRF = 26
_SAMPLE_FRAMES = 60  # contiguous frames encoded to estimate the size of long animations
_PAGE_BYTES = 24_000  # the player's HTML, CSS and JavaScript
_BYTES_PER_FRAME_TIME = 12  # one JSON number per frame


def export_html(
    scene: xr.DataTree,
    save_path: Path,
    *,
    fps: float,
    dpi: float = 100,
    show_colorbar: bool = True,
    n_workers: int = 1,
    progress: bool | None = None,
    max_html_mb: float = DEFAULT_MAX_HTML_MB,
    text: str | None = None,
    crf: int | None = None,
    preset: str | None = None,
    frames: slice | None = None,
    client: Any = None,
) -> Path:
    """Write `scene` (or the contiguous `frames`, e.g. ``slice(100, 400)``) as a
    standalone HTML player at `save_path` (atomically).

    `crf`/`preset` default to the video backend's fast preset (crf `SHORT_HTML_CRF`)
    for up to `LONG_ANIMATION_FRAMES` frames, where the file stays small anyway, and
    to `HTML_CRF`/`HTML_PRESET` (small files) for longer animations.
    """
    from neurospatial.animation.backends.html_player import build_html

    save_path = Path(save_path)
    if (
        isinstance(max_html_mb, bool)
        or not isinstance(max_html_mb, int | float)
        or not max_html_mb > 0
    ):
        raise ValueError(
            format_message(
                f"max_html_mb must be a positive number, got {max_html_mb!r}.",
                "it is the largest HTML file, in MB, the export may write.",
                ["Use e.g. max_html_mb=50 (default) or more for long animations."],
            )
        )
    check_destination(save_path)
    span = frame_span(frames, scene["fields"].sizes["time"])
    n_frames = len(span)
    long = n_frames > LONG_ANIMATION_FRAMES
    crf = crf if crf is not None else (HTML_CRF if long else SHORT_HTML_CRF)
    preset = preset if preset is not None else (HTML_PRESET if long else DEFAULT_PRESET)
    options: dict[str, Any] = {
        "fps": fps,
        "dpi": dpi,
        "show_colorbar": show_colorbar,
        "crf": crf,
        "preset": preset,
    }
    if n_frames > 5 * _SAMPLE_FRAMES:
        estimate = estimate_html_mb(scene, frames=slice(span.start, span.stop), **options)
        if estimate > max_html_mb:
            raise ValueError(_too_big(n_frames, estimate, max_html_mb, dpi, fps, estimated=True))
    with tempfile.TemporaryDirectory(dir=save_path.parent, prefix=".html-") as tmp:
        mp4 = export_video(
            scene,
            Path(tmp) / "frames.mp4",
            n_workers=n_workers,
            progress=progress,
            frames=slice(span.start, span.stop),
            client=client,
            **options,
        )
        data = mp4.read_bytes()
    size_mb = _html_bytes(len(data), n_frames) / 1e6
    if size_mb > max_html_mb:
        raise ValueError(_too_big(n_frames, size_mb, max_html_mb, dpi, fps, estimated=False))
    from neurospatial.animation.render.chrome import figure_size

    width, height = figure_size(dpi)
    title = str(scene.attrs.get("title", ""))
    page = build_html(
        data,
        title=title or "neurospatial animation",
        show_heading=not title,  # a scene's own title is drawn in every frame already
        frame_times=np.asarray(scene["fields"]["time"], dtype=float)[
            span.start : span.stop
        ].tolist(),
        fps=fps,
        width=width,
        height=height,
        text=text,
    )
    with atomic_path(save_path) as tmp_path:
        tmp_path.write_text(page, encoding="utf-8")
    return save_path


def estimate_html_mb(scene: xr.DataTree, *, frames: slice | None = None, **options: Any) -> float:
    """Estimated HTML size in MB: a contiguous window of frames from the middle of
    the animation (or of `frames`) is rendered and encoded with the export's settings."""
    from neurospatial.animation.backends.video import segment_window

    span = frame_span(frames, scene["fields"].sizes["time"])
    n_frames = len(span)
    start = span.start + max(0, n_frames // 2 - _SAMPLE_FRAMES // 2)
    stop = min(span.stop, start + _SAMPLE_FRAMES)
    window, lo = segment_window(scene, start, stop)
    with tempfile.TemporaryDirectory(prefix="neurospatial-estimate-") as tmp:
        sample = export_video(window, Path(tmp) / "sample.mp4", progress=False, **options)
        per_frame = sample.stat().st_size / (stop - lo)
    return _html_bytes(per_frame * n_frames, n_frames) / 1e6


def _html_bytes(mp4_bytes: float, n_frames: int) -> float:
    return 4 * np.ceil(mp4_bytes / 3) + _PAGE_BYTES + _BYTES_PER_FRAME_TIME * n_frames


def _too_big(
    n_frames: int, size_mb: float, limit: float, dpi: float, fps: float, *, estimated: bool
) -> str:
    kind = "estimated at" if estimated else "would be"
    factor = int(np.ceil(size_mb / limit))
    return format_message(
        f"The HTML file for {n_frames} frames {kind} {size_mb:.1f} MB, above "
        f"max_html_mb={limit:g}.",
        "the HTML backend embeds every frame in one file that a browser loads at once; "
        "frames are never dropped silently to fit.",
        [
            f"Keep fewer frames: subsample_frames(fields, source_fps={fps:g}, "
            f"target_fps={fps / factor:g}) (and the matching frame_times).",
            f"Lower the resolution: dpi={max(20, int(dpi / np.sqrt(factor)))} (now {dpi:g}).",
            "Use the video backend (save_path='animation.mp4') for long sessions.",
            f"Raise the limit if the file size is acceptable: max_html_mb={np.ceil(size_mb):g}.",
        ],
    )
