"""The admin TUI driven by Textual's Pilot on a real index built from generated clips."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from reelprint.decode import frame_at
from reelprint.heartbeat import daemon_status
from reelprint.indexer import index_paths
from reelprint.store import Index
from reelprint.synth import transcode
from reelprint.tui.app import create_app
from reelprint.tui.dialogs import ConfirmDialog
from reelprint.tui.screens.help import HelpScreen


@pytest.fixture
def indexed(tmp_path, library) -> Path:
    db = tmp_path / "tui.db"
    with Index.open(db) as index:
        index_paths(index, [library])
    return db


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_library_lists_videos_and_adds_a_root(indexed, library):
    app = create_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.screen.query_one("#videos").row_count == 2
        await settle(app, pilot)  # highlighting the first row loads its anchor frames
        assert len(app.screen.query_one("#anchors").children) >= 2
        app.add_root(str(library))
        await settle(app, pilot)
        await settle(app, pilot)
        roots = [item.name for item in app.screen.query_one("#roots").children]
        assert roots == [str(library)]
    with Index.open(indexed) as index:
        assert index.roots() == [str(library)]


async def test_index_now_indexes_a_new_file(indexed, library, clips):
    shutil.copy2(clips["alpha_vp9"], library / "new.webm")
    with Index.open(indexed) as index:
        index.add_root(str(library))
    app = create_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        await settle(app, pilot)
        names = [app.screen.query_one("#videos").get_row_at(i)[0] for i in range(3)]
        assert "new.webm" in names


async def test_search_shows_the_video_and_time(indexed, library, tmp_path):
    shot = tmp_path / "shot.png"
    still = frame_at(library / "beta.mkv", 6.0, size=None)
    Image.fromarray(still.image).save(shot)
    app = create_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        app.screen.query_one("#query").value = str(shot)
        await pilot.press("enter")
        await settle(app, pilot)
        verdict = str(app.screen.query_one("#verdict").render())
        assert "beta.mkv" in verdict and "0:06" in verdict
        assert app.screen.query_one("#match-image").image is not None


async def test_search_says_not_in_library_and_reports_bad_files(indexed, tmp_path):
    bogus = tmp_path / "bogus.png"
    bogus.write_text("not an image")
    app = create_app(indexed)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        app.screen.query_one("#query").value = str(bogus)
        await pilot.press("enter")
        await settle(app, pilot)
        assert any("not an image" in str(n.message) for n in app._notifications)
        assert app.is_running  # a failed worker is a notification, never a crash


async def test_duplicates_trash_then_undo(tmp_path, library):
    copy = transcode(library / "alpha.mp4", library / "alpha 144p.mp4", size=(256, 144))
    db = tmp_path / "dupes.db"
    with Index.open(db) as index:
        index.add_root(str(library))
        index_paths(index, [library])
    app = create_app(db)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        screen = app.screen
        assert len(screen.groups) == 1 and screen.query_one("#pairs").row_count == 1
        group = screen.groups[0]
        assert group.keep == str(library / "alpha.mp4")  # the larger picture is kept
        await pilot.press("t")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)  # the dry run's plan, shown before anything moves
        assert copy.exists()
        await pilot.click("#yes")
        await settle(app, pilot)
        await settle(app, pilot)
        assert not copy.exists()
        assert list((library / ".reelprint-trash").rglob("alpha 144p.mp4"))
        await pilot.press("u")
        await settle(app, pilot)
        await pilot.click("#yes")
        await settle(app, pilot)
        await settle(app, pilot)
        assert copy.exists()


async def test_poster_preview_and_export(indexed, library, tmp_path):
    out = tmp_path / "poster.png"
    app = create_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        app.screen.query_one("#poster-video").value = str(library / "alpha.mp4")
        await settle(app, pilot)
        assert app.screen.query_one("#poster-preview").image is not None
        app.screen.query_one("#poster-size").value = "300x200"
        app.screen.export(str(library / "alpha.mp4"), str(out), app.screen.spec())
        await settle(app, pilot)
    with Image.open(out) as poster:
        assert poster.size == (300, 200)


async def test_status_and_help(indexed):
    app = create_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        summary = str(app.screen.query_one("#status-summary").render())
        assert "Videos: 2" in summary and "not running" in summary
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


def test_help_snapshot(snap_compare, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert snap_compare(create_app(Path("index.db")), press=["question_mark"], terminal_size=(100, 30))


def test_library_snapshot(snap_compare, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = create_app(Path("index.db"))

    async def loaded(pilot):
        await settle(app, pilot)

    assert snap_compare(app, run_before=loaded, terminal_size=(80, 24))


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_tui_with_daemon_in_a_real_terminal(indexed, library):
    """`make run`'s command: the TUI in a real terminal starts the daemon, shows it, stops it on q."""
    with Index.open(indexed) as index:
        index.add_root(str(library))
    session = f"reelprint-test-{time.monotonic_ns()}"
    command = f"{sys.executable} -m reelprint.cli --db {indexed} tui --with-daemon"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True)
    try:
        screen = wait_for_screen(session, lambda text: "alpha.mp4" in text and "daemon running" in text)
        assert "Roots" in screen
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 40
        while subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode == 0:
            assert time.monotonic() < deadline, "the TUI did not quit on q"
            time.sleep(0.3)
        with Index.open(indexed) as index:
            assert not daemon_status(index)["running"]
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def wait_for_screen(session: str, ready, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
        if ready(screen):
            return screen
        time.sleep(0.5)
    pytest.fail(f"the screen never got ready:\n{screen}")
