"""Colour-barcode posters of indexed films: the API behind `reelprint poster` and the TUI.

A poster is rendered only from what the index stores (each frame's linear-light mean colour,
5-colour palette and quality), never by decoding the film again, so even a 24x36 in print of a
2-hour film takes about a second. Modes:

- `average`: each column the linear-light average colour of its slice of the film;
- `smooth`: the same, blurred along time into a gradient;
- `dominant`: each column a stack of the dominant colours under it, heights by share;
- `shots`: one bar per shot, its edges on the film's cuts, showing the shot's palette.

    frames = index.frames(video_id)
    image = render_poster(frames, duration, PosterSpec(width=3000, height=2000, mode="dominant"))
    export_poster(index, "Big Buck Bunny", "bbb.png", PosterSpec(*print_size("A3"), title="Big Buck Bunny"))
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from reelprint import barcode
from reelprint.barcode import Bars
from reelprint.errors import ReelprintError
from reelprint.poster_files import sidecar_rows, svg_text, write_png, write_sidecar, write_svg
from reelprint.poster_render import DEFAULT_DPI, check_size, decorations, draw, print_size, raster
from reelprint.store import Index, VideoRecord

MODES = ("average", "smooth", "dominant", "shots")
FORMATS = (".png", ".svg")
_CLOCK = re.compile(r"^(-)?(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?)$")

__all__ = ["MODES", "PosterResult", "PosterSpec", "export_poster", "make_bars", "parse_time",
           "poster_frames", "print_size", "render_poster"]


@dataclass(frozen=True)
class PosterSpec:
    """What to draw. `start`/`end` are seconds into the film; a negative `end` counts back from
    the end of the film (cut the credits with end=-300)."""

    width: int = 1920
    height: int = 1080
    mode: str = "average"
    dpi: int = DEFAULT_DPI
    title: str | None = None
    ticks: bool = False
    start: float | None = None
    end: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ReelprintError(f"{self.mode}: unknown mode (use one of {', '.join(MODES)})")
        check_size(self.width, self.height)
        if self.dpi <= 0:
            raise ReelprintError(f"--dpi {self.dpi}: must be positive")


@dataclass(frozen=True)
class PosterResult:
    path: Path
    video: str
    width: int
    height: int
    bars: int
    frames: int
    sidecar: Path | None = None


def parse_time(text: str) -> float:
    """'90', '1:30', '1:02:03.5', '-5:00' (five minutes before the end) -> seconds."""
    m = _CLOCK.match(text.strip())
    if not m:
        raise ReelprintError(f"{text}: not a time (use seconds, M:SS or H:MM:SS)")
    seconds = int(m[2] or 0) * 3600 + int(m[3] or 0) * 60 + float(m[4])
    return -seconds if m[1] else seconds


def _window(spec: PosterSpec, duration: float | None) -> tuple[float | None, float | None]:
    end = spec.end
    if end is not None and end < 0:
        if not duration:
            raise ReelprintError("a negative --to needs the film's duration, which the index lacks")
        end = duration + end
    return spec.start, end


def make_bars(frames: np.ndarray, duration: float | None, spec: PosterSpec) -> Bars:
    """The bars of a poster: spec.width columns' worth, from stored frames (FRAME_DTYPE)."""
    start, end = _window(spec, duration)
    w = spec.width
    if spec.mode == "average":
        return barcode.average_bars(frames, duration, w, start, end)
    if spec.mode == "smooth":
        return barcode.average_bars(frames, duration, w, start, end, smooth=barcode.SMOOTH_SIGMA)
    if spec.mode == "dominant":
        return barcode.dominant_bars(frames, duration, w, start, end)
    return barcode.shot_bars(frames, duration, w, start, end)


def render_poster(frames: np.ndarray, duration: float | None, spec: PosterSpec) -> np.ndarray:
    """The poster as an exactly (spec.height, spec.width, 3) uint8 sRGB array, title and ticks
    drawn. Also the TUI's preview: call it with a small spec."""
    bars = make_bars(frames, duration, spec)
    image = raster(bars, spec.height)
    return draw(image, decorations(bars, spec.height, spec.title, spec.ticks))


def poster_frames(index: Index, name: str) -> tuple[VideoRecord, np.ndarray]:
    """The video and its stored frames, ready for render_poster (what the TUI previews)."""
    video = index.find_video(name)
    frames = index.frames(video.id)
    if not len(frames):
        raise ReelprintError(f"{video.path}: the index holds no frames of it")
    return video, frames


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise ReelprintError(f"{path}: cannot write ({exc.strerror or exc})") from None


def export_poster(index: Index, video: str, out_path: Path | str, spec: PosterSpec,
                  sidecar: Path | str | None = None) -> PosterResult:
    """Render a poster of an indexed video to PNG or SVG (by out_path's suffix), and optionally
    a palette sidecar (.json, or .csv)."""
    out_path = Path(out_path)
    fmt = out_path.suffix.lower()
    if fmt not in FORMATS:
        raise ReelprintError(f"{out_path}: the poster must be a .png or .svg file")
    if not out_path.parent.is_dir():
        raise ReelprintError(f"{out_path.parent}: no such folder")
    record, frames = poster_frames(index, video)
    spec = replace(spec, title=(spec.title or "").strip() or None)
    bars = make_bars(frames, record.duration, spec)
    decor = decorations(bars, spec.height, spec.title, spec.ticks)
    with _writing(out_path):
        if fmt == ".svg":
            write_svg(out_path, svg_text(bars, spec.height, decor, spec.dpi, spec.title))
        else:
            write_png(draw(raster(bars, spec.height), decor), out_path, spec.dpi)
    if sidecar is not None:
        header = {"video": record.path, "mode": spec.mode, "width": spec.width, "height": spec.height,
                  "dpi": spec.dpi, "start": round(float(bars.t[0]), 3), "end": round(float(bars.t[-1]), 3)}
        with _writing(Path(sidecar)):
            write_sidecar(sidecar, header, sidecar_rows(bars, barcode.bar_palettes(frames, record.duration, bars)))
    return PosterResult(out_path, record.path, spec.width, spec.height, len(bars), len(frames),
                        Path(sidecar) if sidecar is not None else None)
