"""The napari backend on a real canvas: Qt's xcb platform under Xvfb (offscreen
screenshots are silently black, see ../shared/FACTS.md).

One viewer per scene, closed at the end; skipped without napari or Xvfb, except
under CI=true, where `.ci/run` installs both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import shapely

from neurospatial import Environment
from neurospatial.animation import (
    HeadDirectionOverlay,
    PositionOverlay,
    VideoOverlay,
    animate,
    build_scene,
)
from tests.animation.helpers import red_centroid, square_env


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A private Xvfb display for the module's viewers."""
    try:
        import napari  # noqa: F401
    except ImportError:
        _unavailable('napari is not installed (pip install ".[napari]")')
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        _unavailable("Xvfb is not installed (apt-get install xvfb)")
    number = next(n for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen(
        [xvfb, f":{number}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert server.poll() is None and time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.05)
    saved = {k: os.environ.get(k) for k in ("DISPLAY", "QT_QPA_PLATFORM")}
    os.environ.update(DISPLAY=f":{number}", QT_QPA_PLATFORM="xcb")
    try:
        yield f":{number}"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.terminate()
        server.wait(10)


def _show(scene):
    viewer = animate(scene, backend="napari")
    viewer.window._qt_window.resize(900, 800)
    _settle(viewer)
    return viewer


def _settle(viewer) -> None:
    from qtpy.QtWidgets import QApplication

    for _ in range(5):
        QApplication.processEvents()
        time.sleep(0.02)


def _shot(viewer) -> np.ndarray:
    _settle(viewer)
    return np.asarray(viewer.screenshot(canvas_only=True, flash=False))[..., :3]


def _world_to_canvas(viewer, shot: np.ndarray, x: float, y: float) -> np.ndarray:
    """(col, row) of world (x, y) on a screenshot of the 2D view (y up)."""
    from neurospatial.animation.backends.napari_ import _camera

    camera = _camera(viewer)
    rows, cols = shot.shape[:2]
    _height, width = viewer.canvas.size
    px = cols / width  # screenshot pixels per canvas pixel
    cy, cx = camera.center[-2], camera.center[-1]
    return np.array(
        [cols / 2 + (x - cx) * camera.zoom * px, rows / 2 - (y - cy) * camera.zoom * px]
    )


def test_the_field_and_a_marker_are_drawn_where_they_belong(display):
    env = square_env()
    n = 10
    path = np.column_stack([np.linspace(20, 80, n), np.linspace(30, 70, n)])
    fields = np.exp(-((env.bin_centers[None] - path[:, None]) ** 2).sum(-1) / 100.0)
    scene = build_scene(
        env, fields, overlays=[PositionOverlay(path, color="red")], fps=10, vmin=0, vmax=1
    )
    viewer = _show(scene)
    try:
        first = _shot(viewer)
        assert first.mean() > 20, "the canvas is black"
        marker = red_centroid(first)
        expected = _world_to_canvas(viewer, first, *path[0])

        assert np.hypot(*(marker - expected)) <= 3.0, (marker, expected)
        viewer.dims.set_current_step(0, 6)
        later = _shot(viewer)
        assert np.abs(later.astype(int) - first).mean() > 1.0  # stepping changes the canvas
        expected = _world_to_canvas(viewer, later, *path[6])
        assert np.hypot(*(red_centroid(later) - expected)) <= 3.0
    finally:
        viewer.close()


def test_arrows_follow_the_heading_without_recompiling_shaders(display, monkeypatch):
    """Vectors layers move with every step, drawn where the heading points, and the
    step does not rebuild their shaders (vispy's Mesh did, ~3.6 ms a layer a step)."""
    from vispy.visuals.shaders.program import ModularProgram

    env = square_env()
    n = 8
    anchor = np.column_stack([np.linspace(30, 70, n), np.full(n, 50.0)])
    angle = np.linspace(0.0, np.pi / 2, n)  # east, turning to north
    heading = HeadDirectionOverlay(angle, color="lime", length=20.0)
    scene = build_scene(
        env, np.zeros((n, env.n_bins)), overlays=[PositionOverlay(anchor), heading], fps=10
    )
    viewer = _show(scene)
    builds = []
    build = ModularProgram._build
    monkeypatch.setattr(
        ModularProgram, "_build", lambda self: (builds.append(self), build(self))[1]
    )
    try:
        for k in (0, 3, 7):
            viewer.dims.set_current_step(0, k)
            shot = _shot(viewer)
            r, g, b = (shot[..., c].astype(int) for c in range(3))
            lime = (g > 120) & (g > r + 80) & (g > b + 80)
            assert lime.sum() > 20, f"no arrow drawn at frame {k}"
            rows, cols = np.nonzero(lime)
            start = _world_to_canvas(viewer, shot, *anchor[k])
            tip = _world_to_canvas(
                viewer, shot, *(anchor[k] + 20.0 * np.array([np.cos(angle[k]), np.sin(angle[k])]))
            )
            axis = (tip - start) / np.linalg.norm(tip - start)
            offsets = np.column_stack([cols, rows]) - start
            along = offsets @ axis
            across = np.abs(offsets @ np.array([-axis[1], axis[0]]))
            assert np.percentile(across, 90) <= 4.0, (k, np.percentile(across, 90))
            assert along.max() == pytest.approx(np.linalg.norm(tip - start), abs=4.0)
        assert builds == [], f"{len(builds)} shader builds while stepping"
    finally:
        viewer.close()


def test_the_videos_top_row_is_at_the_top(display):
    env = square_env()
    frames = np.zeros((2, 60, 80, 3), dtype=np.uint8)
    frames[:, :10] = (255, 255, 255)  # the top rows of the video are white
    scene = build_scene(
        env, np.full((2, env.n_bins), np.nan), overlays=[VideoOverlay(frames, alpha=1.0)], fps=2
    )
    viewer = _show(scene)
    try:
        shot = _shot(viewer)
        (x0, x1), (y0, y1) = env.dimension_ranges
        top = _world_to_canvas(viewer, shot, (x0 + x1) / 2, y1 - 3).round().astype(int)
        bottom = _world_to_canvas(viewer, shot, (x0 + x1) / 2, y0 + 3).round().astype(int)
        assert shot[top[1], top[0]].min() > 200 and shot[bottom[1], bottom[0]].max() < 60
    finally:
        viewer.close()


@pytest.mark.parametrize("layout", ["circle", "w_track"])
def test_a_masked_arena_and_a_track_show_their_shapes(display, layout):
    if layout == "circle":
        env = Environment.from_polygon(shapely.Point(50, 50).buffer(45), bin_size=5.0)
        inside, outside = (50.0, 50.0), (8.0, 8.0)
    else:
        nodes = {0: (0.0, 100.0), 1: (0.0, 0.0), 2: (50.0, 0.0), 3: (50.0, 100.0)}
        edges = [(0, 1), (1, 2), (2, 3)]
        env = Environment.from_graph(
            edges, edges, edge_spacing=0.0, bin_size=5.0, positions=nodes, track_width=8.0
        )
        inside, outside = (50.0, 50.0), (25.0, 50.0)
    scene = build_scene(env, np.ones((2, env.n_bins)), fps=2, cmap="viridis", vmin=0, vmax=1)
    viewer = _show(scene)
    try:
        shot = _shot(viewer)
        on = _world_to_canvas(viewer, shot, *inside).round().astype(int)
        off = _world_to_canvas(viewer, shot, *outside).round().astype(int)
        red, green, blue = shot[on[1], on[0]].astype(int)
        assert red > 200 and green > 200 and blue < 80  # viridis' top: yellow
        assert shot[off[1], off[0]].max() < 40  # no bin: the canvas shows through
    finally:
        viewer.close()


def test_the_player_keeps_to_the_clock(display):
    env = square_env(bin_size=10.0)
    scene = build_scene(env, np.random.default_rng(0).random((300, env.n_bins)), fps=30)
    viewer = _show(scene)
    try:
        from neurospatial.animation.backends.napari_ import player_of

        player = player_of(viewer)
        assert int(viewer.dims.current_step[0]) == 0
        player.play()
        started = time.perf_counter()
        while time.perf_counter() - started < 1.0:
            _settle(viewer)
        player.pause()
        frame = int(viewer.dims.current_step[0])
        elapsed = time.perf_counter() - started
        assert abs(frame - 30 * elapsed) <= 8, (frame, elapsed)  # on time, frames dropped
        assert player.shown <= frame
    finally:
        viewer.close()
