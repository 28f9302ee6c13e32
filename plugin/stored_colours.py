"""The stored frames' colours, held for ranking them against a still (`search.py`): colour
layouts, and palettes in OKLab."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reelprint import colour

# Stored frames whose whole palette is compared with the still's (`StoredColours.distance`): all of
# 300k took 190 ms a search, as long as the rest of the ranking; 30k and the scan for the
# dominant colour over all, 33 ms (random palettes, measured here).
PALETTE_ROWS = 30_000


@dataclass(frozen=True)
class StoredColours:
    """Stored frames' colour layouts and palettes (`Index.colour_table` rows). Palettes are in
    OKLab and kept colour by colour, (5, 3, N): the scan for a still's dominant colour then runs
    over long rows (a minimum over 5 rows of N, not N minimums over 5: 5x faster here)."""

    layouts: np.ndarray   # (N, 12) uint8
    palettes: np.ndarray  # (5, 3, N) float32 OKLab
    shares: np.ndarray    # (N, 5) float32 fractions
    norms: np.ndarray     # (5, N) float32 squared lengths of the palette colours

    @classmethod
    def from_table(cls, table: np.ndarray) -> StoredColours:
        lab = colour.srgb_to_oklab(table[:, 12:27].reshape(-1, 5, 3)).astype(np.float32)
        by_colour = np.ascontiguousarray(lab.transpose(1, 2, 0))
        return cls(table[:, :12], by_colour, table[:, 27:32].astype(np.float32) / 255, (by_colour ** 2).sum(axis=1))

    def distance(self, features: np.ndarray) -> np.ndarray:
        """Palette distance of a still's features to every frame here. In a large library only
        the PALETTE_ROWS frames holding the colour nearest to the still's dominant one are
        measured in full (the rest get infinity): the whole palette costs 25 colour pairs a frame."""
        lab = colour.srgb_to_oklab(features["palette"]).astype(np.float32)
        shares = features["shares"].astype(np.float32) / 255
        rows = np.arange(len(self.shares))
        if len(rows) > PALETTE_ROWS:
            dominant = np.min([self.norms[k] - 2 * np.tensordot(lab[0], self.palettes[k], 1)
                               for k in range(len(self.palettes))], axis=0)
            rows = np.argpartition(dominant, PALETTE_ROWS - 1)[:PALETTE_ROWS]
        out = np.full(len(self.shares), np.inf, np.float32)
        out[rows] = colour.palette_distance(lab, shares, self.palettes[:, :, rows].transpose(2, 0, 1),
                                            self.shares[rows])
        return out
