"""The ``neurospatial`` command, run in a subprocess as a user runs it."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.animation.helpers import probe

COMMAND = [str(Path(sys.executable).with_name("neurospatial"))]


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`neurospatial demo --out DIR`: the folder it wrote."""
    cwd = tmp_path_factory.mktemp("cli")
    done = run("demo", "--out", "demo_output", cwd=cwd)  # as in the README
    assert done.returncode == 0, done.stderr
    out = cwd / "demo_output"
    for name in ("demo_scene.zarr", "demo.mp4", "demo.html", "demo_frame.png", "demo.ipynb"):
        assert str((out / name).resolve()) in done.stdout, name
    return out


def _readme_commands() -> list[str]:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("neurospatial ")]


def test_the_readmes_commands_run(demo):
    commands = _readme_commands()
    assert {c.split()[1] for c in commands} == {"demo", "info", "render", "serve"}
    for command in commands:
        # demo: the fixture ran it; serve runs until stopped (tests/browser/test_app.py).
        if command.split()[1] in ("demo", "serve"):
            continue
        done = run(*shlex.split(command)[1:], cwd=demo.parent)
        assert done.returncode == 0, (command, done.stderr)
    assert probe(demo.parent / "clip.webm")["frames"] > 0


def test_info_prints_the_scene_and_json_for_scripts(demo):
    text = run("info", "demo_scene.zarr", cwd=demo)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "demo_scene.zarr: Place field emerging during exploration"
    assert lines[1].startswith("  frames       300 at 30 frames/s, t = 1.000 .. ")
    assert "grid, 2D, 857 bins, units cm" in lines[2]
    assert [line.split(":")[0].split()[-1] for line in lines if "overlay " in line] == [
        "video",
        "position",
        "bodypart",
        "head_direction",
    ]
    assert "  region       reward (point)" in lines and "  region       nest (polygon)" in lines
    data = json.loads(run("info", "--json", "demo_scene.zarr", cwd=demo).stdout)
    assert data["frames"] == 300 and data["fps"] == 30.0
    assert data["environment"]["bins"] == 857 and data["environment"]["dims"] == 2
    position = next(o for o in data["overlays"] if o["name"] == "position")
    assert position["kind"] == "position" and position["samples"] == 22_500
    assert {r["name"] for r in data["regions"]} == {"reward", "nest"}


def test_render_writes_video_and_html_with_the_options(demo):
    done = run(
        "render",
        "demo_scene.zarr",
        "small.webm",
        "--dpi",
        "50",
        "--fps",
        "15",
        "--cmap",
        "magma",
        "--vmax",
        "5",
        "--preset",
        "ultrafast",
        "--no-progress",
        cwd=demo,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str((demo / "small.webm").resolve())
    info = probe(demo / "small.webm")
    assert info["frames"] == 300 and (info["width"], info["height"]) == (400, 300)
    part = run(
        "render",
        "demo_scene.zarr",
        "part.mp4",
        "--start",
        "100",
        "--stop",
        "130",
        "--dpi",
        "50",
        "--no-progress",
        cwd=demo,
    )
    assert part.returncode == 0, part.stderr
    assert probe(demo / "part.mp4")["frames"] == 30
    page = run("render", "demo_scene.zarr", "page.html", "--dpi", "50", "--no-progress", cwd=demo)
    assert page.returncode == 0, page.stderr
    assert "data:video/mp4;base64," in (demo / "page.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("info", "missing.zarr"), "No scene at 'missing.zarr': the path does not exist."),
        (("info", "."), "'.' is not a neurospatial scene."),
        (("render", "demo_scene.zarr", "x.gif"), "cannot choose a backend for save_path='x.gif'"),
        (("render", "demo_scene.zarr", "x.mp4", "--vmin", "5", "--vmax", "1"), "--vmin 5.0 is"),
        (("render", "demo_scene.zarr", "x.mp4", "--cmap", "nope"), "cmap='nope' is not a"),
        (("render", "demo_scene.zarr", "x.mp4", "--fps", "0"), "fps must be a positive number"),
        (("render", "demo_scene.zarr", "x.mp4", "--start", "400"), "selects no contiguous frames"),
        (("serve", "missing.zarr"), "No scene at 'missing.zarr': the path does not exist."),
        (("serve", "."), "'.' is not a neurospatial scene."),
        # TEST-NET-1: an address of no machine here.
        (("serve", "demo_scene.zarr", "--address", "192.0.2.1"), "Cannot listen on 192.0.2.1:"),
    ],
)
def test_bad_input_gets_our_message_and_no_traceback(demo, args, message):
    done = run(*args, cwd=demo)
    assert done.returncode == 2
    assert done.stderr.startswith("neurospatial: ") and message in done.stderr
    assert "WHY:" in done.stderr and "HOW:" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not (demo / "x.mp4").exists()


def test_serve_beyond_loopback_warns_and_a_port_in_use_is_named(demo):
    import socket

    done = run("serve", "demo_scene.zarr", "--address", "192.0.2.1", "--port", "5999", cwd=demo)
    assert done.returncode == 2
    assert done.stderr.startswith("neurospatial: warning: listening on 192.0.2.1: anyone")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run("serve", "demo_scene.zarr", "--port", port, cwd=demo)
    assert busy.returncode == 2 and "warning" not in busy.stderr
    assert busy.stderr.startswith(f"neurospatial: Cannot listen on 127.0.0.1:{port}: ")
    assert "--port" in busy.stderr and "Traceback" not in busy.stderr and busy.stdout == ""


def test_truncated_stores_are_named_as_such(demo, tmp_path):
    import shutil

    no_field = tmp_path / "no_field.zarr"
    shutil.copytree(demo / "demo_scene.zarr", no_field)
    (no_field / "fields" / "field" / "zarr.json").unlink()
    done = run("info", no_field, cwd=demo)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"neurospatial: '{no_field}' is an incomplete scene: ")
    assert "['fields/field'] missing" in done.stderr and "HOW:" in done.stderr
    assert "ZarrUserWarning" not in done.stderr

    no_chunks = tmp_path / "no_chunks.zarr"
    shutil.copytree(demo / "demo_scene.zarr", no_chunks)
    shutil.rmtree(no_chunks / "overlays" / "position" / "position" / "c")
    info = run("info", no_chunks, cwd=demo)
    assert info.returncode == 0
    assert "  incomplete   overlays/position/position: 0 of 6 chunks stored" in info.stdout
    data = json.loads(run("info", "--json", no_chunks, cwd=demo).stdout)
    assert data["missing_chunks"] == {"overlays/position/position": {"stored": 0, "expected": 6}}
    assert (
        json.loads(run("info", "--json", "demo_scene.zarr", cwd=demo).stdout)["missing_chunks"]
        == {}
    )
    render = run("render", no_chunks, tmp_path / "x.mp4", "--dpi", "40", "--stop", "5", cwd=demo)
    assert render.returncode == 0
    assert "warning: overlays/position/position has 0 of 6 chunks" in render.stderr


def test_debug_shows_the_traceback_and_usage_errors_are_clicks(demo):
    done = run("--debug", "info", "missing.zarr", cwd=demo)
    assert done.returncode != 0 and "Traceback" in done.stderr
    usage = run("render", "demo_scene.zarr", "x.mp4", "--crf", "abc", cwd=demo)
    assert usage.returncode == 2 and "'abc' is not a valid integer" in usage.stderr
