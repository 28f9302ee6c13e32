"""Groups of duplicates and which copy to keep, by transparent rules a person can reorder.

A group is a connected set of `duplicate` pairs (excerpts and overlaps are never grouped: a
clip is not a spare copy of its film). Rules are tried in order; the first that tells the copies
apart chooses the keeper, and the explanation names it and the figures it compared.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from reelprint.dupes import DUPLICATE, KEEP_BOTH, Pair, components
from reelprint.store import VideoRecord

# Bitrates within this ratio are the same quality: two encodes of one source at one setting
# differ by a few percent with the container overhead.
BITRATE_TIE_RATIO = 1.10
# Durations within this many seconds are the same film (a trimmed black leader).
DURATION_TIE_S = 1.0
# Codecs, best first: newer codecs keep more picture at the same size.
DEFAULT_CODECS = ("av1", "hevc", "vp9", "h264", "vp8", "mpeg4", "mpeg2video", "wmv3", "msmpeg4v3")
# Decoder names PyAV reports, as the codec they decode.
CODEC_ALIASES = {"libdav1d": "av1", "libaom-av1": "av1", "h265": "hevc", "libvpx-vp9": "vp9", "libvpx": "vp8"}
DEFAULT_ORDER = ("resolution", "bitrate", "codec", "duration", "path", "older")
RULES = ("resolution", "bitrate", "codec", "duration", "newer", "older", "path")


@dataclass(frozen=True)
class KeeperRules:
    order: tuple[str, ...] = DEFAULT_ORDER
    codecs: tuple[str, ...] = DEFAULT_CODECS
    paths: tuple[str, ...] = ()      # preferred folders, best first (rule "path")

    def __post_init__(self) -> None:
        unknown = [r for r in self.order if r not in RULES]
        if unknown:
            raise ValueError(f"unknown keeper rule(s): {', '.join(unknown)} (known: {', '.join(RULES)})")


@dataclass(frozen=True)
class Group:
    members: list[str]
    keep: str
    why: str
    reclaimable_bytes: int
    sizes: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"members": self.members, "keep": self.keep, "why": self.why,
                "reclaimable_bytes": self.reclaimable_bytes}


def _bitrate(v: VideoRecord) -> float:
    return v.size * 8 / v.duration if v.duration else 0.0


def _date(v: VideoRecord) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(v.mtime))


def _path_rank(v: VideoRecord, rules: KeeperRules) -> int:
    for i, folder in enumerate(rules.paths):
        if v.path.startswith(os.path.abspath(folder).rstrip(os.sep) + os.sep):
            return len(rules.paths) - i
    return 0


def _codec_rank(v: VideoRecord, rules: KeeperRules) -> int:
    codec = (v.codec or "").lower()
    codec = CODEC_ALIASES.get(codec, codec)
    return len(rules.codecs) - rules.codecs.index(codec) if codec in rules.codecs else 0


# Each rule: (score of a copy, higher is better; are two scores a tie; how to say a score).
Rule = tuple[Callable[[VideoRecord, KeeperRules], float], Callable[[float, float], bool], Callable[[VideoRecord], str]]
_RULES: dict[str, Rule] = {
    "resolution": (lambda v, r: (v.width or 0) * (v.height or 0), lambda x, y: x == y,
                   lambda v: f"{v.width}x{v.height}"),
    "bitrate": (lambda v, r: _bitrate(v), lambda x, y: max(x, y) <= BITRATE_TIE_RATIO * min(x, y),
                lambda v: f"{_bitrate(v) / 1e6:.2f} Mb/s"),
    "codec": (_codec_rank, lambda x, y: x == y, lambda v: v.codec or "unknown codec"),
    "duration": (lambda v, r: v.duration or 0.0, lambda x, y: abs(x - y) <= DURATION_TIE_S,
                 lambda v: f"{v.duration or 0:.1f} s"),
    "newer": (lambda v, r: v.mtime, lambda x, y: x == y, lambda v: _date(v)),
    "older": (lambda v, r: -v.mtime, lambda x, y: x == y, lambda v: _date(v)),
    "path": (_path_rank, lambda x, y: x == y, lambda v: "in a preferred folder"),
}


def choose_keeper(members: list[VideoRecord], rules: KeeperRules = KeeperRules()) -> tuple[VideoRecord, str]:
    """The copy to keep and why: the first rule (in order) that tells the best copy from the rest."""
    candidates = sorted(members, key=lambda v: v.path)
    for name in rules.order:
        score, tie, describe = _RULES[name]
        scores = {v.path: score(v, rules) for v in candidates}
        best = max(scores.values())
        leaders = [v for v in candidates if tie(scores[v.path], best)]
        if len(leaders) < len(candidates):
            winner = max(leaders, key=lambda v: scores[v.path])
            others = [v for v in candidates if v not in leaders]
            if len(leaders) == 1:
                return winner, (f"{name}: {describe(winner)} beats "
                                f"{', '.join(describe(v) for v in others)}")
            candidates = leaders
    winner = candidates[0]
    return winner, "all rules tie: keeping the first by path"


def group_pairs(pairs: list[Pair], videos: Mapping[str, VideoRecord],
                rules: KeeperRules = KeeperRules()) -> list[Group]:
    """Groups of duplicates (pairs decided "keep both" left out), each with its suggested keeper."""
    edges = [(p.a, p.b) for p in pairs if p.kind == DUPLICATE and p.verdict != KEEP_BOTH
             and p.a in videos and p.b in videos]
    groups = []
    for paths in components(edges):
        members = [videos[p] for p in sorted(paths)]
        keep, why = choose_keeper(members, rules)
        sizes = {v.path: v.size for v in members}
        groups.append(Group([v.path for v in members], keep.path, why,
                            sum(v.size for v in members if v.path != keep.path), sizes))
    return sorted(groups, key=lambda g: (-g.reclaimable_bytes, g.keep))
