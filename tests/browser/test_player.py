"""The offline HTML player in a real (headless) Chromium, with the network cut off."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from neurospatial.animation import PositionOverlay, animate, build_scene
from neurospatial.animation.backends.html_player import build_html
from tests.animation.helpers import decode_frames, red_centroid, square_env

if TYPE_CHECKING:
    from tests.browser.conftest import PageRecord

N_FRAMES = 20
FPS = 10.0
WIDTH, HEIGHT = 400, 300  # dpi=50
FRAME_TIMES = [3.0 + i / FPS for i in range(N_FRAMES)]
TIMEOUT = 10_000  # ms
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 20-frame, 400 x 300 H.264 MP4 with a red marker moving diagonally."""
    env = square_env()
    s = np.linspace(0, 1, N_FRAMES)
    points = np.column_stack([10 + 80 * s, 15 + 70 * s])
    scene = build_scene(
        env,
        np.zeros((N_FRAMES, env.n_bins)),
        overlays=[PositionOverlay(points, color="red", size=14.0)],
        frame_times=FRAME_TIMES,
        cmap="gray",
        vmin=0,
        vmax=1,
        fps=FPS,
    )
    out = tmp_path_factory.mktemp("player") / "movie.mp4"
    return animate(scene, save_path=out, fps=FPS, dpi=50, progress=False, preset="ultrafast")


@pytest.fixture(scope="module")
def decoded_centroids(mp4: Path) -> np.ndarray:
    """Red-marker centroid of every frame as ffmpeg decodes it, shape (n_frames, 2)."""
    frames = decode_frames(mp4)
    assert len(frames) == N_FRAMES
    return np.array([red_centroid(frame) for frame in frames])


def page_html(mp4: Path, **overrides: object) -> str:
    options: dict = {
        "title": "Moving marker",
        "frame_times": FRAME_TIMES,
        "fps": FPS,
        "width": WIDTH,
        "height": HEIGHT,
    }
    options.update(overrides)
    return build_html(mp4.read_bytes(), **options)


def open_player(record: PageRecord, tmp_path: Path, html: str) -> None:
    path = tmp_path / "player.html"
    path.write_text(html, encoding="utf-8")
    record.page.goto(path.as_uri())
    # Arrow functions, not expression strings: the page's CSP forbids eval.
    record.page.wait_for_function(
        "() => document.getElementById('ns-video').readyState >= 2", timeout=TIMEOUT
    )


def label_for(i: int) -> str:
    return f"t = {FRAME_TIMES[i]:.2f} s · frame {i} / {N_FRAMES}"


def expect_text(locator, text: str) -> None:
    """The element shows `text`, now or within TIMEOUT (event handlers run a moment later)."""
    from playwright.sync_api import expect

    expect(locator).to_have_text(text, timeout=TIMEOUT)


def wait_for_label(record: PageRecord, i: int) -> None:
    from playwright.sync_api import expect

    expect(record.page.locator("#ns-label")).to_have_text(label_for(i), timeout=TIMEOUT)


def video_png(record: PageRecord) -> bytes:
    return record.page.locator("#ns-video").screenshot()


def assert_picture_shows(record: PageRecord, centroids: np.ndarray, i: int) -> None:
    """The video on screen shows frame i: its marker is nearest frame i's, within 1.5 px.

    A seek settles (label updated) when the browser has the frame; the headless
    screenshot can show it a moment later on a busy machine, so this polls (5 s)."""
    deadline = 50
    for attempt in range(deadline + 1):
        found = png_centroid(video_png(record))
        distances = np.linalg.norm(centroids - found, axis=1)
        if int(np.argmin(distances)) == i and distances[i] < 1.5:
            return
        if attempt < deadline:
            record.page.wait_for_timeout(100)
    raise AssertionError(
        f"frame {i} expected on screen; the picture is nearest frame "
        f"{int(np.argmin(distances))} (marker at {found}, frame {i}'s at {centroids[i]})"
    )


