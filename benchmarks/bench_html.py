"""HTML export: neurospatial vs the reference implementation (neurospatial 0.6.0),
and the embedding alternatives measured on the same frames.

The session is the MP4 benchmark's (benchmarks/reference/session.py), 300 frames,
800x600, position + trail, 4-keypoint skeleton, head direction, one region. The
alternatives table encodes the very same compositor frames as JPEG, WebP and PNG
stills (base64 in a page) next to the embedded H.264 video we ship.

Usage::

    .venv/bin/python benchmarks/bench_html.py [--no-reference] [--frames 300]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_video import (  # noqa: E402
    REFERENCE,
    REFERENCE_PRELOADED,
    reference_python,
    session_inputs,
)


def child_ours(n_frames: int, out: Path, preload: bool) -> dict:
    """Cold first call, then warm; with `preload`, the reference's import-time
    libraries are imported first (like for like, see bench_video.py)."""
    if preload:
        import importlib

        for name in REFERENCE_PRELOADED:
            importlib.import_module(name)
    env, fields, kwargs = session_inputs(n_frames)
    seconds = []
    for _ in range(2):  # cold, then warm
        t0 = time.perf_counter()
        env.animate_fields(fields, save_path=out, progress=False, **kwargs)
        seconds.append(time.perf_counter() - t0)
    return {"seconds": seconds[0], "warm_seconds": seconds[1], "bytes": out.stat().st_size}


def alternatives(n_frames: int) -> list[tuple[str, float, float]]:
    import cv2
    from bench_video import build_scene

    from neurospatial.animation.render.raster import Compositor

    compositor = Compositor(build_scene(n_frames))
    frames = [cv2.cvtColor(compositor.render(i), cv2.COLOR_RGBA2BGR) for i in range(n_frames)]
    rows = []
    for name, ext, params in (
        ("JPEG stills, quality 85", ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 85]),
        ("WebP stills, quality 80", ".webp", [cv2.IMWRITE_WEBP_QUALITY, 80]),
        ("PNG stills", ".png", [cv2.IMWRITE_PNG_COMPRESSION, 3]),
    ):
        t0 = time.perf_counter()
        total = sum(len(cv2.imencode(ext, f, params)[1]) for f in frames)
        rows.append((name, 4 * total / 3 / 1e6, time.perf_counter() - t0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--preload", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_ours(args.frames, args.out, args.preload)))
        return
    n = args.frames
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ours.html"
        cmd = [sys.executable, __file__, "--child", "--frames", str(n), "--out", str(out)]

        def run(extra: list[str]) -> dict:
            done = subprocess.run(cmd + extra, capture_output=True, text=True, check=True)
            return json.loads(done.stdout.strip().splitlines()[-1])

        ours = run([])
        preloaded = run(["--preload"])
        ref = None
        python = None if args.no_reference else reference_python()
        if python:
            result = subprocess.run(
                [
                    python,
                    str(REFERENCE / "run_reference.py"),
                    "--frames",
                    str(n),
                    "--backend",
                    "html",
                    "--out",
                    tmp,
                    "--n-workers",
                    "1",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            ref = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"HTML export, {n} frames, 800x600, three overlays and a region (2 cores)")
    print(f"{'implementation':<28}{'seconds':>9}{'MB':>8}{'speed vs ref':>14}{'size vs ref':>13}")
    rows = [
        ("neurospatial (cold)", ours["seconds"], ours["bytes"]),
        ("neurospatial (preloaded)", preloaded["seconds"], preloaded["bytes"]),
        ("neurospatial (warm)", ours["warm_seconds"], ours["bytes"]),
    ]
    if ref and ref.get("seconds"):
        rows.insert(0, ("reference 0.6.0", ref["seconds"], ref["file_bytes"]))
    for name, seconds, size in rows:
        speed = f"{ref['seconds'] / seconds:.1f}x" if ref and ref.get("seconds") else "-"
        smaller = f"{size / ref['file_bytes']:.3f}" if ref and ref.get("file_bytes") else "-"
        print(f"{name:<28}{seconds:>9.2f}{size / 1e6:>8.2f}{speed:>14}{smaller:>13}")
    print("\nEmbedding alternatives for the same frames (base64 payload only):")
    print(f"{'embedding':<28}{'MB':>8}{'encode s':>10}")
    print(f"{'H.264 MP4 (ours)':<28}{ours['bytes'] / 1e6:>8.2f}{'-':>10}")
    for name, mb, seconds in alternatives(n):
        print(f"{name:<28}{mb:>8.2f}{seconds:>10.2f}")


if __name__ == "__main__":
    main()
