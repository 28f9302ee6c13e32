"""Per-frame features, computed for many frames at once: pure functions over numpy arrays.

For each frame (after its borders are cut away):
- `phash`: ImageHash's 64-bit DCT hash (32x32 grey, low 8x8 DCT block above its median).
- `layout`: a 12-byte colour layout (MPEG-7 style: 8x8 YCbCr thumbnail, DCT, the lowest
  6 luma and 3+3 chroma coefficients). Grey hashes confuse different scenes of the same
  brightness pattern; the layout tells a red sky from a blue one.
- `mean_rgb`: the average colour in linear light, stored as sRGB.
- `palette` / `shares`: 5 dominant colours (OKLab k-means) and their shares (/255).
- `quality`: 0..100 from the luma contrast; black, white, flat and fade frames score near 0
  and are never evidence of a match.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from reelprint import colour
from reelprint.borders import LetterboxCrop, agreed_crop, find_borders
from reelprint.hashes import bits_to_uint64

FRAME_DTYPE = np.dtype([
    ("t", "<f8"),
    ("phash", "<u8"),
    ("layout", "u1", (12,)),
    ("mean_rgb", "u1", (3,)),
    ("palette", "u1", (colour.PALETTE_SIZE, 3)),
    ("shares", "u1", (colour.PALETTE_SIZE,)),
    ("quality", "u1"),
    ("swept", "?"),  # sampled where a sweep saw the picture change (`sampling.py`), not at a cut
])

# Luma standard deviation (0..255) that maps to quality 100. A frame of ordinary film content
# has a std of 40-70; a fade halfway to black about 15; a title card on black 20-30.
FULL_QUALITY_STD = 48.0
# Below this quality a frame is never evidence: black, white, flat and deep fade frames.
# Quality 12 is a luma std of ~6: what a black frame with encoder noise or a sky gradient has.
EVIDENCE_MIN_QUALITY = 12

_PHASH_SIZE = 32
_N = np.arange(_PHASH_SIZE)
# DCT-II basis (unnormalised, like scipy's): the median threshold ignores the scale.
_DCT32 = np.cos(np.pi * np.outer(np.arange(8), 2 * _N + 1) / (2 * _PHASH_SIZE))
_DCT8 = np.array(
    [[np.sqrt((1 if k == 0 else 2) / 8) * np.cos(np.pi * k * (2 * n + 1) / 16) for n in range(8)]
     for k in range(8)]
)
# Zigzag positions (row = vertical frequency, col = horizontal frequency).
_ZIGZAG_Y = [(0, 0), (0, 1), (1, 0), (2, 0), (1, 1), (0, 2)]
_ZIGZAG_C = [(0, 0), (0, 1), (1, 0)]
# Layout coefficients whose horizontal frequency is odd change sign when a frame is mirrored.
LAYOUT_MIRROR_SIGN = np.array(
    [(-1 if c % 2 else 1) for _, c in _ZIGZAG_Y] + [(-1 if c % 2 else 1) for _, c in _ZIGZAG_C] * 2
)
_AC_SCALE = 4.0


def phash_batch(grey32: np.ndarray) -> np.ndarray:
    """(F, 32, 32) grey images -> (F,) uint64 pHashes, bit-compatible with imagehash.phash."""
    x = np.asarray(grey32, dtype=np.float64)
    low = np.einsum("ki,fij,lj->fkl", _DCT32, x, _DCT32)      # (F, 8, 8) lowest frequencies
    med = np.median(low.reshape(len(x), -1), axis=1)
    return bits_to_uint64((low > med[:, None, None]).reshape(len(x), 64))


def layout_batch(rgb8: np.ndarray) -> np.ndarray:
    """(F, 8, 8, 3) uint8 RGB thumbnails -> (F, 12) uint8 colour layouts."""
    rgb8 = np.asarray(rgb8, dtype=np.uint8)
    ycc = cv2.cvtColor(rgb8.reshape(-1, 8, 3), cv2.COLOR_RGB2YCrCb).reshape(rgb8.shape).astype(np.float64)
    coeffs = np.einsum("ki,fijc,lj->fklc", _DCT8, ycc, _DCT8)  # (F, 8, 8, 3): Y, Cr, Cb
    y = np.stack([coeffs[:, r, c, 0] for r, c in _ZIGZAG_Y], axis=1)
    cb = np.stack([coeffs[:, r, c, 2] for r, c in _ZIGZAG_C], axis=1)
    cr = np.stack([coeffs[:, r, c, 1] for r, c in _ZIGZAG_C], axis=1)
    out = np.concatenate([y, cb, cr], axis=1)
    dc = [0, 6, 9]
    out[:, dc] /= 8.0  # DC of the orthonormal 8x8 DCT is 8x the mean: store the mean
    ac = np.ones(12, bool)
    ac[dc] = False
    out[:, ac] = out[:, ac] / _AC_SCALE + 128
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def mirror_layout(layout: np.ndarray) -> np.ndarray:
    """The colour layout of the left-right mirrored frame, from the layout alone."""
    signed = layout.astype(np.int16) - np.where(LAYOUT_MIRROR_SIGN < 0, 128, 0)
    flipped = np.where(LAYOUT_MIRROR_SIGN < 0, 128 - signed, layout.astype(np.int16))
    return np.clip(flipped, 0, 255).astype(np.uint8)


def layout_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Weighted L2 distance between colour layouts (broadcasting); DC terms count most."""
    weights = np.array([2, 2, 2, 1, 1, 1, 2, 1, 1, 4, 2, 2], dtype=np.float32)
    d = np.asarray(a, np.float32) - np.asarray(b, np.float32)
    return np.sqrt((weights * d * d).sum(-1))


