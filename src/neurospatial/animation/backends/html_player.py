"""A self-contained, offline HTML page that plays an embedded H.264 MP4 frame by frame.

`build_html` is pure: it takes the encoded video and returns one HTML string with
inline CSS and JavaScript. The video travels inside the page as a base64
``data:video/mp4`` URL, so the file opens by double-click (``file://``) with no
network access at all; a Content-Security-Policy in the page forbids fetching
anything that is not inline.

The player assumes the MP4 has a constant frame rate ``fps`` with frame ``i``
presented at ``i / fps``. Showing frame ``i`` seeks to ``(i + 0.5) / fps``, the
middle of that frame's display interval, so rounding in the container's time
base can never land on a neighbouring frame.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Sequence

__all__ = ["build_html"]


def build_html(
    video_mp4: bytes,
    *,
    title: str,
    frame_times: Sequence[float],
    fps: float,
    width: int,
    height: int,
    text: str | None = None,
    show_heading: bool = True,
) -> str:
    """Return a standalone HTML page with a frame-accurate player for `video_mp4`.

    Parameters
    ----------
    video_mp4 : bytes
        A complete H.264 MP4 (yuv420p, ``+faststart``) with constant frame rate
        `fps` and exactly ``len(frame_times)`` frames.
    title : str
        Shown as the page heading and the window title (HTML-escaped).
    frame_times : sequence of float
        The time, in seconds, shown for each frame; its length is the frame count.
    fps : float
        The video's frame rate.
    width, height : int
        The video's size in pixels; the player shows it at this natural size.
    text : str, optional
        A caption under the title (HTML-escaped; line breaks are kept).
    show_heading : bool
        Put the title on the page as a heading; False when the frames show it already.

    Returns
    -------
    str
        The whole page. It loads nothing from the network.
    """
    data = bytes(video_mp4)
    if not data:
        raise ValueError("video_mp4 is empty; pass the bytes of an encoded MP4.")
    times = [float(t) for t in frame_times]
    if not times:
        raise ValueError("frame_times is empty; the player needs at least one frame.")
    if not all(math.isfinite(t) for t in times):
        raise ValueError("frame_times must be finite (no NaN or infinity).")
    rate = float(fps)
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"fps must be a positive finite number, got {fps!r}.")
    w, h = _positive_int(width, "width"), _positive_int(height, "height")

    config = _json_for_script({"fps": rate, "nFrames": len(times), "frameTimes": times})
    heading = html.escape(title)
    caption = "" if text is None else f'<p class="ns-text">{html.escape(text)}</p>\n'
    if show_heading:
        caption = f'<h1 id="ns-title">{heading}</h1>\n' + caption
    video_url = "data:video/mp4;base64," + base64.b64encode(data).decode("ascii")
    last = len(times) - 1

    return _PAGE.format(
        title=heading,
        caption=caption,
        css=_CSS.replace("__WIDTH__", str(w)),
        width=w,
        height=h,
        video_url=video_url,
        last=last,
        config=config,
        script=_SCRIPT,
    )


def _positive_int(value: int, name: str) -> int:
    number = int(value)
    if number != value or number <= 0:
        raise ValueError(f"{name} must be a positive whole number of pixels, got {value!r}.")
    return number


def _json_for_script(value: object) -> str:
    """JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes so no ``</script>`` or
    ``<!--`` can end or alter the block; U+2028/U+2029 are escaped as well.
    """
    text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


_CSP = (
    "default-src 'none'; img-src data:; media-src data: blob:; "
    "style-src 'unsafe-inline'; script-src 'unsafe-inline'"
)

_PAGE = (
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content=\""""
    + _CSP
    + """\">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>
{css}
</style>
</head>
<body>
<main class="ns-card">
{caption}<video id="ns-video" width="{width}" height="{height}" preload="auto" muted
 playsinline loop src="{video_url}"></video>
<p id="ns-error" class="ns-error" role="alert" hidden></p>
<input id="ns-slider" type="range" min="0" max="{last}" step="1" value="0"
 aria-label="Frame">
<div class="ns-controls">
<div class="ns-group">
<button id="ns-prev" type="button" title="Previous frame (Left arrow)"
 aria-label="Previous frame">&#9664;&#xFE0E;</button>
<button id="ns-play" type="button" title="Play / pause (Space)">Play</button>
<button id="ns-next" type="button" title="Next frame (Right arrow)"
 aria-label="Next frame">&#9654;&#xFE0E;</button>
</div>
<output id="ns-label" class="ns-label" aria-live="off"></output>
<div class="ns-group">
<label class="ns-option">Speed
<select id="ns-speed">
<option value="0.25">0.25&times;</option>
<option value="0.5">0.5&times;</option>
<option value="1" selected>1&times;</option>
<option value="2">2&times;</option>
<option value="4">4&times;</option>
</select></label>
<label class="ns-option"><input id="ns-loop" type="checkbox" checked> Loop</label>
</div>
</div>
<p class="ns-help">Space: play/pause &middot; &larr; / &rarr;: step one frame</p>
</main>
<script type="application/json" id="ns-data">{config}</script>
<script>
{script}
</script>
</body>
</html>
"""
)

