"""What a moment's correlations with a still mean: is it a match, and how sure (`score`, 0..1).

The evidence is the best placement's normalised cross-correlation of the whole picture and of its
fine detail (`verify.py`); each threshold below says on which of the shared media's stills
(bench/search_accuracy.py) it was set.
"""

from __future__ import annotations

# Correlation at and above which the best frame of a video is a match. Set on the tuning half of
# the shared media (bench/search_accuracy.py, half A): the best frame of a wrong video's
# decoded stretches correlated 0.51-0.72 in the 12 cases examined, and a spot check of 40
# transformed stills against their true frames gave 37 above 0.82 (misses: a subtitle at 0.63,
# logos over a video's own bars at 0.67 and 0.46).
# Raised from 0.82 (and MATCH_MIN_DETAIL from 0.6) after a larger sample (bench seed 19, 600 + 60
# queries) found two stills from outside the index just over both, at (0.87, 0.602) and
# (0.823, 0.69); of its 524 right first matches 2 scored that low (replayed, the same queries).
MATCH_MIN_NCC = 0.83
# ...or this, for a placement more frames resemble by chance (`verify.Alignment.by_chance`): a
# small picture (`verify.NARROW_SCALES`, a dark picture that lost its black sides), or a title
# on black placed at any size. Stills of titles on black from outside the index matched other
# titles so at 0.843 and 0.892; captions from the index at 0.958-0.974 (bench/search_accuracy.py
# seed 131). Placed larger, cat.1's caption from outside the index matched the Sintel trailer's
# "Blender Foundation presents" at 0.893 (seed 269), while the 44 mostly black stills of seeds
# 223 and 263 that found their own video (NASA's and Sintel's titles) did so at 0.931 and up,
# 0.948 and up at the right time.
NARROW_MIN_NCC = 0.93
# A match needs its fine detail to correlate this well too (`verify.detail_ncc`): smooth
# pictures correlate with many others, their edges do not. Best frames found for stills of both
# halves (bench/search_accuracy.py): seed 31, where the measure was chosen, right matches
# 0.73-1.0 and stills of videos not in the index at most 0.38; seed 32, looked at only after,
# 0.70-1.0 and at most 0.49 (a sliver left by trimming, 0.73, is no longer a hypothesis:
# query.MAX_PICTURE_ASPECT). Several of those stills passed the correlation alone (up to 0.92).
MATCH_MIN_DETAIL = 0.62
# ...except that a near-perfect correlation of the whole picture is strong evidence by itself:
# from SURE_NCC up to 1.0 the detail needed falls linearly to PERFECT_MIN_DETAIL. A smooth
# picture's own frame loses fine detail to recompression (a door knob: correlation 0.995, detail
# 0.56, bench seed 13), while stills from outside the index never correlated above 0.92 (seeds
# 31, 32; 1,102 per-video bests of 180 outside stills at seed 41 stayed under 0.90).
PERFECT_MIN_DETAIL = 0.45
# A correlation this high is sure: a search may stop on it (search.py), and from it up to a
# perfect one the fine detail needed falls.
SURE_NCC = 0.97


def score(ncc: float, detail: float, by_chance: bool = False) -> float:
    """The weaker of the two correlations, each mapped to 0 at its threshold (MATCH_MIN_NCC, or
    NARROW_MIN_NCC for a placement many frames resemble `by_chance`; `detail_needed`) and 1 at a
    perfect correlation; below 0 is no match."""
    need, least = detail_needed(ncc), NARROW_MIN_NCC if by_chance else MATCH_MIN_NCC
    return min((ncc - least) / (1.0 - least), (detail - need) / (1.0 - need))


def detail_needed(ncc: float) -> float:
    """The fine-detail correlation a match needs at correlation `ncc`: MATCH_MIN_DETAIL, falling
    to PERFECT_MIN_DETAIL between SURE_NCC and a perfect correlation."""
    relief = min(1.0, max(0.0, (ncc - SURE_NCC) / (1.0 - SURE_NCC)))
    return MATCH_MIN_DETAIL - relief * (MATCH_MIN_DETAIL - PERFECT_MIN_DETAIL)
