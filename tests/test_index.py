import os
import shutil
import sqlite3

import numpy as np
import pytest

from reelprint import store
from reelprint.errors import IndexVersionError
from reelprint.indexer import index_paths
from reelprint.store import SCHEMA_VERSION, Index


def test_index_then_rerun_indexes_nothing(index, library):
    first = index_paths(index, [library])
    assert (first.found, first.indexed, first.failed) == (2, 2, 0)
    assert index.status()["frames"] > 4
    second = index_paths(index, [library])
    assert (second.indexed, second.unchanged) == (0, 2)


def test_renamed_file_is_followed_not_refingerprinted(index, library):
    index_paths(index, [library])
    before = index.video(str(library / "alpha.mp4"))
    frames_before = index.frames(before.id)
    (library / "sub").mkdir()
    os.rename(library / "alpha.mp4", library / "sub" / "renamed alpha.mp4")
    summary = index_paths(index, [library])
    assert (summary.moved, summary.indexed, summary.removed) == (1, 0, 0)
    after = index.video(str(library / "sub" / "renamed alpha.mp4"))
    assert after.id == before.id
    assert np.array_equal(index.frames(after.id), frames_before)


def test_changed_file_is_redone_and_removed_file_forgotten(index, library, clips):
    index_paths(index, [library])
    shutil.copy2(clips["alpha_vp9"], library / "beta.mkv")  # new content under the old name
    os.remove(library / "alpha.mp4")
    summary = index_paths(index, [library])
    assert (summary.indexed, summary.removed) == (1, 1)
    assert index.video(str(library / "alpha.mp4")) is None
    assert index.video(str(library / "beta.mkv")).codec == "vp9"


def test_byte_identical_copy_reuses_the_fingerprint(index, library):
    index_paths(index, [library])
    shutil.copy2(library / "beta.mkv", library / "beta copy.mkv")
    summary = index_paths(index, [library])
    assert summary.copied == 1 and summary.indexed == 0
    a, b = index.video(str(library / "beta.mkv")), index.video(str(library / "beta copy.mkv"))
    assert np.array_equal(index.frames(a.id), index.frames(b.id))


