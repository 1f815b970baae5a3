"""The served app's Python side: parameters, the frame protocol over Panel, restyling,
laziness, notebook embedding and the server's address rules.

The page itself (player, controls, view, safety) is driven in Chromium by
tests/browser/test_app.py; here the player component's ``send`` is recorded.
"""

from __future__ import annotations

import socket
import time

import numpy as np
import panel as pn
import pytest

from neurospatial.animation import PositionOverlay, build_scene, open_scene, render_frame
from neurospatial.animation.backends.app import (
    COLORMAPS,
    SceneApp,
    is_loopback,
    make_server,
    websocket_origins,
)
from neurospatial.animation.scene import restyle_scene
from tests.animation.backends.test_widget import (
    FPS,
    N_FRAMES,
    Recorder,
    _decode,
    _path,
    _scene,
    zarr_chunk,
)
from tests.animation.helpers import red_centroid, square_env
from tests.animation.test_windows import CountingStore


class PanelRecorder(Recorder):
    """Keeps what the app sends to the page (the JPEGs travel inside the message)."""

    def __init__(self, app: SceneApp) -> None:
        super().__init__(app._player)  # type: ignore[arg-type]

    def __call__(self, content: dict, buffers: list[bytes] | None = None) -> None:
        content = dict(content)
        jpegs = content.pop("jpegs", [])
        super().__call__(content, jpegs)


def _want(app: SceneApp, start: int, stop: int, step: int = 1, serial: int = 1) -> None:
    """What the page does: a numbered request in the player's `_want` property."""
    gen = app._player._generation
    app._player._want = {
        "type": "want",
        "gen": gen,
        "start": start,
        "stop": stop,
        "step": step,
        "serial": serial,
    }


@pytest.fixture
def app():
    shown = SceneApp(_scene(), dpi=50)
    yield shown
    shown.close()


def test_parameters_describe_the_scene(app):
    assert app.param.frame.bounds == (0, N_FRAMES - 1)
    assert app.layers == ["field", "goal", "position", "head_direction"]
    assert app.param.hidden.objects == app.layers
    assert app.cmap == "gray" and list(app.param.cmap.objects) == list(COLORMAPS)
    assert (app.vmin, app.vmax) == (0.0, 1.0)
    player = app._player
    assert (player.n_frames, player.fps, player.image_width, player.image_height) == (
        N_FRAMES,
        FPS,
        400,
        300,
    )
    np.testing.assert_array_equal(np.frombuffer(player._times, "<f8"), np.arange(N_FRAMES) / FPS)
    poster = _decode(player._poster)
    expected = render_frame(_scene(), 0, dpi=50).image[..., :3]
    assert np.abs(poster.astype(int) - expected).mean() < 3
    with pytest.raises(ValueError):
        app.frame = N_FRAMES  # beyond the bounds


def test_each_app_has_its_own_bounds_layers_and_colour_maps(app):
    env = square_env(bin_size=25.0)
    other = SceneApp(restyle_scene(build_scene(env, np.zeros((5, env.n_bins))), cmap="YlGn"))
    try:
        assert other.param.frame.bounds == (0, 4) and other.layers == ["field"]
        assert other.cmap == "YlGn" and other.param.cmap.objects[0] == "YlGn"
        assert app.param.frame.bounds == (0, N_FRAMES - 1) and "YlGn" not in app.param.cmap.objects
        assert SceneApp.param.frame.bounds == (0, 0)  # the class is untouched
    finally:
        other.close()


def test_the_app_and_its_player_follow_each_other(app):
    app.param.update(frame=7, speed=2.0, loop=True)
    assert (app._player.frame, app._player.speed, app._player.loop) == (7, 2.0, True)
    app._player.param.update(frame=12, playing=True)  # what the page sends
    assert (app.frame, app.playing) == (12, True)


def test_a_request_is_answered_with_its_frames_markers_in_place(app):
    sent = PanelRecorder(app)
    _want(app, 5, 13)
    sent.wait_for(8)
    assert sent.frames() == list(range(5, 13))
    assert sent.messages[0][0]["gen"] == app._player._generation
    world_to_px = app._server.compositor.world_to_px
    for i, picture in sent.pictures().items():
        expected = world_to_px(_path()[i : i + 1])[0]
        assert np.abs(red_centroid(picture) - expected).max() <= 2.0, i


def test_a_request_for_another_generation_or_malformed_is_ignored(app):
    sent = PanelRecorder(app)
    app._player._want = {"type": "want", "gen": 99, "start": 0, "stop": 3, "step": 1}
    app._player._want = {"type": "want", "gen": 0, "start": "a", "stop": 3, "step": 1}
    app._player._want = {"something": "else"}
    _want(app, 2, 3, serial=9)  # the one valid request
    sent.wait_for(1)
    time.sleep(0.2)
    assert sent.frames() == [2]


