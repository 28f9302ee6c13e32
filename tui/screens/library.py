"""Library: roots and their videos, live indexing progress, add/remove a root, index now."""

from __future__ import annotations

from pathlib import Path

from PIL import Image as PILImage
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, Label, ListItem, ListView, ProgressBar, Static

from reelprint.anchors import anchor_frames
from reelprint.decode import frame_at
from reelprint.heartbeat import daemon_status
from reelprint.indexer import index_paths
from reelprint.store import Index, VideoRecord
from reelprint.tui.dialogs import PathDialog
from reelprint.tui.format import clock, megabytes
from reelprint.tui.messages import AnchorsLoaded, IndexFinished, IndexProgress, LibraryLoaded
from reelprint.tui.screens.base import ReelprintScreen
from reelprint.tui.widgets import FrameImage

# Anchor thumbnails are decoded this small: five of them fit under the table.
ANCHOR_SIZE = 160
# How often the screen asks SQLite whether anyone (the daemon) changed the index.
POLL_S = 2.0
SORT_KEYS = {"name": lambda v: Path(v.path).name.lower(), "state": lambda v: v.state,
             "duration": lambda v: -(v.duration or 0), "size": lambda v: -v.size}


def shown_status(index: Index) -> dict:
    """The counts and daemon state this screen shows, and nothing else: the daemon's uptime and
    heartbeat change every second, and comparing them would reload the whole library each poll."""
    status = index.status()
    daemon = daemon_status(index)
    status["daemon"] = {key: daemon.get(key) for key in ("running", "queue", "current")}
    return status


