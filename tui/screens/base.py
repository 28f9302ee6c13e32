"""The base of every screen: worker failures go to the app's one handler."""

from __future__ import annotations

from textual.screen import Screen
from textual.worker import Worker


class ReelprintScreen(Screen):
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker state messages don't bubble: forward them to the app, which reports failures.
        self.app.worker_state_changed(event)