def test_bad_files_are_recorded_and_the_run_goes_on(index, library, clips):
    (library / "corrupt.mp4").write_bytes(os.urandom(40_000))
    data = clips["beta"].read_bytes()
    (library / "truncated.mkv").write_bytes(data[: len(data) // 2])
    (library / "readme.txt").write_text("not a video, not even looked at")
    summary = index_paths(index, [library])
    assert (summary.indexed, summary.failed) == (2, 2)
    errors = {v.path: v.error for v in index.videos(state="error")}
    assert "truncated" in errors[str(library / "truncated.mkv")]
    assert str(library / "corrupt.mp4") in errors
    # Unchanged bad files are not retried...
    assert index_paths(index, [library]).failed == 0
    # ...a changed one is.
    shutil.copy2(clips["beta"], library / "truncated.mkv")
    redone = index_paths(index, [library])
    assert redone.indexed + redone.copied == 1  # (a byte copy of beta.mkv: it takes beta's fingerprint)
    assert index.video(str(library / "truncated.mkv")).state == "indexed"


def test_frame_rows_fit_in_64_bytes(tmp_path, clips):
    from reelprint.indexer import fingerprint

    fp = fingerprint(clips["alpha"])
    frames = np.resize(fp.frames, 20_000)
    frames["t"] = np.arange(len(frames)) * 0.5
    frames["phash"] = np.random.default_rng(0).integers(0, 2**63, len(frames), dtype=np.uint64) * 2
    path = tmp_path / "size.db"
    with Index.open(path) as idx:
        empty = path.stat().st_size
        vid = idx.queue("/films/x.mkv", 1, 1.0, "sig")
        idx.save_fingerprint(vid, fp.info, frames, fp.crop)
        idx.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        idx.db.execute_sql("VACUUM")
    per_frame = (path.stat().st_size - empty) / len(frames)
    assert per_frame <= 64, f"{per_frame:.1f} bytes per frame"


def test_newer_database_is_refused_and_garbage_is_not_a_database(tmp_path):
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as con:
        con.execute("CREATE TABLE video (id INTEGER)")
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(IndexVersionError, match="newer reelprint"):
        Index.open(newer)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(IndexVersionError, match="not a reelprint database"):
        Index.open(garbage)


def test_older_database_is_migrated_with_a_backup(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    with Index.open(path) as idx:
        idx.add_root("/films")
    ran = []
    monkeypatch.setattr(store, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(store.MIGRATIONS, SCHEMA_VERSION,
                        lambda db: (ran.append(True), db.execute_sql("ALTER TABLE root ADD COLUMN note TEXT")))
    with Index.open(path) as idx:
        assert idx.roots() == ["/films"]
        assert idx.db.execute_sql("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert ran == [True]
    assert (tmp_path / f"old.db.bak-v{SCHEMA_VERSION}").exists()


def test_hash_columns_give_every_good_frame_by_video_then_time(tmp_path, clips):
    from reelprint.indexer import fingerprint

    fp = fingerprint(clips["alpha"])
    rng = np.random.default_rng(3)
    saved = {}
    with Index.open(tmp_path / "cols.db") as idx:
        for name in ("/films/b.mkv", "/films/a.mkv"):
            frames = np.resize(fp.frames, 50)
            frames["t"] = np.sort(rng.choice(np.arange(0, 5000) * 0.25, 50, replace=False))
            frames["phash"] = rng.integers(0, 2**64, 50, dtype=np.uint64)  # high bits too: stored signed
            frames["quality"] = rng.integers(0, 100, 50)
            vid = idx.queue(name, 1, 1.0, name)
            idx.save_fingerprint(vid, fp.info, frames, fp.crop)
            saved[vid] = frames[frames["quality"] >= 40]
        video_ids, times, hashes, quality = idx.hash_columns(40)
    expected = [(v, float(t), int(h), int(q)) for v in sorted(saved)
                for t, h, q in zip(saved[v]["t"], saved[v]["phash"], saved[v]["quality"], strict=True)]
    assert list(zip(video_ids.tolist(), times.tolist(), hashes.tolist(), quality.tolist(), strict=True)) == expected


def test_a_version_1_database_keeps_its_frames_and_only_new_sweeps_are_marked(tmp_path, clips):
    # Version 2 marks the frames a sweep sampled (duplicate finding leaves them out): a version 1
    # index gains the mark, unset, and keeps every frame it had.
    from reelprint.indexer import fingerprint

    fp = fingerprint(clips["alpha"])
    path = tmp_path / "v1.db"
    with Index.open(path) as idx:
        vid = idx.queue("/films/alpha.mp4", 1, 1.0, "sig")
        idx.save_fingerprint(vid, fp.info, fp.frames, fp.crop)
        idx.db.execute_sql("ALTER TABLE frame DROP COLUMN swept")
        idx.db.execute_sql("PRAGMA user_version = 1")
    with Index.open(path) as idx:
        kept = idx.frames(vid)
        assert np.array_equal(kept["phash"], fp.frames["phash"]) and not kept["swept"].any()
        frames = fp.frames.copy()
        frames["swept"] = np.arange(len(frames)) % 2 == 1
        idx.save_fingerprint(vid, fp.info, frames, fp.crop)
        assert np.array_equal(idx.frames(vid)["swept"], frames["swept"])
        assert np.array_equal(idx.frames(vid, swept=False)["phash"], frames["phash"][::2])
        assert len(idx.hash_columns(0, swept=False)[1]) == len(frames[::2]) < len(idx.hash_columns(0)[1])
    assert (tmp_path / "v1.db.bak-v1").exists()
