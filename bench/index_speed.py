"""How long `reelprint index` takes on a 1080p H.264 file, against a full decode of that file.

    .venv/bin/python bench/index_speed.py [--source FILE] [--seconds N] [--runs 3]

The test file is made once (cached in bench/.cache): real footage from ../shared/media (Big Buck
Bunny's first minute) scaled to 1920x1080 and encoded with libx264's defaults (CRF 23, keyint
250, scene-cut detection), as a typical film in a library is. Both measurements run in this
process's machine in the same run, alternating, and the table gives medians and their ratio:
the goal is indexing in at most 0.15x the time of a full decode.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2

from reelprint.sampling import SamplingPolicy, sample_frames
from reelprint.synth import film_frames, shots_for, write_video

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "media"
DEFAULT_SOURCE = SHARED / "parulj-ivideo" / "big_buck_bunny.mp4"


def make_1080p(source: Path | None, seconds: float) -> Path:
    cache = HERE / ".cache"
    cache.mkdir(exist_ok=True)
    name = f"{source.stem if source else 'synthetic'}_1080p_{int(seconds)}s.mp4"
    out = cache / name
    if out.exists():
        return out
    print(f"making {out} (once)...", file=sys.stderr)
    if source and source.exists():
        def frames():
            with av.open(str(source)) as c:
                for f in c.decode(c.streams.video[0]):
                    if f.time is not None and f.time >= seconds:
                        break
                    yield cv2.resize(f.to_ndarray(format="rgb24"), (1920, 1080), interpolation=cv2.INTER_CUBIC)
        with av.open(str(source)) as c:
            fps = float(c.streams.video[0].average_rate or 24)
        write_video(out, frames(), fps, "libx264", options={"preset": "veryfast"})
    else:
        write_video(out, film_frames(shots_for(seconds, seed=5), 24, (1920, 1080)), 24, "libx264",
                    options={"preset": "veryfast"})
    return out


def full_decode(path: Path) -> float:
    start = time.perf_counter()
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in c.decode(stream):
            pass
    return time.perf_counter() - start


def cli_index(path: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "reelprint.cli", "--db", f"{tmp}/i.db", "index", "-q", str(path)],
                       check=True)
        return time.perf_counter() - start


def cli_startup() -> float:
    start = time.perf_counter()
    # `index --help` loads what `index` loads and builds its parser, then stops.
    subprocess.run([sys.executable, "-m", "reelprint.cli", "index", "--help"], check=True, capture_output=True)
    return time.perf_counter() - start


def sampling_only(path: Path) -> float:
    start = time.perf_counter()
    _, frames = sample_frames(path, SamplingPolicy())
    for _ in frames:
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = make_1080p(args.source, args.seconds)
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        duration = float(s.duration * s.time_base) if s.duration else c.duration / av.time_base
    _, frames = sample_frames(path)
    sampled = sum(1 for _ in frames)

    timings: dict[str, list[float]] = {"full decode (PyAV, all frames)": [], "reelprint index (CLI)": [],
                                       "  of which CLI start-up": [], "  of which sampling+decode": []}
    for _ in range(args.runs):
        timings["full decode (PyAV, all frames)"].append(full_decode(path))
        timings["reelprint index (CLI)"].append(cli_index(path))
        timings["  of which CLI start-up"].append(cli_startup())
        timings["  of which sampling+decode"].append(sampling_only(path))

    full = statistics.median(timings["full decode (PyAV, all frames)"])
    print(f"\nfile: {path.name}  ({duration:.1f} s of 1920x1080 H.264; {sampled} frames sampled)")
    print(f"{'step':34} {'median s':>9} {'x realtime':>11} {'vs full decode':>15}")
    for name, values in timings.items():
        m = statistics.median(values)
        print(f"{name:34} {m:9.3f} {duration / m:11.1f} {m / full:15.3f}")


if __name__ == "__main__":
    main()
