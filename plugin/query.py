"""Preparing a screenshot for search: trimming what is not the film, and the variants to try.

A screenshot holds the film's picture plus, often, things that are not in the film: black bars
added by whoever posted it, a player window's near-uniform frame, a control bar or a subtitle
strip under the picture. Uniform borders are found and cut (`borders.find_borders`); what
cannot be told from the picture (is the bottom strip a control bar or part of the film?) is
tried both ways: each `QueryVariant` is one hypothesis, searched mirrored and not.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from reelprint.borders import LetterboxCrop, find_borders
from reelprint.features import frame_features

# Share of the trimmed still's height cut from the bottom in the "control bar / subtitle strip"
# hypothesis: more than the 7-12% control bars the benchmark draws (screenshots.player_chrome;
# an assumption about real players, not a survey). Cutting a little more leaves a crop of the
# frame, which the verifier handles; cutting less would leave chrome in.
BOTTOM_STRIP = 0.16
# A still whose top strip (BOTTOM_STRIP of its height) varies this many times more than the
# rest (std of grey levels) may be searched without it too (`variants(without_logo=True)`): a
# channel logo in a top corner outweighs a dim or flat picture in every comparison. On
# bench/search_accuracy.py's stills (seed 223's 300, and the 30 of two frames seeds 257 and 263
# missed under a logo), a logo over a dark or flat picture (NASA's and Sintel's titles, fades, a
# bare wall) measured 1.6-4.9, over the rest 0.3-1.2; 12 of the 308 stills without a logo (a car
# park's busy top) measured 1.5-1.9. For those the hypothesis is wrong, and the moments of a
# static camera all fit it alike: it is tried only when a still found no match without it, or a
# weak one (`search.SECOND_LOOK_SCORE`).
TOP_OVERLAY_RATIO = 1.5
# Widest picture a hypothesis may be, either way: a 2.76:1 film with 20% cut from top and bottom
# is 4.6:1. A dark title card trimmed of its "borders" left a 6:1 strip of text, which then matched
# a line of another film's text (bench/search_accuracy.py, a still from outside the index).
MAX_PICTURE_ASPECT = 4.8
# Most a dark still's contrast is raised by to tell its borders from its picture (`trim`). Big
# Buck Bunny's fade-in at 0.92 s (brightest grey level 62): trimmed to a fifth of the picture
# without it, letterboxed, in a player window, with subtitles or a logo.
MAX_TRIM_GAIN = 8.0
# ...a still being dark when its brightest grey level is under this. Not every still: raised 1.6
# times, a bare wall (the doorknob clip, brightest 156-159) lost its flat side as a "border" and
# became a sliver too faint to search.
DARK_TRIM_LEVEL = 128
# A still's brightest grey level is the one this share of its pixels are at or under. Not 99%:
# a channel logo covers 2% of the picture (screenshots.logo), and over Big Buck Bunny's fade the
# 99th percentile was 166, so the fade was not raised and its flat sky was cut.
BRIGHTEST_SHARE = 0.97
# A dark still is smoothed over this many pixels square before it is raised: raised 5 times, the
# noise of a player window's grey frame around the Sintel trailer's fade-in (std 0.75) was no
# longer uniform (borders.UNIFORM_STD), and the frame was taken for picture.
TRIM_SMOOTHING_PX = 3
# Share of a bar's line a channel logo may cover (`borders.find_borders`): a logo in the corner
# of a broadcast's picture sits over its pillarbox bar when the film is narrower than the
# channel. The benchmark's logo is 18% of the width (screenshots.logo).
BAR_OVERLAY = 0.25
# Rounds of border trimming: window frame, then bars, then a thin line between them at most.
TRIM_ROUNDS = 3
# Lines along the still's edges this dark (mean luma, 0-255) may be black bars that trimming
# could not tell from the picture's own black (a title or a logo on black, letterboxed), so the
# comparison may place the frame inside the still there, the bars at most that wide
# (`verify.TemplateBank`). Not tuned on the benchmark: a picture's dark edge taken for a bar
# costs only time (more template sizes tried).
BLACK_EDGE_MAX = 16.0
# A still is first brought down to this longest side: nothing compares it wider (the widest
# template is 1.5 x refine.REFINE_SIZE), and each of its ~60 templates was made from the whole
# still: 146 ms for a 1080p screenshot, 663 ms for a 4K one, before any decoding.
WORKING_SIDE = 640


@dataclass(frozen=True)
class QueryVariant:
    """One hypothesis of which part of the still is the film's picture."""

    image: np.ndarray       # RGB, the part of the still taken to be picture
    box: tuple[int, int, int, int]  # (x, y, w, h) of `image` inside the original still
    cut: bool               # a strip was dropped as not the film's (chrome, subtitles, a logo)
    mirrored: bool
    # Share of the height, and of the width, in black lines at both edges (twice the narrower
    # side's): the frame may sit inside bars up to that wide, which trimming could not find.
    black_margins: tuple[float, float] = (0.0, 0.0)
    # The picture is mostly black (median grey level at most BLACK_EDGE_MAX): a title or logo on
    # black, which other titles on black resemble by chance (`scores.score`).
    on_black: bool = False

    @property
    def features(self) -> np.ndarray:
        return frame_features([self.image], [0.0], crop=LetterboxCrop())[0]


