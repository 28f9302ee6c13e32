"""Telling an H.264 packet that holds an I-frame from the bytes of its slice headers, without decoding.

x264 codes a cut that comes too soon after the last keyframe (within its min-keyint) as an I-frame
that is not an IDR, and containers flag only IDRs as keyframes; the sampler wants those cuts
too (`sampling.py`). FFmpeg can skip non-intra frames itself ("NONINTRA"), but fed a stream with
frames skipped its output order breaks and some frames come out late or without a timestamp, so
the sampler picks the I-frames' packets here and decodes each on its own after its keyframe.
"""

from __future__ import annotations

import re

SLICE = 1
IDR_SLICE = 5
# slice_type % 5: I and SI slices refer to no other frame.
INTRA_SLICE_TYPES = (2, 4)
_START_CODE = re.compile(b"\x00\x00\x01")
# Bytes read of each NAL unit: its header byte, then first_mb_in_slice and slice_type, a few
# bytes of exp-Golomb code at most even in a 4K frame.
HEAD_BYTES = 12


def nal_length_size(extradata: bytes | None) -> int | None:
    """Bytes of each NAL unit's length prefix for AVCC ("avc1": mp4, mkv, mov), or None when the
    stream has start codes (Annex B: mpeg-ts, raw .264)."""
    if extradata and len(extradata) >= 5 and extradata[0] == 1:
        return (extradata[4] & 3) + 1
    return None


def is_intra(packet: bytes | memoryview, length_size: int | None) -> bool:
    """Are all of the packet's slices I (or SI) slices? False for a packet with no slice."""
    types = [_slice_type(head) for head in _nal_heads(memoryview(packet), length_size)
             if head and head[0] & 0x1F in (SLICE, IDR_SLICE)]
    return bool(types) and all(t is not None and t % 5 in INTRA_SLICE_TYPES for t in types)


def _nal_heads(packet: memoryview, length_size: int | None) -> list[bytes]:
    """The first HEAD_BYTES of each NAL unit: enough for its header and a slice's first fields."""
    if length_size is None:
        starts = [m.end() for m in _START_CODE.finditer(packet)]
        ends = [*starts[1:], len(packet)]
        return [bytes(packet[a:min(b, a + HEAD_BYTES)]) for a, b in zip(starts, ends, strict=True)]
    heads, at = [], 0
    while at + length_size <= len(packet):
        size = int.from_bytes(packet[at:at + length_size], "big")
        start = at + length_size
        heads.append(bytes(packet[start:start + min(size, HEAD_BYTES)]))
        at = start + size
    return heads


def _slice_type(nal: bytes) -> int | None:
    """slice_type from the slice header: two exp-Golomb numbers after the NAL header byte
    (first_mb_in_slice, then slice_type). None if the header is cut short."""
    # Emulation prevention: 00 00 03 in the payload stands for 00 00.
    bits = "".join(f"{b:08b}" for b in nal[1:HEAD_BYTES].replace(b"\x00\x00\x03", b"\x00\x00"))
    at = 0
    value = None
    for _ in range(2):
        rest = bits[at:]
        zeros = len(rest) - len(rest.lstrip("0"))
        end = at + 2 * zeros + 1
        if end > len(bits):
            return None
        value = int(bits[at + zeros:end], 2) - 1
        at = end
    return value
