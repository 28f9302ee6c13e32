"""Choosing and decoding the frames to fingerprint, with exact timestamps from the stream.

Decoding is the cost of indexing: a full 1080p decode runs at ~15x realtime on a 2-core box,
but decoding only keyframes runs at ~200x, and encoders put keyframes at shot cuts. So the
sampler feeds the decoder keyframe packets only (every shot is represented by its first
frame), and in long GOPs, where the encoder placed no keyframe for many seconds, it decodes
into the GOP to add frames, within a budget of extra decoded frames. Intra-only codecs
(MJPEG, ProRes, ...) have every frame a keyframe and are sampled by time instead.

Timestamps are always the frames' own pts in seconds from the stream start, never
`index / fps`, so variable frame rate and missing frame counts cannot skew them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import cv2
import numpy as np

from reelprint.errors import DecodeError

# Longest side of the frames handed to feature extraction. pHash works on 32x32 and the colour
# layout on 8x8; 256 px keeps thin letterbox bars (2-3 px at this scale) measurable.
ANALYSIS_SIZE = 256

# Codecs whose decoder can skip the frames no other frame refers to (FFmpeg's "NONREF"): getting
# to a frame deep in a GOP then decodes 1.3x less (a 1080p x264 encode, 20 s: 1.50 s instead of
# 1.92 s), and what is decoded is exact. Skipping every B-frame ("BIDIR") would be 1.7x less
# (1.15 s) but is not exact: x264's B-pyramid makes some B-frames references, and P-frames
# decoded without them were off by up to 3.3 grey levels on average, up to 10 pHash bits (Big
# Buck Bunny 640x360, 337 frames; measured).
SKIP_NONREF_CODECS = frozenset({"h264"})

# Codecs whose FFmpeg decoder can output a reduced size directly ("lowres").
LOWRES_CODECS = frozenset({"mjpeg", "jpeg2000"})

# 8-bit pixel formats whose first plane is the luma, at full size.
LUMA_FIRST_FORMATS = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p",
                                "yuv440p", "yuvj440p", "yuv411p", "yuv410p", "nv12", "nv21", "gray"})

# AVCOL_RANGE_JPEG: luma uses 0-255; otherwise (MPEG, or unspecified) 16-235.
FULL_RANGE = 2
_LIMITED_TO_FULL = np.clip((np.arange(256) - 16) * 255 / 219 + 0.5, 0, 255).astype(np.uint8)

# The index stores times to the millisecond: a time read back from it may be up to half a
# millisecond before the frame's own pts.
TIME_TOLERANCE_S = 0.0005

# A file whose last frame ends this much before its declared duration is called truncated.
TRUNCATION_TOLERANCE_S = 2.0
TRUNCATION_TOLERANCE_RATIO = 0.05


@dataclass(frozen=True)
class SamplingPolicy:
    """How densely to sample. Defaults keep indexing near 100x realtime (see BENCHMARKS.md)."""

    min_gap: float = 0.5      # seconds: never two samples closer than this (intra-only codecs)
    max_gap: float = 4.0      # seconds: a GOP longer than this gets frames decoded inside it...
    fill_budget: float = 0.06  # ...while the extra decoded frames stay under this share (BENCHMARKS.md)
    size: int = ANALYSIS_SIZE


@dataclass(frozen=True)
class VideoInfo:
    duration: float
    fps: float
    width: int
    height: int
    codec: str


@dataclass(frozen=True)
class SampledFrame:
    t: float            # seconds from the start of the stream, from the frame's pts
    image: np.ndarray   # (h, w, 3) uint8 RGB at analysis size, display aspect ratio
    keyframe: bool


def _open(path: Path) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except FileNotFoundError:
        raise DecodeError(f"{path}: no such file") from None
    except PermissionError:
        raise DecodeError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise DecodeError(f"{path}: is a directory") from None
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"{path}: not a readable video ({_reason(exc)})") from None
    if not container.streams.video:
        container.close()
        raise DecodeError(f"{path}: no video stream")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return container, stream


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc).strip().rstrip(".") or type(exc).__name__


def _info(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> VideoInfo:
    cc = stream.codec_context
    duration = 0.0
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    return VideoInfo(duration=duration, fps=fps, width=cc.width, height=cc.height, codec=cc.name)


def probe(path: Path | str) -> VideoInfo:
    """Container-level facts about a video, without decoding frames."""
    path = Path(path)
    container, stream = _open(path)
    with container:
        return _info(container, stream)


def _display_size(stream: av.video.stream.VideoStream, size: int) -> tuple[int, int]:
    """Analysis size: longest side `size`, display aspect ratio (anamorphic pixels corrected)."""
    cc = stream.codec_context
    sar = cc.sample_aspect_ratio or Fraction(1)
    w, h = cc.width * float(sar), float(cc.height)
    scale = min(1.0, size / max(w, h))  # never upscale: it costs time and adds nothing
    return max(2, round(w * scale)), max(2, round(h * scale))


def _decode_small(stream: av.video.stream.VideoStream, size: int) -> None:
    """Ask the decoder for a 1/2, 1/4 or 1/8 size picture where the codec can make one for free
    (JPEG's DCT scales down): 2.3x faster at 1/4 on 720p MJPEG (measured), never below `size`."""
    cc = stream.codec_context
    if cc.name not in LOWRES_CODECS or not cc.width:
        return
    level = min(3, int(math.log2(max(cc.width, cc.height) / size))) if max(cc.width, cc.height) > size else 0
    if level > 0:
        cc.options = {**cc.options, "lowres": str(level)}


def _to_rgb(frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
    # Area averaging, never nearest neighbour: a "mean colour" must be a mean of the frame.
    return frame.reformat(width=width, height=height, format="rgb24", interpolation="AREA").to_ndarray()


class _Clock:
    """Converts pts to seconds from the stream's first timestamp."""

    def __init__(self, stream: av.video.stream.VideoStream) -> None:
        self.tb = stream.time_base or Fraction(1, 1000)
        self.start = stream.start_time

    def seconds(self, pts: int | None) -> float | None:
        if pts is None:
            return None
        if self.start is None:
            self.start = pts
        return float((pts - self.start) * self.tb)


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
    container, stream = _open(path)
    try:
        info = _info(container, stream)
        size = _display_size(stream, policy.size)
        _decode_small(stream, policy.size)
    except Exception:
        container.close()
        raise
    return info, _sample(path, container, stream, info, size, policy, progress)


def _sample(path, container, stream, info, size, policy, progress) -> Iterator[SampledFrame]:
    clock = _Clock(stream)
    intra_only = bool(stream.codec_context.codec.intra_only)
    frame_step = 1.0 / info.fps if info.fps > 0 else 1 / 25
    wanted_keys: set[int] = set()
    fill_targets: list[float] = []   # times inside the current fill, ascending
    gop: list[tuple[av.Packet, float]] = []  # non-key packets since the last decoded keyframe
    gop_start: float | None = None
    last_sample = -math.inf
    frames_seen = filled = 0
    emitted = 0
    last_t = 0.0

    def fill(gop_end: float) -> Iterator[av.VideoFrame]:
        """Decode into a long GOP, if the budget allows, to sample it every `max_gap` seconds."""
        nonlocal filled
        if gop_start is None or not gop or gop_end - gop_start <= policy.max_gap:
            return
        targets = list(np.arange(gop_start + policy.max_gap, gop_end - policy.max_gap / 2, policy.max_gap))
        if not targets:
            return
        depth = targets[-1] + 3 * frame_step
        cost = sum(1 for _, t in gop if t <= depth)
        if filled + cost > policy.fill_budget * frames_seen:
            return
        filled += cost
        fill_targets.extend(targets)
        cc = stream.codec_context
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

    def accept(frame: av.VideoFrame) -> SampledFrame | None:
        t = clock.seconds(frame.pts)
        if t is None:
            return None
        if frame.pts in wanted_keys:
            wanted_keys.discard(frame.pts)
            return SampledFrame(t, _to_rgb(frame, *size), keyframe=True)
        if fill_targets and t >= fill_targets[0] - frame_step / 2:
            while fill_targets and t >= fill_targets[0] - frame_step / 2:
                fill_targets.pop(0)
            return SampledFrame(t, _to_rgb(frame, *size), keyframe=False)
        return None

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
                    gop, gop_start = [], None
                    if t - last_sample >= policy.min_gap or not intra_only:
                        last_sample = t
                        gop_start = t
                        wanted_keys.add(packet.pts)
                        decoded.extend(packet.decode())
                elif gop_start is not None:
                    gop.append((packet, t))
                for frame in decoded:
                    if (sample := accept(frame)) is not None:
                        emitted += 1
                        yield sample
                if progress is not None and info.duration > 0:
                    progress(min(1.0, t / info.duration))
            if not intra_only:
                for frame in fill(last_t + frame_step):
                    if (sample := accept(frame)) is not None:
                        emitted += 1
                        yield sample
            for frame in stream.codec_context.decode(None):
                if (sample := accept(frame)) is not None:
                    emitted += 1
                    yield sample
    except av.error.FFmpegError as exc:
        raise DecodeError(f"{path}: decoding failed ({_reason(exc)})") from None
    if emitted == 0:
        raise DecodeError(f"{path}: no decodable video frames")
    shortfall = info.duration - (last_t + frame_step)
    if info.duration > 0 and shortfall > max(TRUNCATION_TOLERANCE_S, TRUNCATION_TOLERANCE_RATIO * info.duration):
        raise DecodeError(f"{path}: truncated (video stops at {last_t:.1f} s of {info.duration:.1f} s)")


def _decode_from(path: Path, start: float, size: int | None, references_before: float | None = None
                 ) -> Iterator[tuple[float, av.VideoFrame, tuple[int, int]]]:
    """(t, frame, output size) for every frame from the keyframe at or before `start` onwards;
    with `references_before`, without the frames shown before that time that no other frame
    refers to, for codecs that can skip them (SKIP_NONREF_CODECS): getting to a moment deep in a
    GOP costs less.

    Converting a frame costs more than decoding it, so callers convert only the frames they keep.
    """
    container, stream = _open(path)
    with container:
        clock = _Clock(stream)
        cc = stream.codec_context
        tb = stream.time_base or Fraction(1, 1000)
        skipping = references_before is not None and cc.name in SKIP_NONREF_CODECS
        if skipping:
            cc.skip_frame = "NONREF"
        dims = _display_size(stream, size) if size else (cc.width, cc.height)
        try:
            if start > 0 and stream.time_base:
                offset = (stream.start_time or 0) + int(start / stream.time_base)
                container.seek(offset, stream=stream, backward=True)
            for packet in container.demux(stream):
                # Packets come in decoding order: the frames shown after `references_before` come
                # after a reference frame shown after it, so switching here decodes them all.
                if skipping and packet.pts is not None and \
                        (packet.pts - (stream.start_time or 0)) * tb >= references_before:
                    cc.skip_frame = "DEFAULT"
                    skipping = False
                for frame in packet.decode():
                    t = clock.seconds(frame.pts)
                    if t is not None:
                        yield t, frame, dims
        except av.error.FFmpegError as exc:
            raise DecodeError(f"{path}: decoding failed ({_reason(exc)})") from None


def _to_grey(frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
    """The frame's luma at (width, height), full range, as an RGB conversion would give it. An
    8-bit YUV frame's first plane is its luma, a grey picture for free: 0.44 ms a 720p frame with
    OpenCV's area resize, where swscale took 1.5 ms for grey and 2.2 ms for RGB (measured).
    Limited-range luma (16-235) is stretched with the clipping RGB has: in a dark fade most of
    the picture sits near black, and without the clipping a screenshot of it correlated 0.95
    instead of 1.0 with its own frame."""
    if frame.format.name in LUMA_FIRST_FORMATS:
        plane = frame.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: frame.height, : frame.width]
        if not (frame.format.name.startswith("yuvj") or frame.color_range == FULL_RANGE):
            luma = cv2.LUT(luma, _LIMITED_TO_FULL)
    else:
        luma = frame.to_ndarray(format="gray")
    return cv2.resize(luma, (width, height), interpolation=cv2.INTER_AREA)


def frames_between(path: Path | str, start: float, end: float, size: int | None = ANALYSIS_SIZE
                   ) -> Iterator[SampledFrame]:
    """Every frame with start <= t <= end, for refining a match and for thumbnails.

    `size=None` keeps the frame's own resolution.
    """
    for t, frame, dims in _frames_within(Path(path), start, end, size):
        yield SampledFrame(t, _to_rgb(frame, *dims), frame.key_frame)


def grey_frames_between(path: Path | str, start: float, end: float, size: int = ANALYSIS_SIZE,
                        references_before: float | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(t, grey image, longest side `size`) of every frame with start <= t <= end: what a fine
    comparison of pictures needs, at a fifth of the cost of RGB frames. `references_before`: the
    non-reference frames of H.264 (SKIP_NONREF_CODECS) shown before it are skipped."""
    for t, frame, dims in _frames_within(Path(path), start, end, size, references_before):
        yield t, _to_grey(frame, *dims)


def _frames_within(path: Path, start: float, end: float, size: int | None,
                   references_before: float | None = None) -> Iterator[tuple[float, av.VideoFrame, tuple[int, int]]]:
    for t, frame, dims in _decode_from(path, start, size, references_before):
        if t > end + TIME_TOLERANCE_S:
            break
        if t >= start - TIME_TOLERANCE_S:
            yield t, frame, dims


def frame_at(path: Path | str, t: float, size: int | None = ANALYSIS_SIZE) -> SampledFrame:
    """The frame on screen at time `t`: the last one starting at or before it."""
    best = None
    for ft, frame, dims in _decode_from(Path(path), t, size):
        if ft > t + TIME_TOLERANCE_S and best is not None:
            break
        best = (ft, frame, dims)
    if best is None:
        raise DecodeError(f"{path}: no frame at {t:.2f} s")
    ft, frame, dims = best
    return SampledFrame(ft, _to_rgb(frame, *dims), frame.key_frame)
