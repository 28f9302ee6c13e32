"""The database schema (peewee over SQLite). Only `store.py` reads and writes through these.

The database object is declared without a path and initialised once the path is known, as
peewee's author does; tables are listed explicitly in MODELS. A frame row is kept small
(WITHOUT ROWID, features packed into two short blobs) so that a frame costs at most 64 bytes
on disk: see BENCHMARKS.md.
"""

from __future__ import annotations

import time

from peewee import (
    BigIntegerField,
    BlobField,
    BooleanField,
    CompositeKey,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)

database = SqliteDatabase(None)

# Video.state values.
QUEUED, INDEXING, INDEXED, ERROR = "queued", "indexing", "indexed", "error"


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Root(BaseModel):
    """A library folder the daemon watches."""

    path = TextField(unique=True)
    polling = BooleanField(default=False)  # network mounts (NFS/SMB) miss inotify events
    added_at = FloatField(default=time.time)


class Video(BaseModel):
    path = TextField(unique=True)
    size = BigIntegerField(default=0)
    mtime = FloatField(default=0.0)
    signature = TextField(index=True, null=True)  # content, not name: survives a rename
    duration = FloatField(null=True)
    fps = FloatField(null=True)
    width = IntegerField(null=True)
    height = IntegerField(null=True)
    codec = TextField(null=True)
    crop = TextField(null=True)  # "top,bottom,left,right" fractions of the borders removed
    state = TextField(default=QUEUED, index=True)
    error = TextField(null=True)
    attempts = IntegerField(default=0)
    queued_at = FloatField(default=time.time)
    indexed_at = FloatField(null=True)


class Frame(BaseModel):
    # No index of its own: the primary key (video, t_ms) already leads with it.
    video = ForeignKeyField(Video, backref="frames", on_delete="CASCADE", column_name="video_id", index=False)
    t_ms = IntegerField()
    phash = BigIntegerField()      # 64-bit pHash as a signed int64 (see hashes.to_int64)
    layout = BlobField()           # 12-byte colour layout
    mean_rgb = IntegerField()      # 0xRRGGBB, linear-light average stored as sRGB
    palette = BlobField()          # 5 x RGB then 5 shares (/255): 20 bytes
    quality = IntegerField()       # 0..100
    swept = BooleanField(default=False)  # sampled by a sweep (`sampling.py`): duplicates leave it out

    class Meta:
        primary_key = CompositeKey("video", "t_ms")
        without_rowid = True


class Decision(BaseModel):
    """A person's verdict on a pair, kept against content signatures so it outlives renames."""

    signature_a = TextField()
    signature_b = TextField()
    verdict = TextField()  # "not_duplicate" | "keep_both"
    decided_at = FloatField(default=time.time)

    class Meta:
        indexes = ((("signature_a", "signature_b"), True),)


class Confirmation(BaseModel):
    """What decoding showed for a weak duplicate hypothesis (`confirm.py`), kept so a pair is
    decoded once: per compared moment, A's time and the pictures' similarity, as float32 pairs."""

    signature_a = TextField()   # the smaller signature; `offset_ms` is t_b - t_a in its time
    signature_b = TextField()
    offset_ms = IntegerField()
    mirrored = BooleanField()
    method = IntegerField()     # confirm.METHOD: results of an older comparison are not reused
    moments = BlobField()

    class Meta:
        indexes = ((("signature_a", "signature_b", "offset_ms", "mirrored", "method"), True),)


class Request(BaseModel):
    """Work asked of the daemon by the CLI, the TUI or a media-server hook; it polls this table.

    kind is "index" (look at `path` now: new, changed, renamed or deleted) or "rescan" (walk
    every root). The daemon deletes a row once it has taken it."""

    kind = TextField()
    path = TextField(null=True)
    created_at = FloatField(default=time.time)


class DaemonState(BaseModel):
    """The running daemon's heartbeat (one row, id 1), for `status --json` and the TUI."""

    pid = IntegerField(null=True)
    host = TextField(null=True)
    started_at = FloatField(null=True)
    heartbeat_at = FloatField(null=True)
    stopped_at = FloatField(null=True)
    queue = IntegerField(default=0)    # files waiting (settling after a write, or ready)
    current = TextField(default="[]")  # JSON list of {"path", "progress", "started_at"} being indexed


class TrashEntry(BaseModel):
    """The journal of files moved to a library's trash folder, so `reelprint undo` can put them back."""

    batch = TextField(index=True)          # one `dupes trash --yes` run
    source = TextField()                   # where the file was
    trashed = TextField()                  # where it is now, inside <root>/.reelprint-trash/
    size = BigIntegerField(default=0)
    signature = TextField(null=True)
    moved_at = FloatField(default=time.time)
    undone_at = FloatField(null=True)


MODELS: list[type[BaseModel]] = [Root, Video, Frame, Decision, Confirmation, Request, DaemonState, TrashEntry]
