"""Search: a screenshot in, the video and time out, with the query and the matched frame shown."""

from __future__ import annotations

from pathlib import Path

from PIL import Image as PILImage
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Static

from reelprint.decode import frame_at
from reelprint.images import load_image
from reelprint.search import Searcher
from reelprint.store import Index
from reelprint.tui.dialogs import PathDialog
from reelprint.tui.format import clock
from reelprint.tui.messages import SearchFinished
from reelprint.tui.paths import PathSuggester
from reelprint.tui.screens.base import ReelprintScreen
from reelprint.tui.widgets import FrameImage as Image

# Thumbnails are drawn from images this wide: enough for a sharp half-block picture in a large
# terminal, small enough to send over a slow SSH link.
THUMB_WIDTH = 320


# A static-shot span shorter than this is not worth a note.
MIN_SPAN_S = 0.5


def _thumb(image) -> PILImage.Image:
    pil = PILImage.fromarray(image)
    pil.thumbnail((THUMB_WIDTH, THUMB_WIDTH))
    return pil


class SearchScreen(ReelprintScreen):
    BINDINGS = [("o", "open_file", "Pick file"), ("slash", "focus_query", "Path")]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="search-bar"):
            yield Input(placeholder="path to a screenshot (Tab completes)", suggester=PathSuggester(), id="query")
            yield Button("Search", variant="primary", id="search")
        yield DataTable(id="matches", cursor_type="row")
        yield Static("Give a screenshot: its video and time appear here.", id="verdict")
        with Horizontal(id="pictures"):
            with Vertical():
                yield Label("Screenshot", classes="pane-title")
                yield Image(id="query-image")
            with Vertical():
                yield Label("Matched frame", classes="pane-title")
                yield Image(id="match-image")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#matches", DataTable).add_columns("Video", "Time", "Score", "Margin", "Notes")

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def search(self, path: Path) -> None:
        image = load_image(path)
        with Index.open(self.app.db) as index:
            matches = Searcher(index).search_image(image)
        frame = frame_at(matches[0].path, matches[0].t, size=None).image if matches else None
        self.post_message(SearchFinished(path, image, matches, frame))

    def start_search(self, value: str) -> None:
        path = Path(value).expanduser()
        if not value:
            return
        if not path.is_file():
            self.notify(f"{path}: no such file", severity="error")
            return
        self.query_one("#verdict", Static).update(f"searching for {path.name}…")
        self.search(path)

    @on(Input.Submitted, "#query")
    def submitted(self, event: Input.Submitted) -> None:
        self.start_search(event.value.strip())

    @on(Button.Pressed, "#search")
    def pressed(self) -> None:
        self.start_search(self.query_one("#query", Input).value.strip())

    def on_search_finished(self, message: SearchFinished) -> None:
        table = self.query_one("#matches", DataTable)
        table.clear()
        for m in message.matches:
            margin = getattr(m, "margin", None)
            notes = ", ".join(filter(None, ["mirrored" if m.mirrored else "",
                                            f"on screen {clock(m.span[0])}–{clock(m.span[1])}"
                                            if m.span and m.span[1] - m.span[0] >= MIN_SPAN_S else ""]))
            table.add_row(Path(m.path).name, clock(m.t), f"{m.score:.2f}",
                          "" if margin is None else f"{margin:.2f}", notes)
        verdict = self.query_one("#verdict", Static)
        if message.matches:
            best = message.matches[0]
            verdict.update(f"[b]{Path(best.path).name}[/b] at [b]{clock(best.t)}[/b]  ({best.path})")
        else:
            verdict.update(f"[b]{message.query.name}[/b] is not in your library.")
        self.query_one("#query-image", Image).image = _thumb(message.query_image)
        match_image = self.query_one("#match-image", Image)
        match_image.image = _thumb(message.frame_image) if message.frame_image is not None else None

    def action_open_file(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.query_one("#query", Input).value = path
                self.start_search(path)
        self.app.push_screen(PathDialog("Screenshot to search:"), chosen)

    def action_focus_query(self) -> None:
        self.query_one("#query", Input).focus()


