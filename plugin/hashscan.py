"""Finding the stored 64-bit hashes near a query's: a chunked, threaded XOR + popcount scan.

Multi-index hashing (three 21/22-bit substring tables, 16 bytes a hash) was built and measured
first: 15.6 ms a query at 1M frames for a radius of 11 bits. A plain scan with numpy's SIMD
popcount (`np.bitwise_count`, numpy >= 2) measured 1.6 ms at 1M, is exact for any radius, needs
nothing but the hashes (8 bytes a frame) and no build time, so it won. The scan runs in chunks
that stay in cache, all of a query's variants per chunk, on two threads (numpy releases the GIL).
See bench/search_speed.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Hashes per chunk: 256k x 8 bytes = 2 MB, so a chunk and its temporaries stay in a small CPU's
# cache (an assumption, not tuned).
CHUNK = 1 << 18
# Threads scanning chunks: the 2 cores the project targets.
THREADS = 2

_pool = ThreadPoolExecutor(THREADS, thread_name_prefix="reelprint-scan")


def _scan(hashes: np.ndarray, queries: np.ndarray, radius: int, start: int) -> tuple[np.ndarray, np.ndarray]:
    block = hashes[start:start + CHUNK]
    best = np.bitwise_count(np.bitwise_xor(block, queries[0]))
    for q in queries[1:]:
        np.minimum(best, np.bitwise_count(np.bitwise_xor(block, q)), out=best)
    rows = np.flatnonzero(best <= radius)
    return rows + start, best[rows]


def near(hashes: np.ndarray, queries: Sequence[int] | np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, distance) of every hash within `radius` bits of the nearest of `queries`, in row order."""
    queries = np.asarray(queries, dtype=np.uint64).reshape(-1)
    if len(hashes) <= CHUNK:
        return _scan(hashes, queries, radius, 0)
    parts = list(_pool.map(lambda s: _scan(hashes, queries, radius, s), range(0, len(hashes), CHUNK)))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
