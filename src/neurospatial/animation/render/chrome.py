"""Static figure chrome, drawn once per export with matplotlib (Agg).

The figure – title, axes with ticks and units, colorbar – is rendered once into
an RGB image. The same figure gives the exact world -> pixel transform (from
``ax.transData``), the axes' pixel rectangle, a transparent layer with the
regions, and a glyph atlas for the per-frame time label. Per frame only pixels
change; matplotlib is never called again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from neurospatial.animation.render.layers import BACKGROUND_COLOR, STRIP_Y, RegionLayer
from neurospatial.animation.transforms import Affine2D, pixel_to_world

if TYPE_CHECKING:
    from neurospatial.environment import Environment

__all__ = ["Chrome", "GlyphAtlas", "build_chrome", "figure_size"]

FIGSIZE_IN = (8.0, 6.0)
TEXT_COLOR = "#222222"
LABEL_CHARS = "0123456789.-+t=sfrmae:/ "
STRIP_HEIGHT_FRACTION = 0.18  # 1D environments: strip height relative to the axes width


def figure_size(dpi: float) -> tuple[int, int]:
    """Frame size in pixels for `dpi` (8 x 6 inches, rounded down to even numbers)."""
    w = int(round(FIGSIZE_IN[0] * dpi)) // 2 * 2
    h = int(round(FIGSIZE_IN[1] * dpi)) // 2 * 2
    if w < 64 or h < 48:
        raise ValueError(f"dpi={dpi} gives a {w}x{h} frame; use dpi >= 8 (100 gives 800x600).")
    return w, h


@dataclass
class GlyphAtlas:
    """Coverage masks of single characters, composed into strings per frame."""

    masks: dict[str, NDArray[np.float32]]
    advance: float
    height: int

    def render(self, text: str) -> NDArray[np.float32]:
        cell = next(iter(self.masks.values())).shape[1]
        width = int(np.ceil(self.advance * len(text))) + cell
        out = np.zeros((self.height, width), dtype=np.float32)
        for i, char in enumerate(text):
            mask = self.masks.get(char)
            if mask is None:
                continue
            c = int(round(i * self.advance))
            np.maximum(out[:, c : c + cell], mask, out=out[:, c : c + cell])
        return out


@dataclass
class Chrome:
    """Everything static about a frame, in pixels."""

    width: int
    height: int
    image: NDArray[np.uint8]  # (H, W, 3)
    world_to_px: Affine2D  # world (x, y) -> pixel (col, row), pixel centres at integers
    axes_clip: tuple[int, int, int, int]  # (row0, row1, col0, col1) inside the axes
    label_origin: tuple[int, int]  # (row, col) of the time label's top-left
    glyphs: GlyphAtlas
    #: Per region: its pixels, (h, w, 4) straight alpha, and their (row, col) origin.
    regions: dict[RegionLayer, tuple[NDArray[np.uint8], tuple[int, int]]] = field(
        default_factory=dict
    )
    text_color: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))


def build_chrome(
    env: Environment,
    *,
    dpi: float,
    cmap: str,
    vmin: float,
    vmax: float,
    title: str,
    show_colorbar: bool,
    regions: tuple[RegionLayer, ...],
    x_label: str = "x",
) -> Chrome:
    """Draw the static figure and derive the pixel geometry from it."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width, height = figure_size(dpi)
    with mpl.rc_context(
        {
            "font.size": 10,
            "axes.linewidth": 0.8,
            "text.color": TEXT_COLOR,
            "axes.labelcolor": TEXT_COLOR,
            "xtick.color": TEXT_COLOR,
            "ytick.color": TEXT_COLOR,
        }
    ):
        fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="white")
        canvas = FigureCanvasAgg(fig)
        right = 0.84 if show_colorbar else 0.95
        top = 0.86 if title else 0.90
        ax = fig.add_axes((0.10, 0.09, right - 0.10, top - 0.09))
        ax.set_facecolor(BACKGROUND_COLOR)
        (x0, x1) = env.dimension_ranges[0]
        margin = 0.02 * (x1 - x0)
        ax.set_xlim(x0 - margin, x1 + margin)
        units = env.units
        ax.set_xlabel(f"{x_label} ({units})" if units else x_label)
        if env.n_dims == 2:
            (y0, y1) = env.dimension_ranges[1]
            margin_y = 0.02 * max(x1 - x0, y1 - y0)
            ax.set_xlim(x0 - margin_y, x1 + margin_y)
            ax.set_ylim(y0 - margin_y, y1 + margin_y)
            ax.set_ylabel(f"y ({units})" if units else "y")
            ax.set_aspect("equal", adjustable="box")
        else:
            ax.set_ylim(*STRIP_Y)
            ax.set_yticks([])
            ax.set_box_aspect(STRIP_HEIGHT_FRACTION)
        ax.apply_aspect()
        if title:
            fig.suptitle(title, y=0.975, fontsize=13)
        if show_colorbar:
            from matplotlib.cm import ScalarMappable
            from matplotlib.colors import Normalize

            pos = ax.get_position()
            cax = fig.add_axes((pos.x1 + 0.025, pos.y0, 0.022, pos.height))
            fig.colorbar(ScalarMappable(Normalize(vmin, vmax), cmap), cax=cax)
        region_artists = {layer: _draw_region(ax, layer) for layer in regions}
        for artists in region_artists.values():
            for artist in artists:
                artist.set_visible(False)
        canvas.draw()
        image = np.array(canvas.buffer_rgba())[..., :3].copy()

        bbox = ax.get_window_extent()
        # The axes rectangle's pixel edges (display y is up from the bottom edge, pixel
        # edges at integers) and the world rectangle it shows.
        box = (bbox.x0 - 0.5, height - bbox.y1 - 0.5, bbox.x1 - 0.5, height - bbox.y0 - 0.5)
        world_to_px = pixel_to_world((*ax.get_xlim(), *ax.get_ylim()), box).inverse()
        # Pixels whose centres lie strictly inside the axes frame (spines excluded).
        lw = int(np.ceil(0.8 * dpi / 72.0))
        axes_clip = (
            int(np.ceil(height - bbox.y1 + lw)),
            int(np.floor(height - bbox.y0 - lw)),
            int(np.ceil(bbox.x0 + lw)),
            int(np.floor(bbox.x1 - lw)),
        )
        glyphs = _glyph_atlas(dpi)
        label_origin = (
            max(0, int(height - bbox.y1) - glyphs.height - int(0.06 * dpi)),
            int(bbox.x0),
        )

        rasters: dict[RegionLayer, tuple[NDArray[np.uint8], tuple[int, int]]] = {}
        if region_artists:
            for artist in fig.get_children():
                artist.set_visible(False)
            fig.patch.set_visible(False)
            ax.set_visible(True)
            for child in ax.get_children():
                child.set_visible(False)
            for layer, artists in region_artists.items():  # each region on its own
                for artist in artists:
                    artist.set_visible(True)
                canvas.draw()
                rgba = np.array(canvas.buffer_rgba())
                for artist in artists:
                    artist.set_visible(False)
                rows = np.flatnonzero(rgba[..., 3].any(axis=1))
                cols = np.flatnonzero(rgba[..., 3].any(axis=0))
                if len(rows):
                    patch = rgba[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].copy()
                    rasters[layer] = (patch, (int(rows[0]), int(cols[0])))
    from matplotlib.colors import to_rgb

    return Chrome(
        width=width,
        height=height,
        image=image,
        world_to_px=world_to_px,
        axes_clip=axes_clip,
        label_origin=label_origin,
        glyphs=glyphs,
        regions=rasters,
        text_color=np.array(to_rgb(TEXT_COLOR)) * 255,
    )


