"""When a search has its answer: each video's best moment, and whether the moments decoded so far
settle the search or leave it doubtful (`search.py` decodes stretches, best-ranked first, until
one of these says stop or the budget is spent)."""

from __future__ import annotations

from collections.abc import Sequence

from reelprint.refine import Refined, strength
from reelprint.scores import MATCH_MIN_NCC, SURE_NCC, score

# A search is settled when a moment correlates SURE_NCC or better, is a match, and at least
# SETTLE_RIVALS other moments decoded are SETTLE_MARGIN or more behind it. The rivals are what a
# static camera needs: its other moments correlate 0.95-0.99 with a still, so stopping at the
# first above 0.97 settled on the wrong moment (bottle and one-by-one-person clips,
# bench/search_accuracy.py), while a film's wrong stretches correlate 0.5-0.8 and settle it two
# stretches later. A higher SURE_NCC made stills with a logo (never above ~0.95) spend the whole budget.
SETTLE_MARGIN = 0.02
SETTLE_RIVALS = 2
# ...and the best must be this far ahead of its own video's moments more than a stretch
# (`search.REFINE_AFTER_S`) away: a static camera's moments differ only by the cars or people passing, so
# one correlating 0.99 can be a wrong one, 0.05 ahead of others (car-detection.mp4, bench seed 53:
# a still at 8.88 s settled on 19.2 s). Replayed on the stretches recorded for seeds 53 and 61
# (300 + 40 stills each): 87.7% -> 90.7% and 94.0% -> 94.0% right video and time, median search
# 862 -> 945 and 631 -> 632 ms; a film's shot rarely comes back that well a stretch later.
STATIC_SETTLE_MARGIN = 0.1
# ...counting its moments this far away: half a stretch. A static camera's stretches are as long
# as its GOPs, often 5 s or less (the bottle clip's stills at 12.13 s, bench seed 149, settled on
# 28.83 s over moments 6.9 and 8.5 s away at 0.92-0.94).
STATIC_FAR_S = 5.0
# Results of one video this close in time are one moment (two stretches share their boundary).
SAME_MOMENT_S = 0.5


def best_of_each_video(refined: list[Refined]) -> list[Refined]:
    """Each video's best moment, strongest first. A moment that is a match outranks any that is
    not, and one placed at the frame's size a small (`narrow`) one, however sharp: sharpness
    tells a video's moments apart at one placement. A small placement (a title's) read 1.16
    where the full-frame match of a smoky rocket read 1.0, and hid that match; a pillarboxed
    still of the rocket matched small at 1.50 and its own frame at 1.25 (bench/search_accuracy.py
    seed 199, NASA's clip at 46.86 and 47.81 s)."""
    per_video: dict[int, Refined] = {}
    for r in sorted(refined, key=lambda r: (match_score(r) < 0, r.alignment.narrow, -strength(r))):
        per_video.setdefault(r.video_id, r)
    return list(per_video.values())


def match_score(r: Refined) -> float:
    """The moment's `scores.score`: 0..1 a match, below 0 none."""
    return score(r.alignment.ncc, r.detail, r.alignment.by_chance)


def doubtful(refined: list[Refined]) -> bool:
    """Would the best moment so far be a match, but not a sure one; or does it correlate as a sure
    one would but lack the fine detail (a bare wall's neighbouring frame, 0.986 with detail 0.47:
    its own frame was in the next stretch); or is it a sure one its own video's other moments
    nearly match (a static camera's, whose stretches the budget may not all reach: the bottle
    clip's still at 12.50 s was in its fifth, bench seed 181)?"""
    if not refined:
        return False
    best = max(refined, key=lambda r: r.alignment.ncc)
    return best.alignment.ncc >= MATCH_MIN_NCC and (
        best.alignment.ncc < SURE_NCC or match_score(best) < 0 or not _ahead_of_own(refined, best))


def settled(refined: list[Refined], waiting: Sequence[tuple[int, int]] = ()) -> bool:
    """Is the best moment so far sure, a match (not only by correlation: a bare wall's
    neighbouring frame correlated 0.986 without the fine detail), clearly ahead of enough other
    moments, and is no stretch of its video waiting that was found by a stored frame as near the
    still? `waiting`: (video id, pHash distance) of the stretches not decoded yet, in order.

    A static camera's picture comes back: Caminandes' llama stands on the same road from 0 to
    10 s, and a still at 6.54 s settled on 9.92 s (correlation 0.990) with the stretch of its
    stored frame at 0 s, as near the still as 9.88 s's (6 bits), next in line
    (bench/search_accuracy.py seed 313)."""
    best = max(refined, key=lambda r: r.alignment.ncc)
    if best.alignment.ncc < SURE_NCC or match_score(best) < 0:
        return False
    rivals = [r for r in refined if r.video_id != best.video_id or abs(r.t - best.t) > SAME_MOMENT_S]
    if len(rivals) < SETTLE_RIVALS or best.alignment.ncc - max(r.alignment.ncc for r in rivals) < SETTLE_MARGIN:
        return False
    if any(video_id == best.video_id and distance <= best.distance for video_id, distance in waiting):
        return False
    return _ahead_of_own(refined, best)


def _ahead_of_own(refined: list[Refined], best: Refined) -> bool:
    """Is `best` STATIC_SETTLE_MARGIN ahead of its video's moments STATIC_FAR_S or more away?"""
    own = [r.alignment.ncc for r in refined if r.video_id == best.video_id and abs(r.t - best.t) > STATIC_FAR_S]
    return not own or best.alignment.ncc - max(own) >= STATIC_SETTLE_MARGIN
