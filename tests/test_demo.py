"""`make demo` runs the real pipeline end to end and writes every output."""

import pytest

from neurospatial.demo import main
from tests.animation.helpers import probe


def test_demo_writes_every_output(tmp_path, capsys):
    assert main([str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    names = ("demo_scene.zarr", "camera.mp4", "demo.mp4", "demo.html", "demo_frame.png")
    for name in (*names, "demo.ipynb"):
        assert (tmp_path / name).exists(), name
        assert str((tmp_path / name).resolve()) in printed
    info = probe(tmp_path / "demo.mp4")
    assert info["frames"] == 300 and (info["width"], info["height"]) == (800, 600)
    html = (tmp_path / "demo.html").read_text(encoding="utf-8")
    assert "data:video/mp4;base64," in html and "https://" not in html
    # The notebook runs: the player opens the stored scene, the HoloViews view follows.
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(str(tmp_path / "demo.ipynb"), as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    player, view = (c.outputs for c in notebook.cells if c.cell_type == "code")
    assert "application/vnd.jupyter.widget-view+json" in player[0]["data"]
    assert not [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert view
