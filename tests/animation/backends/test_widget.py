"""The player widget's kernel side: traits, the frame protocol, layers, errors, laziness.

The browser side (playback clock, smoothness, scrubbing) is measured in a real
JupyterLab by tests/browser/test_widget.py; here the widget's ``send`` is recorded.
"""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest
import xarray as xr

from neurospatial.animation import (
    HeadDirectionOverlay,
    PositionOverlay,
    animate,
    build_scene,
    open_scene,
    render_frame,
)
from neurospatial.animation.backends.widget import Player
from neurospatial.animation.render.raster import Compositor
from tests.animation.helpers import red_centroid, square_env
from tests.animation.test_windows import CountingStore

N_FRAMES = 40
FPS = 20.0


def _path(n: int = N_FRAMES) -> np.ndarray:
    s = np.linspace(0.0, 1.0, n)
    return np.column_stack([10 + 80 * s, 20 + 60 * s])


def _scene(n: int = N_FRAMES) -> xr.DataTree:
    env = square_env()
    env.regions.add("goal", point=(80.0, 20.0))
    return build_scene(
        env,
        np.zeros((n, env.n_bins)),
        overlays=[
            PositionOverlay(_path(n), color="red", size=14.0, trail_length=None),
            HeadDirectionOverlay(np.zeros(n), color="blue"),
        ],
        frame_times=np.arange(n) / FPS,
        cmap="gray",
        vmin=0,
        vmax=1,
        fps=FPS,
        show_regions=True,
    )


class Recorder:
    """Stands in for the comm: keeps what the kernel sends to the browser."""

    def __init__(self, player: Player) -> None:
        self.messages: list[tuple[dict, list[bytes]]] = []
        self._done = threading.Condition()
        player.send = self  # type: ignore[method-assign]

    def __call__(self, content: dict, buffers: list[bytes] | None = None) -> None:
        with self._done:
            self.messages.append((content, list(buffers or [])))
            self._done.notify_all()

    def frames(self) -> list[int]:
        return [i for m, _ in self.messages if m["type"] == "frames" for i in m["index"]]

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self._done:
            while len(self.frames()) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"got {len(self.frames())} of {count} frames: {self.messages}"
                self._done.wait(left)

    def pictures(self) -> dict[int, np.ndarray]:
        out = {}
        for message, buffers in self.messages:
            if message["type"] == "frames":
                assert len(buffers) == len(message["index"])
                for i, data in zip(message["index"], buffers, strict=True):
                    out[i] = _decode(data)
        return out


def _decode(data: bytes) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert bgr is not None, "not a JPEG"
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _want(player: Player, start: int, stop: int, step: int = 1, gen: int | None = None) -> None:
    gen = player._generation if gen is None else gen
    message = {"type": "want", "gen": gen, "start": start, "stop": stop, "step": step}
    player._on_message(player, message, [])


@pytest.fixture
def player():
    shown = Player(_scene(), dpi=50)
    yield shown
    shown.close()


def test_traits_describe_the_scene_and_the_poster_is_the_first_frame(player):
    assert (player.n_frames, player.fps, player.image_width, player.image_height) == (
        N_FRAMES,
        FPS,
        400,
        300,
    )
    assert player.layers == ["field", "goal", "position", "head_direction"]
    np.testing.assert_array_equal(np.frombuffer(player._times, "<f8"), np.arange(N_FRAMES) / FPS)
    poster = _decode(player._poster)
    assert poster.shape == (300, 400, 3)
    expected = render_frame(_scene(), 0, dpi=50).image[..., :3]
    assert np.abs(poster.astype(int) - expected).mean() < 3  # JPEG of the same picture


def test_frames_arrive_in_order_in_chunks_and_markers_land_on_their_pixels(player):
    sent = Recorder(player)
    _want(player, 5, 17)
    sent.wait_for(12)
    assert sent.frames() == list(range(5, 17))
    first = sent.messages[0][0]
    assert first["index"] == [5] and first["gen"] == player._generation  # a scrub is quick
    assert max(len(m["index"]) for m, _ in sent.messages) <= 4
    world_to_px = Compositor(_scene(), dpi=50).world_to_px
    for i, picture in sent.pictures().items():
        expected = world_to_px(_path()[i : i + 1])[0]
        # JPEG keeps colour at half resolution: the red centroid moves up to ~2 px.
        assert np.abs(red_centroid(picture) - expected).max() <= 2.0, i


