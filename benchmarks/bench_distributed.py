"""Rendering on a dask.distributed cluster (``client=``) against local rendering.

The MP4 benchmark's session (benchmarks/reference/session.py: fields, trailed position,
4-keypoint skeleton, heading, a region; 800 x 600 H.264) stored as zarr and opened with
`open_scene`, rendered at 3,000 and 20,000 frames by:

- one process (``n_workers=1``): the baseline of the ratios;
- ``n_workers=2``: two local processes (dask's process pool);
- a LocalCluster of 1 worker (1 thread), ``client=``;
- a LocalCluster of 2 workers (1 thread each), ``client=``.

Cluster start-up is not timed (a user's cluster is already running); the first render
on a fresh cluster is a warm-up, not timed (it pays the workers' imports).

Then the per-segment costs the on-paper estimate needs: a segment's fixed cost (opening
the store, compositor and ffmpeg set-up and finish), the rate of one segment's frames,
the join (ffmpeg's concat, stream copy) per segment and per MB, and the bytes a worker
reads from the store per frame. They give the expected time of a 216,000-frame session
on 100 workers.

Usage::

    .venv/bin/python benchmarks/bench_distributed.py
    .venv/bin/python benchmarks/bench_distributed.py --frames 3000
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_video import build_scene


def timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


WRITES: dict[int, float] = {}  # seconds of scene.to_zarr (what client= costs an in-memory scene)


def store_scene(n_frames: int, folder: Path) -> Path:
    path = folder / f"scene{n_frames}.zarr"
    if not path.exists():
        scene = build_scene(n_frames)
        WRITES[n_frames] = timed(lambda: scene.to_zarr(path, consolidated=False))[0]
    return path


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def render_rates(store: Path, out: Path) -> list[tuple[str, float]]:
    """Seconds of each configuration for the whole scene."""
    from distributed import Client, LocalCluster

    from neurospatial.animation import animate, open_scene

    rows = []
    scene = open_scene(store)
    warm = slice(0, 30)
    animate(scene, save_path=out, progress=False, frames=warm)  # imports
    rows.append(
        ("1 process (n_workers=1)", timed(lambda: animate(scene, save_path=out, progress=False))[0])
    )
    animate(scene, save_path=out, n_workers=2, progress=False, frames=slice(0, 60))
    rows.append(
        (
            "n_workers=2",
            timed(lambda: animate(scene, save_path=out, n_workers=2, progress=False))[0],
        )
    )
    for n_workers in (1, 2):
        with (
            LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            animate(scene, save_path=out, client=client, progress=False, frames=slice(0, 60))
            seconds = timed(
                lambda c=client: animate(scene, save_path=out, client=c, progress=False)
            )[0]
        rows.append((f"LocalCluster {n_workers} worker(s), client=", seconds))
    return rows


def segment_costs(store: Path, folder: Path) -> dict[str, float]:
    """A segment's fixed cost and frame rate, as a worker runs it (in this process)."""
    from neurospatial.animation.backends.video import DEFAULT_CRF, DEFAULT_PRESET, _encode_frames
    from neurospatial.animation.store import open_scene

    settings = {
        "fps": 30.0,
        "dpi": 100,
        "show_colorbar": True,
        "crf": DEFAULT_CRF,
        "preset": DEFAULT_PRESET,
    }
    open_s, short, long_ = [], [], []
    for k, start in enumerate((1000, 1500, 2000)):
        t_open, scene = timed(lambda: open_scene(store))
        open_s.append(t_open)
        path = folder / f"seg{k}.mp4"
        short.append(
            timed(lambda s=scene, a=start, p=path: _encode_frames(s, a, a + 1, p, settings))[0]
        )
        long_.append(
            timed(lambda s=scene, a=start, p=path: _encode_frames(s, a, a + 301, p, settings))[0]
        )
    per_frame = (min(long_) - min(short)) / 300
    return {
        "open_scene_s": min(open_s),
        "fixed_s": min(open_s) + min(short) - per_frame,
        "per_frame_s": per_frame,
    }


def join_costs(folder: Path, n_segments: int, frames_each: int) -> dict[str, float]:
    """ffmpeg concat (stream copy) of `n_segments` segments of `frames_each` frames."""
    from neurospatial.animation import animate, open_scene
    from neurospatial.animation.backends.ffmpeg import concat_segments

    scene = open_scene(store_scene(3000, folder))
    one = animate(scene, save_path=folder / "one.mp4", frames=slice(0, frames_each), progress=False)
    segments = []
    for k in range(n_segments):
        seg = folder / f"join{k:04d}.mp4"
        shutil.copyfile(one, seg)
        segments.append(seg)
    seconds = timed(lambda: concat_segments(segments, folder / "joined.mp4"))[0]
    megabytes = (folder / "joined.mp4").stat().st_size / 1e6
    for seg in segments:
        seg.unlink()
    return {
        "seconds": seconds,
        "mb": megabytes,
        "segments": n_segments,
        "bytes_per_frame": one.stat().st_size / frames_each,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[3000, 20_000])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    try:
        print("frames  configuration                       seconds  frames/s  ratio")
        for n_frames in args.frames:
            store = store_scene(n_frames, folder)
            rows = render_rates(store, folder / "out.mp4")
            base = rows[0][1]
            for name, seconds in rows:
                print(
                    f"{n_frames:6d}  {name:34s} {seconds:8.1f}  {n_frames / seconds:8.0f}"
                    f"  {base / seconds:5.2f}x"
                )
        for n_frames, seconds in WRITES.items():
            print(f"{n_frames:6d}  writing the scene's store (to_zarr)  {seconds:8.1f}")
        store = store_scene(3000, folder)
        costs = segment_costs(store, folder)
        join = join_costs(folder, 400, 540)
        store_bytes = folder_bytes(store) / 3000
        print()
        print(f"open_scene on a worker           {costs['open_scene_s'] * 1e3:7.0f} ms")
        print(f"segment fixed cost (open, set-up) {costs['fixed_s'] * 1e3:6.0f} ms")
        print(f"per frame in a segment           {costs['per_frame_s'] * 1e3:7.2f} ms")
        print(f"store bytes per frame (read)     {store_bytes / 1e3:7.1f} kB")
        print(f"MP4 bytes per frame              {join['bytes_per_frame'] / 1e3:7.1f} kB")
        print(
            f"join {join['segments']} segments x 540 frames   {join['seconds']:7.2f} s "
            f"({join['mb']:.0f} MB, {join['mb'] / join['seconds']:.0f} MB/s)"
        )
        # On paper: 216,000 frames, 100 single-thread workers, the rule's 400 segments of
        # 540 frames, 4 per worker.
        n, workers, segments = 216_000, 100, 400
        frames_each = n // segments
        per_worker = segments // workers * (costs["fixed_s"] + frames_each * costs["per_frame_s"])
        join_s = join["seconds"] * (n / (join["segments"] * 540))
        read_mb_s = workers / costs["per_frame_s"] * store_bytes / 1e6
        print()
        print(f"216,000 frames on 100 workers: rendering {per_worker:.0f} s per worker")
        print(f"  + join {join_s:.0f} s on the client = {per_worker + join_s:.0f} s")
        print(f"  store read by all workers together: {read_mb_s:.0f} MB/s")
        print(f"  scheduler: {segments} tasks, progress events {workers * 2} /s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
