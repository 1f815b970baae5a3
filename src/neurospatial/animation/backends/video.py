"""Video backend: MP4 (H.264), MOV, AVI, WebM (VP9) through ffmpeg.

Frames come from the raster compositor and are streamed to the encoder one at a
time. With ``n_workers > 1`` contiguous frame ranges are rendered and encoded in
parallel processes (dask), with ``client=`` on a dask.distributed cluster
(`backends.cluster`), and the segments joined without re-encoding; every worker
renders the same global frame indices it would in a single process, so frame i
always shows fields and overlays at ``frame_times[i]``.

Defaults ``preset="ultrafast"``, ``crf=23`` come from ``benchmarks/bench_video.py``:
see docs/video.md for the measured speed / size trade-off.
"""

from __future__ import annotations

import contextlib
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from neurospatial.animation.backends.atomic import atomic_path, check_destination
from neurospatial.animation.backends.ffmpeg import CODECS, Encoder, concat_segments
from neurospatial.errors import format_message

__all__ = ["DEFAULT_CRF", "DEFAULT_PRESET", "export_video", "segment_window"]

DEFAULT_PRESET = "ultrafast"
DEFAULT_CRF = 23
X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)
PROGRESS_MIN_FRAMES = 500


def export_video(
    scene: xr.DataTree,
    save_path: Path,
    *,
    fps: float,
    dpi: float = 100,
    show_colorbar: bool = True,
    n_workers: int = 1,
    progress: bool | None = None,
    crf: int = DEFAULT_CRF,
    preset: str = DEFAULT_PRESET,
    frames: slice | None = None,
    client: Any = None,
) -> Path:
    """Render every frame of `scene` (or the contiguous `frames`, e.g. ``slice(100, 400)``,
    drawn with their trails' history) into a video file at `save_path` (atomically).

    With `client` (a ``dask.distributed.Client`` or a scheduler address), segments of
    frames are rendered on that cluster's workers (see `backends.cluster`)."""
    save_path = Path(save_path)
    suffix = save_path.suffix.lower()
    if suffix not in CODECS:
        raise ValueError(
            format_message(
                f"Unsupported video suffix {save_path.suffix!r} in {str(save_path)!r}.",
                "the container and codec are chosen from the suffix.",
                [
                    f"Use one of {sorted(CODECS)}, e.g. save_path='animation.mp4'.",
                    "For a page with a player, use save_path='animation.html'.",
                ],
            )
        )
    if preset not in X264_PRESETS:
        raise ValueError(
            format_message(
                f"preset={preset!r} is not an x264 preset.",
                "the preset trades encoding speed for file size.",
                [f"Use one of {X264_PRESETS} (faster ones give larger files)."],
            )
        )
    if isinstance(crf, bool) or not isinstance(crf, int | np.integer) or not 0 <= crf <= 51:
        raise ValueError(
            format_message(
                f"crf must be an integer in [0, 51], got {crf!r}.",
                "crf is the quality target: lower is better quality and a bigger file.",
                ["Use e.g. crf=23 (default), crf=18 for figures, crf=28 for small files."],
            )
        )
    if isinstance(n_workers, bool) or not isinstance(n_workers, int | np.integer) or n_workers < 1:
        raise ValueError(
            format_message(
                f"n_workers must be a positive integer, got {n_workers!r}.",
                "it is the number of processes rendering frame ranges in parallel.",
                ["Use n_workers=1 (on 2 cores usually as fast) or the number of cores."],
            )
        )
    if client is not None and n_workers != 1:
        raise ValueError(
            format_message(
                f"client= and n_workers={n_workers} were both given.",
                "n_workers is the number of local processes; with a client the cluster's "
                "workers render the segments, as many at once as they have threads.",
                [
                    "Drop n_workers to render on the cluster.",
                    "Drop client to render in local processes.",
                ],
            )
        )
    check_destination(save_path)
    n_frames = scene["fields"].sizes["time"]
    if n_frames == 0:
        raise ValueError(
            format_message(
                f"The scene has no frames to export to {str(save_path)!r}.",
                "a video needs at least one frame.",
                [
                    "Export a window with frames in it: align_scene(scene, frames=slice(a, b)) "
                    "with a < b.",
                    "Check the frames selected before exporting.",
                ],
            )
        )
    span = frame_span(frames, n_frames)
    settings = {
        "fps": float(fps),
        "dpi": dpi,
        "show_colorbar": show_colorbar,
        "crf": int(crf),
        "preset": preset,
    }
    show = progress if progress is not None else len(span) >= PROGRESS_MIN_FRAMES
    n_workers = min(int(n_workers), len(span))
    with atomic_path(save_path) as tmp:
        if client is not None:
            from neurospatial.animation.backends.cluster import encode_on_cluster

            encode_on_cluster(scene, span, client, tmp, settings, show)
        elif n_workers == 1:
            with _progress_bar(len(span), show) as tick:
                _encode_frames(scene, span.start, span.stop, tmp, settings, tick)
        else:
            _encode_parallel(scene, span, n_workers, tmp, settings, show)
    return save_path


