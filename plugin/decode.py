"""Opening videos and decoding the frames at and between given times, with exact timestamps.

Which frames the index fingerprints is `sampling.py`'s choice; this module opens files with one-line
errors, and decodes any moment (refining a search, thumbnails) from the keyframe before it.

Timestamps are always the frames' own pts in seconds from the stream start, never
`index / fps`, so variable frame rate and missing frame counts cannot skew them.
"""

from __future__ import annotations

from collections.abc import Iterator
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

# 8-bit pixel formats whose first plane is the luma, at full size.
LUMA_FIRST_FORMATS = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p",
                                "yuv440p", "yuvj440p", "yuv411p", "yuv410p", "nv12", "nv21", "gray"})

# AVCOL_RANGE_JPEG: luma uses 0-255; otherwise (MPEG, or unspecified) 16-235.
FULL_RANGE = 2
_LIMITED_TO_FULL = np.clip((np.arange(256) - 16) * 255 / 219 + 0.5, 0, 255).astype(np.uint8)

# A stretch of frames this large or larger is decoded on the decoder's own threads, smaller
# ones on one thread (`grey_frames_between`). Search decodes two stretches side by side, and a
# 10 s GOP of 1080p is often left decoding alone on one core after the other stretch is done:
# with threads (for every size, in that run), bench/search_1080p.py took 0.88-0.92 of the time
# (medians of three alternating runs). For small frames the threads cost more to start than they gain.
THREADED_MIN_PIXELS = 1280 * 720
# A frame more than this many times as tall as the grey picture asked of it is read every few
# pixels before it is area-averaged (`to_grey`'s stride): averaging all of a 1080p frame's luma
# down to 160 px cost 1.1 ms, a quarter of decoding it (3.5 ms, one thread); read every third
# pixel, 0.2 ms. What is left is still an average of 16 pixels an output pixel; scores came out
# a median 0.002-0.003 lower (at most 0.026), and the moment found moved by a frame or two (0.04-
# 0.08 s) for 7 of 30 stills of 1080p Big Buck Bunny (exactly the still's frame: 25 of 30
# before, 20 after) and 1 of 30 each of the doorknob at 720p and at 1080p. Every other pixel
# (a margin of 6) kept 24 of 30 exact but was slower in bench/search_1080p.py.
GREY_READ_MARGIN = 4

# The index stores times to the millisecond, and search holds them as float32 (a 5-hour film's
# last times to a millisecond too): a time read back may be up to 1.5 ms from the frame's own
# pts, either way. Under half the gap between frames of a 240 fps phone clip (4.2 ms).
TIME_TOLERANCE_S = 0.002


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
    keyframe: bool      # an intra frame (a keyframe or a probed I-frame), not one decoded into a GOP
    swept: bool = False  # sampled by a sweep, where the picture changed (`sampling.py`)


def open_video(path: Path) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    """The container and its first video stream; DecodeError with a one-line reason otherwise."""
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except FileNotFoundError:
        raise DecodeError(f"{path}: no such file") from None
    except PermissionError:
        raise DecodeError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise DecodeError(f"{path}: is a directory") from None
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"{path}: not a readable video ({error_reason(exc)})") from None
    if not container.streams.video:
        container.close()
        raise DecodeError(f"{path}: no video stream")
    stream = container.streams.video[0]
    if not stream.codec_context.width or not stream.codec_context.height:
        # Random bytes are now and then taken for an H.263 stream with no picture in it.
        container.close()
        raise DecodeError(f"{path}: not a readable video (no picture size)")
    stream.thread_type = "AUTO"
    return container, stream


def error_reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc).strip().rstrip(".") or type(exc).__name__


