"""A notebook showing the player in JupyterLab, driven from Playwright.

Shared by tests/browser/test_widget.py (behaviour) and benchmarks/bench_widget.py
(smoothness figures). The scene is issue 10's: 800 x 600 pixels, a 41 x 41 field,
position with a trail, a 4-keypoint skeleton and a heading arrow, 3000 frames at
30 frames/s. All timings are taken with the browser's clock.
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import cv2
import nbformat
import numpy as np

from tests.browser.jupyterlab import JupyterLab

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

N_FRAMES, FPS = 3000, 30.0
TIMEOUT = 60_000  # ms, for JupyterLab and its kernel to start

SETUP = """\
import numpy as np

from neurospatial import Environment
from neurospatial.animation import (
    BodypartOverlay,
    HeadDirectionOverlay,
    PositionOverlay,
    animate,
    build_scene,
)

n, fps = 3000, 30.0
t = np.arange(n) / fps
grid = np.linspace(0, 100, 83)
env = Environment.from_samples(np.array(np.meshgrid(grid, grid)).reshape(2, -1).T, bin_size=2.5)
assert env.n_bins == 41 * 41
nose = np.c_[50 + 35 * np.cos(t / 3), 50 + 35 * np.sin(t / 2)]
heading = np.arctan2(np.gradient(nose[:, 1]), np.gradient(nose[:, 0]))
forward = np.c_[np.cos(heading), np.sin(heading)]
side = np.c_[-forward[:, 1], forward[:, 0]]
d2 = ((env.bin_centers[None] - nose[:, None]) ** 2).sum(-1)
fields = np.exp(-d2 / 200.0)
overlays = [
    PositionOverlay(nose, color="red", trail_length=15),
    BodypartOverlay(
        {
            "nose": nose,
            "left": nose - 6 * forward + 3 * side,
            "right": nose - 6 * forward - 3 * side,
            "tail": nose - 12 * forward,
        },
        skeleton=[("nose", "left"), ("nose", "right"), ("left", "tail"), ("right", "tail")],
    ),
    HeadDirectionOverlay(heading, color="white"),
]
scene = build_scene(env, fields, overlays=overlays, fps=fps, vmin=0, vmax=1)
"""
SHOW = 'player = animate(scene, backend="widget")\nplayer'

# Run cell k of the open notebook (JupyterLab's own command) and return its outputs.
RUN_CELL = """async ({index, source}) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  const cell = panel.content.widgets[index];
  if (source !== null) cell.model.sharedModel.setSource(source);
  panel.content.activeCellIndex = index;
  await app.commands.execute("notebook:run-cell");
  return cell.model.outputs.toJSON();
}"""
KERNEL_IDLE = """async () => {
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  for (let i = 0; i < 1200; i++) {
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    if (kernel && kernel.status === "idle" && kernel.connectionStatus === "connected") return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the kernel did not become idle");
}"""
# The player's elements, inside shadow roots too (Panel renders into them).
FIND = """const find = (selector) => {
    const walk = (root) => {
      const hit = root.querySelector(selector);
      if (hit) return hit;
      for (const node of root.querySelectorAll("*")) {
        const inner = node.shadowRoot && walk(node.shadowRoot);
        if (inner) return inner;
      }
      return null;
    };
    return walk(document);
  };"""
# Play for `ms` and record, on the browser's clock, every change of the frame on screen
# (with the frames then at hand after it), every animation frame the page ran (a
# picture can only change in one) and the page's long tasks (scripts of 50 ms or more).
PLAY = """(ms) => new Promise((resolve) => {
  FIND
  const root = find(".nsanim-player");
  const play = find(".nsanim-play");
  const seen = [];
  const ticks = [];
  const tasks = [];
  const observer = new MutationObserver(() =>
    seen.push([performance.now(), Number(root.dataset.frame), Number(root.dataset.ahead)]));
  observer.observe(root, { attributes: true, attributeFilter: ["data-frame"] });
  const long = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) tasks.push([e.startTime, e.duration]);
  });
  long.observe({ type: "longtask" });
  let on = true;
  const tick = (ts) => { ticks.push(ts); if (on) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const start = performance.now();
  play.click();
  setTimeout(() => {
    on = false;
    observer.disconnect();
    long.disconnect();
    play.click();
    resolve({ start, seen, ticks, tasks });
  }, ms);
})""".replace("FIND", FIND)
# Move the slider through `targets` ([frame, time] pairs, `interval` ms apart), then
# time how long the last target takes to be on screen and check that it stays.
SCRUB = """async ({ targets, interval }) => {
  FIND
  const root = find(".nsanim-player");
  const slider = find(".nsanim-slider");
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  for (const [, t] of targets) {
    slider.value = String(t);
    slider.dispatchEvent(new Event("input"));
    if (interval) await wait(interval);
  }
  const target = targets[targets.length - 1][0];
  const start = performance.now();
  while (Number(root.dataset.frame) !== target) {
    await new Promise((r) => requestAnimationFrame(r));
    if (performance.now() - start > 5000) return { ms: null, shown: Number(root.dataset.frame) };
  }
  const ms = performance.now() - start;
  await wait(300);
  return { ms, shown: Number(root.dataset.frame), playing: root.dataset.playing };
}""".replace("FIND", FIND)
CANVAS = """() => { FIND return find(".nsanim-canvas").toDataURL("image/png"); }""".replace(
    "FIND", FIND
)


#: Stylesheets Panel always takes from its CDN (also with BokehJS inline): offline,
#: their requests fail, and nothing but styling depends on them.
COSMETIC = re.compile(
    r"https://cdn\.holoviz\.org/panel/[^/]+/dist/(css|bundled/theme)/[\w.-]+\.css"
)


def record_errors(page: Page) -> list[str]:
    """The page's uncaught errors, console errors, failed requests (with their URLs,
    except Panel's cosmetic CDN stylesheets) and dialogs (dismissed), as they come."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

    def console(message: Any) -> None:
        # A request that failed is reported below with its URL; HTTP errors stay.
        if message.type == "error" and "net::ERR_" not in message.text:
            errors.append(f"console: {message.text}")

    def failed(request: Any) -> None:
        if not COSMETIC.match(request.url):
            errors.append(f"requestfailed: {request.url} ({request.failure})")

    page.on("console", console)
    page.on("requestfailed", failed)
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    return errors


