"""Search accuracy on real footage: screenshots that went through things, found or not.

    .venv/bin/python bench/search_accuracy.py [--media ../shared/media] [--n 6] [--folds 2]

The shared media holds near-duplicate families (cat.1/2/3, four encodes of Big Buck Bunny,
six chair clips...): a frame of cat.1 is as much in cat.2 as in cat.1, so an index holding both
has no single right answer. Each fold therefore indexes ONE member of each family of one half
of the families; positives are random frames of the indexed videos, negatives (false-match
rate) random frames of every video of the other half, whose content is nowhere in that index.
Folds alternate the halves and rotate which member of each family is indexed.

Half B (--tune-half) was held out while tuning thresholds: the constants in reelprint.search
and reelprint.verify were set looking at half A folds only (even folds).

Source frames that are not evidence (black, flat, a deep fade, by the index's own quality
measure) are drawn again: they are in every video, and search declines them by design.

Right video: the first match is the video the frame came from. Right time: also |t - truth|
<= 1 s, or the truth lies inside the reported static-shot span, or the reported moment shows
the same picture as the truth (`refine.same_picture`, whole-frame correlation >= 0.995, the test
for a static shot): a static camera's empty room comes back at other moments, and no still can tell
those apart. Such answers are counted separately in the output.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from reelprint.decode import frame_at, probe
from reelprint.features import EVIDENCE_MIN_QUALITY, image_features
from reelprint.indexer import index_paths
from reelprint.refine import same_picture
from reelprint.screenshots import TRANSFORMS
from reelprint.search import Searcher
from reelprint.store import Index
from reelprint.verify import frame_grey

REPO = Path(__file__).resolve().parents[1]
# Family: videos showing the same content (by MANIFEST.tsv). Halves are balanced by length.
FAMILIES: dict[str, list[str]] = {
    "cat": ["Farmadupe-vid_dup_finder_lib/cat.1.mp4", "Farmadupe-vid_dup_finder_lib/cat.2.mp4",
            "Farmadupe-vid_dup_finder_lib/cat.3.webm"],
    "dog": ["Farmadupe-vid_dup_finder_lib/dog.1.mp4", "Farmadupe-vid_dup_finder_lib/dog.2.mp4",
            "Farmadupe-vid_dup_finder_lib/dog.3.webm"],
    "bbb": ["parulj-ivideo/big_buck_bunny.mp4", "towardens-retro-tv/bbb.mp4", "Zulko-moviepy/big_buck_bunny_0_30.webm",
            "russhughes-TinyBigBuckBunny/tiny_big_buck_bunny_160x120_4fps.mkv"],
    "sintel": ["saveniukoleh-ar-page/sintel_trailer_480x204.mp4", "Mangomm-FFmpegC/sintel_excerpt.mp4",
               "jhclaura-Threejs-Workshop/sintel_trailer_480x204_b.mp4", "awwkl-ZWM/clip_03_sintel.mp4"],
    "chair": ["facebook-ThreatExchange-tmk/chair-20-sd-bar.mp4", "facebook-ThreatExchange-tmk/chair-19-sd-bar.mp4",
              "facebook-ThreatExchange-tmk/chair-22-with-small-logo-bar.mp4",
              "facebook-ThreatExchange-tmk/chair-22-sd-grey-bar.mp4",
              "facebook-ThreatExchange-tmk/chair-22-sd-sepia-bar.mp4",
              "facebook-ThreatExchange-tmk/chair-22-with-large-logo-bar.mp4",
              "facebook-ThreatExchange-tmk/chair-orig-22-sd-bar.mp4"],
    "pattern": ["facebook-ThreatExchange-tmk/pattern-sd-grey-bar.mp4",
                "facebook-ThreatExchange-tmk/pattern-hd-no-bar.mp4",
                "facebook-ThreatExchange-tmk/pattern-longer-no-bar.mp4",
                "facebook-ThreatExchange-tmk/pattern-sd-with-large-logo-bar.mp4",
                "facebook-ThreatExchange-tmk/pattern-sd-with-small-logo-bar.mp4"],
    "doorknob": ["facebook-ThreatExchange-tmk/doorknob-hd-no-bar.mp4"],
    "tears": ["awwkl-ZWM/clip_01_tears_of_steel.mp4"],
    "caminandes": ["awwkl-ZWM/clip_02_caminandes.mp4"],
    "chaplin": ["Zulko-moviepy/chaplin.mp4"],
    "rocket": ["akamhy-videohash/nasa_sls_hotfire_rocket.mkv"],
    "pancake": ["dmlc-decord/flipping_a_pancake.mkv"],
    "bottle": ["intel-iot-devkit-sample-videos/bottle-detection.mp4"],
    "cars": ["intel-iot-devkit-sample-videos/car-detection.mp4"],
    "people": ["intel-iot-devkit-sample-videos/one-by-one-person-detection.mp4"],
}
HALVES = {
    "A": ["cat", "bbb", "chair", "tears", "chaplin", "pancake", "cars", "doorknob"],
    "B": ["dog", "sintel", "pattern", "caminandes", "rocket", "bottle", "people"],
}
TIME_TOLERANCE_S = 1.0


def fold_videos(fold: int) -> tuple[str, list[str], list[str]]:
    """(half, indexed videos, negative videos) of a fold."""
    half = "A" if fold % 2 == 0 else "B"
    other = "B" if half == "A" else "A"
    member = fold // 2
    indexed = [FAMILIES[f][member % len(FAMILIES[f])] for f in HALVES[half]]
    negatives = [v for f in HALVES[other] for v in FAMILIES[f]]
    return half, indexed, negatives


def build_index(media: Path, videos: list[str], db: Path) -> Index:
    index = Index.open(db)
    index_paths(index, [media / v for v in videos])
    return index


def random_frames(media: Path, videos: list[str], n: int, rng: np.random.Generator, skipped: list[str]
                  ) -> list[tuple[str, float, np.ndarray]]:
    """`n` frames at random times of random videos. A frame that is not evidence by the index's
    own measure (black, flat, a deep fade: quality below EVIDENCE_MIN_QUALITY) is drawn again
    and noted in `skipped`: it is in every video, and search declines it by design."""
    out = []
    while len(out) < n:
        video = videos[int(rng.integers(len(videos)))]
        duration = probe(media / video).duration
        frame = frame_at(media / video, float(rng.uniform(0, max(0.1, duration - 0.5))), size=None)
        if image_features(frame.image)[0]["quality"] < EVIDENCE_MIN_QUALITY:
            skipped.append(f"{video} t={frame.t:.2f}")
            continue
        out.append((video, frame.t, frame.image))
    return out


def shows_truth(path: Path, t: float, truth: np.ndarray) -> bool:
    """Does the frame at `t` show the same picture as `truth` (another moment of a static shot)?"""
    return same_picture(frame_grey(frame_at(path, t, size=None).image), frame_grey(truth))


def run_fold(media: Path, fold: int, n: int, n_neg: int, seed: int, workdir: Path,
             rows: dict[str, list[tuple[bool, bool, float]]], false: list[bool],
             scored: list[tuple[float, bool]], skipped: list[str], same: list[str], verbose: bool = False) -> str:
    half, indexed, negatives = fold_videos(fold)
    rng = np.random.default_rng(seed + fold)
    with build_index(media, indexed, workdir / f"fold{fold}.db") as index:
        searcher = Searcher(index)
        for video, t, image in random_frames(media, indexed, n, rng, skipped):
            for name, transform in TRANSFORMS.items():
                still = transform(image, rng)
                start = time.perf_counter()
                matches = searcher.search_image(still, top=3)
                ms = (time.perf_counter() - start) * 1000
                right_video = bool(matches) and matches[0].path == str(media / video)
                span = matches[0].span if matches else None
                right_time = right_video and (abs(matches[0].t - t) <= TIME_TOLERANCE_S or (
                    span is not None and span[0] - TIME_TOLERANCE_S <= t <= span[1] + TIME_TOLERANCE_S))
                if right_video and not right_time and shows_truth(media / video, matches[0].t, image):
                    right_time = True
                    same.append(f"{name}: {video} t={t:.2f} -> {matches[0].t:.2f}")
                rows[name].append((right_video, right_time, ms))
                if verbose and not right_time:
                    got = [(Path(m.path).name, round(m.t, 2), round(m.score, 2)) for m in matches]
                    print(f"miss {name}: {video} t={t:.2f} -> {got}", file=sys.stderr)
                if matches:
                    scored.append((matches[0].score, right_video))
                rows[f"{name}@{half}"].append((right_video, right_time, ms))
        for video, t, image in random_frames(media, negatives, n_neg, rng, skipped):
            names = list(TRANSFORMS)
            name = names[int(rng.integers(len(names)))]
            still = TRANSFORMS[name](image, rng)
            start = time.perf_counter()
            matches = searcher.search_image(still, top=3)
            rows["outside"].append((False, False, (time.perf_counter() - start) * 1000))
            false.append(bool(matches))
            if verbose and matches:
                got = [(Path(m.path).name, round(m.t, 2), round(m.score, 2), m.distance) for m in matches]
                print(f"false {name}: {video} t={t:.2f} -> {got}", file=sys.stderr)
            if matches:
                scored.append((matches[0].score, False))
    return half


def print_table(rows: dict[str, list[tuple[bool, bool, float]]], false: list[bool],
                scored: list[tuple[float, bool]]) -> None:
    def line(name: str, data: list[tuple[bool, bool, float]]) -> str:
        video = 100 * np.mean([d[0] for d in data])
        both = 100 * np.mean([d[1] for d in data])
        ms = statistics.median(d[2] for d in data)
        return f"| {name:<16} | {len(data):>4} | {video:6.1f}% | {both:6.1f}% | {ms:7.0f} |"

    print("| transformation   |    n | video  | video+time | median ms |")
    print("|------------------|-----:|-------:|-----------:|----------:|")
    everything = []
    for name in TRANSFORMS:
        everything += rows[name]
        if rows[name]:
            print(line(name, rows[name]))
    if everything:
        print(line("ALL", everything))
    for half in ("A", "B"):
        data = [d for name in TRANSFORMS for d in rows.get(f"{name}@{half}", [])]
        if data:
            print(line(f"ALL half {half}", data))
    print(f"\nfalse matches (stills of videos not indexed): {sum(false)}/{len(false)} = "
          f"{100 * np.mean(false) if false else 0:.1f}%")
    if rows.get("outside"):
        outside = [d[2] for d in rows["outside"]]
        print(f"those searches (the whole budget decoded): median {statistics.median(outside):.0f} ms, "
              f"slowest {max(outside):.0f} ms")
    print("\nfirst match right video, by score band (positives and negatives together):")
    for lo, hi in ((0.0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.01)):
        band = [right for score, right in scored if lo <= score < hi]
        if band:
            print(f"  score {lo:.2f}-{min(hi, 1):.2f}: {sum(band)}/{len(band)} right ({100 * np.mean(band):.0f}%)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--media", type=Path, default=REPO.parent / "shared" / "media")
    ap.add_argument("--n", type=int, default=6, help="random frames per fold (each gets every transformation)")
    ap.add_argument("--neg", type=int, default=10, help="stills of non-indexed videos per fold")
    ap.add_argument("--folds", type=int, default=2, help="folds (2 covers both halves once)")
    ap.add_argument("--only", choices=["A", "B"], help="run one half's folds only")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--verbose", action="store_true", help="print every miss on stderr")
    ap.add_argument("--workdir", type=Path, help="keep fold databases here (re-runs skip indexing)")
    args = ap.parse_args()
    if not (args.media / "MANIFEST.tsv").exists():
        print(f"{args.media}: no shared media here", file=sys.stderr)
        return 2
    rows: dict[str, list[tuple[bool, bool, float]]] = defaultdict(list)
    false: list[bool] = []
    scored: list[tuple[float, bool]] = []
    skipped: list[str] = []
    same: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for fold in range(args.folds):
            if args.only and fold_videos(fold)[0] != args.only:
                continue
            start = time.perf_counter()
            half = run_fold(args.media.resolve(), fold, args.n, args.neg, args.seed, workdir, rows, false, scored,
                            skipped, same, args.verbose)
            print(f"fold {fold} (half {half}) done in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    print_table(rows, false, scored)
    if same:
        print(f"\nright time by the same picture at another moment ({len(same)}): {', '.join(same)}")
    if skipped:
        print(f"\nframes drawn again, not evidence (black, flat, deep fade): {', '.join(skipped)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
