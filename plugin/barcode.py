"""A film's stored frames -> the bars of a colour barcode: pure functions over numpy arrays.

The index holds sparse frames (keyframes, mostly at shot cuts, plus a few inside long shots), so
each stored frame stands for the time until the next one. A poster column covers an exact slice
of film time and takes the time-weighted share of every frame that overlaps it: whatever the
number of frames and columns, exactly W whole-pixel columns come out, with no seams and no frame
skipped or counted twice.

Black, flat and deep-fade frames (quality under features.EVIDENCE_MIN_QUALITY) would pull the
poster towards black: they are dropped and the previous good frame carries its colour through
them (a film that opens on black takes its first good frame's colour back to the start).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from reelprint import colour
from reelprint.errors import ReelprintError
from reelprint.features import EVIDENCE_MIN_QUALITY, layout_distance
from reelprint.hashes import hamming

# Smoothed mode: Gaussian sigma as a share of the poster's time span (0.4% is ~30 s of a 2-hour
# film): wide enough to melt the cut-to-cut flicker of an action scene into a gradient, narrow
# enough that a film's acts stay distinct (judged on the Big Buck Bunny and Sintel posters).
SMOOTH_SIGMA = 0.004
# Two consecutive stored frames are in different shots when their pHashes differ in at least
# this many bits AND their colour layouts are at least SHOT_CUT_LAYOUT apart. Measured on the
# whole Big Buck Bunny (1,182 consecutive pairs 0.5 s apart): pairs with close layouts (< 15)
# have a median Hamming distance of 6 (90th percentile 18), pairs across a cut about 32. Pairs at
# Hamming <= 10 (surely one shot) have layout distances under 20.5 in 95% of cases; pairs at
# Hamming >= 28 (surely a cut) are over 24.5 in 90%. The cuts this misses join shots of nearly
# the same colours, which a palette poster can't tell apart anyway. 206 shots found.
SHOT_CUT_HAMMING = 20
SHOT_CUT_LAYOUT = 25.0
# Merging a bar's or a shot's palettes: colours closer than this in OKLab are one colour (about
# twice the just-noticeable difference, so a shot's slightly drifting sky stays one band).
MERGE_DISTANCE = 0.04


@dataclass(frozen=True)
class Bars:
    """A barcode: bar b spans poster columns edges[b]..edges[b+1] and film time t[b]..t[b+1].

    Each bar is a stack of bands, top to bottom: colours (B, K, 3) uint8 sRGB with heights
    `weights` (B, K) summing to 1 per bar (unused bands have weight 0). `mean` (B, 3) is each
    bar's linear-light average colour.
    """

    edges: np.ndarray
    t: np.ndarray
    colours: np.ndarray
    weights: np.ndarray
    mean: np.ndarray

    @property
    def width(self) -> int:
        return int(self.edges[-1])

    def __len__(self) -> int:
        return len(self.edges) - 1


def frame_spans(t: np.ndarray, duration: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the time each frame stands for: until the next stored frame; the first
    from 0, the last until the end of the film."""
    t = np.asarray(t, dtype=np.float64)
    starts = t.copy()
    starts[0] = min(0.0, t[0])
    gaps = np.diff(t)
    last = t[-1] + (float(np.median(gaps)) if len(gaps) else 1.0)
    end = duration if duration and duration > t[-1] else last
    return starts, np.append(t[1:], end)


def good_frames(frames: np.ndarray) -> np.ndarray:
    """The frames that carry colour: black/flat/fade frames dropped (all kept if none is good)."""
    keep = frames["quality"] >= EVIDENCE_MIN_QUALITY
    return frames[keep] if keep.any() else frames


def _shares(frames: np.ndarray) -> np.ndarray:
    s = frames["shares"].astype(np.float64)
    total = s.sum(axis=1, keepdims=True)
    return np.where(total > 0, s / np.maximum(total, 1), np.eye(colour.PALETTE_SIZE)[0])


@dataclass(frozen=True)
class _Segments:
    """Film time cut at every frame boundary and every column edge: each piece lies in one
    frame and one column."""

    frame: np.ndarray    # (S,) index into the good frames
    column: np.ndarray   # (S,)
    length: np.ndarray   # (S,) seconds
    col_t: np.ndarray    # (W+1,) column edges in seconds


def _segments(starts: np.ndarray, ends: np.ndarray, start: float, end: float, width: int) -> _Segments:
    col_t = start + (end - start) * np.arange(width + 1) / width
    inside = (starts > start) & (starts < end)
    pts = np.union1d(col_t, starts[inside])
    length = np.diff(pts)
    mids = (pts[:-1] + pts[1:]) / 2
    keep = length > 0
    mids, length = mids[keep], length[keep]
    frame = np.clip(np.searchsorted(starts, mids, side="right") - 1, 0, len(starts) - 1)
    column = np.clip(np.searchsorted(col_t, mids, side="right") - 1, 0, width - 1)
    return _Segments(frame, column, length, col_t)


