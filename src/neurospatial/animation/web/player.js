// The neurospatial live player: one browser module for the notebook widget
// (anywidget) and the served app.
//
// The browser owns the clock. It keeps a window of decoded frames around the
// playback position and asks the kernel for the frames it lacks with one message,
// {type: "want", gen, start, stop, step}; the kernel renders them with the
// compositor and answers with {type: "frames", gen, index: [...], cost} whose
// binary buffers are JPEGs, one per index, and cost its seconds per frame. A newer
// request replaces an older one on the kernel's side (one that extends it goes on
// where the kernel is), so a scrub is served next. Playing, a frame whose moment
// has passed is never drawn: the newest frame at hand not ahead of the clock is;
// when the kernel cannot render fps x speed frames a second, every step-th frame is
// asked for (data-step), the step adapting to how often the picture lags.
//
// Model traits used: n_frames, fps, image_width, image_height, _times (float64 bytes),
// frame, playing, speed, loop, layers, hidden, _generation, _poster,
// _poster_frame, title. For tests, the root element carries data-frame (the
// frame on screen), data-draws (pictures drawn), data-received (frames
// received) and data-ahead (frames at hand after the one on screen, set with
// data-frame).
//
// Two hosts run this module: anywidget in Jupyter (requests go out with
// model.send, the JPEGs arrive as the message's buffers) and Panel's
// AnyWidgetComponent in the served app, whose model has no send: there a request
// is a change of the `_want` property (numbered, so a repeat is still a change)
// and the JPEGs arrive inside the message, as `jpegs`.

const SPEEDS = [0.25, 0.5, 1, 2, 4];
const CACHE_FRAMES = 72; // decoded frames kept (800x600: ~2 MB each)
const AHEAD_S = 1.0; // seconds of playback asked for ahead of the clock
const MIN_AHEAD = 8; // frames
const RESEND_MS = 60; // at most one extension request this often while playing
const SCRUB_GAP_MS = 40; // paused: at most one request for a frame this often
const SETTLE_MS = 250; // paused this long after a seek: fetch the next frames too
const SYNC_MS = 100; // the kernel's `frame` is updated at most this often while scrubbing

function float64s(view) {
  if (!view) return new Float64Array(0);
  const bytes = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
  return new Float64Array(bytes);
}

