"""Accuracy of duplicate finding: precision and recall of related pairs, with ground truth from how
the files were made. Goal: precision 100%, recall >= 95%.

Files: the shared media (../shared/media, when present: the Big Buck Bunny encodes, the Sintel
trailer's two encodes, the ThreatExchange chair/pattern families, cat.1-3 and dog.1-3) plus
generated films and their variants (re-encode and resize, trims, excerpt, letterbox, crop, colour
grade, mirror, a compilation) and hard negatives (three episodes sharing an intro, films behind
black leaders, unrelated films of one colour scheme).

Scoring per pair of files: a related pair found (any kind) is a true positive, a related pair
missed a false negative; a pair of unrelated files reported is a false positive; episodes that
share only their intro may be reported as `overlap`, but `duplicate` or `contains` is a false
positive.

    .venv/bin/python bench/dupes_accuracy.py [--work /tmp/dupes_accuracy] [--no-shared]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from reelprint.dupes import DUPLICATE, OVERLAP, PairFinder
from reelprint.indexer import index_paths
from reelprint.store import Index
from reelprint.synth import film_frames, shots_for, transcode, write_video

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "media"
SIZE, FPS = (320, 180), 24.0
# Shared-media families (file name prefixes); every other file there is its own family.
SHARED_FAMILIES = {
    "bbb": ("big_buck_bunny.mp4", "bbb.mp4", "big_buck_bunny_0_30.webm", "tiny_big_buck_bunny_160x120_4fps.mkv"),
    "sintel-trailer": ("sintel_trailer_480x204.mp4", "sintel_trailer_480x204_b.mp4"),
    "chair": ("chair-",), "pattern": ("pattern-",), "cat": ("cat.",), "dog": ("dog.",),
}


def _frames(seconds: float, seed: int, tint: tuple[float, float, float] | None = None) -> list[np.ndarray]:
    frames = list(film_frames(shots_for(seconds, seed), FPS, SIZE))
    if tint is not None:  # one colour scheme for unrelated films: keep the luma detail, set the hue
        grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[..., None].astype(np.float32) for f in frames]
        frames = [np.clip(g * np.array(tint, np.float32), 0, 255).astype(np.uint8) for g in grey]
    return frames


def _decode(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def generate(work: Path) -> dict[str, str]:
    """Write the generated files; returns file name -> family ('' = hard negative of its own)."""
    work.mkdir(parents=True, exist_ok=True)
    family: dict[str, str] = {}
    for name, seed, seconds in (("film_a", 11, 40), ("film_b", 12, 36), ("film_c", 13, 30)):
        src = work / f"{name}.mp4"
        if not src.exists():
            write_video(src, _frames(seconds, seed), FPS)
        variants = {
            "reencode_small.mkv": {"size": (256, 144), "options": {"crf": "30"}},
            "trim_start.mp4": {"start": 3.0},
            "trim_end.mp4": {"end": seconds - 3.0},
            "excerpt.mp4": {"start": 10.0, "end": 22.0},
            "letterbox.mp4": {"pad": (0, 30)},
            "pillarbox.mp4": {"pad": (40, 0)},
            "mirror.mp4": {"mirror": True},
            "mpeg4.avi": {"codec": "mpeg4", "options": {"qscale": "4"}},
        }
        family[src.name] = name
        for suffix, kw in variants.items():
            dst = work / f"{name}_{suffix}"
            if not dst.exists():
                transcode(src, dst, **kw)
            family[dst.name] = name
        frames = None
        changes = (("grade.mp4", lambda f: np.clip(f.astype(np.float32) * [1.1, 0.95, 0.8] + 12, 0, 255)),
                   ("crop.mp4", lambda f: cv2.resize(f[12:-12, 16:-16], SIZE, interpolation=cv2.INTER_AREA)))
        for suffix, change in changes:
            dst = work / f"{name}_{suffix}"
            if not dst.exists():
                frames = frames or _decode(src)
                write_video(dst, [change(f).astype(np.uint8) for f in frames], FPS)
            family[dst.name] = name
    comp = work / "compilation.mp4"
    if not comp.exists():
        a, b = _decode(work / "film_a.mp4"), _decode(work / "film_b.mp4")
        write_video(comp, a[int(5 * FPS):int(17 * FPS)] + b[int(12 * FPS):int(26 * FPS)], FPS)
    family[comp.name] = "film_a+film_b"
    intro = _frames(10, 21)
    for i in range(3):
        ep = work / f"episode{i + 1}.mp4"
        if not ep.exists():
            write_video(ep, intro + _frames(40, 31 + i), FPS)
        family[ep.name] = f"episode{i + 1}"
    black = [np.zeros((SIZE[1], SIZE[0], 3), np.uint8)] * int(4 * FPS)
    for i in range(3):
        lead = work / f"leader{i + 1}.mp4"
        if not lead.exists():
            write_video(lead, black + _frames(20, 41 + i), FPS)
        family[lead.name] = f"leader{i + 1}"
        tinted = work / f"tinted{i + 1}.mp4"
        if not tinted.exists():
            write_video(tinted, _frames(20, 51 + i, tint=(1.0, 0.75, 0.45)), FPS)
        family[tinted.name] = f"tinted{i + 1}"
    return family


def _related(fa: str, fb: str) -> bool:
    return bool(set(fa.split("+")) & set(fb.split("+")))


def shared_family(name: str) -> str:
    for fam, prefixes in SHARED_FAMILIES.items():
        if any(name.startswith(p) for p in prefixes):
            return fam
    return name


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, default=Path("/tmp/dupes_accuracy"))
    ap.add_argument("--no-shared", action="store_true")
    args = ap.parse_args()
    family = {str(args.work / n): f for n, f in generate(args.work).items()}
    folders = [args.work]
    if not args.no_shared and (SHARED / "MANIFEST.tsv").exists():
        folders.append(SHARED)
        for path in SHARED.rglob("*"):
            if path.is_file() and path.name != "MANIFEST.tsv":
                family[str(path)] = "shared:" + shared_family(path.name)
    db = args.work / "index.db"
    with Index.open(db) as index:
        index_paths(index, folders)
        start = time.perf_counter()
        finder = PairFinder(index)
        found = {frozenset((p.a, p.b)): p for p in finder.all_pairs()}
        seconds = time.perf_counter() - start
    episodes = {f for f in family.values() if f.startswith("episode")}
    tp = fp = fn = wrong_kind = 0
    rows = []
    cropped = {"tp": 0, "all": 0}  # pairs with a cropped file (the 7% crops, the 4:3 tiny BBB)
    for a, b in itertools.combinations(sorted(family), 2):
        fa, fb = family[a], family[b]
        pair = found.get(frozenset((a, b)))
        if _related(fa, fb):
            tp += pair is not None
            fn += pair is None
            if any("_crop" in p or "tiny_" in p for p in (a, b)):
                cropped["all"] += 1
                cropped["tp"] += pair is not None
            if pair is None:
                rows.append(f"missed   {os.path.basename(a)} ~ {os.path.basename(b)}")
            elif pair.kind == DUPLICATE and any(k in a + b for k in ("_excerpt", "compilation")):
                wrong_kind += 1  # an excerpt or a compilation is never a duplicate of a whole film
                rows.append(f"KIND     {pair.kind}: {os.path.basename(a)} ~ {os.path.basename(b)}")
        elif pair is not None and not ({fa, fb} <= episodes and pair.kind == OVERLAP):
            fp += 1
            rows.append(f"WRONG    {pair.kind}: {os.path.basename(a)} ~ {os.path.basename(b)}")
    print("\n".join(rows))
    print(f"all pairs in {seconds:.1f} s; weak hypotheses judged on pictures: {finder.weak_checked}, "
          f"decoded now: {finder.decoded} (the rest read back from the index)")
    files = len(family)
    rest = (tp - cropped["tp"]) / max(1, tp + fn - cropped["all"])
    print(f"| files | related pairs | found | wrong | excerpt called duplicate | precision | recall "
          f"| recall without crops |\n|---|---|---|---|---|---|---|---|\n"
          f"| {files} | {tp + fn} | {tp} | {fp} | {wrong_kind} | {tp / max(1, tp + fp):.1%} "
          f"| {tp / max(1, tp + fn):.1%} | {rest:.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