_CSS = """\
:root { color-scheme: light; }
* { box-sizing: border-box; }
body {
  margin: 0; padding: 24px; background: #eef0f3; color: #1d2129;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
.ns-card {
  width: max(calc(__WIDTH__px + 40px), 40rem); max-width: 100%; margin: 0 auto; padding: 16px 20px;
  background: #fff; border-radius: 10px; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.12);
}
h1 { margin: 0 0 8px; font-size: 1.25rem; font-weight: 600; overflow-wrap: anywhere; }
.ns-text { margin: 0 0 12px; color: #4a505a; white-space: pre-line; overflow-wrap: anywhere; }
video {
  display: block; margin: 0 auto; width: __WIDTH__px; max-width: 100%; height: auto;
  background: #000; cursor: pointer;
}
.ns-error { margin: 8px 0 0; color: #b3261e; }
#ns-slider { display: block; width: 100%; margin: 12px 0 8px; accent-color: #2f6fde; }
.ns-controls {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between;
  gap: 8px 16px;
}
.ns-group { display: flex; align-items: center; gap: 6px; }
button, select {
  font: inherit; color: inherit; background: #f5f6f8; border: 1px solid #c6cad2;
  border-radius: 6px; height: 30px; padding: 0 10px; cursor: pointer;
}
button:hover, select:hover { background: #e8eaee; }
button:focus-visible, select:focus-visible, input:focus-visible {
  outline: 2px solid #2f6fde; outline-offset: 1px;
}
#ns-play { min-width: 4.75rem; }
.ns-label { font-variant-numeric: tabular-nums; white-space: nowrap; }
.ns-option { display: inline-flex; align-items: center; gap: 4px; cursor: pointer; }
.ns-help { margin: 10px 0 0; color: #6b717c; font-size: 12px; }"""

