"""The real daemon as a subprocess, for tests: start it, wait for conditions, read what it wrote."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Short enough for fast tests, long enough that a loaded 2-core box doesn't stall a copy past it.
TEST_QUIET = "1.0"
# Generous: the machine is shared with other test runs.
TIMEOUT = 90.0


def reelprint(db: Path, *args: object, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reelprint.cli", "--db", str(db), *map(str, args)],
                          capture_output=True, text=True, timeout=120, env=env)


class DaemonProcess:
    def __init__(self, db: Path, *args: str) -> None:
        self.db = db
        self.args = args
        self.proc: subprocess.Popen | None = None

    def start(self) -> DaemonProcess:
        stderr = open(self.db.with_name("daemon.stderr"), "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reelprint.cli", "--db", str(self.db), "daemon", "--quiet-period", TEST_QUIET,
             *self.args], stdout=subprocess.DEVNULL, stderr=stderr)
        stderr.close()
        wait_for(lambda: self.status()["daemon"]["running"], "the daemon to start", self)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def status(self) -> dict:
        out = reelprint(self.db, "status", "--json")
        return json.loads(out.stdout) if out.returncode == 0 else {"daemon": {"running": False}}

    def log(self) -> str:
        path = self.db.with_name(self.db.name + ".log")
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)

    def __enter__(self) -> DaemonProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.alive():
            self.kill()


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    """Read the database the daemon writes, as another process would (WAL)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def videos(db: Path) -> dict[str, tuple]:
    """path -> (id, state, attempts, error, size)."""
    return {r[0]: r[1:] for r in rows(db, "SELECT path, id, state, attempts, error, size FROM video")}


def wait_for(condition: Callable[[], object], what: str, daemon: DaemonProcess | None = None,
             timeout: float = TIMEOUT) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon is not None and not daemon.alive():
            raise AssertionError(f"the daemon died while waiting for {what}:\n{daemon.log()[-3000:]}")
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    tail = daemon.log()[-3000:] if daemon else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")
