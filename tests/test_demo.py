"""`make demo` runs the real pipeline end to end and writes every output."""

from neurospatial.demo import main
from tests.animation.helpers import probe


def test_demo_writes_every_output(tmp_path, capsys):
    assert main([str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    for name in ("demo_scene.zarr", "camera.mp4", "demo.mp4", "demo.html", "demo_frame.png"):
        assert (tmp_path / name).exists(), name
        assert str((tmp_path / name).resolve()) in printed
    info = probe(tmp_path / "demo.mp4")
    assert info["frames"] == 300 and (info["width"], info["height"]) == (800, 600)
    html = (tmp_path / "demo.html").read_text(encoding="utf-8")
    assert "data:video/mp4;base64," in html and "https://" not in html
