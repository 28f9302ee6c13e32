"""Finding the moment: a stretch of a candidate video decoded and compared with the still.

The index holds only some frames of each video, so search decodes the stretch after (or before)
a candidate stored frame and compares its frames with the still (`verify.py`). The decode is
the cost of a search, so it is kept cheap: luma only, at REFINE_SIZE, and for H.264 without the
frames no other frame refers to on the way from the keyframe to the stretch
(`decode.SKIP_NONREF_CODECS`), and only until the picture has plainly moved on from a sure match
(STOP_AFTER_S). Inside the stretch every frame is decoded: skipping them there
too decoded 1.3x less, but a still of a skipped frame then had to be pinned to it afterwards by
decoding its GOP again, which cost more than it saved in a 1080p library (bench/search_1080p.py:
median 1955 ms a search with pinning, 1728 ms without).

The comparison runs in three passes: a glance at every 0.1 s and at any frame unlike those (64
px wide), a close look around the best (96 px), and the moments of the close look, or of a
static shot all the tied ones, told apart in wider frames (`TemplateBank.sharpen`, up to 160 px).
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

import cv2
import numpy as np

from reelprint.borders import LetterboxCrop
from reelprint.decode import grey_frames_between
from reelprint.errors import DecodeError
from reelprint.scores import SURE_NCC
from reelprint.store import VideoRecord
from reelprint.verify import COARSE_WIDTH, Alignment, TemplateBank, detail_ncc, frame_grey, inside, without_a_corner

# The first pass compares frames at least this far apart (every third frame at 25 fps) with
# every other template size; the second pass every frame decoded this close to the best of them.
COARSE_GAP_S = 0.1
# ...and any frame between them unlike the nearest of them (tiny pictures, GLANCE_WIDTH wide,
# correlating under UNLIKE_CORR): something fast passes there. A car crossing Caminandes' road
# is in one frame, 4.67 s (bench seed 167): its neighbours on the grid correlated 0.32 and 0.42
# with it at this size, 0.96-1.0 elsewhere in the shot, and all 15 of its stills were missed.
# Over 30 s of each shared video, 5% of the frames between the grid's fall under 0.9 (2.8% under
# 0.8; a cut just after a grid frame, a fast pan, that car).
GLANCE_WIDTH = 32
UNLIKE_CORR = 0.9
# Coarse frames within this correlation of the best are looked at closely, at most MAX_CENTRES.
NEAR_BEST = 0.02
MAX_CENTRES = 6
# A stretch whose best coarse correlation is under this gets no close pass: it cannot become a
# match (MATCH_MIN_NCC 0.83). Of 610 stretches decoded for 128 stills of both halves (bench seed
# 23), those with a coarse best under 0.7 came out of the close pass at 0.67 or less; the close
# pass is most of a search's comparisons, and a still from outside the library has few others.
CLOSE_PASS_MIN_NCC = 0.7
# A stretch's decoding stops once its first pass has met a moment correlating SURE_NCC or more
# and the grid's frames have stayed STOP_BELOW or more under the best for STOP_AFTER_S: the
# picture has moved on, and a 10 s GOP of 1080p is a second of decoding. bench/search_1080p.py:
# medians 926-977 ms against 1033-1059 without (three alternating runs); bench/search_accuracy.py seeds 311
# and 337: the same answers. A static shot stays within STOP_BELOW, so its span is all decoded.
STOP_BELOW = 0.02
STOP_AFTER_S = 1.0
# Longest side of frames decoded: more than the comparison's FRAME_WIDTH, so the video's border
# crop can be applied first.
REFINE_SIZE = 160
# The moments of a stretch are told apart in frames this wide or wider (TemplateBank.sharpen),
# up to REFINE_SIZE, where the still has the pixels for it.
SHARP_MIN_WIDTH = 120
# ...by correlation, and the fine detail too for the few that correlate best there: a static
# stretch has a hundred frames tied, and the detail doubles a frame's cost.
SHARP_FINALISTS = 4
# A static shot: neighbouring frames whose whole-frame correlation with the best frame is at
# least this show the same picture (consecutive frames of Chaplin's still shot and of a static
# camera measured 0.9999-1.0; of Big Buck Bunny in motion 0.95); reported as `span` when it
# lasts SPAN_MIN_S or more.
STATIC_MIN_CORR = 0.995
SPAN_MIN_S = 0.5
# Stretches decoded and compared at once. The comparison (OpenCV) runs on one core and releases
# the GIL, as the decoder does, so a second stretch uses the other core: searches took 0.67-0.80
# of the time (medians of per-still ratios, 15 stills in each of 4 sets, 2 cores) of one stretch
# at a time with the decoder's own threads, with the same answers (/tmp script over the
# bench/search_accuracy.py fold databases).
REFINE_THREADS = 2
_pool = ThreadPoolExecutor(REFINE_THREADS, thread_name_prefix="reelprint-refine")

# Height granted to a video's frames beyond what its stored size gives (`could_hold`): NTSC 4:3
# video's pixels are 10/11 as wide as tall, so its pictures are 1.1 times taller than its size
# says; pixels wider than tall only make the picture flatter.
ANAMORPHIC_SLACK = 1.15

# (video, start, end, pHash distance of the still to the stored frame it was found by)
Stretch = tuple[VideoRecord, float, float, int]


@dataclass(frozen=True)
class Refined:
    """The best moment of one decoded stretch."""

    video_id: int
    t: float
    alignment: Alignment
    span: tuple[float, float] | None
    distance: int           # pHash distance of the still to the candidate stored frame
    crop: LetterboxCrop     # the part of the frame compared: the video's bars cut, or none
    detail: float           # correlation of the fine detail at the placement (verify.detail_ncc)
    sharpness: float        # correlation plus fine detail in a wider frame (TemplateBank.sharpen)
    stretch: tuple[float, float] = (0.0, 0.0)  # (start, end) of the stretch decoded


def refine_stretch(video: VideoRecord, start: float, end: float, bank: TemplateBank, distance: int
                   ) -> Refined | None:
    """The frame of `video` between `start` and `end` that best matches the still, or None when
    the stretch cannot be decoded."""
    forms = _forms(video)
    frames: list[tuple[float, np.ndarray]] = []
    coarse: dict[tuple[LetterboxCrop, int], Alignment] = {}

    def compare(i: int) -> float:
        for form in forms:
            coarse[form, i] = bank.align(frame_grey(form.apply(frames[i][1]), COARSE_WIDTH), coarse=True)
        return max(coarse[form, i].ncc for form in forms)

    # The first pass: the frames every COARSE_GAP_S (the grid), compared as they come so that
    # decoding can stop (STOP_AFTER_S), then those unlike the grid's nearest.
    grid: list[int] = []
    best_so_far, last_near_best = -1.0, -np.inf
    try:
        for t, grey in grey_frames_between(video.path, start, end, size=REFINE_SIZE, references_before=start):
            frames.append((t, grey))
            if grid and t < frames[grid[-1]][0] + COARSE_GAP_S - 1e-6:
                continue
            grid.append(len(frames) - 1)
            ncc = compare(grid[-1])
            if ncc >= best_so_far - STOP_BELOW:
                last_near_best = t
            best_so_far = max(best_so_far, ncc)
            if best_so_far >= SURE_NCC and t - last_near_best >= STOP_AFTER_S:
                break
    except DecodeError:
        return None
    if not frames:
        return None
    times = np.array([t for t, _ in frames])
    for i in _unlike_the_grid(grid, [g for _, g in frames]):
        compare(i)
    crop, first = max(coarse, key=lambda k: coarse[k].ncc)
    top = coarse[crop, first].ncc
    if top < CLOSE_PASS_MIN_NCC:
        return Refined(video.id, float(times[first]), coarse[crop, first], None, distance, crop, -1.0, top - 1.0,
                       (start, end))
    # In a fade or a static shot many frames correlate within a hair of each other; the fine
    # detail tells the still's own frame (bench: a fade's best correlation was 0.6 s off).
    tied = [i for (form, i), a in coarse.items() if form == crop and a.ncc >= top - NEAR_BEST]
    centres = sorted(tied, key=lambda i: -coarse[crop, i].ncc)[:MAX_CENTRES]

    @functools.cache
    def grey(i: int) -> np.ndarray:
        return frame_grey(crop.apply(frames[i][1]))

    near = {int(i) for c in centres for i in np.flatnonzero(np.abs(times - times[c]) <= COARSE_GAP_S + 1e-6)}
    alignments = {i: bank.align(grey(i)) for i in near}
    details = {i: _detail(grey(i), a) for i, a in alignments.items()}
    best = max(alignments, key=lambda i: alignments[i].ncc + details[i])
    sharpness = _sharpness(bank, [crop.apply(g) for _, g in frames], times, alignments, best, tied)
    if sharpness:
        best = max(sharpness, key=sharpness.get)
        if best not in alignments:
            alignments[best] = bank.align(grey(best))
            details[best] = _detail(grey(best), alignments[best])
    else:
        sharpness = {best: alignments[best].ncc + details[best]}
    found, detail = alignments[best], details[best]
    cornerless = without_a_corner(grey(best), found)
    if sum(cornerless) > found.ncc + detail:
        found, detail = replace(found, ncc=cornerless[0]), cornerless[1]
    if crop.is_empty and video.crop and not video.crop.is_empty:
        found, detail = inside(grey(best), found, video.crop.box(*grey(best).shape[::-1]))
        sharpness[best] = found.ncc + detail  # nor in the wider frame
    lo, hi = _same_picture_run(grey, best, len(frames))
    span = (float(times[lo]), float(times[hi])) if times[hi] - times[lo] >= SPAN_MIN_S else None
    return Refined(video.id, float(times[best]), found, span, distance, crop, detail, sharpness[best], (start, end))


def _sharpness(bank: TemplateBank, pictures: list[np.ndarray], times: np.ndarray, alignments: dict[int, Alignment],
               best: int, tied: list[int]) -> dict[int, float]:
    """Correlation plus fine detail in wider frames (`TemplateBank.sharpen`) of the frames of a
    stretch that correlate best there, by index. Looked at: those compared closely, each at its
    own placement; in a static shot (more frames `tied` in the first pass than MAX_CENTRES) also
    the tied ones and the frames around the best of them, at the best's placement, which a static
    camera's frames share. Empty when the pictures or the still are too small for it."""
    width = min(pictures[best].shape[1], bank.sharp_width(alignments[best]))
    if width < SHARP_MIN_WIDTH:
        return {}
    placed = dict(alignments)

    def sharpen(i: int, detail: bool = False) -> float:
        return bank.sharpen(frame_grey(pictures[i], width), placed[i], detail)

    if len(tied) > MAX_CENTRES:
        placed.update({i: alignments[best] for i in tied if i not in alignments})
    ncc = {i: sharpen(i) for i in placed}
    if len(tied) > MAX_CENTRES:
        sharpest = max(ncc, key=ncc.get)
        around = np.flatnonzero(np.abs(times - times[sharpest]) <= COARSE_GAP_S + 1e-6)
        placed.update({int(i): alignments[best] for i in around if int(i) not in placed})
        ncc.update({i: sharpen(i) for i in placed if i not in ncc})
    return {i: sharpen(i, detail=True) for i in sorted(ncc, key=ncc.get, reverse=True)[:SHARP_FINALISTS]}


