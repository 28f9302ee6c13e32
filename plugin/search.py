"""Finding the video and the moment a still comes from.

1. The still is trimmed of bars and player chrome and turned into variants (`query.py`): as
   found, with a bottom strip (control bar, subtitles) dropped, each mirrored too. A still with
   no match, or a weak one, whose top strip stands out (a logo over a dim picture) is searched
   again with that strip dropped too (SECOND_LOOK_SCORE).
2. Candidates: stored frames are ranked twice, by pHash plus colour-layout distance to the
   nearest variant, and by palette distance; the best of the two rankings, in turn, go on. A
   dark still is ranked by pHash alone too, against the faint frames of fades as well.
3. Refinement: the index holds only some frames of each video, so the stretch around each
   candidate frame is decoded and every frame compared with the still by normalised
   cross-correlation over sizes and positions (`verify.py`). The best frame gives `t`, the
   placement gives `crop`, neighbouring frames as good give a static shot's `span`. An answer
   at the first or last frame of its stretch gets the stretch beyond it decoded too.
4. A video is a match only if its best correlation clears MATCH_MIN_NCC; `score` maps that
   correlation to 0..1 and `margin` says how far the runner-up video is behind.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reelprint.errors import ReelprintError
from reelprint.features import EVIDENCE_MIN_QUALITY, layout_distance
from reelprint.hashes import hamming
from reelprint.hashscan import near
from reelprint.images import image_files, load_image
from reelprint.query import QueryVariant, variants
from reelprint.refine import Refined, Stretch, could_hold, refine_ahead, refine_stretch
from reelprint.settling import best_of_each_video, doubtful, match_score, settled
from reelprint.store import Index, VideoRecord
from reelprint.stored_colours import StoredColours
from reelprint.verify import FRAME_WIDTH, TemplateBank

# Up to this many stored frames, every one is ranked against the query by pHash and colour
# layout (13 ms a variant at 300k frames, measured here); beyond it only the frames a popcount
# scan finds within RETRIEVAL_RADIUS bits of a variant are (bench/search_speed.py).
EXHAUSTIVE_FRAMES = 300_000
# The foundation measured unrelated frames of the shared media at 20-40 bits and re-encodes and
# rescales of one frame at 0-8; 11 leaves room for grading and subtitles on top.
RETRIEVAL_RADIUS = 11
# Stored frames considered as candidates, best first; the stretches around them are decoded
# and compared until REFINE_FRAMES frames are spent, counted in 640x360 frames by what decoding
# and comparing them costs (`frame_cost`; 500 before the coarse pass went down to 64 px; 800
# took seed 11 of bench/search_accuracy.py from 88.0% to 90.3% right video and time and its
# median search from 680 to 716 ms), or the search is settled (`settling.settled`).
SHORTLIST = 40
REFINE_FRAMES = 800
# When the budget is spent and the best moment so far would be a match but not a sure one
# (MATCH_MIN_NCC to SURE_NCC), the search goes on for this share of the budget more: a weak
# answer is the one a better moment further down the ranking would replace (a countdown's "4"
# matched a logo on black at 0.86; its own frame was 900 frames down, bench seeds 19 and 37).
# A still from outside the library rarely correlates that well anywhere, and pays nothing.
DOUBT_EXTRA = 0.5
# What one frame of a stretch costs, in ms: a fixed part (the comparison, the decoder's own
# overhead) and decoding, by the frame's size. Fitted to decoding + coarse comparison of 8 s of
# six shared-media videos and the 1080p index-speed file, measured here (with the frames
# nothing refers to skipped, as stretches were decoded then): 0.32 ms a frame at 256x144, 0.57
# at 640x360, 1.1 at 1280x720, 2.5 at 1920x1080.
FRAME_COST_MS = 0.25
FRAME_COST_MS_PER_MPX = 1.1
# A video's best moment at the first or last frame of its stretch may be the edge of a shot
# that goes on past the stored frame there, with the still's own moment beyond it: the stretch
# on the other side is decoded too, and from there again, up to EDGE_STEPS times. The Sintel
# trailer's title (43-46.3 s, then a fade-out from the keyframe at 46.33 s): stills at 44.08 and
# 44.54 s settled on the fade's first frames (bench seeds 233 and 239).
EDGE_STEPS = 2
# Stored times are to the millisecond (and float32 here): closer than this they are one time.
TIME_SLACK_S = 0.002
# A still darker than this (mean of its RGB, 0-255) may be a fade: pHash ignores brightness,
# colour layouts and palettes do not, so a third ranking by pHash alone takes turns with the two.
# Big Buck Bunny's fade-in at 0.79 and 0.92 s (bench seeds 223 and 251, 10 misses each): its
# stretch was 367-4,136 frames into the ranking, 302-4,253 with it: 20 of 30 stills within
# 800 instead of 3. Over 900 random stills (seeds 301-303, both folds; 100 of them this dark)
# the stretch holding the still came as soon (within 800 frames) for as many, and within
# 1,200 for 2 fewer (/tmp script, no decoding). That ranking holds the faint stored frames too
# (QUERY_MIN_QUALITY to EVIDENCE_MIN_QUALITY), which no other does: a fade's keyframe stands for
# no shot, but a still deep in the fade is its likeness. The Sintel trailer at 28.46 s, 0.04 s
# after a keyframe of quality 8: 1 of its 15 transformations found, 14 with them.
DARK_MEAN = 80
# Colour-layout distance worth one pHash bit when ranking candidates.
LAYOUT_PER_BIT = 4.0
# Longest stretch decoded after a candidate stored frame: x264's default keyframe interval
# (250 frames) at 25 fps.
REFINE_AFTER_S = 10.0
# A still is searched when its contrast (`features` quality) is at least this, below the
# index's EVIDENCE_MIN_QUALITY: recompression, cropping and grading take contrast away. A bare
# wall's frame at quality 12 came out at 9-11 as WebP and as a centre crop, and was declined
# (doorknob-hd-no-bar.mp4, bench/search_accuracy.py). A black frame stays under it (0-2). Any
# hypothesis of the still's picture may have it: the Sintel trailer's title fading out at
# 46.92 s (a mean grey level of 0.85) measured 7 whole and 8 without its bottom strip, mirrored
# or resized; its black above and below the words is picture, not bars, so it is not trimmed.
QUERY_MIN_QUALITY = 8
# A still without a match, or whose best scores under this, is searched again with the
# hypothesis that a logo covers its top strip, if it may (`query.variants(without_logo=True)`),
# and the better answer kept. Not at once: for a still with no logo the hypothesis is wrong, and
# a static camera's moments all fit it alike (car-detection.mp4 at 19.20 s, bench seed 223,
# answered 25.04 s with it).
SECOND_LOOK_SCORE = 0.5
# Report `crop` when the still covers less than this share of the frame's area.
CROP_MAX_AREA = 0.95


@dataclass(frozen=True)
class Match:
    path: str
    t: float                 # seconds into the video
    score: float             # 0..1: 0 at the match threshold, 1 a perfect correlation
    distance: int            # pHash Hamming distance of the still to the nearest stored frame
    mirrored: bool = False   # the still is a left-right mirror of the frame
    span: tuple[float, float] | None = None  # the still is on screen this whole time (static shot)
    margin: float = 0.0      # score minus the runner-up video's score (on the same scale)
    crop: tuple[int, int, int, int] | None = None  # (x, y, w, h) in frame pixels, for a crop

    def as_json(self) -> dict:
        out = {"path": self.path, "t": round(self.t, 3), "score": round(self.score, 4),
               "distance": self.distance, "mirrored": self.mirrored, "margin": round(self.margin, 4)}
        if self.span is not None:
            out["span"] = [round(self.span[0], 3), round(self.span[1], 3)]
        if self.crop is not None:
            out["crop"] = list(self.crop)
        return out


@dataclass(frozen=True)
class SearchResult:
    query: str
    matches: list[Match] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict:
        out: dict = {"query": self.query, "matches": [m.as_json() for m in self.matches]}
        if self.error is not None:
            out["error"] = self.error
        return out


class Searcher:
    """An in-memory view of the index's features, built once and queried many times."""

    def __init__(self, index: Index) -> None:
        self.index = index
        # Frames below QUERY_MIN_QUALITY (black, flat) are never loaded: 16 bytes a frame in
        # memory (hash, video, time), and 4 more for each faint one (`faint`); colour layouts and
        # palettes too in a small library, else read for the few frames the hash scan finds.
        self.video_ids, self.times, self.hashes, quality = index.hash_columns(QUERY_MIN_QUALITY)
        self.faint = np.flatnonzero(quality < EVIDENCE_MIN_QUALITY).astype(np.int32)
        exhaustive = len(self.hashes) <= EXHAUSTIVE_FRAMES
        self.colours = StoredColours.from_table(index.colour_table(QUERY_MIN_QUALITY)) if exhaustive else None
        self.videos = {v.id: v for v in index.videos()}

    def __len__(self) -> int:
        return len(self.hashes)

    def search_image(self, image: np.ndarray, top: int = 5) -> list[Match]:
        hypotheses = variants(image)
        features = [v.features for v in hypotheses]
        if max(f["quality"] for f in features) < QUERY_MIN_QUALITY or not len(self.hashes):
            return []
        matches = self._search(hypotheses, features, top)
        if not matches or matches[0].score < SECOND_LOOK_SCORE:
            more = variants(image, without_logo=True)
            if len(more) > len(hypotheses):
                again = self._search(more, [v.features for v in more], top)
                if again and (not matches or again[0].score > matches[0].score):
                    return again
        return matches

    def _search(self, hypotheses: list[QueryVariant], features: list[np.ndarray], top: int) -> list[Match]:
        bank = TemplateBank(hypotheses)
        refined: list[Refined] = []
        candidates, within_budget = self._candidates(features, bank)

        def stretches() -> Iterator[Stretch]:
            # Taken as `refine_ahead` starts them: the one after the budget's last is started
            # while that one is compared, so it is used too; beyond it, only while the answer
            # so far is doubtful.
            for k, (video_id, start, end, distance) in enumerate(candidates):
                if k > within_budget and not doubtful(refined):
                    return
                yield self.videos[video_id], start, end, distance

        with closing(refine_ahead(stretches(), bank)) as results:
            for k, found in enumerate(results):
                if found is not None:
                    refined.append(found)
                    if settled(refined, [(video_id, distance) for video_id, _, _, distance in candidates[k + 1:]]):
                        break
        self._past_edges(refined, bank)
        best = best_of_each_video(refined)[:top + 1]
        scores = [match_score(r) for r in best]
        order = sorted(range(len(best)), key=lambda i: -scores[i])
        matches = []
        for rank, i in enumerate(order[:top]):
            if scores[i] < 0:
                break
            r = best[i]
            runner_up = max(0.0, scores[order[rank + 1]]) if rank + 1 < len(order) else 0.0
            variant = bank.variants[r.alignment.variant]
            matches.append(Match(
                self.videos[r.video_id].path, r.t, scores[i], r.distance, variant.mirrored,
                r.span, min(1.0, scores[i] - runner_up), None if variant.cut else self._crop(r)))
        return matches

    def _candidates(self, features: list[np.ndarray], bank: TemplateBank
                    ) -> tuple[list[tuple[int, float, float, int]], int]:
        """(video id, start, end, pHash distance) of the stretches worth decoding, best first,
        within REFINE_FRAMES frames of decoding (`frame_cost`) and DOUBT_EXTRA more; and how
        many of them are within REFINE_FRAMES. Videos whose frames cannot hold the still
        (`could_hold`) are passed over at no cost.

        Stored frames are mostly keyframes, which encoders put at some shot cuts, so a still lies
        in the stretch after its nearest stored frame, or, when the cut before it got no
        keyframe, in the stretch before.
        """
        rows, order, bits = self._ranked_rows(features)
        out: list[tuple[int, float, float, int]] = []
        seen: set[tuple[int, float]] = set()
        budget = REFINE_FRAMES * (1 + DOUBT_EXTRA)
        within = 0
        holds = functools.cache(lambda video_id: could_hold(self.videos[video_id], bank))
        for i in order:
            if budget <= 0:
                break
            row = int(rows[i])
            video_id = int(self.video_ids[row])
            video = self.videos[video_id]
            if not holds(video_id):
                continue
            for start, end in self._stretches(row):
                if (video_id, start) not in seen and budget > 0:
                    seen.add((video_id, start))
                    out.append((video_id, start, end, int(bits[i])))
                    within += budget > REFINE_FRAMES * DOUBT_EXTRA
                    budget -= (end - start) * (video.fps or 25.0) * frame_cost(video)
        return out, within

    def _stretches(self, row: int) -> list[tuple[float, float]]:
        """From stored frame `row` to the next stored frame of its video, then from the previous
        one to it; each at most REFINE_AFTER_S long. Black and flat frames are not loaded, so
        before the first loaded frame lies the video's start (often a fade from black: Big Buck
        Bunny's first 10 s were out of reach, bench/search_accuracy.py)."""
        t, video_id = float(self.times[row]), self.video_ids[row]
        nxt, prev = row + 1, row - 1  # rows are ordered by video, then time
        duration = self.videos[int(video_id)].duration or t + REFINE_AFTER_S
        end = float(self.times[nxt]) if nxt < len(self.times) and self.video_ids[nxt] == video_id else duration
        start = float(self.times[prev]) if prev >= 0 and self.video_ids[prev] == video_id else 0.0
        out = [(t, min(end, t + REFINE_AFTER_S))]
        if start < t:
            out.append((max(start, t - REFINE_AFTER_S), t))
        return out

    def _past_edges(self, refined: list[Refined], bank: TemplateBank) -> None:
        """While the answer is a match at the first or last frame of its stretch, add the best
        moment of the stretch beyond that edge to `refined` (EDGE_STEPS at most)."""
        decoded = {(r.video_id, r.stretch[0]) for r in refined}
        for _ in range(EDGE_STEPS):
            answer = best_of_each_video(refined)[:1]
            beyond = self._beyond_edge(answer[0]) if answer and match_score(answer[0]) >= 0 else None
            if beyond is None or (answer[0].video_id, beyond[0]) in decoded:
                return
            decoded.add((answer[0].video_id, beyond[0]))
            found = refine_stretch(self.videos[answer[0].video_id], *beyond, bank, answer[0].distance)
            if found is None:
                return
            refined.append(found)

    def _beyond_edge(self, r: Refined) -> tuple[float, float] | None:
        """The stretch on the other side of the first or last frame of `r`'s stretch, when `r` is
        that frame: where its shot may go on."""
        video = self.videos[r.video_id]
        start, end = r.stretch
        frame = 1.0 / (video.fps or 25.0)
        # Rows are ordered by video, then time.
        lo, hi = np.searchsorted(self.video_ids, [r.video_id, r.video_id + 1])
        times = self.times[lo:hi].astype(np.float64)
        if start > 0 and r.t <= start + 1.5 * frame:
            before = times[times < start - TIME_SLACK_S]
            return max(float(before[-1]) if len(before) else 0.0, start - REFINE_AFTER_S), start
        duration = video.duration or end
        if end < duration - frame and r.t >= end - 1.5 * frame:
            after = times[times > end + TIME_SLACK_S]
            return end, min(float(after[0]) if len(after) else duration, end + REFINE_AFTER_S)
        return None

    def _ranked_rows(self, features: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, the SHORTLIST best of them in order, pHash distance) of the stored frames worth
        ranking: all of them in a small library, those within RETRIEVAL_RADIUS of a variant in a
        large one. Two rankings take turns: pHash plus colour layout, which finds the stored frame
        the still is a copy of, and the palette, which finds its shot when the picture has moved
        since the shot's stored frame (`colour.palette_distance`); for a dark still, pHash alone
        too (DARK_MEAN)."""
        if self.colours is not None:
            rows, colours = np.arange(len(self.hashes)), self.colours
        else:
            rows = near(self.hashes, [f["phash"] for f in features], RETRIEVAL_RADIUS)[0]
            colours = StoredColours.from_table(self.index.colours_of(self.video_ids[rows], self.times[rows]))
        cost = np.full(len(rows), np.inf, np.float32)
        bits = np.full(len(rows), 64, np.uint8)
        hashes = self.hashes[rows]
        for f in features:
            d = hamming(hashes, f["phash"])
            bits = np.minimum(bits, d)
            np.minimum(cost, d + layout_distance(colours.layouts, f["layout"]) / LAYOUT_PER_BIT, out=cost)
        # One variant is enough: a mirror has its picture's palette, and the one without the
        # bottom strip mostly that too.
        palette = colours.distance(features[0])
        faint = np.isin(rows, self.faint, assume_unique=True)
        cost[faint] = palette[faint] = np.inf
        rankings = [cost, palette]
        if float(np.mean(features[0]["mean_rgb"])) < DARK_MEAN:
            rankings.append(bits.astype(np.float32))
        return rows, _in_turn(rankings, SHORTLIST), bits

    def _crop(self, r: Refined) -> tuple[int, int, int, int] | None:
        """Where the still sits in the frame, in the video's pixels, when it is a crop."""
        video = self.videos[r.video_id]
        if not video.width or not video.height:
            return None
        cx, cy, cw, ch = r.crop.box(video.width, video.height)
        x, y, w, h = r.alignment.box
        grey_h = round(ch * FRAME_WIDTH / cw)
        if w * h >= CROP_MAX_AREA * FRAME_WIDTH * grey_h:
            return None
        # A mirrored variant is the still flipped back, so its box is in the frame's own coordinates.
        sx, sy = cw / FRAME_WIDTH, ch / grey_h
        return (cx + round(x * sx), cy + round(y * sy), round(w * sx), round(h * sy))


