"""Poster geometry and pixels: print sizes, bars -> an image array, the title and timeline ticks.

Pure functions over numpy arrays and Pillow images in memory; nothing here reads the index or
writes a file. The title and ticks are described once (`Decorations`) and drawn both into the
raster here and into the SVG by poster_files, so both outputs agree to the pixel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from reelprint import colour
from reelprint.barcode import Bars
from reelprint.errors import ReelprintError

FONT_PATH = Path(__file__).parent / "assets" / "DejaVuSans-Bold-Latin.ttf"
FONT_FAMILY = "DejaVu Sans"  # what the SVG asks for (with sans-serif as the fallback)

MM_PER_INCH = 25.4
DEFAULT_DPI = 300  # the usual minimum for a print seen at arm's length
# ISO 216 paper, portrait, in millimetres.
PAPER_MM = {"A5": (148, 210), "A4": (210, 297), "A3": (297, 420), "A2": (420, 594), "A1": (594, 841),
            "A0": (841, 1189)}
_CUSTOM_SIZE = re.compile(r"^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)(in|cm|mm)$")
_UNIT_MM = {"in": MM_PER_INCH, "cm": 10.0, "mm": 1.0}
# Largest poster side we render, in pixels: 60 in at 300 DPI. A larger ask is a typo (the image
# would need gigabytes), so it is refused with a clear line rather than swapping the NAS to death.
MAX_SIDE = 18000

# Title: font size (em) as a share of the poster's shorter side, at most this share of the width,
# baseline this share of the height from the top (in the lower part, clear of the ticks).
TITLE_SIZE = 0.065
TITLE_MAX_WIDTH = 0.86
TITLE_BASELINE = 0.93
# Pick the text colour that beats this share of the pixels behind it with the highest WCAG
# contrast: a 10th percentile ignores a few stray bars but not a light tenth of the box.
CONTRAST_PERCENTILE = 10
TEXT_COLOURS = ((255, 255, 255), (17, 17, 17))
# Pixels looked at behind a text: a regular sample this big gives the percentile to well under
# 1% while a 24x36 in poster's tick band alone has 3 million pixels.
CONTRAST_SAMPLE = 20000
# Ticks: at most this many; each this share of the height long, labels this share of the
# shorter side; a tick is at least 1 px wide, 1 px per 1,500 px of width beyond that.
MAX_TICKS = 12
TICK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600)
TICK_LENGTH = 0.015
TICK_LABEL_SIZE = 0.02
MIN_LABEL_PX = 10  # smaller than this DejaVu Sans Bold's digits run together on screen


def print_size(name: str, dpi: int = DEFAULT_DPI, landscape: bool = False) -> tuple[int, int]:
    """A paper name (A4..A0) or WxH with a unit (18x24in, 50x70cm, 300x400mm) -> pixels (W, H)
    at `dpi`, portrait unless `landscape`."""
    key = name.strip()
    if key.upper() in PAPER_MM:
        w_mm, h_mm = PAPER_MM[key.upper()]
    elif m := _CUSTOM_SIZE.match(key.lower()):
        w_mm, h_mm = (float(m[1]) * _UNIT_MM[m[3]], float(m[2]) * _UNIT_MM[m[3]])
    else:
        raise ReelprintError(f"{name}: unknown size (use A5..A0, or WxH in in/cm/mm such as 18x24in)")
    w_mm, h_mm = sorted((w_mm, h_mm))
    if landscape:
        w_mm, h_mm = h_mm, w_mm
    return check_size(round(w_mm / MM_PER_INCH * dpi), round(h_mm / MM_PER_INCH * dpi))


def check_size(width: int, height: int) -> tuple[int, int]:
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ReelprintError(f"{width}x{height} px: each side must be 1..{MAX_SIDE} px")
    return width, height


def raster(bars: Bars, height: int, y0: int = 0, y1: int | None = None) -> np.ndarray:
    """Rows y0..y1 of the poster as an (h, W, 3) uint8 array: each bar's bands stacked top to
    bottom with whole-pixel heights that always add up to `height`.

    Painted row by row: a column's colour only changes where one of its bands begins, so between
    two such rows every row is the same and is copied whole. That writes memory in order (a
    column-by-column fill and a transpose cost 5x as much on a 7200 x 10800 poster).
    """
    y1 = height if y1 is None else y1
    n = len(bars)
    ends = np.rint(np.cumsum(bars.weights, axis=1) * height).astype(np.int64)
    ends[:, -1] = height
    begins = np.concatenate([np.zeros((n, 1), np.int64), ends[:, :-1]], axis=1)
    bar, slot = np.nonzero((ends > begins) & (ends > y0) & (begins < y1))  # bands that show here
    widths = np.diff(bars.edges)[bar]
    band = np.repeat(np.arange(len(bar)), widths)                          # one entry per column
    column = bars.edges[:-1][bar][band] + np.arange(len(band)) - np.repeat(np.cumsum(widths) - widths, widths)
    row = np.maximum(begins[bar, slot], y0)[band]
    order = np.argsort(row, kind="stable")
    column, row, paint = column[order], row[order], bars.colours[bar, slot][band][order]
    change_rows, first = np.unique(row, return_index=True)
    bounds = np.append(first, len(row))
    stops = np.append(change_rows[1:], y1)
    image = np.empty((y1 - y0, bars.width, 3), np.uint8)
    current = np.zeros((bars.width, 3), np.uint8)
    for i, r in enumerate(change_rows):
        current[column[bounds[i]:bounds[i + 1]]] = paint[bounds[i]:bounds[i + 1]]
        image[r - y0:stops[i] - y0] = current
    return image


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), max(1, size))


@dataclass(frozen=True)
class Text:
    """A line of text centred on x with its baseline at y (Pillow anchor "ms", SVG middle)."""

    text: str
    x: int
    y: int
    size: int
    colour: tuple[int, int, int]

    def box(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1): the pixels the text's ink covers."""
        left, top, right, bottom = font(self.size).getbbox(self.text, anchor="ms")
        return (self.x + int(np.floor(left)), self.y + int(np.floor(top)),
                self.x + int(np.ceil(right)), self.y + int(np.ceil(bottom)))


