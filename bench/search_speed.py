"""Search speed at scale: the hash index at 1M and 10M frames, and loading 1M frames from SQLite.

    .venv/bin/python bench/search_speed.py [--sizes 1000000 10000000] [--queries 200] [--load 1000000]

Hashes are synthetic but shaped like a film's: each shot (6-20 frames at 2 fps) has its own
random 64-bit hash with the DC bit set (as pHash always has), and each frame flips ~4 random
bits of it. Queries are stored hashes with 0-8 random bits flipped (a recompressed, resized
still) plus 5 more variant hashes, searched within reelprint.search.RETRIEVAL_RADIUS by
reelprint.hashscan.near. Latency is per query, in-process, hashes in memory (start-up
excluded). The load test writes a real database through reelprint.store (1,000 frames a
video) and times `Searcher(index)`, which loads the columns search needs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from reelprint.borders import LetterboxCrop
from reelprint.decode import VideoInfo
from reelprint.features import FRAME_DTYPE
from reelprint.hashscan import THREADS, near
from reelprint.search import RETRIEVAL_RADIUS, Searcher
from reelprint.store import Index

# Hash variants a screenshot is searched with (reelprint.query.variants: 2 hypotheses, 3 when
# borders were trimmed, 4 for a mostly black still, each mirrored): the worst case.
VARIANTS = 8


def film_like_hashes(n: int, rng: np.random.Generator) -> np.ndarray:
    shot_of_frame = np.cumsum(rng.random(n) < 1 / 13)  # shots of 13 frames on average
    bases = rng.integers(0, 1 << 62, shot_of_frame[-1] + 1, dtype=np.int64).view(np.uint64) << np.uint64(2)
    bases |= np.uint64(1) << np.uint64(63)
    hashes = bases[shot_of_frame]
    for _ in range(6):  # ~4 of 6 candidate bit flips kept: frames of a shot differ a little
        flip = np.uint64(1) << rng.integers(0, 63, n).astype(np.uint64)
        hashes ^= np.where(rng.random(n) < 0.65, flip, np.uint64(0))
    return hashes


def queries_from(hashes: np.ndarray, count: int, rng: np.random.Generator) -> list[list[int]]:
    """Per query, VARIANTS hashes: one near a stored hash, the others (mirrored, cut) random."""
    out = []
    for row in rng.integers(0, len(hashes), count):
        q = int(hashes[row])
        for bit in rng.choice(64, int(rng.integers(0, 9)), replace=False):
            q ^= 1 << int(bit)
        out.append([q] + [int(x) for x in rng.integers(0, 1 << 62, VARIANTS - 1)])
    return out


def latency(n: int, count: int, rng: np.random.Generator) -> None:
    hashes = film_like_hashes(n, rng)
    queries = queries_from(hashes, count, rng)
    times, found = [], []
    for q in queries:
        start = time.perf_counter()
        rows, _ = near(hashes, q, RETRIEVAL_RADIUS)
        times.append((time.perf_counter() - start) * 1000)
        found.append(len(rows))
    print(f"| {n:>11,} | {statistics.median(times):9.1f} | {np.percentile(times, 95):6.1f} | "
          f"{hashes.nbytes / n:7.1f} | {statistics.median(found):5.0f} |")


def load_time(n: int, rng: np.random.Generator) -> None:
    per_video = 1000
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with Index.open(Path(tmp) / "big.db") as index:
            info = VideoInfo(duration=per_video / 2, fps=25.0, width=1920, height=1080, codec="h264")
            hashes = film_like_hashes(n, rng)
            for v in range(n // per_video):
                video_id = index.queue(f"/films/{v:05d}.mkv", 1, 0.0, f"sig{v}")
                frames = np.zeros(per_video, FRAME_DTYPE)
                frames["t"] = np.arange(per_video) / 2
                frames["phash"] = hashes[v * per_video:(v + 1) * per_video]
                frames["layout"] = rng.integers(0, 256, (per_video, 12))
                frames["quality"] = 60
                index.save_fingerprint(video_id, info, frames, LetterboxCrop())
        written = time.perf_counter() - start
        with Index.open(Path(tmp) / "big.db") as index:
            start = time.perf_counter()
            searcher = Searcher(index)
            loaded = time.perf_counter() - start
        print(f"\nload {len(searcher):,} frames from SQLite (written in {written:.0f} s): Searcher(index) "
              f"took {loaded:.2f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--load", type=int, default=1_000_000, help="frames for the SQLite load test (0: skip)")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    print(f"radius {RETRIEVAL_RADIUS} bits; ", end="")
    print(f"{VARIANTS} hash variants a query; scan threads: {THREADS}\n")
    print("|      frames | median ms | p95 ms | B/frame | found |")
    print("|------------:|----------:|-------:|--------:|------:|")
    for n in args.sizes:
        latency(n, args.queries, rng)
    if args.load:
        load_time(args.load, rng)
    return 0


if __name__ == "__main__":
    sys.exit(main())
