"""Anchor frames: the few stored frames that best represent a video.

Each usable frame is a column of features (its 64 pHash bits as +-1, its colour layout and its
mean colour in OKLab, each block scaled to the same weight). QR decomposition with column
pivoting picks, one after another, the column farthest from the span of those already picked:
the frames whose features best reconstruct all the others. Pure numpy/scipy, no database.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import qr

from reelprint.colour import srgb_to_oklab
from reelprint.features import EVIDENCE_MIN_QUALITY
from reelprint.hashes import uint64_to_bits

DEFAULT_ANCHORS = 5


def _feature_matrix(frames: np.ndarray) -> np.ndarray:
    """(features, frames): blocks of pHash bits, colour layout and mean colour, equally weighted."""
    bits = uint64_to_bits(frames["phash"]).astype(np.float64) * 2 - 1                # (F, 64)
    layout = frames["layout"].astype(np.float64)
    layout = (layout - layout.mean(0)) / (layout.std(0) + 1e-6)                         # (F, 12)
    lab = srgb_to_oklab(frames["mean_rgb"])
    lab = (lab - lab.mean(0)) / (lab.std(0) + 1e-6)                                     # (F, 3)
    blocks = [b / np.sqrt(b.shape[1]) for b in (bits, layout, lab)]
    return np.concatenate(blocks, axis=1).T


def anchor_frames(frames: np.ndarray, k: int = DEFAULT_ANCHORS) -> np.ndarray:
    """Indices into `frames` of up to `k` anchor frames, in time order.

    Black, flat and fade frames are never anchors (unless a video has nothing else).
    """
    if not len(frames):
        return np.zeros(0, dtype=np.int64)
    usable = np.flatnonzero(frames["quality"] >= EVIDENCE_MIN_QUALITY)
    if not len(usable):
        usable = np.arange(len(frames))
    if len(usable) <= k:
        return usable
    _, pivots = qr(_feature_matrix(frames[usable]), mode="r", pivoting=True)
    return np.sort(usable[pivots[:k]])
