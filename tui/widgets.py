"""Widgets shared by screens."""

from __future__ import annotations

from textual_image.renderable import Image as _DetectedRenderable
from textual_image.renderable.unicode import Image as _UnicodeRenderable
from textual_image.widget import HalfcellImage
from textual_image.widget import Image as _DetectedImage

# textual-image picks Kitty or Sixel graphics where the terminal has them. Where it has neither
# (or there is no terminal: tests, snapshots) its fallback is monochrome shading; coloured half
# blocks read far better and work in any truecolour terminal, SSH included.
FrameImage = HalfcellImage if _DetectedRenderable is _UnicodeRenderable else _DetectedImage
