"""The watch daemon's footprint and latency.

    .venv/bin/python bench/daemon_memory.py [--files 20000] [--events 10000] [--clip FILE]

1. Resident memory of the idle daemon watching a library of `--files` videos (tiny dummy files in
   100 folders, pre-recorded in the database as indexed with their size and mtime, the state a
   real library is in once indexed, with one frame each since the daemon never reads frames: it
   sees them all as unchanged), then after each of
   three rounds of `--events` filesystem events (attribute changes and renames there and back,
   which the daemon must settle and look at, but which change nothing): memory must not grow.
2. Time from a 2-minute 1080p H.264 film landing in a watched folder (copied in) to being
   searchable, with the daemon's default quiet period; and how that splits into waiting for the
   copy to settle and fingerprinting. The film is generated once with reelprint.synth and cached
   in bench/.cache (the generation time is printed the first time).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
from PIL import Image

from reelprint.borders import LetterboxCrop
from reelprint.decode import VideoInfo, frame_at
from reelprint.features import FRAME_DTYPE
from reelprint.indexer import fingerprint
from reelprint.search import search_files
from reelprint.store import Index
from reelprint.synth import film_frames, shots_for, write_video

HERE = Path(__file__).resolve().parent
FOLDERS = 100
# Longer than two quiet periods and a heartbeat: the daemon has certainly settled everything.
IDLE_SECONDS = 15.0


def make_library(root: Path, db: Path, count: int) -> list[Path]:
    paths = []
    info = VideoInfo(60.0, 24.0, 1920, 1080, "h264")
    with Index.open(db) as index, index.transaction():
        for i in range(count):
            folder = root / f"Show {i % FOLDERS:03d}"
            folder.mkdir(exist_ok=True)
            path = folder / f"episode {i:05d}.mkv"
            path.write_bytes(i.to_bytes(4, "little") * 16)
            st = path.stat()
            video_id = index.queue(str(path), st.st_size, st.st_mtime, f"sig{i}")
            index.save_fingerprint(video_id, info, np.zeros(1, FRAME_DTYPE), LetterboxCrop(0, 0, 0, 0))
            paths.append(path)
    return paths


def rss_mb(pid: int) -> tuple[float, float]:
    """(daemon process, daemon + workers) resident memory in MB."""
    main = psutil.Process(pid)
    total = main.memory_info().rss + sum(c.memory_info().rss for c in main.children(recursive=True))
    return main.memory_info().rss / 2**20, total / 2**20


def wait(condition, timeout: float = 600.0) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise SystemExit("timed out")
        time.sleep(0.05)
    return time.perf_counter() - start


def daemon_state(db: Path) -> dict:
    with Index.open(db) as index:
        from reelprint.heartbeat import daemon_status
        return daemon_status(index)


def idle(db: Path, log: Path, marker: str) -> bool:
    """Nothing waiting or running, and the log quiet, for IDLE_SECONDS."""
    state = daemon_state(db)
    if not (marker in log.read_text() and state["queue"] == 0 and not state["current"]):
        return False
    return time.time() - log.stat().st_mtime > IDLE_SECONDS


def make_events(paths: list[Path], count: int) -> None:
    """`count` events: attribute changes (same times) and renames there and back."""
    n = 0
    while n < count:
        for path in paths:
            if n >= count:
                break
            if n % 4 == 0:
                tmp = path.with_name(path.stem + " (renamed).mkv")
                path.rename(tmp)
                tmp.rename(path)
                n += 2
            else:
                st = path.stat()
                path.touch()
                os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
                n += 2


def make_clip(seconds: float) -> Path:
    out = HERE / ".cache" / f"synthetic_1080p_{int(seconds)}s.mp4"
    if not out.exists():
        out.parent.mkdir(exist_ok=True)
        start = time.perf_counter()
        part = out.with_suffix(".part.mp4")
        write_video(part, film_frames(shots_for(seconds, seed=5), 24, (1920, 1080)), 24, "libx264",
                    options={"preset": "veryfast"})
        part.rename(out)
        print(f"generated {out.name} in {time.perf_counter() - start:.0f} s (once)", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--clip", type=Path, help="the film to land (default: a generated 2-min 1080p clip)")
    args = parser.parse_args()
    clip = args.clip or make_clip(120)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        lib, db = tmp / "lib", tmp / "lib.db"
        lib.mkdir()
        start = time.perf_counter()
        paths = make_library(lib, db, args.files)
        print(f"library of {args.files} files made in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        log = Path(f"{db}.log")
        proc = subprocess.Popen([sys.executable, "-m", "reelprint.cli", "--db", str(db), "daemon", "--watch",
                                 str(lib)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows = []
        try:
            wait(lambda: log.exists() and idle(db, log, "rescan:"))
            time.sleep(2)
            rows.append(("idle, watching", args.files, *rss_mb(proc.pid)))
            for round_ in range(1, 4):
                make_events(paths, args.events)
                time.sleep(1)
                wait(lambda: idle(db, log, "rescan:"))
                rows.append((f"after {round_ * args.events} events", args.files, *rss_mb(proc.pid)))

            latencies = {}
            with Index.open(db) as index:
                for how in ("copied in (cp)", "moved in (mv)"):
                    target = lib / f"new film {how[:6]}.mp4"
                    data = clip.read_bytes() + how.encode()  # distinct bytes: really fingerprinted
                    if how.startswith("moved"):  # lands whole from outside the roots: a "created" event
                        (tmp / "staging.mp4").write_bytes(data)
                        (tmp / "staging.mp4").rename(target)
                    else:  # written in place, then closed
                        target.write_bytes(data)
                    latencies[how] = wait(lambda t=target: (v := index.video(str(t))) is not None
                                          and v.state == "indexed")
            still = tmp / "still.png"
            Image.fromarray(frame_at(clip, 61.0).image).save(still)
            with Index.open(db) as index:
                found = search_files(index, [still], top=1)[0].matches
            rss_after = rss_mb(proc.pid)
            film_log = [line for line in log.read_text().splitlines() if "new film" in line]
        finally:
            proc.terminate()
            proc.wait(timeout=60)

    print(f"\n{'daemon state':<24} {'files':>7} {'RSS main MB':>12} {'RSS +workers MB':>16}")
    for label, files, main_mb, total_mb in rows:
        print(f"{label:<24} {files:>7} {main_mb:>12.0f} {total_mb:>16.0f}")
    print(f"{'after indexing the film':<24} {args.files:>7} {rss_after[0]:>12.0f} {rss_after[1]:>16.0f}")
    start = time.perf_counter()
    frames = len(fingerprint(clip).frames)
    alone = time.perf_counter() - start
    for how, seconds in latencies.items():
        print(f"\n2-min 1080p film {how} -> searchable: {seconds:.1f} s")
    print(f"(of which fingerprinting alone, in this process: {alone:.1f} s, {frames} frames); "
          f"a frame at 61 s found in it: {bool(found) and found[0].path.startswith(str(lib))}")
    print("\n".join(film_log))

if __name__ == "__main__":
    main()
