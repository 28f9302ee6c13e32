"""The hash scan behind search at scale finds exactly what a brute-force comparison finds."""

from __future__ import annotations

import numpy as np

from reelprint.hashes import hamming
from reelprint.hashscan import CHUNK, near


def test_scan_over_many_chunks_finds_every_hash_within_the_radius():
    rng = np.random.default_rng(4)
    hashes = rng.integers(0, 1 << 63, 2 * CHUNK + 1234, dtype=np.int64).view(np.uint64)
    queries = [int(hashes[5]) ^ 0b10110, int(hashes[CHUNK + 77]) ^ (1 << 40), int(rng.integers(1 << 62))]
    rows, distance = near(hashes, queries, 6)
    brute = np.min([hamming(hashes, np.uint64(q)) for q in queries], axis=0)
    assert rows.tolist() == np.flatnonzero(brute <= 6).tolist()
    assert distance.tolist() == brute[rows].tolist()
    assert {5, CHUNK + 77} <= set(rows.tolist())
