"""The HoloViews view: server-side cost per frame, and datashader's rasterize against
plain Bokeh rendering for a large field and for a video frame.

Server-side cost = the DynamicMap callback (layer model -> HoloViews elements) plus
HoloViews' Bokeh plot update (the data Bokeh would send to the browser), median over
consecutive frames after a warm-up. The scene is the MP4 benchmark's (40x40 bins,
position + 10-frame trail, 4-keypoint skeleton, heading, one region).

Usage::

    .venv/bin/python benchmarks/bench_holoviews.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _median_ms(fn: Any, keys: range) -> float:
    times = []
    for k in keys:
        t0 = time.perf_counter()
        fn(k)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def scene_costs(n_frames: int = 120) -> list[tuple[str, float]]:
    import holoviews as hv
    from bench_video import build_scene

    from neurospatial.animation.render.holoviews_ import HoloViewsView, to_holoviews

    hv.extension("bokeh")
    scene = build_scene(n_frames)
    view = HoloViewsView(scene)
    view(0)
    callback = _median_ms(view, range(1, 61))
    layers = _median_ms(view.layers, range(61, 119))
    plot = hv.renderer("bokeh").get_plot(to_holoviews(scene))
    update = _median_ms(lambda k: plot.update((k,)), range(1, 61))
    return [
        ("layer model (frame_layers)", layers),
        ("callback: layers -> hv.Overlay", callback),
        ("callback + Bokeh plot update", update),
    ]


def large_images(size: int = 500) -> list[tuple[str, float]]:
    import holoviews as hv
    import numpy as np
    from holoviews.operation.datashader import rasterize

    hv.extension("bokeh")
    rng = np.random.default_rng(0)
    fields = rng.random((8, size, size))
    video = rng.integers(0, 255, (8, 480, 640, 3), dtype=np.uint8)
    rows = []
    for name, make in (
        (
            f"field {size}x{size} hv.Image",
            lambda k: hv.Image(fields[k % 8], bounds=(0, 0, 100, 100)),
        ),
        ("video 640x480 hv.RGB", lambda k: hv.RGB(video[k % 8], bounds=(0, 0, 100, 75))),
    ):
        for label, wrap in (("plain", lambda d: d), ("rasterize", rasterize)):
            dmap = wrap(hv.DynamicMap(make, kdims=["k"]).redim.range(k=(0, 10_000)))
            dmap = dmap.opts(frame_width=500) if label == "plain" else dmap.opts(width=500)
            plot = hv.renderer("bokeh").get_plot(dmap)
            plot.update((1,))  # warm-up (numba compiles datashader's kernels here)
            rows.append(
                (f"{name}, {label}", _median_ms(lambda k, p=plot: p.update((k,)), range(2, 32)))
            )
    return rows


def main() -> None:
    import importlib.util

    rows = scene_costs()
    if importlib.util.find_spec("datashader") is not None:
        rows += large_images()
    else:  # the view does not rasterize (it lost here), so datashader is not installed
        print("(datashader is not installed: pip install datashader to compare rasterize)")
    width = max(len(r[0]) for r in rows)
    print(f"{'per frame (median)':<{width}}  ms")
    for name, ms in rows:
        print(f"{name:<{width}}  {ms:7.1f}")


if __name__ == "__main__":
    main()
