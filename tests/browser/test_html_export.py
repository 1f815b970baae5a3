"""The full HTML export (every overlay kind, video included) in a real, offline browser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from playwright.sync_api import expect

from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    VideoOverlay,
)
from tests.animation.helpers import square_env
from tests.browser.conftest import PageRecord

REPO_ROOT = Path(__file__).resolve().parents[2]
N = 24
TIMEOUT = 10_000


def _export(tmp_path: Path) -> tuple[Path, np.ndarray]:
    env = square_env()
    env.regions.add("reward", point=(80.0, 80.0))
    t = np.linspace(0, 2.3, N)
    pos = np.column_stack([15 + 30 * t, 50 + 20 * np.sin(t)])
    heading = np.full(N, 0.3)
    offset = np.array([3.0, 1.0])
    pose = {"nose": pos + offset, "tail": pos - offset}
    rows, cols = np.mgrid[0:60, 0:80]
    video = np.zeros((N, 60, 80, 3), dtype=np.uint8)
    for k in range(N):  # a bright square sweeping across the "camera"
        video[k][(np.abs(cols - 3 * k - 5) < 4) & (rows > 10) & (rows < 50)] = (0, 200, 255)
    overlays = [
        VideoOverlay(video, alpha=0.6, z_order="above"),
        PositionOverlay(pos, color="red", size=10.0, trail_length=5),
        BodypartOverlay(pose, skeleton=[("nose", "tail")]),
        HeadDirectionOverlay(heading, length=12.0),
    ]
    fields = np.exp(-((env.bin_centers[None, :, 0] - pos[:, None, 0]) ** 2) / 200)
    out = env.animate_fields(
        fields,
        overlays=overlays,
        frame_times=t + 1.0,
        fps=10,
        save_path=tmp_path / "export.html",
        show_regions=True,
        dpi=60,
        title="Export <b>test</b>",
        progress=False,
    )
    return out, t + 1.0


def test_exported_html_plays_offline_with_every_overlay(offline_page: PageRecord, tmp_path):
    out, times = _export(tmp_path)
    page = offline_page.page
    page.goto(out.as_uri())
    page.wait_for_function(
        "() => document.getElementById('ns-video').readyState >= 2", timeout=TIMEOUT
    )
    label = page.locator("#ns-label")
    expect(label).to_have_text(f"t = {times[0]:.2f} s · frame 0 / {N}", timeout=TIMEOUT)
    # The title is drawn in every frame: the page names itself with it once, in the
    # window title, and does not repeat it as a heading over the video.
    assert page.title() == "Export <b>test</b>"
    assert page.locator("h1").count() == 0
    before = page.locator("#ns-video").screenshot()
    page.locator("body").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(label).to_have_text(f"t = {times[5]:.2f} s · frame 5 / {N}", timeout=TIMEOUT)
    after = page.locator("#ns-video").screenshot()
    assert before != after
    page.keyboard.press("Space")
    page.wait_for_function("() => window.nsPlayer.frame() > 8", timeout=TIMEOUT)
    page.keyboard.press("Space")
    shown = page.evaluate("async () => await window.nsPlayer.seek(window.nsPlayer.frame())")
    expect(label).to_have_text(f"t = {times[shown]:.2f} s · frame {shown} / {N}", timeout=TIMEOUT)
    artifacts = REPO_ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "html_export.png"), full_page=True)
    offline_page.assert_clean()
    text = out.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
