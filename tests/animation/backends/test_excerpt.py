"""Exporting a run of frames (``frames=slice(a, b)``): drawn as in the whole scene,
trails' history included."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from neurospatial.animation import PositionOverlay, animate, build_scene, render_frame
from tests.animation.helpers import decode_frames, probe, square_env

N = 60


def _scene():
    env = square_env()
    s = np.linspace(0, 1, N)
    path = np.column_stack([10 + 80 * s, 15 + 70 * s])
    return build_scene(
        env,
        np.tile(np.linspace(0, 1, env.n_bins), (N, 1)),
        overlays=[PositionOverlay(path, color="red", trail_length=8)],
        fps=10,
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_an_excerpt_is_those_frames_of_the_whole_with_their_trails(tmp_path, workers):
    scene = _scene()
    out = animate(
        scene,
        save_path=tmp_path / "part.mp4",
        frames=slice(20, 32),
        dpi=50,
        n_workers=workers,
        progress=False,
    )
    assert probe(out)["frames"] == 12
    decoded = decode_frames(out)
    for k in (0, 5, 11):
        expected = render_frame(scene, 20 + k, dpi=50).image.astype(int)
        assert np.abs(decoded[k].astype(int) - expected).mean() < 3.0, k  # H.264 of it
    # The first frame's trail reaches back before the excerpt: it is not the picture
    # of a scene starting at frame 20.
    env = square_env()
    s = np.linspace(0, 1, N)[20:]
    later = build_scene(
        env,
        np.tile(np.linspace(0, 1, env.n_bins), (N - 20, 1)),
        overlays=[PositionOverlay(np.column_stack([10 + 80 * s, 15 + 70 * s]), color="red")],
        frame_times=scene["fields"]["time"].values[20:],
        fps=10,
    )
    without = render_frame(later, 0, dpi=50).image.astype(int)
    assert np.abs(decoded[0].astype(int) - without).max() > 100  # the trail is drawn


def test_an_html_excerpt_plays_those_frames_at_their_times(tmp_path):
    scene = _scene()
    page = animate(scene, save_path=tmp_path / "part.html", frames=slice(5, 15), dpi=50)
    html = page.read_text(encoding="utf-8")
    times = scene["fields"]["time"].values[5:15]
    found = re.search(r'"frameTimes":\s*(\[[^\]]*\])', html)
    assert found, "frame times not in the page"
    np.testing.assert_allclose(json.loads(found.group(1)), times)


@pytest.mark.parametrize("frames", [slice(30, 30), slice(0, 10, 2), slice(70, 80), [1, 2]])
def test_frames_that_are_not_a_run_say_what_to_pass(tmp_path, frames):
    with pytest.raises(ValueError, match=r"selects no contiguous frames of the scene's 60") as e:
        animate(_scene(), save_path=tmp_path / "x.mp4", frames=frames, progress=False)
    assert "HOW:" in str(e.value) and list(tmp_path.iterdir()) == []
