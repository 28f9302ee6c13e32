"""The watch daemon, run for real: a subprocess, real files, real inotify events, a real database."""

from __future__ import annotations

import os
import shutil
import time

import psutil
from daemon_helpers import DaemonProcess, reelprint, rows, videos, wait_for

from reelprint.indexer import fingerprint


def slow_copy(src, dest, chunks: int = 10, pause: float = 0.2) -> None:
    """Copy like a slow network transfer: one open file, written in pieces with pauses."""
    data = src.read_bytes()
    step = len(data) // chunks + 1
    with open(dest, "wb") as f:
        for start in range(0, len(data), step):
            f.write(data[start:start + step])
            f.flush()
            time.sleep(pause)


def test_daemon_keeps_the_index_in_step_with_a_library(tmp_path, clips):
    lib = tmp_path / "lib"
    lib.mkdir()
    db = tmp_path / "lib.db"
    os.symlink(lib, lib / "loop")  # a symlink loop and a named pipe with a video's name: both ignored
    os.mkfifo(lib / "pipe.mkv")
    assert reelprint(db, "roots", "add", lib).returncode == 0
    with DaemonProcess(db, "--workers", "1") as daemon:
        status = daemon.status()["daemon"]
        assert status["pid"] == daemon.proc.pid and status["uptime"] >= 0

        # A second daemon on the same database is refused in one line.
        second = reelprint(db, "daemon", "--quiet-period", "1")
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"reelprint: error: another reelprint daemon (pid {daemon.proc.pid}) is already running on {db}"]

        # A slow copy is indexed once, complete.
        film = lib / "alpha.mp4"
        slow_copy(clips["alpha"], film)
        wait_for(lambda: videos(db).get(str(film), (0, ""))[1] == "indexed", "the copied film", daemon)
        vid, _, attempts, _, size = videos(db)[str(film)]
        assert (attempts, size) == (1, clips["alpha"].stat().st_size)
        assert list(videos(db)) == [str(film)]
        (count,) = rows(db, "SELECT COUNT(*) FROM frame WHERE video_id = ?", vid)[0]
        assert count == len(fingerprint(clips["alpha"]).frames)

        # A rename into a new folder with an odd name is followed, not fingerprinted again.
        (lib / "Séries ☃ [2024]").mkdir()
        renamed = lib / "Séries ☃ [2024]" / "alpha 'final' cut.mp4"
        os.rename(film, renamed)
        wait_for(lambda: str(renamed) in videos(db), "the rename", daemon)
        assert videos(db)[str(renamed)][:3] == (vid, "indexed", 1)
        assert str(film) not in videos(db)

        # A corrupt file is recorded with its error; the daemon stays up.
        (lib / "corrupt.mkv").write_bytes(os.urandom(50_000))
        wait_for(lambda: videos(db).get(str(lib / "corrupt.mkv"), (0, ""))[1] == "error", "the error", daemon)
        status = daemon.status()
        assert any(e["path"] == str(lib / "corrupt.mkv") and e["error"] for e in status["error_files"])
        assert status["daemon"]["running"]

        # A deleted file is forgotten; a decision about it outlives it (kept by signature).
        shutil.rmtree(lib / "Séries ☃ [2024]")
        wait_for(lambda: str(renamed) not in videos(db), "the deletion", daemon)
        assert daemon.alive()
        assert videos(db)[str(lib / "corrupt.mkv")][2] == 1  # tried once: unchanged, never retried
        assert daemon.terminate() == 0
    assert reelprint(db, "status", "--json").returncode == 0
    assert not daemon.status()["daemon"]["running"]
    assert rows(db, "SELECT COUNT(*) FROM video WHERE state IN ('indexing', 'queued')") == [(0,)]


def test_a_burst_of_500_files_is_one_job_per_file(tmp_path, clips):
    lib = tmp_path / "lib"
    lib.mkdir()
    db = tmp_path / "lib.db"
    data = clips["beta"].read_bytes()
    with DaemonProcess(db, "--watch", str(lib)) as daemon:
        names = [lib / f"episode {i:03d}.mkv" for i in range(500)]
        for part in range(3):  # every file written in three pieces: 1,500 writes in a burst
            for name in names:
                with open(name, "ab") as f:
                    f.write(data[part * len(data) // 3:(part + 1) * len(data) // 3])
        wait_for(lambda: sum(v[1] == "indexed" for v in videos(db).values()) == 500, "500 indexed files",
                 daemon, timeout=120)
        log = daemon.log()
        for name in names:
            assert log.count(f"indexed {name} ") == 1, name
        assert daemon.terminate() == 0


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_kill_9_mid_index_then_restart_reconciles(tmp_path, clips):
    lib = tmp_path / "lib"
    lib.mkdir()
    db = tmp_path / "lib.db"
    data = clips["alpha"].read_bytes()
    for i in range(60):  # distinct files (trailing bytes differ), so each is really decoded
        (lib / f"film {i:02d}.mp4").write_bytes(data + os.urandom(100 + i))
    assert reelprint(db, "roots", "add", lib).returncode == 0

    interrupted: list[str] = []
    for _ in range(5):  # kill -9 while a file is being indexed (a job lasts ~50 ms: try until caught)
        daemon = DaemonProcess(db, "--workers", "2").start()
        wait_for(lambda: rows(db, "SELECT COUNT(*) FROM video WHERE state = 'indexed'")[0][0] >= 3
                 and rows(db, "SELECT COUNT(*) FROM video WHERE state = 'indexing'")[0][0], "a file indexing",
                 daemon)
        workers = psutil.Process(daemon.proc.pid).children()
        assert len(workers) >= 2  # the workers (and multiprocessing's resource tracker)
        daemon.kill()
        wait_for(lambda workers=workers: not any(alive(w) for w in workers), "the workers to die with the daemon")
        interrupted = [p for p, v in videos(db).items() if v[1] == "indexing"]
        if interrupted:
            break
    assert interrupted
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    indexed = {p: v for p, v in videos(db).items() if v[1] == "indexed"}
    assert len(indexed) < 60

    # While stopped: a file renamed, one deleted, one replaced by other content, one added.
    moved_from = sorted(indexed)[0]
    moved_to = str(lib / "renamed while stopped.mp4")
    os.rename(moved_from, moved_to)
    deleted = sorted(indexed)[1]
    os.remove(deleted)
    replaced = str(lib / "film 59.mp4")
    shutil.copy2(clips["beta"], lib / "film 59.tmp")
    os.replace(lib / "film 59.tmp", replaced)
    shutil.copy2(clips["alpha_vp9"], lib / "added.webm")

    with DaemonProcess(db) as daemon:
        assert f"{len(interrupted)} file(s) interrupted last time: queued again" in daemon.log()

        def settled():
            v = videos(db)
            return (len(v) == 60 and all(s[1] == "indexed" for s in v.values())
                    and deleted not in v and moved_from not in v)
        wait_for(settled, "the index to match the folder", daemon)
        v = videos(db)
        assert v[moved_to][0] == indexed[moved_from][0]  # followed, same row: not fingerprinted again
        assert v[replaced][4] == clips["beta"].stat().st_size
        assert rows(db, "SELECT codec FROM video WHERE path = ?", replaced) == [("h264",)]
        assert rows(db, "SELECT codec FROM video WHERE path = ?", str(lib / "added.webm")) == [("vp9",)]
        for path in interrupted:
            assert v.get(path, (0, "indexed"))[1] == "indexed"
        assert daemon.terminate() == 0
