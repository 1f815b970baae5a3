"""Backends by name: file backends return the written path, live backends their object."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from neurospatial.animation import animate, build_scene
from neurospatial.animation.backends import (
    available_backends,
    register_backend,
    unregister_backend,
)
from tests.animation.helpers import square_env


class Viewer:
    """What a live backend might return: an object the caller displays."""

    def __init__(self, scene, options):
        self.scene, self.options = scene, options


@pytest.fixture
def live_backend():
    def show(scene, *, fps, dpi, show_colorbar, zoom=1.0):
        return Viewer(scene, {"fps": fps, "dpi": dpi, "colorbar": show_colorbar, "zoom": zoom})

    register_backend("test-viewer", show, kind="live", options=("zoom",))
    yield "test-viewer"
    unregister_backend("test-viewer")


def _scene(n=3):
    env = square_env()
    return env, build_scene(env, np.zeros((n, env.n_bins)), fps=12)


def test_a_live_backend_returns_its_object_through_animate_and_animate_fields(live_backend):
    env, scene = _scene()
    assert live_backend in available_backends()
    viewer = animate(scene, backend=live_backend, zoom=2.0)
    assert isinstance(viewer, Viewer) and viewer.scene is scene
    assert viewer.options == {"fps": 12.0, "dpi": 100, "colorbar": True, "zoom": 2.0}
    shown = env.animate_fields(np.zeros((3, env.n_bins)), backend=live_backend, fps=5)
    assert isinstance(shown, Viewer) and shown.options["fps"] == 5.0
    assert shown.scene["fields"].sizes["time"] == 3


def test_live_backends_take_no_save_path_and_only_their_options(live_backend, tmp_path):
    _, scene = _scene()
    with pytest.raises(ValueError, match="'test-viewer' backend is live") as exc:
        animate(scene, backend=live_backend, save_path=tmp_path / "a.mp4")
    assert "WHY:" in str(exc.value) and "backend='video'" in str(exc.value)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(
        TypeError, match=r"Unknown option\(s\) for the test-viewer backend: \['crf'\]"
    ):
        animate(scene, backend=live_backend, crf=20)


def test_auto_without_save_path_outside_jupyter_lists_what_is_available(live_backend):
    _, scene = _scene()
    with pytest.raises(ValueError, match="no save_path was given") as exc:
        animate(scene)
    message = str(exc.value)
    assert "this is not a Jupyter notebook" in message
    assert "save_path='animation.mp4'" in message and "save_path='animation.html'" in message
    assert "backend='widget'" in message and "live backends: widget, napari, test-viewer" in message
    assert "['video', 'html', 'widget', 'napari', 'test-viewer']" in message


def test_auto_picks_file_backends_by_suffix_and_registering_twice_is_refused(tmp_path):
    _, scene = _scene()
    assert animate(scene, save_path=tmp_path / "a.mp4", progress=False).suffix == ".mp4"
    assert animate(scene, save_path=tmp_path / "a.HTML", progress=False).suffix == ".HTML"
    with pytest.raises(ValueError, match="already registered"):
        register_backend("video", lambda *a, **k: None, kind="file")
    with pytest.raises(ValueError, match="neither 'file' nor 'live'"):
        register_backend("odd", lambda *a, **k: None, kind="stream")  # type: ignore[arg-type]


def test_auto_inside_a_jupyter_kernel_picks_the_player_widget():
    """In a real IPython kernel (no Jupyter server needed: an in-process kernel)."""
    pytest.importorskip("ipykernel")
    code = """
import numpy as np
from ipykernel.inprocess.manager import InProcessKernelManager
km = InProcessKernelManager(); km.start_kernel()
shell = km.kernel.shell
shell.run_cell('''
import numpy as np
from neurospatial.animation import animate, build_scene
from tests.animation.helpers import square_env
env = square_env()
player = animate(build_scene(env, np.zeros((2, env.n_bins))))
result = type(player).__module__ + "." + type(player).__name__
player.close()
''')
print(shell.user_ns["result"])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    lines = out.stdout.strip().splitlines()
    assert lines and lines[-1] == "neurospatial.animation.backends.widget.Player", out.stderr