def test_strided_requests_and_out_of_range_frames(player):
    sent = Recorder(player)
    _want(player, 30, 60, step=4)  # clipped to the scene's end
    sent.wait_for(3)
    time.sleep(0.2)
    assert sent.frames() == [30, 34, 38]
    _want(player, -5, 0)  # nothing to send
    _want(player, 1, 2, step=0)  # a step below 1 counts as 1
    sent.wait_for(4)
    assert sent.frames()[-1] == 1


def test_the_latest_request_wins(player):
    sent = Recorder(player)
    _want(player, 0, N_FRAMES)
    _want(player, 20, 22)  # a scrub while the first request is served
    sent.wait_for(2)
    deadline = time.monotonic() + 10
    while sent.frames()[-2:] != [20, 21] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sent.frames()[-2:] == [20, 21]
    assert len(sent.frames()) < N_FRAMES + 2  # the first request was cut short


def test_asking_again_for_frames_on_their_way_continues_without_repeats(player):
    sent = Recorder(player)
    _want(player, 0, 20)
    sent.wait_for(3)
    _want(player, 0, N_FRAMES)  # the browser extends its window while frames arrive
    sent.wait_for(N_FRAMES)
    time.sleep(0.2)
    assert sent.frames() == list(range(N_FRAMES))  # each frame once, in order
    _want(player, 0, 2)  # a new request elsewhere is served from its start
    sent.wait_for(N_FRAMES + 2)
    assert sent.frames()[N_FRAMES:] == [0, 1]


def test_hiding_layers_starts_a_new_generation_without_them(player):
    sent = Recorder(player)
    gen = player._generation
    player.hidden = ["position"]
    assert player._generation == gen + 1
    _want(player, 3, 4, gen=gen)  # asked before the change: ignored
    time.sleep(0.2)
    assert sent.frames() == []
    _want(player, 3, 4)
    sent.wait_for(1)
    col, row = Compositor(_scene(), dpi=50).world_to_px(_path()[3:4])[0].round().astype(int)

    def marker(picture: np.ndarray) -> np.ndarray:  # the marker's surroundings only
        return picture[row - 8 : row + 9, col - 8 : col + 9]

    with pytest.raises(AssertionError, match="no red pixels"):
        red_centroid(marker(sent.pictures()[3]))
    player.hidden = ["position"]  # unchanged: same generation
    assert player._generation == gen + 1
    player.hidden = []
    _want(player, 3, 4)
    sent.wait_for(2)
    np.testing.assert_allclose(red_centroid(marker(sent.pictures()[3])), [8, 8], atol=2.0)


def test_other_messages_are_ignored(player):
    sent = Recorder(player)
    for message in ["hello", {"type": "other"}, {"type": "want", "gen": 0}, {"type": "want"}]:
        player._on_message(player, message, [])
    time.sleep(0.2)
    assert sent.messages == []


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"frame": N_FRAMES}, rf"frame={N_FRAMES} is outside the scene's {N_FRAMES} frames"),
        ({"speed": 3}, r"speed=3 is not one of the player's speeds"),
        ({"hidden": ["nose"]}, r"Cannot hide layer\(s\) \['nose'\]"),
        ({"fps": 0}, "fps"),
    ],
)
def test_bad_options_say_what_why_and_how(options, match):
    with pytest.raises(ValueError, match=match) as exc:
        Player(_scene(), dpi=50, **options)
    if "fps" not in options:
        assert "WHY:" in str(exc.value) and "HOW:" in str(exc.value)


def test_traits_set_from_python_are_checked(player):
    with pytest.raises(ValueError, match="frame=-1 is outside"):
        player.frame = -1
    with pytest.raises(ValueError, match=r"speed=8\.0 is not one of"):
        player.speed = 8.0
    with pytest.raises(ValueError, match=r"\['field', 'goal', 'position', 'head_direction'\]"):
        player.hidden = ["fields"]
    player.frame, player.speed, player.hidden = 7, 0.25, ["goal"]
    assert (player.frame, player.speed, player.hidden) == (7, 0.25, ["goal"])


