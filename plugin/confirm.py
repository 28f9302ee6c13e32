"""Confirming weak candidate pairs by decoding a few moments of both files and comparing pictures.

The strict stage (pHash blocks, shot rhythm) misses pairs whose stored frames say too little: a
crop or a large logo moves every pHash 10-20 bits, an excerpt holds three stored frames, a fixed
keyframe grid has no rhythm. Such pairs still leave hints, each a hypothesis "B shows A at
`t_b = t_a + offset`":

- a seed: one stored frame of A matched one of B (a block-index candidate below MIN_SUPPORT),
  and at that offset the other stored frames do not say otherwise (`align.plausible_at`);
- a chain: A ~ B and B ~ C were found, at least one of them a `duplicate` or `contains`, so C
  probably shows A at the composed offset (a crop of a film and an excerpt of the same film).

A hypothesis is checked by decoding moments spread over the stretch both files cover at that
offset, mid-way between stored frames (away from the cuts, so an offset a frame off still
compares one shot with itself), and comparing the pictures with the screenshot search's
correlation (`verify.TemplateBank`: crops, bars, logos, grading). Runs of agreeing moments are
the shared segments. The per-moment correlations are kept in the index, so a pair is decoded
once; thresholds apply on reading.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from reelprint.align import EXTEND_MAX_S, Segment
from reelprint.borders import LetterboxCrop
from reelprint.decode import frame_at, frames_between
from reelprint.errors import DecodeError
from reelprint.features import EVIDENCE_MIN_QUALITY, quality_batch
from reelprint.query import QueryVariant, grey
from reelprint.verify import TemplateBank, frame_grey

# Which comparison the kept per-moment similarities came from (`picture_similarity`, the moment
# choice and the decode size): bump it when they change, so older results are decoded again.
METHOD = 1
# Similarity at or above which two moments show the same picture. Measured on clips made for it
# (bench/confirm_calibration.py; seeds and tint not in bench/dupes_accuracy.py): a moment of a
# 7% crop, a colour grade, a mirror or a 4:3 cut scored 0.99-1.0 against the original, a large
# logo 0.93-0.99, a crop with a logo 0.75-0.99 (5th percentile 0.81); moments of unrelated films
# scored a median 0.57, at most 0.93 (99th percentile 0.91). Single unrelated moments do clear
# it; never three in a row, which is what MIN_MOMENTS asks.
SAME_PICTURE_NCC = 0.85
# Moments a confirmed segment needs, all agreeing, none disagreeing between them: unrelated films
# agreed at up to two moments in a row (bench/confirm_calibration.py), never three.
MIN_MOMENTS = 3
# At most this many moments per hypothesis (~30 ms of comparing and a few seeks each).
MAX_MOMENTS = 12
# Gaps between stored frames longer than this get extra moments (an excerpt of 12 s holds three
# stored frames; a long GOP up to 10 s).
MOMENT_GAP_S = 3.0
# Frames of B within this of the moment are compared and the best kept: the hypothesis' offset
# is known to a frame or two at 24-30 fps and to half a frame at 4 fps (OFFSET_TOLERANCE_S).
WINDOW_S = 0.3
# The tile grid of the logo-tolerant comparison, and the grey level spread (0..255) below which a
# tile has no detail to compare (a flat wall, a black bar).
TILES = 4
TILE_MIN_STD = 4.0
# Longest side of decoded frames: above the comparison width, so borders can be cut first.
DECODE_SIZE = 160
# Pictures with a side under this many pixels (after bars are cut) are not compared.
MIN_SIDE = 8


@dataclass(frozen=True)
class Hypothesis:
    """B may show A at `t_b = t_a + offset` (mirrored: B is A flipped left-right)."""

    a_id: int
    b_id: int
    offset: float
    mirrored: bool


@dataclass(frozen=True)
class Edge:
    """A found pair, as chains see it: `t_b = t_a + offset`; the spans are each side's shared
    stretch; strong: a duplicate or an excerpt (not a mere overlap)."""

    a: int
    b: int
    offset: float
    mirrored: bool
    strong: bool
    a_span: tuple[float, float]
    b_span: tuple[float, float]


@dataclass(frozen=True)
class Looked:
    """What decoding showed for a hypothesis: per moment (A's time), the best similarity."""

    times: np.ndarray       # seconds in A
    similarity: np.ndarray  # -1..1 (`picture_similarity`); nan: no evidence (see `look`)


def moments(lo: float, hi: float, stored: np.ndarray) -> np.ndarray:
    """Times in [lo, hi] to compare: mid-way between consecutive stored frames (both videos',
    in A's time; two within WINDOW_S are one cut seen by both) and between the range's ends and
    them, gaps over MOMENT_GAP_S split evenly; at most MAX_MOMENTS, evenly chosen."""
    if hi - lo <= 0:
        return np.zeros(0)
    cuts = np.unique(np.concatenate([[lo, hi], np.clip(stored, lo, hi)]))
    cuts = cuts[np.concatenate([[True], np.diff(cuts) > WINDOW_S])]
    cuts[-1] = max(cuts[-1], hi)
    out = []
    for start, end in itertools.pairwise(cuts):
        parts = max(1, int(np.ceil((end - start) / MOMENT_GAP_S)))
        out.extend(start + (end - start) * (np.arange(parts) + 0.5) / parts)
    times = np.asarray(out)
    if len(times) > MAX_MOMENTS:
        times = times[np.unique(np.rint(np.linspace(0, len(times) - 1, MAX_MOMENTS)).astype(int))]
    return times


def _bank(image: np.ndarray) -> TemplateBank:
    h, w = image.shape[:2]
    return TemplateBank([QueryVariant(image, (0, 0, w, h), False, False)])


def tile_correlation(template: np.ndarray, region: np.ndarray) -> float:
    """Median correlation of TILES x TILES tiles of two same-size grey images, tiles without
    detail in either left out (nan when fewer than half have detail). A logo or a subtitle
    spoils the few tiles it covers, not the median."""
    h, w = template.shape
    ys, xs = np.linspace(0, h, TILES + 1).astype(int), np.linspace(0, w, TILES + 1).astype(int)
    scores = []
    for y0, y1 in itertools.pairwise(ys):
        for x0, x1 in itertools.pairwise(xs):
            p = template[y0:y1, x0:x1].ravel() - template[y0:y1, x0:x1].mean()
            q = region[y0:y1, x0:x1].ravel() - region[y0:y1, x0:x1].mean()
            if p.std() >= TILE_MIN_STD and q.std() >= TILE_MIN_STD:
                scores.append(float(p @ q / (np.linalg.norm(p) * np.linalg.norm(q))))
    return float(np.median(scores)) if len(scores) * 2 >= TILES * TILES else float("nan")


def _placed(template_image: np.ndarray, frame_image: np.ndarray) -> tuple[float, float]:
    """(whole correlation, tile correlation) of one picture placed where it fits best in the other."""
    frame = frame_grey(frame_image)
    found = _bank(template_image).align(frame)
    x, y, w, h = found.box
    region = frame[y:y + h, x:x + w]
    template = grey(template_image, w)[:h]
    if template.shape != region.shape:
        return found.ncc, float("nan")
    return found.ncc, tile_correlation(template, region)


def picture_similarity(a: np.ndarray, b: np.ndarray, mirrored: bool) -> float:
    """How surely two decoded pictures (bars cut) show the same thing, -1..1: each placed in the
    other where it fits best (one may be a crop of the other), B flipped first when `mirrored`;
    at the better placement, the whole's correlation or the tiles' median, whichever is higher
    (a logo pulls the whole's down and the placement with it, so both placements are scored)."""
    b = np.ascontiguousarray(b[:, ::-1]) if mirrored else b
    return max(np.nanmax(_placed(a, b)), np.nanmax(_placed(b, a)))


def look(path_a: str, crop_a: LetterboxCrop, path_b: str, crop_b: LetterboxCrop, hypothesis: Hypothesis,
         times: np.ndarray) -> Looked:
    """Decode A at each time and B around the matching time; the best similarity per moment
    (nan where A's picture is flat or black, never evidence, or a frame could not be decoded)."""
    similarity = np.full(len(times), np.nan)
    for i, t in enumerate(times.tolist()):
        try:
            a = crop_a.apply(frame_at(Path(path_a), t, size=DECODE_SIZE).image)
            t_b = t + hypothesis.offset
            bs = [crop_b.apply(f.image) for f in
                  frames_between(Path(path_b), max(0.0, t_b - WINDOW_S), t_b + WINDOW_S, size=DECODE_SIZE)]
        except (DecodeError, OSError):
            continue
        bs = [b for b in bs if min(b.shape[:2]) >= MIN_SIDE]
        if bs and min(a.shape[:2]) >= MIN_SIDE and _has_detail(a):
            similarity[i] = max(picture_similarity(a, b, hypothesis.mirrored) for b in bs)
    return Looked(np.asarray(times, np.float64), similarity)


def _has_detail(image: np.ndarray) -> bool:
    """Not black, white, flat or a deep fade: the index's own bar for evidence."""
    small = cv2.resize(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), (32, 32), interpolation=cv2.INTER_AREA)
    return int(quality_batch(small[None])[0]) >= EVIDENCE_MIN_QUALITY


