"""A progress bar for the CLI on stderr (plain text: the engine never imports Rich)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

# Redraw at most this often: a progress bar must not cost more than the work over SSH.
REDRAW_S = 0.1
WIDTH = 30


class ProgressBar:
    """`bar(fraction, label)` redraws one line in place on a terminal; elsewhere (a log, CI) it
    prints a line at each 10% step, so logs stay short."""

    def __init__(self, title: str, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.title = title
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty()
        self._last = 0.0
        self._step = -1
        self._drawn = False

    def __call__(self, fraction: float, label: str = "") -> None:
        if not self.enabled:
            return
        fraction = min(1.0, max(0.0, fraction))
        if self.tty:
            now = time.monotonic()
            if now - self._last < REDRAW_S and fraction < 1.0:
                return
            self._last = now
            filled = round(fraction * WIDTH)
            name = label[-40:] if label else ""
            self.stream.write(f"\r{self.title} [{'#' * filled}{'.' * (WIDTH - filled)}] {fraction:4.0%} {name:<40}")
            self._drawn = True
        elif (step := int(fraction * 10)) > self._step:
            self._step = step
            self.stream.write(f"{self.title}: {fraction:.0%}\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * (len(self.title) + WIDTH + 50) + "\r")
            self.stream.flush()
