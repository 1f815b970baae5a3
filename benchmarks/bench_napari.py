"""The napari backend: opening a 100,000-frame stored scene and stepping it (issue 13).

The scene: a 41 x 41 field (float32) over 100,000 frames at 30 frames/s, position
with a trail, a 4-keypoint skeleton and a heading, written to zarr. Timed:

* open: `open_scene` + ``animate(scene, backend="napari")`` until the window has
  drawn its first frame, first in the process (napari and Qt start too) and again;
* step: setting the time slider to the next frame (the arrow keys) or to a random
  one (a jump), and Qt's events run until the canvas has painted once, median /
  p95 / max over 200 steps;
* playback: the space bar's player for 5 s of Qt's event loop, frames shown per
  second (the scene's rate is 30).

Baselines, in the same run: the same steps in a napari viewer holding only the
field's dask image (no overlay layers), the least a napari view of this scene costs;
an empty napari.Viewer drawn, first in a fresh process and again.

napari draws only on a real X display: run under Xvfb::

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python benchmarks/bench_napari.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.app_session import build_scene  # noqa: E402

N_FRAMES = 100_000


def draw(viewer) -> None:
    """Run Qt's events until the canvas has painted (a repaint is forced only when
    nothing asked for one, as after opening)."""
    from qtpy.QtWidgets import QApplication

    canvas = viewer.window._qt_viewer.canvas._scene_canvas
    before = _paints(canvas)
    QApplication.processEvents()
    if _paints(canvas) == before:
        canvas.native.repaint()
        QApplication.processEvents()


_PAINTED: dict[int, list[int]] = {}


def _paints(canvas) -> int:
    """How many times `canvas` has drawn (counted from its draw event)."""
    if id(canvas) not in _PAINTED:
        count = _PAINTED[id(canvas)] = [0]
        canvas.events.draw.connect(lambda _event: count.__setitem__(0, count[0] + 1))
    return _PAINTED[id(canvas)][0]


def steps(viewer, rng: np.random.Generator | None, n: int = 200) -> tuple[np.ndarray, float]:
    """Milliseconds per step, to random frames or (rng None) frame after frame, and
    the canvas paints per step (1: each step is drawn once)."""
    canvas = viewer.window._qt_viewer.canvas._scene_canvas
    spent = []
    start = 50_000
    frames = rng.integers(0, N_FRAMES, n) if rng is not None else range(start, start + n)
    painted = _paints(canvas)
    for k in frames:
        started = time.perf_counter()
        viewer.dims.set_current_step(0, int(k))
        draw(viewer)
        spent.append(time.perf_counter() - started)
    return np.array(spent) * 1000, (_paints(canvas) - painted) / n


def playback(viewer, seconds: float = 5.0) -> tuple[float, float]:
    """The space bar's player over `seconds` of Qt's event loop: frames it showed
    per second and canvas paints per second."""
    from qtpy.QtWidgets import QApplication

    from neurospatial.animation.backends.napari_ import player_of

    viewer.dims.set_current_step(0, 50_000)
    draw(viewer)
    canvas = viewer.window._qt_viewer.canvas._scene_canvas
    painted, player = _paints(canvas), player_of(viewer)
    player.play()
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        QApplication.processEvents()
        time.sleep(0.001)
    player.pause()
    elapsed = time.perf_counter() - started
    return player.shown / elapsed, (_paints(canvas) - painted) / elapsed


def main() -> int:
    import napari

    from neurospatial.animation import animate, field_image, open_scene

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.zarr"
        built = time.perf_counter()
        build_scene(N_FRAMES).to_zarr(path, consolidated=False)
        print(f"(wrote the {N_FRAMES:,}-frame store in {time.perf_counter() - built:.0f} s)")
        opened = []
        for _ in range(2):  # cold (napari and Qt start), then warm (a second window)
            started = time.perf_counter()
            scene = open_scene(path)
            viewer = animate(scene, backend="napari")
            draw(viewer)
            opened.append(time.perf_counter() - started)
            if len(opened) == 1:
                viewer.close()
        ours, _ = steps(viewer, np.random.default_rng(0))
        ours_next, painted = steps(viewer, None)
        played = playback(viewer)
        viewer.close()

        started = time.perf_counter()
        plain = napari.Viewer()
        draw(plain)
        empty = time.perf_counter() - started
        plain.add_image(field_image(open_scene(path)).data, contrast_limits=(0, 1))
        draw(plain)
        base, _ = steps(plain, np.random.default_rng(0))
        base_next, _ = steps(plain, None)
        plain.close()
    cold_empty = _cold_empty_viewer()

    def row(values: np.ndarray) -> str:
        return (
            f"median {np.median(values):.1f}, p95 {np.percentile(values, 95):.1f}, "
            f"max {values.max():.1f} ms"
        )

    rows = [
        (f"open {N_FRAMES:,} frames, first in the process", f"{opened[0]:.2f} s", "< 3 s"),
        (f"open {N_FRAMES:,} frames, napari already up", f"{opened[1]:.2f} s", "< 3 s"),
        ("baseline: an empty napari.Viewer drawn, first", f"{cold_empty:.2f} s", ""),
        ("baseline: an empty napari.Viewer drawn, again", f"{empty:.2f} s", ""),
        ("next frame, all layers", row(ours_next), "<= 33 ms"),
        ("canvas paints per step", f"{painted:.2f}", ""),
        ("random frame, all layers", row(ours), ""),
        (
            "playback at 30 frames/s (space bar), 5 s",
            f"{played[0]:.1f} frames/s shown, {played[1]:.1f} paints/s",
            "",
        ),
        ("baseline: field image alone, next frame", row(base_next), ""),
        ("baseline: field image alone, random frame", row(base), ""),
        (
            "all layers / baseline (next frame, median)",
            f"{np.median(ours_next) / np.median(base_next):.2f}x",
            "",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    value = max(len(r[1]) for r in rows)
    print(f"{'':{width}}  {'measured':{value}}  target")
    print("-" * (width + value + 12))
    for a, b, c in rows:
        print(f"{a:{width}}  {b:{value}}  {c}")
    return 0


COLD_EMPTY = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
import napari
from benchmarks.bench_napari import draw
started = time.perf_counter()
draw(napari.Viewer())
print(time.perf_counter() - started)
"""


def _cold_empty_viewer() -> float:
    """Seconds for the first (empty) napari.Viewer of a fresh process to draw, napari
    imported: what napari and Qt cost before any scene (the cold open's baseline)."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", COLD_EMPTY], capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    raise SystemExit(main())
