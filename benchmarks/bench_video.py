"""MP4 export: neurospatial vs the reference implementation (neurospatial 0.6.0).

Same session in both libraries (benchmarks/reference/session.py: random walk at
250 Hz for 40 s, bin_size=2.5, a moving Gaussian bump as fields, position with a
10-frame trail, a 4-keypoint skeleton, head direction, one point region, 800x600
H.264), at 300 and 3000 frames. Each run is a fresh process (so peak RSS is that
run's own); the two libraries run alternately. "encode-only" is the ffmpeg we ship
encoding the very same frames from a raw file with the same settings: the
physical limit of the export.

Usage::

    .venv/bin/python benchmarks/bench_video.py            # sets up the reference venv if needed
    .venv/bin/python benchmarks/bench_video.py --no-reference --frames 300
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
from typing import Any

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference"


def session_inputs(n_frames: int) -> tuple[Any, Any, dict[str, Any]]:
    """The user's data: environment, fields and animate_fields keywords (not timed)."""
    import numpy as np

    sys.path.insert(0, str(REFERENCE))
    from session import make_session

    from neurospatial import Environment
    from neurospatial.animation import BodypartOverlay, HeadDirectionOverlay, PositionOverlay

    s = make_session(n_frames, seed=0)
    env = Environment.from_samples(s["positions"], bin_size=s["bin_size"])
    env.regions.add(s["region_name"], point=tuple(s["region_point"]))
    fields = s["make_fields"](np.asarray(env.bin_centers))
    colors = {"nose": "red", "ear_left": "blue", "ear_right": "blue", "tail_base": "green"}
    overlays = [
        PositionOverlay(s["positions"], times=s["times"], color="red", size=10.0, trail_length=10),
        BodypartOverlay(
            s["keypoints"], times=s["times"], skeleton=s["skeleton_edges"], colors=colors
        ),
        HeadDirectionOverlay(s["headings"], times=s["times"], color="orange", length=10.0),
    ]
    if os.environ.get("NS_BENCH_VIDEO"):  # the 640x480 recording under the field
        from neurospatial.animation import VideoOverlay, calibrate_video

        recording = Path(os.environ["NS_BENCH_VIDEO"])
        calibration = calibrate_video(
            recording,
            env,
            landmarks_px=[[0, 480], [640, 480], [640, 0], [0, 0]],
            landmarks_env=[[0, 0], [100, 0], [100, 100], [0, 100]],
        )
        overlays.insert(0, VideoOverlay(recording, calibration=calibration, alpha=0.5))
    kwargs = {
        "overlays": overlays,
        "frame_times": s["frame_times"],
        "fps": 30,
        "show_regions": True,
    }
    return env, fields, kwargs


def build_scene(n_frames: int) -> Any:
    from neurospatial.animation import build_scene as build

    env, fields, kwargs = session_inputs(n_frames)
    return build(env, fields, **kwargs)


#: What `import neurospatial` (0.6.0) has loaded before its animate_fields call is timed.
REFERENCE_PRELOADED = ("matplotlib.pyplot", "scipy", "dask.array", "PIL.Image")


def child_ours(n_frames: int, out: Path, preset: str, crf: int, preload: bool = False) -> dict:
    """One export in a fresh process; timed like the reference: the animate_fields call.

    Our package imports its heavy dependencies lazily, inside that call; the
    reference imports them at package import, outside it. With `preload` the same
    libraries are imported first, for a like-for-like first call.
    """
    if preload:
        import importlib

        for name in REFERENCE_PRELOADED:
            importlib.import_module(name)
    env, fields, kwargs = session_inputs(n_frames)
    seconds = []
    for k in range(2):  # cold (first call: pays lazy imports), then warm (steady state)
        t0 = time.perf_counter()
        path = env.animate_fields(
            fields, save_path=out, progress=False, preset=preset, crf=crf, **kwargs
        )
        seconds.append(time.perf_counter() - t0)
        if k == 0:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": seconds[0],
        "warm_seconds": seconds[1],
        "peak_rss_mb": rss,
        "file_bytes": path.stat().st_size,
    }


def child_encode_only(n_frames: int, out: Path, preset: str, crf: int, rgb: bool = False) -> dict:
    """Render the same frames to a raw file, then time ffmpeg alone encoding it.

    Default: the raw file holds exactly the bytes the export pipes to ffmpeg
    (yuv420p) with the same options: the encoder's own speed limit. With `rgb`,
    ffmpeg reads the RGB frames and converts them itself (the usual "ffmpeg
    alone" baseline; our export does that conversion in-process with OpenCV).
    """
    import cv2

    from neurospatial.animation.backends.ffmpeg import encode_command
    from neurospatial.animation.render.raster import Compositor

    scene = build_scene(n_frames)
    compositor = Compositor(scene)
    raw = out.with_suffix(".raw")
    with open(raw, "wb") as f:
        for i in range(n_frames):
            frame = compositor.render(i)
            f.write(frame.data if rgb else cv2.cvtColor(frame, cv2.COLOR_RGBA2YUV_I420).data)
    cmd = encode_command(
        out, compositor.width, compositor.height, 30.0, crf=crf, preset=preset, source=str(raw)
    )
    if rgb:  # read RGBX: ffmpeg converts to yuv420p itself
        cmd[cmd.index("yuv420p")] = "rgb0"
    subprocess.run(["cat", str(raw)], stdout=subprocess.DEVNULL, check=True)  # warm cache
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    seconds = time.perf_counter() - t0
    raw.unlink()
    return {"seconds": seconds, "file_bytes": out.stat().st_size}


