"""Bytes per frame on disk in the SQLite index, palette included.

    .venv/bin/python bench/storage_size.py [--frames 100000]

Fingerprints a real clip (../shared/media, else a generated one), repeats its frames with new
times and hashes to the requested count (one video, and the same frames spread over 1,000
videos), writes them through store.Index, checkpoints and vacuums, and divides the growth of
the file, and the pages of the frame table alone (SQLite's dbstat), by the number of frames.
Goal: at most 64 bytes a frame.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from reelprint.indexer import fingerprint
from reelprint.store import Index
from reelprint.synth import make_film

SHARED = Path(__file__).resolve().parents[2] / "shared" / "media"


def bytes_per_frame(fp, frames: np.ndarray, videos: int, tmp: Path) -> tuple[float, float]:
    path = tmp / f"size-{videos}.db"
    with Index.open(path) as index:
        index.db.execute_sql("VACUUM")
        empty = path.stat().st_size
        for i, part in enumerate(np.array_split(frames, videos)):
            video_id = index.queue(f"/films/{i:05d}.mkv", 1, 1.0, f"sig{i}")
            index.save_fingerprint(video_id, fp.info, part, fp.crop)
        index.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        index.db.execute_sql("VACUUM")
        table = index.db.execute_sql("SELECT SUM(pgsize) FROM dbstat WHERE name = 'frame'").fetchone()[0]
    return (path.stat().st_size - empty) / len(frames), table / len(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source = SHARED / "parulj-ivideo" / "big_buck_bunny.mp4"
        fp = fingerprint(source if source.exists() else make_film(tmp / "film.mp4", 20, seed=1))
        frames = np.resize(fp.frames, args.frames)
        frames["t"] = np.arange(len(frames)) * 2.0  # 2 s apart: times up to the length of a long film
        frames["phash"] = np.random.default_rng(0).integers(0, 2**63, len(frames), dtype=np.uint64) * 2 + 1
        print(f"{'frames spread over':20} {'frames':>8} {'file growth/frame':>18} {'frame table/frame':>18}")
        for videos in (1, 1000):
            growth, table = bytes_per_frame(fp, frames, videos, tmp)
            print(f"{f'{videos} video(s)':20} {len(frames):8d} {growth:18.1f} {table:18.1f}")


if __name__ == "__main__":
    main()
