"""Choosing the frames to fingerprint and decoding them.

Decoding is the cost of indexing: a full 1080p decode runs at ~15x realtime on a 2-core box,
but decoding only keyframes runs at ~200x, and encoders put keyframes at shot cuts. So the
sampler feeds the decoder keyframe packets only (every shot is represented by its first
frame), plus the I-frames an encoder put at a cut too soon after a keyframe, and in long GOPs,
where the encoder placed no keyframe for many seconds, it decodes into the GOP to add frames,
within a budget of extra decoded frames. Where the budget allows the whole GOP, it is swept: every
frame decoded is glanced at (a pHash of 32x32 grey) and sampled where the picture has changed from
the last sample, so fades, dissolves and cuts the encoder coded as inter frames get a frame of
their own. The budget counts decoding work, not frames: a frame costs its share of a 1080p
frame's pixels, so a small video, cheap to decode whole, is swept throughout, and a 1080p film
spends what it spent on long GOPs and at most 3% of its frames more on sweeps. A keyframe that
is black or a fade stands for nothing, so its GOP gets a frame where the next shot has faded in,
within a budget of its own.
Intra-only codecs (MJPEG, ProRes, ...) have every frame a keyframe and are sampled by time instead.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import cv2
import numpy as np

from reelprint.decode import (
    ANALYSIS_SIZE,
    SKIP_NONREF_CODECS,
    SampledFrame,
    StreamClock,
    VideoInfo,
    display_size,
    error_reason,
    open_video,
    stream_info,
    to_grey,
    to_rgb,
)
from reelprint.errors import DecodeError
from reelprint.features import EVIDENCE_MIN_QUALITY, phash_batch, quality_batch
from reelprint.h264 import is_intra, nal_length_size
from reelprint.hashes import hamming

# Codecs whose packets are read for I-frames that are not keyframes (`h264.py`): an encoder codes
# a cut too soon after a keyframe as one, and containers flag only keyframes. Tears of Steel's
# shot at 0.88-2.71 s had no stored frame without them.
INTRA_PROBE_CODECS = frozenset({"h264"})

# Codecs whose FFmpeg decoder can output a reduced size directly ("lowres").
LOWRES_CODECS = frozenset({"mjpeg", "jpeg2000"})

# A file whose last frame ends this much before its declared duration is called truncated.
TRUNCATION_TOLERANCE_S = 2.0
TRUNCATION_TOLERANCE_RATIO = 0.05

# Ended GOPs kept while their keyframe's picture is still inside the decoder (frame threading
# holds a few frames back), to know whether they need a fade fill.
MAX_PENDING_GOPS = 8

# Decoding a frame costs about its pixel count: budgets count frames as their share of a 1080p
# frame's, and never more than a whole one (a 4K film's fills are as many frames as a 1080p one's).
REFERENCE_PIXELS = 1920 * 1080
# A sweep's glance reads at least this many rows of a frame (`glance_hash`).
GLANCE_ROWS = 135


@dataclass(frozen=True)
class SamplingPolicy:
    """How densely to sample. Defaults keep indexing near 100x realtime (see BENCHMARKS.md)."""

    min_gap: float = 0.5      # seconds: never two samples closer than this (intra-only codecs, sweeps)
    max_gap: float = 4.0      # seconds: a GOP longer than this gets frames decoded inside it...
    fill_budget: float = 0.06  # ...while the extra decoded frames stay under this share (BENCHMARKS.md)
    # A GOP this long or longer is swept whole when a budget allows it (the fill budget for a long
    # GOP, this one for the others): sampled wherever its picture is `change_bits` pHash bits from
    # the last sample's (BENCHMARKS.md, twelfth round).
    sweep_min: float = 1.0
    sweep_budget: float = 0.03
    change_bits: int = 16
    credit_s: float = 30.0    # the share is of the frames read so far, but at least this many seconds' worth
    # An I-frame that is not evidence (black, a fade) stands for nothing: a frame this far after
    # it is sampled too, where the next shot has faded in (1 s: the Sintel trailer's fades
    # measured 0.8-1.0 s). These fills have a budget of their own: a trailer fades every few
    # seconds. At 0.15 the Sintel trailer's fades at 12, 18 and 22 s went without, and search
    # could not find their shots; 0.3 fills all, and indexing the whole shared media took the
    # same time (2.34 s against 2.36 s, medians of 3).
    fade_fill: float = 1.0
    fade_budget: float = 0.3
    size: int = ANALYSIS_SIZE


def _decode_small(stream: av.video.stream.VideoStream, size: int) -> None:
    """Ask the decoder for a 1/2, 1/4 or 1/8 size picture where the codec can make one for free
    (JPEG's DCT scales down): 2.3x faster at 1/4 on 720p MJPEG (measured), never below `size`."""
    cc = stream.codec_context
    if cc.name not in LOWRES_CODECS or not cc.width:
        return
    level = min(3, int(math.log2(max(cc.width, cc.height) / size))) if max(cc.width, cc.height) > size else 0
    if level > 0:
        cc.options = {**cc.options, "lowres": str(level)}


def sample_frames(
    path: Path | str,
    policy: SamplingPolicy = SamplingPolicy(),
    progress: Callable[[float], None] | None = None,
) -> tuple[VideoInfo, Iterator[SampledFrame]]:
    """Probe `path` and return its info and a generator of the frames chosen to fingerprint.

    Opening errors raise DecodeError at once; errors mid-stream raise it from the generator.
    `progress` is called with the fraction of the file's duration read so far.
    """
    path = Path(path)
    container, stream = open_video(path)
    try:
        info = stream_info(container, stream)
        size = display_size(stream, policy.size)
        _decode_small(stream, policy.size)
    except Exception:
        container.close()
        raise
    return info, _sample(path, container, stream, info, size, policy, progress)


def _sample(path, container, stream, info, size, policy, progress) -> Iterator[SampledFrame]:
    clock = StreamClock(stream)
    cc = stream.codec_context
    intra_only = bool(cc.codec.intra_only)
    probe_intra = not intra_only and cc.name in INTRA_PROBE_CODECS
    length_size = nal_length_size(cc.extradata) if probe_intra else None
    frame_step = 1.0 / info.fps if info.fps > 0 else 1 / 25
    wanted_keys: dict[int, list[av.Packet]] = {}  # pts of I-frames to sample: the packets that decode them
    emitted: set[int] = set()        # pts already sampled: a fill decodes its GOP's I-frames again
    fill_targets: list[float] = []   # times inside the current fill, ascending
    gop_key: av.Packet | None = None
    gop: list[tuple[av.Packet, float]] = []  # non-key packets since the last decoded keyframe
    gop_start: float | None = None
    ended: list[tuple[av.Packet, list[tuple[av.Packet, float]], float, float]] = []  # key, packets, start, end
    dark_keys: set[int] = set()      # pts of sampled keyframes that are not evidence
    last_sample = -math.inf
    frames_seen = 0
    filled = {"long": 0.0, "sweep": 0.0, "fade": 0.0}  # extra decoding done, in 1080p frames, by budget
    frame_cost = min(1.0, (cc.width or size[0]) * (cc.height or size[1]) / REFERENCE_PIXELS)
    sweeps: deque[tuple[float, float]] = deque(maxlen=MAX_PENDING_GOPS)  # (start, end) of GOPs swept
    swept: set[int] = set()          # pts of the keyframes of GOPs swept: they need no fade fill
    glances: list[tuple[float, int]] = []  # (t, glance_hash) of the samples that are evidence, by time
    last_t = 0.0

    def fill(gop_end: float) -> Iterator[av.VideoFrame]:
        """Decode into the GOP that just ended, if the budget allows: all of it to sweep it, or,
        for a long GOP, as far as a frame every `max_gap` seconds."""
        if gop_start is None or not gop:
            return
        depth, long = gop_end, gop_end - gop_start > policy.max_gap
        if gop_end - gop_start >= policy.sweep_min and affordable("long" if long else "sweep", len(gop)):
            sweeps.append((gop_start, gop_end))
            swept.add(gop_key.pts)
        elif long:
            targets = list(np.arange(gop_start + policy.max_gap, gop_end - policy.max_gap / 2, policy.max_gap))
            if not targets:
                return
            depth = targets[-1] + 3 * frame_step
            if not affordable("long", sum(1 for _, t in gop if t <= depth)):
                return
            fill_targets.extend(targets)
        else:
            return
        skip_b = cc.name in SKIP_NONREF_CODECS
        if skip_b:
            cc.skip_frame = "NONREF"
        try:
            for packet, t in gop:
                if t > depth:
                    break
                yield from packet.decode()
        finally:
            if skip_b:
                cc.skip_frame = "DEFAULT"

    def affordable(budget: str, frames: int) -> bool:
        """Spend the decoding of `frames` extra frames from `budget` if it allows."""
        share = {"fade": policy.fade_budget, "sweep": policy.sweep_budget}.get(budget, policy.fill_budget)
        cost = frames * frame_cost
        if filled[budget] + cost > share * max(frames_seen, policy.credit_s / frame_step):
            return False
        filled[budget] += cost
        return True

    def changed(frame: av.VideoFrame, t: float) -> int | None:
        """The glance of this frame of a sweep if it is far enough, in time and picture, from the
        sample before it (an I-frame inside the GOP was sampled before the sweep reached it)."""
        before = bisect.bisect_right(glances, (t, math.inf)) - 1
        if frame.pts in emitted or (before >= 0 and t - glances[before][0] < policy.min_gap):
            return None
        glance = glance_hash(frame)
        if before >= 0 and int(hamming(glance, glances[before][1])) < policy.change_bits:
            return None
        return glance

    def fade_fills(final: bool = False) -> Iterator[SampledFrame]:
        """A frame `fade_fill` seconds after each sampled I-frame of an ended GOP that was not
        evidence (its keyframe, or an I-frame at a cut inside it), or every `fade_fill` seconds
        further until one is (a slow fade-in), before the next frame sampled; decoded on the
        side: the sampler's decoder has moved on to later keyframes."""
        for entry in list(ended):
            key, packets, start, end = entry
            if not final and key.pts not in emitted and len(ended) <= MAX_PENDING_GOPS:
                continue
            ended.remove(entry)
            if key.pts in swept:
                continue
            dark = [start] * (key.pts in dark_keys) + [t for p, t in packets if p.pts in dark_keys]
            if dark:
                yield from faded_in(key, packets, end, dark)

    def faded_in(key: av.Packet, packets: list[tuple[av.Packet, float]], end: float, dark: list[float]
                 ) -> Iterator[SampledFrame]:
        """The fade fills of one GOP whose I-frames at times `dark` were not evidence."""
        sampled = [t for p, t in packets if p.pts in emitted] + [end]
        frames = _decode_fresh(cc, [key, *(p for p, _ in packets)], skip_nonref=cc.name in SKIP_NONREF_CODECS)
        paid = 0
        for fade in dark:
            stop = min(t for t in sampled if t > fade)
            for target in np.arange(fade + policy.fade_fill, stop - frame_step, policy.fade_fill):
                cost = sum(1 for _, t in packets if t <= target + 3 * frame_step)
                if not affordable("fade", cost - paid):
                    return
                paid = cost
                frame = next((f for f in frames if (t := clock.seconds(f.pts)) is not None
                              and t >= target - frame_step / 2), None)
                if frame is None or frame.pts in emitted:
                    break
                sample = SampledFrame(clock.seconds(frame.pts), to_rgb(frame, *size), keyframe=False)
                if _is_evidence(sample.image):
                    emitted.add(frame.pts)
                    yield sample
                    break

    def accept(frame: av.VideoFrame) -> SampledFrame | None:
        # A wanted I-frame that came out was not dropped, timestamp or not: no second decode.
        intra = wanted_keys.pop(frame.pts, None) is not None
        t = clock.seconds(frame.pts)
        if t is None:
            return None
        served = False
        while fill_targets and t >= fill_targets[0] - frame_step / 2:
            fill_targets.pop(0)
            served = True
        sweeping = not (intra or served) and any(a < t < b for a, b in sweeps)
        glance = changed(frame, t) if sweeping else None
        if sweeping and glance is None:
            return None
        if not (intra or served or sweeping) or frame.pts in emitted:
            return None
        sample = SampledFrame(t, to_rgb(frame, *size), keyframe=intra, swept=sweeping)
        evidence = _is_evidence(sample.image)
        if sweeping and not evidence:
            return None  # a fade: the sweep samples it once it is a picture
        if intra and not evidence:
            dark_keys.add(frame.pts)
        emitted.add(frame.pts)
        if evidence:
            bisect.insort(glances, (t, glance if glance is not None else glance_hash(frame)))
        return sample

    try:
        with container:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue
                t = clock.seconds(packet.pts if packet.pts is not None else packet.dts)
                if t is None:
                    continue
                frames_seen += 1
                last_t = max(last_t, t)
                decoded: list[av.VideoFrame] = []
                if packet.is_keyframe:
                    if not intra_only:
                        decoded.extend(fill(t))
                        if gop_key is not None:
                            ended.append((gop_key, gop, gop_start, t))
                    gop, gop_start, gop_key = [], None, None
                    if t - last_sample >= policy.min_gap or not intra_only:
                        last_sample = t
                        gop_start, gop_key = t, packet
                        wanted_keys[packet.pts] = [packet]
                        decoded.extend(packet.decode())
                elif gop_start is not None:
                    gop.append((packet, t))
                    if probe_intra and is_intra(packet, length_size):
                        wanted_keys[packet.pts] = [gop_key, packet]
                        decoded.extend(_decode_alone(cc, gop_key, packet))
                for frame in decoded:
                    if (sample := accept(frame)) is not None:
                        yield sample
                yield from fade_fills()
                if progress is not None and info.duration > 0:
                    progress(min(1.0, t / info.duration))
            if not intra_only:
                for frame in fill(last_t + frame_step):
                    if (sample := accept(frame)) is not None:
                        yield sample
                if gop_key is not None:
                    ended.append((gop_key, gop, gop_start, last_t + frame_step))
            for frame in cc.decode(None):
                if (sample := accept(frame)) is not None:
                    yield sample
            # Fed keyframes only, FFmpeg's H.264 decoder can drop one (dog.1.mp4's at 19.73 s never
            # came out, and its shot had no stored frame): each is decoded again on its own.
            for pts, packets in list(wanted_keys.items()):
                for frame in _decode_fresh(cc, packets):
                    if frame.pts == pts and (sample := accept(frame)) is not None:
                        yield sample
            yield from fade_fills(final=True)
    except av.error.FFmpegError as exc:
        raise DecodeError(f"{path}: decoding failed ({error_reason(exc)})") from None
    if not emitted:
        raise DecodeError(f"{path}: no decodable video frames")
    shortfall = info.duration - (last_t + frame_step)
    if info.duration > 0 and shortfall > max(TRUNCATION_TOLERANCE_S, TRUNCATION_TOLERANCE_RATIO * info.duration):
        raise DecodeError(f"{path}: truncated (video stops at {last_t:.1f} s of {info.duration:.1f} s)")


def _decode_alone(cc: av.codec.context.CodecContext, key: av.Packet, packet: av.Packet) -> list[av.VideoFrame]:
    """The frames of `packet`, an I-frame, decoded after its GOP's keyframe in a decoder of
    their own: fed to the sampler's decoder with the frames between left out, it reorders them
    wrongly (some came out late or without a timestamp)."""
    return [f for f in _decode_fresh(cc, [key, packet]) if f.pts == packet.pts]


def _decode_fresh(cc: av.codec.context.CodecContext, packets: Iterable[av.Packet], skip_nonref: bool = False
                  ) -> Iterator[av.VideoFrame]:
    """`packets`, from a keyframe on, decoded in a new decoder of `cc`'s codec, as far as the
    caller reads."""
    fresh = av.CodecContext.create(cc.name, "r")
    fresh.extradata = cc.extradata
    if skip_nonref:
        fresh.skip_frame = "NONREF"
    for packet in packets:
        yield from fresh.decode(packet)
    yield from fresh.decode(None)


def glance_hash(frame: av.VideoFrame) -> int:
    """pHash of a decoded frame's luma at 32x32: what the sweep compares frames by. A frame taller
    than GLANCE_ROWS is read every few pixels first: area-averaging all of a 1080p frame's luma
    cost about as much as decoding it (sweeps of 300 s of 1080p: 0.079 of a full decode's time
    so, 0.047 read every 8th pixel; BENCHMARKS.md)."""
    return int(phash_batch(to_grey(frame, 32, 32, stride=max(1, frame.height // GLANCE_ROWS))[None])[0])


def _is_evidence(image: np.ndarray) -> bool:
    """Would the index count this picture as evidence (`features.EVIDENCE_MIN_QUALITY`)?"""
    grey = cv2.resize(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), (32, 32), interpolation=cv2.INTER_AREA)
    return bool(quality_batch(grey[None])[0] >= EVIDENCE_MIN_QUALITY)
