"""What search and the duplicate finder read of every frame, in bulk (`search.py`, `dupes.py`).

Part of the store layer (mixed into `store.Index`): only the store touches the database.
"""

from __future__ import annotations

import numpy as np
import peewee

from reelprint.models import INDEXED

# A frame's colour as search ranks it (`colour_table`): layout 12 bytes, palette 15, shares 5.
COLOUR_BYTES = 32
# A frame as `hash_columns` reads it: (video id << 32 | t_ms), pHash, quality.
_HASH_ROW = np.dtype([("key", ">i8"), ("phash", ">u8"), ("quality", "u1")])


class SearchStore:
    db: peewee.Database

    def hash_columns(self, min_quality: int, swept: bool = True
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(video_ids int32, t seconds float32, phash uint64, quality uint8) of every indexed frame
        of at least `min_quality`, ordered by video then time: what search and the duplicate finder
        are built from; `swept=False` leaves out the frames a sweep sampled (`sampling.py`).

        Read as one hex string built in SQL, so Python makes no object a row: 1M frames took
        0.40-0.47 s so, 0.78 s as two packed values a row, 2.6 s as four plain columns (measured
        here); the string is 34 bytes a frame for a moment, where rows were over 100. Frames are
        read in their primary key's order: joining the videos by state first cost a sort, 0.62 s."""
        (text,) = self.db.execute_sql(
            "SELECT group_concat(row, '') FROM (SELECT printf('%016x%016x%02x', (video_id << 32) | t_ms, phash, "
            f"quality) AS row FROM frame WHERE quality >= ? {'' if swept else 'AND NOT swept '}AND video_id IN "
            "(SELECT id FROM video WHERE state = ?) ORDER BY video_id, t_ms)", (min_quality, INDEXED)).fetchone()
        data = np.frombuffer(bytes.fromhex(text or ""), _HASH_ROW)
        # SQLite concatenates in the order its subquery gives, but does not promise to.
        key = data["key"].astype(np.int64)
        if np.any(key[1:] < key[:-1]):
            data = data[np.argsort(key, kind="stable")]
            key = data["key"].astype(np.int64)
        return ((key >> 32).astype(np.int32), ((key & 0xFFFFFFFF) / 1000).astype(np.float32),
                data["phash"].astype(np.uint64), data["quality"].copy())

    def colour_table(self, min_quality: int) -> np.ndarray:
        """(N, COLOUR_BYTES) uint8 of the frames `hash_columns` returns, in its order: the colour
        layout (12 bytes), then the palette (5 sRGB colours, 15 bytes) and its shares (5 bytes)."""
        cur = self.db.execute_sql(
            "SELECT layout, palette FROM frame WHERE quality >= ? AND video_id IN "
            "(SELECT id FROM video WHERE state = ?) ORDER BY video_id, t_ms", (min_quality, INDEXED))
        return np.frombuffer(b"".join(r[0] + r[1] for r in cur.fetchall()), np.uint8).reshape(-1, COLOUR_BYTES)

    def colours_of(self, video_ids: np.ndarray, times: np.ndarray) -> np.ndarray:
        """`colour_table`'s rows of the frames at (video id, t seconds)."""
        out = np.zeros((len(video_ids), COLOUR_BYTES), np.uint8)
        t_ms = np.rint(np.asarray(times, np.float64) * 1000).astype(np.int64)
        for i, (v, t) in enumerate(zip(video_ids.tolist(), t_ms.tolist(), strict=True)):
            row = self.db.execute_sql("SELECT layout, palette FROM frame WHERE video_id = ? AND t_ms = ?",
                                      (v, int(t))).fetchone()
            if row is not None:
                out[i] = np.frombuffer(row[0] + row[1], np.uint8)
        return out
