"""A realistic synthetic session and the `make demo` entry point.

`make_session` simulates 40 s of an animal in a 100 x 100 cm open field at
250 Hz (smooth random walk), a place cell, pose keypoints and head direction.
`python -m neurospatial.demo [OUTDIR]` builds the scene from it, writes it as
zarr, prints a summary and renders it to every output the project supports
(MP4, a PNG still), printing where they are.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "Session",
    "build_demo_scene",
    "camera_px",
    "describe",
    "main",
    "make_session",
    "write_camera_video",
    "write_notebook",
]


@dataclass
class Session:
    """Synthetic behaviour: everything in cm, seconds and radians."""

    times: NDArray[np.float64]  # (n_samples,)
    positions: NDArray[np.float64]  # (n_samples, 2)
    heading: NDArray[np.float64]  # (n_samples,) radians
    keypoints: dict[str, NDArray[np.float64]]  # name -> (n_samples, 2)
    spike_times: NDArray[np.float64]  # (n_spikes,)


def make_session(
    duration_s: float = 40.0, rate_hz: float = 250.0, arena_cm: float = 100.0, seed: int = 0
) -> Session:
    """Smooth random walk (Ornstein-Uhlenbeck velocity) reflected at the walls."""
    rng = np.random.default_rng(seed)
    n = round(duration_s * rate_hz)
    dt = 1.0 / rate_hz
    times = np.arange(n) * dt
    velocity = np.zeros(2)
    pos = np.empty((n, 2))
    p = np.full(2, arena_cm / 2)
    for i in range(n):  # OU velocity: ~20 cm/s typical speed, ~1 s correlation
        velocity += -velocity * dt + 20.0 * np.sqrt(2 * dt) * rng.normal(size=2)
        p = p + velocity * dt
        for d in range(2):
            if p[d] < 0 or p[d] > arena_cm:
                p[d] = np.clip(p[d], 0, arena_cm)
                velocity[d] = -velocity[d]
        pos[i] = p
    step = np.asarray(np.gradient(pos, axis=0))
    heading = np.unwrap(np.arctan2(step[:, 1], step[:, 0]))
    # Smooth the heading so it looks like a head, not velocity noise.
    kernel = np.hanning(25) / np.hanning(25).sum()
    heading = np.convolve(heading, kernel, mode="same")
    unit = np.column_stack([np.cos(heading), np.sin(heading)])
    normal = np.column_stack([-unit[:, 1], unit[:, 0]])
    keypoints = {
        "nose": pos + 3.0 * unit,
        "left_ear": pos + 1.0 * unit + 1.5 * normal,
        "right_ear": pos + 1.0 * unit - 1.5 * normal,
        "tail_base": pos - 4.0 * unit,
    }
    # Place cell centred at (65, 40) cm, 25 Hz peak, Poisson spiking.
    centre = np.array([65.0, 40.0])
    rate = 25.0 * np.exp(-np.sum((pos - centre) ** 2, axis=1) / (2 * 10.0**2))
    spike_times = times[rng.random(n) < rate * dt]
    heading = np.angle(np.exp(1j * heading))
    return Session(times.astype(np.float64), pos, heading, keypoints, spike_times)


#: The synthetic overhead camera: 3 px/cm, rotated 4 degrees, image y pointing down.
CAMERA_SIZE_PX = 360
_CAMERA = np.array(
    [
        [3.0 * np.cos(0.07), 3.0 * np.sin(0.07), 28.0],
        [3.0 * np.sin(0.07), -3.0 * np.cos(0.07), 327.0],
        [0.0, 0.0, 1.0],
    ]
)  # (x_cm, y_cm, 1) -> (col, row, 1), pixel centres


def write_camera_video(session: Session, path: Path, fps: float = 30.0) -> NDArray[np.float64]:
    """Film the session from above (a grey arena, a light mouse) into an MP4.

    Returns the frame timestamps. The camera is rotated and scaled, as real
    ones are: `calibrate_video` with the arena corners recovers the mapping.
    """
    import cv2

    from neurospatial.animation.backends.ffmpeg import Encoder

    times = np.arange(session.times[0], session.times[-1], 1.0 / fps)
    x = np.interp(times, session.times, session.positions[:, 0])
    y = np.interp(times, session.times, session.positions[:, 1])
    heading = np.interp(times, session.times, np.unwrap(session.heading))
    corners = camera_px(np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 100.0], [0.0, 100.0]]))
    floor = np.zeros((CAMERA_SIZE_PX, CAMERA_SIZE_PX, 4), dtype=np.uint8)
    floor[..., :3] = 35
    cv2.fillConvexPoly(floor, np.round(corners).astype(np.int32), (120, 112, 100, 0))
    cv2.polylines(floor, [np.round(corners).astype(np.int32)], True, (235, 235, 235, 0), 3)
    angle = -np.degrees(heading + 0.07)
    with Encoder(path, CAMERA_SIZE_PX, CAMERA_SIZE_PX, fps, crf=26, preset="veryfast") as enc:
        frame = floor.copy()
        for k, centre in enumerate(camera_px(np.column_stack([x, y]))):
            np.copyto(frame, floor)
            cv2.ellipse(
                frame,
                (int(round(centre[0] * 16)), int(round(centre[1] * 16))),
                (14 * 16, 7 * 16),
                angle[k],
                0,
                360,
                (245, 240, 235, 0),
                -1,
                cv2.LINE_AA,
                4,
            )
            enc.write(frame)
    return times


def camera_px(world: NDArray[np.float64]) -> NDArray[np.float64]:
    """Where `write_camera_video`'s camera films world points (n, 2) in cm: (col, row)
    pixel centres, e.g. the arena corners to calibrate the video with."""
    return world @ _CAMERA[:2, :2].T + _CAMERA[:2, 2]


def build_demo_scene(n_frames: int = 300, seed: int = 0, camera: Path | None = None) -> xr.DataTree:
    """The demo scene: a place field emerging as the animal explores.

    Frame k shows `compute_place_field` on the data recorded up to its time,
    with position (trail), pose skeleton, head direction and two regions. With
    `camera`, a synthetic overhead video is written there and drawn under the
    field (calibrated from the arena's four corners).
    """
    from neurospatial import Environment, compute_place_field
    from neurospatial.animation import (
        BodypartOverlay,
        HeadDirectionOverlay,
        PositionOverlay,
        VideoOverlay,
        build_scene,
        calibrate_video,
    )

    s = make_session(duration_s=90.0, seed=seed)
    env = Environment.from_samples(s.positions, bin_size=2.5)
    env.regions.add("reward", point=(65.0, 40.0))
    env.regions.add("nest", polygon=[(2.0, 80.0), (20.0, 80.0), (20.0, 98.0), (2.0, 98.0)])
    frame_times = np.linspace(s.times[0] + 1.0, s.times[-1], n_frames)
    fields = np.stack(
        [
            compute_place_field(
                env,
                s.spike_times[s.spike_times <= t],
                s.times[s.times <= t],
                s.positions[s.times <= t],
                bandwidth=5.0,
                min_occupancy_s=0.05,
            )
            for t in frame_times
        ]
    )
    overlays = [
        PositionOverlay(s.positions, times=s.times, color="red", size=10.0, trail_length=10),
        BodypartOverlay(
            s.keypoints,
            times=s.times,
            skeleton=[
                ("nose", "left_ear"),
                ("nose", "right_ear"),
                ("left_ear", "tail_base"),
                ("right_ear", "tail_base"),
            ],
        ),
        HeadDirectionOverlay(s.heading, times=s.times, color="yellow", length=10.0),
    ]
    if camera is not None:
        video_times = write_camera_video(s, camera)
        corners_cm = np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 100.0], [0.0, 100.0]])
        # The arena corners where the camera drew them (pixel centres at integers).
        calibration = calibrate_video(
            camera, env, landmarks_px=camera_px(corners_cm), landmarks_env=corners_cm
        )
        video = VideoOverlay(
            camera, calibration=calibration, times=video_times, alpha=0.8, z_order="below"
        )
        overlays.insert(0, video)
    return build_scene(
        env,
        fields,
        overlays=overlays,
        frame_times=frame_times,
        fps=30,
        cmap="viridis",
        title="Place field emerging during exploration",
        show_regions=True,
    )


def describe(scene: xr.DataTree) -> str:
    """A short human-readable summary of a scene (what ``neurospatial info`` prints)."""
    from neurospatial.animation.summary import format_summary, scene_summary

    return format_summary(scene_summary(scene))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    outdir = Path(argv[0] if argv else "demo_output")
    outdir.mkdir(parents=True, exist_ok=True)
    from neurospatial.animation import animate, open_scene, render_frame

    camera = outdir / "camera.mp4"
    scene = build_demo_scene(camera=camera)
    store = outdir / "demo_scene.zarr"
    scene.to_zarr(store, mode="w", consolidated=False)
    print(describe(scene))
    stored = open_scene(store)  # render from the zarr store, lazily
    video = animate(stored, save_path=outdir / "demo.mp4", progress=False)
    page = animate(stored, save_path=outdir / "demo.html", progress=False)
    still = outdir / "demo_frame.png"
    _save_png(render_frame(stored, stored["fields"].sizes["time"] // 2).image, still)
    notebook = write_notebook(outdir / "demo.ipynb", store)
    print("\nOutputs:")
    outputs = (
        ("scene (zarr)", store),
        ("camera video", camera),
        ("video (MP4)", video),
        ("player (HTML)", page),
        ("frame (PNG)", still),
        ("notebook", notebook),
    )
    for label, path in outputs:
        print(f"  {label:<14} {path.resolve()}")
    jupyter = Path(sys.executable).parent / "jupyter"
    print(f"\nThe player and the HoloViews view: {jupyter} lab {notebook}")
    return 0


def write_notebook(path: Path, store: Path) -> Path:
    """A notebook opening the stored scene in the player, with the HoloViews view."""
    cells = [
        "# The demo scene in the player\n\nRun the cells: the player plays the "
        "stored scene (read window by window from zarr); the HoloViews view below it "
        "follows the player's frame when paused, for zoom and hover.",
        "from neurospatial.animation import open_scene\n\n"
        f"scene = open_scene({str(store.resolve())!r})\n"
        "player = scene.nsanim.show()\nplayer",
        "player.holoviews(frame_width=500)",
    ]
    notebook = {
        "cells": [
            {"cell_type": "markdown", "id": "about", "metadata": {}, "source": cells[0]},
            *(
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": f"cell-{k}",
                    "metadata": {},
                    "outputs": [],
                    "source": source,
                }
                for k, source in enumerate(cells[1:], 1)
            ),
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path


def _save_png(image: NDArray[np.uint8], path: Path) -> None:
    from PIL import Image

    Image.fromarray(image).save(path)


if __name__ == "__main__":
    raise SystemExit(main())