def segments(looked: Looked, hypothesis: Hypothesis, lo: float, hi: float) -> list[Segment]:
    """Runs of at least MIN_MOMENTS agreeing moments with none disagreeing between them, each
    extended half-way to the neighbouring disagreeing moment (or to the range's end), longest first."""
    order = np.argsort(looked.times)
    times, similarity = looked.times[order], looked.similarity[order]
    known = ~np.isnan(similarity)
    times, similarity = times[known], similarity[known]
    agree = similarity >= SAME_PICTURE_NCC
    out = []
    i = 0
    while i < len(times):
        if not agree[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(times) and agree[j + 1]:
            j += 1
        if j - i + 1 >= MIN_MOMENTS:
            start = lo if i == 0 else (times[i - 1] + times[i]) / 2
            end = hi if j == len(times) - 1 else (times[j] + times[j + 1]) / 2
            start, end = max(start, times[i] - EXTEND_MAX_S), min(end, times[j] + EXTEND_MAX_S)
            closeness = float(np.mean(similarity[i:j + 1]))
            out.append(Segment(
                offset=round(hypothesis.offset, 3), a_span=(round(start, 3), round(end, 3)),
                b_span=(round(start + hypothesis.offset, 3), round(end + hypothesis.offset, 3)),
                support=j - i + 1, contradictions=0,
                # Segment.distance is in pHash bits: a correlation of 1 is 0 bits, of 0 half of 64.
                distance=round(32 * (1 - closeness), 3), mirrored=hypothesis.mirrored))
        i = j + 1
    return sorted(out, key=lambda s: -s.length)


def chain_hypotheses(edges: Iterable[Edge]) -> list[Hypothesis]:
    """The pairs that found pairs imply: A ~ B and B ~ C, one of the two strong (a duplicate or an
    excerpt), their spans in B overlapping, give A ~ C at the summed offset. Pairs already among
    `edges` are left out; each implied pair once."""
    links: dict[int, list[tuple[int, float, bool, bool, tuple[float, float]]]] = {}
    known = set()
    for e in edges:
        links.setdefault(e.a, []).append((e.b, e.offset, e.mirrored, e.strong, e.a_span))
        links.setdefault(e.b, []).append((e.a, -e.offset, e.mirrored, e.strong, e.b_span))
        known.add((min(e.a, e.b), max(e.a, e.b)))
    out: dict[tuple[int, int], Hypothesis] = {}
    for around in links.values():
        for x, off_x, mir_x, strong_x, span_x in around:      # t_x = t_via + off_x
            for y, off_y, mir_y, strong_y, span_y in around:  # t_y = t_via + off_y
                key = (min(x, y), max(x, y))
                if x >= y or key in known or key in out or not (strong_x or strong_y):
                    continue
                if min(span_x[1], span_y[1]) - max(span_x[0], span_y[0]) <= 0:
                    continue  # the two share different stretches of B
                out[key] = Hypothesis(x, y, off_y - off_x, mir_x != mir_y)  # t_y = t_x + (off_y - off_x)
    return list(out.values())
