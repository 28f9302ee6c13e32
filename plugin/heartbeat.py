"""The daemon's heartbeat in the database, and `daemon_status` for the CLI and the TUI.

The daemon rewrites one DaemonState row every few seconds (queue length, the files being
indexed with their progress); readers decide from the age of that row whether it is running.
This module needs nothing but the store, so the TUI can import it without watchdog.
"""

from __future__ import annotations

import json
import os
import socket
import time

from reelprint.store import Index

# Seconds between heartbeats when nothing changes: rare enough to cost nothing on an idle disk.
HEARTBEAT_SECONDS = 5.0
# A change of queue or progress is written at most this often: a live view without a write storm.
CHANGE_SECONDS = 0.5
# A heartbeat older than this means the daemon is gone (killed, or the machine slept): six missed
# beats, generous against a busy disk stalling writes. On the same host a dead pid says so at once.
STALE_SECONDS = 30.0


def daemon_status(index: Index, now: float | None = None) -> dict:
    """{"running", "pid", "host", "uptime", "heartbeat_age", "queue", "current", "requests"}.

    `current` lists {"path", "progress" (0..1), "started_at"} for each file being indexed;
    `requests` counts notify/rescan requests not yet taken. When no daemon runs, "running" is
    false and the other figures are those it left."""
    now = time.time() if now is None else now
    state = index.daemon_state() or {}
    heartbeat = state.get("heartbeat_at")
    age = None if heartbeat is None else max(0.0, now - heartbeat)
    running = (age is not None and age < STALE_SECONDS and state.get("stopped_at") is None
               and _pid_alive(state.get("pid"), state.get("host")))
    started = state.get("started_at")
    return {
        "running": running,
        "pid": state.get("pid") if running else None,
        "host": state.get("host"),
        "uptime": round(now - started, 1) if running and started else None,
        "heartbeat_age": None if age is None else round(age, 1),
        "queue": state.get("queue", 0) if running else 0,
        "current": json.loads(state.get("current") or "[]") if running else [],
        "requests": index.pending_requests(),
    }


def _pid_alive(pid: int | None, host: str | None) -> bool:
    """True unless we can tell the process is gone (only on the same host: containers differ)."""
    if pid is None:
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Heartbeat:
    """The daemon's side: writes its state row, at most every HEARTBEAT_SECONDS unless told to."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.started_at = time.time()
        self._last = 0.0
        self._last_state: tuple = ()

    def start(self) -> None:
        self.index.write_daemon_state(pid=os.getpid(), host=socket.gethostname(), started_at=self.started_at,
                                      heartbeat_at=time.time(), stopped_at=None, queue=0, current="[]")

    def beat(self, queue: int, current: list[dict], force: bool = False) -> None:
        now = time.time()
        state = (queue, json.dumps(current))
        since = now - self._last
        changed = state != self._last_state
        if not (force or since >= HEARTBEAT_SECONDS or (changed and since >= CHANGE_SECONDS)):
            return
        self._last, self._last_state = now, state
        self.index.write_daemon_state(heartbeat_at=now, queue=queue, current=state[1])

    def stop(self) -> None:
        self.index.write_daemon_state(heartbeat_at=time.time(), stopped_at=time.time(), queue=0, current="[]")
