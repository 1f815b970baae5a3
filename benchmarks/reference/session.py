"""Deterministic benchmark session shared by our benchmarks and the reference harness.

Depends only on numpy, so it can be imported from both the project env and the
reference venv (``run_reference.py``).

Session: a smooth, bounded random walk sampled at 250 Hz for 40 s inside a
100 x 100 cm arena (x, y in [0, 100]), seeded with ``np.random.default_rng(seed)``.
With ``Environment.from_samples(positions, bin_size=2.5)`` (reference 0.6.0
defaults) this yields 579 active bins (target ~586) for ``seed=0``.

Everything returned is plain numpy (plus one pure-numpy callable)::

    s = make_session(300)
    s["positions"]       # (10000, 2) float64, cm
    s["times"]           # (10000,)  float64, s, 250 Hz
    s["keypoints"]       # {"nose", "ear_left", "ear_right", "tail_base"} -> (10000, 2)
    s["skeleton_edges"]  # list of (name, name) pairs, 4 edges
    s["headings"]        # (10000,) float64, radians (0 = +x, pi/2 = +y)
    s["frame_times"]     # (n_frames,) evenly spaced over [times[0], times[-1]]
    s["frame_positions"] # (n_frames, 2) positions linearly interpolated at frame_times
    s["region_point"]    # (2,) a point region ("reward") in the arena
    s["make_fields"]     # callable(bin_centers (n_bins, 2)) -> (n_frames, n_bins) float64
"""

from __future__ import annotations

from typing import Any

import numpy as np

SAMPLE_RATE_HZ = 250.0
DURATION_S = 40.0
ARENA_SIZE_CM = 100.0
BIN_SIZE_CM = 2.5
BUMP_SIGMA_CM = 8.0
KEYPOINT_NAMES = ("nose", "ear_left", "ear_right", "tail_base")
SKELETON_EDGES = [
    ("nose", "ear_left"),
    ("nose", "ear_right"),
    ("ear_left", "ear_right"),
    ("nose", "tail_base"),
]
REGION_NAME = "reward"
REGION_POINT = (80.0, 80.0)

# Random-walk tuning (chosen so seed=0 gives 579 bins, ~586 target at bin_size=2.5).
_SPEED_TAU_S = 2.0  # velocity autocorrelation time (Ornstein-Uhlenbeck)
_SPEED_SCALE_CM_S = 33.0  # stationary speed std per axis (mean speed ~38 cm/s)
_MARGIN_CM = 5.0  # walk lives in [margin, arena - margin]


def _random_walk(rng: np.random.Generator, n: int, dt: float) -> np.ndarray:
    """Smooth bounded 2D walk: OU velocity + specular reflection at the walls."""
    lo, hi = _MARGIN_CM, ARENA_SIZE_CM - _MARGIN_CM
    noise = rng.standard_normal((n, 2))
    a = np.exp(-dt / _SPEED_TAU_S)
    b = _SPEED_SCALE_CM_S * np.sqrt(1.0 - a * a)
    pos = np.empty((n, 2))
    p = np.array([ARENA_SIZE_CM / 2, ARENA_SIZE_CM / 2])
    v = rng.standard_normal(2) * _SPEED_SCALE_CM_S
    for i in range(n):
        v = a * v + b * noise[i]
        p = p + v * dt
        for d in range(2):  # reflect position and velocity at the walls
            if p[d] < lo:
                p[d] = 2 * lo - p[d]
                v[d] = -v[d]
            elif p[d] > hi:
                p[d] = 2 * hi - p[d]
                v[d] = -v[d]
        pos[i] = p
    return pos


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Centered moving average along axis 0 (edge-padded)."""
    k = np.ones(width) / width
    pad = width // 2
    xp = np.pad(x, [(pad, width - 1 - pad)] + [(0, 0)] * (x.ndim - 1), mode="edge")
    if x.ndim == 1:
        return np.convolve(xp, k, mode="valid")
    return np.stack([np.convolve(xp[:, j], k, mode="valid") for j in range(x.shape[1])], 1)


def gaussian_bump_fields(
    bin_centers: np.ndarray, centers: np.ndarray, sigma: float = BUMP_SIGMA_CM
) -> np.ndarray:
    """fields[f, b] = exp(-|bin_centers[b] - centers[f]|^2 / (2 sigma^2)), float64."""
    bc = np.asarray(bin_centers, dtype=np.float64)[:, :2]
    c = np.asarray(centers, dtype=np.float64)
    d2 = (c[:, None, 0] - bc[None, :, 0]) ** 2 + (c[:, None, 1] - bc[None, :, 1]) ** 2
    return np.exp(-d2 / (2.0 * sigma * sigma))


def make_session(n_frames: int, seed: int = 0) -> dict[str, Any]:
    """Build the benchmark session (see module docstring)."""
    rng = np.random.default_rng(seed)
    dt = 1.0 / SAMPLE_RATE_HZ
    n = int(round(DURATION_S * SAMPLE_RATE_HZ))
    times = np.arange(n, dtype=np.float64) * dt
    positions = _random_walk(rng, n, dt)

    # Heading = direction of (smoothed) velocity, in radians.
    vel = np.gradient(_smooth(positions, 25), dt, axis=0)
    headings = np.arctan2(vel[:, 1], vel[:, 0])
    u = np.stack([np.cos(headings), np.sin(headings)], 1)  # forward unit vector
    perp = np.stack([-u[:, 1], u[:, 0]], 1)  # left unit vector
    keypoints = {
        "nose": positions + 3.0 * u,
        "ear_left": positions + 1.0 * u + 1.5 * perp,
        "ear_right": positions + 1.0 * u - 1.5 * perp,
        "tail_base": positions - 6.0 * u,
    }

    frame_times = np.linspace(times[0], times[-1], int(n_frames))
    frame_positions = np.stack(
        [np.interp(frame_times, times, positions[:, d]) for d in range(2)], 1
    )

    def make_fields(bin_centers: np.ndarray) -> np.ndarray:
        return gaussian_bump_fields(bin_centers, frame_positions)

    return {
        "positions": positions,
        "times": times,
        "keypoints": keypoints,
        "skeleton_edges": list(SKELETON_EDGES),
        "headings": headings,
        "frame_times": frame_times,
        "frame_positions": frame_positions,
        "region_name": REGION_NAME,
        "region_point": np.array(REGION_POINT, dtype=np.float64),
        "bin_size": BIN_SIZE_CM,
        "make_fields": make_fields,
    }
