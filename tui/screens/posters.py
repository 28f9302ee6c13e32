"""Posters: pick a video, a mode and a size; see a live preview; export to a file."""

from __future__ import annotations

from pathlib import Path

from PIL import Image as PILImage
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static

from reelprint.posters import MODES, PosterSpec, export_poster, poster_frames, print_size, render_poster
from reelprint.store import Index
from reelprint.tui.dialogs import PathDialog
from reelprint.tui.messages import LibraryLoaded, PosterExported, PosterPreviewed
from reelprint.tui.screens.base import ReelprintScreen
from reelprint.tui.widgets import FrameImage as Image

# The preview keeps the poster's aspect ratio at this width: cheap to render on every change.
PREVIEW_WIDTH = 480


def parse_size(text: str, dpi: int) -> tuple[int, int]:
    """'1920x1080' in pixels, or a print size the engine knows ('A3', '24x36in')."""
    text = text.strip()
    parts = text.lower().split("x")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return print_size(text, dpi)


class PostersScreen(ReelprintScreen):
    BINDINGS = [("p", "preview", "Preview"), ("e", "export", "Export")]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="poster-form"):
                yield Label("Video")
                yield Select([], id="poster-video", prompt="choose an indexed video")
                yield Label("Mode")
                yield Select([(m, m) for m in MODES], value="average", allow_blank=False, id="poster-mode")
                yield Label("Size (pixels WxH, or A3, 24x36in…)")
                yield Input("1920x1080", id="poster-size")
                yield Label("Title (optional)")
                yield Input(id="poster-title")
                yield Button("Export…", variant="primary", id="poster-export")
            with Vertical(id="poster-preview-pane"):
                yield Static("Choose a video to see its poster.", id="poster-info")
                yield Image(id="poster-preview")
        yield Footer()

    def on_mount(self) -> None:
        self.load_videos()

    @work(thread=True, exclusive=True, group="poster-videos", exit_on_error=False)
    def load_videos(self) -> None:
        with Index.open(self.app.db) as index:
            self.post_message(LibraryLoaded(index.videos(state="indexed"), index.status(), index.roots()))

    def on_library_loaded(self, message: LibraryLoaded) -> None:
        select = self.query_one("#poster-video", Select)
        select.set_options([(Path(v.path).name, v.path) for v in message.videos])

    def spec(self, width: int | None = None) -> PosterSpec:
        w, h = parse_size(self.query_one("#poster-size", Input).value, 300)
        if width:
            w, h = width, max(1, round(h * width / w))
        title = self.query_one("#poster-title", Input).value.strip() or None
        return PosterSpec(width=w, height=h, mode=str(self.query_one("#poster-mode", Select).value), title=title)

    def chosen_video(self) -> str | None:
        select = self.query_one("#poster-video", Select)
        return None if select.is_blank() else str(select.value)

    @work(thread=True, exclusive=True, group="poster-preview", exit_on_error=False)
    def preview(self, video: str, spec: PosterSpec) -> None:
        with Index.open(self.app.db) as index:
            record, frames = poster_frames(index, video)
        self.post_message(PosterPreviewed(render_poster(frames, record.duration, spec), video))

    @work(thread=True, exclusive=True, group="poster-export", exit_on_error=False)
    def export(self, video: str, out: str, spec: PosterSpec) -> None:
        with Index.open(self.app.db) as index:
            self.post_message(PosterExported(export_poster(index, video, out, spec)))

    @on(Select.Changed)
    @on(Input.Submitted, "#poster-size")
    @on(Input.Submitted, "#poster-title")
    def action_preview(self) -> None:
        video = self.chosen_video()
        if video is None:
            return
        try:
            spec = self.spec(PREVIEW_WIDTH)
        except Exception as exc:  # a size the user is still typing
            self.notify(str(exc), severity="warning")
            return
        self.preview(video, spec)

    def on_poster_previewed(self, message: PosterPreviewed) -> None:
        self.query_one("#poster-preview", Image).image = PILImage.fromarray(message.image)
        self.query_one("#poster-info", Static).update(f"{Path(message.video).name} — preview")

    @on(Button.Pressed, "#poster-export")
    def action_export(self) -> None:
        video = self.chosen_video()
        if video is None:
            self.notify("Choose a video first", severity="warning")
            return
        suggestion = str(Path.cwd() / f"{Path(video).stem} {self.query_one('#poster-mode', Select).value}.png")

        def chosen(out: str | None) -> None:
            if out:
                self.export(video, out, self.spec())
        self.app.push_screen(PathDialog("Export poster to (.png or .svg):", suggestion), chosen)

    def on_poster_exported(self, message: PosterExported) -> None:
        r = message.result
        self.notify(f"{r.path} ({r.width}x{r.height}, {r.bars} bars)", title="Poster exported")
