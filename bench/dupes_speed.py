"""Speed of duplicate finding: all pairs of a synthetic library of 2,000 videos / 1M frames, then
adding one video. Goals: all pairs < 60 s, one added video < 1 s (2 cores).

The library is written into a real SQLite index through store.Index (frames made up, not decoded:
this times the finding, not the indexing). Each video is 500 frames of random pHashes 0.5-6 s apart (a shot rhythm);
PLANTED of them are re-encodes of another (1-4 bits flipped per frame, a small time offset) and
must be found.

    .venv/bin/python bench/dupes_speed.py [--videos 2000] [--frames 500] [--db /tmp/dupes_speed.db]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from types import SimpleNamespace

import numpy as np

from reelprint.dupes import DUPLICATE, PairFinder
from reelprint.features import FRAME_DTYPE
from reelprint.store import Index

PLANTED = 50


def _frames(rng: np.random.Generator, n: int, t0: float = 0.0) -> np.ndarray:
    f = np.zeros(n, FRAME_DTYPE)
    f["t"] = t0 + np.round(np.cumsum(rng.uniform(0.5, 6.0, n)), 3)  # stored frames at shot cuts
    f["phash"] = rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64) * np.uint64(2) + rng.integers(0, 2, n)
    f["quality"] = 80
    return f


def _noisy(rng: np.random.Generator, frames: np.ndarray) -> np.ndarray:
    out = frames.copy()
    for i in range(len(out)):
        for bit in rng.choice(64, int(rng.integers(1, 5)), replace=False):
            out["phash"][i] ^= np.uint64(1) << np.uint64(int(bit))
    out["t"] = out["t"] + 0.04
    return out


def _store(index: Index, path: str, frames: np.ndarray) -> int:
    vid = index.queue(path, 1_000_000, 0.0, f"sig-{path}")
    info = SimpleNamespace(duration=float(frames["t"].max()) + 2.0, fps=24.0, width=640, height=360, codec="h264")
    crop = SimpleNamespace(top=0.0, bottom=0.0, left=0.0, right=0.0)
    index.save_fingerprint(vid, info, frames, crop)
    return vid


def build(db: str, videos: int, frames: int) -> None:
    rng = np.random.default_rng(7)
    with Index.open(db) as index:
        originals = []
        for i in range(videos - PLANTED):
            f = _frames(rng, frames)
            _store(index, f"/lib/film{i:05d}.mp4", f)
            if i < PLANTED:
                originals.append(f)
        for i, f in enumerate(originals):
            _store(index, f"/lib/copy{i:05d}.mkv", _noisy(rng, f))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=2000)
    ap.add_argument("--frames", type=int, default=500)
    ap.add_argument("--db", default="/tmp/dupes_speed.db")
    args = ap.parse_args()
    if not os.path.exists(args.db):
        t = time.perf_counter()
        build(args.db, args.videos, args.frames)
        print(f"built {args.db} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    with Index.open(args.db) as index:
        t0 = time.perf_counter()
        finder = PairFinder(index)
        t1 = time.perf_counter()
        pairs = finder.all_pairs()
        t2 = time.perf_counter()
        found = sum(1 for p in pairs if p.kind == DUPLICATE and "copy" in p.b + p.a)
        weak = (finder.weak_checked, finder.decoded)
        # The new video is another re-encode of a film in the library: one pair to find.
        rng = np.random.default_rng(time.time_ns())
        source = index.video(f"/lib/film{args.videos // 2:05d}.mp4")
        extra = index.frames(source.id)
        new_id = _store(index, f"/lib/new-{time.time_ns()}.mp4", _noisy(rng, extra))
        t3 = time.perf_counter()
        new_pairs = finder.add(new_id)
        t4 = time.perf_counter()
        index.forget([index.video_by_id(new_id).path])  # leave the library as it was built
        status = index.status()
    print(f"weak hypotheses checked on pictures (all pairs): {weak[0]}, decoded: {weak[1]} "
          f"(the files are made up: a decode fails at once)", file=sys.stderr)
    print("| videos | frames | load s | all pairs s | total s | planted found | add one video s |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {status['videos']} | {status['frames']} | {t1 - t0:.1f} | {t2 - t1:.1f} | "
          f"{t2 - t0:.1f} | {found}/{PLANTED} (+{len(pairs) - found} other) | {t4 - t3:.3f} "
          f"({len(new_pairs)} pairs) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