def frame_span(frames: slice | None, n_frames: int) -> range:
    """The contiguous frames an export renders: all of them, or `frames`."""
    if frames is None:
        return range(n_frames)
    ok = isinstance(frames, slice) and frames.step in (None, 1)
    span = range(n_frames)[frames] if ok else range(0)
    if not ok or len(span) == 0:
        raise ValueError(
            format_message(
                f"frames={frames!r} selects no contiguous frames of the scene's {n_frames}.",
                "an export renders a run of consecutive frames (with their trails' history).",
                [
                    f"Pass a slice with start < stop within 0 .. {n_frames}, "
                    f"e.g. frames=slice(0, {min(n_frames, 100)}).",
                    "Leave frames=None to export every frame.",
                ],
            )
        )
    return span


def _encode_frames(
    scene: xr.DataTree,
    start: int,
    stop: int,
    path: Path,
    settings: dict[str, Any],
    tick: Callable[[int], None] | None = None,
) -> None:
    """Render frames [start, stop) of a scene (aligned window by window) into `path`."""
    from neurospatial.animation.render.raster import Compositor

    compositor = Compositor(
        scene,
        dpi=settings["dpi"],
        show_colorbar=settings["show_colorbar"],
        frames=range(start, stop),
    )
    with (
        compositor,
        Encoder(
            path,
            compositor.width,
            compositor.height,
            settings["fps"],
            crf=settings["crf"],
            preset=settings["preset"],
        ) as encoder,
    ):
        encoder.stream(compositor.render, range(start, stop), compositor.new_canvas, tick)


def segment_window(scene: xr.DataTree, start: int, stop: int) -> tuple[xr.DataTree, int]:
    """Frames [lo, stop) of a scene aligned, lo leaving room for the longest trail,
    reduced to what drawing them needs (`OverlayKind.pack`); and lo."""
    from neurospatial.animation.alignment import align_window
    from neurospatial.animation.overlays.base import kind_of
    from neurospatial.animation.render.model import history_frames

    lo = max(0, start - history_frames(scene))
    window = align_window(scene, frames=slice(lo, stop))
    window.overlays = {name: kind_of(ds).pack(ds) for name, ds in window.overlays.items()}
    return window.to_tree(), lo


def _render_segment(
    payload: bytes, start: int, stop: int, path: str, settings: dict[str, Any]
) -> str:
    window, lo = pickle.loads(payload)
    _encode_frames(window, start - lo, stop - lo, Path(path), settings)
    return path


def _encode_parallel(
    scene: xr.DataTree,
    span: range,
    n_workers: int,
    out: Path,
    settings: dict[str, Any],
    show: bool,
) -> None:
    import dask
    from dask.callbacks import Callback

    n_frames = len(span)
    bounds = np.linspace(span.start, span.stop, n_workers + 1).round().astype(int)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".segments-") as tmpdir:
        tasks = []
        segments = []
        for k in range(n_workers):
            start, stop = int(bounds[k]), int(bounds[k + 1])
            window, lo = segment_window(scene, start, stop)
            # Loaded here: the lazy graph of a stored scene's window does not pickle.
            payload = _pickle_payload((window.compute(), lo), n_workers)
            segment = Path(tmpdir) / f"segment{k:04d}{out.suffix}"
            segments.append(segment)
            tasks.append(
                dask.delayed(_render_segment, pure=False)(
                    payload, start, stop, str(segment), settings
                )
            )
        with _progress_bar(n_frames, show) as tick:
            sizes = {task.key: int(bounds[k + 1] - bounds[k]) for k, task in enumerate(tasks)}

            class _Tick(Callback):
                """Advances the bar as segments finish (runs in this process)."""

                def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, id: Any) -> None:
                    tick(sizes.get(key, 0))

            with _Tick(), dask.config.set({"multiprocessing.context": _mp_context()}):
                dask.compute(*tasks, scheduler="processes", num_workers=n_workers)
        concat_segments(segments, out)


def _mp_context() -> str:
    """'fork' where available: workers start instantly and scripts need no
    ``if __name__ == "__main__"`` guard (each payload is still pickled, so what
    a worker sees is exactly what a spawned process would get)."""
    import multiprocessing

    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _pickle_payload(payload: tuple[Any, ...], n_workers: int) -> bytes:
    try:
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise ValueError(
            format_message(
                "overlay_data is not pickle-able for parallel rendering.\n"
                f"  Pickling the scene (fields, overlays, environment) for n_workers={n_workers} "
                f"failed: {type(exc).__name__}: {exc}",
                "with n_workers > 1 every worker process receives a pickled copy of its "
                "frames, overlays and environment; objects such as open file handles, "
                "locks, lambdas or cached native state (KD-trees, kernels) cannot be sent.",
                [
                    "Call env.clear_cache() to drop cached native state, then retry "
                    "with the same n_workers.",
                    "Use n_workers=1 (rendering in this process needs no pickling).",
                    "Load lazily-backed fields into memory (fields.compute()) or store the "
                    "scene with scene.to_zarr(path) and render open_scene(path).",
                ],
            )
        ) from exc


@contextlib.contextmanager
def _progress_bar(total: int, show: bool) -> Any:
    if not show:
        yield lambda n: None
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, unit="frame", desc="Rendering", leave=False)
    try:
        yield bar.update
    finally:
        bar.close()
