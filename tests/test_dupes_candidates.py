"""The candidate index and the aligner on made-up frame arrays (no video needed)."""

from __future__ import annotations

import numpy as np

from reelprint.align import Track, align, mirror_phash
from reelprint.candidates import BlockIndex, FrameTable


def _hashes(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64) << np.uint64(1)


def _flip(rng: np.random.Generator, hashes: np.ndarray, bits: int) -> np.ndarray:
    out = hashes.copy()
    for i in range(len(out)):
        for b in rng.choice(64, bits, replace=False):
            out[i] ^= np.uint64(1) << np.uint64(int(b))
    return out


def test_all_pairs_and_incremental_agree() -> None:
    rng = np.random.default_rng(3)
    videos, per = 60, 40
    hashes = _hashes(rng, videos * per)
    # Video 59 is a noisy copy of video 7, video 58 a mirrored copy of video 3.
    hashes[59 * per:] = _flip(rng, hashes[7 * per:8 * per], 3)
    hashes[58 * per:59 * per] = mirror_phash(_flip(rng, hashes[3 * per:4 * per], 2))
    video = np.repeat(np.arange(videos), per).astype(np.int64)
    t = np.tile(np.arange(per) * 2.0, videos)
    full = BlockIndex(FrameTable(video, t, hashes)).all_pairs()
    assert {k for k, n in full.pairs.items() if n >= 2} == {(7, 59), (3, 58)}
    # The same library built without video 59, which then arrives: only its pairs are found.
    keep = video != 59
    grown = BlockIndex(FrameTable(video[keep], t[keep], hashes[keep]))
    table = FrameTable(np.concatenate([video[keep], video[~keep]]), np.concatenate([t[keep], t[~keep]]),
                       np.concatenate([hashes[keep], hashes[~keep]]))
    new_rows = np.arange(keep.sum(), len(video))
    grown.add(table, new_rows)
    assert {k for k, n in grown.pairs_for(new_rows).pairs.items() if n >= 2} == {(7, 59)}


def test_align_finds_offset_and_rejects_shuffled() -> None:
    rng = np.random.default_rng(5)
    a = _hashes(rng, 30)
    ta = np.arange(30) * 3.0
    film = Track(ta, a, np.ones(30, bool), 90.0)
    # B is A from 15 s on, re-encoded (2 bits), its stored frames 0.04 s later.
    excerpt = Track(ta[5:] - 15.0 + 0.04, _flip(rng, a[5:], 2), np.ones(25, bool), 75.0)
    seg = align(film, excerpt)[0]
    assert abs(seg.offset + 15.0) < 0.1 and seg.support == 25 and not seg.mirrored
    # The same frames in another order share pictures but no consistent offset: no long segment.
    shuffled = Track(ta, a[rng.permutation(30)], np.ones(30, bool), 90.0)
    assert all(s.length < 40 for s in align(film, shuffled))
