"""Finding the video and the moment a still comes from.

Candidates come from the stored frames (pHash Hamming distance, the query mirrored too);
the best candidates are refined by decoding the stretch of video around them, because the
index holds only some frames of each video, and the exact frame is the one whose hash is
nearest the query's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reelprint.borders import LetterboxCrop
from reelprint.decode import frames_between
from reelprint.errors import DecodeError, ReelprintError
from reelprint.features import (
    EVIDENCE_MIN_QUALITY,
    frame_features,
    image_features,
    layout_distance,
    phash_images,
)
from reelprint.hashes import hamming
from reelprint.images import image_files, load_image
from reelprint.store import Index

# Hamming distance (of 64 bits) at and under which a frame is a match. Unrelated frames of the
# shared media sit at 20-40; re-encodes and rescales of the same frame at 0-8.
MATCH_MAX_DISTANCE = 12
# Candidate videos refined by decoding, best first, and stored frames looked at to choose them.
REFINE_CANDIDATES = 3
CANDIDATE_FRAMES = 8
# Colour-layout distance worth one pHash bit when ranking candidates.
LAYOUT_PER_BIT = 4.0
# Frames within this many bits of the best one show the same picture: a static shot's span.
# Re-hashing one frame decoded at two sizes differs by up to 2 bits on the shared media.
SPAN_TOLERANCE = 2
# After the last stored frame of a video, how far refinement decodes.
REFINE_TAIL_S = 10.0


@dataclass(frozen=True)
class Match:
    path: str
    t: float                 # seconds into the video
    score: float             # 0..1: 1 is the same picture; 0 is the match threshold
    distance: int            # pHash Hamming distance to the matched frame
    mirrored: bool = False   # the query is a left-right mirror of the frame
    span: tuple[float, float] | None = None  # the still is on screen this whole time (static shot)

    def as_json(self) -> dict:
        out = {"path": self.path, "t": round(self.t, 3), "score": round(self.score, 4),
               "distance": self.distance, "mirrored": self.mirrored}
        if self.span is not None:
            out["span"] = [round(self.span[0], 3), round(self.span[1], 3)]
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


def _score(distance: float) -> float:
    return max(0.0, 1.0 - distance / (MATCH_MAX_DISTANCE + 1))


class Searcher:
    """An in-memory view of the index's hashes, built once and queried many times."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.video_ids, frames = index.all_frames()
        self.times, self.hashes, self.layouts = frames["t"], frames["phash"], frames["layout"]
        self.usable = frames["quality"] >= EVIDENCE_MIN_QUALITY
        videos = index.videos()
        self.paths = {v.id: v.path for v in videos}
        self.crops = {v.id: v.crop for v in videos}

    def __len__(self) -> int:
        return len(self.hashes)

    def search_image(self, image: np.ndarray, top: int = 5) -> list[Match]:
        features, crop = image_features(image)
        if features["quality"] < EVIDENCE_MIN_QUALITY or not len(self.hashes):
            return []
        candidates = []
        for query, mirrored in _query_variants(image, features, crop):
            cost = hamming(self.hashes, query["phash"]).astype(np.float32)
            cost += layout_distance(self.layouts, query["layout"]) / LAYOUT_PER_BIT
            cost[~self.usable] = np.inf
            for row in np.argsort(cost)[:CANDIDATE_FRAMES]:
                if np.isfinite(cost[row]):
                    candidates.append((float(cost[row]), int(row), query["phash"], mirrored))
        candidates.sort(key=lambda c: c[0])
        found: dict[int, Match] = {}
        refined_videos: set[tuple[int, bool]] = set()
        for _, row, query_hash, mirrored in candidates:
            video_id = int(self.video_ids[row])
            if video_id in found or (video_id, mirrored) in refined_videos:
                continue
            refined_videos.add((video_id, mirrored))
            t, distance, span = self._refine(row, query_hash)
            if distance <= MATCH_MAX_DISTANCE:
                found[video_id] = Match(self.paths[video_id], t, _score(distance), distance, mirrored, span)
            if len(refined_videos) >= REFINE_CANDIDATES:
                break
        return sorted(found.values(), key=lambda m: -m.score)[:top]

    def _refine(self, row: int, query_hash: np.uint64) -> tuple[float, int, tuple[float, float] | None]:
        """Decode between the stored frames around `row` and return the nearest frame's time,
        its distance and, for a static shot, the span of frames as near as it."""
        video_id, t = int(self.video_ids[row]), float(self.times[row])
        stored = int(hamming(self.hashes[row], query_hash))
        rows = np.flatnonzero(self.video_ids == video_id)
        times = np.sort(self.times[rows])
        i = int(np.searchsorted(times, t))
        start = float(times[i - 1]) if i > 0 else 0.0
        end = float(times[i + 1]) if i + 1 < len(times) else t + REFINE_TAIL_S
        try:
            frames = list(frames_between(self.paths[video_id], start, end))
        except DecodeError:
            frames = []
        if not frames:
            return t, stored, None
        d = hamming(phash_images([f.image for f in frames], self.crops.get(video_id)), query_hash).astype(int)
        best = int(np.argmin(d))
        if d[best] > stored:
            return t, stored, None
        same = np.flatnonzero(d <= d[best] + SPAN_TOLERANCE)
        span = (frames[same[0]].t, frames[same[-1]].t) if len(same) > 1 else None
        return frames[best].t, int(d[best]), span


def _query_variants(image: np.ndarray, features: np.ndarray, crop: LetterboxCrop
                    ) -> list[tuple[np.ndarray, bool]]:
    """The query as found, and mirrored; and when borders were cut from it, both again with the
    borders kept: a video can have bars in some shots only, and its frames are stored with the
    crop most of its frames agree on."""
    mirror = LetterboxCrop(crop.top, crop.bottom, crop.right, crop.left)
    crops = [crop] if crop.is_empty else [crop, LetterboxCrop()]
    flipped = np.ascontiguousarray(image[:, ::-1])
    out = []
    for c in crops:
        plain = features if c is crop else frame_features([image], [0.0], crop=c)[0]
        out.append((plain, False))
        out.append((frame_features([flipped], [0.0], crop=mirror if c is crop else c)[0], True))
    return out


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
