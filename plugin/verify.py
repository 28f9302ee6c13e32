"""The fine comparison of a still against decoded frames: where does it sit, and how well.

Hashes find candidates; this decides. Each query variant (see `query.py`) is scaled to a range
of sizes relative to the frame (a crop of 20% off a side leaves 80% of the width) and slid over
the frame with OpenCV's normalised cross-correlation on small grey images. The best correlation
is the evidence: it ignores brightness and contrast changes, survives blur, noise and
recompression at this size, and drops for an unrelated picture however similar its hash.
Where it peaks is the crop of the frame that the still shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from reelprint.query import QueryVariant, grey

# Width in pixels the frames are compared at. 96 px keeps a 1/4-size screenshot of a 360p
# video (160 px) above it; one frame's comparison with 4 variants at every size measured
# 2.3 ms here (1.1 ms with every other size; the coarse pass now runs at COARSE_WIDTH).
FRAME_WIDTH = 96
# Width of the first, coarse pass over a stretch's frames, which only picks where to look
# closely: a third of the cost of FRAME_WIDTH (0.60 ms a frame instead of 1.74 ms with 20
# templates, Big Buck Bunny 640x360), while a frame of the still's shot still correlated 0.98
# and another shot's 0.64 (0.97 and 0.58 at 96 px).
COARSE_WIDTH = 64
# Template widths as a share of the frame's: 1.0 for a whole frame down to 0.6 for a crop of
# 20% off both sides; the 0.05 step keeps the misfit under 2.5% of the width: random crops of
# 8 half-A videos (bench/search_accuracy.py) then correlated 0.96-1.00 with their true frame.
SCALES = np.round(np.arange(0.6, 1.0001, 0.05), 3)
# ...and above the frame's width, for a still whose left and right edges are black: pillarbox bars
# on a dark picture, which trimming cannot tell from it (a 16:9 still of a 4:3 picture is 1.33
# times the picture's width, a 21:9 one of a 16:9 picture 1.31; bench/search_accuracy.py draws
# bars of up to 25% a side, 1.5). Such a template is cut to the frame's width, as one taller
# than the frame with black top and bottom edges is cut to its height (letterbox bars on a dark
# picture). A pillarboxed logo still's coarse
# comparison with a frame took 0.52 ms without these sizes, 1.09 ms so, and 1.40 ms extending
# the frame with black instead and sliding the whole still over it (measured here).
WIDE_STEP = 0.05
WIDE_SCALES = np.round(np.arange(1.05, 1.5001, WIDE_STEP), 3)
# ...and below 0.6 for a still with black edges on any side: what is left of a dark picture
# whose black sides were cut as bars, by its poster or by trimming (`borders.find_borders`
# keeps at least MIN_KEPT, 0.45, of the width), has them above and below at least. A title on
# black cut so matched no size (bench/search_accuracy.py seed 131: cat.1's captions, 138 px of 256).
NARROW_SCALES = np.round(np.arange(0.45, 0.5501, WIDE_STEP), 3)
# A placement over less than this share of the frame's area is a small picture too, whatever its
# width: a frame-shaped still placed at the widest of NARROW_SCALES covers 0.3 of the frame. A
# very wide still placed at SCALES' 0.6 of the width covers less: a centre crop of the Sintel
# trailer (2.35:1) from outside the index was placed over 0.23 of a Big Buck Bunny frame and
# matched it at 0.888, detail 0.620 (bench/search_accuracy.py seed 317, the only false match of
# nine seeds' 360 stills from outside the library). A crop of 20% off every side still covers 0.36.
SMALL_AREA = float(NARROW_SCALES[-1]) ** 2
# Correlation a variant without a strip (`QueryVariant.cut`) must gain to beat the whole still. Measured on
# 4 Big Buck Bunny frames: untouched, the cut one scored 0.0004-0.0037 lower; inside a player
# window with a control bar (screenshots.player_chrome) it scored 0.025-0.43 higher.
CUT_HANDICAP = 0.02
# Blur (pixels at FRAME_WIDTH) whose removal leaves the detail `detail_ncc` compares, and the
# share of the strongest detail clipped. Chosen among blurs of 1-2.5 px and clipping 0-20% on the
# best frames found for stills of both halves of the shared media (bench/search_accuracy.py,
# seed 31: 75 right, 41 from outside the index) as the widest gap: right >= 0.73, outside
# <= 0.38 (Pearson at 1.5 px without clipping: >= 0.65 against <= 0.46). A synthetic film's
# smooth frame with a burned-in logo measured 0.49 unclipped, 0.77 clipped.
DETAIL_SIGMA = 2.5
DETAIL_CLIP_SHARE = 0.2
# Detail (grey levels) under which a pixel is flat. A countdown's "4" on black is flat over 93%
# of the picture: the share clipped at the 80th percentile there clipped all of it to the blur's
# float noise (3e-5), and the still correlated 1.000 with its own frame but 0.07 in detail
# (bench/search_accuracy.py seed 313: NASA's clip at 6.69 s, 7 of 15 transformations missed).
DETAIL_FLAT = 0.01
# A placement with less than this many pixels of width or height inside a video's picture is
# no evidence of it (`inside`).
MIN_INSIDE_PX = 8
# Standard deviation (grey levels) under which a patch of a frame is flat: no placement (`_peak`).
FLAT_STD = 0.5
# The best frame's correlation is also measured with a corner this share of each side left out,
# each in turn (`without_a_corner`): the benchmark's channel logo (18% x 10%, screenshots.logo)
# over the empty car park took it from 0.999 to 0.83-0.88, over a dim Sintel shot to 0.77-0.79.
CORNER_SHARE = 0.25
# How far `TemplateBank.sharpen` looks around a placement, in its wider frame's pixels.
SHARP_SLACK_PX = 2
# A template at most this many rows taller than the frame is trimmed to fit (rounding).
FIT_SLACK_ROWS = 3


@dataclass(frozen=True)
class Alignment:
    ncc: float                     # normalised cross-correlation, -1..1
    variant: int                   # index into the query variants
    box: tuple[int, int, int, int]  # (x, y, w, h) in the compared frame's pixels
    template: np.ndarray | None = field(default=None, compare=False, repr=False)  # as placed
    scale: float = 1.0             # the template's width as a share of the frame's, before fitting
    on_black: bool = False         # the variant placed is a title on black (`QueryVariant.on_black`)
    area: float = 1.0              # the share of the compared frame's area it covers

    @property
    def narrow(self) -> bool:
        """Placed at one of NARROW_SCALES: a small picture, which more frames resemble by chance."""
        return self.scale < SCALES[0]

    @property
    def by_chance(self) -> bool:
        """Is this a placement many frames resemble by chance: a small picture (narrow, or over
        less than SMALL_AREA of the frame), or a title on black?"""
        return self.narrow or self.area < SMALL_AREA or self.on_black


class TemplateBank:
    """A still's variants, pre-scaled for every template size, ready to slide over frames."""

    def __init__(self, variants: list[QueryVariant]) -> None:
        self.variants = variants
        self.templates: list[tuple[int, float, np.ndarray]] = []
        self.coarse: list[tuple[int, float, np.ndarray]] = []
        self._sharp: dict[tuple[int, float, int], np.ndarray | None] = {}
        for i, v in enumerate(variants):
            # Bars of a share m of the still's width leave the frame 1 - m of it.
            wide = WIDE_SCALES[WIDE_SCALES * (1 - v.black_margins[1]) <= 1.0 + WIDE_STEP]
            narrow = NARROW_SCALES if max(v.black_margins) > 0 else NARROW_SCALES[:0]
            for s in np.concatenate([narrow, SCALES, wide]):
                self.templates.append((i, float(s), grey(v.image, max(8, round(FRAME_WIDTH * s)))))
                if _tenths(s):
                    self.coarse.append((i, float(s), grey(v.image, max(8, round(COARSE_WIDTH * s)))))

    def align(self, frame: np.ndarray, coarse: bool = False) -> Alignment:
        """Best placement of any variant in `frame` (a `frame_grey` image); `coarse`: every other
        size only, in a frame COARSE_WIDTH wide (a first pass over many frames)."""
        fh, fw = frame.shape
        best = Alignment(-1.0, 0, (0, 0, fw, fh))
        for i, scale, t in self.coarse if coarse else self.templates:
            t = _fit(t, fw, fh, self.variants[i].black_margins)
            if t is None:
                continue
            th, tw = t.shape
            peak, (x, y) = _peak(frame, t)
            if peak - self._handicap(i) > best.ncc - self._handicap(best.variant):
                best = Alignment(float(peak), i, (x, y, tw, th), t, scale, self.variants[i].on_black,
                                 tw * th / (fw * fh))
        return best

    def sharp_width(self, found: Alignment) -> int:
        """Widest frame `sharpen` can use for `found`: where its still is at its own size."""
        return int(self.variants[found.variant].image.shape[1] / found.scale)

    def sharpen(self, frame: np.ndarray, found: Alignment, detail: bool = False) -> float:
        """Correlation (plus fine detail, with `detail`) of `found` placed again in `frame`, the
        same frame wider than FRAME_WIDTH (`frame_grey`), within SHARP_SLACK_PX of where it was:
        a static camera's moments that differ by a car correlate alike at FRAME_WIDTH, not here."""
        fh, fw = frame.shape
        variant = self.variants[found.variant]
        key = (found.variant, found.scale, fw)
        if key not in self._sharp:
            self._sharp[key] = _fit(grey(variant.image, round(fw * found.scale)), fw, fh, variant.black_margins)
        template, k = self._sharp[key], fw / FRAME_WIDTH
        if template is None:
            return -2.0
        th, tw = template.shape
        x0 = min(max(0, round(found.box[0] * k) - SHARP_SLACK_PX), fw - tw)
        y0 = min(max(0, round(found.box[1] * k) - SHARP_SLACK_PX), fh - th)
        if x0 < 0 or y0 < 0:
            return -2.0
        window = frame[y0:y0 + th + 2 * SHARP_SLACK_PX, x0:x0 + tw + 2 * SHARP_SLACK_PX]
        peak, (x, y) = _peak(window, template)
        return peak + (detail_ncc(frame, template, (x0 + x, y0 + y, tw, th)) if detail else 0.0)

    def holds_any(self, fw: int, fh: int) -> bool:
        """Can any coarse template be placed in a frame of fw x fh (else `align` finds -1)?"""
        return any(_fit(t, fw, fh, self.variants[i].black_margins) is not None for i, _, t in self.coarse)

    def _handicap(self, variant: int) -> float:
        """A hypothesis that drops part of the still wins only when clearly better."""
        return CUT_HANDICAP if self.variants[variant].cut else 0.0