def frame_cost(video: VideoRecord) -> float:
    """What decoding and comparing one frame of `video` costs, in 640x360 frames: a 1080p frame
    costs 5, a 256x144 one 0.6, so the budget buys about the same decoding time whatever the
    resolution (not counting the way in from a keyframe to a stretch: bench/search_1080p.py)."""
    if not video.width or not video.height:
        return 1.0
    reference = FRAME_COST_MS + FRAME_COST_MS_PER_MPX * 640 * 360 / 1e6
    return (FRAME_COST_MS + FRAME_COST_MS_PER_MPX * video.width * video.height / 1e6) / reference


def _in_turn(costs: list[np.ndarray], n: int) -> np.ndarray:
    """The first `n` positions of several rankings (lowest cost first) taken in turn, each once;
    an infinite cost is out of its ranking."""
    tops = []
    for cost in costs:
        k = min(n, len(cost))
        top = np.argpartition(cost, k - 1)[:k] if k else np.zeros(0, np.int64)
        top = top[np.isfinite(cost[top])]
        tops.append(top[np.argsort(cost[top], kind="stable")])
    out: list[int] = []
    for i in range(n):
        for top in tops:
            if i < len(top) and int(top[i]) not in out:
                out.append(int(top[i]))
    return np.array(out[:n], np.int64)


def search_files(index: Index, paths: Sequence[str | Path], top: int = 5,
                 progress: Callable[[float, str], None] | None = None) -> list[SearchResult]:
    """Search each image (folders expand to the images in them), one result per image, in order."""
    searcher = Searcher(index)
    files = image_files(list(paths))
    results = []
    for i, path in enumerate(files):
        if progress is not None:
            progress(i / max(1, len(files)), str(path))
        try:
            results.append(SearchResult(str(path), searcher.search_image(load_image(path), top)))
        except ReelprintError as exc:
            results.append(SearchResult(str(path), error=str(exc)))
    if progress is not None:
        progress(1.0, "")
    return results
