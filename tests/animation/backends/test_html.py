import numpy as np
import pytest

from neurospatial.animation import PositionOverlay, animate, build_scene
from neurospatial.animation.backends.html import (
    HTML_CRF,
    HTML_PRESET,
    LONG_ANIMATION_FRAMES,
    estimate_html_mb,
)
from tests.animation.helpers import square_env


def _scene(n_frames, title="T", env=None):
    env = env or square_env()
    t = np.linspace(0, 1, n_frames)
    pos = np.column_stack([10 + 80 * t, 50 + 0 * t])
    fields = np.random.default_rng(0).random((n_frames, env.n_bins))
    return build_scene(
        env, fields, overlays=[PositionOverlay(pos, trail_length=3)], title=title, fps=25
    )


def test_auto_backend_writes_self_contained_html(tmp_path):
    out = animate(
        _scene(6, title="<script>alert(1)</script>"), save_path=tmp_path / "a.html", progress=False
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "data:video/mp4;base64," in text
    assert "http://" not in text and "https://" not in text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_size_limit_is_checked_before_rendering_long_animations(tmp_path, monkeypatch):
    from neurospatial.animation.backends import html as html_module

    scene = _scene(400)
    rendered = []
    original = html_module.export_video

    def spy(scene, path, **kwargs):
        rendered.append(scene["fields"].sizes["time"])
        return original(scene, path, **kwargs)

    monkeypatch.setattr(html_module, "export_video", spy)
    target = tmp_path / "big.html"
    target.write_text("keep me")
    with pytest.raises(ValueError, match="estimated at") as exc:
        animate(scene, save_path=target, progress=False, max_html_mb=0.05, dpi=50)
    message = str(exc.value)
    assert "max_html_mb=0.05" in message and "subsample_frames" in message
    assert "dpi=" in message and "video backend" in message
    assert rendered == [60 + 3]  # only the sample window (plus trail history) was rendered
    assert target.read_text() == "keep me"


def test_size_limit_is_checked_on_the_result_for_short_animations(tmp_path):
    with pytest.raises(ValueError, match="would be"):
        animate(_scene(20), save_path=tmp_path / "s.html", progress=False, max_html_mb=0.01)
    assert list(tmp_path.iterdir()) == []


def test_ten_thousand_frames_of_a_41x41_field_fit_the_default_limit():
    grid = np.linspace(0, 102.5, 41)
    xy = np.array(np.meshgrid(grid, grid)).reshape(2, -1).T
    from neurospatial import Environment

    env = Environment.from_samples(xy, bin_size=2.5)
    assert env.grid_shape == (42, 42) or env.n_bins >= 41 * 41
    n = 10_000
    t = np.arange(n) / 30.0
    centres = np.column_stack([50 + 40 * np.cos(t / 5), 50 + 40 * np.sin(t / 7)])
    rng = np.random.default_rng(0)
    fields = np.exp(-((env.bin_centers[None] - centres[:, None]) ** 2).sum(-1) / 200.0)
    fields += 0.05 * rng.random(fields.shape)  # posterior-like noise: every bin, every frame
    scene = build_scene(env, fields.astype(np.float32), fps=30)
    estimate = estimate_html_mb(
        scene, fps=30, dpi=100, show_colorbar=True, crf=HTML_CRF, preset=HTML_PRESET
    )  # the defaults
    assert estimate < 50.0, estimate


def test_html_options_are_checked(tmp_path):
    with pytest.raises(TypeError, match="Unknown option"):
        animate(_scene(3), save_path=tmp_path / "a.html", bitrate=1)
    with pytest.raises(ValueError, match="max_html_mb must be a positive number"):
        animate(_scene(3), save_path=tmp_path / "a.html", max_html_mb=0)


def test_long_animations_are_encoded_for_size(tmp_path, monkeypatch):
    from neurospatial.animation.backends import html as html_module

    seen = []
    original = html_module.export_video

    def spy(scene, path, **kwargs):
        seen.append((kwargs["preset"], kwargs["crf"]))
        return original(scene, path, **kwargs)

    monkeypatch.setattr(html_module, "export_video", spy)
    animate(_scene(5), save_path=tmp_path / "short.html", progress=False)
    assert seen[-1] == ("ultrafast", 26)
    n = LONG_ANIMATION_FRAMES + 1
    animate(_scene(n), save_path=tmp_path / "long.html", progress=False, dpi=20)
    assert seen[-1] == (HTML_PRESET, HTML_CRF)


def test_page_heading_only_when_the_frames_have_no_title(tmp_path):
    titled = animate(_scene(3, title="Session 7"), save_path=tmp_path / "t.html", progress=False)
    page = titled.read_text(encoding="utf-8")
    assert "<title>Session 7</title>" in page and "<h1" not in page  # drawn in the frames
    plain = animate(_scene(3, title=""), save_path=tmp_path / "p.html", progress=False)
    page = plain.read_text(encoding="utf-8")
    assert '<h1 id="ns-title">neurospatial animation</h1>' in page
