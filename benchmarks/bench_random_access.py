"""Random access: `render_frame(scene, i)` on an opened 20,000-frame zarr scene.

The scene: an 80 x 80 grid (6,400 bins, float32 fields, a moving bump plus noise),
one `PositionOverlay` sampled at 250 Hz with a 10-frame trail, frames at 30 frames/s.
It is written to zarr once (not timed); then, in a fresh process per source tree:

- first frame: ``open_scene(path)`` and one ``render_frame`` (imports excluded: the
  libraries the renderer loads lazily are imported first);
- warm: ``render_frame`` at random frame indices (seeded), median / p95 / max.

``--baseline DIR`` runs the same child against another source tree (e.g. an older
commit exported with ``git archive``), in the same run, so the ratio is like for like.

Usage::

    .venv/bin/python benchmarks/bench_random_access.py
    .venv/bin/python benchmarks/bench_random_access.py --baseline /tmp/old/src --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
#: What the renderer imports lazily on first use: imported before the first frame is timed.
PRELOAD = (
    "numpy",
    "xarray",
    "dask.array",
    "zarr",
    "cv2",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "neurospatial.animation",
)


def build_store(path: Path, n_frames: int, bins: int, rate_hz: float, fps: float) -> None:
    import numpy as np

    from neurospatial import Environment
    from neurospatial.animation import PositionOverlay, build_scene

    side = 2.5 * bins
    grid = (np.arange(bins) + 0.5) * 2.5
    samples = np.array(np.meshgrid(grid, grid)).reshape(2, -1).T
    env = Environment.from_samples(samples, bin_size=2.5, infer_active_bins=False)
    assert env.grid_shape == (bins, bins), env.grid_shape
    duration = n_frames / fps
    times = np.arange(int(duration * rate_hz)) / rate_hz
    phase = 2 * np.pi * times / 40.0
    positions = np.column_stack(
        [side / 2 + 0.4 * side * np.cos(phase), side / 2 + 0.35 * side * np.sin(1.3 * phase)]
    )
    frame_times = np.arange(n_frames) / fps
    centres = np.column_stack(
        [np.interp(frame_times, times, positions[:, d]) for d in range(2)]
    ).astype(np.float32)
    bin_centers = env.bin_centers.astype(np.float32)
    rng = np.random.default_rng(0)
    fields = np.empty((n_frames, env.n_bins), dtype=np.float32)  # in memory: default chunks
    for start in range(0, n_frames, 1000):
        c = centres[start : start + 1000]
        d2 = ((bin_centers[None] - c[:, None]) ** 2).sum(-1)
        fields[start : start + 1000] = np.exp(-d2 / 200.0) + 0.05 * rng.random(d2.shape)
    overlay = PositionOverlay(positions, times=times, color="red", size=10.0, trail_length=10)
    scene = build_scene(
        env, fields, overlays=[overlay], frame_times=frame_times, fps=fps, vmin=0.0, vmax=1.05
    )
    scene.to_zarr(path, mode="w", consolidated=False)


def child(path: Path, n_random: int, seed: int) -> dict:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    import numpy as np

    from neurospatial.animation import open_scene, render_frame

    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    scene = open_scene(path)
    n = scene["fields"].sizes["time"]
    first_index = int(rng.integers(n))
    render_frame(scene, first_index)
    first = time.perf_counter() - t0
    seconds = []
    for i in rng.integers(n, size=n_random):
        t = time.perf_counter()
        frame = render_frame(scene, int(i))
        seconds.append(time.perf_counter() - t)
    assert frame.image.shape == (600, 800, 3)
    ms = np.array(seconds) * 1000
    return {
        "first_s": first,
        "median_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95)),
        "max_ms": float(ms.max()),
        "module": importlib.import_module("neurospatial").__file__,
    }


def run_child(src: Path, store: Path, n_random: int, seed: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--child", "--store", str(store)]
    cmd += ["--random", str(n_random), "--seed", str(seed)]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if result.returncode:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_build(src: Path, store: Path, args: argparse.Namespace) -> None:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--build", "--store", str(store)]
    cmd += ["--frames", str(args.frames), "--bins", str(args.bins)]
    subprocess.run(cmd, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--bins", type=int, default=80, help="grid side in bins")
    parser.add_argument("--random", type=int, default=100, help="random frames per run")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--baseline", type=Path, help="another source tree to compare against")
    parser.add_argument("--store", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--build", action="store_true")
    args = parser.parse_args()
    if args.build:
        build_store(args.store, args.frames, args.bins, rate_hz=250.0, fps=30.0)
        return
    if args.child:
        print(json.dumps(child(args.store, args.random, args.seed)))
        return
    trees = {"this tree": SRC}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    with tempfile.TemporaryDirectory(prefix="bench-random-") as tmp:
        stores = {}
        for name, src in trees.items():  # each tree writes its own store (schema may differ)
            stores[name] = Path(tmp) / f"{name.replace(' ', '_')}.zarr"
            t0 = time.perf_counter()
            run_build(src, stores[name], args)
            print(f"built {name} store in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        for k in range(args.repeats):  # alternate the trees
            for name, src in trees.items():
                runs[name].append(run_child(src, stores[name], args.random, args.seed + k))
    print(
        f"\nrender_frame on an opened {args.frames}-frame zarr scene ({args.bins}x{args.bins} "
        f"grid, trailed position overlay), 800x600; {args.random} random frames per run, "
        f"{args.repeats} runs; machine: {os.cpu_count()} cores"
    )
    header = f"{'tree':<12}{'first frame s':>15}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}"
    print(header)
    print("-" * len(header))
    best = {}
    for name, results in runs.items():
        r = min(results, key=lambda x: x["median_ms"])
        first = min(x["first_s"] for x in results)
        best[name] = (r, first)
        print(
            f"{name:<12}{first:>15.3f}{r['median_ms']:>11.1f}{r['p95_ms']:>9.1f}{r['max_ms']:>9.1f}"
        )
    if "baseline" in best:
        (old, old_first), (new, new_first) = best["baseline"], best["this tree"]
        print(
            f"\nthis tree vs baseline: median {old['median_ms'] / new['median_ms']:.1f}x faster, "
            f"first frame {old_first / new_first:.1f}x faster"
        )
    for name, results in runs.items():
        print(f"({name}: {results[0]['module']})", file=sys.stderr)


if __name__ == "__main__":
    main()
