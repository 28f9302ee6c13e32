"""`reelprint daemon`: keep the index true while the library changes, without anyone running a command.

One process per database (a lock file beside it). The main process owns the only database
connection; `indexer.fingerprint` runs in `nice`d worker processes (workers.py). The loop, after
mkdocs' livereload: the watcher records changed paths, the settle step waits for quiet
(watcher.py), then each settled path is looked at once: gone -> forgotten after a short grace (a
move may still claim it), moved -> followed by content signature without decoding, unchanged ->
nothing, new or changed -> fingerprinted. Work is ordered: requests (`reelprint notify`), then
watched events, then the background full rescan that reconciles what changed while stopped.
Every step survives errors: one bad file is logged and recorded, never the end of the daemon.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import logging.handlers
import os
import signal
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from reelprint.heartbeat import Heartbeat
from reelprint.indexer import copy_twin
from reelprint.library import TRASH_DIR, FileStat, content_signature, is_video_name, walk_videos
from reelprint.lockfile import acquire_lock
from reelprint.models import ERROR, INDEXED
from reelprint.store import Index
from reelprint.watcher import POLL_INTERVAL_SECONDS, QUIET_SECONDS, ChangeRecorder, Settler, Watch
from reelprint.workers import Job, Result, WorkerPool

log = logging.getLogger("reelprint.daemon")

PRIORITY_REQUEST, PRIORITY_WATCH, PRIORITY_RESCAN = 0, 1, 2
# The target machine has 2 cores; one worker each, the main process mostly waits.
DEFAULT_WORKERS = 2
# Seconds the loop waits for worker messages per turn: bounds the latency of events and signals.
TICK_SECONDS = 0.2
# Seconds between looks at the Request table and the roots: a notify is picked up within this.
REQUEST_POLL_SECONDS = 1.0
# A full rescan this often catches what the watchers missed (network mounts drop events).
RESCAN_SECONDS = 24 * 3600
# A file that failed is retried (only once it changed) after 1 min, doubling up to 6 h: a file
# rewritten in a loop by a broken downloader costs a handful of decodes a day, not a storm.
BACKOFF_FIRST_SECONDS = 60.0
BACKOFF_MAX_SECONDS = 6 * 3600.0
# A vanished file waits this long (after its queue has drained) before it is forgotten, since its
# content may reappear elsewhere (a move across roots shows as delete + create).
VANISH_EXTRA_SECONDS = 2.0
# ...but never longer than this, however busy the queue.
VANISH_MAX_SECONDS = 600.0
# The log file beside the database: rotated at 5 MB, 3 old files kept (20 MB at most).
LOG_BYTES, LOG_BACKUPS = 5 * 1024 * 1024, 3


@dataclass
class DaemonOptions:
    db: Path
    watch: list[str] = field(default_factory=list)
    workers: int = DEFAULT_WORKERS
    polling: bool = False
    quiet: float = QUIET_SECONDS
    poll_interval: float = POLL_INTERVAL_SECONDS
    log_file: Path | None = None


def setup_logging(log_file: Path) -> None:
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    log.setLevel(logging.INFO)
    log.handlers.clear()
    for handler in (logging.StreamHandler(),
                    logging.handlers.RotatingFileHandler(log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS,
                                                         encoding="utf-8", errors="backslashreplace")):
        handler.setFormatter(formatter)
        log.addHandler(handler)


class Daemon:
    def __init__(self, options: DaemonOptions) -> None:
        self.options = options
        self.recorder = ChangeRecorder()
        self.settler = Settler(options.quiet)
        self._ready: list[tuple[int, int, str]] = []
        self._queued: set[str] = set()
        self._order = itertools.count()
        self._vanished: dict[str, float] = {}            # path -> forget no earlier than (monotonic)
        self._failures: dict[str, tuple[int, float]] = {}  # path -> (failures in a row, retry at)
        self._current: dict[int, dict] = {}                # video id -> {"path", "progress", "started_at"}
        self._stopping = False
        self._walker: threading.Thread | None = None
        self._walked: tuple[list[str], list[FileStat]] | None = None
        self._rescan_again = False
        self._roots_tried: set[str] = set()
        self._next_requests = 0.0
        self._next_rescan = 0.0

    # -- life cycle -----------------------------------------------------------------------------

    def stop(self, *_: object) -> None:
        self._stopping = True

    def run(self) -> int:
        db = Path(self.options.db)
        lock = acquire_lock(db)
        setup_logging(self.options.log_file or db.with_name(db.name + ".log"))
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.index = Index.open(db)
        self.heartbeat = Heartbeat(self.index)
        self.pool = WorkerPool(self.options.workers)
        self.watch = Watch(self.recorder, self.options.poll_interval)
        try:
            interrupted = self.index.reset_interrupted()
            if interrupted:
                log.info("%d file(s) interrupted last time: queued again", interrupted)
            self.heartbeat.start()
            self.watch.start()
            roots = self._watch_roots()
            log.info("daemon started (pid %d, %d workers, db %s)", os.getpid(), self.options.workers, db)
            self._start_rescan(roots)
            while not self._stopping:
                self._turn()
        finally:
            log.info("stopping: abandoning %d file(s) being indexed", len(self._current))
            for step in (self.pool.stop, self.watch.stop, self.index.reset_interrupted, self.heartbeat.stop,
                         self.index.close, lock.close):
                self._guarded(step)
            log.info("stopped")
        return 0

    def _turn(self) -> None:
        try:
            now = time.monotonic()
            changed, moves = self.recorder.drain()
            for src, dest, is_dir in moves:
                self._guarded(self._moved, src, dest, is_dir, now)
            for path, closed in changed.items():
                self.settler.touch(path, now, PRIORITY_WATCH, closed)
            if now >= self._next_requests:
                self._next_requests = now + REQUEST_POLL_SECONDS
                self._take_requests(now)
            for path, priority in self.settler.ready(now):
                self._guarded(self._settled, path, priority, now)
            self._collect_rescan(now)
            self._forget_vanished(now)
            while self._ready and self.pool.idle():
                _, _, path = heapq.heappop(self._ready)
                self._queued.discard(path)
                self._guarded(self._dispatch, path, now)
            for kind, job, payload in self.pool.poll(TICK_SECONDS):
                if kind == "progress":
                    if job.video_id in self._current:
                        self._current[job.video_id]["progress"] = round(float(payload), 3)
                else:
                    self._guarded(self._done, job, payload)
            self.pool.reap()
            queue = len(self.settler) + len(self._ready)
            self.heartbeat.beat(queue, list(self._current.values()))
        except Exception:  # the daemon outlives anything one turn runs into
            log.exception("unexpected error; carrying on")
            time.sleep(1.0)

    def _guarded(self, step, *args: object) -> None:
        """One path's step; an unexpected failure is logged against it and the loop goes on."""
        try:
            step(*args)
        except Exception as exc:
            log.exception("%s failed%s: %s", step.__name__.strip("_"), f" on {args[0]}" if args else "", exc)

    # -- roots, requests, rescans ---------------------------------------------------------------

    def _watch_roots(self) -> list[str]:
        """The roots (database plus --watch); any not tried before is watched from now on."""
        modes = self.index.root_modes()
        for path in self.options.watch:
            modes.setdefault(os.path.abspath(path), False)
        for path in modes.keys() - self._roots_tried:
            self._roots_tried.add(path)
            self.watch.add(path, modes[path] or self.options.polling)
        return sorted(modes)

    def _take_requests(self, now: float) -> None:
        tried = set(self._roots_tried)
        new = [r for r in self._watch_roots() if r not in tried]
        if new and tried:  # `reelprint roots add` while running
            self._start_rescan(new)
        if now >= self._next_rescan:
            self._start_rescan(self._watch_roots())
        for kind, path in self.index.take_requests():
            if kind == "rescan":
                log.info("rescan requested")
                self._start_rescan(self._watch_roots())
            elif path:
                self.settler.touch(os.path.abspath(path), now, PRIORITY_REQUEST, closed=True, delay=0.0)

    def _start_rescan(self, roots: list[str]) -> None:
        self._next_rescan = time.monotonic() + RESCAN_SECONDS
        if self._walker is not None and self._walker.is_alive():
            self._rescan_again = True
            return

        def walk() -> None:
            self._walked = (roots, list(walk_videos(roots)))

        self._walker = threading.Thread(target=walk, name="reelprint-rescan", daemon=True)
        self._walker.start()

    def _collect_rescan(self, now: float) -> None:
        if self._walked is None:
            return
        (roots, files), self._walked = self._walked, None
        self._reconcile(roots, files, now)
        if self._rescan_again:
            self._rescan_again = False
            self._start_rescan(self._watch_roots())

    def _reconcile(self, roots: list[str], files: list[FileStat], now: float) -> None:
        """What changed while nobody watched: new and changed files queued, vanished ones noted."""
        on_disk = {f.path: f for f in files}
        known = self.index.known_files(roots)
        queued = 0
        for f in files:
            old = known.get(f.path)
            if not (old and old.size == f.size and old.mtime == f.mtime and old.state in (INDEXED, ERROR)):
                self.settler.touch(f.path, now, PRIORITY_RESCAN, delay=0.0)
                queued += 1
        gone = 0
        for root in roots:
            under = [p for p in known if p.startswith(root.rstrip(os.sep) + os.sep)]
            present = any(p.startswith(root.rstrip(os.sep) + os.sep) for p in on_disk)
            if under and not present:  # an unmounted share looks empty: never forget a whole root
                log.warning("%s: no videos found (not mounted?); keeping its %d indexed files", root, len(under))
                continue
            for p in under:
                if p not in on_disk:
                    self._gone(p, now)
                    gone += 1
        log.info("rescan: %d videos on disk, %d to look at, %d gone", len(files), queued, gone)

    # -- one path -------------------------------------------------------------------------------

    def _moved(self, src: str, dest: str, is_dir: bool, now: float) -> None:
        if not self._in_library(dest):  # into the trash or a hidden folder: gone from the library
            self.settler.touch(src, now, PRIORITY_WATCH)
            return
        if is_dir:
            moved = self.index.move_folder(src, dest)
            if moved:
                log.info("moved %s -> %s (%d videos)", src, dest, moved)
            self.settler.touch(dest, now, PRIORITY_WATCH)
            return
        self.settler.discard(src)
        if is_video_name(dest) and self.index.video(src) is not None:
            self.index.move(src, dest)
            self._vanished.pop(src, None)
            log.info("moved %s -> %s", src, dest)
        elif is_video_name(src):
            self.settler.touch(src, now, PRIORITY_WATCH)
        if is_video_name(dest):  # renamed into place (rsync, a downloader): complete, like a closed file
            self.settler.touch(dest, now, PRIORITY_WATCH, closed=True)

    def _in_library(self, path: str) -> bool:
        """Under a root, and not in a hidden folder or the trash (which the rescan skips too)."""
        for root in self._roots_tried:
            prefix = root.rstrip(os.sep) + os.sep
            if path.startswith(prefix) or path == root:
                folders = path[len(prefix):].split(os.sep)[:-1]
                return not any(f.startswith(".") or f == TRASH_DIR for f in folders)
        return False

    def _settled(self, path: str, priority: int, now: float) -> None:
        if not self._in_library(path):
            if priority == PRIORITY_REQUEST:
                log.warning("%s: not under any root; ignored (is a --map missing?)", path)
            return
        try:
            st = os.stat(path)
        except FileNotFoundError:
            self._gone(path, now)
            return
        except OSError as exc:
            log.warning("%s: cannot look at it (%s)", path, exc.strerror or exc)
            return
        if stat.S_ISDIR(st.st_mode):  # a folder created or moved in: what it holds
            for f in walk_videos([path]):
                self.settler.touch(f.path, now, priority, delay=0.0)
            return
        if not stat.S_ISREG(st.st_mode) or not is_video_name(path):
            return
        self._vanished.pop(path, None)
        if self._unchanged(path, st):
            return
        failure = self._failures.get(path)
        if failure and now < failure[1]:
            self.settler.touch(path, now, priority, delay=failure[1] - now)
            return
        if path not in self._queued:
            self._queued.add(path)
            heapq.heappush(self._ready, (priority, next(self._order), path))

    def _unchanged(self, path: str, st: os.stat_result) -> bool:
        old = self.index.video(path)
        return bool(old and old.size == st.st_size and old.mtime == st.st_mtime and old.state in (INDEXED, ERROR))

    def _gone(self, path: str, now: float) -> None:
        self._failures.pop(path, None)
        self._vanished.setdefault(path, now + self.options.quiet * 2 + VANISH_EXTRA_SECONDS)

    def _forget_vanished(self, now: float) -> None:
        idle = not self._ready and not len(self.settler) and not self._current
        for path, due in list(self._vanished.items()):
            if now < due or not (idle or now > due + VANISH_MAX_SECONDS):
                continue
            del self._vanished[path]
            if os.path.lexists(path):
                continue
            forgotten = self.index.forget([path]) + self.index.forget_folder(path)
            if forgotten:
                log.info("forgot %s (%d video%s)", path, forgotten, "" if forgotten == 1 else "s")

    def _dispatch(self, path: str, now: float) -> None:
        try:
            st = os.stat(path)
        except OSError:
            self._gone(path, now)
            return
        if self._unchanged(path, st):
            return
        try:
            signature = content_signature(path, st.st_size)
        except FileNotFoundError:
            self._gone(path, now)
            return
        except OSError as exc:  # permission denied, I/O error: recorded, retried when it changes
            video_id = self.index.queue(path, st.st_size, st.st_mtime, None)
            self._failed(video_id, path, f"{path}: {exc.strerror or exc}")
            return
        if self.index.video(path) is None and self._follow_move(path, st, signature):
            return
        video_id = self.index.queue(path, st.st_size, st.st_mtime, signature)
        if copy_twin(self.index, video_id, signature):
            log.info("indexed %s (a copy of an indexed file)", path)
            return
        self.index.mark_indexing(video_id)
        self._current[video_id] = {"path": path, "progress": 0.0, "started_at": round(time.time(), 1)}
        self.pool.submit(Job(video_id, path))
        log.info("indexing %s", path)

    def _follow_move(self, path: str, st: os.stat_result, signature: str) -> bool:
        """A new path with the content of a vanished file is that file, moved: no decoding."""
        for old in self.index.videos_with_signature(signature):
            if old.path != path and old.size == st.st_size and not os.path.lexists(old.path):
                self.index.move(old.path, path)
                self.index.touch(path, st.st_mtime)
                self._vanished.pop(old.path, None)
                log.info("moved %s -> %s", old.path, path)
                return True
        return False

    def _done(self, job: Job, result: Result) -> None:
        self._current.pop(job.video_id, None)
        record = self.index.video_by_id(job.video_id)
        if record is None:  # forgotten while it was being read
            return
        try:
            st = os.stat(record.path)  # the path it has now: a rename while reading is followed
        except OSError:
            st = None
        if st is None or (st.st_size, st.st_mtime) != (record.size, record.mtime):
            # Changed or vanished while being read: the result describes bytes no longer there.
            self.index.queue(record.path, record.size, record.mtime, record.signature)
            self.settler.touch(record.path, time.monotonic(), PRIORITY_WATCH)
            return
        if result.fingerprint is None:
            self._failed(job.video_id, record.path, result.error)
            return
        fp = result.fingerprint
        self.index.save_fingerprint(job.video_id, fp.info, fp.frames, fp.crop)
        self._failures.pop(record.path, None)
        log.info("indexed %s (%d frames)", record.path, len(fp.frames))

    def _failed(self, video_id: int, path: str, message: str) -> None:
        self.index.mark_error(video_id, message)
        count = self._failures.get(path, (0, 0.0))[0] + 1
        delay = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (count - 1))
        self._failures[path] = (count, time.monotonic() + delay)
        log.warning("error: %s", message)


def run_daemon(options: DaemonOptions) -> int:
    return Daemon(options).run()
