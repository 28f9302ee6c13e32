"""Weak duplicate hypotheses confirmed on decoded pictures (`confirm.py`): the pure parts on
made-up values, then generated clips whose pairs only the pictures can settle."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from reelprint.align import CONTRADICTION_BITS, LOOSE_MATCH_BITS, Track, plausible_at
from reelprint.confirm import (
    MAX_MOMENTS,
    METHOD,
    SAME_PICTURE_NCC,
    Edge,
    chain_hypotheses,
    moments,
    picture_similarity,
    tile_correlation,
)
from reelprint.dupes import CONTAINS, OVERLAP, Pair, PairFinder
from reelprint.indexer import index_paths
from reelprint.store import Index
from reelprint.synth import Shot, film_frames, shot_frames, shots_for, transcode, with_logo, write_video

SIZE = (320, 180)
FPS = 24.0


def _frames(seconds: float, seed: int) -> list[np.ndarray]:
    return list(film_frames(shots_for(seconds, seed), FPS, SIZE))


def _crop(frame: np.ndarray) -> np.ndarray:
    """7% off every side, scaled back: moves the pHash 10-20 bits."""
    return cv2.resize(frame[12:-12, 16:-16], SIZE, interpolation=cv2.INTER_AREA)


def test_moments_spread_over_the_range_away_from_stored_frames() -> None:
    stored = np.array([0.0, 2.0, 9.0, 10.0])
    times = moments(0.0, 12.0, stored)
    assert np.all((times > 0) & (times < 12)) and not np.isin(times, stored).any()
    assert np.max(np.diff(np.concatenate([[0.0], times, [12.0]]))) <= 3.0  # long gaps split
    assert len(moments(0.0, 600.0, np.arange(0, 600, 0.5))) == MAX_MOMENTS
    assert len(moments(5.0, 5.0, stored)) == 0


def test_chains_compose_offsets_and_skip_weak_or_disjoint_links() -> None:
    # 1 = 2 (duplicate, t2 = t1 + 3, mirrored); 2 contains 3 from 10 s (t3 = t2 - 10).
    edges = [Edge(1, 2, 3.0, True, True, (0.0, 40.0), (3.0, 43.0)),
             Edge(2, 3, -10.0, False, True, (10.0, 22.0), (0.0, 12.0))]
    (h,) = chain_hypotheses(edges)
    assert (h.a_id, h.b_id, h.mirrored) == (1, 3, True) and h.offset == pytest.approx(-7.0)  # t3 = t1 + 3 - 10
    # Two overlaps (episodes sharing an intro) imply nothing; nor do links to different parts of B.
    assert chain_hypotheses([Edge(1, 2, 0.0, False, False, (0, 10), (0, 10)),
                             Edge(2, 3, 0.0, False, False, (0, 10), (0, 10))]) == []
    assert chain_hypotheses([Edge(1, 2, 0.0, False, True, (0, 10), (0, 10)),
                             Edge(2, 3, -20.0, False, True, (20, 30), (0, 10))]) == []


def test_tiles_ignore_a_logo_but_not_another_picture() -> None:
    rng = np.random.default_rng(1)
    picture = cv2.GaussianBlur(rng.random((54, 96)).astype(np.float32) * 255, (0, 0), 2)
    covered = picture.copy()
    covered[5:25, 50:80] = 0  # a logo over two tiles
    other = cv2.GaussianBlur(rng.random((54, 96)).astype(np.float32) * 255, (0, 0), 2)
    assert tile_correlation(picture, covered) > 0.95
    assert tile_correlation(picture, other) < 0.5


@pytest.mark.parametrize("seed", [5, 7, 9])
def test_picture_similarity_survives_crop_logo_mirror_only(seed: int) -> None:
    shot = next(iter(shot_frames(Shot(1.0, seed), FPS, SIZE)))
    other = next(iter(shot_frames(Shot(1.0, seed + 100), FPS, SIZE)))
    assert picture_similarity(shot, _crop(shot), False) >= SAME_PICTURE_NCC
    assert picture_similarity(with_logo(shot), shot, False) >= SAME_PICTURE_NCC
    assert picture_similarity(shot, np.ascontiguousarray(shot[:, ::-1]), True) >= SAME_PICTURE_NCC
    assert picture_similarity(shot, other, False) < SAME_PICTURE_NCC
    assert picture_similarity(shot, _crop(other), False) < SAME_PICTURE_NCC


def test_plausible_at_wants_loose_matches_and_no_contradiction() -> None:
    rng = np.random.default_rng(2)
    ha = rng.integers(0, 2**63, 10, dtype=np.int64).astype(np.uint64)
    t = np.arange(10) * 3.0
    a = Track(t, ha, np.ones(10, bool), 30.0)
    near = ha ^ np.uint64(0xFFFF)  # 16 bits off: a crop's distance, over FRAME_MATCH_BITS
    copy = Track(t + 5.0, near, np.ones(10, bool), 35.0)
    assert plausible_at(a, copy, 5.0, False, 3, LOOSE_MATCH_BITS, partial=False)
    assert not plausible_at(a, copy, 2.0, False, 3, LOOSE_MATCH_BITS, partial=False)
    # A shared segment (frames 3-6), the rest unrelated: plausible only where partial is allowed.
    unrelated = rng.integers(0, 2**63, 10, dtype=np.int64).astype(np.uint64)
    segment = Track(t, np.where((np.arange(10) >= 3) & (np.arange(10) <= 6), near, unrelated),
                    np.ones(10, bool), 30.0)
    assert plausible_at(a, segment, 0.0, False, 2, CONTRADICTION_BITS, partial=True)
    assert not plausible_at(a, segment, 0.0, False, 3, LOOSE_MATCH_BITS, partial=False)
    # Matches scattered among contradictions are not plausible even as a segment.
    scattered = Track(t, np.where(np.arange(10) % 4 == 0, near, unrelated), np.ones(10, bool), 30.0)
    assert not plausible_at(a, scattered, 0.0, False, 2, CONTRADICTION_BITS, partial=True)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A film, its 7% crop and an excerpt; episodes sharing an intro and a crop of one of them;
    two unrelated films in one colour scheme, one cropped."""
    root = tmp_path_factory.mktemp("confirm")
    film = _frames(40, seed=131)
    write_video(root / "film.mp4", film, FPS)
    write_video(root / "film_crop.mp4", [_crop(f) for f in film], FPS)
    transcode(root / "film.mp4", root / "excerpt.mp4", start=10.0, end=22.0)
    intro = _frames(10, seed=141)
    episode1 = intro + _frames(30, seed=151)
    write_video(root / "episode1.mp4", episode1, FPS)
    write_video(root / "episode1_crop.mp4", [_crop(f) for f in episode1], FPS)
    write_video(root / "episode2.mp4", intro + _frames(30, seed=161), FPS)
    for i in (1, 2):
        tinted = [np.clip(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[..., None] * np.array([1.0, 0.7, 0.4]), 0, 255)
                  .astype(np.uint8) for f in _frames(20, seed=170 + i)]
        write_video(root / f"tinted{i}.mp4", tinted, FPS)
        if i == 1:
            write_video(root / "tinted1_crop.mp4", [_crop(f) for f in tinted], FPS)
    with Index.open(root / "index.db") as index:
        index_paths(index, [root])
    return root


