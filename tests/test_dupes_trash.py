"""Safe actions: trash and undo with real files and a real database; refusals; decisions."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from reelprint import cli
from reelprint.dupes import NOT_DUPLICATE, decide, find_pairs
from reelprint.indexer import index_paths
from reelprint.keeper import KeeperRules, group_pairs
from reelprint.library import TRASH_DIR
from reelprint.store import Index
from reelprint.synth import make_film, transcode
from reelprint.trash import apply_trash, plan_trash, undo


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("trash_src")
    film = make_film(root / "film.mp4", 16, seed=31, size=(320, 180))
    return {"film": film, "small": transcode(film, root / "film_small.mp4", size=(192, 108))}


@pytest.fixture
def lib(tmp_path: Path, originals: dict[str, Path]) -> Path:
    lib = tmp_path / "lib"
    (lib / "a").mkdir(parents=True)
    (lib / "b").mkdir()
    shutil.copy2(originals["film"], lib / "a" / "film.mp4")
    shutil.copy2(originals["small"], lib / "b" / "film_small.mp4")
    return lib


def _groups(index: Index) -> list:
    return group_pairs(find_pairs(index), {v.path: v for v in index.videos()}, KeeperRules())


def test_trash_and_undo_round_trip(tmp_path: Path, lib: Path) -> None:
    db = tmp_path / "index.db"
    copy, keep = str(lib / "b" / "film_small.mp4"), str(lib / "a" / "film.mp4")
    with Index.open(db) as index:
        index.add_root(str(lib))
        index_paths(index, [lib])
        groups = _groups(index)
        assert len(groups) == 1 and groups[0].keep == keep and "resolution" in groups[0].why
        assert groups[0].reclaimable_bytes == os.path.getsize(copy)
        plan = plan_trash(index, groups)
        target = str(lib / TRASH_DIR / "b" / "film_small.mp4")
        assert [(m.source, m.target) for m in plan] == [(copy, target)]
        assert os.path.exists(copy)  # a plan moves nothing
        _, done = apply_trash(index, plan)
        assert done[0].target == target and os.path.exists(target) and not os.path.exists(copy)
        assert index.video(target) is not None and index.video(copy) is None  # the index followed
        assert find_pairs(index) == []  # trashed files are out of the library
        restored = undo(index)
        assert [r.error for r in restored] == [None]
        assert os.path.exists(copy) and not os.path.exists(target)
        assert index.video(copy) is not None
        summary = index_paths(index, [lib])
        assert summary.indexed == 0 and summary.removed == 0  # nothing looks deleted-and-new


def test_refuses_outside_roots(tmp_path: Path, lib: Path) -> None:
    with Index.open(tmp_path / "index.db") as index:
        index.add_root(str(lib / "a"))          # b/ is not a library root
        index_paths(index, [lib])
        plan = plan_trash(index, _groups(index))
        assert [(m.target, m.reason) for m in plan] == [(None, "outside the library roots")]
        _, done = apply_trash(index, plan)
        assert done == plan
        assert (lib / "b" / "film_small.mp4").exists() and not (lib / "a" / TRASH_DIR).exists()


def test_cli_dry_run_then_yes_then_undo(tmp_path: Path, lib: Path, capsys: pytest.CaptureFixture) -> None:
    db = str(tmp_path / "index.db")
    with Index.open(db) as index:
        index_paths(index, [lib])
    copy = lib / "b" / "film_small.mp4"
    assert cli.main(["--db", db, "dupes", "--json", "-q"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"pairs", "groups"}
    assert set(out["pairs"][0]) == {"a", "b", "kind", "a_span", "b_span", "offset", "similarity"}
    assert set(out["groups"][0]) == {"members", "keep", "why", "reclaimable_bytes"}
    # No watched roots: a root must be given.
    assert cli.main(["--db", db, "dupes", "trash", "-q"]) == 2
    assert cli.main(["--db", db, "dupes", "trash", "-q", "--root", str(lib)]) == 0
    assert copy.exists()
    assert cli.main(["--db", db, "dupes", "trash", "-q", "--root", str(lib), "--yes"]) == 0
    assert not copy.exists()
    assert cli.main(["--db", db, "undo"]) == 0
    assert copy.exists()
    assert cli.main(["--db", db, "undo"]) == 2  # nothing left to undo


def test_decision_survives_rename(tmp_path: Path, lib: Path) -> None:
    with Index.open(tmp_path / "index.db") as index:
        index_paths(index, [lib])
        decide(index, str(lib / "a" / "film.mp4"), str(lib / "b" / "film_small.mp4"), NOT_DUPLICATE)
        os.rename(lib / "b" / "film_small.mp4", lib / "b" / "renamed.mp4")
        assert index_paths(index, [lib]).moved == 1
        assert find_pairs(index) == []


def test_incremental_add_finds_the_new_copy(tmp_path: Path, lib: Path) -> None:
    from reelprint.dupes import PairFinder

    with Index.open(tmp_path / "index.db") as index:
        index_paths(index, [lib / "a"])
        finder = PairFinder(index)
        assert finder.all_pairs() == []
        index_paths(index, [lib / "b"])
        new = index.video(str(lib / "b" / "film_small.mp4"))
        pairs = finder.add(new.id)
        assert [(p.kind, {p.a, p.b}) for p in pairs] == [("duplicate", {str(lib / "a" / "film.mp4"), new.path})]
        assert finder.add(new.id) == []  # already taken in


def test_keeper_rules_are_ordered_and_explained() -> None:
    from reelprint.keeper import choose_keeper
    from reelprint.store import VideoRecord

    def rec(path: str, size: int, width: int, codec: str, mtime: float) -> VideoRecord:
        return VideoRecord(0, path, size, mtime, None, 100.0, 24.0, width, width * 9 // 16, codec, None,
                           "indexed", None)

    big_h264 = rec("/lib/a.mp4", 2_000_000_000, 1920, "h264", 2.0)
    small_av1 = rec("/lib/keep/b.mkv", 500_000_000, 1280, "libdav1d", 1.0)
    keep, why = choose_keeper([big_h264, small_av1])
    assert keep is big_h264 and why.startswith("resolution: 1920x1080 beats 1280x720")
    keep, why = choose_keeper([big_h264, small_av1], KeeperRules(order=("codec", "resolution")))
    assert keep is small_av1 and why == "codec: libdav1d beats h264"
    keep, why = choose_keeper([big_h264, small_av1], KeeperRules(order=("path",), paths=("/lib/keep",)))
    assert keep is small_av1 and why.startswith("path:")
    keep, why = choose_keeper([big_h264, small_av1], KeeperRules(order=("older",)))
    assert keep is small_av1
    with pytest.raises(ValueError):
        KeeperRules(order=("biggest",))
