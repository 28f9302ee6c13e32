"""Synthetic footage for examples, tests and benchmarks: shots with cuts, colour and motion.

Real films can't ship in the repo, so the example library and the tests make their own with
this module and PyAV's bundled encoders. Each shot has its own palette, a textured moving
background and moving shapes, so frames carry enough detail for perceptual hashes and shots
differ the way a film's do. Everything is seeded: the same arguments make the same pixels.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np


@dataclass(frozen=True)
class Shot:
    seconds: float
    seed: int


def shots_for(seconds: float, seed: int, mean_shot: float = 3.0) -> list[Shot]:
    """A film of `seconds` cut into shots of 1.5..(2 x mean_shot) seconds."""
    rng = np.random.default_rng(seed)
    shots, total = [], 0.0
    while total < seconds - 1e-9:
        length = min(float(rng.uniform(1.5, 2 * mean_shot)), seconds - total)
        shots.append(Shot(length, int(rng.integers(1 << 30))))
        total += length
    return shots


def _texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    small = rng.random((max(2, h // 24), max(2, w // 24), 3)).astype(np.float32)
    return cv2.resize(small, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC)


def shot_frames(shot: Shot, fps: float, size: tuple[int, int]) -> Iterator[np.ndarray]:
    """RGB uint8 frames of one shot at `fps`, `size` = (width, height)."""
    w, h = size
    rng = np.random.default_rng(shot.seed)
    c1, c2 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    texture = _texture(rng, h, w)
    pan = rng.uniform(-1, 1, 2) * np.array([w, h]) * 0.15  # pixels per second
    shapes = [(rng.uniform(0, w), rng.uniform(0, h), rng.uniform(-1, 1) * w * 0.2, rng.uniform(-1, 1) * h * 0.2,
               rng.uniform(0.05, 0.2) * min(w, h), tuple(int(c) for c in rng.integers(0, 256, 3)),
               int(rng.integers(2)))
              for _ in range(int(rng.integers(3, 7)))]
    ramp = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    base = (c1 * (1 - ramp) + c2 * ramp).astype(np.float32)  # (1, w, 3)
    for i in range(max(1, round(shot.seconds * fps))):
        t = i / fps
        ox = int(abs(pan[0] * t)) % w
        oy = int(abs(pan[1] * t)) % h
        tex = texture[oy : oy + h, ox : ox + w]
        frame = np.clip(base * (0.55 + 0.9 * tex), 0, 255).astype(np.uint8)
        for x, y, vx, vy, r, col, kind in shapes:
            cx, cy = int((x + vx * t) % w), int((y + vy * t) % h)
            if kind:
                cv2.circle(frame, (cx, cy), int(r), col, -1, lineType=cv2.LINE_AA)
            else:
                cv2.rectangle(frame, (cx, cy), (int(cx + r * 1.6), int(cy + r)), col, -1)
        yield frame


def film_frames(shots: Sequence[Shot], fps: float, size: tuple[int, int]) -> Iterator[np.ndarray]:
    for shot in shots:
        yield from shot_frames(shot, fps, size)


def write_video(path: str | Path, frames: Iterable[np.ndarray], fps: float, codec: str = "libx264",
                times: Sequence[float] | None = None, options: dict[str, str] | None = None,
                pix_fmt: str = "yuv420p") -> Path:
    """Encode RGB frames to `path` (container from the extension).

    `times` gives each frame's timestamp in seconds for variable-frame-rate files; by default
    frames are 1/fps apart.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.pix_fmt = pix_fmt
        stream.options = dict(options or {})
        time_base = Fraction(1, 1000) if times is not None else 1 / rate
        stream.codec_context.time_base = time_base
        first = True
        for i, rgb in enumerate(frames):
            if first:
                stream.width, stream.height = rgb.shape[1], rgb.shape[0]
                first = False
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = round(times[i] * 1000) if times is not None else i
            frame.time_base = time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def with_logo(frame: np.ndarray) -> np.ndarray:
    """The frame with a large black line drawing on it (a face over about a sixth of the
    picture, like ThreatExchange's large-logo variants), scaled to the frame's size."""
    out = frame.copy()
    h, w = out.shape[:2]
    s = min(w / 320, h / 180)
    cx, cy = round(w * 0.56), round(h * 0.28)

    def pt(dx: float, dy: float) -> tuple[int, int]:
        return round(cx + dx * s), round(cy + dy * s)

    for dx in (-25, 25):
        cv2.circle(out, pt(dx, 0), round(18 * s), (0, 0, 0), max(1, round(6 * s)))
        cv2.circle(out, pt(dx, 0), round(6 * s), (0, 0, 0), -1)
    cv2.ellipse(out, pt(0, 45), (round(55 * s), round(38 * s)), 0, 0, 180, (0, 0, 0), max(1, round(7 * s)))
    cv2.line(out, pt(-55, 45), pt(55, 45), (0, 0, 0), max(1, round(7 * s)))
    return out


def make_film(path: str | Path, seconds: float, seed: int, size: tuple[int, int] = (320, 180),
              fps: float = 24.0, codec: str = "libx264", options: dict[str, str] | None = None) -> Path:
    """A whole synthetic film in one call."""
    return write_video(path, film_frames(shots_for(seconds, seed), fps, size), fps, codec, options=options)


def transcode(src: str | Path, dst: str | Path, codec: str = "libx264", size: tuple[int, int] | None = None,
              start: float = 0.0, end: float | None = None, mirror: bool = False,
              pad: tuple[int, int] = (0, 0), options: dict[str, str] | None = None) -> Path:
    """Re-encode a video: another codec or size, a trimmed or excerpted stretch, mirrored, or with
    black bars (`pad` = (horizontal, vertical) pixels on each side). The variants a library has."""
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 24)
        frames = []
        for frame in container.decode(stream):
            t = float(frame.pts * stream.time_base) if frame.pts is not None else 0.0
            if t < start - 1e-6 or (end is not None and t >= end - 1e-6):
                continue
            rgb = frame.to_ndarray(format="rgb24")
            if size:
                rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            if mirror:
                rgb = rgb[:, ::-1]
            if pad != (0, 0):
                rgb = cv2.copyMakeBorder(rgb, pad[1], pad[1], pad[0], pad[0], cv2.BORDER_CONSTANT, value=0)
            frames.append(rgb)
    return write_video(dst, frames, fps, codec, options=options)
