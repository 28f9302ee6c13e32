"""Errors the engine raises on bad input. Each carries a one-line message fit for a user."""


class ReelprintError(Exception):
    """Base class: anything the CLI reports as one line on stderr, without a traceback."""


class DecodeError(ReelprintError):
    """A file could not be read as a video (corrupt, truncated, not a video, unreadable)."""


class ImageError(ReelprintError):
    """A query image could not be read as an image."""


class IndexVersionError(ReelprintError):
    """The database was written by a newer reelprint, or is not a reelprint database."""
