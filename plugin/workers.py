"""Worker processes that fingerprint files for the daemon, which alone writes the database.

`indexer.fingerprint` is pure (a path in, features out), so it runs in a few `nice`d processes
while the daemon's main process keeps the only database connection. Each worker has its own
pipe: jobs go down, progress and results come back, so the daemon can show how far along the
current file is. A worker that dies (a decoder crash, the OOM killer) is reported as that file's
error and replaced; workers die with the daemon (PR_SET_PDEATHSIG), so kill -9 leaves no orphans.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from reelprint.indexer import Fingerprint, fingerprint_or_error

# Niceness of the workers: indexing yields the CPU to the media server streaming a film.
WORKER_NICE = 10
# Seconds between progress messages from a worker: enough for a live progress bar.
PROGRESS_INTERVAL = 0.5
# A worker holds 70 MB once NumPy, OpenCV and PyAV are imported and ~110 MB after a 1080p film
# (psutil, bench/daemon_memory.py) and takes ~1 s to start: kept while work keeps coming,
# stopped after a minute without any.
WORKER_IDLE_SECONDS = 60.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Job:
    video_id: int
    path: str


@dataclass(frozen=True)
class Result:
    job: Job
    fingerprint: Fingerprint | None
    error: str


def _die_with_parent() -> None:
    # Not Linux: no prctl, and the pipe's EOF still ends a worker once it is idle.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _worker_main(conn: Connection, nice: int) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the daemon's to handle
    if nice:
        os.nice(nice)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        last = 0.0

        def progress(fraction: float, job: Job = job) -> None:
            nonlocal last
            if time.monotonic() - last >= PROGRESS_INTERVAL:
                last = time.monotonic()
                conn.send(("progress", job, fraction))

        fp, error = fingerprint_or_error(job.path, progress=progress)
        conn.send(("done", job, Result(job, fp, error)))


class _Worker:
    def __init__(self, ctx: multiprocessing.context.SpawnContext, nice: int) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, nice), daemon=True, name="reelprint-worker")
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.idle_since = time.monotonic()


class WorkerPool:
    """Up to `size` worker processes, one job each at most: the bounded part of the daemon's queue.

    Workers start when there is work and stop after WORKER_IDLE_SECONDS without any, so an idle
    daemon holds only its main process."""

    def __init__(self, size: int, nice: int = WORKER_NICE) -> None:
        self._ctx = multiprocessing.get_context("spawn")  # no inherited threads or database handles
        self._nice = nice
        self._size = max(1, size)
        self._workers: list[_Worker] = []

    def idle(self) -> int:
        return self._size - len(self.busy())

    def busy(self) -> list[Job]:
        return [w.job for w in self._workers if w.job is not None]

    def submit(self, job: Job) -> None:
        worker = next((w for w in self._workers if w.job is None), None)
        if worker is None:
            worker = _Worker(self._ctx, self._nice)
            self._workers.append(worker)
        worker.job = job
        worker.conn.send(job)

    def reap(self) -> None:
        """Stop the workers that have had nothing to do for WORKER_IDLE_SECONDS."""
        now = time.monotonic()
        for worker in [w for w in self._workers if w.job is None and now - w.idle_since > WORKER_IDLE_SECONDS]:
            self._workers.remove(worker)
            with contextlib.suppress(OSError):
                worker.conn.send(None)
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()

    def poll(self, timeout: float) -> list[tuple[str, Job, object]]:
        """Messages from the workers within `timeout` seconds: ("progress", job, fraction) and
        ("done", job, Result). A worker that died yields its job's Result with an error."""
        if not self._workers:
            time.sleep(timeout)
            return []
        by_handle = {}
        for w in self._workers:
            by_handle[w.conn] = w
            by_handle[w.process.sentinel] = w
        out: list[tuple[str, Job, object]] = []
        for handle in wait(list(by_handle), timeout):
            worker = by_handle[handle]
            if handle is worker.conn:
                try:
                    while worker.conn.poll():
                        kind, job, payload = worker.conn.recv()
                        if kind == "done":
                            worker.job, worker.idle_since = None, time.monotonic()
                        out.append((kind, job, payload))
                except (EOFError, OSError):
                    pass  # its sentinel reports the death
            elif not worker.process.is_alive():
                out.extend(self._replace(worker))
        return out

    def _replace(self, worker: _Worker) -> list[tuple[str, Job, object]]:
        """A worker died: report its job as failed; a new one starts with the next job."""
        self._workers.remove(worker)
        code = worker.process.exitcode
        out: list[tuple[str, Job, object]] = []
        try:
            while worker.conn.poll():  # what it sent before dying still counts
                kind, job, payload = worker.conn.recv()
                if kind == "done":
                    worker.job = None
                out.append((kind, job, payload))
        except (EOFError, OSError):
            pass
        worker.conn.close()
        if worker.job is not None:
            error = f"{worker.job.path}: the decoder crashed on this file (worker exit code {code})"
            out.append(("done", worker.job, Result(worker.job, None, error)))
        return out

    def stop(self) -> None:
        """Abandon whatever is running: the database only ever sees whole results."""
        for w in self._workers:
            if w.process.is_alive():
                w.process.terminate()
        for w in self._workers:
            w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()
