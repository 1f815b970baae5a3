"""Video rendering on a dask.distributed cluster (``client=``).

The frames are cut into contiguous segments (`plan_segments`); each segment is a
task that opens the scene from its zarr store on the worker, renders its frames with
the compositor (the same global frame indices, hence the same pictures, as a single
process) and encodes them into a file in a folder beside the output. The client joins
the segments without re-encoding. Client and workers must therefore share a
filesystem: the output's folder, the scene's store and any behaviour video.

A scene held only in memory is first written to a temporary store beside the output
(removed afterwards): it is what a worker can read its window from, and the cluster of
a notebook user is usually a `LocalCluster` on the same disk.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from neurospatial.errors import format_message

__all__ = ["encode_on_cluster", "plan_segments"]

#: Segment sizes (benchmarks/bench_distributed.py measures the per-segment cost: opening
#: the store, setting up the compositor and ffmpeg, about 0.1 s, i.e. ~70 frames' work).
MIN_SEGMENT_FRAMES = 300  # keeps that cost under ~20% of a segment
MAX_SEGMENT_FRAMES = 5000  # bounds the work lost with a worker, and the progress steps
SEGMENTS_PER_SLOT = 4  # lets fast workers take over from slow ones at the end
CONNECT_TIMEOUT = "10s"
WORKER_WAIT_SECONDS = 60.0
REPORT_SECONDS = 0.5  # how often a worker reports progress and checks for cancellation
INSTALL_HINT = 'pip install "neurospatial[distributed]"'


def plan_segments(span: range, slots: int) -> list[tuple[int, int]]:
    """Contiguous [start, stop) frame ranges covering `span` for `slots` worker threads:
    about `SEGMENTS_PER_SLOT` per slot, each at least `MIN_SEGMENT_FRAMES` and at most
    `MAX_SEGMENT_FRAMES` long (when the frame count allows both)."""
    n = len(span)
    wanted = max(SEGMENTS_PER_SLOT * max(1, slots), math.ceil(n / MAX_SEGMENT_FRAMES))
    count = max(1, min(math.ceil(n / MIN_SEGMENT_FRAMES), wanted))
    bounds = np.linspace(span.start, span.stop, count + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def encode_on_cluster(
    scene: xr.DataTree,
    span: range,
    client: Any,
    out: Path,
    settings: dict[str, Any],
    show: bool,
) -> None:
    """Render frames `span` of `scene` on the cluster of `client` into the video `out`."""
    from neurospatial.animation.backends.ffmpeg import concat_segments
    from neurospatial.animation.backends.video import _progress_bar

    out = Path(os.path.abspath(out))
    with _connected(client) as cl:
        slots = _slots(cl)
        plan = plan_segments(span, slots)
        token = uuid.uuid4().hex[:10]
        folder = out.parent / f".segments-{token}"
        folder.mkdir()
        try:
            _check_visible(cl, str(folder), "the folder segments are written to")
            with _scene_location(scene, out.parent, token) as where:
                if isinstance(where, str):
                    _check_visible(cl, where, "the scene's zarr store")
                attrs = {node.path: dict(node.attrs) for node in scene.subtree}
                topic = f"neurospatial-progress-{token}"
                futures = [
                    cl.submit(
                        render_segment,
                        where,
                        attrs,
                        k,
                        start,
                        stop,
                        str(folder),
                        out.suffix,
                        settings,
                        topic,
                        key=f"neurospatial-segment-{token}-{k:05d}",
                        pure=False,
                    )
                    for k, (start, stop) in enumerate(plan)
                ]
                with _progress_bar(len(span), show) as tick:
                    segments = _wait(cl, futures, plan, topic, tick)
            concat_segments(segments, out)
        finally:
            _remove(folder)


def render_segment(
    where: Any,
    attrs: dict[str, dict[str, Any]],
    k: int,
    start: int,
    stop: int,
    folder: str,
    suffix: str,
    settings: dict[str, Any],
    topic: str,
) -> str:
    """The task a worker runs: frames [start, stop) of the stored scene into segment k.

    Reports its progress to the client every `REPORT_SECONDS`, and stops as soon as the
    segment folder is gone (the client removed it: the render was cancelled or failed).
    """
    from distributed import get_worker

    from neurospatial.animation.backends.video import _encode_frames

    worker = get_worker()
    scene = _open_stored(where, attrs)
    done, last = 0, time.monotonic()

    def tick(n: int) -> None:
        nonlocal done, last
        done += n
        now = time.monotonic()
        if now - last >= REPORT_SECONDS:
            last = now
            if not os.path.isdir(folder):
                raise RuntimeError(f"segment {k} stopped: the render was cancelled.")
            worker.log_event(topic, {"segment": k, "done": done})

    # Written under a name of its own, renamed when complete: a retry of this segment
    # (its first worker died) never shares a file with what the first attempt left.
    path = Path(folder) / f"segment{k:05d}{suffix}"
    attempt = path.with_name(f"segment{k:05d}.{uuid.uuid4().hex[:8]}{suffix}")
    try:
        _encode_frames(scene, start, stop, attempt, settings, tick)
        os.replace(attempt, path)
    finally:
        attempt.unlink(missing_ok=True)
    return str(path)


def _open_stored(where: Any, attrs: dict[str, dict[str, Any]]) -> xr.DataTree:
    """A worker's copy of a stored scene: opened from `where`, with the caller's attrs
    (`stored_location` allows attrs to differ from the store's)."""
    from neurospatial.animation.store import open_scene

    scene = open_scene(where)
    for node in scene.subtree:
        node.attrs = attrs.get(node.path, node.attrs)
    return scene


def _wait(
    cl: Any, futures: list[Any], plan: list[tuple[int, int]], topic: str, tick: Any
) -> list[Path]:
    """Wait for every segment, advancing the bar from the workers' reports; on a failed
    segment or an interrupt, cancel the rest and raise."""
    from distributed import wait

    reported = [0] * len(plan)

    def on_event(event: tuple[float, dict[str, int]]) -> None:  # on the client's loop
        msg = event[1]
        k = int(msg["segment"])
        reported[k] = max(reported[k], int(msg["done"]))

    cl.subscribe_topic(topic, on_event)
    finished = False
    try:
        shown, pending = 0, set(range(len(futures)))
        while pending:
            with contextlib.suppress(TimeoutError), cl.as_current():
                wait([futures[k] for k in pending], timeout=0.25, return_when="FIRST_COMPLETED")
            for k in sorted(pending):
                status = futures[k].status
                if status == "finished":
                    reported[k] = plan[k][1] - plan[k][0]
                    pending.discard(k)
                elif status in ("error", "cancelled"):
                    raise _segment_failed(cl, futures[k], k, plan)
            total = sum(reported)
            tick(total - shown)
            shown = total
        finished = True
        return [Path(f.result()) for f in futures]
    finally:
        if not finished:
            cl.cancel(futures, force=True)
        with contextlib.suppress(Exception):
            cl.unsubscribe_topic(topic)


def _segment_failed(cl: Any, future: Any, k: int, plan: list[tuple[int, int]]) -> Exception:
    start, stop = plan[k]
    exc: BaseException | None = None
    if future.status == "error":
        exc = future.exception()
    cause = f"{type(exc).__name__}: {exc}" if exc is not None else "it was cancelled"
    error = RuntimeError(
        format_message(
            f"Segment {k} of {len(plan)} (frames {start} to {stop - 1}) failed on the "
            f"cluster: {cause}",
            "every segment is needed for a complete video; the other segments were "
            "cancelled and their files removed, and no video was written.",
            [
                "Fix the cause the worker reported above (e.g. a scene store or video "
                "file the workers cannot read) and render again.",
                "KilledWorker means the worker process died (often out of memory): give "
                "workers more memory or fewer threads each.",
                "Render frames=slice(start, stop) of that segment without client= to see "
                "the error in this process.",
            ],
        )
    )
    if exc is not None:
        error.__cause__ = exc
    return error


@contextlib.contextmanager
def _connected(client: Any) -> Iterator[Any]:
    """The Client for `client`: itself, or one connected to a scheduler address
    (closed afterwards)."""
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(
            format_message(
                f"client={client!r} needs dask.distributed, which is not installed.",
                "rendering on a cluster submits the frame segments through a "
                "dask.distributed Client.",
                [f"Install it: {INSTALL_HINT}.", "Or render locally with n_workers=."],
            )
        ) from exc
    if isinstance(client, distributed.Client):
        yield client
        return
    if not isinstance(client, str):
        raise TypeError(
            format_message(
                f"client must be a dask.distributed.Client or a scheduler address, got "
                f"{type(client).__name__} {client!r}.",
                "segments are rendered on the workers of that client's cluster.",
                [
                    "Pass client=Client(cluster) or client='tcp://host:8786'.",
                    "Use n_workers= for local processes instead.",
                ],
            )
        )
    try:
        cl = distributed.Client(client, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConnectionError(
            format_message(
                f"Cannot connect to a dask scheduler at {client!r}: {exc}",
                "the segments are rendered on that scheduler's workers.",
                [
                    "Check the address (e.g. 'tcp://host:8786', printed by "
                    "`dask scheduler` and shown as client.scheduler.address).",
                    "Check the scheduler is running and reachable from this machine.",
                ],
            )
        ) from exc
    try:
        yield cl
    finally:
        cl.close()


def _slots(cl: Any) -> int:
    """Worker threads of the cluster, waiting a while for a first worker (clusters that
    scale adaptively start with none)."""
    if not cl.nthreads():
        try:
            cl.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except TimeoutError as exc:
            raise RuntimeError(
                format_message(
                    f"The dask cluster at {cl.scheduler.address!r} has no workers "
                    f"(waited {WORKER_WAIT_SECONDS:g} s).",
                    "the segments are rendered by the cluster's workers.",
                    [
                        "Start workers: `dask worker <scheduler address>`, or cluster.scale(n).",
                        "Render locally without client= (n_workers= for processes).",
                    ],
                )
            ) from exc
    return int(sum(cl.nthreads().values()))


def _check_visible(cl: Any, path: str, what: str) -> None:
    """Every worker must see `path` (the render writes and reads files there)."""
    seen = cl.run(os.path.exists, path)
    blind = sorted(address for address, ok in seen.items() if not ok)
    if blind:
        raise RuntimeError(
            format_message(
                f"{len(blind)} of {len(seen)} workers cannot see {what} {path!r}: {blind}.",
                "workers read the scene's store and write their segments to a folder "
                "beside the output, so client and workers must share a filesystem.",
                [
                    "Write to (and store the scene on) a filesystem every worker mounts "
                    "at the same path.",
                    "Render locally without client= (n_workers= for processes).",
                ],
            )
        )


@contextlib.contextmanager
def _scene_location(scene: xr.DataTree, parent: Path, token: str) -> Iterator[Any]:
    """Where workers open `scene`: its store, or a temporary store written beside the
    output (removed on exit) when it has none or was changed since it was opened."""
    from neurospatial.animation.store import stored_location

    where = stored_location(scene)
    if where is not None:
        yield where
        return
    tmp = parent / f".scene-{token}.zarr"
    try:
        try:
            scene.to_zarr(tmp, consolidated=False)
        except Exception as exc:
            raise ValueError(
                format_message(
                    f"The in-memory scene could not be written to a temporary store "
                    f"{str(tmp)!r} for the cluster's workers: {type(exc).__name__}: {exc}",
                    "with client=, workers read their frames from a zarr store; a scene "
                    "not opened from one is written to a temporary store first.",
                    [
                        "Write the scene yourself, scene.to_zarr(path, consolidated="
                        "False), and render open_scene(path).",
                        "Render locally without client=.",
                    ],
                )
            ) from exc
        yield str(tmp)
    finally:
        _remove(tmp)


def _remove(folder: Path) -> None:
    """Remove `folder`, retrying while workers that have not stopped yet finish the
    file they were writing into it."""
    for _ in range(50):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.1)