class PlayerPage:
    """What a page showing the player offers (`page` is its Playwright page)."""

    page: Page

    def canvas(self) -> np.ndarray:
        """The player's picture, RGB."""
        url = self.page.evaluate(CANVAS)
        data = base64.b64decode(url.split(",", 1)[1])
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def shown(self) -> int:
        """The frame on screen."""
        return int(self.page.get_attribute(".nsanim-player", "data-frame") or -1)


@dataclass
class Session(PlayerPage):
    lab: JupyterLab
    page: Page
    scene: Any  # the same scene, built in the test process
    first_picture_s: float
    errors: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def run(self, index: int, source: str | None = None) -> list[dict]:
        return self.page.evaluate(RUN_CELL, {"index": index, "source": source})

    def output_text(self, index: int, source: str) -> str:
        outputs = self.run(index, source)
        errors = [o for o in outputs if o.get("output_type") == "error"]
        assert not errors, errors
        text = []
        for output in outputs:
            if output.get("output_type") == "stream":
                text.append("".join(output["text"]))
            elif "data" in output:
                text.append("".join(output["data"].get("text/plain", "")))
        return "".join(text).strip()


# Whether cell k's output holds a drawn Bokeh canvas (Bokeh draws in shadow roots);
# the cell is scrolled into view first (JupyterLab renders what is in view).
VIEW_DRAWN = """(index) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
  cell.node.scrollIntoView();
  const walk = (node) => {
    if (node.tagName === "CANVAS" && node.width > 100) return true;
    for (const child of node.children) if (walk(child)) return true;
    return node.shadowRoot ? walk(node.shadowRoot) : false;
  };
  return walk(cell.node);
}"""


# Run the player's cell and time, with the browser's clock, its first picture.
FIRST_PICTURE = """async (index) => {
  const app = window.jupyterapp;
  app.shell.currentWidget.content.activeCellIndex = index;
  const start = performance.now();
  app.commands.execute("notebook:run-cell");
  for (;;) {
    const root = document.querySelector(".nsanim-player");
    if (root && Number(root.dataset.draws) >= 1) return performance.now() - start;
    if (performance.now() - start > 60000) throw new Error("no picture after 60 s");
    await new Promise((r) => requestAnimationFrame(r));
  }
}"""


@contextmanager
def open_session(lab: JupyterLab, browser: Browser, extra_cells: int = 6) -> Iterator[Session]:
    """Open the player notebook, run its set-up cell, then the player's cell (timed)."""
    cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(SHOW)]
    cells += [nbformat.v4.new_code_cell("") for _ in range(extra_cells)]  # filled in later
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = lab.root / "player.ipynb"
    nbformat.write(notebook, path)
    namespace: dict[str, Any] = {}
    exec(SETUP, namespace)  # the scene the notebook shows, to compare pixels with

    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    errors = record_errors(page)
    try:
        page.goto(lab.url(f"lab/tree/{path.name}"))
        page.wait_for_function(
            "window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext",
            timeout=TIMEOUT,
        )
        page.evaluate(KERNEL_IDLE)
        outputs = page.evaluate(RUN_CELL, {"index": 0, "source": None})
        assert not [o for o in outputs if o.get("output_type") == "error"], outputs
        first = page.evaluate(FIRST_PICTURE, 1) / 1000
        yield Session(lab, page, namespace["scene"], first, errors)
    finally:
        page.screenshot(path=str(lab.root / "last.png"))
        context.close()


