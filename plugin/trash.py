"""Safe actions on duplicates: move unwanted copies into the library's trash folder, and back.

Nothing is deleted. A copy moves to `<root>/.reelprint-trash/<its path under root>` with a rename
inside the same library root (the same filesystem, so nothing is copied and nothing can be half
done); every move is journalled and `reelprint undo` reverses the last batch. A file is only
touched when it lies inside a library root: the watched roots (`reelprint roots`), or, when none
are set, the folders given with `--root`. The index follows each move, so a trashed file is not
taken for a deleted one and a restored one is not fingerprinted again.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from reelprint.errors import ReelprintError
from reelprint.keeper import Group
from reelprint.library import TRASH_DIR
from reelprint.store import Index


@dataclass(frozen=True)
class TrashMove:
    source: str
    target: str | None      # None: refused (see `reason`)
    size: int
    reason: str | None = None

    def as_json(self) -> dict:
        return {"source": self.source, "target": self.target, "bytes": self.size, "refused": self.reason}


@dataclass(frozen=True)
class Restored:
    source: str
    trashed: str
    error: str | None = None

    def as_json(self) -> dict:
        return {"source": self.source, "trashed": self.trashed, "error": self.error}


def library_roots(index: Index, given: Iterable[str] = ()) -> list[str]:
    """The folders files may be moved within: the watched roots, else the ones given."""
    roots = index.roots() or [os.path.abspath(r) for r in given]
    if not roots:
        raise ReelprintError("no library roots: add one with `reelprint roots add DIR` or pass --root DIR")
    return [os.path.realpath(r) for r in roots]


def root_of(path: str, roots: list[str]) -> str | None:
    """The innermost root holding `path` (its folder resolved, so `..` and links can't escape)."""
    folder = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    inside = [r for r in roots if folder == r or folder.startswith(r.rstrip(os.sep) + os.sep)]
    return max(inside, key=len) if inside else None


def _target(root: str, source: str) -> str:
    rel = os.path.relpath(os.path.join(os.path.realpath(os.path.dirname(source)), os.path.basename(source)), root)
    target = os.path.join(root, TRASH_DIR, rel)
    stem, ext = os.path.splitext(target)
    n = 2
    while os.path.lexists(target):
        target = f"{stem} ({n}){ext}"
        n += 1
    return target


def plan_trash(index: Index, groups: list[Group], roots: Iterable[str] = (),
               only: Iterable[str] | None = None) -> list[TrashMove]:
    """What `apply_trash` would do: every copy but the keeper of each group (or only the paths
    in `only`), each with its place in the trash or the reason it is refused."""
    allowed = library_roots(index, roots)
    wanted = {os.path.abspath(p) for p in only} if only is not None else None
    moves = []
    for group in groups:
        for path in group.members:
            if path == group.keep or (wanted is not None and path not in wanted):
                continue
            size = group.sizes.get(path, 0)
            root = root_of(path, allowed)
            if root is None:
                moves.append(TrashMove(path, None, size, "outside the library roots"))
            elif not os.path.isfile(path):
                moves.append(TrashMove(path, None, size, "no longer there"))
            else:
                moves.append(TrashMove(path, _target(root, path), size))
    return moves


def apply_trash(index: Index, moves: list[TrashMove]) -> tuple[str, list[TrashMove]]:
    """Carry out a plan; returns the journal batch id and the moves as done (a move that failed
    carries its reason). Nothing is deleted."""
    batch = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    done = []
    for move in moves:
        if move.target is None:
            done.append(move)
            continue
        try:
            if os.path.lexists(move.target):
                raise FileExistsError(f"{move.target} exists")
            os.makedirs(os.path.dirname(move.target), exist_ok=True)
            os.rename(move.source, move.target)
        except OSError as exc:
            done.append(TrashMove(move.source, None, move.size, f"not moved: {exc.strerror or exc}"))
            continue
        record = index.video(move.source)
        with index.transaction():
            index.move(move.source, move.target)
            index.journal_add(batch, move.source, move.target, move.size, record.signature if record else None)
        done.append(move)
    return batch, done


def undo(index: Index, batch: str | None = None) -> list[Restored]:
    """Put back the files of the last trash batch (or of `batch`). A file whose old place is taken
    again stays in the trash, with the reason."""
    batches = index.journal_batches()
    if batch is None:
        if not batches:
            raise ReelprintError("nothing to undo")
        batch = batches[0]
    elif batch not in batches:
        raise ReelprintError(f"{batch}: no such trash batch with files still in the trash")
    out = []
    for entry_id, source, trashed in index.journal_entries(batch):
        if os.path.lexists(source):
            out.append(Restored(source, trashed, "a file is at the original path again; left in the trash"))
            continue
        try:
            os.makedirs(os.path.dirname(source), exist_ok=True)
            os.rename(trashed, source)
        except OSError as exc:
            out.append(Restored(source, trashed, exc.strerror or str(exc)))
            continue
        with index.transaction():
            index.move(trashed, source)
            index.journal_undone(entry_id)
        out.append(Restored(source, trashed))
    return out
