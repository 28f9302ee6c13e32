"""Repeated segments inside one video: a 24-hour "live" stream that is a 40-minute loop.

The video is aligned against itself (`align.py`) with offsets of at least LOOP_MIN_PERIOD_S, so a
frame never matches itself; each segment found is a stretch that plays again `offset` seconds
later. The loop's period is the smallest such offset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reelprint.align import CONTRADICTION_BITS, FRAME_MATCH_BITS, OFFSET_TOLERANCE_S, Segment, Track, align
from reelprint.features import EVIDENCE_MIN_QUALITY
from reelprint.hashes import hamming
from reelprint.store import Index

# Shortest repeat worth reporting: shorter offsets are one shot's own frames looking alike.
LOOP_MIN_PERIOD_S = 5.0
# A video whose frames each look like this share of its other frames is static (a fixed camera,
# a slide show): every offset would "repeat", so no loop is claimed. Looping content matches
# once per repeat; the static camera clips of the shared media match 60-100% of their frames.
STATIC_MATCH_SHARE = 0.25


@dataclass(frozen=True)
class Loop:
    period: float
    a_span: tuple[float, float]    # the earlier occurrence
    b_span: tuple[float, float]    # the same content again

    def as_json(self) -> dict:
        return {"period": self.period, "a_span": list(self.a_span), "b_span": list(self.b_span)}


@dataclass(frozen=True)
class LoopReport:
    video: str
    period: float | None
    loops: list[Loop]

    @property
    def positions(self) -> list[float]:
        """Where each repeat of the looped content starts."""
        return sorted({s for lp in self.loops for s in (lp.a_span[0], lp.b_span[0])})

    def as_json(self) -> dict:
        return {"video": self.video, "period": self.period, "positions": self.positions,
                "loops": [lp.as_json() for lp in self.loops]}


def self_track(frames: np.ndarray, duration: float) -> Track:
    usable = frames[frames["quality"] >= EVIDENCE_MIN_QUALITY]
    return Track(usable["t"], usable["phash"], np.ones(len(usable), bool), duration)


def loop_segments(track: Track) -> list[Segment]:
    """Segments of the video that recur later in it (none for static footage)."""
    n = len(track.t)
    if n < 2:
        return []
    alike = hamming(track.phash[:, None], track.phash[None, :]) <= FRAME_MATCH_BITS
    if (alike.sum(axis=1) - 1).mean() > STATIC_MATCH_SHARE * (n - 1):
        return []
    segments = align(track, track, mirrored=False, min_offset=LOOP_MIN_PERIOD_S)
    return [s for s in segments if _shows_a_cut(track, s)]


def _shows_a_cut(track: Track, segment: Segment) -> bool:
    """A repeat must hold two different pictures (a cut): a long still shot matches itself at
    every offset shorter than the shot, and that is not a loop."""
    inside = (track.t >= segment.a_span[0]) & (track.t <= segment.a_span[1])
    later = np.abs(track.t[None, :] - (track.t[inside][:, None] + segment.offset)) <= OFFSET_TOLERANCE_S
    same = hamming(track.phash[inside][:, None], track.phash[None, :]) <= FRAME_MATCH_BITS
    repeated = track.phash[inside][(later & same).any(axis=1)]
    return bool(len(repeated) >= 2 and hamming(repeated[:, None], repeated[None, :]).max() > CONTRADICTION_BITS)


def find_loops(index: Index, path: str) -> LoopReport:
    video = index.find_video(path)
    frames = index.frames(video.id)
    duration = video.duration or float(frames["t"].max(initial=0.0))
    segments = sorted(loop_segments(self_track(frames, duration)), key=lambda s: (s.offset, s.a_span))
    loops = [Loop(s.offset, s.a_span, s.b_span) for s in segments]
    return LoopReport(video.path, min((lp.period for lp in loops), default=None), loops)
