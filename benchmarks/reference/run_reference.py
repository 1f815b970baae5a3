"""Benchmark the reference implementation (neurospatial==0.6.0 from PyPI).

Run with the REFERENCE venv's python (see setup_reference.sh), e.g.::

    PY=$(bash benchmarks/reference/setup_reference.sh)
    $PY benchmarks/reference/run_reference.py --frames 300 --backend video --out /tmp/ref

Prints exactly one JSON line on stdout (everything else goes to stderr):
backend, frames, seconds (wall time of the animate_fields call only), fps,
peak_rss_mb (ru_maxrss of self + children), file_bytes, width, height, n_bins,
version, plus a few diagnostic keys (rss split, warnings, error if any).
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import resource
import shutil
import struct
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from session import make_session


def _ffprobe_size(path: Path) -> tuple[int | None, int | None, int | None]:
    """(width, height, n_frames) of the first video stream via ffprobe."""
    if shutil.which("ffprobe") is None:
        return None, None, None
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_frames",
            "-show_entries",
            "stream=width,height,nb_read_frames",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        st = json.loads(out.stdout)["streams"][0]
        return int(st["width"]), int(st["height"]), int(st["nb_read_frames"])
    except (KeyError, IndexError, ValueError):
        return None, None, None


def _html_first_image_size(path: Path) -> tuple[int | None, int | None, int]:
    """(width, height) of the first embedded base64 PNG frame, and frame count.

    The 0.6.0 player stores frames as bare base64 strings in a JS array
    (``const frames = ["iVBOR...", ...]``); ``data:`` URLs are also accepted.
    """
    text = path.read_text(errors="replace")
    imgs = re.findall(r'"(?:data:image/\w+;base64,)?((?:iVBORw0KGgo|/9j/)[A-Za-z0-9+/=]+)"', text)
    if not imgs:
        return None, None, 0
    raw = base64.b64decode(imgs[0][: 4 * 1024])  # header is enough
    if raw[:8] == b"\x89PNG\r\n\x1a\n":
        w, h = struct.unpack(">II", raw[16:24])
        return int(w), int(h), len(imgs)
    return None, None, len(imgs)


def _video_frame_std(path: Path, index: int) -> float | None:
    """Pixel std of decoded frame `index` (gray); ~0 means a blank frame."""
    if shutil.which("ffmpeg") is None:
        return None
    out = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-vf",
            f"select=eq(n\\,{index})",
            "-vsync",
            "0",
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ],
        capture_output=True,
        check=False,
    )
    if out.returncode != 0 or not out.stdout:
        return None
    return round(float(np.frombuffer(out.stdout, dtype=np.uint8).std()), 2)


def _peak_rss_mb() -> tuple[float, float]:
    """ru_maxrss (KiB on Linux) of this process and of its waited-for children."""
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return self_mb, child_mb


def build(n_frames: int, fields_only: bool):
    """Build env, fields, overlays and frame_times for the reference API."""
    from neurospatial import Environment
    from neurospatial.animation import (
        BodypartOverlay,
        HeadDirectionOverlay,
        PositionOverlay,
        Skeleton,
    )

    s = make_session(n_frames, seed=0)
    env = Environment.from_samples(s["positions"], bin_size=s["bin_size"])
    fields = s["make_fields"](np.asarray(env.bin_centers))
    overlays = None
    if not fields_only:
        env.regions.add(s["region_name"], point=tuple(s["region_point"]))
        skeleton = Skeleton.from_edge_list(s["skeleton_edges"], name="rodent", edge_color="white")
        overlays = [
            PositionOverlay(
                positions=s["positions"],
                times=s["times"],
                color="red",
                size=10.0,
                trail_length=10,
            ),
            BodypartOverlay(
                data=s["keypoints"],
                times=s["times"],
                skeleton=skeleton,
                colors={
                    "nose": "red",
                    "ear_left": "blue",
                    "ear_right": "blue",
                    "tail_base": "green",
                },
            ),
            HeadDirectionOverlay(
                headings=s["headings"],
                times=s["times"],
                color="orange",
                length=10.0,
            ),
        ]
    return env, fields, overlays, s["frame_times"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--backend", choices=["video", "html"], default="video")
    ap.add_argument("--out", type=Path, default=Path("/work/refbench/out"))
    ap.add_argument("--n-workers", type=int, default=1)
    ap.add_argument(
        "--fields-only", action="store_true", help="no overlays / regions, just the field animation"
    )
    ap.add_argument(
        "--verbose",
        action="store_true",
        help="reference INFO logs with timestamps on stderr "
        "(shows the render vs. ffmpeg-encode split)",
    )
    args = ap.parse_args(argv)

    import importlib.metadata

    import matplotlib

    matplotlib.use("Agg")
    if args.verbose:
        import logging

        logging.basicConfig(
            stream=sys.stderr,
            level=logging.INFO,
            format="%(relativeCreated)8.0f ms %(name)s: %(message)s",
        )
    version = importlib.metadata.version("neurospatial")

    args.out.mkdir(parents=True, exist_ok=True)
    tag = f"ref{version}_{args.backend}_{args.frames}{'_fields' if args.fields_only else ''}"
    ext = ".mp4" if args.backend == "video" else ".html"
    save_path = args.out / f"{tag}{ext}"
    if save_path.exists():
        save_path.unlink()

    env, fields, overlays, frame_times = build(args.frames, args.fields_only)
    print(
        f"[run_reference] neurospatial {version}: n_bins={env.n_bins}, "
        f"fields={fields.shape}, backend={args.backend}",
        file=sys.stderr,
    )

    result: dict = {
        "backend": args.backend,
        "frames": args.frames,
        "seconds": None,
        "fps": None,
        "peak_rss_mb": None,
        "file_bytes": None,
        "width": None,
        "height": None,
        "n_bins": int(env.n_bins),
        "version": version,
        "n_workers": args.n_workers,
        "fields_only": bool(args.fields_only),
        "path": str(save_path),
    }
    kwargs = dict(
        frame_times=frame_times,
        backend=args.backend,
        save_path=str(save_path),
        overlays=overlays,
        show_regions=not args.fields_only,
        dpi=100,
        n_workers=args.n_workers,
    )
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        try:
            env.animate_fields(fields, **kwargs)
        except Exception as exc:  # e.g. HTML refuses > max_html_frames
            result["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        elapsed = time.perf_counter() - t0
        caught = sorted({str(w.message).strip().splitlines()[0] for w in wlist})
    if "error" not in result:
        result["seconds"] = round(elapsed, 3)
        result["fps"] = round(args.frames / elapsed, 2)
    rss_self, rss_child = _peak_rss_mb()
    result["peak_rss_mb"] = round(rss_self + rss_child, 1)
    result["peak_rss_self_mb"] = round(rss_self, 1)
    result["peak_rss_children_mb"] = round(rss_child, 1)
    if save_path.exists():
        result["file_bytes"] = save_path.stat().st_size
        if args.backend == "video":
            w, h, nf = _ffprobe_size(save_path)
            result["decoded_frames"] = nf
            # 0.6.0 bug guard: without overlays/regions the reference renders
            # frame 0 and then blank frames (field artist removed each frame).
            mid = _video_frame_std(save_path, args.frames // 2)
            result["mid_frame_std"] = mid
            if mid is not None and mid < 1.0:
                result["blank_frames"] = True
        else:
            w, h, nf = _html_first_image_size(save_path)
            result["embedded_images"] = nf
        result["width"], result["height"] = w, h
    if caught:
        result["warnings"] = caught
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
