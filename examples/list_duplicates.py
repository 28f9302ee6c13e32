"""List duplicates, excerpts and overlaps, and plan (never carry out) moving the spare copies.

    python examples/list_duplicates.py examples/media
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from reelprint.dupes import find_pairs
from reelprint.indexer import index_paths
from reelprint.keeper import KeeperRules, group_pairs
from reelprint.store import Index
from reelprint.trash import plan_trash


def main(folder: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, Index.open(Path(tmp) / "index.db") as index:
        index_paths(index, [folder])
        pairs = find_pairs(index)
        for p in pairs:
            print(f"{p.kind}: {p.a} {p.a_span} ~ {p.b} {p.b_span} (similarity {p.similarity:.2f})")
        groups = group_pairs(pairs, {v.path: v for v in index.videos()}, KeeperRules())
        for g in groups:
            print(f"keep {g.keep}: {g.why} ({g.reclaimable_bytes} bytes reclaimable)")
        for move in plan_trash(index, groups, roots=[folder]):  # a plan only: apply_trash would move
            print(f"would move {move.source} -> {move.target or move.reason}")


if __name__ == "__main__":
    main(sys.argv[1])
