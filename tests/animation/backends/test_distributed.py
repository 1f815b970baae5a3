"""Rendering on a dask.distributed cluster (``client=``): one LocalCluster of two worker
processes for the module, as a user's cluster would be, on the same disk."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import dask
import numpy as np
import pytest
from distributed import Client, LocalCluster

from neurospatial.animation import (
    PositionOverlay,
    VideoOverlay,
    animate,
    build_scene,
    open_scene,
    render_frame,
)
from neurospatial.animation.backends import cluster as cluster_module
from neurospatial.animation.backends import video as video_module
from neurospatial.animation.scene import restyle_scene
from neurospatial.animation.store import stored_location
from tests.animation.helpers import (
    assert_what_why_how,
    decode_frames,
    red_centroid,
    square_env,
    write_video,
)

N_FRAMES = 120
SEGMENT = 20  # frames per segment in these tests: 6 segments, 5 boundaries
COMMAND = str(Path(sys.executable).with_name("neurospatial"))


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


@pytest.fixture
def short_segments(monkeypatch):
    """Segments of `SEGMENT` frames (the rule's minimum is 300: too long for tests)."""
    monkeypatch.setattr(cluster_module, "MIN_SEGMENT_FRAMES", SEGMENT)


@pytest.fixture
def ticks(monkeypatch):
    """The progress bar's updates, and the files beside the output at each update."""
    seen: list[tuple[int, list[str]]] = []

    @contextlib.contextmanager
    def bar(total, show):
        def tick(n):
            folder = Path(os.environ["NS_TEST_OUT"])
            seen.append((n, sorted(p.name for p in folder.iterdir())))

        yield tick

    monkeypatch.setattr(video_module, "_progress_bar", bar)
    return seen


def _scene(n_frames=N_FRAMES):
    env = square_env()
    t = np.linspace(0, 1, n_frames)
    points = np.column_stack([10 + 80 * t, 20 + 60 * t**2])
    marker = PositionOverlay(points, color="red", size=14.0)
    along_top = np.column_stack([points[::-1, 0], np.full(n_frames, 93.0)])  # clear of it
    trail = PositionOverlay(along_top, color="blue", size=8.0, trail_length=12)
    fields = np.zeros((n_frames, env.n_bins))
    scene = build_scene(env, fields, overlays=[marker, trail], cmap="gray", vmin=0, vmax=1, fps=30)
    return scene, points


def _stored(tmp_path, n_frames=N_FRAMES):
    scene, points = _scene(n_frames)
    scene.to_zarr(tmp_path / "scene.zarr", consolidated=False)
    return open_scene(tmp_path / "scene.zarr"), points


def _names(folder):
    return sorted(p.name for p in Path(folder).iterdir())


def _assert_same_video(a, b, n_frames):
    one, two = decode_frames(a), decode_frames(b)
    assert len(one) == len(two) == n_frames
    for i, (x, y) in enumerate(zip(one, two, strict=True)):
        assert np.abs(x.astype(int) - y.astype(int)).mean() < 1.0, f"frame {i}"
    return two


def _wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _segment_files(folder):
    return [p for d in Path(folder).glob(".segments-*") for p in d.iterdir()]


# ------------------------------------------------------------------ the rule
@pytest.mark.parametrize(
    ("n_frames", "slots", "count"),
    [(100, 4, 1), (3000, 2, 8), (20_000, 2, 8), (20_000, 1, 4), (216_000, 100, 400)],
)
def test_segment_rule(n_frames, slots, count):
    plan = cluster_module.plan_segments(range(5, 5 + n_frames), slots)
    assert len(plan) == count
    assert plan[0][0] == 5 and plan[-1][1] == 5 + n_frames
    assert all(a[1] == b[0] for a, b in itertools.pairwise(plan))
    sizes = [stop - start for start, stop in plan]
    if n_frames >= cluster_module.MIN_SEGMENT_FRAMES:
        assert min(sizes) >= cluster_module.MIN_SEGMENT_FRAMES
    assert max(sizes) <= cluster_module.MAX_SEGMENT_FRAMES


# ------------------------------------------------------------------ output
def test_cluster_video_equals_the_single_process_one(tmp_path, client, short_segments, ticks):
    os.environ["NS_TEST_OUT"] = str(tmp_path)
    scene, points = _stored(tmp_path)
    one = animate(scene, save_path=tmp_path / "one.mp4", progress=False)
    ticks.clear()
    out = animate(scene, save_path=tmp_path / "cluster.mp4", client=client)
    frames = _assert_same_video(one, out, N_FRAMES)
    transform = render_frame(scene, 0)
    boundaries = {k * SEGMENT + d for k in range(1, N_FRAMES // SEGMENT) for d in (-1, 0)}
    for i, frame in enumerate(frames):  # every frame, both sides of the 5 boundaries too
        expected = transform.world_to_px([points[i]])[0]
        np.testing.assert_allclose(red_centroid(frame), expected, atol=2.0, err_msg=f"{i}")
    assert boundaries <= set(range(N_FRAMES))
    # One bar across the workers, reaching every frame; the workers read the stored
    # scene (no temporary copy), and nothing is left beside the output.
    assert sum(n for n, _ in ticks) == N_FRAMES
    assert not any(name.startswith(".scene-") for _, names in ticks for name in names)
    assert _names(tmp_path) == ["cluster.mp4", "one.mp4", "scene.zarr"]


def test_in_memory_scene_goes_through_a_temporary_store(tmp_path, client, short_segments, ticks):
    os.environ["NS_TEST_OUT"] = str(tmp_path)
    scene, _ = _scene()
    env = square_env()
    fields = np.asarray(scene["fields"]["field"])
    one = animate(scene, save_path=tmp_path / "one.mp4", progress=False)
    ticks.clear()
    out = animate(scene, save_path=tmp_path / "cluster.mp4", client=client)
    _assert_same_video(one, out, N_FRAMES)
    during = {name for _, names in ticks for name in names}
    assert any(name.startswith(".scene-") and name.endswith(".zarr") for name in during)
    assert any(name.startswith(".segments-") for name in during)
    assert _names(tmp_path) == ["cluster.mp4", "one.mp4"]
    # env.animate_fields takes client= too (its scene is always in memory).
    written = env.animate_fields(
        fields, save_path=tmp_path / "env.mp4", fps=30, client=client, progress=False
    )
    assert len(decode_frames(written)) == N_FRAMES


def test_restyled_stored_scene_is_read_from_its_store(tmp_path, client, short_segments, ticks):
    os.environ["NS_TEST_OUT"] = str(tmp_path)
    scene, _ = _stored(tmp_path)
    restyled = restyle_scene(scene, cmap="magma", vmin=-1.0)  # attrs only: still stored
    assert stored_location(restyled) == str((tmp_path / "scene.zarr").resolve())
    one = animate(restyled, save_path=tmp_path / "one.mp4", progress=False)
    ticks.clear()
    out = animate(restyled, save_path=tmp_path / "cluster.mp4", client=client)
    frames = _assert_same_video(one, out, N_FRAMES)
    plain = decode_frames(animate(scene, save_path=tmp_path / "plain.mp4", progress=False))
    assert np.abs(frames[0].astype(int) - plain[0].astype(int)).mean() > 5  # magma drawn
    assert not any(name.startswith(".scene-") for _, names in ticks for name in names)


def test_a_changed_stored_scene_is_not_read_from_its_store(tmp_path):
    scene, _ = _stored(tmp_path)
    assert stored_location(scene) == str((tmp_path / "scene.zarr").resolve())
    scene["fields"]["field"] = scene["fields"]["field"] + 1
    assert stored_location(scene) is None
    assert stored_location(_scene()[0]) is None


def test_scheduler_address_and_html(tmp_path, client, short_segments):
    scene, _ = _stored(tmp_path)
    address = client.scheduler.address
    out = animate(scene, save_path=tmp_path / "a.webm", client=address, progress=False)
    assert len(decode_frames(out)) == N_FRAMES
    page = animate(scene, save_path=tmp_path / "a.html", client=address, progress=False)
    assert "data:video/mp4;base64," in page.read_text()
    assert _names(tmp_path) == ["a.html", "a.webm", "scene.zarr"]


# ------------------------------------------------------------------ cancel and failure
@pytest.fixture
def ctrl_c():
    """Python's own Ctrl-C handler (libraries loaded by earlier tests may set another)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_cancels_the_segments_and_leaves_nothing(tmp_path, client, short_segments, ctrl_c):
    import _thread

    scene, _ = _stored(tmp_path, n_frames=3000)

    def interrupt():
        _wait_for(lambda: _segment_files(tmp_path))
        _thread.interrupt_main()

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        animate(scene, save_path=tmp_path / "out.mp4", client=client, progress=False)
    assert _names(tmp_path) == ["scene.zarr"]
    # The workers stop their segments (they see the folder gone) instead of finishing.
    _wait_for(lambda: not any(client.processing().values()), timeout=10)
    time.sleep(1.0)
    assert _names(tmp_path) == ["scene.zarr"]


def test_ctrl_c_on_the_command_line(tmp_path, client):
    _stored(tmp_path, n_frames=6000)
    flags = ["--dpi", "50", "--no-progress", "--scheduler", client.scheduler.address]
    proc = subprocess.Popen(
        [COMMAND, "render", "scene.zarr", "out.mp4", *flags],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: _segment_files(tmp_path) or proc.poll() is not None)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode != 0
    assert "Aborted" in err
    assert _names(tmp_path) == ["scene.zarr"]
    _wait_for(lambda: not any(client.processing().values()), timeout=10)


def _kill_a_busy_worker(client, folder):
    pids = client.run(os.getpid)
    _wait_for(lambda: _segment_files(folder) and any(client.processing().values()))
    busy = next(address for address, keys in client.processing().items() if keys)
    os.kill(pids[busy], signal.SIGKILL)


def test_a_killed_worker_s_segment_is_rendered_again(tmp_path, client, short_segments):
    scene, _ = _stored(tmp_path, n_frames=600)
    one = animate(scene, save_path=tmp_path / "one.mp4", progress=False)
    killer = threading.Thread(target=_kill_a_busy_worker, args=(client, tmp_path), daemon=True)
    killer.start()
    out = animate(scene, save_path=tmp_path / "cluster.mp4", client=client, progress=False)
    killer.join(timeout=5)
    _assert_same_video(one, out, 600)
    assert _names(tmp_path) == ["cluster.mp4", "one.mp4", "scene.zarr"]
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it


def test_a_dead_worker_with_no_retries_fails_naming_the_segment(tmp_path, short_segments):
    scene, _ = _stored(tmp_path, n_frames=600)
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster, set_as_default=False) as one_worker,
    ):
        killer = threading.Thread(
            target=_kill_a_busy_worker, args=(one_worker, tmp_path), daemon=True
        )
        killer.start()
        with pytest.raises(RuntimeError) as info:
            animate(scene, save_path=tmp_path / "out.mp4", client=one_worker, progress=False)
    message = str(info.value)
    assert_what_why_how(message, "Segment ")
    assert "KilledWorker" in message and "frames " in message
    assert _names(tmp_path) == ["scene.zarr"]


def test_a_failing_segment_names_itself_and_cancels_the_rest(tmp_path, client, short_segments):
    frames = np.zeros((N_FRAMES, 48, 64, 3), dtype=np.uint8)
    video = write_video(tmp_path / "behaviour.mp4", frames)
    env = square_env()
    times = np.arange(N_FRAMES) / 30.0
    scene = build_scene(
        env,
        np.zeros((N_FRAMES, env.n_bins)),
        overlays=[VideoOverlay(video, times=times)],
        frame_times=times,
    )
    scene.to_zarr(tmp_path / "scene.zarr", consolidated=False)
    video.unlink()  # the workers cannot read the behaviour video
    with pytest.raises(RuntimeError) as info:
        animate(open_scene(tmp_path / "scene.zarr"), save_path=tmp_path / "o.mp4", client=client)
    message = str(info.value)
    assert_what_why_how(message, "failed on the cluster")
    assert "behaviour.mp4" in message and "Segment " in message
    assert _names(tmp_path) == ["scene.zarr"]


# ------------------------------------------------------------------ errors
def test_client_and_n_workers_conflict(tmp_path):
    scene, _ = _scene(4)
    with pytest.raises(ValueError) as info:
        animate(scene, save_path=tmp_path / "o.mp4", client="tcp://127.0.0.1:1", n_workers=2)
    assert_what_why_how(str(info.value), "n_workers=2")


def test_client_with_a_live_backend(tmp_path):
    scene, _ = _scene(4)
    with pytest.raises(ValueError) as info:
        animate(scene, backend="widget", client="tcp://127.0.0.1:1")
    assert_what_why_how(str(info.value), "client=")


def test_client_of_the_wrong_type(tmp_path):
    scene, _ = _scene(4)
    with pytest.raises(TypeError) as info:
        animate(scene, save_path=tmp_path / "o.mp4", client=42)
    assert_what_why_how(str(info.value), "int 42")
    assert _names(tmp_path) == []


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT", "1s")
    scene, _ = _scene(4)
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(ConnectionError) as info:
        animate(scene, save_path=tmp_path / "o.mp4", client=address)
    assert_what_why_how(str(info.value), address)
    assert _names(tmp_path) == []


def test_without_distributed_installed(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if absent
    scene, _ = _scene(4)
    with pytest.raises(ImportError) as info:
        animate(scene, save_path=tmp_path / "o.mp4", client="tcp://127.0.0.1:1")
    assert_what_why_how(str(info.value), "dask.distributed")
    assert cluster_module.INSTALL_HINT in str(info.value)


def test_a_cluster_without_workers(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster_module, "WORKER_WAIT_SECONDS", 0.5)
    scene, _ = _scene(4)
    with (
        LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster,
        Client(cluster, set_as_default=False) as empty,
        pytest.raises(RuntimeError) as info,
    ):
        animate(scene, save_path=tmp_path / "o.mp4", client=empty)
    assert_what_why_how(str(info.value), "has no workers")
    assert _names(tmp_path) == []


def test_workers_that_cannot_see_a_path_are_named(client):
    with pytest.raises(RuntimeError) as info:
        cluster_module._check_visible(client, "/no/such/folder", "the scene's zarr store")
    message = str(info.value)
    assert_what_why_how(message, "2 of 2 workers cannot see")
    assert all(address in message for address in client.nthreads())


# ------------------------------------------------------------------ command line
def _render(folder, *args):
    return subprocess.run(
        [COMMAND, "render", "scene.zarr", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_render_on_the_command_line(tmp_path, client):
    _stored(tmp_path)
    address = client.scheduler.address
    done = _render(tmp_path, "out.mp4", "--cmap", "magma", "--scheduler", address)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str((tmp_path / "out.mp4").resolve())
    assert len(decode_frames(tmp_path / "out.mp4")) == N_FRAMES
    both = _render(tmp_path, "o.mp4", "--workers", "2", "--scheduler", address)
    assert both.returncode == 2 and "n_workers=2" in both.stderr
    assert _names(tmp_path) == ["out.mp4", "scene.zarr"]
