"""The files of a library: which are videos, walking folders safely, content signatures."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Containers the bundled FFmpeg reads that people keep films in.
VIDEO_EXTENSIONS = frozenset({
    ".mp4", ".m4v", ".mkv", ".webm", ".avi", ".mov", ".mpg", ".mpeg", ".ogv", ".ts", ".m2ts", ".mts",
    ".wmv", ".flv", ".3gp", ".vob", ".divx",
})
# Where reelprint moves unwanted duplicates; never indexed, never watched.
TRASH_DIR = ".reelprint-trash"
# Bytes read from the start, middle and end of a file for its signature: enough to tell two
# films apart (container headers, index and payload differ) while costing 3 seeks on a NAS.
SIGNATURE_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FileStat:
    path: str
    size: int
    mtime: float


def is_video_name(path: str | Path) -> bool:
    name = os.path.basename(str(path))
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in VIDEO_EXTENSIONS


def walk_videos(paths: Iterable[str | Path]) -> Iterator[FileStat]:
    """Every video file under `paths` (files or folders), recursively.

    Follows symlinks but never the same folder twice (symlink loops), skips hidden folders and
    the trash, and passes over what it cannot read instead of stopping.
    """
    seen: set[tuple[int, int]] = set()
    for root in paths:
        root = os.path.abspath(str(root))
        try:
            st = os.stat(root)
        except OSError:
            continue
        if not os.path.isdir(root):
            if is_video_name(root):
                yield FileStat(root, st.st_size, st.st_mtime)
            continue
        yield from _walk_dir(root, seen)


def _walk_dir(folder: str, seen: set[tuple[int, int]]) -> Iterator[FileStat]:
    try:
        st = os.stat(folder)
    except OSError:
        return
    if (st.st_dev, st.st_ino) in seen:
        return
    seen.add((st.st_dev, st.st_ino))
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir():
                if not entry.name.startswith(".") and entry.name != TRASH_DIR:
                    yield from _walk_dir(entry.path, seen)
            elif entry.is_file() and is_video_name(entry.name):
                est = entry.stat()
                yield FileStat(entry.path, est.st_size, est.st_mtime)
        except OSError:
            continue


def content_signature(path: str | Path, size: int | None = None) -> str:
    """A fingerprint of the file's bytes (size plus three sampled chunks), not of its name."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size if size is None else size
        h.update(size.to_bytes(8, "little"))
        for offset in sorted({0, max(0, size // 2 - SIGNATURE_CHUNK // 2), max(0, size - SIGNATURE_CHUNK)}):
            f.seek(offset)
            h.update(f.read(SIGNATURE_CHUNK))
    return h.hexdigest()
