"""Peak memory of long MP4 exports from zarr: 2,000 against 200,000 frames.

The session: an animal's random walk at 250 Hz in a 100 x 100 cm arena (bin_size 2.5:
about 1,600 bins), fields a moving bump, frames at 30 frames/s; overlays: position with a
10-frame trail, a 4-keypoint skeleton and head direction (all at 250 Hz). Each store is
written once (fields generated chunk by chunk with dask, not timed); each export runs in
a fresh process: ``open_scene(path)`` then ``animate(scene, save_path=...)``, and reports
its own peak RSS (``ru_maxrss``), wall time and frames/s.

Usage::

    .venv/bin/python benchmarks/bench_memory.py                       # 2,000 and 200,000 frames
    .venv/bin/python benchmarks/bench_memory.py --frames 2000 20000 --baseline /tmp/old/src
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RATE_HZ = 250.0
FPS = 30.0


def build_store(path: Path, n_frames: int) -> None:
    import dask.array as da
    import numpy as np

    from neurospatial import Environment
    from neurospatial.animation import (
        BodypartOverlay,
        HeadDirectionOverlay,
        PositionOverlay,
        build_scene,
    )

    rng = np.random.default_rng(0)
    n = int(n_frames / FPS * RATE_HZ)
    times = np.arange(n) / RATE_HZ
    steps = rng.normal(0.0, 0.35, (n, 2))
    walk = np.empty((n, 2))
    p = np.array([50.0, 50.0])
    for start in range(0, n, 100_000):  # reflected random walk, in blocks
        block = steps[start : start + 100_000]
        for k, step in enumerate(block):
            p = p + step
            p = np.where(p < 2, 4 - p, np.where(p > 98, 196 - p, p))
            walk[start + k] = p
    heading = np.arctan2(*np.gradient(walk, axis=0).T[::-1])
    unit = np.column_stack([np.cos(heading), np.sin(heading)])
    normal = np.column_stack([-unit[:, 1], unit[:, 0]])
    keypoints = {
        "nose": walk + 3 * unit,
        "left_ear": walk + unit + 1.5 * normal,
        "right_ear": walk + unit - 1.5 * normal,
        "tail_base": walk - 4 * unit,
    }
    grid = np.linspace(1.25, 98.75, 40)
    env = Environment.from_samples(np.array(np.meshgrid(grid, grid)).reshape(2, -1).T, 2.5)
    frame_times = np.arange(n_frames) / FPS
    centres = np.column_stack([np.interp(frame_times, times, walk[:, d]) for d in range(2)])
    per_chunk = max(1, 2**18 // (8 * env.n_bins))
    bins = env.bin_centers

    def bump(c: np.ndarray) -> np.ndarray:
        return np.exp(-((bins[None] - c[:, None]) ** 2).sum(-1) / 128.0)

    lazy = da.from_array(centres, chunks=(per_chunk, 2))
    fields = lazy.map_blocks(bump, chunks=(lazy.chunks[0], (env.n_bins,)), dtype=np.float64)
    overlays = [
        PositionOverlay(walk, times=times, trail_length=10),
        BodypartOverlay(
            keypoints,
            times=times,
            skeleton=[("nose", "left_ear"), ("nose", "right_ear"), ("nose", "tail_base")],
        ),
        HeadDirectionOverlay(heading, times=times, length=10.0),
    ]
    scene = build_scene(
        env, fields, overlays=overlays, frame_times=frame_times, fps=FPS, vmin=0.0, vmax=1.0
    )
    scene.to_zarr(path, mode="w", consolidated=False)


def child(store: Path, out: Path) -> dict:
    from neurospatial.animation import animate, open_scene

    t0 = time.perf_counter()
    scene = open_scene(store)
    animate(scene, save_path=out, progress=False)
    seconds = time.perf_counter() - t0
    n = scene["fields"].sizes["time"]
    return {
        "frames": n,
        "seconds": seconds,
        "fps": n / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "file_mb": out.stat().st_size / 1e6,
    }


def run(args: list[str], src: Path | None) -> str:
    env = {**os.environ, "PYTHONPATH": str(src)} if src else None
    result = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, nargs="*", default=[2000, 200_000])
    parser.add_argument("--baseline", type=Path, help="another source tree, exported alike")
    parser.add_argument("--workdir", type=Path, help="keep stores here (default: a temp dir)")
    parser.add_argument("--build", type=Path)
    parser.add_argument("--child", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.build:
        build_store(args.build, args.frames[0])
        return
    if args.child:
        print(json.dumps(child(args.child, args.out)))
        return
    trees = {"this tree": None, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows = []
        for n in args.frames:
            for name, src in trees.items():
                store = work / f"{name.replace(' ', '_')}-{n}.zarr"
                if not store.exists():
                    t0 = time.perf_counter()
                    run(["--build", str(store), "--frames", str(n)], src)
                    print(
                        f"built {store.name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr
                    )
                out = work / f"{name.replace(' ', '_')}-{n}.mp4"
                result = json.loads(
                    run(["--child", str(store), "--out", str(out)], src).splitlines()[-1]
                )
                out.unlink()
                rows.append((name, result))
                print(name, result, file=sys.stderr)
    print(f"\nMP4 export from zarr, 800x600, {os.cpu_count()} cores")
    header = f"{'tree':<12}{'frames':>9}{'seconds':>10}{'frames/s':>10}{'peak RSS MB':>13}"
    print(header)
    print("-" * len(header))
    for name, r in rows:
        print(
            f"{name:<12}{r['frames']:>9}{r['seconds']:>10.1f}{r['fps']:>10.1f}{r['peak_rss_mb']:>13.0f}"
        )
    for name in trees:
        mine = [r for n, r in rows if n == name]
        if len(mine) >= 2:
            small, large = (
                min(mine, key=lambda r: r["frames"]),
                max(mine, key=lambda r: r["frames"]),
            )
            print(
                f"{name}: peak RSS {large['frames']} vs {small['frames']} frames: "
                f"{large['peak_rss_mb'] / small['peak_rss_mb']:.2f}x"
            )


if __name__ == "__main__":
    main()