def png_centroid(png: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        rgb = np.asarray(image.convert("RGB"))
    assert rgb.shape == (HEIGHT, WIDTH, 3)
    return red_centroid(rgb)


@pytest.fixture
def player(offline_page: PageRecord, tmp_path: Path, mp4: Path) -> PageRecord:
    open_player(offline_page, tmp_path, page_html(mp4))
    # The first frame is on screen once the initial seek has settled and labelled it;
    # a screenshot taken before that may still be blank.
    wait_for_label(offline_page, 0)
    offline_page.page.evaluate("async () => { await window.nsPlayer.seek(0); }")
    return offline_page


def test_loads_offline_at_frame_zero(player: PageRecord):
    page = player.page
    wait_for_label(player, 0)
    assert label_for(0) == "t = 3.00 s · frame 0 / 20"
    state = page.evaluate(
        """() => {
            const v = document.getElementById('ns-video');
            return {error: v.error && v.error.code, src: v.currentSrc.slice(0, 22),
                    width: v.videoWidth, height: v.videoHeight,
                    n: window.nsPlayer.nFrames, frame: window.nsPlayer.frame(),
                    slider: document.getElementById('ns-slider').value};
        }"""
    )
    assert state == {
        "error": None,
        "src": "data:video/mp4;base64,",
        "width": WIDTH,
        "height": HEIGHT,
        "n": N_FRAMES,
        "frame": 0,
        "slider": "0",
    }
    assert page.title() == "Moving marker"
    player.assert_clean()


def test_arrow_keys_step_frames_and_move_the_picture(player, decoded_centroids):
    page = player.page
    assert_picture_shows(player, decoded_centroids, 0)
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    wait_for_label(player, 5)
    assert_picture_shows(player, decoded_centroids, 5)
    assert page.locator("#ns-slider").input_value() == "5"

    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    wait_for_label(player, 3)
    assert page.locator("#ns-slider").input_value() == "3"
    assert_picture_shows(player, decoded_centroids, 3)

    page.keyboard.press("ArrowLeft")  # clamps at frame 0 ...
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    wait_for_label(player, 0)
    page.click("#ns-next")  # ... and the buttons step too
    wait_for_label(player, 1)
    page.click("#ns-prev")
    wait_for_label(player, 0)
    player.assert_clean()


def test_slider_seeks(player, decoded_centroids):
    page = player.page
    page.locator("#ns-slider").fill("12")
    wait_for_label(player, 12)
    assert_picture_shows(player, decoded_centroids, 12)
    page.locator("#ns-slider").fill(str(N_FRAMES - 1))
    wait_for_label(player, N_FRAMES - 1)
    player.assert_clean()


def test_every_frame_seeks_exactly(player, decoded_centroids):
    """Each seek shows that frame's picture, not a neighbour's (checked out of order)."""
    order = [7, 0, 19, 1, 18, 10, 9, 11, 2, 17, 3, 16, 4, 15, 5, 14, 6, 13, 8, 12]
    assert sorted(order) == list(range(N_FRAMES))
    for i in order:
        shown = player.page.evaluate("(i) => window.nsPlayer.seek(i)", i)
        assert shown == i
        assert player.page.locator("#ns-label").text_content() == label_for(i)
        assert_picture_shows(player, decoded_centroids, i)
    player.assert_clean()


def test_play_advances_and_space_pauses(player, decoded_centroids):
    page = player.page
    paused = "() => document.getElementById('ns-video').paused"
    page.click("#ns-play")  # leaves focus on the button: Space must still toggle once
    page.wait_for_function(f"() => !({paused})()", timeout=TIMEOUT)
    expect_text(page.locator("#ns-play"), "Pause")  # set by the 'play' event, just after
    # 10 fps: about 10 frames after a second; wait for a few rather than sleeping.
    page.wait_for_function("() => window.nsPlayer.frame() >= 4", timeout=TIMEOUT)

    page.keyboard.press(" ")
    page.wait_for_function(paused, timeout=TIMEOUT)
    # Pausing snaps to the frame on screen, which may be a frame behind the last label;
    # wait until that seek has settled (a loaded machine can take a while).
    page.wait_for_function(
        "() => !document.getElementById('ns-video').seeking && window.nsPlayer.pending() === 0",
        timeout=TIMEOUT,
    )
    frame = page.evaluate("() => window.nsPlayer.frame()")
    assert frame >= 3
    wait_for_label(player, frame)
    assert_picture_shows(player, decoded_centroids, frame)
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.nsPlayer.frame()") == frame
    expect_text(page.locator("#ns-play"), "Play")

    page.keyboard.press(" ")
    page.wait_for_function(f"() => !({paused})()", timeout=TIMEOUT)
    page.keyboard.press(" ")
    page.wait_for_function(paused, timeout=TIMEOUT)
    player.assert_clean()


def test_playback_stops_on_the_last_frame_without_loop(player):
    page = player.page
    page.uncheck("#ns-loop")
    page.select_option("#ns-speed", "4")
    page.locator("#ns-slider").fill("14")
    wait_for_label(player, 14)
    page.click("#ns-play")
    wait_for_label(player, N_FRAMES - 1)
    page.wait_for_function("() => document.getElementById('ns-video').ended", timeout=TIMEOUT)
    expect_text(page.locator("#ns-play"), "Play")
    player.assert_clean()


def test_speed_and_loop_controls(player):
    page = player.page
    rate = "() => document.getElementById('ns-video').playbackRate"
    looping = "() => document.getElementById('ns-video').loop"
    assert page.evaluate(rate) == 1
    options = page.locator("#ns-speed option").evaluate_all("els => els.map(e => e.value)")
    assert options == ["0.25", "0.5", "1", "2", "4"]
    for value in options:
        page.select_option("#ns-speed", value)
        assert page.evaluate(rate) == float(value)

    assert page.is_checked("#ns-loop")
    assert page.evaluate(looping) is True
    page.uncheck("#ns-loop")
    assert page.evaluate(looping) is False
    page.check("#ns-loop")
    assert page.evaluate(looping) is True
    player.assert_clean()


def test_title_and_text_are_escaped(offline_page, tmp_path, mp4):
    title = "<script>alert(1)</script>"
    text = '<img src=x onerror="alert(2)"> & more'
    html = page_html(mp4, title=title, text=text)
    assert "<script>alert(1)" not in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in html
    open_player(offline_page, tmp_path, html)
    page = offline_page.page
    assert page.locator("h1").text_content() == title
    assert page.locator(".ns-text").text_content() == text
    assert page.title() == title
    assert page.locator("img").count() == 0
    page.wait_for_timeout(200)
    assert offline_page.dialogs == []
    offline_page.assert_clean()


def test_frame_from_media_time_tolerates_microsecond_clocks(offline_page, tmp_path, mp4):
    """At 30 fps, frame 1 starts at 0.0333...; browsers report 0.033333 (whole µs)."""
    html = page_html(mp4, fps=30.0, frame_times=[i / 30 for i in range(N_FRAMES)])
    open_player(offline_page, tmp_path, html)
    frames = offline_page.page.evaluate(
        """() => Array.from({length: 20}, (_, i) =>
            window.nsPlayer.frameAt(Math.floor(i / 30 * 1e6) / 1e6))"""
    )
    assert frames == list(range(N_FRAMES))
    edges = offline_page.page.evaluate(
        "() => [nsPlayer.frameAt(-1), nsPlayer.frameAt(1e9), nsPlayer.frameAt(0.5 / 30)]"
    )
    assert edges == [0, N_FRAMES - 1, 0]


def test_html_is_self_contained(mp4):
    html = page_html(mp4, text="see https-free docs")
    assert "http://" not in html
    assert "https://" not in html
    assert html.count("<script") == 2
    assert html.count("</script") == 2
    assert '<link rel="icon" href="data:,">' in html
    assert "data:video/mp4;base64," in html


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"frame_times": []}, "frame_times is empty"),
        ({"frame_times": [0.0, float("nan")]}, "finite"),
        ({"fps": 0}, "fps"),
        ({"width": 0}, "width"),
        ({"height": 2.5}, "height"),
    ],
)
def test_invalid_arguments_are_rejected(mp4, overrides, match):
    with pytest.raises(ValueError, match=match):
        page_html(mp4, **overrides)


def test_screenshot_artifact(offline_page, tmp_path, mp4):
    """Full-page screenshot for humans: test-artifacts/html_player.png."""
    player = offline_page
    text = "A red marker crossing a 100 cm square arena.\nArrow keys step one frame."
    open_player(player, tmp_path, page_html(mp4, title="Moving marker (demo)", text=text))
    page = player.page
    page.evaluate("() => window.nsPlayer.seek(6)")
    wait_for_label(player, 6)
    out = REPO_ROOT / "test-artifacts" / "html_player.png"
    out.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 10_000
    player.assert_clean()
