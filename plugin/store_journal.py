"""The trash journal: where `dupes trash` put each file, so `reelprint undo` can put it back.

Part of the store layer (mixed into `store.Index`): only the store touches the database.
"""

from __future__ import annotations

import time

import peewee
from peewee import fn

from reelprint.models import TrashEntry


class TrashJournal:
    db: peewee.Database

    def journal_add(self, batch: str, source: str, trashed: str, size: int, signature: str | None) -> None:
        TrashEntry.create(batch=batch, source=source, trashed=trashed, size=size, signature=signature)

    def journal_batches(self) -> list[str]:
        """Batches with files still in the trash, newest first."""
        query = (TrashEntry.select(TrashEntry.batch, fn.MAX(TrashEntry.moved_at).alias("last"))
                 .where(TrashEntry.undone_at.is_null()).group_by(TrashEntry.batch)
                 .order_by(fn.MAX(TrashEntry.moved_at).desc(), TrashEntry.batch.desc()))
        return [row.batch for row in query]

    def journal_entries(self, batch: str) -> list[tuple[int, str, str]]:
        """(entry id, source, trashed) of a batch's files not yet put back."""
        return list(TrashEntry.select(TrashEntry.id, TrashEntry.source, TrashEntry.trashed)
                    .where(TrashEntry.batch == batch, TrashEntry.undone_at.is_null())
                    .order_by(TrashEntry.id).tuples())

    def journal_undone(self, entry_id: int) -> None:
        TrashEntry.update(undone_at=time.time()).where(TrashEntry.id == entry_id).execute()
