"""reelprint: a fingerprint index of a video library (the headless engine).

Importing this package never imports Textual or Rich; the admin UI lives in `reelprint.tui`.
"""

from reelprint.errors import DecodeError, ImageError, IndexVersionError, ReelprintError

__version__ = "0.1.0"
__all__ = ["DecodeError", "ImageError", "IndexVersionError", "ReelprintError", "__version__"]