def stream_info(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> VideoInfo:
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
    container, stream = open_video(path)
    with container:
        return stream_info(container, stream)


def display_size(stream: av.video.stream.VideoStream, size: int) -> tuple[int, int]:
    """Analysis size: longest side `size`, display aspect ratio (anamorphic pixels corrected)."""
    cc = stream.codec_context
    sar = cc.sample_aspect_ratio or Fraction(1)
    w, h = cc.width * float(sar), float(cc.height)
    scale = min(1.0, size / max(w, h))  # never upscale: it costs time and adds nothing
    return max(2, round(w * scale)), max(2, round(h * scale))


def to_rgb(frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
    # Area averaging, never nearest neighbour: a "mean colour" must be a mean of the frame.
    return frame.reformat(width=width, height=height, format="rgb24", interpolation="AREA").to_ndarray()


class StreamClock:
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


def _decode_from(path: Path, start: float, size: int | None, references_before: float | None = None,
                 one_thread_below: int = 0) -> Iterator[tuple[float, av.VideoFrame, tuple[int, int]]]:
    """(t, frame, output size) for every frame from the keyframe at or before `start` onwards;
    with `references_before`, without the frames shown before that time that no other frame
    refers to, for codecs that can skip them (SKIP_NONREF_CODECS): getting to a moment deep in a
    GOP costs less. Frames of fewer than `one_thread_below` pixels are decoded on one thread.

    Converting a frame costs more than decoding it, so callers convert only the frames they keep.
    """
    container, stream = open_video(path)
    cc = stream.codec_context
    if cc.width * cc.height < one_thread_below:
        stream.thread_type, stream.thread_count = "NONE", 1
    with container:
        clock = StreamClock(stream)
        tb = stream.time_base or Fraction(1, 1000)
        skipping = references_before is not None and cc.name in SKIP_NONREF_CODECS
        if skipping:
            cc.skip_frame = "NONREF"
        dims = display_size(stream, size) if size else (cc.width, cc.height)
        try:
            for packet in _packets_from(container, stream, start):
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
            raise DecodeError(f"{path}: decoding failed ({error_reason(exc)})") from None


def _packets_from(container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                  start: float) -> Iterator[av.Packet]:
    """The stream's packets from the last keyframe at or before `start`, or up to TIME_TOLERANCE_S
    after it: a stored keyframe's time read back may fall just before the keyframe, and seeking
    there decoded the whole GOP before it on the way (1.2 s of 1080p from a stored keyframe: 716
    ms, against 196 ms from the keyframe). A container with an index (mp4, mkv) seeks there at
    once; a transport stream's seek lands near the time, after it as often as not and between
    keyframes, so it backs off until a keyframe comes at or before `start` (before this, the
    frames of a .ts after its first GOP could not be reached at all)."""
    if start <= 0 or not stream.time_base:
        yield from container.demux(stream)
        return
    clock, back = StreamClock(stream), -TIME_TOLERANCE_S
    while True:
        target = max(0.0, start - back)
        _seek(container, stream, target)
        packets = container.demux(stream)
        for packet in packets:
            t = clock.seconds(packet.pts if packet.pts is not None else packet.dts)
            if packet.is_keyframe and packet.size and t is not None:
                break
        else:
            t = None
        if target == 0.0 or (t is not None and t <= start + TIME_TOLERANCE_S):
            if t is not None:
                yield packet
                yield from packets
            return
        back = max(1.0, 2 * back)


def _seek(container: av.container.InputContainer, stream: av.video.stream.VideoStream, target: float) -> None:
    if target == 0.0:
        try:  # the first byte: a transport stream's seek to its first time lands after its first frames
            container.seek(0, unsupported_byte_offset=True)
            return
        except av.error.FFmpegError:
            pass
    container.seek((stream.start_time or 0) + int(target / stream.time_base), stream=stream, backward=True)


def to_grey(frame: av.VideoFrame, width: int, height: int, stride: int = 1) -> np.ndarray:
    """The frame's luma at (width, height), full range, as an RGB conversion would give it. An
    8-bit YUV frame's first plane is its luma, a grey picture for free: 0.44 ms a 720p frame with
    OpenCV's area resize, where swscale took 1.5 ms for grey and 2.2 ms for RGB (measured).
    Limited-range luma (16-235) is stretched with the clipping RGB has: in a dark fade most of
    the picture sits near black, and without the clipping a screenshot of it correlated 0.95
    instead of 1.0 with its own frame. `stride` takes every stride-th pixel of every stride-th
    row of an 8-bit YUV frame first, for a glance at a large frame (`sampling.glance_hash`)."""
    if frame.format.name in LUMA_FIRST_FORMATS:
        plane = frame.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: frame.height : stride,
                                                                           : frame.width : stride]
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
        yield SampledFrame(t, to_rgb(frame, *dims), frame.key_frame)


def grey_frames_between(path: Path | str, start: float, end: float, size: int = ANALYSIS_SIZE,
                        references_before: float | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(t, grey image, longest side `size`) of every frame with start <= t <= end: what a fine
    comparison of pictures needs, at a fifth of the cost of RGB frames. `references_before`: the
    non-reference frames of H.264 (SKIP_NONREF_CODECS) shown before it are skipped.

    Decoded on one thread below THREADED_MIN_PIXELS: callers decode a few seconds at a time,
    several stretches side by side (`refine.refine_ahead`), where the decoder's own threads cost
    more to start than they gain (searches of 12 stills, two stretches at a time: medians
    0.89-0.93 of the time with them)."""
    for t, frame, dims in _frames_within(Path(path), start, end, size, references_before, THREADED_MIN_PIXELS):
        yield t, to_grey(frame, *dims, stride=max(1, frame.height // (GREY_READ_MARGIN * dims[1])))


def _frames_within(path: Path, start: float, end: float, size: int | None, references_before: float | None = None,
                   one_thread_below: int = 0) -> Iterator[tuple[float, av.VideoFrame, tuple[int, int]]]:
    for t, frame, dims in _decode_from(path, start, size, references_before, one_thread_below):
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
    return SampledFrame(ft, to_rgb(frame, *dims), frame.key_frame)
