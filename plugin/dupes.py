"""Related videos: duplicates (the same content end to end, up to a few seconds trimmed), excerpts
(one contains the other) and overlaps (they share a segment), from the frame index.

Candidates come from the inverted index in `candidates.py`; each candidate pair is aligned in both
directions (`align.py`): how much of A is in B and how much of B is in A is what tells a duplicate
(both nearly all) from an excerpt (one nearly all) from a shared segment (neither), as in vPDQ.
Never evidence: low-quality frames (black, flat, fades) and frames recurring in many videos
(series intros and outros, studio logos, title cards). A person's verdicts ("not a duplicate",
"keep both") are kept against content signatures and applied here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from reelprint import confirm
from reelprint.align import (
    CONTRADICTION_BITS,
    LOOSE_MATCH_BITS,
    LOOSE_MIN_SUPPORT,
    MIN_SUPPORT,
    Segment,
    Track,
    align,
    covered,
    mirror_phash,
    plausible_at,
)
from reelprint.borders import LetterboxCrop
from reelprint.candidates import BlockIndex, Candidates, FrameTable
from reelprint.errors import ReelprintError
from reelprint.features import EVIDENCE_MIN_QUALITY
from reelprint.hashes import hamming
from reelprint.library import TRASH_DIR
from reelprint.rhythm import RhythmIndex
from reelprint.store import Index, VideoRecord

DUPLICATE, CONTAINS, OVERLAP = "duplicate", "contains", "overlap"
NOT_DUPLICATE, KEEP_BOTH = "not_duplicate", "keep_both"
VERDICTS = (NOT_DUPLICATE, KEEP_BOTH)

# Seconds of a video that may be missing from the other and it still counts as wholly inside it:
# "a few seconds trimmed" (bbb.mp4, 33.8 s, is BBB 0-30 s plus 3.8 s), and never more than
# TRIM_MAX_SHARE of the video: 4 s of a 6 s clip is an excerpt, not a trim. At 10 s, a
# compilation of two films' excerpts was called a duplicate of one of them (its other half lies
# in a stretch segments are extended through, bench/dupes_accuracy.py), so 5 s.
TRIM_MAX_S = 5.0
TRIM_MAX_SHARE = 0.25
# A frame found in this many or more otherwise unrelated videos (clusters of copies count once)
# is recurring content: a series intro, a studio logo, a title card. Overlaps that rest on it
# are dropped. Three: two episodes sharing an intro are already an overlap, not a duplicate;
# a third and fourth make the intro recurring. Seven encodes of one chair clip are one cluster.
RECURRING_MIN_CLUSTERS = 3
# Rounds of chain hypotheses (`confirm.chain_hypotheses`): a pair confirmed in one round can
# imply more in the next (a crop of a film, then its excerpt's crop). Two covered every chain
# of bench/dupes_accuracy.py; each round only adds pairs, so more cost only time.
CHAIN_ROUNDS = 2
# What the stored frames must show at a hypothesis' offset before it is decoded
# (`align.plausible_at`). A seed is one coincidence among many: 58,843 in the 1M-frame speed
# benchmark of random hashes. Like a shot-rhythm candidate it needs LOOSE_MIN_SUPPORT loose
# matches, and 80% of the moments where both videos have a frame, anywhere in their overlap, must
# be loose matches too: then none of those random coincidences passed (with two matches and
# agreement up to CONTRADICTION_BITS between them only, 3,303 did; with three, 301; three and
# agreement to LOOSE_MATCH_BITS, 119). So seeds find whole copies (a large logo, a fixed keyframe
# grid); shared segments come through chains. A chain has two found pairs behind it already: two
# loose matches and, between them, no more than 20% of the moments contradicting.
CHAIN_MIN_LOOSE = 2
# Share of the progress bar for the strict stages; the rest is the weak pairs' decoding.
STRICT_SHARE = 0.8

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Pair:
    """Two related videos. For `contains`, `a` is the longer one and holds all of `b`."""

    a: str
    b: str
    kind: str
    a_span: tuple[float, float]
    b_span: tuple[float, float]
    offset: float          # t_b = t_a + offset
    similarity: float      # 0..1: matched moments / (matched + contradicting), closeness of the hashes
    mirrored: bool
    a_id: int
    b_id: int
    verdict: str | None = None   # a person's decision on this pair, if any

    def as_json(self) -> dict:
        return {"a": self.a, "b": self.b, "kind": self.kind, "a_span": list(self.a_span),
                "b_span": list(self.b_span), "offset": self.offset, "similarity": self.similarity}


def classify(a: VideoRecord, b: VideoRecord, segments: list[Segment]) -> Pair | None:
    """The relation of A and B from their aligned segments (same orientation), or None."""
    if not segments:
        return None
    main = segments[0]
    same = [s for s in segments if s.mirrored == main.mirrored]
    dur_a, dur_b = _duration(a, main.a_span[1]), _duration(b, main.b_span[1])
    a_inside = dur_a - covered(same, "a") <= min(TRIM_MAX_S, TRIM_MAX_SHARE * dur_a)
    b_inside = dur_b - covered(same, "b") <= min(TRIM_MAX_S, TRIM_MAX_SHARE * dur_b)
    support = sum(s.support for s in same)
    contradictions = sum(s.contradictions for s in same)
    closeness = 1 - float(np.mean([s.distance for s in same])) / 64
    similarity = round(support / (support + contradictions) * closeness, 4)
    if a_inside and b_inside:
        kind = DUPLICATE
    elif a_inside or b_inside:
        kind = CONTAINS
    else:
        kind = OVERLAP
    if kind == CONTAINS and a_inside:  # B holds all of A: make the container `a`
        return Pair(b.path, a.path, kind, main.b_span, main.a_span, -main.offset, similarity, main.mirrored,
                    b.id, a.id)
    if kind != CONTAINS and a.path > b.path:
        return Pair(b.path, a.path, kind, main.b_span, main.a_span, -main.offset, similarity, main.mirrored,
                    b.id, a.id)
    return Pair(a.path, b.path, kind, main.a_span, main.b_span, main.offset, similarity, main.mirrored, a.id, b.id)


def _duration(v: VideoRecord, last_matched: float) -> float:
    return max(v.duration or 0.0, last_matched)


def _in_trash(path: str) -> bool:
    return f"{os.sep}{TRASH_DIR}{os.sep}" in path


class PairFinder:
    """The index's frames in memory plus the block index over them: find all related pairs once,
    then `add` each new video and compare only its candidates."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.videos = {v.id: v for v in index.videos(state="indexed") if not _in_trash(v.path)}
        vid, t, phash, _ = index.hash_columns(EVIDENCE_MIN_QUALITY, swept=False)
        keep = np.isin(vid, list(self.videos))
        self.table = FrameTable(vid[keep].astype(np.int64), t[keep].astype(np.float64), phash[keep])
        self.blocks = BlockIndex(self.table)
        self.rhythm = RhythmIndex(self.table)
        self.decisions = index.decisions()
        self.found: dict[tuple[int, int], Pair] = {}
        self._p = self._q = np.zeros(0, np.int64)
        self._row_of: dict[int, np.ndarray] | None = None
        self._looked: set[tuple[int, int, int, bool]] = set()   # weak hypotheses already settled
        self._recurring_only: set[tuple[int, int]] = set()      # pairs sharing only recurring content
        self._implausible: set[tuple] = set()                   # (hypothesis, bar) judged not worth decoding
        self.weak_checked = 0   # weak hypotheses judged on pictures...
        self.decoded = 0        # ...of which decoded now (the rest read back from the index)

    def all_pairs(self, progress: Progress | None = None) -> list[Pair]:
        """Every related pair in the library."""
        candidates = self.blocks.all_pairs()
        self.found = {}
        self._looked, self._implausible, self._recurring_only = set(), set(), set()
        self._p, self._q = candidates.p, candidates.q
        self._compare(candidates, self.rhythm.all_pairs(), progress)
        self._confirm_weak(candidates, None, progress)
        return sorted(self.found.values(), key=lambda p: (p.a, p.b))

    def add(self, video_id: int, progress: Progress | None = None) -> list[Pair]:
        """Take in one newly indexed video and return its related pairs."""
        v = self.index.video_by_id(video_id)
        if v is None or v.state != "indexed" or _in_trash(v.path) or video_id in self.videos:
            return []
        self.videos[video_id] = v
        frames = self.index.frames(video_id, swept=False)
        frames = frames[frames["quality"] >= EVIDENCE_MIN_QUALITY]
        start = len(self.table.video)
        self.table = FrameTable(np.concatenate([self.table.video, np.full(len(frames), video_id, np.int64)]),
                                np.concatenate([self.table.t, frames["t"]]),
                                np.concatenate([self.table.phash, frames["phash"]]))
        self._row_of = None
        new_rows = np.arange(start, len(self.table.video))
        self.blocks.add(self.table, new_rows)
        self.rhythm.add(self.table, new_rows)
        candidates = self.blocks.pairs_for(new_rows)
        self._p, self._q = np.concatenate([self._p, candidates.p]), np.concatenate([self._q, candidates.q])
        self._compare(candidates, self.rhythm.pairs_for(new_rows), progress)
        self._confirm_weak(candidates, video_id, progress)
        return sorted((p for p in self.found.values() if video_id in (p.a_id, p.b_id)), key=lambda p: (p.a, p.b))

    def _rows(self, video_id: int) -> np.ndarray:
        if self._row_of is None:
            order = np.argsort(self.table.video, kind="stable")
            ids, starts, counts = np.unique(self.table.video[order], return_index=True, return_counts=True)
            self._row_of = {int(v): order[s:s + c] for v, s, c in zip(ids, starts, counts, strict=True)}
        return self._row_of.get(video_id, np.zeros(0, np.int64))

    def _track(self, video_id: int, recurring: np.ndarray | None = None) -> Track:
        rows = self._rows(video_id)
        evidence = np.ones(len(rows), bool) if recurring is None else ~recurring[rows]
        duration = self.videos[video_id].duration or float(self.table.t[rows].max(initial=0.0))
        return Track(self.table.t[rows], self.table.phash[rows], evidence, duration)

    def _compare(self, candidates: Candidates, rhythm: dict[tuple[int, int], float],
                 progress: Progress | None) -> None:
        """Align each candidate pair; then look again at the overlaps without recurring frames."""
        # A pair needs MIN_SUPPORT matching frames to align, and the candidate count is a lower
        # bound of them: random one-frame coincidences are never aligned. Pairs that only share
        # a shot rhythm are checked at the offset the rhythm gives (crops, logos).
        strict = {k for k, n in candidates.pairs.items() if n >= MIN_SUPPORT}
        at_offset: dict[tuple[int, int], float | None] = {k: None for k in strict}
        at_offset.update({k: off for k, off in rhythm.items() if k not in strict})
        keys = sorted(at_offset)
        for i, key in enumerate(keys):
            if progress is not None:
                progress(STRICT_SHARE * i / max(1, len(keys)), os.path.basename(self.videos[key[0]].path))
            self._judge(key, None, at_offset[key])
        recurring = self._recurring()
        for key in keys:
            if key in self.found and self.found[key].kind == OVERLAP:
                self._judge(key, recurring, at_offset[key])
                if key not in self.found:  # it rested on recurring content: not for the weak stage either
                    self._recurring_only.add(key)

    def _judge(self, key: tuple[int, int], recurring: np.ndarray | None, at_offset: float | None) -> None:
        a, b = self.videos[key[0]], self.videos[key[1]]
        verdict = self.decisions.get(frozenset((a.signature, b.signature))) if a.signature and b.signature else None
        pair = None
        if verdict != NOT_DUPLICATE:
            pair = classify(a, b, align(self._track(a.id, recurring), self._track(b.id, recurring),
                                        at_offset=at_offset))
        if pair is None:
            self.found.pop(key, None)
        else:
            self.found[key] = pair if verdict is None else _with_verdict(pair, verdict)

    def _confirm_weak(self, candidates: Candidates, around: int | None, progress: Progress | None) -> None:
        """Pairs the strict stage could not settle, checked on decoded pictures (`confirm.py`):
        seeds (one matched stored frame, plausible at its offset), then chains of found pairs
        (with `around`, only in that video's group: nothing else changed)."""
        seeds = []
        for key, (p, q) in _first_match(candidates, self.table.video).items():
            if key in self.found:
                continue
            p, q = (p, q) if self.table.video[p] == key[0] else (q, p)
            hp, hq = self.table.phash[p], self.table.phash[q]
            mirrored = bool(hamming(mirror_phash(hp), hq) < hamming(hp, hq))
            seed = confirm.Hypothesis(key[0], key[1], float(self.table.t[q] - self.table.t[p]), mirrored)
            if self._plausible(seed, LOOSE_MIN_SUPPORT, LOOSE_MATCH_BITS, partial=False):
                seeds.append(seed)
        self._check_all(seeds, progress)
        for _ in range(CHAIN_ROUNDS):
            pairs = list(self.found.values())
            if around is not None:
                group = next((c for c in components([(p.a_id, p.b_id) for p in pairs]) if around in c), set())
                pairs = [p for p in pairs if p.a_id in group]
            edges = [confirm.Edge(p.a_id, p.b_id, p.offset, p.mirrored, p.kind != OVERLAP, p.a_span, p.b_span)
                     for p in pairs]
            fresh = [h for h in confirm.chain_hypotheses(edges)
                     if self._plausible(h, CHAIN_MIN_LOOSE, CONTRADICTION_BITS, partial=True)]
            if not fresh:
                break
            self._check_all(fresh, progress)
        if progress is not None:
            progress(1.0, "")

    def _plausible(self, h: confirm.Hypothesis, min_loose: int, agree_bits: int, partial: bool) -> bool:
        """Not settled yet, and worth decoding by this bar (`align.plausible_at`). Implausible
        ones are remembered with the bar, so each add does not judge them again."""
        test = (_hypothesis_key(h), min_loose, agree_bits, partial)
        if self._settled(h) or test in self._implausible:
            return False
        if plausible_at(self._track(h.a_id), self._track(h.b_id), h.offset, h.mirrored, min_loose, agree_bits,
                        partial):
            return True
        self._implausible.add(test)
        return False

    def _check_all(self, hypotheses: list[confirm.Hypothesis], progress: Progress | None) -> None:
        for i, h in enumerate(hypotheses):
            if progress is not None:
                progress(STRICT_SHARE + (1 - STRICT_SHARE) * i / len(hypotheses),
                         "checking pictures: " + os.path.basename(self.videos[h.a_id].path))
            self._check(h)

    def _settled(self, h: confirm.Hypothesis) -> bool:
        return _hypothesis_key(h) in self._looked

    def _check(self, h: confirm.Hypothesis) -> None:
        """Decode (or read back) one weak hypothesis and keep the pair it confirms."""
        a, b = self.videos[h.a_id], self.videos[h.b_id]
        if (a.signature or "") > (b.signature or ""):  # kept results are in the smaller signature's time
            a, b, h = b, a, confirm.Hypothesis(h.b_id, h.a_id, -h.offset, h.mirrored)
        key = (min(a.id, b.id), max(a.id, b.id))
        self._looked.add(_hypothesis_key(h))
        verdict = self.decisions.get(frozenset((a.signature, b.signature))) if a.signature and b.signature else None
        if key in self.found or key in self._recurring_only or verdict == NOT_DUPLICATE:
            return
        self.weak_checked += 1
        lo, hi = max(0.0, -h.offset), min(self._track(a.id).duration, self._track(b.id).duration - h.offset)
        offset_ms = round(h.offset * 1000)
        kept = self.index.confirmation(a.signature, b.signature, offset_ms, h.mirrored, confirm.METHOD) \
            if a.signature and b.signature else None
        if kept is None:
            self.decoded += 1
            stored = np.concatenate([self.table.t[self._rows(a.id)], self.table.t[self._rows(b.id)] - h.offset])
            looked = confirm.look(a.path, a.crop or LetterboxCrop(), b.path, b.crop or LetterboxCrop(), h,
                                  confirm.moments(lo, hi, stored))
            if a.signature and b.signature and not np.isnan(looked.similarity).all():
                self.index.keep_confirmation(a.signature, b.signature, offset_ms, h.mirrored, confirm.METHOD,
                                             np.stack([looked.times, looked.similarity], axis=1))
        else:
            looked = confirm.Looked(kept[:, 0].astype(np.float64), kept[:, 1].astype(np.float64))
        pair = classify(a, b, confirm.segments(looked, h, lo, hi))
        if pair is not None:
            self.found[key] = pair if verdict is None else _with_verdict(pair, verdict)

    def _recurring(self) -> np.ndarray:
        """Per table row: the frame matched frames in RECURRING_MIN_CLUSTERS or more clusters of
        videos other than its own (a cluster: videos joined by duplicate or contains pairs)."""
        ids = self.table.video
        cluster = np.arange(int(ids.max(initial=0)) + 1)
        for members in components([(p.a_id, p.b_id) for p in self.found.values() if p.kind != OVERLAP]):
            cluster[list(members)] = min(members)
        cp, cq = cluster[ids[self._p]], cluster[ids[self._q]]
        other = cp != cq
        links = np.unique(np.concatenate([(self._p[other] << 32) | cq[other], (self._q[other] << 32) | cp[other]]))
        return np.bincount(links >> 32, minlength=len(ids)) >= RECURRING_MIN_CLUSTERS


