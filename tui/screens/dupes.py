"""Duplicates: groups with the space they hold, each pair's kind and spans, the keeper and why;
move copies to the trash (asked first, with the plan shown), undo, "not a duplicate", "keep both"."""

from __future__ import annotations

from pathlib import Path

from PIL import Image as PILImage
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Label, ProgressBar, Static

from reelprint.decode import frame_at
from reelprint.dupes import KEEP_BOTH, NOT_DUPLICATE, Pair, decide, find_pairs
from reelprint.keeper import Group, group_pairs
from reelprint.store import Index
from reelprint.trash import apply_trash, plan_trash, undo
from reelprint.tui.dialogs import ConfirmDialog
from reelprint.tui.format import clock, megabytes
from reelprint.tui.messages import DupesFound, IndexProgress, PairFrames, TrashDone, TrashPlanned
from reelprint.tui.screens.base import ReelprintScreen
from reelprint.tui.widgets import FrameImage

THUMB_SIZE = 256


class DupesScreen(ReelprintScreen):
    BINDINGS = [
        ("r", "find", "Find duplicates"),
        ("t", "trash", "Move copies to trash"),
        ("u", "undo", "Undo last trash"),
        ("n", "not_duplicate", "Not a duplicate"),
        ("k", "keep_both", "Keep both"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[Pair] = []
        self.groups: list[Group] = []
        self.group_pairs: list[Pair] = []  # the pairs of the highlighted group

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="groups-pane"):
                yield Label("Groups", classes="pane-title")
                yield DataTable(id="groups", cursor_type="row")
                yield Static(id="keeper")
            with Vertical(id="pairs-pane"):
                yield Label("Pairs in the group", classes="pane-title")
                yield DataTable(id="pairs", cursor_type="row")
                with Horizontal(id="pair-frames"):
                    yield FrameImage(id="frame-a")
                    yield FrameImage(id="frame-b")
        with Horizontal(id="dupes-progress", classes="hidden"):
            yield Label("comparing videos", id="dupes-label")
            yield ProgressBar(total=1.0, show_eta=False, id="dupes-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#groups", DataTable).add_columns("Keep", "Copies", "Reclaimable")
        self.query_one("#pairs", DataTable).add_columns("Kind", "A", "A span", "B", "B span", "Similarity")
        self.action_find()

    # -- workers ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="dupes", exit_on_error=False)
    def action_find(self) -> None:
        with Index.open(self.app.db) as index:
            pairs = find_pairs(index, progress=lambda f, p="": self.post_message(IndexProgress(f, p)))
            groups = group_pairs(pairs, {v.path: v for v in index.videos()})
        self.post_message(DupesFound(pairs, groups))

    @work(thread=True, exclusive=True, group="pair-frames", exit_on_error=False)
    def load_frames(self, pair: Pair) -> None:
        a = frame_at(pair.a, pair.a_span[0], size=THUMB_SIZE).image
        b = frame_at(pair.b, pair.b_span[0], size=THUMB_SIZE).image
        self.post_message(PairFrames(a, b))

    @work(thread=True, exclusive=True, group="trash", exit_on_error=False)
    def plan(self, group: Group) -> None:
        with Index.open(self.app.db) as index:
            self.post_message(TrashPlanned(group, plan_trash(index, [group])))

    @work(thread=True, exclusive=True, group="trash", exit_on_error=False)
    def move_to_trash(self, group: Group) -> None:
        with Index.open(self.app.db) as index:
            batch, moves = apply_trash(index, plan_trash(index, [group]))
        self.post_message(TrashDone(batch, [m.source for m in moves if m.target], [
            f"{m.source}: {m.reason}" for m in moves if m.target is None]))

    @work(thread=True, exclusive=True, group="trash", exit_on_error=False)
    def undo_trash(self) -> None:
        with Index.open(self.app.db) as index:
            restored = undo(index)
        self.post_message(TrashDone(None, [r.source for r in restored if r.error is None],
                                    [f"{r.source}: {r.error}" for r in restored if r.error]))

    @work(thread=True, exclusive=True, group="decide", exit_on_error=False)
    def record(self, pair: Pair, verdict: str) -> None:
        with Index.open(self.app.db) as index:
            decide(index, pair.a, pair.b, verdict)
        self.app.call_from_thread(self.notify, f"recorded: {verdict.replace('_', ' ')}")
        self.action_find()

    # -- handlers -----------------------------------------------------------------------------

    def on_index_progress(self, message: IndexProgress) -> None:
        self.query_one("#dupes-progress").remove_class("hidden")
        self.query_one("#dupes-bar", ProgressBar).update(progress=message.fraction)

    def on_dupes_found(self, message: DupesFound) -> None:
        self.query_one("#dupes-progress").add_class("hidden")
        self.pairs, self.groups = message.pairs, message.groups
        table = self.query_one("#groups", DataTable)
        table.clear()
        for i, g in enumerate(self.groups):
            table.add_row(Path(g.keep).name, str(len(g.members) - 1), megabytes(g.reclaimable_bytes), key=str(i))
        total = sum(g.reclaimable_bytes for g in self.groups)
        self.query_one("#keeper", Static).update(
            f"{len(self.groups)} groups, {megabytes(total)} reclaimable" if self.groups else "No duplicates found.")
        if not self.groups:
            self.query_one("#pairs", DataTable).clear()

    def selected_group(self) -> Group | None:
        table = self.query_one("#groups", DataTable)
        return self.groups[table.cursor_row] if self.groups and 0 <= table.cursor_row < len(self.groups) else None

    def selected_pair(self) -> Pair | None:
        table = self.query_one("#pairs", DataTable)
        if not table.row_count:
            return None
        return self.group_pairs[table.cursor_row]

    @on(DataTable.RowHighlighted, "#groups")
    def show_group(self) -> None:
        group = self.selected_group()
        if group is None:
            return
        members = set(group.members)
        self.group_pairs = [p for p in self.pairs if p.a in members and p.b in members]
        table = self.query_one("#pairs", DataTable)
        table.clear()
        for p in self.group_pairs:
            kind = p.kind + (" (mirrored)" if p.mirrored else "")
            table.add_row(kind, Path(p.a).name, f"{clock(p.a_span[0])}–{clock(p.a_span[1])}", Path(p.b).name,
                          f"{clock(p.b_span[0])}–{clock(p.b_span[1])}", f"{p.similarity:.2f}")
        copies = "\n".join(f"  copy: {m}" for m in group.members if m != group.keep)
        self.query_one("#keeper", Static).update(f"[b]keep[/b] {group.keep}\n[i]{group.why}[/i]\n{copies}")

    @on(DataTable.RowHighlighted, "#pairs")
    def show_pair(self) -> None:
        pair = self.selected_pair()
        if pair is not None:
            self.load_frames(pair)

    def on_pair_frames(self, message: PairFrames) -> None:
        self.query_one("#frame-a", FrameImage).image = PILImage.fromarray(message.a)
        self.query_one("#frame-b", FrameImage).image = PILImage.fromarray(message.b)

    def on_trash_done(self, message: TrashDone) -> None:
        verb = "Moved to the trash" if message.batch else "Restored"
        note = f"{verb}: {len(message.done)} file(s)" + (" — undo with u" if message.batch else "")
        if message.refused:
            note += "\n" + "\n".join(message.refused)
        self.notify(note, severity="warning" if message.refused else "information", timeout=8)
        self.action_find()

    # -- actions ------------------------------------------------------------------------------

    def action_trash(self) -> None:
        if (group := self.selected_group()) is not None:
            self.plan(group)

    def on_trash_planned(self, message: TrashPlanned) -> None:
        """The dry run's plan, shown before anything moves."""
        group, plan = message.group, message.moves
        lines = [f"{m.source}\n  -> {m.target}" if m.target else f"{m.source}: not moved ({m.reason})" for m in plan]
        size = sum(m.size for m in plan if m.target)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.move_to_trash(group)
        self.app.push_screen(ConfirmDialog(
            f"Move {sum(1 for m in plan if m.target)} file(s), {megabytes(size)}, to the trash?",
            "\n".join(lines) + f"\n\nKept: {group.keep}\nNothing is deleted; u puts them back."), confirmed)

    def action_undo(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                self.undo_trash()
        self.app.push_screen(ConfirmDialog("Put back the files of the last trash move?"), confirmed)

    def action_not_duplicate(self) -> None:
        if (pair := self.selected_pair()) is not None:
            self.record(pair, NOT_DUPLICATE)

    def action_keep_both(self) -> None:
        if (pair := self.selected_pair()) is not None:
            self.record(pair, KEEP_BOTH)