def test_animate_and_animate_fields_pass_the_player_options():
    scene = _scene()
    shown = animate(scene, backend="widget", fps=10, dpi=50, frame=3, speed=2, loop=True)
    try:
        assert isinstance(shown, Player)
        assert (shown.fps, shown.frame, shown.speed, shown.loop) == (10.0, 3, 2.0, True)
        assert shown._poster_frame == 3 and shown.image_width == 400
    finally:
        shown.close()
    env = square_env()
    shown = env.animate_fields(np.zeros((5, env.n_bins)), backend="widget", hidden=["field"])
    try:
        assert shown.hidden == ["field"] and shown.n_frames == 5
    finally:
        shown.close()


def test_the_holoviews_view_follows_the_players_frame_and_layers(player):
    view = player.holoviews(frame_width=300)
    assert "(frame 0)" in view[()].opts.get().kwargs["title"]
    player.frame = 12
    overlay = view[()]
    assert "(frame 12)" in overlay.opts.get().kwargs["title"]
    positions = overlay.Points.position
    np.testing.assert_allclose(
        [positions.dimension_values("x")[0], positions.dimension_values("y")[0]], _path()[12]
    )
    player.hidden = ["position"]
    labels = {element.label for element in view[()]}
    assert "position" not in labels and "head_direction" in labels


def test_a_frame_chosen_in_the_browser_is_followed_once_it_rests(player):
    """A scrub's frame (a browser message) reaches the view only after it rested
    FOLLOW_AFTER_S, in the kernel's event loop; a frame set from Python at once."""
    import asyncio

    from neurospatial.animation.backends.live import FOLLOW_AFTER_S

    player.hidden = []
    view = player.holoviews(frame_width=300)
    stream = view.streams[0]

    async def scrub() -> list[int]:
        seen = []
        for k in (3, 7, 9):
            player.set_state({"frame": k})  # what a message from the browser does
            await asyncio.sleep(0.05)
            seen.append(stream.frame)
        await asyncio.sleep(FOLLOW_AFTER_S + 0.3)
        seen.append(stream.frame)
        player.frame = 4  # from Python, in the loop too
        seen.append(stream.frame)
        return seen

    before = stream.frame
    seen = asyncio.run(scrub())
    assert seen == [before, before, before, 9, 4], seen
    assert "(frame 4)" in view[()].opts.get().kwargs["title"]


def test_close_stops_the_renderer(player):
    renderer = player._renderer
    player.close()
    renderer.join(timeout=5)
    assert not renderer.is_alive()


def test_a_200k_frame_store_plays_window_by_window(tmp_path):
    """200,000 frames (a small field) from zarr: the player reads only what it shows."""
    n = 200_000
    env = square_env(bin_size=25.0)  # 16 bins: 25.6 MB of field values
    rng = np.random.default_rng(0)
    fields = rng.random((n, env.n_bins)).astype(np.float32)
    scene = build_scene(
        env,
        fields,
        overlays=[
            PositionOverlay(50 + 40 * np.c_[np.cos(np.arange(n) / 50), np.sin(np.arange(n) / 50)])
        ],
        fps=30.0,
        vmin=0,
        vmax=1,
    )
    path = tmp_path / "long.zarr"
    scene.to_zarr(path, consolidated=False)
    del scene, fields
    store = CountingStore(path, read_only=True)
    stored = open_scene(store)
    shown = Player(stored, dpi=40)
    try:
        assert shown.n_frames == n
        assert len(shown._times) == 8 * n
        sent = Recorder(shown)
        store.keys.clear()
        _want(shown, 150_000, 150_008)
        sent.wait_for(8)
        assert sent.frames() == list(range(150_000, 150_008))
        chunk = zarr_chunk(path / "fields" / "field")
        # One window (a block of frames around the request) is read: one or two chunks
        # of the store's ~150.
        read = store.chunks("fields/field")
        assert 150_000 // chunk in read and len(read) <= 2 and n // chunk > 100
        assert len(store.chunks("overlays/position/position")) <= 2
    finally:
        shown.close()


def zarr_chunk(path) -> int:
    import zarr

    return zarr.open_array(str(path), mode="r").chunks[0]
