"""The deterministic scene behind the golden images (see tests/golden/README.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    build_scene,
    render_frame,
)
from tests.animation.helpers import square_env

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "golden"
GOLDEN_FRAMES = (0, 12, 23)


def golden_scene():
    env = square_env(bin_size=5.0)
    env.regions.add("reward", point=(75.0, 70.0))
    env.regions.add("nest", polygon=[(5.0, 5.0), (30.0, 5.0), (30.0, 25.0), (5.0, 25.0)])
    n = 24
    t = np.linspace(0, 2 * np.pi, 200)
    times = np.linspace(0, 4.0, 200)
    positions = np.column_stack([50 + 30 * np.cos(t), 50 + 30 * np.sin(t)])
    heading = t + np.pi / 2
    unit = np.column_stack([np.cos(heading), np.sin(heading)])
    normal = np.column_stack([-unit[:, 1], unit[:, 0]])
    pose = {
        "nose": positions + 4 * unit,
        "left_ear": positions + 1.5 * unit + 2 * normal,
        "right_ear": positions + 1.5 * unit - 2 * normal,
        "tail_base": positions - 6 * unit,
    }
    frame_times = np.linspace(0, 4.0, n)
    centres = np.column_stack([50 + 30 * np.cos(frame_times * np.pi / 2), np.full(n, 50.0)])
    d2 = ((env.bin_centers[None] - centres[:, None]) ** 2).sum(-1)
    fields = 15 * np.exp(-d2 / (2 * 12.0**2))
    fields[:, ::37] = np.nan  # a few "no data" bins
    overlays = [
        PositionOverlay(positions, times=times, color="red", size=12.0, trail_length=6),
        BodypartOverlay(
            pose,
            times=times,
            skeleton=[
                ("nose", "left_ear"),
                ("nose", "right_ear"),
                ("left_ear", "tail_base"),
                ("right_ear", "tail_base"),
            ],
        ),
        HeadDirectionOverlay(heading, times=times, color="yellow", length=15.0),
    ]
    return build_scene(
        env,
        fields,
        overlays=overlays,
        frame_times=frame_times,
        title="Golden scene <all overlays>",
        show_regions=True,
        region_alpha=0.35,
        cmap="viridis",
    )


def golden_path(index: int) -> Path:
    return GOLDEN_DIR / f"frame_{index:03d}.png"


def regenerate() -> None:
    from PIL import Image

    scene = golden_scene()
    for i in GOLDEN_FRAMES:
        Image.fromarray(render_frame(scene, i).image).save(golden_path(i))
        print("wrote", golden_path(i))


if __name__ == "__main__":
    regenerate()