def refine_ahead(stretches: Iterable[Stretch], bank: TemplateBank) -> Iterator[Refined | None]:
    """`refine_stretch` of each stretch, in order, REFINE_THREADS at a time: the next one is decoded
    while the caller waits for this one. One the caller did not ask for is never started; when
    it stops, the one still running finishes unseen."""
    todo = iter(stretches)
    pending: deque[Future[Refined | None]] = deque()

    def submit() -> None:
        for video, start, end, distance in todo:
            pending.append(_pool.submit(refine_stretch, video, start, end, bank, distance))
            return

    try:
        for _ in range(REFINE_THREADS):
            submit()
        while pending:
            yield pending.popleft().result()
            submit()
    finally:
        for future in pending:
            future.cancel()


def could_hold(video: VideoRecord, bank: TemplateBank) -> bool:
    """Could any of the still's templates be placed in `video`'s frames? A portrait still's cannot
    in a landscape film's: its stretches would correlate -1 however long they took to decode.
    Frame shapes are taken from the stored size, which leaves out anamorphic pixels: frames are
    granted more height than that (ANAMORPHIC_SLACK), so as not to turn away a video that could."""
    if not video.width or not video.height:
        return True
    for form in _forms(video):
        _, _, w, h = form.box(video.width, video.height)
        if bank.holds_any(COARSE_WIDTH, int(np.ceil(COARSE_WIDTH * h / w * ANAMORPHIC_SLACK))):
            return True
    return False


