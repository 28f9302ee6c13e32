"""Save an SVG screenshot of each TUI screen for the README (docs/screenshots/).

    python examples/tui_screenshots.py examples/media docs/screenshots

Indexes the example library into a temporary database and drives the app with Textual's Pilot,
as the tests do: a screenshot searched, the duplicates found, a poster previewed.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from reelprint.indexer import index_paths
from reelprint.store import Index
from reelprint.tui.app import create_app

SIZE = (120, 36)


async def shoot(media: Path, out: Path, db: Path) -> None:
    app = create_app(db)
    async with app.run_test(size=SIZE) as pilot:

        async def settle() -> None:
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()

        async def save(name: str) -> None:
            await settle()
            app.save_screenshot(str(out / f"{name}.svg"))

        await save("library")
        await pilot.press("2")
        app.screen.query_one("#query").value = str(media / "Screenshots" / "harbour at 0-21.jpg")
        await pilot.press("enter")
        await save("search")
        await pilot.press("escape", "3")
        await save("duplicates")
        await pilot.press("4")
        await settle()
        app.screen.query_one("#poster-video").value = str(media / "Films" / "Meadow (2026).mp4")
        await save("posters")
        await pilot.press("escape", "5")
        await save("status")


def main(media: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    media = media.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "index.db"
        with Index.open(db) as index:
            index.add_root(str(media))
            index_paths(index, [media])
        asyncio.run(shoot(media, out, db))
    print(f"screenshots written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