def test_hiding_a_layer_starts_a_new_generation_drawn_without_it(app):
    gen = app._player._generation
    app.hidden = ["position"]
    assert app._player.hidden == ["position"] and app._player._generation == gen + 1
    app._player.hidden = ["position"]  # the same again from the page: no new generation
    assert app._player._generation == gen + 1
    sent = PanelRecorder(app)
    _want(app, 3, 4)
    sent.wait_for(1)
    col, row = app._server.compositor.world_to_px(_path()[3:4])[0].round().astype(int)
    around = sent.pictures()[3][row - 8 : row + 9, col - 8 : col + 9]  # the marker's place
    with pytest.raises(AssertionError, match="no red pixels"):
        red_centroid(around)
    app._player.hidden = []  # from the page
    assert app.hidden == [] and app._player._generation == gen + 2


def test_colour_changes_redraw_with_the_new_look_and_bad_limits_are_refused(app):
    layout = app.__panel__()
    gen = app._player._generation
    app.cmap = "magma"
    assert app._player._generation == gen + 1
    sent = PanelRecorder(app)
    _want(app, 0, 1)
    sent.wait_for(1)
    restyled = restyle_scene(_scene(), cmap="magma")
    expected = render_frame(restyled, 0, dpi=50).image[..., :3]
    assert np.abs(sent.pictures()[0].astype(int) - expected).mean() < 3
    # vmin above vmax: refused with the reason shown; frames keep their look.
    app.vmin = 5.0
    assert app._player._generation == gen + 1
    assert "vmin" in app._message.object and "vmax" in app._message.object
    app.vmin = 0.0
    assert app._message.object == "" and app._player._generation == gen + 2
    assert layout is app.__panel__()


def test_it_embeds_in_a_notebook_as_a_panel_object(app):
    root = app.__panel__().get_root()
    kinds = {type(model).__name__ for model in root.references()}
    # The player, the colour map menu, the limit inputs and (outside a server, at
    # once) the HoloViews figure.
    assert {"PlayerPane1", "CustomSelect", "Spinner", "figure"} <= kinds, kinds


def test_a_100k_frame_store_opens_reading_only_its_first_window(tmp_path):
    n = 100_000
    env = square_env(bin_size=25.0)  # 25 bins
    rng = np.random.default_rng(1)
    angle = np.arange(n) / 50
    scene = build_scene(
        env,
        rng.random((n, env.n_bins)).astype(np.float32),
        overlays=[PositionOverlay(50 + 40 * np.c_[np.cos(angle), np.sin(angle)])],
        fps=30.0,
        vmin=0,
        vmax=1,
    )
    path = tmp_path / "long.zarr"
    scene.to_zarr(path, consolidated=False)
    del scene
    store = CountingStore(path, read_only=True)
    started = time.perf_counter()
    shown = SceneApp(open_scene(store), dpi=50)
    try:
        opened_s = time.perf_counter() - started
        print(f"\n100,000-frame store: the app and its first picture in {opened_s:.2f} s")
        chunk = zarr_chunk(path / "fields" / "field")
        read = store.chunks("fields/field")
        assert read and max(read) <= 1 and n // chunk > 50, read
        assert len(store.chunks("overlays/position/position")) <= 2
        sent = PanelRecorder(shown)
        store.keys.clear()
        _want(shown, 70_000, 70_004)
        sent.wait_for(4)
        read = store.chunks("fields/field")
        assert 70_000 // chunk in read and len(read) <= 2
    finally:
        shown.close()


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("example.org", False),
    ],
)
def test_is_loopback(address, loopback):
    assert is_loopback(address) is loopback


def test_websocket_origins_are_the_bound_address_and_port():
    assert set(websocket_origins("127.0.0.1", 5006)) == {"127.0.0.1:5006", "localhost:5006"}
    assert websocket_origins("10.0.0.5", 8000) == ["10.0.0.5:8000"]
    assert websocket_origins("10.0.0.5", 8000, ["lab.example.org:443"]) == [
        "10.0.0.5:8000",
        "lab.example.org:443",
    ]
    everywhere = websocket_origins("0.0.0.0", 80)
    assert f"{socket.gethostname()}:80" in everywhere and "0.0.0.0:80" in everywhere


def test_a_port_in_use_says_what_why_and_how():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ValueError, match=rf"(?s)127.0.0.1:{port}.*port.*--port"):
            make_server(_scene(), port=port)


def test_make_server_serves_the_one_scene_on_the_given_address():
    port = _free_port()
    server = make_server(_scene(), port=port)
    try:
        assert server.port == port and server.address == "127.0.0.1"
        assert list(server._tornado.applications) == ["/"]  # one page: this scene
    finally:
        server.stop()
    assert pn.state is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