def _pairs(root: Path) -> tuple[dict[frozenset[str], Pair], int]:
    with Index.open(root / "index.db") as index:
        finder = PairFinder(index)
        pairs = finder.all_pairs()
        assert finder.all_pairs() == pairs  # a finder asked again forgets nothing it confirmed
    return {frozenset((Path(p.a).name, Path(p.b).name)): p for p in pairs}, finder.decoded


def test_crop_and_excerpt_pair_on_pictures_hard_negatives_do_not(library: Path) -> None:
    pairs, decoded = _pairs(library)
    # The crop and the excerpt share three stored frames, each 10-20 bits apart: the strict stage
    # cannot align them; the chain film = crop, film contains excerpt proposes them.
    crop_excerpt = pairs.get(frozenset(("film_crop.mp4", "excerpt.mp4")))
    assert crop_excerpt is not None and crop_excerpt.kind == CONTAINS
    assert Path(crop_excerpt.a).name == "film_crop.mp4" and crop_excerpt.offset == pytest.approx(-10.0, abs=0.5)
    assert decoded > 0
    with Index.open(library / "index.db") as index:
        a, b = sorted((index.video(crop_excerpt.a), index.video(crop_excerpt.b)), key=lambda v: v.signature)
        kept = index.confirmation(a.signature, b.signature, round((-10.0 if a.path == crop_excerpt.a else 10.0)
                                                                  * 1000), False, METHOD)
    assert kept is not None and (kept[:, 1] >= SAME_PICTURE_NCC).sum() >= 3
    # Episodes sharing an intro, also through a crop of one: the intro at most, never more.
    for pair in (pairs.get(frozenset((a, "episode2.mp4"))) for a in ("episode1.mp4", "episode1_crop.mp4")):
        assert pair is None or (pair.kind == OVERLAP and pair.a_span[1] - pair.a_span[0] < 15)
    for a in ("tinted1.mp4", "tinted1_crop.mp4"):
        assert frozenset((a, "tinted2.mp4")) not in pairs
    families = ({"film.mp4", "film_crop.mp4", "excerpt.mp4"}, {"episode1.mp4", "episode1_crop.mp4", "episode2.mp4"},
                {"tinted1.mp4", "tinted1_crop.mp4"}, {"tinted2.mp4"})
    assert all(any(set(key) <= f for f in families) for key in pairs)
    # What decoding showed is kept: a second run decodes nothing and finds the same pairs.
    again, decoded_again = _pairs(library)
    assert decoded_again == 0 and set(again) == set(pairs)


def test_added_excerpt_pairs_with_the_crop(library: Path, tmp_path: Path) -> None:
    """Incremental: the excerpt arrives after the rest; `add` finds its pair with the crop too."""
    films = [library / n for n in ("film.mp4", "film_crop.mp4", "episode1.mp4", "episode2.mp4")]
    with Index.open(tmp_path / "index.db") as index:
        index_paths(index, films)
        finder = PairFinder(index)
        assert frozenset(("film.mp4", "film_crop.mp4")) in {frozenset((Path(p.a).name, Path(p.b).name))
                                                           for p in finder.all_pairs()}
        index_paths(index, [library / "excerpt.mp4"])
        added = finder.add(index.video(str(library / "excerpt.mp4")).id)
    names = {frozenset((Path(p.a).name, Path(p.b).name)): p.kind for p in added}
    assert names == {frozenset(("film.mp4", "excerpt.mp4")): CONTAINS,
                     frozenset(("film_crop.mp4", "excerpt.mp4")): CONTAINS}
