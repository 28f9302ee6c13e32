"""Candidates by shot rhythm: videos whose stored frames fall at the same intervals.

Encoders put keyframes at shot cuts, so two encodes of one film store frames at the same moments,
whatever a crop, a logo or a colour grade did to the pictures (which can move every pHash past
FRAME_MATCH_BITS). A run of RHYTHM_RUN consecutive gaps between a video's stored frames is a key;
two videos sharing RHYTHM_MIN_AGREEING keys at one time offset are a candidate, which
`align.align(..., at_offset=...)` then checks picture by picture at that offset only.
"""

from __future__ import annotations

import numpy as np

from reelprint.candidates import FrameTable, bucket_pairs, query_pairs

# Gaps are compared in steps of this many seconds: the same cut is stored at the same pts to within
# a frame (0.03-0.04 s at 24-30 fps) in two encodes.
RHYTHM_STEP_S = 0.2
# Gaps per key: four gaps of 0.5-6 s in 0.2 s steps make ~700,000 keys, so a random match of one
# key between unrelated videos is rare, two at one offset rarer still. With three gaps, a
# 1M-frame library had so many chance agreements that checking them took minutes.
RHYTHM_RUN = 4
# Windows that must agree on one offset. Consecutive windows share all gaps but one, so after one
# chance match the next agrees 1 time in ~28: with 2, the 1M-frame benchmark had 25,000 chance
# pairs (2 minutes to check); with 3, a few hundred. Two encodes agree at hundreds of windows.
RHYTHM_MIN_AGREEING = 3
# A key shared by more windows than this is a common rhythm (a fixed 2 s keyframe grid): skipped.
RHYTHM_MAX_BUCKET = 64
# Offsets are counted in bins of this width (the step, so one cut shared by two windows agrees).
OFFSET_BIN_S = 0.5
_GAP_BITS = 12


def _windows(video: np.ndarray, t: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keys, first rows) of every run of RHYTHM_RUN gaps inside one video (rows in time order),
    runs whose gaps are all equal left out: a fixed keyframe grid says nothing about content."""
    v, tt = video[rows], t[rows]
    start = np.arange(max(0, len(rows) - RHYTHM_RUN))
    start = start[v[start] == v[start + RHYTHM_RUN]]
    gaps = np.stack([np.rint((tt[start + k + 1] - tt[start + k]) / RHYTHM_STEP_S) for k in range(RHYTHM_RUN)],
                    axis=1).astype(np.int64)
    gaps = np.clip(gaps, 0, (1 << _GAP_BITS) - 1)
    varied = ~np.all(gaps == gaps[:, :1], axis=1)
    keys = np.zeros(int(varied.sum()), np.int64)
    for k in range(RHYTHM_RUN):
        keys = (keys << _GAP_BITS) | gaps[varied, k]
    return keys, rows[start[varied]]


class RhythmIndex:
    """Rhythm keys of every video in a FrameTable, sorted for bucket and point queries."""

    def __init__(self, table: FrameTable) -> None:
        self.table = table
        order = np.lexsort((table.t, table.video))
        keys, rows = _windows(table.video, table.t, order)
        by_key = np.argsort(keys, kind="stable")
        self.keys, self.rows = keys[by_key], rows[by_key]

    def add(self, table: FrameTable, rows: np.ndarray) -> None:
        """Take in one new video's frames (`rows` of the grown `table`)."""
        self.table = table
        keys, first = _windows(table.video, table.t, rows[np.argsort(table.t[rows], kind="stable")])
        by_key = np.argsort(keys, kind="stable")
        at = np.searchsorted(self.keys, keys[by_key])
        self.keys = np.insert(self.keys, at, keys[by_key])
        self.rows = np.insert(self.rows, at, first[by_key])

    def all_pairs(self) -> dict[tuple[int, int], float]:
        """(video a, video b) -> offset (t_b - t_a) of every pair whose rhythms agree."""
        found = [self._rows(p, q) for p, q in bucket_pairs(self.keys, RHYTHM_MAX_BUCKET)]
        return self._tally(np.concatenate([f[0] for f in found] or [np.zeros(0, np.int64)]),
                           np.concatenate([f[1] for f in found] or [np.zeros(0, np.int64)]))

    def pairs_for(self, rows: np.ndarray) -> dict[tuple[int, int], float]:
        """Like all_pairs, for the video whose frames are `rows` against all others."""
        wanted = np.zeros(len(self.table.video), bool)
        wanted[rows] = True
        return self._tally(*self._rows(*query_pairs(self.keys, np.flatnonzero(wanted[self.rows]),
                                                     RHYTHM_MAX_BUCKET)))

    def _rows(self, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rp, rq = self.rows[p], self.rows[q]
        other = self.table.video[rp] != self.table.video[rq]
        return rp[other], rq[other]

    def _tally(self, rp: np.ndarray, rq: np.ndarray) -> dict[tuple[int, int], float]:
        video, t = self.table.video, self.table.t
        swap = video[rp] > video[rq]
        ra, rb = np.where(swap, rq, rp), np.where(swap, rp, rq)
        offset = t[rb] - t[ra]
        bins = np.rint(offset / OFFSET_BIN_S).astype(np.int64)
        out: dict[tuple[int, int], float] = {}
        if not len(ra):
            return out
        keys = np.stack([video[ra], video[rb], bins], axis=1)
        uniq, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
        for i in np.flatnonzero(counts >= RHYTHM_MIN_AGREEING):
            pair = (int(uniq[i, 0]), int(uniq[i, 1]))
            if pair not in out:
                out[pair] = float(np.median(offset[inverse.reshape(-1) == i]))
        return out