_SCRIPT = """\
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("ns-data").textContent);
  var fps = config.fps;
  var times = config.frameTimes;
  var n = config.nFrames;
  var video = document.getElementById("ns-video");
  var slider = document.getElementById("ns-slider");
  var label = document.getElementById("ns-label");
  var playButton = document.getElementById("ns-play");
  var prevButton = document.getElementById("ns-prev");
  var nextButton = document.getElementById("ns-next");
  var speed = document.getElementById("ns-speed");
  var loop = document.getElementById("ns-loop");
  var errorBox = document.getElementById("ns-error");

  var current = 0;  // frame shown in the label
  var target = 0;   // frame most recently asked for by a seek
  var waiters = []; // resolvers of seek() promises not yet settled
  var hasFrameCallback = "requestVideoFrameCallback" in HTMLVideoElement.prototype;

  function clamp(i) {
    return Math.min(n - 1, Math.max(0, i));
  }

  // Frame on screen at media time t. The small epsilon absorbs the microsecond
  // rounding of browser media clocks (t = i / fps may come back a hair early).
  function frameAt(t) {
    return clamp(Math.floor(t * fps + 1e-3));
  }

  function show(i) {
    current = i;
    label.textContent = "t = " + times[i].toFixed(2) + " s \\u00b7 frame " + i + " / " + n;
    slider.value = String(i);
  }

  function settle() {
    show(target);
    var pending = waiters;
    waiters = [];
    pending.forEach(function (resolve) { resolve(target); });
  }

  function startSeek() {
    var t = (target + 0.5) / fps;
    if (!video.seeking && Math.abs(video.currentTime - t) < 1e-9) {
      settle();
    } else {
      video.currentTime = t;
    }
  }

  // Pause and show frame i; resolves (with the frame shown) after 'seeked'.
  function seek(i) {
    var index = Math.round(Number(i));
    target = clamp(isFinite(index) ? index : 0);
    video.pause();
    slider.value = String(target);
    return new Promise(function (resolve) {
      waiters.push(resolve);
      if (video.readyState >= 1) startSeek();  // else: on 'loadedmetadata'
    });
  }

  function step(delta) {
    var from = video.paused ? target : current;
    seek(from + delta);
  }

  function togglePlay() {
    if (video.paused || video.ended) {
      if (!video.loop && current >= n - 1) video.currentTime = 0;
      var started = video.play();
      if (started && started.catch) started.catch(function () {});
    } else {
      video.pause();
      seek(frameAt(video.currentTime));
    }
  }

  function syncPlayButton() {
    var playing = !video.paused && !video.ended;
    playButton.textContent = playing ? "Pause" : "Play";
    playButton.setAttribute("aria-pressed", playing ? "true" : "false");
  }

  video.addEventListener("loadedmetadata", function () {
    if (waiters.length) startSeek();
  });
  // 'seeked' means the element has the new frame, not that it is on screen yet:
  // update the label once the frame is presented (or after a short fallback
  // delay, since re-showing an identical frame may present nothing new).
  var seekCount = 0;
  video.addEventListener("seeked", function () {
    // A later seek may already be under way; wait for that one to finish.
    if (video.seeking || !waiters.length) return;
    var id = ++seekCount;
    var done = false;
    var finish = function () {
      if (done) return;
      done = true;
      if (id === seekCount && !video.seeking && waiters.length) settle();
    };
    if (hasFrameCallback) video.requestVideoFrameCallback(finish);
    else requestAnimationFrame(function () { requestAnimationFrame(finish); });
    setTimeout(finish, 500);
  });
  video.addEventListener("play", syncPlayButton);
  video.addEventListener("pause", syncPlayButton);
  video.addEventListener("ended", function () {
    target = n - 1;
    show(n - 1);
    syncPlayButton();
  });
  video.addEventListener("error", function () {
    errorBox.textContent = "This browser could not play the embedded H.264 (MP4) video.";
    errorBox.hidden = false;
  });

  function onPlaybackTime(t) {
    if (!video.paused && !video.seeking) {
      var i = frameAt(t);
      target = i;
      if (i !== current) show(i);
    }
  }
  if (hasFrameCallback) {
    var onFrame = function (now, meta) {
      onPlaybackTime(meta.mediaTime);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  } else {
    video.addEventListener("timeupdate", function () {
      onPlaybackTime(video.currentTime);
    });
  }

  playButton.addEventListener("click", togglePlay);
  video.addEventListener("click", togglePlay);
  prevButton.addEventListener("click", function () { step(-1); });
  nextButton.addEventListener("click", function () { step(1); });
  slider.addEventListener("input", function () { seek(Number(slider.value)); });
  speed.addEventListener("change", function () {
    video.playbackRate = Number(speed.value);
  });
  loop.addEventListener("change", function () { video.loop = loop.checked; });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var el = event.target;
    var tag = el && el.tagName;
    if (tag === "SELECT" || tag === "TEXTAREA") return;
    if (tag === "INPUT" && el.type !== "range") return;
    if (event.key === " " || event.key === "Spacebar") {
      event.preventDefault();  // also stops a focused button from "clicking"
      if (!event.repeat) togglePlay();
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      event.preventDefault();  // a focused slider must not move by itself too
      step(event.key === "ArrowLeft" ? -1 : 1);
    }
  });

  // The browser may restore form state on reload; make the video agree with it.
  video.loop = loop.checked;
  video.playbackRate = Number(speed.value);
  show(0);
  syncPlayButton();

  window.nsPlayer = {
    frame: function () { return current; },
    // Seeks not settled yet (0: the frame on screen is the one labelled).
    pending: function () { return waiters.length; },
    seek: seek,
    nFrames: n,
    frameAt: frameAt
  };
})();"""
