"""Whole searches in a 1080p library: what the decoding budget buys where frames cost most.

    .venv/bin/python bench/search_1080p.py [--stills 12] [--flat-cost]

The shared media is small pictures (256x144 to 720p); a home library is mostly 1080p, where a
frame costs about five times as much to decode. This indexes the 1080p file of
bench/index_speed.py (Big Buck Bunny's first minute, libx264 defaults: 10 s GOPs) with two
shared clips beside it, and searches stills of random moments of it, each through one of the
screenshot transformations in turn. `--flat-cost` counts every frame as 1 in the decoding
budget (as before `search.frame_cost`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from reelprint import search
from reelprint.decode import frame_at
from reelprint.indexer import index_paths
from reelprint.screenshots import TRANSFORMS
from reelprint.store import Index

sys.path.insert(0, str(Path(__file__).resolve().parent))
from index_speed import DEFAULT_SOURCE, SHARED, make_1080p

NEIGHBOURS = ["awwkl-ZWM/clip_01_tears_of_steel.mp4", "dmlc-decord/flipping_a_pancake.mkv"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stills", type=int, default=12)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--flat-cost", action="store_true", help="count every frame as 1 in the budget")
    args = ap.parse_args()
    if not DEFAULT_SOURCE.exists():
        print(f"{DEFAULT_SOURCE}: no shared media here", file=sys.stderr)
        return 2
    film = make_1080p(DEFAULT_SOURCE, 60)
    if args.flat_cost:
        search.frame_cost = lambda video: 1.0
    rng = np.random.default_rng(args.seed)
    names = list(TRANSFORMS)
    right, times = 0, []
    with tempfile.TemporaryDirectory() as tmp, Index.open(Path(tmp) / "index.db") as index:
        index_paths(index, [film, *(SHARED / n for n in NEIGHBOURS)])
        searcher = search.Searcher(index)
        for k in range(args.stills):
            truth = frame_at(film, float(rng.uniform(0, 59)), size=None)
            still = TRANSFORMS[names[k % len(names)]](truth.image, rng)
            start = time.perf_counter()
            matches = searcher.search_image(still, top=3)
            times.append(time.perf_counter() - start)
            right += bool(matches) and matches[0].path == str(film) and abs(matches[0].t - truth.t) <= 1.0
    print("| budget | stills | right video and time | median ms | slowest ms |")
    print("|---|---:|---:|---:|---:|")
    print(f"| {'flat' if args.flat_cost else 'by frame cost'} | {args.stills} | {right} | "
          f"{1000 * statistics.median(times):.0f} | {1000 * max(times):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
