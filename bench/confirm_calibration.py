"""Calibration of confirm.SAME_PICTURE_NCC on clips made here, none of them in the accuracy
benchmark (other seeds, another tint): per compared moment, the similarity of the true moment of
a variant (7% crop, large logo, both, colour grade, mirror, a 4:3 centre cut at 160x120) and of
moments of unrelated films (two films and their variants, three films in one colour scheme, at
several offsets).

    .venv/bin/python bench/confirm_calibration.py [--work /tmp/confirm_calibration]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from reelprint import confirm
from reelprint.borders import LetterboxCrop
from reelprint.synth import film_frames, shots_for, with_logo, write_video

SIZE, FPS, SECONDS = (320, 180), 24.0, 30.0


def _frames(seed: int, tint: tuple[float, float, float] | None = None) -> list[np.ndarray]:
    frames = list(film_frames(shots_for(SECONDS, seed), FPS, SIZE))
    if tint is not None:
        frames = [np.clip(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[..., None] * np.array(tint), 0, 255).astype(np.uint8)
                  for f in frames]
    return frames


def _crop(f: np.ndarray) -> np.ndarray:
    return cv2.resize(f[12:-12, 16:-16], SIZE, interpolation=cv2.INTER_AREA)


VARIANTS = {
    "crop": _crop,
    "logo": with_logo,
    "crop_logo": lambda f: with_logo(_crop(f)),
    "grade": lambda f: np.clip(f.astype(np.float32) * [0.9, 1.05, 1.2] - 10, 0, 255).astype(np.uint8),
    "mirror": lambda f: np.ascontiguousarray(f[:, ::-1]),
    "narrow": lambda f: cv2.resize(f[:, 40:-40], (160, 120), interpolation=cv2.INTER_AREA),
}


def _write(path: Path, frames: list[np.ndarray]) -> Path:
    if not path.exists():
        write_video(path, frames, FPS)
    return path


def _similarity(a: Path, b: Path, offset: float, mirrored: bool) -> np.ndarray:
    hypothesis = confirm.Hypothesis(0, 1, offset, mirrored)
    times = confirm.moments(max(0.0, -offset), min(SECONDS, SECONDS - offset), np.zeros(0))
    return confirm.look(str(a), LetterboxCrop(), str(b), LetterboxCrop(), hypothesis, times).similarity


def _longest_run(values: np.ndarray, threshold: float) -> int:
    best = run = 0
    for v in values:
        run = run + 1 if v >= threshold else 0
        best = max(best, run)
    return best


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, default=Path("/tmp/confirm_calibration"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    files: dict[tuple[int, str], Path] = {}
    for seed in (3001, 3002):
        base = _frames(seed)
        files[seed, "orig"] = _write(args.work / f"f{seed}.mp4", base)
        for name, change in VARIANTS.items():
            files[seed, name] = _write(args.work / f"f{seed}_{name}.mp4", [change(f) for f in base])
    tinted = [_write(args.work / f"tinted{seed}.mp4", _frames(seed, tint=(0.45, 0.8, 1.0)))
              for seed in (3011, 3012, 3013)]
    true: dict[str, list[float]] = {}
    false: list[np.ndarray] = []
    for seed, other in ((3001, 3002), (3002, 3001)):
        for name in VARIANTS:
            true.setdefault(name, []).extend(_similarity(files[seed, "orig"], files[seed, name], 0.0, name == "mirror"))
        for name in ("orig", "crop", "logo", "crop_logo"):
            false.append(_similarity(files[seed, "orig"], files[other, name], 0.0, False))
            false.append(_similarity(files[seed, name], files[other, "orig"], 4.0, False))
    for i in range(3):
        for j in range(i + 1, 3):
            for offset in (0.0, 3.0, -5.0):
                false.append(_similarity(tinted[i], tinted[j], offset, False))
    print("| moments of | n | min | 5th pct | median |\n|---|---|---|---|---|")
    for name, values in true.items():
        v = np.array(values)
        print(f"| {name} (same moment) | {len(v)} | {v.min():.3f} | {np.percentile(v, 5):.3f} | {np.median(v):.3f} |")
    f = np.concatenate(false)
    print(f"| unrelated films | {len(f)} | max {f.max():.3f} | 99th pct {np.percentile(f, 99):.3f} "
          f"| {np.median(f):.3f} |")
    runs = max(_longest_run(v, confirm.SAME_PICTURE_NCC) for v in false)
    print(f"longest run of unrelated moments at or above {confirm.SAME_PICTURE_NCC}: {runs} "
          f"(a segment needs {confirm.MIN_MOMENTS})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
