"""Duplicates on generated clips: variants found with the right kind, hard negatives never paired."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from reelprint.dupes import CONTAINS, DUPLICATE, Pair, find_pairs
from reelprint.indexer import index_paths
from reelprint.loops import find_loops
from reelprint.store import Index
from reelprint.synth import film_frames, make_film, shots_for, transcode, write_video

SIZE = (320, 180)
FPS = 24.0


def _frames(seconds: float, seed: int) -> list[np.ndarray]:
    return list(film_frames(shots_for(seconds, seed), FPS, SIZE))


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A film and its variants, an unrelated film, and the hard negatives, all indexed."""
    root = tmp_path_factory.mktemp("dupes")
    film = make_film(root / "film.mp4", 24, seed=101)
    # Another size and quality. (libvpx in realtime mode puts keyframes on a fixed grid, not at
    # cuts, so its encodes share too few stored frames with the original: see README.)
    transcode(film, root / "film_small.mkv", size=(256, 144), options={"crf": "30"})
    transcode(film, root / "film_trimmed.mp4", start=2.0)
    transcode(film, root / "excerpt.mp4", start=8.0, end=16.0)
    transcode(film, root / "letterboxed.mp4", pad=(0, 24))
    transcode(film, root / "mirrored.mp4", mirror=True)
    # A 7% crop moves every pHash 10-20 bits: found through the shot rhythm, which needs a film
    # long enough to have a few runs of stored frames.
    long = _frames(60, seed=111)
    write_video(root / "long.mp4", long, FPS)
    write_video(root / "long_cropped.mp4",
                [cv2.resize(f[12:-12, 16:-16], SIZE, interpolation=cv2.INTER_AREA) for f in long], FPS)
    make_film(root / "other.mp4", 24, seed=202)
    for i in (1, 2):  # unrelated films in one colour scheme: only the picture's detail differs
        tinted = [np.clip(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[..., None] * np.array([1.0, 0.7, 0.4]), 0, 255)
                  .astype(np.uint8) for f in _frames(14, seed=1000 + i)]
        write_video(root / f"tinted{i}.mp4", tinted, FPS)
    intro = _frames(8, seed=303)
    write_video(root / "episode1.mp4", intro + _frames(24, seed=404), FPS)
    write_video(root / "episode2.mp4", intro + _frames(24, seed=505), FPS)
    black = [np.zeros((SIZE[1], SIZE[0], 3), np.uint8)] * int(3 * FPS)
    write_video(root / "leader1.mp4", black + _frames(14, seed=606), FPS)
    write_video(root / "leader2.mp4", black + _frames(14, seed=707), FPS)
    with Index.open(root / "index.db") as index:
        index_paths(index, [root])
    return root


@pytest.fixture(scope="module")
def pairs(variants: Path) -> dict[frozenset[str], Pair]:
    with Index.open(variants / "index.db") as index:
        return {frozenset((Path(p.a).name, Path(p.b).name)): p for p in find_pairs(index)}


@pytest.mark.parametrize("name", ["film_small.mkv", "film_trimmed.mp4", "letterboxed.mp4", "mirrored.mp4"])
def test_variants_are_duplicates(pairs: dict, name: str) -> None:
    pair = pairs[frozenset(("film.mp4", name))]
    assert pair.kind == DUPLICATE
    assert pair.mirrored == (name == "mirrored.mp4")


def test_cropped_copy_is_duplicate(pairs: dict) -> None:
    assert pairs[frozenset(("long.mp4", "long_cropped.mp4"))].kind == DUPLICATE


def test_trimmed_copy_offset(pairs: dict) -> None:
    pair = pairs[frozenset(("film.mp4", "film_trimmed.mp4"))]
    # t_b = t_a + offset: the trimmed copy starts 2 s into the film.
    assert abs(abs(pair.offset) - 2.0) <= 0.1


def test_excerpt_is_contained(pairs: dict) -> None:
    pair = pairs[frozenset(("film.mp4", "excerpt.mp4"))]
    assert pair.kind == CONTAINS and Path(pair.a).name == "film.mp4"
    assert abs(pair.offset + 8.0) <= 0.1       # excerpt time = film time - 8 s
    assert pair.a_span[0] <= 8.5 and pair.a_span[1] >= 15.5


def test_hard_negatives_never_duplicates(pairs: dict) -> None:
    family = {"film.mp4", "film_small.mkv", "film_trimmed.mp4", "excerpt.mp4", "letterboxed.mp4", "mirrored.mp4"}
    for key, pair in pairs.items():
        if key <= family or key == frozenset(("long.mp4", "long_cropped.mp4")):
            continue
        assert pair.kind not in (DUPLICATE, CONTAINS), pair
        assert key == frozenset(("episode1.mp4", "episode2.mp4")), pair  # only the shared intro overlaps
    # The shared intro is an overlap of its first seconds, nothing more.
    intro = pairs.get(frozenset(("episode1.mp4", "episode2.mp4")))
    if intro is not None:
        assert intro.a_span[1] < 24


def test_whole_family_found(pairs: dict) -> None:
    family = ["film.mp4", "film_small.mkv", "film_trimmed.mp4", "letterboxed.mp4", "mirrored.mp4"]
    for a, b in itertools.combinations(family, 2):
        assert frozenset((a, b)) in pairs, (a, b)


def test_loops(tmp_path: Path) -> None:
    segment = _frames(9, seed=808)
    path = write_video(tmp_path / "loop.mp4", segment * 3 + _frames(6, seed=909), FPS)
    with Index.open(tmp_path / "index.db") as index:
        index_paths(index, [path])
        report = find_loops(index, str(path))
        assert report.period is not None and abs(report.period - 9.0) <= 0.3
        plain = make_film(tmp_path / "plain.mp4", 20, seed=1)
        index_paths(index, [plain])
        assert find_loops(index, str(plain)).period is None