def run_child(
    kind: str, n_frames: int, out: Path, preset: str, crf: int, src: Path | None = None
) -> dict:
    """One export in a fresh process (with `src`: that source tree's neurospatial)."""
    env = {**os.environ, "PYTHONPATH": str(src)} if src is not None else None
    cmd = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--frames",
        str(n_frames),
        "--out",
        str(out),
        "--preset",
        preset,
        "--crf",
        str(crf),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_reference(python: str, n_frames: int, outdir: Path) -> dict:
    cmd = [
        python,
        str(REFERENCE / "run_reference.py"),
        "--frames",
        str(n_frames),
        "--backend",
        "video",
        "--out",
        str(outdir),
        "--n-workers",
        "1",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "seconds": data["seconds"],
        "peak_rss_mb": data.get("peak_rss_self_mb"),
        "file_bytes": data["file_bytes"],
    }


def reference_python() -> str | None:
    try:
        out = subprocess.run(
            ["bash", str(REFERENCE / "setup_reference.sh")],
            capture_output=True,
            text=True,
            check=True,
        )
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        print(f"(reference unavailable: {exc})", file=sys.stderr)
        return None
    return out.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, nargs="*", default=[300, 3000])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--preset", default=None)
    parser.add_argument("--crf", type=int, default=None)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument(
        "--video",
        type=Path,
        help="add this behaviour video (e.g. ../shared/data/openfield_m3v1.mp4) under the "
        "field in our runs; the reference runs stay without video",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another source tree (e.g. an older commit from `git archive`): its export "
        "runs alternately with ours, like for like",
    )
    parser.add_argument("--child", choices=["ours", "ours-preloaded", "encode", "encode-rgb"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from neurospatial.animation.backends.video import DEFAULT_CRF, DEFAULT_PRESET

    preset = args.preset or DEFAULT_PRESET
    if args.video:
        os.environ["NS_BENCH_VIDEO"] = str(args.video.resolve())
    crf = DEFAULT_CRF if args.crf is None else args.crf
    if args.child:
        if args.child in ("ours", "ours-preloaded"):
            preload = args.child == "ours-preloaded"
            result = child_ours(args.frames[0], args.out, preset, crf, preload=preload)
        else:
            rgb = args.child == "encode-rgb"
            result = child_encode_only(args.frames[0], args.out, preset, crf, rgb=rgb)
        print(json.dumps(result))
        return

    python = None if args.no_reference else reference_python()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        outdir = Path(tmp)
        for n in args.frames:
            results: dict[str, list[dict]] = {
                "reference 0.6.0": [],
                "baseline tree": [],
                "neurospatial": [],
                "neurospatial, preloaded": [],
                "encode-only": [],
                "encode-only, RGB in": [],
            }
            for _ in range(args.repeats):  # alternate the libraries
                if python:
                    results["reference 0.6.0"].append(run_reference(python, n, outdir))
                if args.baseline:
                    results["baseline tree"].append(
                        run_child("ours", n, outdir / f"base{n}.mp4", preset, crf, args.baseline)
                    )
                results["neurospatial"].append(
                    run_child("ours", n, outdir / f"ours{n}.mp4", preset, crf)
                )
                results["neurospatial, preloaded"].append(
                    run_child("ours-preloaded", n, outdir / f"pre{n}.mp4", preset, crf)
                )
                results["encode-only"].append(
                    run_child("encode", n, outdir / f"enc{n}.mp4", preset, crf)
                )
                results["encode-only, RGB in"].append(
                    run_child("encode-rgb", n, outdir / f"encr{n}.mp4", preset, crf)
                )
            for name, runs in results.items():
                if runs:
                    best = min(runs, key=lambda r: r["seconds"])
                    rows.append((n, name, best))
                    if "warm_seconds" in best and name in ("neurospatial", "baseline tree"):
                        warm = min(r["warm_seconds"] for r in runs)
                        rows.append((n, name + " (warm)", {**best, "seconds": warm}))
    ref = {n: r for n, name, r in rows if name == "reference 0.6.0"}
    enc = {n: r for n, name, r in rows if name == "encode-only"}
    ours = {n: r for n, name, r in rows if name == "neurospatial"}
    print("neurospatial = first export in a fresh process (pays the lazy imports of")
    print("matplotlib, dask, scipy, OpenCV); preloaded = the same after importing what the")
    print("reference's `import neurospatial` loads (matplotlib.pyplot, scipy, dask.array, PIL),")
    print("like for like; warm = a second export in the same process.")
    print(
        f"\nMP4 export, 800x600, libx264 preset={preset} crf={crf} (ours), best of "
        f"{args.repeats}; machine: {os.cpu_count()} cores"
    )
    header = (
        f"{'frames':>6}  {'implementation':<23}{'seconds':>9}{'frames/s':>10}"
        f"{'peak RSS MB':>13}{'file MB':>9}{'fps vs ref':>12}{'time vs encode':>16}"
    )
    print(header)
    print("-" * len(header))
    for n, name, r in rows:
        fps = n / r["seconds"]
        vs_ref = f"{fps / (n / ref[n]['seconds']):.1f}x" if n in ref else "-"
        vs_enc = f"{r['seconds'] / enc[n]['seconds']:.2f}x" if n in enc else "-"
        rss = f"{r['peak_rss_mb']:.0f}" if r.get("peak_rss_mb") else "-"
        print(
            f"{n:>6}  {name:<23}{r['seconds']:>9.2f}{fps:>10.1f}{rss:>13}"
            f"{r['file_bytes'] / 1e6:>9.2f}{vs_ref:>12}{vs_enc:>16}"
        )
    if len(ours) >= 2:
        small, large = min(ours), max(ours)
        ratio = ours[large]["peak_rss_mb"] / ours[small]["peak_rss_mb"]
        print(f"\npeak RSS neurospatial {large} vs {small} frames: {ratio:.2f}x")


if __name__ == "__main__":
    main()
