"""How long a 24x36 in, 300 DPI poster (7200 x 10800 px) of a 2-hour film takes, per mode.

    .venv/bin/python bench/poster_speed.py [--size 24x36in] [--dpi 300] [--minutes 120]

The index of a 2-hour film is synthesised with the shape the indexer gives a real one: a frame
at every shot cut (shots of 1-30 s, median about 4 s), more frames every 2-4 s inside long
shots, 3% black/fade frames. Each mode renders 3 times, timed in stages (bars from frames,
raster, title and ticks); the table shows the best run and the first (the first also pays the
kernel for the image's fresh memory, as a one-shot CLI run does). The PNG, SVG and palette
sidecar are written once, from the average-mode poster. Figures are in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from reelprint.barcode import bar_palettes
from reelprint.features import FRAME_DTYPE
from reelprint.poster_files import sidecar_rows, svg_text, write_png, write_sidecar, write_svg
from reelprint.poster_render import decorations, draw, print_size, raster
from reelprint.posters import MODES, PosterSpec, make_bars


def film_index(minutes: float, seed: int = 7) -> tuple[np.ndarray, float]:
    """A FRAME_DTYPE array like the index holds for a film of `minutes`."""
    rng = np.random.default_rng(seed)
    duration = minutes * 60.0
    cuts = np.cumsum(np.clip(rng.lognormal(np.log(4.0), 0.8, int(duration)), 1.0, 30.0))
    cuts = np.concatenate([[0.0], cuts[cuts < duration]])
    times, shot = [], []
    for i, (a, b) in enumerate(zip(cuts, np.append(cuts[1:], duration), strict=True)):
        inner = np.arange(a, b, rng.uniform(2.0, 4.0))
        times.extend(inner)
        shot.extend([i] * len(inner))
    times, shot = np.array(times), np.array(shot)
    f = np.zeros(len(times), FRAME_DTYPE)
    f["t"] = np.round(times, 3)
    base = rng.integers(0, 256, (len(cuts), 5, 3))
    f["palette"] = np.clip(base[shot] + rng.integers(-6, 7, (len(times), 5, 3)), 0, 255)
    f["shares"] = rng.multinomial(255, [0.4, 0.25, 0.15, 0.12, 0.08], len(times))
    f["mean_rgb"] = f["palette"][:, 0]
    f["phash"] = rng.integers(0, 2**63, len(cuts), dtype=np.int64).astype(np.uint64)[shot]
    f["layout"] = rng.integers(0, 256, (len(cuts), 12))[shot]
    f["quality"] = np.where(rng.random(len(times)) < 0.03, 2, rng.integers(30, 90, len(times)))
    return f, duration


def render_stages(frames: np.ndarray, duration: float, spec: PosterSpec) -> tuple[np.ndarray, object, list[float]]:
    """Render once: (image, bars, [seconds for bars, raster, title+ticks])."""
    t0 = time.perf_counter()
    bars = make_bars(frames, duration, spec)
    t1 = time.perf_counter()
    image = raster(bars, spec.height)
    t2 = time.perf_counter()
    draw(image, decorations(bars, spec.height, spec.title, spec.ticks))
    return image, bars, [t1 - t0, t2 - t1, time.perf_counter() - t2]


def write_all(image: np.ndarray, bars, frames: np.ndarray, duration: float, spec: PosterSpec, tmp: Path) -> str:
    t0 = time.perf_counter()
    write_png(image, tmp / "p.png", spec.dpi)
    t1 = time.perf_counter()
    write_svg(tmp / "p.svg", svg_text(bars, spec.height, decorations(bars, spec.height, spec.title, spec.ticks),
                                      spec.dpi))
    t2 = time.perf_counter()
    write_sidecar(tmp / "p.json", {}, sidecar_rows(bars, bar_palettes(frames, duration, bars)))
    t3 = time.perf_counter()
    return (f"PNG write {t1 - t0:.3f} s ({(tmp / 'p.png').stat().st_size / 1e6:.2f} MB); "
            f"SVG write {t2 - t1:.3f} s ({(tmp / 'p.svg').stat().st_size / 1e6:.2f} MB); "
            f"JSON sidecar {t3 - t2:.3f} s ({(tmp / 'p.json').stat().st_size / 1e6:.2f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="24x36in")
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--minutes", type=float, default=120.0)
    args = parser.parse_args()
    frames, duration = film_index(args.minutes)
    width, height = print_size(args.size, args.dpi)
    print(f"{args.size} at {args.dpi} DPI = {width} x {height} px; {args.minutes:g}-minute film, "
          f"{len(frames)} stored frames")
    print(f"{'mode':<10}{'bars':>6}{'bars s':>9}{'raster s':>10}{'title+ticks s':>15}{'render s':>10}"
          f"{'first run s':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for mode in MODES:
            spec = PosterSpec(width=width, height=height, mode=mode, dpi=args.dpi, title="A Two-Hour Film",
                              ticks=True)
            runs = []
            for _ in range(3):
                image, bars, stages = render_stages(frames, duration, spec)
                runs.append(stages)
                if mode == "average" and len(runs) == 1:
                    writes = write_all(image, bars, frames, duration, spec, Path(tmp))
                del image
            best = min(runs, key=sum)
            print(f"{mode:<10}{len(bars):>6}{best[0]:>9.3f}{best[1]:>10.3f}{best[2]:>15.3f}{sum(best):>10.3f}"
                  f"{sum(runs[0]):>13.3f}")
    print(writes)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
