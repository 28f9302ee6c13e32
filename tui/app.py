"""The admin app: one composition root, used by `reelprint tui` and by the tests."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from reelprint.store import Index, VideoRecord


class LibraryLoaded(Message):
    def __init__(self, videos: list[VideoRecord], status: dict[str, int]) -> None:
        super().__init__()
        self.videos = videos
        self.status = status


class ReelprintApp(App[None]):
    TITLE = "reelprint"
    BINDINGS = [("r", "refresh", "Refresh"), ("q", "quit", "Quit")]

    def __init__(self, db: Path) -> None:
        super().__init__()
        self.db = db

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="status")
        yield DataTable(id="videos", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Video", "State", "Duration", "Size", "Frames")
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load_library()

    @work(thread=True, exclusive=True)
    def load_library(self) -> None:
        with Index.open(self.db) as index:
            self.post_message(LibraryLoaded(index.videos(), index.status()))

    def on_library_loaded(self, message: LibraryLoaded) -> None:
        s = message.status
        self.query_one("#status", Static).update(
            f"{s['videos']} videos · {s['indexed']} indexed · {s['queued']} queued · {s['errors']} errors")
        table = self.query_one(DataTable)
        table.clear()
        for v in message.videos:
            duration = f"{v.duration:.0f} s" if v.duration else ""
            table.add_row(Path(v.path).name, v.state, duration, f"{v.size / 1e6:.1f} MB", str(v.frames))
