"""Kept results of decoding weak duplicate hypotheses (`confirm.py`), so a pair is decoded once.

Part of the store layer (mixed into `store.Index`): only the store touches the database. Keyed by
content signatures, like a person's verdicts, so the results outlive renames.
"""

from __future__ import annotations

import contextlib

import numpy as np
import peewee

from reelprint.models import Confirmation


class ConfirmationStore:
    db: peewee.Database

    def confirmation(self, signature_a: str, signature_b: str, offset_ms: int, mirrored: bool, method: int
                     ) -> np.ndarray | None:
        """(N, 2) float32 (time in A, similarity) kept for this hypothesis, or None."""
        row = (Confirmation.select(Confirmation.moments)
               .where(Confirmation.signature_a == signature_a, Confirmation.signature_b == signature_b,
                      Confirmation.offset_ms == offset_ms, Confirmation.mirrored == mirrored,
                      Confirmation.method == method).first())
        return None if row is None else np.frombuffer(row.moments, np.float32).reshape(-1, 2)

    def keep_confirmation(self, signature_a: str, signature_b: str, offset_ms: int, mirrored: bool, method: int,
                          moments: np.ndarray) -> None:
        blob = np.ascontiguousarray(moments, np.float32).reshape(-1, 2).tobytes()
        with contextlib.suppress(peewee.OperationalError):  # read-only database: only not kept
            Confirmation.insert(signature_a=signature_a, signature_b=signature_b, offset_ms=offset_ms,
                                mirrored=mirrored, method=method, moments=blob).on_conflict_replace().execute()
