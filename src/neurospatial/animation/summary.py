"""A scene's contents as plain data and as text (``neurospatial info``, the demo)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["format_summary", "scene_summary"]


def scene_summary(scene: Any) -> dict[str, Any]:
    """A scene's contents as plain data (what ``neurospatial info`` prints)."""
    import numpy as np

    from neurospatial.animation.scene import scene_environment

    times = np.asarray(scene["fields"]["time"].values, dtype=float)
    env = scene_environment(scene)
    extent = [[float(lo), float(hi)] for lo, hi in env.dimension_ranges]
    overlays = []
    if "overlays" in scene.children:
        for name in json.loads(scene.attrs.get("overlays", "[]")):  # in drawing order
            node = scene["overlays"][name]
            t = np.asarray(node["time"].values, dtype=float)
            overlays.append(
                {
                    "name": name,
                    "kind": node.attrs.get("kind"),
                    "samples": len(t),
                    "time_range_s": [float(t[0]), float(t[-1])] if len(t) else None,
                }
            )
    return {
        "title": scene.attrs.get("title") or "",
        "frames": len(times),
        "fps": float(scene.attrs["fps"]),
        "time_range_s": [float(times[0]), float(times[-1])] if len(times) else None,
        "duration_s": float(times[-1] - times[0]) if len(times) else 0.0,
        "environment": {
            "layout": env.layout,
            "dims": env.n_dims,
            "bins": env.n_bins,
            "units": env.units,
            "extent": extent,
        },
        "colour": {
            "cmap": scene.attrs["cmap"],
            "vmin": float(scene.attrs["vmin"]),
            "vmax": float(scene.attrs["vmax"]),
        },
        "overlays": overlays,
        "regions": [{"name": name, "kind": region.kind} for name, region in env.regions.items()],
    }


def format_summary(s: dict[str, Any]) -> str:
    """`scene_summary` as text (with ``s["path"]``, if set, on the first line)."""
    env = s["environment"]
    t = s["time_range_s"] or [0.0, 0.0]
    extent = " x ".join(f"[{lo:g}, {hi:g}]" for lo, hi in env["extent"])
    lines = [
        f"{s['path'] + ': ' if s.get('path') else ''}{s['title'] or '(untitled)'}",
        f"  frames       {s['frames']} at {s['fps']:g} frames/s, "
        f"t = {t[0]:.3f} .. {t[1]:.3f} s ({s['duration_s']:.3f} s)",
        f"  environment  {env['layout']}, {env['dims']}D, {env['bins']} bins, "
        f"units {env['units']}, extent {extent}",
        f"  colour       {s['colour']['cmap']}, {s['colour']['vmin']:g} .. {s['colour']['vmax']:g}",
    ]
    for o in s["overlays"]:
        span = o["time_range_s"]
        when = f"t = {span[0]:.3f} .. {span[1]:.3f} s" if span else "no samples"
        lines.append(f"  overlay      {o['name']}: {o['kind']}, {o['samples']} samples, {when}")
    for r in s["regions"]:
        lines.append(f"  region       {r['name']} ({r['kind']})")
    for name, counts in s.get("missing_chunks", {}).items():
        lines.append(
            f"  incomplete   {name}: {counts['stored']} of {counts['expected']} chunks stored"
            " (absent chunks read as NaN; was the writing interrupted?)"
        )
    return "\n".join(lines)
