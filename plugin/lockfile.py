"""One daemon per database: an `fcntl` lock on `<db>.lock`, held for the daemon's life.

The kernel drops the lock however the process ends (kill -9 included), so a stale lock file
never blocks a restart; the file holds the pid for the second daemon's error message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from reelprint.errors import ReelprintError


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def acquire_lock(db: Path) -> IO[str]:
    """Hold `<db>.lock` for the daemon's life (the kernel drops it however the process ends)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path(db), "a+")  # noqa: SIM115 - held open until the daemon exits
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "?"
        handle.close()
        raise ReelprintError(f"another reelprint daemon (pid {pid}) is already running on {db}") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