def _hypothesis_key(h: confirm.Hypothesis) -> tuple[int, int, int, bool]:
    """(smaller id, larger id, offset from the smaller's time in tenths of a second, mirrored)."""
    offset = h.offset if h.a_id < h.b_id else -h.offset
    return min(h.a_id, h.b_id), max(h.a_id, h.b_id), round(offset * 10), h.mirrored


def _first_match(candidates: Candidates, video: np.ndarray) -> dict[tuple[int, int], tuple[int, int]]:
    """(row, row) of the one matched frame pair of each candidate below MIN_SUPPORT."""
    weak = {k for k, n in candidates.pairs.items() if n < MIN_SUPPORT}
    out: dict[tuple[int, int], tuple[int, int]] = {}
    if not weak:
        return out
    va, vb = video[candidates.p], video[candidates.q]
    lo, hi = np.minimum(va, vb), np.maximum(va, vb)
    for i in np.flatnonzero(np.isin((lo << 32) | hi, [(k[0] << 32) | k[1] for k in weak])).tolist():
        out.setdefault((int(lo[i]), int(hi[i])), (int(candidates.p[i]), int(candidates.q[i])))
    return out


def components(edges: list[tuple[Hashable, Hashable]]) -> list[set]:
    """Connected components of an undirected graph given by its edges."""
    parent: dict = {}

    def root(x: Hashable) -> Hashable:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in edges:
        parent[root(x)] = root(y)
    groups: dict = {}
    for x in parent:
        groups.setdefault(root(x), set()).add(x)
    return list(groups.values())


def _with_verdict(pair: Pair, verdict: str) -> Pair:
    return Pair(pair.a, pair.b, pair.kind, pair.a_span, pair.b_span, pair.offset, pair.similarity,
                pair.mirrored, pair.a_id, pair.b_id, verdict)


def find_pairs(index: Index, progress: Progress | None = None) -> list[Pair]:
    """All related pairs of videos in the index (decided "not a duplicate" pairs left out)."""
    return PairFinder(index).all_pairs(progress)


def decide(index: Index, path_a: str, path_b: str, verdict: str) -> None:
    """Record a person's verdict on two indexed files; it follows their content, not their names."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}")
    records = []
    for path in (path_a, path_b):
        v = index.video(os.path.abspath(path))
        if v is None or not v.signature:
            raise ReelprintError(f"{path}: not in the index")
        records.append(v)
    index.decide(records[0].signature, records[1].signature, verdict)
