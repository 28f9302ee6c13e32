"""The daemon's tables: requests to it, its heartbeat, and folder-wide moves and deletes.

Part of the store layer (mixed into `store.Index`): only the store touches the database.
"""

from __future__ import annotations

import os

import peewee
from peewee import fn

from reelprint.models import DaemonState, Request, Root, Video


class DaemonStore:
    db: peewee.Database

    def root_modes(self) -> dict[str, bool]:
        """Every root with whether it is watched by polling (network mounts)."""
        return {r.path: r.polling for r in Root.select()}

    def move_folder(self, old_dir: str, new_dir: str) -> int:
        """A folder was renamed: every video under it keeps its fingerprint under the new path."""
        old, new = old_dir.rstrip(os.sep) + os.sep, new_dir.rstrip(os.sep) + os.sep
        with self.db.atomic():
            return self.db.execute_sql(
                "UPDATE video SET path = ? || substr(path, ?) WHERE substr(path, 1, ?) = ?",
                (new, len(old) + 1, len(old), old)).rowcount

    def forget_folder(self, folder: str) -> int:
        """Forget every video under a folder that is gone. Decisions stay, keyed by signature."""
        prefix = folder.rstrip(os.sep) + os.sep
        with self.db.atomic():
            return Video.delete().where(fn.substr(Video.path, 1, len(prefix)) == prefix).execute()

    def add_request(self, kind: str, path: str | None = None) -> None:
        """Ask the daemon for work: "index" a path now, or "rescan" every root."""
        Request.create(kind=kind, path=path)

    def take_requests(self) -> list[tuple[str, str | None]]:
        """The daemon's side: every waiting request, oldest first, removed from the table."""
        with self.db.atomic():
            rows = list(Request.select().order_by(Request.id).tuples())
            if rows:
                Request.delete().where(Request.id <= rows[-1][0]).execute()
        return [(kind, path) for _, kind, path, _ in rows]

    def pending_requests(self) -> int:
        return Request.select().count()

    def write_daemon_state(self, **fields: object) -> None:
        """Update the daemon's heartbeat row (pid, started_at, heartbeat_at, queue, current...)."""
        DaemonState.insert(id=1, **fields).on_conflict(
            conflict_target=[DaemonState.id], update=fields).execute()

    def daemon_state(self) -> dict | None:
        row = DaemonState.select().where(DaemonState.id == 1).dicts().first()
        return dict(row) if row else None
