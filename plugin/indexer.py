"""Fingerprinting files and keeping the index in step with folders on disk.

`fingerprint` is pure (a file in, features out, no database) so that worker processes can run
it; `index_paths` is the incremental one-shot indexer behind `reelprint index`: unchanged files
are skipped, changed files redone, moved files followed by content signature, removed files
forgotten, and a bad file is recorded with its error while the run goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reelprint.borders import LetterboxCrop, agreed_crop, find_borders
from reelprint.decode import VideoInfo
from reelprint.errors import DecodeError
from reelprint.features import FRAME_DTYPE, frame_features
from reelprint.library import FileStat, content_signature, walk_videos
from reelprint.models import ERROR
from reelprint.sampling import SamplingPolicy, sample_frames
from reelprint.store import Index, VideoRecord

# Frames held in memory before their features are computed: bounds memory on long films
# (256 frames at 256x144 RGB is 28 MB) while letting a chunk agree on its letterbox crop.
CHUNK_FRAMES = 256

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Fingerprint:
    info: VideoInfo
    frames: np.ndarray   # FRAME_DTYPE, time order
    crop: LetterboxCrop  # the borders most frames agreed on


def fingerprint(path: str | Path, policy: SamplingPolicy = SamplingPolicy(),
                progress: Callable[[float], None] | None = None) -> Fingerprint:
    """Decode the chosen frames of one video and compute their features. Raises DecodeError."""
    info, frames = sample_frames(path, policy, progress)
    parts, crops = [], []
    chunk: list = []

    def flush() -> None:
        chunk_crops = [find_borders(f.image) for f in chunk]
        crop = agreed_crop(chunk_crops)
        crops.extend(chunk_crops)
        features = frame_features([f.image for f in chunk], [f.t for f in chunk], crop)
        features["swept"] = [f.swept for f in chunk]
        parts.append(features)
        chunk.clear()

    for frame in frames:
        chunk.append(frame)
        if len(chunk) >= CHUNK_FRAMES:
            flush()
    if chunk:
        flush()
    out = np.concatenate(parts) if parts else np.zeros(0, FRAME_DTYPE)
    out = out[np.argsort(out["t"], kind="stable")]
    # Two frames rounding to the same millisecond would collide in the index's key.
    keep = np.concatenate([[True], np.diff(np.rint(out["t"] * 1000)) > 0]) if len(out) else []
    return Fingerprint(info, out[keep], agreed_crop(crops))


@dataclass
class IndexSummary:
    found: int = 0
    indexed: int = 0
    unchanged: int = 0
    moved: int = 0
    copied: int = 0
    removed: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _under(paths: Iterable[str | Path]) -> list[str]:
    return [os.path.abspath(str(p)) for p in paths]


def index_file(index: Index, video_id: int, path: str, policy: SamplingPolicy = SamplingPolicy(),
               progress: Callable[[float], None] | None = None) -> str | None:
    """Fingerprint one queued video and store the result. Returns the error message, if any."""
    index.mark_indexing(video_id)
    fp, error = fingerprint_or_error(path, policy, progress)
    if fp is None:
        index.mark_error(video_id, error)
        return error
    index.save_fingerprint(video_id, fp.info, fp.frames, fp.crop)
    return None


def fingerprint_or_error(path: str, policy: SamplingPolicy = SamplingPolicy(),
                         progress: Callable[[float], None] | None = None) -> tuple[Fingerprint | None, str]:
    """`fingerprint`, with a bad or unreadable file turned into its one-line error message."""
    try:
        return fingerprint(path, policy, progress), ""
    except DecodeError as exc:
        return None, str(exc)
    except (OSError, MemoryError) as exc:
        return None, f"{path}: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}"


def index_paths(index: Index, paths: Iterable[str | Path], policy: SamplingPolicy = SamplingPolicy(),
                progress: Progress | None = None, again: bool = False) -> IndexSummary:
    """Bring the index in step with the video files under `paths`; `again` fingerprints unchanged
    files again too (after an upgrade that samples differently, such as sweeps)."""
    roots = _under(paths)
    summary = IndexSummary()
    on_disk = {f.path: f for f in walk_videos(roots)}
    known = {v.path: v for v in index.videos(under=roots)}
    summary.found = len(on_disk)

    gone = {p: v for p, v in known.items() if p not in on_disk}
    todo: list[tuple[FileStat, str | None]] = []
    for path, stat in on_disk.items():
        old = known.get(path)
        if old and old.size == stat.size and old.mtime == stat.mtime and old.state in ("indexed", ERROR) \
                and not again:
            summary.unchanged += 1
            continue
        try:
            signature = content_signature(path, stat.size)
        except OSError as exc:
            summary.failed += 1
            summary.errors.append((path, f"{path}: {exc.strerror or exc}"))
            continue
        if old is None and _follow_move(index, gone, stat, signature):
            summary.moved += 1
            continue
        todo.append((stat, signature))

    summary.removed = index.forget(gone)
    for i, (stat, signature) in enumerate(todo):
        def file_progress(frac: float, i: int = i, path: str = stat.path) -> None:
            if progress is not None:
                progress((i + frac) / len(todo), path)

        file_progress(0.0)
        video_id = index.queue(stat.path, stat.size, stat.mtime, signature)
        if not again and copy_twin(index, video_id, signature):
            summary.copied += 1
            continue
        error = index_file(index, video_id, stat.path, policy, file_progress)
        if error:
            summary.failed += 1
            summary.errors.append((stat.path, error))
        else:
            summary.indexed += 1
    if progress is not None:
        progress(1.0, "")
    return summary


def _follow_move(index: Index, gone: dict[str, VideoRecord], stat: FileStat, signature: str) -> bool:
    """A new path with the content of a vanished one is that file, moved: keep its fingerprint."""
    for old_path, old in list(gone.items()):
        if old.signature == signature and old.size == stat.size:
            index.move(old_path, stat.path)
            index.touch(stat.path, stat.mtime)
            del gone[old_path]
            return True
    return False


def copy_twin(index: Index, video_id: int, signature: str | None) -> bool:
    """A byte-identical copy of an indexed file gets that file's fingerprint without decoding."""
    if signature is None:
        return False
    for twin in index.videos_with_signature(signature):
        if twin.id != video_id and twin.state == "indexed" and os.path.exists(twin.path):
            index.copy_fingerprint(twin.id, video_id)
            return True
    return False