def frame_times(session: Session) -> np.ndarray:
    return np.asarray(session.scene["fields"]["time"].values, dtype=float)


def play(session: Session, speed: float, seconds: float = 10.0) -> dict[str, Any]:
    """Play from frame 0 at `speed` for 1 + `seconds` s; figures of the last `seconds`."""
    page = session.page
    page.select_option(".nsanim-speed", str(speed).rstrip("0").rstrip("."))
    page.wait_for_timeout(300)  # widget updates reach the kernel in their turn
    kernel_speed = session.output_text(2, "player.frame = 0\nplayer.speed")
    page.wait_for_selector(".nsanim-player[data-frame='0']", timeout=5000)
    return {
        "kernel_speed": kernel_speed,
        **playback(page.evaluate(PLAY, int(1000 * (1 + seconds))), seconds),
    }


def playback(result: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Figures of a PLAY result over its last `seconds` (the first second is left out).

    A gap between pictures is the player's only when the page ran animation frames
    through it: ``longest_stall_in_gap_ms`` is the longest stretch with no animation
    frame inside the longest gap, and ``longest_gap_beyond_stalls_ms`` the longest gap
    less the longest such stretch inside it (about one animation frame, 17 ms, when
    every frame was drawn in its moment). ``fewest_ahead`` is the fewest frames at hand
    after the one on screen; ``longest_task_ms`` the page's longest script task.
    """
    lo, hi = 1000.0, 1000.0 * (1 + seconds)
    seen = [(t - result["start"], f, a) for t, f, a in result["seen"]]
    window = [(t, f, a) for t, f, a in seen if lo <= t < hi]
    times = np.array([t for t, _, _ in window])
    frames = [f for _, f, _ in window]
    gaps = np.diff(times)
    ticks = np.sort([t - result["start"] for t in result.get("ticks", [])])

    def stall(a: float, b: float) -> float:
        # The picture at `a` was drawn in an animation frame that began a little before
        # (none recorded there: the record is wrong, NaN).
        inside = ticks[(ticks >= a - 20.0) & (ticks <= b)]
        return float(np.diff(np.r_[inside, b]).max()) if len(inside) else float("nan")

    stalls = np.array([stall(a, b) for a, b in itertools.pairwise(times)])
    ahead = [a for _, _, a in window if a is not None and np.isfinite(a)]
    tasks = [d for t, d in result.get("tasks", []) if lo <= t - result["start"] < hi]
    worst = int(np.argmax(gaps)) if len(gaps) else None
    return {
        "frames": frames,
        "distinct_per_s": len(set(frames)) / seconds,
        "longest_gap_ms": float(gaps.max()) if len(gaps) else float("inf"),
        "p95_gap_ms": float(np.percentile(gaps, 95)) if len(gaps) else float("inf"),
        "longest_stall_in_gap_ms": float(stalls[worst]) if worst is not None else float("inf"),
        "longest_gap_beyond_stalls_ms": (
            float((gaps - stalls).max()) if len(gaps) else float("inf")
        ),
        "fewest_ahead": int(min(ahead)) if ahead else None,
        "longest_task_ms": float(max(tasks, default=0.0)),
    }


def describe_playback(figures: dict[str, Any]) -> str:
    """A `playback` result in a benchmark table (the terms: `playback`)."""
    ahead = figures["fewest_ahead"]
    return (
        f"{figures['distinct_per_s']:.1f} frames/s; longest gap "
        f"{figures['longest_gap_ms']:.0f} ms ({figures['longest_stall_in_gap_ms']:.0f} of it "
        f"without animation frames); beyond such stalls "
        f"{figures['longest_gap_beyond_stalls_ms']:.0f} ms; "
        f"{'?' if ahead is None else ahead} frames ahead at least; "
        f"longest task {figures['longest_task_ms']:.0f} ms"
    )


def scrub(session: Session, targets: list[int], interval_ms: float = 0) -> dict[str, Any]:
    """Move the slider through `targets`; time until the last one is on screen."""
    times = frame_times(session)
    path = [[int(k), float(times[k])] for k in targets]
    return session.page.evaluate(SCRUB, {"targets": path, "interval": interval_ms})
