"""Golden images: a few frames of a scene with every overlay kind, compared tolerantly.

Regenerate (after an intended visual change, and look at them) with
``.venv/bin/python -m tests.animation.render.golden_scene``.
"""

import numpy as np
import pytest
from PIL import Image

from neurospatial.animation.render.raster import Compositor
from tests.animation.render.golden_layouts import (
    GOLDEN_FRAME,
    LAYOUT_NAMES,
    golden_layout_path,
    layout_scene,
)
from tests.animation.render.golden_scene import GOLDEN_FRAMES, golden_path, golden_scene


@pytest.fixture(scope="module")
def compositor():
    return Compositor(golden_scene())


@pytest.mark.parametrize("index", GOLDEN_FRAMES)
def test_frame_matches_golden_image(compositor, index):
    expected = np.asarray(Image.open(golden_path(index)).convert("RGB")).astype(int)
    actual = compositor.frame(index).image.astype(int)
    assert actual.shape == expected.shape
    diff = np.abs(actual - expected).max(axis=2)
    assert diff.mean() < 1.0, f"mean difference {diff.mean():.2f}"
    assert (diff > 40).mean() < 0.002, f"{(diff > 40).mean():.2%} of pixels differ strongly"


def test_golden_comparison_can_fail(compositor):
    """A shifted overlay must be caught by the same tolerance."""
    expected = np.asarray(Image.open(golden_path(GOLDEN_FRAMES[1])).convert("RGB")).astype(int)
    moved = np.roll(compositor.frame(GOLDEN_FRAMES[1]).image, 6, axis=1).astype(int)
    diff = np.abs(moved - expected).max(axis=2)
    assert diff.mean() >= 1.0 or (diff > 40).mean() >= 0.002


@pytest.mark.parametrize("name", LAYOUT_NAMES)
def test_layout_matches_golden_image(name):
    """A circular arena, hexagonal bins and a W-track (golden_layouts.py)."""
    expected = np.asarray(Image.open(golden_layout_path(name)).convert("RGB")).astype(int)
    actual = Compositor(layout_scene(name)).frame(GOLDEN_FRAME).image.astype(int)
    assert actual.shape == expected.shape
    diff = np.abs(actual - expected).max(axis=2)
    assert diff.mean() < 1.0, f"mean difference {diff.mean():.2f}"
    assert (diff > 40).mean() < 0.002, f"{(diff > 40).mean():.2%} of pixels differ strongly"