def _draw_region(ax: Any, layer: RegionLayer) -> list[Any]:
    """Matplotlib artists of one region layer: polygon or ring, and its label."""
    from matplotlib.patches import Polygon as PolygonPatch

    artists: list[Any] = []
    if layer.kind == "polygon":
        patch = PolygonPatch(
            np.asarray(layer.coords),
            closed=True,
            facecolor=layer.color,
            alpha=None,
            edgecolor=layer.color,
            linewidth=layer.edge_width,
        )
        patch.set_facecolor((*patch.get_facecolor()[:3], layer.fill_alpha))
        ax.add_patch(patch)
        artists.append(patch)
    else:
        (xy,) = layer.coords
        (line,) = ax.plot(
            [xy[0]],
            [xy[1]],
            marker="o",
            markersize=layer.marker_size,
            markerfacecolor="none",
            markeredgecolor=layer.color,
            markeredgewidth=layer.edge_width,
            linestyle="none",
        )
        artists.append(line)
    text = ax.annotate(
        layer.label,
        xy=layer.label_anchor,
        xytext=layer.label_offset,
        textcoords="offset points",
        fontsize=layer.label_size,
        color=layer.color,
        fontweight="bold",
    )
    artists.append(text)
    return artists


def _glyph_atlas(dpi: float) -> GlyphAtlas:
    """Coverage masks of the label characters in DejaVu Sans Mono (fixed advance)."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    size_pt = 11.0
    em = size_pt * dpi / 72.0
    cell = int(np.ceil(em)) + 2
    height = int(np.ceil(em * 1.3)) + 2
    width = cell * len(LABEL_CHARS)
    with mpl.rc_context({"font.family": "DejaVu Sans Mono"}):
        fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        fig.patch.set_alpha(0.0)
        canvas = FigureCanvasAgg(fig)
        baseline = height - int(np.ceil(em))
        for i, char in enumerate(LABEL_CHARS):
            fig.text(
                (i * cell + 1) / width,
                baseline / height,
                char,
                fontsize=size_pt,
                color="black",
                ha="left",
                va="baseline",
            )
        canvas.draw()
        alpha = np.array(canvas.buffer_rgba())[..., 3].astype(np.float32) / 255.0
    masks = {c: alpha[:, i * cell : (i + 1) * cell].copy() for i, c in enumerate(LABEL_CHARS)}
    return GlyphAtlas(masks=masks, advance=0.602 * em, height=height)