def trim(image: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The still without its uniform borders, and where it sits. Borders are cut again inside
    the cut: a player window's grey frame first, then the film's black bars within it."""
    x0 = y0 = 0
    for _ in range(TRIM_ROUNDS):
        x, y, w, h = find_borders(_contrast_stretched(image), BAR_OVERLAY).box(image.shape[1], image.shape[0])
        if (w, h) == (image.shape[1], image.shape[0]):
            break
        image, x0, y0 = image[y:y + h, x:x + w], x0 + x, y0 + y
    return np.ascontiguousarray(image), (x0, y0, image.shape[1], image.shape[0])


def _contrast_stretched(image: np.ndarray) -> np.ndarray:
    """The still's luma, a dark one brightened (up to MAX_TRIM_GAIN times) to a bright one's
    contrast: a fade's rows are as flat as bars in grey levels, but not for its own contrast."""
    luma = _luma(image)
    brightest = _grey_level(luma, BRIGHTEST_SHARE)
    if brightest >= DARK_TRIM_LEVEL:
        return luma
    smooth = cv2.blur(luma.astype(np.float32), (TRIM_SMOOTHING_PX, TRIM_SMOOTHING_PX))
    return smooth * min(MAX_TRIM_GAIN, 255 / max(1, brightest))


def _grey_level(luma: np.ndarray, share: float) -> int:
    """The grey level `share` of an 8-bit image's pixels are at or under: by its histogram,
    0.3 ms at 640x360 where np.percentile took 2.1 (trimming asks each round)."""
    below = np.cumsum(np.bincount(luma.ravel(), minlength=256))
    return int(np.searchsorted(below, share * luma.size))


def _luma(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image


def _bottom_cut(image: np.ndarray) -> np.ndarray:
    """Drop the bottom strip, then any uniform border left above it (the player's frame)."""
    kept = image[: round(image.shape[0] * (1 - BOTTOM_STRIP))]
    return trim(kept)[0]


def _top_cut(image: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """`image` (at `box` in the still) without its top strip, then trimmed again, when that strip
    stands out from the rest as a logo does (TOP_OVERLAY_RATIO)."""
    strip = round(image.shape[0] * BOTTOM_STRIP)
    luma = _luma(image)
    if strip < 1 or float(luma[:strip].std()) <= TOP_OVERLAY_RATIO * max(1.0, float(luma[strip:].std())):
        return None
    kept, (x, y, w, h) = trim(image[strip:])
    return kept, (box[0] + x, box[1] + strip + y, w, h)


def variants(image: np.ndarray, without_logo: bool = False) -> list[QueryVariant]:
    """The hypotheses to search: trimmed still, trimmed with its bottom strip dropped, and with
    `without_logo`, where a logo may be, with its top strip dropped (`_top_cut`); when trimming
    cut something, the still as found too (a title card's black is picture, not bars), and for a
    mostly black still that without its bottom strip too (a subtitle under a title on black:
    trimming cuts the black around both). Each as is and mirrored. Boxes are in the still's
    pixels at WORKING_SIDE."""
    image = working_size(image)
    trimmed, box = trim(image)
    x, y, w, _ = box
    hypotheses = [(trimmed, box, False), (_bottom_cut(trimmed), None, True)]
    if without_logo and (logo_cut := _top_cut(trimmed, box)) is not None:
        hypotheses.append((*logo_cut, True))
    hypotheses = [h for h in hypotheses if _plausible_picture(h[0])]
    if trimmed.shape != image.shape or not hypotheses:
        hypotheses.append((image, (0, 0, image.shape[1], image.shape[0]), False))
        if _mostly_black(image):  # a title, maybe subtitled
            kept = round(image.shape[0] * (1 - BOTTOM_STRIP))
            hypotheses.append((image[:kept], (0, 0, image.shape[1], kept), True))
    out = []
    for picture, pbox, cut in hypotheses:
        pbox = pbox or (x, y, w, picture.shape[0])
        black, on_black = black_margins(picture), _mostly_black(picture)
        out.append(QueryVariant(picture, pbox, cut, False, black, on_black))
        out.append(QueryVariant(np.ascontiguousarray(picture[:, ::-1]), pbox, cut, True, black, on_black))
    return out


def working_size(image: np.ndarray) -> np.ndarray:
    """`image` with its longest side at most WORKING_SIDE."""
    h, w = image.shape[:2]
    if max(h, w) <= WORKING_SIDE:
        return image
    k = WORKING_SIDE / max(h, w)
    return cv2.resize(image, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)


def black_margins(image: np.ndarray) -> tuple[float, float]:
    """Share of the height in black rows at the top and bottom, and of the width in black
    columns at the left and right, as bars centring the frame would be: twice the narrower side."""
    g = _luma(image)

    def share(means: np.ndarray) -> float:
        dark = means <= BLACK_EDGE_MAX
        runs = [int(np.argmin(line)) if not line.all() else len(line) for line in (dark, dark[::-1])]
        return min(1.0, 2 * min(runs) / len(means))

    return share(g.mean(axis=1)), share(g.mean(axis=0))


def _mostly_black(image: np.ndarray) -> bool:
    return _grey_level(_luma(image), 0.5) <= BLACK_EDGE_MAX


def _plausible_picture(image: np.ndarray) -> bool:
    """Could this be (part of) a film's picture? Not a sliver left by trimming a dark still."""
    h, w = image.shape[:2]
    return max(w, h) <= MAX_PICTURE_ASPECT * min(w, h)


def grey(image: np.ndarray, width: int) -> np.ndarray:
    """Grey, `width` pixels wide, lightly blurred: the form the verifier compares."""
    h, w = image.shape[:2]
    height = max(4, round(h * width / w))
    g = _luma(image)
    small = cv2.resize(g, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    return cv2.GaussianBlur(small, (0, 0), 0.8)
