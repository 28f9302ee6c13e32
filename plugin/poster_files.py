"""Writing posters: PNG (DPI + sRGB profile), SVG (vector bars), and the palette sidecar.

Each file is written beside its destination and moved into place, so an interrupted export
never leaves a half-written poster where a good one was.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import struct
import zlib
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from PIL import ImageCms

from reelprint import colour
from reelprint.barcode import Bars
from reelprint.poster_render import FONT_FAMILY, Decorations

# zlib level for the PNG. With the Up filter poster rows are mostly zeros; on a 7200 x 10800
# dominant poster level 6 writes 0.67 MB in 1.7 s, level 1 1.5 MB in 1.0 s, level 9 0.64 MB in 2.9 s.
PNG_COMPRESS_LEVEL = 6
# Rows filtered and compressed at a time: bounds the writer's own memory to a few MB.
PNG_STRIP_ROWS = 256
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_FILTER_UP = 2

def _atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write beside `path`, then move into place. The file is created with mode 0666 less the
    umask, like any file the user makes (mkstemp's 0600 would hide a poster from a media server)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def srgb_profile() -> bytes:
    """An ICC v2 sRGB profile (LittleCMS's built-in), so viewers and print shops don't guess."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _png_chunk(f: IO[bytes], kind: bytes, data: bytes) -> None:
    f.write(struct.pack(">I", len(data)) + kind + data)
    f.write(struct.pack(">I", zlib.crc32(data, zlib.crc32(kind))))


def _png_stream(image: np.ndarray, dpi: int, f: IO[bytes]) -> None:
    """8-bit RGB PNG with pHYs (DPI) and iCCP (sRGB), every row Up-filtered, written in strips.

    Pillow needs the whole image as its own copy (4 bytes a pixel: 311 MB more for 24x36 in at
    300 DPI) and tries every filter on every row; a poster's columns make the row above the best
    predictor of nearly every row, so this writer takes 40% of Pillow's time and no copy.
    """
    h, w, _ = image.shape
    f.write(_PNG_SIGNATURE)
    _png_chunk(f, b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    _png_chunk(f, b"iCCP", b"sRGB\x00\x00" + zlib.compress(srgb_profile()))
    per_metre = round(dpi / 0.0254)
    _png_chunk(f, b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1))
    z = zlib.compressobj(PNG_COMPRESS_LEVEL)
    above = np.zeros((1, w * 3), np.uint8)
    for y in range(0, h, PNG_STRIP_ROWS):
        rows = np.ascontiguousarray(image[y:y + PNG_STRIP_ROWS]).reshape(-1, w * 3)
        filtered = np.empty((len(rows), w * 3 + 1), np.uint8)
        filtered[:, 0] = _PNG_FILTER_UP
        np.subtract(rows, np.concatenate([above, rows[:-1]]), out=filtered[:, 1:])
        above = rows[-1:]
        if data := z.compress(filtered.tobytes()):
            _png_chunk(f, b"IDAT", data)
    _png_chunk(f, b"IDAT", z.flush())
    _png_chunk(f, b"IEND", b"")


def write_png(image: np.ndarray, path: Path | str, dpi: int) -> None:
    """An (H, W, 3) uint8 sRGB image as PNG, with its DPI and an sRGB profile."""
    _atomic(Path(path), lambda f: _png_stream(np.asarray(image, np.uint8), dpi, f))


def hex_colour(rgb: np.ndarray | tuple[int, int, int]) -> str:
    r, g, b = (int(v) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def svg_text(bars: Bars, height: int, decor: Decorations, dpi: int, title: str | None = None) -> str:
    """The poster as SVG: one <rect> per bar (a <g> of band rects for stacked bars), every edge on
    a whole unit, crisp edges, and each rect running one unit under its right (and lower)
    neighbour, which is painted over it: no renderer can leave a hairline between two bars."""
    width = bars.width
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width / dpi:g}in" '
           f'height="{height / dpi:g}in" viewBox="0 0 {width} {height}" shape-rendering="crispEdges">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    out.append('<g id="bars">')
    stacked = bars.colours.shape[1] > 1
    for b in range(len(bars)):
        x0, x1 = int(bars.edges[b]), int(bars.edges[b + 1])
        w = x1 - x0 + (1 if x1 < width else 0)
        if not stacked:
            out.append(f'<rect x="{x0}" y="0" width="{w}" height="{height}" fill="{hex_colour(bars.colours[b, 0])}"/>')
            continue
        ends = np.rint(np.cumsum(bars.weights[b]) * height).astype(int)
        ends[-1] = height
        rects, top = [], 0
        for k in np.flatnonzero(np.diff(np.concatenate([[0], ends])) > 0):
            h = ends[k] - top + (1 if ends[k] < height else 0)
            rects.append(f'<rect x="{x0}" y="{top}" width="{w}" height="{h}" '
                         f'fill="{hex_colour(bars.colours[b, k])}"/>')
            top = ends[k]
        out.append(f"<g>{''.join(rects)}</g>")
    out.append("</g>")
    if decor.marks:
        out.append('<g id="ticks">' + "".join(
            f'<rect x="{m.x0}" y="{m.y0}" width="{m.x1 - m.x0}" height="{m.y1 - m.y0}" fill="{hex_colour(m.colour)}"/>'
            for m in decor.marks) + "</g>")
    for t in decor.texts:
        out.append(f'<text x="{t.x}" y="{t.y}" font-family={quoteattr(FONT_FAMILY + ", sans-serif")} '
                   f'font-weight="bold" font-size="{t.size}" text-anchor="middle" '
                   f'fill="{hex_colour(t.colour)}">{escape(t.text)}</text>')
    out.append("</svg>\n")
    return "\n".join(out)


def write_svg(path: Path | str, text: str) -> None:
    _atomic(Path(path), lambda f: f.write(text.encode("utf-8")))


def sidecar_rows(bars: Bars, palettes: list[tuple[np.ndarray, np.ndarray]]) -> list[dict]:
    """One dict per bar: its columns, its stretch of film time, its mean colour and palette."""
    return [{"x": int(bars.edges[b]), "width": int(bars.edges[b + 1] - bars.edges[b]),
             "start": round(float(bars.t[b]), 3), "end": round(float(bars.t[b + 1]), 3),
             "mean": hex_colour(bars.mean[b]),
             "palette": [{"colour": hex_colour(c), "share": round(float(s), 4)}
                         for c, s in zip(*palettes[b], strict=True)]}
            for b in range(len(bars))]


def write_sidecar(path: Path | str, header: dict, rows: list[dict]) -> None:
    """JSON ({...header, "bars": rows}) or, for a .csv path, one CSV line per bar with
    columns x, width, start, end, mean, colour1, share1 ... colour5, share5."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["x", "width", "start", "end", "mean",
                    *[f"{k}{i}" for i in range(1, colour.PALETTE_SIZE + 1) for k in ("colour", "share")]])
        for r in rows:
            w.writerow([r["x"], r["width"], r["start"], r["end"], r["mean"],
                        *[v for p in r["palette"] for v in (p["colour"], p["share"])]])
        data = buf.getvalue()
    else:
        data = json.dumps({**header, "bars": rows}, separators=(",", ":")) + "\n"
    _atomic(path, lambda f: f.write(data.encode("utf-8")))
