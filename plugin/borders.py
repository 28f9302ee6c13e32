"""Finding and removing uniform borders: letterbox and pillarbox bars, player padding.

A border line (row or column) is one whose pixels are all nearly the same colour, the colour
of the frame's edge. Dark scenes also have such lines, so a video's crop is the one its
frames agree on (a low percentile of the per-frame borders), never one frame's guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

# A line whose luma spread (std) is under this is uniform. Measured on the shared media: bars
# in H.264 at CRF 23 have a std under 2; the darkest real picture rows stay above 4.
UNIFORM_STD = 3.0
# ...and whose mean is this close to the edge line's mean belongs to the same border.
SAME_COLOUR = 12.0
# Never crop away more than this share of a side: beyond it the "border" is the picture.
MAX_BORDER = 0.4
# ...and never keep less than this share of either dimension (2.76:1 in 16:9 keeps 0.64).
MIN_KEPT = 0.45
# Per-video crop: the border most frames agree on (bars are in every frame, flat rows aren't).
AGREEMENT_PERCENTILE = 20


@dataclass(frozen=True)
class LetterboxCrop:
    """Borders to remove, as fractions of the frame height (top, bottom) and width (left, right)."""

    top: float = 0.0
    bottom: float = 0.0
    left: float = 0.0
    right: float = 0.0

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The kept region as (x, y, w, h) in pixels of a `width` x `height` frame."""
        x0, x1 = round(self.left * width), width - round(self.right * width)
        y0, y1 = round(self.top * height), height - round(self.bottom * height)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return 0, 0, width, height
        return x0, y0, x1 - x0, y1 - y0

    def apply(self, image: np.ndarray) -> np.ndarray:
        x, y, w, h = self.box(image.shape[1], image.shape[0])
        return image[y : y + h, x : x + w]

    @property
    def is_empty(self) -> bool:
        return not (self.top or self.bottom or self.left or self.right)


def _luma(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image.astype(np.float32)
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)


def _line_stats(lines: np.ndarray, overlay: float) -> tuple[np.ndarray, np.ndarray]:
    """Each line's level and spread (mean and std), or with `overlay`, those of the line
    without that share of it at one end or the other, whichever is more uniform: a channel
    logo drawn in a corner over a bar. A title on black is centred, and stays picture."""
    k = round(lines.shape[1] * overlay)
    if k < 1:
        return lines.mean(1), lines.std(1)
    (mean_a, std_a), (mean_b, std_b) = ((part.mean(1), part.std(1)) for part in (lines[:, k:], lines[:, :-k]))
    first = std_a <= std_b
    return np.where(first, mean_a, mean_b), np.where(first, std_a, std_b)


def _edge_run(edge: np.ndarray, lines_mean: np.ndarray, lines_std: np.ndarray, limit: int) -> int:
    """How many leading lines are uniform and of the colour of the first, `edge`, which must be
    uniform whole."""
    if edge.std() >= UNIFORM_STD:
        return 0
    same = (lines_std < UNIFORM_STD) & (np.abs(lines_mean - edge.mean()) < SAME_COLOUR)
    run = int(np.argmin(same)) if not same.all() else len(same)
    return min(run, limit)


def _side_runs(lines: np.ndarray, overlay: float) -> tuple[int, int]:
    """Border lines at the start and end of `lines` (rows, or columns transposed). With
    `overlay`, a side whose lines are uniform but for one end (`_line_stats`) is a border as
    wide as the other side's: a channel logo over one of two bars that centre the picture. The
    logo must have stopped the bar well short (a line or two is a player window's shading)."""
    n = len(lines)
    limit = int(n * MAX_BORDER)
    mean, std = _line_stats(lines, 0.0)
    runs = [_edge_run(lines[0], mean, std, limit), _edge_run(lines[-1], mean[::-1], std[::-1], limit)]
    if overlay > 0 and max(runs) > 0:
        mean, std = _line_stats(lines, overlay)
        covered = [_edge_run(lines[0], mean, std, limit), _edge_run(lines[-1], mean[::-1], std[::-1], limit)]
        slack = max(2, n // 100)
        for side in (0, 1):
            if covered[side] - runs[side] > 2 * slack and abs(covered[side] - runs[1 - side]) <= slack:
                runs[side] = covered[side]
    return runs[0], runs[1]


def find_borders(image: np.ndarray, overlay: float = 0.0) -> LetterboxCrop:
    """Uniform borders of one image (RGB or grey); with `overlay`, a bar may have up to that
    share of its lines covered at one end, if the bar opposite is as wide (`_side_runs`)."""
    luma = _luma(image)
    h, w = luma.shape
    top, bottom = _side_runs(luma, overlay)
    left, right = _side_runs(luma.T, overlay)
    # Borders on both sides that leave less than MIN_KEPT of the picture are a flat picture
    # (sky, a wall), not bars.
    if h - top - bottom < MIN_KEPT * h:
        top = bottom = 0
    if w - left - right < MIN_KEPT * w:
        left = right = 0
    return LetterboxCrop(top / h, bottom / h, left / w, right / w)


def agreed_crop(crops: Sequence[LetterboxCrop]) -> LetterboxCrop:
    """The crop that most of a video's frames agree on."""
    if not crops:
        return LetterboxCrop()
    sides = np.array([[c.top, c.bottom, c.left, c.right] for c in crops])
    top, bottom, left, right = np.percentile(sides, AGREEMENT_PERCENTILE, axis=0)
    return LetterboxCrop(float(top), float(bottom), float(left), float(right))
