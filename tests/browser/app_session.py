"""``neurospatial serve`` in a subprocess and pages on it, driven from Playwright.

Shared by tests/browser/test_app.py (behaviour) and benchmarks/bench_app.py
(smoothness figures). The scene is the notebook player's (widget_session.py:
800 x 600 pixels, a 41 x 41 field, position with a trail, a 4-keypoint skeleton and
a heading arrow, 30 frames/s) plus two regions, written to a zarr store; its title
and a region's name are markup, which the page must show as text.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.browser.widget_session import FIND, SETUP, PlayerPage, record_errors

if TYPE_CHECKING:
    import xarray as xr
    from playwright.sync_api import Browser, Page

TITLE = 'Arena <b>A</b> & "co"'
REGION = "<img src=x onerror=alert(1)>"  # a region's name: shown as text, never run
START_TIMEOUT = 60.0  # s, for the server to print its URL
NEUROSPATIAL = Path(sys.executable).with_name("neurospatial")  # the console script


def build_scene(n_frames: int) -> xr.DataTree:
    """The notebook player's scene with `n_frames` frames, a title and two regions."""
    namespace: dict[str, Any] = {}
    exec(SETUP.replace("n, fps = 3000, 30.0", f"n, fps = {n_frames}, 30.0"), namespace)
    env = namespace["env"]
    env.regions.add("reward", point=(70.0, 30.0))
    env.regions.add(REGION, polygon=[(5, 75), (25, 75), (25, 95), (5, 95)])
    from neurospatial.animation import build_scene as build

    return build(
        env,
        namespace["fields"],
        overlays=namespace["overlays"],
        fps=namespace["fps"],
        vmin=0,
        vmax=1,
        title=TITLE,
        show_regions=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running ``neurospatial serve``; stop it with `stop` (SIGTERM to its pid)."""

    process: subprocess.Popen[str]
    port: int
    url: str
    output: list[str] = field(default_factory=list)  # stdout and stderr lines

    def stop(self, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)

    def text(self) -> str:
        return "\n".join(self.output)


def start_serve(store: Path, *args: str, port: int | None = None) -> Served:
    """Start ``neurospatial serve STORE --port P *args``; return once it printed its URL."""
    port = free_port() if port is None else port
    command = [str(NEUROSPATIAL), "serve", str(store), "--port", str(port), *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    output: list[str] = []
    ready = threading.Event()
    found: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip("\n"))
            match = re.search(r"at (http://\S+)", line)
            if match and not found:
                found.append(match.group(1))
                ready.set()
        process.stdout.close()
        ready.set()  # the process ended

    threading.Thread(target=read, daemon=True).start()
    started = time.monotonic()
    while not ready.wait(0.2) and time.monotonic() - started < START_TIMEOUT:
        pass
    served = Served(process, port, found[0] if found else "", output)
    if not found:
        served.stop()
        raise RuntimeError(f"neurospatial serve did not start:\n{served.text()}")
    return served


# The first picture: from opening the page to the player's first drawn frame.
FIRST_PICTURE = """async () => {
  FIND
  for (;;) {
    const root = find(".nsanim-player");
    if (root && Number(root.dataset.draws) >= 1) return performance.now();
    if (performance.now() > 60000) throw new Error("no picture after 60 s");
    await new Promise((r) => setTimeout(r, 10));
  }
}""".replace("FIND", FIND)

# The titles of the HoloViews view's plots (it shows the frame: "... (frame 12)").
VIEW_TITLE = """() => [...window.Bokeh.documents[0].all_models]
  .filter((m) => m.constructor.__name__ === "Title" && /frame/.test(m.text))
  .map((m) => m.text)"""


@dataclass
class AppPage(PlayerPage):
    """One browser tab on the served app."""

    page: Page
    scene: xr.DataTree  # the served store, opened in the test process
    first_picture_s: float
    view_ready_s: float  # navigation start to the zoomable view's first plot
    errors: list[str] = field(default_factory=list)

    def wait_for_frame(self, frame: int, timeout: float = 10_000) -> None:
        self.page.wait_for_selector(f".nsanim-player[data-frame='{frame}']", timeout=timeout)

    def draws(self) -> int:
        return int(self.page.get_attribute(".nsanim-player", "data-draws") or 0)

    def wait_for_redraw(self, draws: int, timeout: float = 10_000) -> None:
        started = time.monotonic()
        while self.draws() <= draws:
            if time.monotonic() - started > timeout / 1000:
                raise TimeoutError(f"no new picture after {timeout} ms")
            self.page.wait_for_timeout(20)


def open_page(browser: Browser, served: Served, scene: xr.DataTree) -> AppPage:
    """A new tab on the app, once its first picture is drawn (timed: navigation start
    to that picture, with the browser's clock)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    errors = record_errors(page)
    page.goto(served.url, wait_until="commit")
    drawn_at = page.evaluate(FIRST_PICTURE)  # ms since this page's navigation started
    # Measure from a page whose view has loaded: building it holds the server's
    # event loop for a moment (about 0.7 s), once per page.
    page.wait_for_function(f"({VIEW_TITLE})().length > 0", timeout=30_000)
    view_at = page.evaluate("() => performance.now()")
    return AppPage(page, scene, drawn_at / 1000, view_at / 1000, errors)
