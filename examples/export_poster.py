"""Export colour-barcode posters of a film with the Python API.

    python examples/export_poster.py FILM OUT.png [OUT2.svg ...] [--mode dominant] [--size A3 | --px 1200x400]
                                     [--title TEXT] [--ticks] [--to 8:48] [--db index.db] [--dense]

FILM is indexed first (into --db, or a temporary database), then each OUT is written from the
index alone: the suffix picks PNG or SVG. `--dense` samples a frame every half second instead of
the indexer's keyframe-driven default: worth it for a trailer, whose cuts come faster than its
keyframes. The README's example posters were made with this script (see docs/posters/).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from reelprint.indexer import index_paths
from reelprint.posters import MODES, PosterSpec, export_poster, parse_time, print_size
from reelprint.sampling import SamplingPolicy
from reelprint.store import Index

# --dense: a frame at least every half second, decoding as much of each GOP as that takes.
DENSE = SamplingPolicy(min_gap=0.5, max_gap=0.5, fill_budget=1.0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("film")
    p.add_argument("outputs", nargs="+")
    p.add_argument("--mode", choices=MODES, default="average")
    p.add_argument("--size", help="print size, e.g. A3 or 24x36in (at --dpi)")
    p.add_argument("--px", default="1920x1080", help="pixel size WxH when no --size (default 1920x1080)")
    p.add_argument("--dpi", type=int, default=300)
    p.add_argument("--title")
    p.add_argument("--ticks", action="store_true")
    p.add_argument("--to", dest="end", help="end time (cut the credits), e.g. 8:48")
    p.add_argument("--db", type=Path, help="database to index into (default: a temporary one)")
    p.add_argument("--dense", action="store_true", help="sample every 0.5 s (trailers)")
    args = p.parse_args()

    width, height = print_size(args.size, args.dpi) if args.size else map(int, args.px.split("x"))
    spec = PosterSpec(width=width, height=height, mode=args.mode, dpi=args.dpi, title=args.title,
                      ticks=args.ticks, end=parse_time(args.end) if args.end else None)
    with tempfile.TemporaryDirectory() as tmp, Index.open(args.db or Path(tmp) / "index.db") as index:
        summary = index_paths(index, [args.film], policy=DENSE if args.dense else SamplingPolicy())
        if summary.failed:
            raise SystemExit(summary.errors[0][1])
        for out in args.outputs:
            result = export_poster(index, str(Path(args.film).resolve()), out, spec)
            print(f"{result.path}: {result.width}x{result.height}, {result.bars} bars from {result.frames} frames")


if __name__ == "__main__":
    main()
