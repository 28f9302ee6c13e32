"""The admin app: one composition root, used by `reelprint tui` and by the tests.

Screens are modes (1-5). Blocking work runs in thread workers that call one engine function and
post one message; a worker that fails is reported here, in one place, as a notification.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.worker import Worker, WorkerState

from reelprint.errors import ReelprintError
from reelprint.store import Index
from reelprint.tui.screens.dupes import DupesScreen
from reelprint.tui.screens.help import HelpScreen
from reelprint.tui.screens.library import LibraryScreen
from reelprint.tui.screens.posters import PostersScreen
from reelprint.tui.screens.search import SearchScreen
from reelprint.tui.screens.status import StatusScreen

MODES = {"library": LibraryScreen, "search": SearchScreen, "duplicates": DupesScreen, "posters": PostersScreen,
         "status": StatusScreen}


class ActionCommands(Provider):
    """Every action in the command palette, by name."""

    def actions(self) -> list[tuple[str, str, Callable[[], object]]]:
        app: ReelprintApp = self.app  # type: ignore[assignment]
        screen = app.screen
        found = [(f"Go to {name.title()}", f"switch to the {name} screen", partial(app.switch_mode, name))
                 for name in MODES]
        found.append(("Help", "keys and what each screen does", app.action_help))
        for key, action, description in getattr(screen, "BINDINGS", []):
            found.append((f"{description} ({screen.__class__.__name__.removesuffix('Screen')})",
                          f"key {key}", partial(screen.run_action, action)))
        return found

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self.actions():
            if (score := matcher.match(name)) > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class ReelprintApp(App[None]):
    TITLE = "reelprint"
    CSS_PATH = "reelprint.tcss"
    MODES = MODES
    DEFAULT_MODE = "library"
    COMMANDS = App.COMMANDS | {ActionCommands}
    BINDINGS = [
        ("1", "switch_mode('library')", "Library"),
        ("2", "switch_mode('search')", "Search"),
        ("3", "switch_mode('duplicates')", "Duplicates"),
        ("4", "switch_mode('posters')", "Posters"),
        ("5", "switch_mode('status')", "Status"),
        ("question_mark", "help", "Help"),
        ("q", "quit", "Quit"),
        Binding("escape", "leave_input", "Leave field", show=False),
    ]

    def __init__(self, db: Path, log_file: Path | None = None) -> None:
        super().__init__()
        self.db = Path(db)
        self.log_file = log_file or self.db.with_name(self.db.name + ".log")

    def on_mount(self) -> None:
        self.sub_title = str(self.db)

    def action_leave_input(self) -> None:
        """Escape leaves a text field, so the number keys switch screens again."""
        self.set_focus(None)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.worker_state_changed(event)

    def worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures are reported (screens forward theirs here)."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            text = str(error) if isinstance(error, ReelprintError) else f"{type(error).__name__}: {error}"
            self.notify(text, title="Error", severity="error", timeout=10)

    # -- small engine calls shared by screens -------------------------------------------------

    @work(thread=True, group="roots", exit_on_error=False)
    def add_root(self, path: str) -> None:
        folder = os.path.abspath(os.path.expanduser(path))
        if not os.path.isdir(folder):
            raise ReelprintError(f"{folder}: not a folder")
        with Index.open(self.db) as index:
            index.add_root(folder)
        self.call_from_thread(self.roots_changed, f"Watching {folder}")

    @work(thread=True, group="roots", exit_on_error=False)
    def remove_root(self, path: str) -> None:
        with Index.open(self.db) as index:
            index.remove_root(path)
        self.call_from_thread(self.roots_changed, f"No longer watching {path}")

    def roots_changed(self, note: str) -> None:
        self.notify(note)
        if isinstance(self.screen, LibraryScreen):
            self.screen.load()

    def log_tail(self, lines: int) -> list[str]:
        try:
            with open(self.log_file, encoding="utf-8", errors="replace") as f:
                return f.readlines()[-lines:]
        except OSError:
            return []


def create_app(db: Path) -> ReelprintApp:
    """The app factory the CLI and the tests share."""
    return ReelprintApp(db)
