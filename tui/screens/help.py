"""Help: what each screen is for and its keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# reelprint

**1** Library · **2** Search · **3** Duplicates · **4** Posters · **5** Status · **?** this help ·
**ctrl+p** every action by name · **q** quit

## Library
Roots are the folders reelprint watches. **a** add a root, **d** remove the highlighted root,
**i** index now (the daemon does this by itself when it runs), **/** filter, **s** change the sort.

## Search
Type or paste the path of a screenshot (**Tab** completes) and press Enter, or **o** to pick one.
You get the video and the time it comes from, with a score (1 = the same picture) and the margin
over the runner-up, or an honest "not in your library".

## Duplicates
Groups of files that are the same film, with the space you would get back, the suggested keeper
and why. Moving a copy to the trash asks first, shows what will move, and can be undone (**u**).

## Posters
Choose a video, a mode and a size; the preview follows your choices; **e** exports a PNG or SVG.

## Status
Whether the daemon is running, what it is doing, errors with their messages, the daemon's log.

Press **escape** to close.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape", "dismiss", "Close"), ("question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Markdown(HELP)
