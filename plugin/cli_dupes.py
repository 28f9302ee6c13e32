"""`reelprint dupes`, `undo` and `loops`: duplicates, the trash and its journal, loops in a video."""

from __future__ import annotations

import argparse
import sys

from reelprint.cli_output import clock, print_json
from reelprint.errors import ReelprintError
from reelprint.progress import ProgressBar
from reelprint.store import Index


def _dupes_found(args: argparse.Namespace, index: Index) -> tuple[list, list]:
    from reelprint.dupes import find_pairs
    from reelprint.keeper import DEFAULT_CODECS, KeeperRules, group_pairs

    try:
        rules = KeeperRules(order=tuple(args.prefer.split(",")),
                            codecs=tuple(args.codecs.split(",")) if args.codecs else DEFAULT_CODECS,
                            paths=tuple(args.prefer_path or ()))
    except ValueError as exc:
        raise ReelprintError(str(exc)) from None
    bar = ProgressBar("comparing", enabled=not args.quiet)
    pairs = find_pairs(index, progress=bar)
    bar.close()
    groups = group_pairs(pairs, {v.path: v for v in index.videos()}, rules)
    return pairs, groups


def cmd_dupes(args: argparse.Namespace) -> int:
    from reelprint import dupes, trash

    with Index.open(args.db, create=False) as index:
        if args.action in ("not-duplicate", "keep-both"):
            if len(args.paths) != 2:
                raise ReelprintError(f"dupes {args.action} needs two files")
            dupes.decide(index, args.paths[0], args.paths[1],
                         dupes.NOT_DUPLICATE if args.action == "not-duplicate" else dupes.KEEP_BOTH)
            print(f"recorded: {args.action}", file=sys.stderr)
            return 0
        pairs, groups = _dupes_found(args, index)
        if args.action == "trash":
            moves = trash.plan_trash(index, groups, roots=args.root or (), only=args.paths or None)
            batch = None
            if args.yes:
                batch, moves = trash.apply_trash(index, moves)
            if args.json:
                print_json({"dry_run": not args.yes, "batch": batch, "moves": [m.as_json() for m in moves]})
            else:
                verb = "moved" if args.yes else "would move"
                for m in moves:
                    print(f"{verb}: {m.source} -> {m.target}" if m.target else f"refused: {m.source}: {m.reason}")
                total = sum(m.size for m in moves if m.target)
                print(f"{verb} {sum(1 for m in moves if m.target)} files ({total / 1e6:.1f} MB) to the trash"
                      + ("; undo: reelprint undo" if batch else "; run again with --yes to do it"))
            return 0
    if args.json:
        print_json({"pairs": [p.as_json() for p in pairs], "groups": [g.as_json() for g in groups]})
    else:
        for p in pairs:
            mirrored = " mirrored" if p.mirrored else ""
            print(f"{p.kind}{mirrored}: {p.a} [{clock(p.a_span[0])}-{clock(p.a_span[1])}] ~ {p.b} "
                  f"[{clock(p.b_span[0])}-{clock(p.b_span[1])}] similarity {p.similarity:.2f}")
        for g in groups:
            print(f"group: keep {g.keep} ({g.why}); {g.reclaimable_bytes / 1e6:.1f} MB reclaimable")
            for m in g.members:
                if m != g.keep:
                    print(f"  copy: {m}")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    from reelprint.trash import undo

    with Index.open(args.db, create=False) as index:
        restored = undo(index, args.batch)
    if args.json:
        print_json([r.as_json() for r in restored])
    else:
        for r in restored:
            print(f"restored: {r.source}" if r.error is None else f"not restored: {r.source}: {r.error}")
    return 0 if all(r.error is None for r in restored) else 1


def cmd_loops(args: argparse.Namespace) -> int:
    from reelprint.loops import find_loops

    with Index.open(args.db, create=False) as index:
        report = find_loops(index, args.video)
    if args.json:
        print_json(report.as_json())
    elif report.period is None:
        print(f"{report.video}: no repeated segments")
    else:
        at = ", ".join(clock(t) for t in report.positions)
        print(f"{report.video}: repeats every {report.period:.1f} s, at {at}")
    return 0


def dupes_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", default="list", choices=["list", "trash", "not-duplicate", "keep-both"],
                   help="list (default); trash: move copies to the trash (dry run unless --yes); "
                        "not-duplicate / keep-both A B: record a decision")
    p.add_argument("paths", nargs="*", help="trash: only these copies; decisions: the two files")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument("--yes", action="store_true", help="trash: really move the files (default: show the plan)")
    p.add_argument("--root", action="append", help="trash: a library root, when no watched roots are set")
    p.add_argument("--prefer", default=",".join(_keeper_order()),
                   help="keeper rules in order (resolution,bitrate,codec,duration,newer,older,path)")
    p.add_argument("--codecs", help="codec preference, best first (default av1,hevc,vp9,h264,...)")
    p.add_argument("--prefer-path", action="append", help="a folder whose copies to keep (rule 'path')")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _keeper_order() -> tuple[str, ...]:
    from reelprint.keeper import DEFAULT_ORDER

    return DEFAULT_ORDER


def undo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch", help="a trash batch id (default: the last one)")
    p.add_argument("--json", action="store_true")


def loops_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("video")
    p.add_argument("--json", action="store_true")
