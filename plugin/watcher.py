"""Watching library folders: the observer only records what changed; a settle step waits for quiet.

The model is mkdocs' livereload: the watchdog handler runs on the observer's thread and does
nothing but note paths (a burst of thousands of events for one file collapses into one entry);
the daemon's loop takes those notes, and `Settler` says when a file has stopped changing: no
event for a quiet period, then the same size and mtime at two looks a quiet period apart. A file
still being copied is therefore never indexed half-written. A close-after-write event (inotify
IN_CLOSE_WRITE) shortens the wait, since the writer says it is done.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from dataclasses import dataclass

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserverVFS

from reelprint.library import is_video_name

log = logging.getLogger("reelprint.daemon")

# Seconds without events, then between two equal looks, before a file counts as complete. Not
# measured on a NAS here: a judgement that a copier stalling longer than 5 s mid-file is rare, and
# that 10 s before a new film starts indexing costs nothing. Tests and `--quiet-period` lower it.
QUIET_SECONDS = 5.0
# After close-after-write the writer is done; one short look confirms nothing reopened it.
CLOSED_QUIET_SECONDS = 0.5
# How often the polling observer (network mounts) compares folder snapshots.
POLL_INTERVAL_SECONDS = 30.0


class ChangeRecorder(FileSystemEventHandler):
    """Collects changed paths and moves from the observer threads, for the daemon to drain."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed: dict[str, bool] = {}  # path -> a writer closed it
        self._moves: list[tuple[str, str, bool]] = []
        self.events = 0

    def on_any_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind in ("opened", "closed_no_write") or (event.is_directory and kind == "modified"):
            return  # a folder's own mtime says nothing its files' events don't
        src = os.fsdecode(event.src_path)
        dest = os.fsdecode(event.dest_path) if event.dest_path else ""
        with self._lock:
            self.events += 1
            if kind == "moved":
                if event.is_directory or is_video_name(src) or is_video_name(dest):
                    self._moves.append((src, dest, event.is_directory))
            elif event.is_directory or is_video_name(src):
                self._changed[src] = self._changed.get(src, False) or kind == "closed"

    def drain(self) -> tuple[dict[str, bool], list[tuple[str, str, bool]]]:
        with self._lock:
            changed, moves = self._changed, self._moves
            self._changed, self._moves = {}, []
        return changed, moves


@dataclass
class _Settling:
    due: float
    priority: int
    closed: bool = False
    seen: tuple[int, int] | None = None  # (size, mtime_ns) at the last look


class Settler:
    """Paths waiting for quiet. `ready()` hands back those that have settled, with their priority."""

    def __init__(self, quiet: float = QUIET_SECONDS, closed_quiet: float = CLOSED_QUIET_SECONDS) -> None:
        self.quiet = quiet
        self.closed_quiet = min(closed_quiet, quiet)
        self._entries: dict[str, _Settling] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: str) -> bool:
        return path in self._entries

    def touch(self, path: str, now: float, priority: int, closed: bool = False, delay: float | None = None) -> None:
        """Something happened to `path`: (re)start its wait. A lower priority number wins.

        Only a close-after-write shortens a wait already running (the writer says it is done);
        anything else can only lengthen it, so a file is never judged on two looks closer
        together than the quiet period unless its writer closed it."""
        entry = self._entries.get(path)
        wait = delay if delay is not None else (self.closed_quiet if closed else self.quiet)
        if entry is None:
            self._entries[path] = _Settling(now + wait, priority, closed)
            return
        entry.due = now + wait if closed else max(entry.due, now + wait)
        entry.closed = closed
        entry.priority = min(entry.priority, priority)

    def discard(self, path: str) -> None:
        self._entries.pop(path, None)

    def ready(self, now: float) -> list[tuple[str, int]]:
        out = []
        for path, entry in list(self._entries.items()):
            if entry.due > now:
                continue
            try:
                st = os.stat(path)
            except OSError:
                st = None  # gone (or unreadable): the daemon decides what that means
            if st is None or not os.path.isfile(path):
                out.append((path, entry.priority))
                del self._entries[path]
                continue
            key = (st.st_size, st.st_mtime_ns)
            if entry.seen == key:
                out.append((path, entry.priority))
                del self._entries[path]
            else:
                entry.seen = key
                entry.due = now + (self.closed_quiet if entry.closed else self.quiet)
        return out


class Watch:
    """The observers of a set of roots: inotify where it works, polling for network mounts."""

    def __init__(self, recorder: ChangeRecorder, poll_interval: float = POLL_INTERVAL_SECONDS) -> None:
        self.recorder = recorder
        self.native: BaseObserver = Observer()
        # lstat: a symlinked folder is not walked into, so a symlink loop can't multiply paths
        # (inotify doesn't follow them either; the rescan does, once per real folder).
        self.polling: BaseObserver = PollingObserverVFS(os.lstat, os.scandir, polling_interval=poll_interval)
        self.watched: dict[str, bool] = {}

    def start(self) -> None:
        self.native.start()
        self.polling.start()

    def add(self, root: str, polling: bool) -> bool:
        """Watch `root` recursively; False (with one log line) when that cannot be done now."""
        if root in self.watched:
            return True
        observer = self.polling if polling else self.native
        try:
            observer.schedule(self.recorder, root, recursive=True)
        except OSError as exc:
            if not polling and exc.errno == errno.ENOSPC:
                log.warning("%s: out of inotify watches (raise fs.inotify.max_user_watches); polling it", root)
                return self.add(root, polling=True)
            if not polling and exc.errno != errno.ENOENT:  # e.g. a subfolder we may not read
                log.warning("%s: inotify refused (%s); polling it", root, exc.strerror or exc)
                return self.add(root, polling=True)
            log.warning("%s: cannot watch (%s); will retry at the next rescan", root, exc.strerror or exc)
            return False
        self.watched[root] = polling
        log.info("watching %s%s", root, " (polling)" if polling else "")
        return True

    def stop(self) -> None:
        for observer in (self.native, self.polling):
            observer.stop()
        for observer in (self.native, self.polling):
            if observer.is_alive():
                observer.join(timeout=5)