def _peak(frame: np.ndarray, template: np.ndarray) -> tuple[float, tuple[int, int]]:
    """Best correlation of `template` over `frame` and where, (x, y). A flat patch of the frame
    (a black one) correlates 1.0 with any template in OpenCV, so where the peak is one, such
    patches are ruled out: a title on black "matched" the Sintel trailer's black at 1.0."""
    result = cv2.matchTemplate(frame, template, cv2.TM_CCOEFF_NORMED)
    _, peak, _, (x, y) = cv2.minMaxLoc(result)
    th, tw = template.shape
    if float(frame[y:y + th, x:x + tw].std()) >= FLAT_STD:
        return float(peak), (x, y)
    mean = cv2.blur(frame, (tw, th), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
    square = cv2.blur(frame * frame, (tw, th), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
    variance = (square - mean * mean)[:result.shape[0], :result.shape[1]]
    result[variance < FLAT_STD ** 2] = -1.0
    _, peak, _, (x, y) = cv2.minMaxLoc(result)
    return float(peak), (x, y)


def _tenths(scale: float) -> bool:
    """Is `scale` a multiple of 0.1: every other size, the ones the coarse pass tries?"""
    return abs(scale * 10 - round(scale * 10)) < 1e-6


def _fit(template: np.ndarray, fw: int, fh: int, black_margins: tuple[float, float]) -> np.ndarray | None:
    """The template cut to the frame's size where it is larger, or None when it cannot be: only
    by rounding (FIT_SLACK_ROWS), or where what is cut is black (bars around the frame, which
    sits in the middle of them, as players and posting apps put it). Bars above and below are
    tried around the whole frame only, and never together with bars at the sides: a crop inside
    bars is not how a frame is shown, and each size tried costs a comparison."""
    th, tw = template.shape
    black_rows, black_cols = black_margins
    taller = th > fh + FIT_SLACK_ROWS
    if (taller and (tw != fw or th - fh > black_rows * th + FIT_SLACK_ROWS)) or \
            (tw > fw and tw - fw > black_cols * tw + WIDE_STEP * fw):
        return None
    top, left = max(0, th - fh) // 2, max(0, tw - fw) // 2
    return template[top:top + fh, left:left + fw]


def detail_ncc(frame: np.ndarray, template: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Correlation of the fine detail (each image minus its blur) of `template` and the part of
    `frame` at `box`: smooth pictures (sky, a wall, a dim title) correlate with many others,
    their edges do not."""
    x, y, w, h = box
    return _correlation(_detail(frame[y:y + h, x:x + w]), _detail(template[:h, :w]))


def inside(frame: np.ndarray, found: Alignment, region: tuple[int, int, int, int]) -> tuple[Alignment, float]:
    """The placement's correlation and fine detail (`detail_ncc`) over its part inside `region`
    (x, y, w, h) of `frame`: a video's picture without its bars. Bars in a still placed over
    the video's own bars correlate with them whatever the picture: a pillarboxed still of a bare
    wall matched a chair clip's barred frame at 0.936, its picture alone at 0.66 (bench seed 167)."""
    x, y, w, h = found.box
    rx, ry, rw, rh = region
    x0, y0, x1, y1 = max(x, rx), max(y, ry), min(x + w, rx + rw), min(y + h, ry + rh)
    part = None if found.template is None else found.template[y0 - y:y1 - y, x0 - x:x1 - x]
    if part is None or min(x1 - x0, y1 - y0) < MIN_INSIDE_PX or float(part.std()) == 0.0:
        return replace(found, ncc=-1.0), -1.0
    box = (x0, y0, x1 - x0, y1 - y0)
    ncc = _peak(frame[y0:y1, x0:x1], part)[0]
    return replace(found, ncc=ncc), detail_ncc(frame, part, box)


def _detail(image: np.ndarray) -> np.ndarray:
    """The image minus its blur, its strongest DETAIL_CLIP_SHARE clipped: the edges of a burned-in
    logo or subtitle are the strongest of a smooth picture and would outweigh all the rest."""
    d = image - cv2.GaussianBlur(image, (0, 0), DETAIL_SIGMA)
    # np.partition, not np.percentile: 0.01 ms instead of 0.11 for a 128x72 image (measured),
    # and this runs for every frame compared closely.
    magnitude = np.abs(d).ravel()
    k = round((magnitude.size - 1) * (1 - DETAIL_CLIP_SHARE))
    limit = np.partition(magnitude, k)[k]
    if limit < DETAIL_FLAT:
        # Mostly flat (a title on black): the share is taken of the detail there is, or the
        # glyph's edges would be clipped to the float noise of the black.
        textured = magnitude[magnitude >= DETAIL_FLAT]
        if textured.size:
            k = round((textured.size - 1) * (1 - DETAIL_CLIP_SHARE))
            limit = np.partition(textured, k)[k]
    d = np.clip(d, -limit, limit)
    return d - d.mean()


def frame_grey(image: np.ndarray, width: int = FRAME_WIDTH) -> np.ndarray:
    """A decoded frame (borders already removed) in the form `TemplateBank.align` compares."""
    return grey(image, width)


def without_a_corner(frame: np.ndarray, found: Alignment) -> tuple[float, float]:
    """The placement's correlation and fine detail with the corner (CORNER_SHARE of each side)
    left out where that helps most: a channel logo burned into a corner of a smooth picture
    outweighs the rest of it."""
    x, y, w, h = found.box
    if found.template is None:
        return found.ncc, -1.0
    a = frame[y:y + h, x:x + w].astype(np.float32)
    b = found.template[:h, :w].astype(np.float32)
    cw, ch = max(1, round(w * CORNER_SHARE)), max(1, round(h * CORNER_SHARE))
    masks = []
    for cx, cy in ((0, 0), (w - cw, 0), (0, h - ch), (w - cw, h - ch)):
        keep = np.ones((h, w), bool)
        keep[cy:cy + ch, cx:cx + cw] = False
        masks.append((_correlation(a[keep], b[keep]), keep))
    ncc, keep = max(masks, key=lambda m: m[0])
    return ncc, _correlation(_detail(a)[keep], _detail(b)[keep])


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised correlation of two same-shaped arrays."""
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (np.sqrt((a * a).sum() * (b * b).sum()) + 1e-6))
