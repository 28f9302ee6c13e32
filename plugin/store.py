"""The one layer that touches the database: open, check the schema, read and write.

Everything else in the engine works on plain values and numpy arrays and asks this module.
The database runs in WAL mode so the CLI and the TUI read while the daemon writes; all frames
of one video are written in one transaction, so a crash leaves a video either wholly indexed
or not at all.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import peewee
from peewee import fn

from reelprint.borders import LetterboxCrop
from reelprint.errors import IndexVersionError, ReelprintError
from reelprint.features import FRAME_DTYPE
from reelprint.hashes import to_int64
from reelprint.models import (
    ERROR,
    INDEXED,
    INDEXING,
    MODELS,
    QUEUED,
    Decision,
    Frame,
    Root,
    Video,
    database,
)
from reelprint.store_confirm import ConfirmationStore
from reelprint.store_daemon import DaemonStore
from reelprint.store_journal import TrashJournal
from reelprint.store_search import SearchStore

SCHEMA_VERSION = 2

# Migrations from version N to N+1, run in order inside one transaction, after a copy of the
# file is kept beside it (`index.db.bak-vN`).
MIGRATIONS: dict[int, Callable[[peewee.Database], None]] = {
    1: lambda db: db.execute_sql("ALTER TABLE frame ADD COLUMN swept INTEGER NOT NULL DEFAULT 0"),
}


@dataclass(frozen=True)
class VideoRecord:
    id: int
    path: str
    size: int
    mtime: float
    signature: str | None
    duration: float | None
    fps: float | None
    width: int | None
    height: int | None
    codec: str | None
    crop: LetterboxCrop | None
    state: str
    error: str | None
    frames: int = 0


def _record(v: Video, frames: int = 0) -> VideoRecord:
    crop = LetterboxCrop(*map(float, v.crop.split(","))) if v.crop else None
    return VideoRecord(v.id, v.path, v.size, v.mtime, v.signature, v.duration, v.fps, v.width, v.height,
                       v.codec, crop, v.state, v.error, frames)


def _pack_rows(video_id: int, frames: np.ndarray) -> Iterator[tuple]:
    rgb = frames["mean_rgb"].astype(np.int64)
    mean = (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
    palette = np.concatenate([frames["palette"].reshape(len(frames), -1), frames["shares"]], axis=1)
    t_ms = np.rint(frames["t"] * 1000).astype(np.int64)
    for i in range(len(frames)):
        yield (video_id, int(t_ms[i]), to_int64(int(frames["phash"][i])), frames["layout"][i].tobytes(),
               int(mean[i]), palette[i].tobytes(), int(frames["quality"][i]), bool(frames["swept"][i]))


def _unpack_rows(rows: list[tuple]) -> np.ndarray:
    out = np.zeros(len(rows), dtype=FRAME_DTYPE)
    if not rows:
        return out
    t_ms, phash, layout, mean, palette, quality, swept = zip(*rows, strict=True)
    out["t"] = np.array(t_ms, dtype=np.float64) / 1000
    out["phash"] = np.array(phash, dtype=np.int64).view(np.uint64)
    out["layout"] = np.frombuffer(b"".join(layout), np.uint8).reshape(-1, 12)
    m = np.array(mean, dtype=np.int64)
    out["mean_rgb"] = np.stack([(m >> 16) & 255, (m >> 8) & 255, m & 255], axis=1)
    pal = np.frombuffer(b"".join(palette), np.uint8).reshape(len(rows), -1)
    out["palette"] = pal[:, :15].reshape(-1, 5, 3)
    out["shares"] = pal[:, 15:20]
    out["quality"] = quality
    out["swept"] = swept
    return out


class Index(TrashJournal, DaemonStore, ConfirmationStore, SearchStore):
    """An open reelprint database. Use as a context manager, or call `close()`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.db = database

    @classmethod
    def open(cls, path: Path | str, create: bool = True) -> Index:
        index = cls(path)
        index._connect(create)
        return index

    def _connect(self, create: bool) -> None:
        if not self.path.exists():
            if not create:
                raise ReelprintError(f"{self.path}: no such database (index something first)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not os.access(self.path, os.R_OK):
            raise ReelprintError(f"{self.path}: database not readable (permission denied)")
        if not self.db.is_closed():
            self.db.close()
        self.db.init(str(self.path), timeout=30, pragmas={
            "journal_mode": "wal",
            "foreign_keys": 1,
            "synchronous": "normal",   # WAL + normal: durable at checkpoints, never corrupt
            "busy_timeout": 30000,
        })
        try:
            self.db.connect(reuse_if_open=True)
            self._check_schema()
        except (peewee.DatabaseError, sqlite3.DatabaseError) as exc:
            self.db.close()
            raise IndexVersionError(f"{self.path}: not a reelprint database ({exc})") from None

    def _check_schema(self) -> None:
        version = self.db.execute_sql("PRAGMA user_version").fetchone()[0]
        tables = set(self.db.get_tables())
        if version == 0 and not tables:
            with self.db.atomic():
                self.db.create_tables(MODELS)
                self.db.execute_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if version == 0 or version > SCHEMA_VERSION:
            self.db.close()
            what = "an unknown schema" if version == 0 else f"schema v{version}"
            raise IndexVersionError(
                f"{self.path}: written by {'another program' if version == 0 else 'a newer reelprint'}"
                f" ({what}; this reelprint reads v{SCHEMA_VERSION}). Upgrade reelprint or use another --db.")
        if version < SCHEMA_VERSION:
            self._migrate(version)
        elif not all(m._meta.table_name in tables for m in MODELS):
            self.db.create_tables(MODELS, safe=True)  # a table added within this version

    def _migrate(self, version: int) -> None:
        backup = self.path.with_name(f"{self.path.name}.bak-v{version}")
        self.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy2(self.path, backup)
        with self.db.atomic():
            for v in range(version, SCHEMA_VERSION):
                MIGRATIONS[v](self.db)
            self.db.create_tables(MODELS, safe=True)
            self.db.execute_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.db.atomic():
            yield

    # -- videos -------------------------------------------------------------------------------

    def video(self, path: str) -> VideoRecord | None:
        v = Video.get_or_none(Video.path == path)
        return _record(v) if v else None

    def video_by_id(self, video_id: int) -> VideoRecord | None:
        v = Video.get_or_none(Video.id == video_id)
        return _record(v) if v else None

    def videos(self, under: Iterable[str] | None = None, state: str | None = None) -> list[VideoRecord]:
        counts = dict(Frame.select(Frame.video, fn.COUNT(Frame.t_ms)).group_by(Frame.video).tuples())
        query = Video.select().order_by(Video.path)
        if state:
            query = query.where(Video.state == state)
        records = [_record(v, counts.get(v.id, 0)) for v in query]
        if under is not None:
            prefixes = [p.rstrip(os.sep) + os.sep for p in under]
            records = [r for r in records if any(r.path.startswith(p) for p in prefixes)
                       or r.path in {p.rstrip(os.sep) for p in under}]
        return records

    def videos_with_signature(self, signature: str) -> list[VideoRecord]:
        return [_record(v) for v in Video.select().where(Video.signature == signature)]

    def queue(self, path: str, size: int, mtime: float, signature: str | None) -> int:
        """Record a file as waiting to be indexed; returns its video id. Old frames are kept
        until the new fingerprint replaces them, so search goes on working meanwhile."""
        with self.db.atomic():
            v = Video.get_or_none(Video.path == path)
            if v is None:
                v = Video.create(path=path, size=size, mtime=mtime, signature=signature)
            else:
                v.size, v.mtime, v.signature, v.state, v.error = size, mtime, signature, QUEUED, None
                v.queued_at = time.time()
                v.save()
            return v.id

    def mark_indexing(self, video_id: int) -> None:
        Video.update(state=INDEXING, attempts=Video.attempts + 1).where(Video.id == video_id).execute()

    def mark_error(self, video_id: int, message: str) -> None:
        with self.db.atomic():
            Frame.delete().where(Frame.video == video_id).execute()
            Video.update(state=ERROR, error=message, indexed_at=time.time()).where(Video.id == video_id).execute()

    def save_fingerprint(self, video_id: int, info: object, frames: np.ndarray, crop: object) -> None:
        """Replace a video's frames and metadata in one transaction."""
        rows = list(_pack_rows(video_id, frames))
        crop_text = ",".join(f"{getattr(crop, s):.4f}" for s in ("top", "bottom", "left", "right"))
        with self.db.atomic():
            Frame.delete().where(Frame.video == video_id).execute()
            for start in range(0, len(rows), 500):
                Frame.insert_many(rows[start:start + 500], fields=[
                    Frame.video, Frame.t_ms, Frame.phash, Frame.layout, Frame.mean_rgb, Frame.palette,
                    Frame.quality, Frame.swept]).execute()
            Video.update(
                duration=info.duration, fps=info.fps, width=info.width, height=info.height, codec=info.codec,
                crop=crop_text, state=INDEXED, error=None, indexed_at=time.time(),
            ).where(Video.id == video_id).execute()

    def copy_fingerprint(self, source_id: int, video_id: int) -> None:
        """Give `video_id` the frames and metadata of `source_id` (a byte-identical copy)."""
        src = Video.get_by_id(source_id)
        with self.db.atomic():
            Frame.delete().where(Frame.video == video_id).execute()
            self.db.execute_sql(
                "INSERT INTO frame (video_id, t_ms, phash, layout, mean_rgb, palette, quality, swept) "
                "SELECT ?, t_ms, phash, layout, mean_rgb, palette, quality, swept FROM frame WHERE video_id = ?",
                (video_id, source_id))
            Video.update(duration=src.duration, fps=src.fps, width=src.width, height=src.height,
                         codec=src.codec, crop=src.crop, state=INDEXED, error=None,
                         indexed_at=time.time()).where(Video.id == video_id).execute()

    def touch(self, path: str, mtime: float) -> None:
        """A moved file keeps its fingerprint; only its recorded mtime follows the new file."""
        Video.update(mtime=mtime).where(Video.path == path).execute()

    def move(self, old_path: str, new_path: str) -> None:
        """A file was renamed or moved: keep its fingerprint under the new path."""
        with self.db.atomic():
            Video.delete().where(Video.path == new_path, Video.path != old_path).execute()
            Video.update(path=new_path).where(Video.path == old_path).execute()

    def forget(self, paths: Iterable[str]) -> int:
        """Remove videos (and their frames). Decisions stay, keyed by content signature."""
        paths = list(paths)
        with self.db.atomic():
            return sum(Video.delete().where(Video.path.in_(paths[i:i + 500])).execute()
                       for i in range(0, len(paths), 500))

    def reset_interrupted(self) -> int:
        """Videos left 'indexing' by a process that died go back to the queue."""
        return Video.update(state=QUEUED).where(Video.state == INDEXING).execute()

    # -- frames -------------------------------------------------------------------------------

    def frames(self, video_id: int, swept: bool = True) -> np.ndarray:
        """The stored frames of one video, in time order, as a FRAME_DTYPE array; `swept=False`
        leaves out those a sweep sampled."""
        rows = self.db.execute_sql(
            "SELECT t_ms, phash, layout, mean_rgb, palette, quality, swept FROM frame WHERE video_id = ? "
            f"{'' if swept else 'AND NOT swept '}ORDER BY t_ms", (video_id,)).fetchall()
        return _unpack_rows(rows)

    # -- posters --------------------------------------------------------------------------------

    def videos_containing(self, text: str, limit: int = 20) -> list[VideoRecord]:
        """Videos whose path contains `text` (case-insensitive), at most `limit`, by path."""
        query = (Video.select().where(fn.instr(fn.lower(Video.path), text.lower()) > 0)
                 .order_by(Video.path).limit(limit))
        return [_record(v) for v in query]

    def find_video(self, name: str) -> VideoRecord:
        """An indexed video by its path, or by a piece of its path that only one video's path
        contains (case-insensitive). Anything else is one clear ReelprintError."""
        exact = self.video(os.path.abspath(name)) or self.video(name)
        if exact is None:
            if os.path.isfile(name):
                raise ReelprintError(f"{name}: not in the index (run `reelprint index` on it first)")
            found = self.videos_containing(name, limit=6)
            if not found:
                raise ReelprintError(f"{name}: no indexed video's path contains this")
            if len(found) > 1:
                shown = ", ".join(os.path.basename(v.path) for v in found[:5])
                more = " ..." if len(found) > 5 else ""
                raise ReelprintError(f"{name}: matches several videos ({shown}{more}); give more of the path")
            exact = found[0]
        if exact.state != INDEXED:
            why = f": {exact.error}" if exact.error else ""
            raise ReelprintError(f"{exact.path}: not indexed yet (state {exact.state}{why})")
        return exact
    # -- roots, decisions, status -------------------------------------------------------------

    def roots(self) -> list[str]:
        return [r.path for r in Root.select().order_by(Root.path)]

    def add_root(self, path: str, polling: bool = False) -> None:
        Root.insert(path=path, polling=polling).on_conflict_ignore().execute()

    def remove_root(self, path: str) -> bool:
        return Root.delete().where(Root.path == path).execute() > 0

    def decisions(self) -> dict[frozenset[str], str]:
        return {frozenset((d.signature_a, d.signature_b)): d.verdict for d in Decision.select()}

    def decide(self, signature_a: str, signature_b: str, verdict: str) -> None:
        a, b = sorted((signature_a, signature_b))
        Decision.insert(signature_a=a, signature_b=b, verdict=verdict).on_conflict_replace().execute()

    def status(self) -> dict[str, int]:
        counts = dict(Video.select(Video.state, fn.COUNT(Video.id)).group_by(Video.state).tuples())
        return {
            "videos": sum(counts.values()),
            "indexed": counts.get(INDEXED, 0),
            "frames": Frame.select().count(),
            "queued": counts.get(QUEUED, 0),
            "indexing": counts.get(INDEXING, 0),
            "errors": counts.get(ERROR, 0),
        }

    def known_files(self, under: Iterable[str]) -> dict[str, VideoRecord]:
        """Every video recorded under the folders `under`, by path, without counting frames
        (cheap on a large index: the daemon's reconcile compares these with the disk)."""
        prefixes = tuple(p.rstrip(os.sep) + os.sep for p in under)
        exact = {p.rstrip(os.sep) for p in under}
        return {v.path: _record(v) for v in Video.select()
                if v.path.startswith(prefixes) or v.path in exact}
