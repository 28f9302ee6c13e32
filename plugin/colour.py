"""Colour maths: sRGB <-> linear light <-> OKLab, and small dominant-colour palettes.

Averages are taken in linear light (an sRGB average of red and green is a muddy olive; in
linear light it is yellow). Palettes are clustered in OKLab, where distance follows what the
eye sees, so a palette does not split one skin tone in two while merging two different blues.
"""

from __future__ import annotations

import numpy as np

PALETTE_SIZE = 5
# Pixels clustered per frame: enough for a stable 5-colour palette (shares move < 2% against a
# 4,096-pixel sample on the shared media), small enough to cluster thousands of frames at once.
PALETTE_SAMPLE = 256
KMEANS_ITERATIONS = 8

_LMS = np.array(
    [[0.4122214708, 0.5363325363, 0.0514459929],
     [0.2119034982, 0.6806995451, 0.1073969566],
     [0.0883024619, 0.2817188376, 0.6299787005]]
)
_LAB = np.array(
    [[0.2104542553, 0.7936177850, -0.0040720468],
     [1.9779984951, -2.4285922050, 0.4505937099],
     [0.0259040371, 0.7827717662, -0.8086757660]]
)
_SRGB_TO_LINEAR_LUT = np.where(
    (v := np.arange(256) / 255.0) <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4
).astype(np.float32)


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """uint8 sRGB (any shape, last axis 3) -> float32 linear light in 0..1."""
    return _SRGB_TO_LINEAR_LUT[np.asarray(rgb, dtype=np.uint8)]


def linear_to_srgb(lin: np.ndarray) -> np.ndarray:
    """Float linear light in 0..1 -> uint8 sRGB."""
    lin = np.clip(np.asarray(lin, dtype=np.float64), 0.0, 1.0)
    v = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * np.power(lin, 1 / 2.4) - 0.055)
    return np.clip(np.rint(v * 255.0), 0, 255).astype(np.uint8)


def linear_to_oklab(lin: np.ndarray) -> np.ndarray:
    lms = np.cbrt(np.asarray(lin, dtype=np.float64) @ _LMS.T)
    return lms @ _LAB.T


def oklab_to_linear(lab: np.ndarray) -> np.ndarray:
    lms = np.asarray(lab, dtype=np.float64) @ np.linalg.inv(_LAB).T
    return (lms**3) @ np.linalg.inv(_LMS).T


def srgb_to_oklab(rgb: np.ndarray) -> np.ndarray:
    return linear_to_oklab(srgb_to_linear(rgb))


def oklab_to_srgb(lab: np.ndarray) -> np.ndarray:
    return linear_to_srgb(oklab_to_linear(lab))


def mean_colour(rgb: np.ndarray) -> np.ndarray:
    """The linear-light mean of uint8 sRGB pixels (..., H, W, 3) -> uint8 sRGB (..., 3)."""
    lin = srgb_to_linear(rgb)
    return linear_to_srgb(lin.reshape(*lin.shape[:-3], -1, 3).mean(axis=-2))


def palettes(pixels: np.ndarray, k: int = PALETTE_SIZE, iterations: int = KMEANS_ITERATIONS
             ) -> tuple[np.ndarray, np.ndarray]:
    """Dominant colours of many frames at once.

    `pixels` is (F, N, 3) uint8 sRGB, a sample of N pixels from each of F frames. Returns
    (F, k, 3) uint8 sRGB centres and (F, k) float shares summing to 1, sorted by share, largest
    first (ties broken by lightness) so that palettes are stable from frame to frame.

    This is Lloyd's k-means vectorised over all frames: scikit-learn's KMeans clusters one
    dataset per call, and its per-call overhead (milliseconds) is the whole budget for a frame
    when a film has thousands of them. Centres start at lightness quantiles, which makes the
    result deterministic with no random restarts.
    """
    lab = srgb_to_oklab(pixels)                                    # (F, N, 3)
    n = lab.shape[1]
    order = np.argsort(lab[..., 0], axis=1)
    picks = order[:, ((np.arange(k) + 0.5) * n / k).astype(int)]
    centres = np.take_along_axis(lab, picks[..., None], axis=1)   # (F, k, 3)
    for _ in range(iterations):
        d = ((lab[:, :, None, :] - centres[:, None, :, :]) ** 2).sum(-1)  # (F, N, k)
        label = d.argmin(-1)
        onehot = label[..., None] == np.arange(k)                 # (F, N, k)
        counts = onehot.sum(1)                                     # (F, k)
        sums = np.einsum("fnk,fnc->fkc", onehot.astype(np.float64), lab)
        centres = np.where(counts[..., None] > 0, sums / np.maximum(counts, 1)[..., None], centres)
    shares = counts / n
    key = -shares * 1000 - centres[..., 0]  # by share, then lighter first
    rank = np.argsort(key, axis=1)
    centres = np.take_along_axis(centres, rank[..., None], axis=1)
    shares = np.take_along_axis(shares, rank, axis=1)
    return oklab_to_srgb(centres), shares


def palette_distance(lab: np.ndarray, shares: np.ndarray, many_lab: np.ndarray, many_shares: np.ndarray
                     ) -> np.ndarray:
    """How far one palette is from each of many: every colour's OKLab distance to the nearest
    colour of the other palette, weighted by its share, summed both ways (a chamfer distance).
    `lab` (k, 3) and `shares` (k,) against `many_lab` (N, k, 3) and `many_shares` (N, k); shares
    are fractions. Unlike the layout, it ignores where the colours are: a still from the middle
    of a shot keeps its shot's colours while the picture moves."""
    # Squared distances as |a|^2 + |b|^2 - 2ab: one matrix product instead of (N, k, k, 3) differences.
    n, k = many_lab.shape[:2]
    cross = (many_lab.reshape(n * k, 3) @ lab.T).reshape(n, k, len(lab))       # (N, k many, k one)
    d2 = (many_lab * many_lab).sum(-1)[:, :, None] + (lab * lab).sum(-1)[None, None, :] - 2 * cross
    np.maximum(d2, 0, out=d2)
    one_to_many = np.sqrt(d2.min(axis=1)) @ shares / max(float(shares.sum()), 1e-6)
    many_to_one = (np.sqrt(d2.min(axis=2)) * many_shares).sum(axis=1) / np.maximum(many_shares.sum(axis=1), 1e-6)
    return one_to_many + many_to_one


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of uint8 sRGB colours (..., 3)."""
    return srgb_to_linear(rgb) @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
