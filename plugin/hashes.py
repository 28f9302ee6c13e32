"""64-bit perceptual hashes as numbers: storage form, hex form, Hamming distance.

SQLite integers are signed 64-bit, so a hash is stored as the int64 with the same bits.
In memory hashes are numpy uint64; `hex` is ImageHash's form, so `imagehash.hex_to_hash`
reads what we write and the two libraries agree bit for bit.
"""

from __future__ import annotations

import numpy as np

_SIGN = 1 << 63
_MASK = (1 << 64) - 1


def to_int64(h: int) -> int:
    """Unsigned 64-bit hash -> the signed int64 with the same bits (for SQLite)."""
    h &= _MASK
    return h - (1 << 64) if h & _SIGN else h


def from_int64(v: int) -> int:
    """Signed int64 from SQLite -> the unsigned 64-bit hash."""
    return v & _MASK


def to_hex(h: int) -> str:
    """ImageHash's hex form: 16 hex digits, first bit of the 8x8 grid first."""
    return f"{h & _MASK:016x}"


def bits_to_uint64(bits: np.ndarray) -> np.ndarray:
    """(N, 64) booleans, row-major over the 8x8 grid -> (N,) uint64, first bit most significant."""
    packed = np.packbits(np.asarray(bits, dtype=bool).reshape(-1, 64), axis=1)
    return packed.view(">u8").reshape(-1).astype(np.uint64)


def uint64_to_bits(hashes: np.ndarray) -> np.ndarray:
    """(N,) uint64 -> (N, 64) booleans, the inverse of `bits_to_uint64`."""
    be = np.asarray(hashes, dtype=np.uint64).astype(">u8")
    return np.unpackbits(be.view(np.uint8).reshape(-1, 8), axis=1).astype(bool)


_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def hamming(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """Hamming distance between uint64 hashes, broadcasting like numpy."""
    x = np.bitwise_xor(np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64))
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x).astype(np.uint8)
    return _POPCOUNT8[np.ascontiguousarray(x)[..., None].view(np.uint8)].sum(axis=-1, dtype=np.uint8)
