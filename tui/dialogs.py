"""Small modal dialogs: they collect a choice and return it with `dismiss`; they do no work."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from reelprint.tui.paths import PathSuggester


class PathDialog(ModalScreen[str | None]):
    """Ask for a path (with completion). Returns it, or None when cancelled."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, value: str = "", directories_only: bool = False) -> None:
        super().__init__()
        self.prompt = prompt
        self.value = value
        self.directories_only = directories_only

    def compose(self) -> ComposeResult:
        with Grid(classes="dialog"):
            yield Label(self.prompt)
            yield Input(self.value, suggester=PathSuggester(self.directories_only), id="path")
            with Horizontal(classes="buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.query_one(Input).value.strip() or None if event.button.id == "ok" else None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question, with the details of what will happen."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, question: str, details: str = "") -> None:
        super().__init__()
        self.question = question
        self.details = details

    def compose(self) -> ComposeResult:
        with Grid(classes="dialog"):
            yield Label(self.question, classes="question")
            yield Label(self.details, classes="details")
            with Horizontal(classes="buttons"):
                yield Button("Yes", variant="warning", id="yes")
                yield Button("No", variant="primary", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_cancel(self) -> None:
        self.dismiss(False)
