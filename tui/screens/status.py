"""Status: what the index holds, whether the daemon runs, errors, recent log lines."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Log, Static

from reelprint.heartbeat import daemon_status
from reelprint.store import Index
from reelprint.tui.format import clock
from reelprint.tui.messages import StatusLoaded
from reelprint.tui.screens.base import ReelprintScreen

POLL_S = 2.0
LOG_LINES = 200


class StatusScreen(ReelprintScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(id="status-summary")
            yield Static(id="status-errors")
        yield Log(id="status-log", max_lines=LOG_LINES)
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self.set_interval(POLL_S, self.load)

    @work(thread=True, exclusive=True, group="status", exit_on_error=False)
    def load(self) -> None:
        with Index.open(self.app.db) as index:
            status = index.status()
            status["roots"] = index.roots()
            status["error_files"] = [(v.path, v.error) for v in index.videos(state="error")]
            status["daemon"] = daemon_status(index)
        self.post_message(StatusLoaded(status, self.app.log_tail(LOG_LINES)))

    def on_status_loaded(self, message: StatusLoaded) -> None:
        s = message.status
        daemon = s["daemon"]
        if daemon.get("running"):
            running = (f"[green]running[/], pid {daemon['pid']}, up {clock(daemon.get('uptime') or 0)}, "
                       f"{daemon.get('queue', 0)} queued")
        else:
            running = "[yellow]not running[/] (the TUI works without it: `reelprint daemon` starts it)"
        lines = [f"Daemon: {running}",
                 f"Database: {self.app.db}",
                 f"Videos: {s['videos']}  indexed {s['indexed']}  queued {s['queued']}  indexing {s['indexing']}  "
                 f"errors {s['errors']}  frames {s['frames']}",
                 "Roots: " + (", ".join(s["roots"]) or "none")]
        for job in daemon.get("current") or []:
            lines.append(f"Indexing: {job['path']} ({job.get('progress', 0):.0%})")
        self.query_one("#status-summary", Static).update("\n".join(lines))
        errors = "\n".join(f"[red]error[/] {message}" for _, message in s["error_files"]) or "No errors."
        self.query_one("#status-errors", Static).update(errors)
        log = self.query_one("#status-log", Log)
        log.clear()
        log.write_lines(message.log_lines)