def quality_batch(grey: np.ndarray) -> np.ndarray:
    """(F, H, W) grey -> (F,) uint8 quality 0..100 from luma contrast."""
    std = np.asarray(grey, dtype=np.float32).reshape(len(grey), -1).std(axis=1)
    return np.clip(np.rint(std * 100 / FULL_QUALITY_STD), 0, 100).astype(np.uint8)


def frame_features(images: Sequence[np.ndarray], times: Sequence[float],
                   crop: LetterboxCrop | None = None, seed: int = 0) -> np.ndarray:
    """Features of frames of one video: a FRAME_DTYPE array, one row per image.

    `crop` is the video's border crop; None finds the crop the frames agree on.
    """
    out = np.zeros(len(images), dtype=FRAME_DTYPE)
    if not len(images):
        return out
    if crop is None:
        crop = agreed_crop([find_borders(im) for im in images])
    grey32, rgb8, rgb64 = [], [], []
    for im in images:
        content = crop.apply(im)
        grey = cv2.cvtColor(content, cv2.COLOR_RGB2GRAY)
        grey32.append(cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA))
        rgb8.append(cv2.resize(content, (8, 8), interpolation=cv2.INTER_AREA))
        rgb64.append(cv2.resize(content, (64, 64), interpolation=cv2.INTER_AREA))
    grey32_a, rgb64_a = np.stack(grey32), np.stack(rgb64)
    out["t"] = times
    out["phash"] = phash_batch(grey32_a)
    out["layout"] = layout_batch(np.stack(rgb8))
    out["mean_rgb"] = colour.mean_colour(rgb64_a)
    out["quality"] = quality_batch(grey32_a)
    rng = np.random.default_rng(seed)
    pick = rng.choice(64 * 64, size=colour.PALETTE_SAMPLE, replace=False)
    centres, shares = colour.palettes(rgb64_a.reshape(len(images), -1, 3)[:, pick])
    out["palette"] = centres
    out["shares"] = np.rint(shares * 255).astype(np.uint8)
    return out


def image_features(image: np.ndarray) -> tuple[np.ndarray, LetterboxCrop]:
    """Features of one still (a query), with its own borders found and removed."""
    crop = find_borders(image)
    return frame_features([image], [0.0], crop=crop)[0], crop
