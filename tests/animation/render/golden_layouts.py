"""Deterministic scenes of the non-rectangular layouts behind their golden images.

A circular arena (a masked grid), hexagonal bins and a W-track, each with a smooth
field peaked under a trailed position marker, drawn by `render_frame`. Regenerate
(after an intended visual change, then look at every PNG) with
``.venv/bin/python -m tests.animation.render.golden_layouts``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from neurospatial import Environment
from neurospatial.animation import PositionOverlay, build_scene, render_frame

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "golden"
LAYOUT_NAMES = ("circle", "hexagonal", "w_track")
W_NODES = {0: (0.0, 100.0), 1: (0.0, 0.0), 2: (50.0, 0.0), 3: (50.0, 100.0)}
W_NODES |= {4: (100.0, 0.0), 5: (100.0, 100.0)}
W_EDGES = [(0, 1), (1, 2), (2, 3), (2, 4), (4, 5)]


def layout_env(name: str) -> Environment:
    if name == "circle":
        return Environment.from_polygon(shapely.Point(50, 50).buffer(45), bin_size=4.0)
    if name == "hexagonal":
        grid = np.linspace(0, 100, 101)
        samples = np.array(np.meshgrid(grid, grid)).reshape(2, -1).T
        return Environment.from_samples(samples, bin_size=8.0, layout="hexagonal")
    return Environment.from_graph(
        W_EDGES, W_EDGES, edge_spacing=10.0, bin_size=4.0, positions=W_NODES, track_width=8.0
    )


def layout_scene(name: str):
    env = layout_env(name)
    if name == "w_track":  # up the middle arm
        path = np.column_stack([np.full(20, 50.0), np.linspace(10, 80, 20)])
    else:
        s = np.linspace(0, 1, 20)
        path = np.column_stack([50 + 30 * np.cos(3 * s), 50 + 30 * np.sin(3 * s)])
    d2 = ((env.bin_centers[None] - path[:, None]) ** 2).sum(-1)
    fields = np.exp(-d2 / 150.0)
    return build_scene(
        env,
        fields,
        overlays=[PositionOverlay(path, color="red", trail_length=8)],
        fps=10,
        vmin=0,
        vmax=1,
        title=f"Golden layout: {name}",
    )


def golden_layout_path(name: str) -> Path:
    return GOLDEN_DIR / f"layout_{name}.png"


GOLDEN_FRAME = 15


def regenerate() -> None:
    from PIL import Image

    for name in LAYOUT_NAMES:
        image = render_frame(layout_scene(name), GOLDEN_FRAME).image
        Image.fromarray(image).save(golden_layout_path(name))
        print("wrote", golden_layout_path(name))


if __name__ == "__main__":
    regenerate()
