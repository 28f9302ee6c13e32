"""Reading query images (screenshots, stills) into RGB arrays, with one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from reelprint.errors import ImageError

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
# Decompression-bomb guard: a screenshot is never bigger than this (16K x 16K).
MAX_PIXELS = 16384 * 16384


def load_image(path: str | Path) -> np.ndarray:
    """An image file as (h, w, 3) uint8 RGB; raises ImageError with a one-line reason."""
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a directory")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)  # phone screenshots come rotated by EXIF
            return np.asarray(im.convert("RGB"))
    except PermissionError:
        raise ImageError(f"{path}: permission denied") from None
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        reason = "not an image" if isinstance(exc, UnidentifiedImageError) else str(exc).splitlines()[0]
        raise ImageError(f"{path}: {reason}") from None


def image_files(paths: list[str | Path]) -> list[Path]:
    """Expand folders to the images inside them (sorted); files are kept as given."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS and f.is_file()))
        else:
            out.append(p)
    return out
