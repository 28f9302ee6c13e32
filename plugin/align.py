"""Aligning two videos over their stored frames: where A's content sits in B, and how sure that is.

The index holds sparse frames: keyframes at shot cuts (every encoder puts an IDR frame at a cut,
so two encodes of one film share those frames, to within a frame's duration) plus frames decoded
inside long shots, whose times differ between encodes. So:

- Support: frames of A whose pHash is within FRAME_MATCH_BITS of a frame of B. Each match votes
  for an offset `t_b - t_a`; the offset with most votes (within OFFSET_TOLERANCE_S) wins, and its
  matches are the segment's support. Mirrored copies are aligned with B's hashes mirrored.
- Contradiction: a frame of A and a frame of B that sit at the same aligned moment (within
  CONTRADICTION_WINDOW_S) and look nothing alike. Two episodes that share an intro agree on the
  intro and contradict each other right after it; two encodes of one film never contradict.
- A segment runs from its first to its last supporting frame, split at contradictions, and is
  extended through stretches with no evidence either way (sparse sampling) up to EXTEND_MAX_S,
  never past a contradiction or the end of either video.

Frames that are not evidence (black, flat, fades, content recurring in many files) are masked out
by the caller through `Track.evidence`; they neither support nor contradict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reelprint.hashes import hamming

# pHash bits (of 64) at or under which two stored frames show the same picture. Measured on the
# shared media: the same cut frame in two encodes (BBB parulj/towardens, Sintel trailer a/b,
# cat.1/cat.3, dog.1/dog.2) differs by 0-8 bits; the nearest frame of an unrelated video (cat vs
# dog, Sintel excerpt vs Sintel trailer) is 20+ bits away.
FRAME_MATCH_BITS = 10
# Frames of one moment that differ by more than this many bits contradict an alignment. Unrelated
# frames sit at 32 +- 4 bits; frames of one shot half a second apart stay under 20.
CONTRADICTION_BITS = 24
# "The same moment" for a contradiction: a cut keyframe is shared to within a frame or two. At
# 0.5 s the Sintel trailer's sub-second shots made its two encodes contradict each other.
CONTRADICTION_WINDOW_S = 0.1
# Votes within this of each other are one offset: a cut frame lands on the same frame in two
# encodes, up to one frame at 24-30 fps (0.04 s), or 0.125 s at the 4 fps tiny BBB; 0.3 s also
# absorbs 25 vs 23.976 fps timestamps over short clips.
OFFSET_TOLERANCE_S = 0.3
# Matching frames a segment needs. One frame can match by chance (a title card, a logo); two at
# one consistent offset did not in any unrelated pair of the shared media or the benchmark.
MIN_SUPPORT = 2
# How far a segment is extended past its outermost supporting frame where neither video has a
# frame to compare: the longest gap between stored frames of one encode on the shared media is
# 10.4 s (bbb.mp4, a long GOP), so 15 s covers the unsampled ends of a shot.
EXTEND_MAX_S = 15.0
# A run of support with no matching frame for longer than this is cut in two: nothing says the
# stretch between is shared (two episodes with the same intro and outro at the same times).
SUPPORT_GAP_MAX_S = 2 * EXTEND_MAX_S
# When the two videos' shot rhythms already agree on an offset (`candidates.rhythm_pairs`), frames
# at that offset are the same picture up to this many bits: a 7% crop or a large logo moves the
# pHash of the same frame 6-20 bits (measured on the generated crops and the chair/pattern logo
# variants), while unrelated frames at one moment sit at 32 +- 4. LOOSE_MIN_SUPPORT such frames
# are needed, one more than MIN_SUPPORT, because the bar is lower.
LOOSE_MATCH_BITS = 20
LOOSE_MIN_SUPPORT = 3
# ...and at that offset, this share of the moments both videos have a frame for must agree: a crop
# of a film agrees at all of them; unrelated videos whose rhythms met by chance (1M-frame
# benchmark) agree at a few and contradict at dozens.
LOOSE_MIN_AGREEMENT = 0.8
# At most this many segments per pair (a compilation of excerpts of one film).
MAX_SEGMENTS = 8

# A left-right mirror flips the sign of DCT coefficients with odd horizontal frequency, which
# flips their pHash bits (the median sits near 0): measured 0-6 bits off the hash of the
# mirrored frame on BBB and the Sintel trailer.
MIRROR_MASK = np.uint64(sum(1 << (63 - (row * 8 + col)) for row in range(8) for col in range(1, 8, 2)))


def mirror_phash(hashes: np.ndarray) -> np.ndarray:
    """The pHashes of the left-right mirrored frames, from the hashes alone."""
    return np.bitwise_xor(np.asarray(hashes, dtype=np.uint64), MIRROR_MASK)


@dataclass(frozen=True)
class Track:
    """The frames of one video that alignment looks at, in time order."""

    t: np.ndarray         # seconds, float64
    phash: np.ndarray     # uint64
    evidence: np.ndarray  # bool: may support or contradict a match
    duration: float


@dataclass(frozen=True)
class Segment:
    """A stretch of A that is also in B, at `t_b = t_a + offset`."""

    offset: float
    a_span: tuple[float, float]
    b_span: tuple[float, float]
    support: int          # frames matched at this offset
    contradictions: int   # moments inside the two videos' overlap where they differ
    distance: float       # mean pHash distance of the supporting matches
    mirrored: bool = False

    @property
    def length(self) -> float:
        return self.a_span[1] - self.a_span[0]


def align(a: Track, b: Track, mirrored: bool | None = None, min_offset: float | None = None,
          at_offset: float | None = None) -> list[Segment]:
    """Segments of A found in B, longest first. `mirrored=None` tries B as is and mirrored and keeps
    the orientation with more support. `min_offset` keeps only offsets at least that large (a video
    against itself: loops). `at_offset` looks only at that offset, with the looser match of
    LOOSE_MATCH_BITS (the offset came from the shot rhythm, not from the pictures)."""
    orientations = [False, True] if mirrored is None else [mirrored]
    best: list[Segment] = []
    for flip in orientations:
        segments = _align_oriented(a, b, flip, min_offset, at_offset)
        if sum(s.support for s in segments) > sum(s.support for s in best):
            best = segments
    return sorted(best, key=lambda s: -s.length)


def _align_oriented(a: Track, b: Track, flip: bool, min_offset: float | None,
                    at_offset: float | None) -> list[Segment]:
    hb = mirror_phash(b.phash) if flip else b.phash
    dist = hamming(a.phash[:, None], hb[None, :]).astype(np.int16)
    both = a.evidence[:, None] & b.evidence[None, :]
    bits, need = (FRAME_MATCH_BITS, MIN_SUPPORT) if at_offset is None else (LOOSE_MATCH_BITS, LOOSE_MIN_SUPPORT)
    ia, ib = np.nonzero((dist <= bits) & both)
    deltas = b.t[ib] - a.t[ia]
    if min_offset is not None:
        keep = deltas >= min_offset
        ia, ib, deltas = ia[keep], ib[keep], deltas[keep]
    if at_offset is not None:
        keep = np.abs(deltas - at_offset) <= CONTRADICTION_WINDOW_S
        ia, ib, deltas = ia[keep], ib[keep], deltas[keep]
        support = min(len(np.unique(ia)), len(np.unique(ib)))
        against = len(_contradictions(a, b, dist, both, at_offset))
        if support < LOOSE_MIN_AGREEMENT * (support + against):
            return []
    segments: list[Segment] = []
    while len(deltas) >= need and len(segments) < MAX_SEGMENTS:
        offset = _vote(deltas)
        near = np.abs(deltas - offset) <= OFFSET_TOLERANCE_S
        if min(len(np.unique(ia[near])), len(np.unique(ib[near]))) < need:
            break
        offset = float(np.median(deltas[near]))
        contradictions = _contradictions(a, b, dist, both, offset)
        # Once the pictures fixed the offset, frames at exactly that moment count with the looser
        # match: a crop keeps some frames under 10 bits and moves the rest to 10-20.
        la, lb = np.nonzero((dist <= LOOSE_MATCH_BITS) & both
                            & (np.abs(b.t[None, :] - a.t[:, None] - offset) <= CONTRADICTION_WINDOW_S))
        sa, sb = np.concatenate([ia[near], la]), np.concatenate([ib[near], lb])
        segments.extend(_split(a, b, sa, sb, dist, offset, contradictions, flip, need))
        used_a, used_b = np.unique(ia[near]), np.unique(ib[near])
        keep = ~(np.isin(ia, used_a) | np.isin(ib, used_b))
        ia, ib, deltas = ia[keep], ib[keep], deltas[keep]
    return segments


def _vote(deltas: np.ndarray) -> float:
    """The offset with most votes within OFFSET_TOLERANCE_S (a sliding window over sorted votes)."""
    d = np.sort(deltas)
    counts = np.searchsorted(d, d + 2 * OFFSET_TOLERANCE_S, side="right") - np.arange(len(d))
    start = int(np.argmax(counts))
    return float(np.median(d[start:start + counts[start]]))


def _contradictions(a: Track, b: Track, dist: np.ndarray, both: np.ndarray, offset: float) -> np.ndarray:
    """Times (in A) of moments where A and B, aligned by `offset`, have frames that differ."""
    near = np.abs(b.t[None, :] - (a.t[:, None] + offset)) <= CONTRADICTION_WINDOW_S
    near &= both
    similar = near & (dist <= CONTRADICTION_BITS)
    a_side = near.any(axis=1) & ~similar.any(axis=1)
    b_side = near.any(axis=0) & ~similar.any(axis=0)
    return np.sort(np.concatenate([a.t[a_side], b.t[b_side] - offset]))


def _split(a: Track, b: Track, ia: np.ndarray, ib: np.ndarray, dist: np.ndarray, offset: float,
           contradictions: np.ndarray, flip: bool, need: int) -> list[Segment]:
    """The supporting matches of one offset, cut into runs at contradictions, each run extended
    through unsampled stretches."""
    order = np.argsort(a.t[ia], kind="stable")
    ia, ib = ia[order], ib[order]
    ta = a.t[ia]
    # Run number of each match: contradictions and long gaps without support before it.
    gaps = np.concatenate([[0], np.cumsum(np.diff(ta) > SUPPORT_GAP_MAX_S)])
    run = np.searchsorted(contradictions, ta) + gaps * (len(contradictions) + 1)
    lo_limit = max(0.0, -offset)                    # where B starts, in A's time
    hi_limit = min(a.duration, b.duration - offset)  # where either ends
    out = []
    for r in np.unique(run):
        sel = run == r
        if min(len(np.unique(ia[sel])), len(np.unique(ib[sel]))) < need:
            continue
        first, last = float(ta[sel][0]), float(ta[sel][-1])
        before = contradictions[contradictions < first]
        after = contradictions[contradictions > last]
        start = max(first - EXTEND_MAX_S, lo_limit, float(before[-1]) if len(before) else -np.inf)
        end = min(last + EXTEND_MAX_S, hi_limit, float(after[0]) if len(after) else np.inf)
        start, end = min(start, first), max(end, last)
        inside = (contradictions > start) & (contradictions < end)
        out.append(Segment(
            offset=round(offset, 3), a_span=(round(start, 3), round(end, 3)),
            b_span=(round(start + offset, 3), round(end + offset, 3)),
            support=int(min(len(np.unique(ia[sel])), len(np.unique(ib[sel])))),
            contradictions=int(inside.sum()),
            distance=float(dist[ia[sel], ib[sel]].mean()), mirrored=flip))
    return out


def covered(segments: list[Segment], side: str) -> float:
    """Seconds of one side ('a' or 'b') inside the union of the segments' spans."""
    spans = sorted(getattr(s, f"{side}_span") for s in segments)
    total, reach = 0.0, -np.inf
    for start, end in spans:
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def plausible_at(a: Track, b: Track, offset: float, mirrored: bool, min_loose: int, agree_bits: int,
                 partial: bool) -> bool:
    """Whether B may show A at `t_b = t_a + offset` though too few frames matched to align: at
    least `min_loose` frames of A have a frame of B within LOOSE_MATCH_BITS at that moment
    (CONTRADICTION_WINDOW_S), and at least LOOSE_MIN_AGREEMENT of the moments where both have a
    frame are within `agree_bits`: all such moments, or with `partial` only those between the
    first and the last loose match (the two may share only a segment). Looks only near the
    offset, so it is cheap enough for every one-frame coincidence of a large library."""
    hb = mirror_phash(b.phash) if mirrored else b.phash
    ta = a.t[a.evidence]
    ia, ib, _ = _near_offset(ta, b.t[b.evidence], offset, CONTRADICTION_WINDOW_S)
    dist = hamming(a.phash[a.evidence][ia], hb[b.evidence][ib])
    loose = np.unique(ia[dist <= LOOSE_MATCH_BITS])
    if len(loose) < min_loose:
        return False
    inside = (ta[ia] >= ta[loose[0]]) & (ta[ia] <= ta[loose[-1]]) if partial else np.ones(len(ia), bool)
    agree = np.unique(ia[inside & (dist <= agree_bits)])
    return len(agree) >= LOOSE_MIN_AGREEMENT * len(np.unique(ia[inside]))


def _near_offset(ta: np.ndarray, tb: np.ndarray, offset: float, tolerance: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, |t_b[j] - t_a[i] - offset|) of every frame pair within `tolerance` of the offset;
    `tb` sorted."""
    lo = np.searchsorted(tb, ta + offset - tolerance, side="left")
    hi = np.searchsorted(tb, ta + offset + tolerance, side="right")
    counts = hi - lo
    i = np.repeat(np.arange(len(ta)), counts)
    j = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
    return i, j, np.abs(tb[j] - ta[i] - offset)