@dataclass(frozen=True)
class Mark:
    """A filled rectangle x0..x1, y0..y1 (a timeline tick)."""

    x0: int
    y0: int
    x1: int
    y1: int
    colour: tuple[int, int, int]


@dataclass(frozen=True)
class Decorations:
    texts: list[Text] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)


def contrast_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """WCAG 2 contrast ratio (1..21) between sRGB colours, broadcasting."""
    la, lb = colour.relative_luminance(a), colour.relative_luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def contrast_colour(background: np.ndarray) -> tuple[int, int, int]:
    """The text colour most legible over these (..., 3) sRGB pixels: the candidate whose
    contrast against the CONTRAST_PERCENTILE worst pixel is highest."""
    px = np.asarray(background, np.uint8).reshape(-1, 3)
    px = px[:: max(1, len(px) // CONTRAST_SAMPLE)]
    scores = [np.percentile(contrast_ratio(px, np.array(c, np.uint8)), CONTRAST_PERCENTILE) for c in TEXT_COLOURS]
    return TEXT_COLOURS[int(np.argmax(scores))]


def _colour_for(bars: Bars, height: int, box: tuple[int, int, int, int]) -> tuple[int, int, int]:
    x0, y0, x1, y1 = (max(0, box[0]), max(0, box[1]), min(bars.width, box[2]), min(height, box[3]))
    if x1 <= x0 or y1 <= y0:
        return TEXT_COLOURS[0]
    return contrast_colour(raster(bars, height, y0, y1)[:, x0:x1])


def _tick_step(span: float) -> int:
    return next((s for s in TICK_STEPS_S if span / s <= MAX_TICKS), TICK_STEPS_S[-1])


def clock_label(t: float, span: float) -> str:
    """Tick labels: h:mm on a poster of an hour or more, else m:ss."""
    whole = round(t)
    if span >= 3600:
        return f"{whole // 3600}:{whole // 60 % 60:02d}"
    return f"{whole // 60}:{whole % 60:02d}"


def decorations(bars: Bars, height: int, title: str | None = None, ticks: bool = False) -> Decorations:
    """Where the title and ticks go on this poster, in colours chosen against what is behind them."""
    width = bars.width
    out = Decorations()
    if title:
        size = round(TITLE_SIZE * min(width, height))
        text_width = font(size).getlength(title)
        if text_width > TITLE_MAX_WIDTH * width:
            size = max(1, int(size * TITLE_MAX_WIDTH * width / text_width))
        text = Text(title, width // 2, round(TITLE_BASELINE * height), size, TEXT_COLOURS[0])
        out.texts.append(Text(title, text.x, text.y, size, _colour_for(bars, height, text.box())))
    if ticks:
        a, b = float(bars.t[0]), float(bars.t[-1])
        step = _tick_step(b - a)
        length = max(2, round(TICK_LENGTH * height))
        thick = max(1, round(width / 1500))
        label_size = max(MIN_LABEL_PX, round(TICK_LABEL_SIZE * min(width, height)))
        for t in np.arange(np.ceil(a / step) * step, b, step):
            x = min(width - thick, round((t - a) / (b - a) * width))
            # Each tick and its label in the colour that reads best over its own stretch of bars.
            label_x = int(np.clip(x, label_size * 2, width - label_size * 2))
            label = Text(clock_label(t, b - a), label_x, height - length - label_size // 2, label_size, (0, 0, 0))
            x0, y0, x1, _ = label.box()
            ink = _colour_for(bars, height, (min(x0, x), y0, max(x1, x + thick), height))
            out.marks.append(Mark(x, height - length, x + thick, height, ink))
            if t > a:
                out.texts.append(Text(label.text, label.x, label.y, label.size, ink))
    return out


def draw(image: np.ndarray, decor: Decorations) -> np.ndarray:
    """Draw the decorations into the image (in place), touching only the pixels under them."""
    h, w = image.shape[:2]
    for m in decor.marks:
        image[max(0, m.y0):min(h, m.y1), max(0, m.x0):min(w, m.x1)] = m.colour
    for t in decor.texts:
        x0, y0, x1, y1 = t.box()
        x0, y0, x1, y1 = max(0, x0 - 2), max(0, y0 - 2), min(w, x1 + 2), min(h, y1 + 2)
        if x1 <= x0 or y1 <= y0:
            continue
        patch = Image.fromarray(np.ascontiguousarray(image[y0:y1, x0:x1]))
        ImageDraw.Draw(patch).text((t.x - x0, t.y - y0), t.text, fill=t.colour, font=font(t.size), anchor="ms")
        image[y0:y1, x0:x1] = np.asarray(patch)
    return image