def _window(starts: np.ndarray, ends: np.ndarray, start: float | None, end: float | None) -> tuple[float, float]:
    a = max(0.0, start or 0.0)
    b = min(float(ends[-1]), end) if end is not None else float(ends[-1])
    if b <= a:
        raise ReelprintError(f"empty time range {a:.3f}..{b:.3f} s (the film is {ends[-1]:.3f} s long)")
    return a, b


def _mean_by(group: np.ndarray, n: int, seg: _Segments, frames: np.ndarray) -> np.ndarray:
    """(n, 3) linear-light time-weighted mean colour of the segments in each group (bar)."""
    lin = colour.srgb_to_linear(frames["mean_rgb"])[seg.frame] * seg.length[:, None]
    total = np.bincount(group, weights=seg.length, minlength=n)
    sums = np.stack([np.bincount(group, weights=lin[:, c], minlength=n) for c in range(3)], axis=1)
    return sums / np.maximum(total, 1e-12)[:, None]


def _stack(column: np.ndarray, colours: np.ndarray, weights: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Items (column index, sRGB colour, weight) -> per-column band stacks (n, K, 3), (n, K),
    lightest on top: the stable order that keeps skies up and shadows down from bar to bar."""
    lightness = colour.srgb_to_oklab(colours)[:, 0]
    order = np.lexsort((-lightness, column))
    column, colours, weights = column[order], colours[order], weights[order]
    first = np.searchsorted(column, np.arange(n))
    slot = np.arange(len(column)) - first[column]
    k = int(slot.max()) + 1 if len(slot) else 1
    out_c = np.zeros((n, k, 3), np.uint8)
    out_w = np.zeros((n, k), np.float64)
    out_c[column, slot] = colours
    out_w[column, slot] = weights
    total = out_w.sum(axis=1, keepdims=True)
    return out_c, out_w / np.where(total > 0, total, 1)


def _prepare(frames: np.ndarray, duration: float | None, start: float | None, end: float | None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    if not len(frames):
        raise ReelprintError("the video has no stored frames")
    good = good_frames(frames)
    starts, ends = frame_spans(good["t"], duration)
    a, b = _window(*frame_spans(frames["t"], duration), start, end)
    return good, starts, ends, a, b


def average_bars(frames: np.ndarray, duration: float | None, width: int,
                 start: float | None = None, end: float | None = None, smooth: float = 0.0) -> Bars:
    """One column per pixel, each the linear-light average colour of its slice of film time;
    `smooth` > 0 blurs along time with a Gaussian of that share of the span (in linear light)."""
    good, starts, ends, a, b = _prepare(frames, duration, start, end)
    seg = _segments(starts, ends, a, b, width)
    lin = _mean_by(seg.column, width, seg, good).astype(np.float32)
    if smooth > 0:
        sigma = smooth * width
        lin = cv2.GaussianBlur(lin[None], (0, 0), sigmaX=sigma, sigmaY=1e-3,
                               borderType=cv2.BORDER_REFLECT)[0]
    mean = colour.linear_to_srgb(lin)
    return Bars(np.arange(width + 1), seg.col_t, mean[:, None], np.ones((width, 1)), mean)


def dominant_bars(frames: np.ndarray, duration: float | None, width: int,
                  start: float | None = None, end: float | None = None) -> Bars:
    """One column per pixel, each a stack of the dominant colours of the frames in its slice of
    time, heights proportional to share x time, lightest on top."""
    good, starts, ends, a, b = _prepare(frames, duration, start, end)
    seg = _segments(starts, ends, a, b, width)
    k = colour.PALETTE_SIZE
    items_w = (seg.length[:, None] * _shares(good)[seg.frame]).ravel()
    colours, weights = _stack(np.repeat(seg.column, k), good["palette"][seg.frame].reshape(-1, 3), items_w, width)
    mean = colour.linear_to_srgb(_mean_by(seg.column, width, seg, good))
    return Bars(np.arange(width + 1), seg.col_t, colours, weights, mean)


def shot_cuts(frames: np.ndarray) -> np.ndarray:
    """(F,) bool: frame i starts a new shot (frame 0 always does)."""
    cut = np.ones(len(frames), bool)
    if len(frames) > 1:
        far = hamming(frames["phash"][1:], frames["phash"][:-1]) >= SHOT_CUT_HAMMING
        recoloured = layout_distance(frames["layout"][1:], frames["layout"][:-1]) >= SHOT_CUT_LAYOUT
        cut[1:] = far & recoloured
    return cut


def merge_palette(colours: np.ndarray, weights: np.ndarray, k: int = colour.PALETTE_SIZE
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Weighted sRGB colours -> at most k colours and shares (summing to 1), largest first.

    Leader clustering in OKLab: heaviest first, each colour joins the first heavier leader
    within MERGE_DISTANCE, else leads a group of its own; a group's colour is its weighted mean.
    """
    order = np.argsort(-weights, kind="stable")
    order = order[weights[order] > 0]
    if not len(order):
        return np.zeros((0, 3), np.uint8), np.zeros(0)
    lab = colour.srgb_to_oklab(colours[order])
    w = weights[order]
    group = np.zeros(len(order), np.int64)
    leaders = np.empty_like(lab)  # memory grows with the groups, never with items squared
    n_leaders = 0
    for i in range(len(order)):
        near = np.flatnonzero(((leaders[:n_leaders] - lab[i]) ** 2).sum(axis=1) < MERGE_DISTANCE**2)
        if len(near):
            group[i] = near[0]
        else:
            group[i], leaders[n_leaders] = n_leaders, lab[i]
            n_leaders += 1
    mass = np.bincount(group, weights=w)
    centres = np.stack([np.bincount(group, weights=w * lab[:, c]) for c in range(3)], axis=1) / mass[:, None]
    top = np.argsort(-mass, kind="stable")[:k]
    return colour.oklab_to_srgb(centres[top]), mass[top] / mass[top].sum()


def shot_bars(frames: np.ndarray, duration: float | None, width: int,
              start: float | None = None, end: float | None = None) -> Bars:
    """One bar per shot, its edges on whole pixels at the film's cuts, filled with the shot's
    merged palette as bands (lightest on top). A shot narrower than a pixel gives its pixel to
    its neighbours."""
    good, starts, ends, a, b = _prepare(frames, duration, start, end)
    seg = _segments(starts, ends, a, b, width)
    shot_of_frame = np.cumsum(shot_cuts(good)) - 1
    shot_start = np.maximum(starts[shot_cuts(good)], a)
    x = np.clip(np.rint((shot_start - a) / (b - a) * width), 0, width).astype(int)
    edges = np.unique(np.append(x, width))
    # Every segment goes to the bar its shot starts in: a sub-pixel shot joins its neighbour.
    bar_of_shot = np.searchsorted(edges, x, side="right") - 1
    bar = np.minimum(bar_of_shot[shot_of_frame[seg.frame]], len(edges) - 2)
    n = len(edges) - 1
    shares = _shares(good)
    colours_out = np.zeros((n, colour.PALETTE_SIZE, 3), np.uint8)
    weights_out = np.zeros((n, colour.PALETTE_SIZE))
    bounds = np.searchsorted(bar, np.arange(n + 1))  # segments run in time order, so bars are runs
    for i in range(n):
        # The bar's frames, each with all its time in the bar (a shot spans many columns' segments).
        mine, inverse = np.unique(seg.frame[bounds[i]:bounds[i + 1]], return_inverse=True)
        seconds = np.bincount(inverse, weights=seg.length[bounds[i]:bounds[i + 1]])
        c, w = merge_palette(good["palette"][mine].reshape(-1, 3), (seconds[:, None] * shares[mine]).ravel())
        colours_out[i, :len(c)], weights_out[i, :len(w)] = c, w
    colours_out, weights_out = _stack(np.repeat(np.arange(n), colour.PALETTE_SIZE),
                                      colours_out.reshape(-1, 3), weights_out.ravel(), n)
    t = a + (b - a) * edges / width
    return Bars(edges, t, colours_out, weights_out, colour.linear_to_srgb(_mean_by(bar, n, seg, good)))


def bar_palettes(frames: np.ndarray, duration: float | None, bars: Bars) -> list[tuple[np.ndarray, np.ndarray]]:
    """The merged palette (colours, shares) of the frames under each bar, for the sidecar."""
    good = good_frames(frames)
    starts, ends = frame_spans(good["t"], duration)
    shares = _shares(good)
    one_frame: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # most bars of a big poster lie in one frame
    out = []
    for t0, t1 in zip(bars.t[:-1], bars.t[1:], strict=True):
        lo, hi = np.searchsorted(ends, t0, side="right"), np.searchsorted(starts, t1, side="left")
        if hi - lo == 1 and lo in one_frame:
            out.append(one_frame[lo])
            continue
        over = np.clip(np.minimum(ends[lo:hi], t1) - np.maximum(starts[lo:hi], t0), 0, None)
        out.append(merge_palette(good["palette"][lo:hi].reshape(-1, 3), (over[:, None] * shares[lo:hi]).ravel()))
        if hi - lo == 1:
            one_frame[lo] = out[-1]
    return out
