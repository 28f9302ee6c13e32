"""Which videos might share content: an inverted index on pHash sub-blocks, never all pairs of videos.

Each 64-bit hash is cut into BLOCKS blocks of 16 bits (KEY_BITS). Two hashes within a
few bits of each other agree exactly on at least one block (always at <= 3 bits apart, and mostly
up to FRAME_MATCH_BITS), so frames are only ever compared with the frames that share a block value
with them: about n * 4 * n / 65536 comparisons instead of n^2. Each frame is also entered mirrored, so a mirrored
re-upload meets its original. A comparison counts when the full hashes are within
FRAME_MATCH_BITS; the result is, per pair of videos, how many frames matched (a candidate to align),
and which frames matched which (to find recurring content: intros, logos).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from reelprint.align import FRAME_MATCH_BITS, mirror_phash
from reelprint.hashes import hamming, uint64_to_bits

BLOCKS = 4
BLOCK_BITS = 16
# The bit positions of each key: the hash cut into 4 runs of 16 bits. A second cut (4 interleaved
# sets, every 4th bit) was measured: recall 84.8% -> 86.1% on bench/dupes_accuracy.py, but all
# pairs of 1M frames 22 s -> 82 s and adding a video 0.3 s -> 1.9 s, so it is left out.
KEY_BITS = [np.arange(b * BLOCK_BITS, (b + 1) * BLOCK_BITS) for b in range(BLOCKS)]
# A block value shared by more than this many frames is content with little information (flat
# gradients, one colour field, a logo in every file): its comparisons are skipped, the frames
# still meet through their other blocks. With random hashes a 1M-frame index has ~30 per bucket.
MAX_BUCKET = 512
# Frame comparisons held in memory at once while enumerating buckets (bounds memory at ~200 MB).
PAIR_CHUNK = 4_000_000


@dataclass(frozen=True)
class FrameTable:
    """Compact columns of every frame that may be evidence (usable quality), sorted by video."""

    video: np.ndarray   # int64 video id
    t: np.ndarray       # float64 seconds
    phash: np.ndarray   # uint64


@dataclass
class Candidates:
    """Result of a candidate search: matched frames per video pair, and the matching frames."""

    pairs: dict[tuple[int, int], int]   # (smaller id, larger id) -> frames matched
    p: np.ndarray                       # rows of the table: frame p matches frame q
    q: np.ndarray


def _entries(phash: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keys, rows, mirrored) of every block of every hash, plain and mirrored."""
    n = len(phash)
    bits = uint64_to_bits(np.concatenate([phash, mirror_phash(phash)]))
    keys = np.concatenate([
        (np.uint64(k) << np.uint64(BLOCK_BITS))
        | np.ascontiguousarray(np.packbits(bits[:, positions], axis=1)).view(">u2").reshape(-1).astype(np.uint64)
        for k, positions in enumerate(KEY_BITS)])
    rows = np.tile(np.arange(n, dtype=np.int64), 2 * len(KEY_BITS))
    mirrored = np.tile(np.repeat([False, True], n), len(KEY_BITS))
    return keys, rows, mirrored


def bucket_pairs(keys: np.ndarray, max_bucket: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(p, q) positions of every two entries with the same key in sorted `keys`, in chunks;
    buckets larger than `max_bucket` are skipped."""
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    sizes = np.diff(np.concatenate([starts, [len(keys)]]))
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= max_bucket)]):
        bucket_starts = starts[sizes == size]
        iu, ju = np.triu_indices(int(size), 1)
        per_chunk = max(1, PAIR_CHUNK // len(iu))
        for c in range(0, len(bucket_starts), per_chunk):
            s = bucket_starts[c:c + per_chunk, None]
            yield (s + iu).ravel(), (s + ju).ravel()


def query_pairs(keys: np.ndarray, query: np.ndarray, max_bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """(p, q) positions: each query position with every entry of the same key in sorted `keys`."""
    lo = np.searchsorted(keys, keys[query], side="left")
    hi = np.searchsorted(keys, keys[query], side="right")
    ok = (hi - lo) <= max_bucket
    query, lo, hi = query[ok], lo[ok], hi[ok]
    counts = hi - lo
    p = np.repeat(query, counts)
    q = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
    return p, q


class BlockIndex:
    """The inverted index over a FrameTable: built once, queried for all pairs or for one video."""

    def __init__(self, table: FrameTable) -> None:
        self.table = table
        keys, rows, mirrored = _entries(table.phash)
        order = np.argsort(keys, kind="stable")
        self.keys, self.rows, self.mirrored = keys[order], rows[order], mirrored[order]

    def add(self, table: FrameTable, rows: np.ndarray) -> None:
        """Take in new frames: `table` is the grown table, `rows` the new rows in it."""
        self.table = table
        keys, local, mirrored = _entries(table.phash[rows])
        order = np.argsort(keys, kind="stable")
        keys, local, mirrored = keys[order], local[order], mirrored[order]
        at = np.searchsorted(self.keys, keys)
        self.keys = np.insert(self.keys, at, keys)
        self.rows = np.insert(self.rows, at, rows[local])
        self.mirrored = np.insert(self.mirrored, at, mirrored)

    def all_pairs(self) -> Candidates:
        """Every pair of videos with matching frames, from bucket-internal comparisons only."""
        found = [self._verified(p, q) for p, q in bucket_pairs(self.keys, MAX_BUCKET)]
        return self._tally(np.concatenate([f[0] for f in found] or [np.zeros(0, np.int64)]),
                           np.concatenate([f[1] for f in found] or [np.zeros(0, np.int64)]))

    def pairs_for(self, rows: np.ndarray) -> Candidates:
        """Pairs between the frames at `rows` (one video's) and every other frame."""
        wanted = np.zeros(len(self.table.video), bool)
        wanted[rows] = True
        p, q = self._verified(*query_pairs(self.keys, np.flatnonzero(wanted[self.rows]), MAX_BUCKET))
        return self._tally(p, q)

    def _verified(self, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Entry pairs -> (row, row) pairs of frames of different videos whose hashes match, each
        frame pair once (plain-plain or plain-mirrored; a pair found in two blocks counts once)."""
        t = self.table
        rp, rq, mp, mq = self.rows[p], self.rows[q], self.mirrored[p], self.mirrored[q]
        ok = (t.video[rp] != t.video[rq]) & ~(mp & mq)
        rp, rq, mp, mq = rp[ok], rq[ok], mp[ok], mq[ok]
        hp = np.where(mp, mirror_phash(t.phash[rp]), t.phash[rp])
        hq = np.where(mq, mirror_phash(t.phash[rq]), t.phash[rq])
        keep = hamming(hp ^ hq, 0) <= FRAME_MATCH_BITS
        # A mirrored frame pair is found twice (plain-mirrored and mirrored-plain): keep one.
        keep &= ~(mp & (rp < rq)) & ~(mq & (rq < rp))
        return rp[keep], rq[keep]

    def _tally(self, p: np.ndarray, q: np.ndarray) -> Candidates:
        """Frame pairs (each counted once, however many blocks they met in) per video pair."""
        vid = self.table.video
        n = len(vid)
        once = np.unique(np.minimum(p, q) * n + np.maximum(p, q))
        p, q = once // n, once % n
        va, vb = vid[p], vid[q]
        lo, hi = np.minimum(va, vb), np.maximum(va, vb)
        keys, counts = np.unique((lo << 32) | hi, return_counts=True)
        pairs = {(int(k >> 32), int(k & 0xFFFFFFFF)): int(c) for k, c in zip(keys, counts, strict=True)}
        return Candidates(pairs, p, q)
