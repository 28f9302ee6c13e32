"""Messages workers post to the UI: each carries the result of one engine call.

Widgets change only in the handlers of these messages, never from a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from textual.message import Message

from reelprint.dupes import Pair
from reelprint.keeper import Group
from reelprint.posters import PosterResult
from reelprint.search import Match
from reelprint.store import VideoRecord
from reelprint.trash import TrashMove


@dataclass
class LibraryLoaded(Message):
    videos: list[VideoRecord]
    status: dict
    roots: list[str]


@dataclass
class AnchorsLoaded(Message):
    path: str
    images: list[np.ndarray]


@dataclass
class IndexProgress(Message):
    fraction: float
    path: str

    def can_replace(self, message: Message) -> bool:
        # Only the latest progress matters: a slow SSH link must not queue thousands of redraws.
        return isinstance(message, IndexProgress)


@dataclass
class IndexFinished(Message):
    summary: dict


@dataclass
class SearchFinished(Message):
    query: Path
    query_image: np.ndarray
    matches: list[Match]
    frame_image: np.ndarray | None = None


@dataclass
class PosterPreviewed(Message):
    image: np.ndarray
    video: str


@dataclass
class PosterExported(Message):
    result: PosterResult


@dataclass
class StatusLoaded(Message):
    status: dict
    log_lines: list[str] = field(default_factory=list)


@dataclass
class DupesFound(Message):
    pairs: list[Pair]
    groups: list[Group]


@dataclass
class PairFrames(Message):
    a: np.ndarray
    b: np.ndarray


@dataclass
class TrashPlanned(Message):
    group: Group
    moves: list[TrashMove]


@dataclass
class TrashDone(Message):
    batch: str | None   # None for an undo
    done: list[str]
    refused: list[str]