function bytesOf(buffer) {
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function element(tag, className, parent, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function nearestFrame(times, t) {
  // The frame whose time is closest to t (times ascending).
  let lo = 0;
  let hi = times.length - 1;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(times[lo - 1] - t) <= Math.abs(times[lo] - t)) return lo - 1;
  return lo;
}

// Button icons as inline SVG (icon fonts and emoji glyphs are not everywhere).
const ICONS = {
  prev: "M3 2h2v12H3zM14 2v12L6 8z",
  next: "M11 2h2v12h-2zM2 2v12l8-6z",
  play: "M4 2v12l10-6z",
  pause: "M3 2h4v12H3zM9 2h4v12H9z",
};

function setIcon(button, name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  path.setAttribute("fill", "currentColor");
  svg.appendChild(path);
  button.replaceChildren(svg);
  button.dataset.icon = name;
}

function formatTime(t) {
  return `${t.toFixed(3)} s`;
}

function requester(model) {
  if (typeof model.send === "function") return (message) => model.send(message);
  let serial = 0;
  return (message) => {
    serial += 1;
    model.set("_want", { ...message, serial });
    model.save_changes();
  };
}

function render({ model, el }) {
  const ask = requester(model);
  const n = model.get("n_frames");
  const times = float64s(model.get("_times"));
  const width = model.get("image_width");
  const height = model.get("image_height");

  const root = element("div", "nsanim-player", el);
  root.tabIndex = 0;
  root.dataset.frame = "-1";
  root.dataset.draws = "0";
  root.dataset.received = "0";
  const canvas = element("canvas", "nsanim-canvas", root);
  canvas.width = width;
  canvas.height = height;
  canvas.setAttribute("aria-label", model.get("title") || "animation");
  const ctx = canvas.getContext("2d");

  const bar = element("div", "nsanim-controls", root);
  const prev = element("button", "nsanim-prev", bar);
  prev.title = "Previous frame (\u2190)";
  setIcon(prev, "prev");
  const play = element("button", "nsanim-play", bar);
  play.title = "Play / pause (space)";
  setIcon(play, "play");
  const next = element("button", "nsanim-next", bar);
  next.title = "Next frame (\u2192)";
  setIcon(next, "next");
  const slider = element("input", "nsanim-slider", bar);
  slider.type = "range";
  slider.min = String(times.length ? times[0] : 0);
  slider.max = String(times.length ? times[times.length - 1] : 0);
  slider.step = "any";
  slider.title = "Time (s)";
  const readout = element("span", "nsanim-readout", bar);
  const speedBox = element("select", "nsanim-speed", bar);
  speedBox.title = "Playback speed";
  for (const s of SPEEDS) {
    const option = element("option", "", speedBox, `${s}x`);
    option.value = String(s);
  }
  const loopLabel = element("label", "nsanim-loop", bar);
  const loopBox = element("input", "", loopLabel);
  loopBox.type = "checkbox";
  loopLabel.appendChild(document.createTextNode(" loop"));
  const layerBar = element("div", "nsanim-layers", root);
  const status = element("div", "nsanim-status", root);

  // ---------------------------------------------------------------- state
  let gen = model.get("_generation");
  const cache = new Map(); // frame -> ImageBitmap (this generation)
  let shown = -1; // frame on screen
  let shownGen = -1;
  let frame = Math.min(Math.max(model.get("frame"), 0), Math.max(n - 1, 0));
  let playing = false;
  let clockFrame = frame; // the frame the clock started from
  let clockStart = 0; // performance.now() when it started
  let request = null; // {gen, start, stop, step, sent}
  let draws = 0;
  let received = 0;
  let alive = true;
  let rafId = 0;

  function speed() {
    return Number(model.get("speed")) || 1;
  }

  function setStatus(text) {
    status.textContent = text;
  }

  function draw(bitmap, index) {
    ctx.drawImage(bitmap, 0, 0, width, height);
    shown = index;
    shownGen = gen;
    draws += 1;
    let ahead = 0;
    for (const k of cache.keys()) if (k > index) ahead += 1;
    root.dataset.ahead = String(ahead);
    root.dataset.frame = String(index);
    root.dataset.draws = String(draws);
  }

  function showReadout() {
    const at = playing && shown >= 0 ? shown : frame; // playing: the picture's frame
    const t = times.length ? times[at] : 0;
    readout.textContent = `t = ${formatTime(t)} \u00B7 frame ${at} / ${n - 1}`;
    if (document.activeElement !== slider) slider.value = String(t);
  }

  function evict() {
    if (cache.size <= CACHE_FRAMES) return;
    const order = [...cache.keys()].sort((a, b) => {
      const da = a < frame ? (frame - a) * 4 : a - frame; // keep what is ahead
      const db = b < frame ? (frame - b) * 4 : b - frame;
      return db - da;
    });
    for (const k of order.slice(0, cache.size - CACHE_FRAMES)) {
      cache.get(k).close();
      cache.delete(k);
    }
  }

  function clearCache() {
    for (const bitmap of cache.values()) bitmap.close();
    cache.clear();
    request = null;
  }

  function send(start, stop, step) {
    start = Math.max(0, start);
    stop = Math.min(n, stop);
    if (start >= stop) return;
    request = { gen, start, stop, step, sent: performance.now(), last: -1, answered: false };
    ask({ type: "want", gen, start, stop, step });
  }

  // What the kernel tells and what arrives: seconds per frame it spends rendering
  // (its "cost"), and the round trip from a request to its first frame.
  let kernelCost = 0;
  let latency = 0.1;
  function noteArrival(now, msg) {
    if (msg.cost > 0) kernelCost = msg.cost;
    if (!request || request.gen !== msg.gen) return;
    if (!request.answered) {
      request.answered = true;
      latency = 0.7 * latency + 0.3 * Math.min(1, (now - request.sent) / 1000);
    }
    for (const index of msg.index) {
      if (index >= request.start && index < request.stop) {
        request.last = Math.max(request.last, index);
      }
    }
  }

  // Every step-th frame is asked for when the kernel cannot render fps x speed.
  function stride() {
    const needed = model.get("fps") * speed();
    if (!kernelCost) return 1;
    return Math.max(1, Math.ceil(needed * kernelCost * 1.1));
  }

  function onGrid(k) {
    // The first frame >= k on the playback grid (clockFrame + j * playStep).
    const offset = k - clockFrame;
    return clockFrame + Math.max(0, Math.ceil(offset / playStep)) * playStep;
  }

  // Which frames the clock needs next and whether to ask for them.
  function want(now) {
    if (!playing) {
      if (!cache.has(frame)) {
        const covered = request && request.gen === gen && request.start === frame;
        // While the slider is dragged, one request per SCRUB_GAP_MS (the next
        // animation frame asks for where the slider is then): fewer frames in flight.
        const recent = request && now - request.sent < SCRUB_GAP_MS;
        if (!covered && !recent) send(frame, frame + 1, 1);
        return;
      }
      // Paused with the frame on screen: have the next ones ready for play and step
      // (once the slider has rested a moment: during a drag they would only delay it).
      if (now - lastSeek < SETTLE_MS) return;
      const stop = Math.min(n, frame + 1 + MIN_AHEAD);
      for (let k = frame + 1; k < stop; k += 1) {
        if (cache.has(k)) continue;
        const covered = request && request.gen === gen && request.step === 1 &&
          request.start <= k && k < request.stop;
        if (!covered) send(k, stop, 1);
        return;
      }
      return;
    }
    const step = playStep;
    const rate = model.get("fps") * speed();
    const ahead = Math.max(MIN_AHEAD * step, Math.ceil(AHEAD_S * rate));
    const stop = Math.min(n, frame + ahead);
    let first = -1;
    for (let k = onGrid(frame + 1); k < stop; k += step) {
      if (!cache.has(k)) {
        first = k;
        break;
      }
    }
    if (first < 0) return;
    // A frame asked for now arrives after the round trip: ask from there on.
    const reachable = onGrid(frame + Math.ceil(latency * rate) + 1);
    const r = request;
    const current = r && r.gen === gen && r.step === step && (r.start - clockFrame) % step === 0;
    if (current && r.start <= first && first < r.stop) {
      const next = r.last >= 0 ? r.last + step : r.start; // where the kernel is
      if (next <= frame && now - r.sent > 1000 * latency + RESEND_MS) {
        send(reachable, reachable + ahead, step); // it is behind the clock: skip ahead
      } else if (r.stop < Math.min(n, frame + ahead / 2) && now - r.sent > RESEND_MS) {
        send(first, stop, step); // extend (the kernel goes on where it is)
      }
      return;
    }
    if (!current || now - r.sent > RESEND_MS) {
      const from = Math.max(first, reachable);
      send(from, Math.max(stop, from + MIN_AHEAD * step), step);
    }
  }

  let playStep = 1;
  function clockTarget(now) {
    // rAF's timestamp is the frame's start, which can precede the clock's start.
    const elapsed = Math.max(0, now - clockStart) / 1000;
    return clockFrame + Math.floor(elapsed * model.get("fps") * speed());
  }

  function restartClock(now) {
    clockFrame = frame;
    clockStart = now;
    playStep = stride();
    root.dataset.step = String(playStep);
    pace.since = now;
    pace.ticks = 0;
    pace.late = 0;
    pace.calm = 0;
  }

  // Playing: the newest frame at hand that is not ahead of the clock (late frames
  // are skipped, never queued).
  function showPlaying() {
    let best = -1;
    for (const k of cache.keys()) {
      if (k <= frame && k > best && (k >= clockFrame || k === shown)) best = k;
    }
    if (best >= 0 && (best !== shown || shownGen !== gen)) draw(cache.get(best), best);
  }

  // Each second of playback: if the picture lagged the clock too often, ask for
  // fewer frames (a larger step); after three calm seconds, try one step less.
  const pace = { since: 0, ticks: 0, late: 0, calm: 0 };
  function adaptStep(now) {
    const rate = model.get("fps") * speed();
    if (shown >= 0 && frame - shown > Math.max(2 * playStep, Math.ceil(0.15 * rate))) {
      pace.late += 1;
    }
    pace.ticks += 1;
    if (now - pace.since < 1000) return;
    const late = pace.late / Math.max(1, pace.ticks);
    let next = playStep;
    if (late > 0.25) {
      next = playStep + Math.max(1, Math.round(playStep / 2));
      pace.calm = 0;
    } else if (late < 0.02) {
      pace.calm += 1;
      if (pace.calm >= 3) {
        next = playStep - 1;
        pace.calm = 0;
      }
    } else {
      pace.calm = 0;
    }
    next = Math.max(next, stride());
    if (next !== playStep) {
      clockFrame = clockTarget(now);
      clockStart = now;
      playStep = next;
      root.dataset.step = String(playStep);
    }
    pace.since = now;
    pace.ticks = 0;
    pace.late = 0;
  }

  function tick(now) {
    if (!alive) return;
    if (playing) {
      adaptStep(now);
      let target = clockTarget(now);
      if (target >= n) {
        if (model.get("loop") && n > 1) {
          frame = 0;
          restartClock(now);
          target = 0;
        } else {
          target = n - 1;
        }
      }
      frame = target;
      want(now);
      showPlaying();
      showReadout();
      if (clockTarget(now) >= n && !model.get("loop") && shown === n - 1) {
        setPlaying(false, true);
      }
    } else {
      want(now);
      show();
    }
    evict();
    rafId = requestAnimationFrame(tick);
  }

  // The kernel's `frame` trait follows the paused frame, at most every SYNC_MS
  // while scrubbing (each update is a message, echoed back) and always at the end.
  let syncTimer = 0;
  let lastSync = 0;
  function syncFrame() {
    if (syncTimer) return;
    const wait = lastSync + SYNC_MS - performance.now();
    if (wait > 0) {
      syncTimer = setTimeout(() => {
        syncTimer = 0;
        syncFrame();
      }, wait);
      return;
    }
    lastSync = performance.now();
    if (model.get("frame") !== frame) {
      model.set("frame", frame);
      model.save_changes();
    }
  }

  function setPlaying(value, sync) {
    playing = value;
    setIcon(play, playing ? "pause" : "play");
    root.dataset.playing = playing ? "true" : "false";
    if (playing) {
      if (frame >= n - 1 && !model.get("loop")) frame = 0;
      restartClock(performance.now());
    } else {
      if (shown >= 0 && shownGen === gen) frame = shown; // the slider shows the picture
      showReadout();
      syncFrame();
    }
    if (sync && model.get("playing") !== playing) {
      model.set("playing", playing);
      model.save_changes();
    }
  }

  function show() {
    if (shown === frame && shownGen === gen) return;
    const bitmap = cache.get(frame);
    if (bitmap) draw(bitmap, frame);
  }

  let lastSeek = 0;
  function seek(index) {
    lastSeek = performance.now();
    frame = Math.min(Math.max(Math.round(index), 0), n - 1);
    if (playing) restartClock(performance.now());
    showReadout();
    if (!playing) syncFrame();
    want(performance.now()); // ask now, not at the next animation frame
    show();
  }

  // ---------------------------------------------------------------- kernel
  function onMessage(msg, buffers) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "error") {
      setStatus(msg.message);
      return;
    }
    if (msg.type !== "frames" || msg.gen !== gen) return;
    const jpegs = buffers && buffers.length ? buffers : msg.jpegs || [];
    noteArrival(performance.now(), msg);
    msg.index.forEach((index, k) => {
      received += 1;
      root.dataset.received = String(received);
      const blob = new Blob([bytesOf(jpegs[k])], { type: "image/jpeg" });
      createImageBitmap(blob).then((bitmap) => {
        if (!alive || msg.gen !== gen) {
          bitmap.close();
          return;
        }
        const old = cache.get(index);
        if (old) old.close();
        cache.set(index, bitmap);
        if (!playing && index === frame) show(); // a scrub's target: draw it now
      });
    });
  }
  model.on("msg:custom", onMessage);

  function onGeneration() {
    gen = model.get("_generation");
    clearCache();
  }
  model.on("change:_generation", onGeneration);

  function onFrame() {
    const value = model.get("frame");
    if (value !== frame) seek(value);
  }
  model.on("change:frame", onFrame);

  function onPlaying() {
    if (model.get("playing") !== playing) setPlaying(model.get("playing"), false);
  }
  model.on("change:playing", onPlaying);

  function onSpeed() {
    speedBox.value = String(speed());
    if (playing) restartClock(performance.now());
  }
  model.on("change:speed", onSpeed);

  function onLoop() {
    loopBox.checked = Boolean(model.get("loop"));
  }
  model.on("change:loop", onLoop);

  // ---------------------------------------------------------------- layers
  const layerBoxes = new Map();
  for (const name of model.get("layers")) {
    const label = element("label", "nsanim-layer", layerBar);
    const box = element("input", "", label);
    box.type = "checkbox";
    box.value = name;
    box.dataset.layer = name;
    label.appendChild(document.createTextNode(` ${name}`));
    box.addEventListener("change", () => {
      const hidden = [...layerBoxes.entries()].filter(([, b]) => !b.checked).map(([k]) => k);
      model.set("hidden", hidden);
      model.save_changes();
    });
    layerBoxes.set(name, box);
  }
  function onHidden() {
    const hidden = new Set(model.get("hidden"));
    for (const [name, box] of layerBoxes) box.checked = !hidden.has(name);
  }
  model.on("change:hidden", onHidden);

  // ---------------------------------------------------------------- controls
  play.addEventListener("click", () => setPlaying(!playing, true));
  prev.addEventListener("click", () => {
    if (playing) setPlaying(false, true);
    seek(frame - 1);
  });
  next.addEventListener("click", () => {
    if (playing) setPlaying(false, true);
    seek(frame + 1);
  });
  slider.addEventListener("input", () => {
    seek(nearestFrame(times, Number(slider.value)));
  });
  speedBox.addEventListener("change", () => {
    model.set("speed", Number(speedBox.value));
    model.save_changes();
    onSpeed();
  });
  loopBox.addEventListener("change", () => {
    model.set("loop", loopBox.checked);
    model.save_changes();
  });
  root.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLSelectElement) return;
    if (event.key === " ") {
      setPlaying(!playing, true);
    } else if (event.key === "ArrowLeft") {
      if (playing) setPlaying(false, true);
      seek(frame - 1);
    } else if (event.key === "ArrowRight") {
      if (playing) setPlaying(false, true);
      seek(frame + 1);
    } else {
      return;
    }
    event.preventDefault();
  });

  // ---------------------------------------------------------------- start
  const poster = model.get("_poster");
  if (poster && poster.byteLength) {
    const posterFrame = model.get("_poster_frame");
    createImageBitmap(new Blob([bytesOf(poster)], { type: "image/jpeg" })).then((bitmap) => {
      if (alive && shown < 0) {
        draw(bitmap, posterFrame);
        if (!cache.has(posterFrame) && gen === model.get("_generation")) {
          cache.set(posterFrame, bitmap);
        }
      }
    });
  }
  onSpeed();
  onLoop();
  onHidden();
  showReadout();
  setStatus("");
  if (model.get("playing")) setPlaying(true, false);
  rafId = requestAnimationFrame(tick);

  return () => {
    alive = false;
    cancelAnimationFrame(rafId);
    clearTimeout(syncTimer);
    model.off("msg:custom", onMessage);
    model.off("change:_generation", onGeneration);
    model.off("change:frame", onFrame);
    model.off("change:playing", onPlaying);
    model.off("change:speed", onSpeed);
    model.off("change:loop", onLoop);
    model.off("change:hidden", onHidden);
    clearCache();
  };
}

export default { render };
