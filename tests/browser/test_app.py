"""``neurospatial serve`` end to end: a subprocess on a free loopback port, Chromium on it.

One server and one tab for the module (a second tab joins for the two-tab test);
the server is stopped by its process id at the end. The checks are behaviour: the
field and the position marker are drawn where they belong, play moves time forward,
a step shows the next frame, a layer toggled off vanishes, the colour controls
restyle the picture, the HoloViews view follows the paused player, user text is
shown as text, only loopback listens and a foreign Origin is refused. Timings are
printed (``pytest -s``); the figures against issue 11's targets come from
benchmarks/bench_app.py.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psutil
import pytest

from neurospatial.animation import open_scene, render_frame
from neurospatial.animation.render.raster import Compositor
from neurospatial.animation.scene import restyle_scene
from tests.browser.app_session import (
    REGION,
    TITLE,
    VIEW_TITLE,
    AppPage,
    Served,
    build_scene,
    open_page,
    start_serve,
)
from tests.browser.widget_session import FPS, PLAY, describe_playback, playback, scrub

N_FRAMES = 3000


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("app") / "session.zarr"
    build_scene(N_FRAMES).to_zarr(path, consolidated=False)
    return path


@pytest.fixture(scope="module")
def served(store: Path, chromium_path: Path) -> Iterator[Served]:
    server = start_serve(store)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def scene(store: Path):
    return open_scene(store)


@pytest.fixture(scope="module")
def tab(browser, served: Served, scene, store: Path) -> Iterator[AppPage]:
    opened = open_page(browser, served, scene)
    try:
        yield opened
    finally:
        opened.page.screenshot(path=str(store.parent / "app.png"))
        opened.page.context.close()


def _close_to(picture: np.ndarray, expected: np.ndarray) -> bool:
    """The canvas shows a JPEG (quality 85) of `expected`."""
    return picture.shape == expected.shape and np.abs(picture.astype(int) - expected).mean() < 3.0


def _rendered(scene, frame: int, hidden: set[str] | frozenset[str] = frozenset()) -> np.ndarray:
    compositor = Compositor(scene)
    try:
        return compositor.render(frame, hidden=set(hidden))[..., :3].copy()
    finally:
        compositor.close()


def _seek(tab: AppPage, frame: int) -> None:
    result = scrub(tab, [frame])
    assert result["ms"] is not None and result["shown"] == frame, result


def test_the_first_picture_shows_the_field_and_the_marker_where_they_belong(tab, scene):
    print(
        f"\nfirst picture {tab.first_picture_s:.2f} s after the page was opened, "
        f"zoomable view {tab.view_ready_s:.2f} s"
    )
    assert tab.shown() == 0
    picture = tab.canvas()
    assert _close_to(picture, render_frame(scene, 0).image[..., :3])
    # The position marker: the pixels drawn differently without it lie around the
    # pixel of its world position, and the page shows them as drawn with it.
    frame = render_frame(scene, 0)
    expected_px = frame.world_to_px(np.array([[85.0, 50.0]]))[0]  # nose at t = 0
    full = frame.image[..., :3].astype(int)
    without = _rendered(scene, 0, {"position"}).astype(int)
    marker = np.abs(full - without).sum(axis=-1) > 90
    rows, cols = np.nonzero(marker)
    assert len(rows) > 10
    assert np.hypot(cols.mean() - expected_px[0], rows.mean() - expected_px[1]) <= 2.0
    shown = picture.astype(int)[marker]
    assert np.abs(shown - full[marker]).mean() < 0.5 * np.abs(shown - without[marker]).mean()
    # The field: its peak (the animal's bin) has the colour map's top colour, yellow.
    red, green, blue = picture[int(expected_px[1]) + 12, int(expected_px[0])].tolist()
    assert red > 180 and green > 180 and blue < 90, (red, green, blue)
    readout = tab.page.locator(".nsanim-readout").inner_text()
    assert readout == f"t = 0.000 s \u00b7 frame 0 / {N_FRAMES - 1}"


def test_play_moves_time_forward_at_the_scenes_pace(tab):
    _seek(tab, 0)
    figures = playback(tab.page.evaluate(PLAY, 6000), 5.0)
    frames = figures["frames"]
    print(f"\n1x (the scene has {FPS:.0f} frames/s): {describe_playback(figures)}")
    assert np.isfinite(figures["longest_stall_in_gap_ms"])  # the page's animation frames counted
    assert figures["fewest_ahead"] is not None  # and the frames at hand
    assert all(b >= a for a, b in itertools.pairwise(frames)), "frames went back"
    assert 0.8 * FPS <= frames[0] <= 2 * FPS
    assert 4.5 * FPS <= frames[-1] <= 7 * FPS
    assert figures["distinct_per_s"] <= FPS + 0.2
    assert figures["distinct_per_s"] >= 0.25 * FPS  # not one round trip per frame
    assert tab.page.get_attribute(".nsanim-player", "data-playing") == "false"
    readout = tab.page.locator(".nsanim-readout").inner_text()
    assert float(readout.split()[2]) >= 5.0  # "t = 5.xxx s · frame ..."


def test_next_and_previous_step_one_frame(tab, scene):
    _seek(tab, 500)
    tab.page.locator(".nsanim-next").click()
    tab.wait_for_frame(501)
    assert tab.page.locator(".nsanim-readout").inner_text() == (
        f"t = {501 / FPS:.3f} s \u00b7 frame 501 / {N_FRAMES - 1}"
    )
    assert _close_to(tab.canvas(), render_frame(scene, 501).image[..., :3])
    tab.page.locator(".nsanim-prev").click()
    tab.wait_for_frame(500)


def test_a_scrub_and_a_drag_end_on_their_target(tab):
    rng = np.random.default_rng(0)
    latencies = []
    for k in rng.integers(0, N_FRAMES, 5):
        result = scrub(tab, [int(k)])
        assert result["ms"] is not None and result["shown"] == k, result
        latencies.append(result["ms"])
    targets = list(range(1000, 1400, 8))  # 50 moves, 16 ms apart
    drag = scrub(tab, targets, interval_ms=16)
    assert drag["shown"] == targets[-1] and drag["playing"] == "false", drag
    print(f"\nscrubs {np.round(latencies).tolist()} ms; after a drag {drag['ms']:.0f} ms")


def test_a_layer_toggled_off_vanishes(tab, scene):
    _seek(tab, 1234)
    before = tab.canvas()
    draws = tab.draws()
    tab.page.locator("input[data-layer=field]").uncheck()
    tab.wait_for_redraw(draws)
    after = tab.canvas()
    assert _close_to(after, _rendered(scene, 1234, {"field"}))
    assert np.abs(after.astype(int) - before).mean() > 10.0
    draws = tab.draws()
    tab.page.locator("input[data-layer=field]").check()
    tab.wait_for_redraw(draws)
    assert _close_to(tab.canvas(), before)


def test_the_colour_controls_restyle_the_picture(tab, scene):
    _seek(tab, 700)
    draws = tab.draws()
    tab.page.get_by_label("Colour map").select_option("magma")
    tab.wait_for_redraw(draws)
    assert _close_to(tab.canvas(), _rendered(restyle_scene(scene, cmap="magma"), 700))
    draws = tab.draws()
    vmax = tab.page.get_by_label("vmax")
    vmax.fill("0.5")
    vmax.press("Enter")
    tab.wait_for_redraw(draws)
    expected = _rendered(restyle_scene(scene, cmap="magma", vmax=0.5), 700)
    assert _close_to(tab.canvas(), expected)
    vmax.fill("1")
    vmax.press("Enter")
    tab.page.get_by_label("Colour map").select_option("viridis")
    tab.page.wait_for_timeout(500)
    _seek(tab, 701)
    assert _close_to(tab.canvas(), _rendered(scene, 701))


def test_the_holoviews_view_follows_the_paused_player(tab):
    _seek(tab, 2100)
    tab.page.wait_for_function(
        f"({VIEW_TITLE})().some((t) => t.includes('(frame 2100)'))", timeout=10_000
    )


def test_user_text_is_shown_as_text(tab):
    page = tab.page
    heading = page.locator(".nsanim-title")
    assert heading.inner_text() == TITLE
    assert heading.locator("b").count() == 0
    labels = [s.strip() for s in page.locator(".nsanim-layer").all_inner_texts()]
    assert labels == [
        "field",
        "reward",
        REGION,
        "position",
        "bodypart",
        "head_direction",
    ]
    assert REGION in page.locator(".nsanim-info").inner_text()
    assert page.locator("img[src=x]").count() == 0
    assert page.title() == TITLE


def test_two_tabs_play_at_once(tab, browser, served, scene):
    second = open_page(browser, served, scene)
    try:
        print(f"\nsecond tab: first picture {second.first_picture_s:.2f} s")
        _seek(tab, 0)
        _seek(second, 0)
        second.page.evaluate(f"() => {{ window.__played = ({PLAY})(6000); }}")
        first = playback(tab.page.evaluate(PLAY, 6000), 5.0)
        other = playback(second.page.evaluate("() => window.__played"), 5.0)
        print(
            f"two tabs at 1x: {first['distinct_per_s']:.1f} and "
            f"{other['distinct_per_s']:.1f} distinct frames/s"
        )
        for figures in (first, other):
            assert figures["distinct_per_s"] >= 0.25 * FPS
            assert all(b >= a for a, b in itertools.pairwise(figures["frames"]))
        assert second.errors == []
    finally:
        second.page.context.close()


def _handshake(port: int, origin: str) -> int:
    """The HTTP status of a websocket handshake on the app's socket from `origin`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "GET",
            "/ws",
            headers={
                "Host": f"127.0.0.1:{port}",
                "Origin": origin,
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
            },
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_foreign_origin_is_refused(served):
    assert _handshake(served.port, "http://evil.example") == 403
    assert _handshake(served.port, f"http://127.0.0.1:{served.port}") == 101
    # Let through, the raw handshake (no Bokeh subprotocol) reaches Bokeh's handler,
    # which logs a protocol error: wait for it, so that it is not taken for a crash.
    deadline = time.monotonic() + 10
    while "Subprotocol header is not 'bokeh'" not in served.text():
        assert time.monotonic() < deadline, served.text()
        time.sleep(0.05)


def test_it_listens_on_loopback_only(served):
    process = psutil.Process(served.process.pid)
    listening = [c.laddr for c in process.net_connections("inet") if c.status == "LISTEN"]
    assert listening, "the server listens nowhere"
    assert {address.ip for address in listening} == {"127.0.0.1"}
    assert {address.port for address in listening} == {served.port}


def test_the_page_reported_no_errors(tab):
    assert tab.errors == []


def test_it_stops_cleanly_by_process_id(served):
    # Only what it prints from the SIGTERM on (the raw handshake above made Bokeh log
    # a protocol error).
    before = len(served.output)
    assert served.stop() == 0
    text = "\n".join(served.output[before:])
    assert "server stopped" in text and "Traceback" not in text, text
