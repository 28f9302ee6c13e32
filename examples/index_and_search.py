"""Index a folder and search a screenshot with the Python API.

    python examples/index_and_search.py examples/media "examples/media/Screenshots/meadow at 0-12.png"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from reelprint.images import load_image
from reelprint.indexer import index_paths
from reelprint.search import Searcher
from reelprint.store import Index


def main(folder: str, screenshot: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, Index.open(Path(tmp) / "index.db") as index:
        summary = index_paths(index, [folder])
        print(f"indexed {summary.indexed} videos, {summary.failed} failed")
        matches = Searcher(index).search_image(load_image(screenshot))
        if not matches:
            print("not in your library")
        for m in matches:
            print(f"{m.path} at {m.t:.2f} s (score {m.score:.2f})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