class LibraryScreen(ReelprintScreen):
    BINDINGS = [
        ("a", "add_root", "Add root"),
        ("d", "remove_root", "Remove root"),
        ("i", "index_now", "Index now"),
        ("s", "cycle_sort", "Sort"),
        ("slash", "focus_filter", "Filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.videos: list[VideoRecord] = []
        self.sort = "name"
        self.last_status: dict = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="roots-pane"):
                yield Label("Roots", classes="pane-title")
                yield ListView(id="roots")
                yield Static(id="library-status")
            with Vertical(id="videos-pane"):
                yield Input(placeholder="filter by name or state (/)", id="filter")
                yield DataTable(id="videos", cursor_type="row", zebra_stripes=True)
                yield Static(id="video-detail")
                yield Horizontal(id="anchors")
        with Horizontal(id="index-progress", classes="hidden"):
            yield Label("", id="index-label")
            yield ProgressBar(total=1.0, show_eta=False, id="index-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#videos", DataTable).add_columns("Video", "State", "Duration", "Resolution", "Size", "Frames")
        self.load()
        self.set_interval(POLL_S, self.poll)

    # -- workers: each calls the engine and posts one message ---------------------------------

    @work(thread=True, exclusive=True, group="library", exit_on_error=False)
    def load(self) -> None:
        with Index.open(self.app.db) as index:
            self.post_message(LibraryLoaded(index.videos(), shown_status(index), index.roots()))

    @work(thread=True, exclusive=True, group="library-poll", exit_on_error=False)
    def poll(self) -> None:
        with Index.open(self.app.db) as index:
            status = shown_status(index)
        if status != self.last_status:
            self.load()

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def ask_daemon(self) -> None:
        with Index.open(self.app.db) as index:
            index.add_request("rescan")
        self.app.call_from_thread(self.notify, "Asked the daemon to rescan every root")

    @work(thread=True, exclusive=True, group="anchors", exit_on_error=False)
    def load_anchors(self, video: VideoRecord) -> None:
        with Index.open(self.app.db) as index:
            frames = index.frames(video.id)
        times = frames["t"][anchor_frames(frames)]
        images = [frame_at(video.path, float(t), size=ANCHOR_SIZE).image for t in times]
        self.post_message(AnchorsLoaded(video.path, images))

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def run_index(self, roots: list[str]) -> None:
        with Index.open(self.app.db) as index:
            summary = index_paths(index, roots, progress=lambda f, p: self.post_message(IndexProgress(f, p)))
        self.post_message(IndexFinished(summary.as_dict()))

    # -- handlers -----------------------------------------------------------------------------

    def on_library_loaded(self, message: LibraryLoaded) -> None:
        self.last_status = message.status
        self.videos = message.videos
        roots = self.query_one("#roots", ListView)
        roots.clear()
        for root in message.roots or ["(no roots: press a to add one)"]:
            roots.append(ListItem(Label(root), name=root if message.roots else None))
        s = message.status
        daemon = s["daemon"]
        working = "".join(f"\n[b]{Path(j['path']).name}[/b] {j.get('progress', 0):.0%}"
                          for j in daemon.get("current") or [])
        self.query_one("#library-status", Static).update(
            f"{s['videos']} videos\n{s['indexed']} indexed\n{s['queued'] + s['indexing']} waiting\n"
            f"{s['errors']} errors\n{s['frames']} frames\n\n"
            + ("[green]daemon running[/]" if daemon.get("running") else "[yellow]daemon not running[/]") + working)
        self.refresh_table()

    def refresh_table(self) -> None:
        table = self.query_one("#videos", DataTable)
        needle = self.query_one("#filter", Input).value.strip().lower()
        table.clear()
        for v in sorted(self.videos, key=SORT_KEYS[self.sort]):
            name = Path(v.path).name
            if needle and needle not in name.lower() and needle != v.state:
                continue
            resolution = f"{v.width}x{v.height}" if v.width else ""
            state = f"[red]{v.state}[/]" if v.state == "error" else v.state
            table.add_row(name, state, clock(v.duration) if v.duration else "", resolution, megabytes(v.size),
                          str(v.frames), key=v.path)

    @on(Input.Changed, "#filter")
    def filter_changed(self) -> None:
        self.refresh_table()

    @on(DataTable.RowHighlighted, "#videos")
    def show_detail(self, event: DataTable.RowHighlighted) -> None:
        video = next((v for v in self.videos if v.path == event.row_key.value), None)
        if video is not None:
            detail = f"{video.path}\n{video.codec or ''} {video.fps or 0:.3g} fps"
            if video.error:
                detail += f"\n[red]{video.error}[/]"
            self.query_one("#video-detail", Static).update(detail)
            if video.state == "indexed":
                self.load_anchors(video)

    def on_anchors_loaded(self, message: AnchorsLoaded) -> None:
        strip = self.query_one("#anchors", Horizontal)
        strip.remove_children()
        strip.mount_all(FrameImage(PILImage.fromarray(image)) for image in message.images)

    def on_index_progress(self, message: IndexProgress) -> None:
        self.query_one("#index-progress").remove_class("hidden")
        self.query_one("#index-bar", ProgressBar).update(progress=message.fraction)
        self.query_one("#index-label", Label).update(f"indexing {Path(message.path).name}" if message.path else "")

    def on_index_finished(self, message: IndexFinished) -> None:
        self.query_one("#index-progress").add_class("hidden")
        s = message.summary
        self.notify(f"{s['indexed']} indexed, {s['unchanged']} unchanged, {s['moved']} moved, "
                    f"{s['removed']} removed, {s['failed']} failed", title="Index finished")
        self.load()

    # -- actions ------------------------------------------------------------------------------

    def action_add_root(self) -> None:
        def added(path: str | None) -> None:
            if path:
                self.app.add_root(path)
        self.app.push_screen(PathDialog("Folder to watch:", directories_only=True), added)

    def action_remove_root(self) -> None:
        item = self.query_one("#roots", ListView).highlighted_child
        if item is not None and item.name:
            self.app.remove_root(item.name)

    def action_index_now(self) -> None:
        roots = [item.name for item in self.query_one("#roots", ListView).children if item.name]
        if not roots:
            self.notify("Add a root first (a)", severity="warning")
        elif self.last_status.get("daemon", {}).get("running"):
            self.ask_daemon()  # one writer: the daemon does the work and the screen follows it
        else:
            self.run_index(roots)

    def action_cycle_sort(self) -> None:
        keys = list(SORT_KEYS)
        self.sort = keys[(keys.index(self.sort) + 1) % len(keys)]
        self.notify(f"sorted by {self.sort}")
        self.refresh_table()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()
