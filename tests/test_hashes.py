import imagehash
import numpy as np
import pytest

from reelprint.hashes import bits_to_uint64, from_int64, hamming, to_hex, to_int64, uint64_to_bits


@pytest.mark.parametrize("h", [0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, 0xC25C31619F98D3A7])
def test_int64_round_trip_keeps_every_bit(h):
    stored = to_int64(h)
    assert -(1 << 63) <= stored < (1 << 63)
    assert from_int64(stored) == h


def test_hex_is_imagehash_form():
    bits = np.random.default_rng(0).random((1, 64)) > 0.5
    h = int(bits_to_uint64(bits)[0])
    parsed = imagehash.hex_to_hash(to_hex(h))
    assert np.array_equal(parsed.hash.flatten(), bits[0])
    assert str(parsed) == to_hex(h)


def test_bits_round_trip_and_hamming():
    rng = np.random.default_rng(1)
    bits = rng.random((50, 64)) > 0.5
    hashes = bits_to_uint64(bits)
    assert np.array_equal(uint64_to_bits(hashes), bits)
    expected = (bits[:, None, :] != bits[None, :, :]).sum(-1)
    assert np.array_equal(hamming(hashes[:, None], hashes[None, :]), expected)