def _forms(video: VideoRecord) -> list[LetterboxCrop]:
    """The frame without the video's bars, and, for a video with bars, with them: a still can
    keep bars a logo or a player's frame stopped the trimming from seeing."""
    crop = video.crop or LetterboxCrop()
    return [crop] if crop.is_empty else [crop, LetterboxCrop()]


def strength(r: Refined) -> float:
    """How well a moment matches, for choosing among a video's moments."""
    return r.sharpness


def _detail(grey: np.ndarray, found: Alignment) -> float:
    return -1.0 if found.template is None else detail_ncc(grey, found.template, found.box)


def _unlike_the_grid(grid: list[int], greys: list[np.ndarray]) -> list[int]:
    """Indices of the frames unlike the nearest of the grid's (tiny pictures, GLANCE_WIDTH wide,
    correlating under UNLIKE_CORR); never a grid frame itself."""
    h, w = greys[0].shape
    size = (GLANCE_WIDTH, max(2, round(GLANCE_WIDTH * h / w)))
    glance = np.stack([_unit(cv2.resize(g, size, interpolation=cv2.INTER_AREA)) for g in greys])
    on_grid = np.array(grid)
    nearest = on_grid[np.abs(np.arange(len(greys))[:, None] - on_grid[None, :]).argmin(axis=1)]
    unlike = np.flatnonzero((glance * glance[nearest]).sum(axis=1) < UNLIKE_CORR)
    return np.setdiff1d(unlike, on_grid).tolist()  # a flat glance is unlike even itself


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    """Do two grey frames (`frame_grey`) show the same picture, as a static shot's frames do?"""
    return float(_unit(a) @ _unit(b)) >= STATIC_MIN_CORR


def _same_picture_run(grey: Callable[[int], np.ndarray], best: int, n: int) -> tuple[int, int]:
    """First and last of the frames around `best` that show its picture."""
    lo = hi = best
    while lo > 0 and same_picture(grey(lo - 1), grey(best)):
        lo -= 1
    while hi + 1 < n and same_picture(grey(hi + 1), grey(best)):
        hi += 1
    return lo, hi


def _unit(image: np.ndarray) -> np.ndarray:
    v = image.ravel().astype(np.float32)
    v -= v.mean()
    return v / (np.linalg.norm(v) + 1e-6)
