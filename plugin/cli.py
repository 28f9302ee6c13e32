"""`reelprint`: a thin command line over the engine. Errors are one line on stderr, exit 2.

Subcommands are small functions registered in COMMANDS; each parses nothing itself and calls
one engine function. `--json` output is a stable contract, documented in README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from platformdirs import user_data_dir

from reelprint import __version__
from reelprint.errors import ReelprintError
from reelprint.progress import ProgressBar
from reelprint.store import Index

EXIT_ERROR = 2


def default_db() -> Path:
    env = os.environ.get("REELPRINT_DB")
    return Path(env) if env else Path(user_data_dir("reelprint")) / "index.db"


def _print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def cmd_index(args: argparse.Namespace) -> int:
    from reelprint.indexer import index_paths

    for p in args.paths:
        if not os.path.exists(p):
            raise ReelprintError(f"{p}: no such file or directory")
    bar = ProgressBar("indexing", enabled=not args.quiet)
    with Index.open(args.db) as index:
        summary = index_paths(index, args.paths, progress=bar)
    bar.close()
    if args.json:
        _print_json(summary.as_dict())
    else:
        print(f"{summary.found} videos found: {summary.indexed} indexed, {summary.unchanged} unchanged, "
              f"{summary.moved} moved, {summary.copied} copies, {summary.removed} removed, "
              f"{summary.failed} failed", file=sys.stderr)
        for _, message in summary.errors:
            print(f"  error: {message}", file=sys.stderr)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from reelprint.search import search_files

    bar = ProgressBar("searching", enabled=not args.quiet and len(args.images) > 1)
    with Index.open(args.db, create=False) as index:
        results = search_files(index, args.images, top=args.top, progress=bar)
    bar.close()
    if args.json:
        _print_json([r.as_json() for r in results])
    else:
        for r in results:
            if r.error:
                print(f"{r.query}: error: {r.error}")
            elif not r.matches:
                print(f"{r.query}: not in your library")
            for m in r.matches:
                mirrored = " (mirrored)" if m.mirrored else ""
                print(f"{r.query}: {m.path} at {_clock(m.t)} (score {m.score:.2f}){mirrored}")
    return 1 if results and all(r.error for r in results) else 0


def _clock(t: float) -> str:
    h, rem = divmod(t, 3600)
    m, s = divmod(rem, 60)
    return f"{int(h)}:{int(m):02d}:{s:06.3f}"


def cmd_status(args: argparse.Namespace) -> int:
    with Index.open(args.db, create=False) as index:
        status = index.status()
        status["roots"] = index.roots()
        status["db"] = str(args.db)
        errors = [{"path": v.path, "error": v.error} for v in index.videos(state="error")]
    status["error_files"] = errors
    if args.json:
        _print_json(status)
    else:
        print(f"{status['videos']} videos ({status['indexed']} indexed, {status['queued']} queued, "
              f"{status['indexing']} indexing, {status['errors']} errors), {status['frames']} frames")
        for e in errors:
            print(f"  error: {e['error']}")
    return 0


def cmd_roots(args: argparse.Namespace) -> int:
    with Index.open(args.db) as index:
        if args.action == "add":
            for p in args.paths:
                if not os.path.isdir(p):
                    raise ReelprintError(f"{p}: not a folder")
                index.add_root(os.path.abspath(p), polling=args.polling)
        elif args.action == "remove":
            for p in args.paths:
                if not index.remove_root(os.path.abspath(p)):
                    raise ReelprintError(f"{p}: not a root")
        roots = index.roots()
    if args.json:
        _print_json(roots)
    elif args.action == "list":
        print("\n".join(roots))
    return 0


def cmd_tui(args: argparse.Namespace) -> int:
    try:
        from reelprint.tui.app import ReelprintApp
    except ImportError as exc:  # the engine may be installed without the admin UI's packages
        raise ReelprintError(f"the TUI needs Textual ({exc})") from None
    Index.open(args.db).close()
    ReelprintApp(args.db).run()
    return 0


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
                _print_json({"dry_run": not args.yes, "batch": batch, "moves": [m.as_json() for m in moves]})
            else:
                verb = "moved" if args.yes else "would move"
                for m in moves:
                    print(f"{verb}: {m.source} -> {m.target}" if m.target else f"refused: {m.source}: {m.reason}")
                total = sum(m.size for m in moves if m.target)
                print(f"{verb} {sum(1 for m in moves if m.target)} files ({total / 1e6:.1f} MB) to the trash"
                      + ("; undo: reelprint undo" if batch else "; run again with --yes to do it"))
            return 0
    if args.json:
        _print_json({"pairs": [p.as_json() for p in pairs], "groups": [g.as_json() for g in groups]})
    else:
        for p in pairs:
            mirrored = " mirrored" if p.mirrored else ""
            print(f"{p.kind}{mirrored}: {p.a} [{_clock(p.a_span[0])}-{_clock(p.a_span[1])}] ~ {p.b} "
                  f"[{_clock(p.b_span[0])}-{_clock(p.b_span[1])}] similarity {p.similarity:.2f}")
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
        _print_json([r.as_json() for r in restored])
    else:
        for r in restored:
            print(f"restored: {r.source}" if r.error is None else f"not restored: {r.source}: {r.error}")
    return 0 if all(r.error is None for r in restored) else 1


def cmd_loops(args: argparse.Namespace) -> int:
    from reelprint.loops import find_loops

    with Index.open(args.db, create=False) as index:
        report = find_loops(index, args.video)
    if args.json:
        _print_json(report.as_json())
    elif report.period is None:
        print(f"{report.video}: no repeated segments")
    else:
        at = ", ".join(_clock(t) for t in report.positions)
        print(f"{report.video}: repeats every {report.period:.1f} s, at {at}")
    return 0


Command = tuple[Callable[[argparse.Namespace], int], Callable[[argparse.ArgumentParser], None], str]


def _index_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", help="files or folders (recursive)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _search_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("images", nargs="+", help="image files, or folders of images")
    p.add_argument("--top", type=int, default=5, help="matches per image (default 5)")
    p.add_argument("--json", action="store_true", help="print results as JSON on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _status_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


def _roots_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("paths", nargs="*")
    p.add_argument("--polling", action="store_true", help="watch by polling (network mounts)")
    p.add_argument("--json", action="store_true")


def _dupes_args(p: argparse.ArgumentParser) -> None:
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


def _undo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch", help="a trash batch id (default: the last one)")
    p.add_argument("--json", action="store_true")


def _loops_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("video")
    p.add_argument("--json", action="store_true")


COMMANDS: dict[str, Command] = {
    "index": (cmd_index, _index_args, "fingerprint the videos under folders (incremental)"),
    "search": (cmd_search, _search_args, "find the video and time a screenshot comes from"),
    "status": (cmd_status, _status_args, "what the index holds"),
    "roots": (cmd_roots, _roots_args, "the library folders the daemon watches"),
    "dupes": (cmd_dupes, _dupes_args, "duplicates, excerpts and overlaps; trash copies; record decisions"),
    "undo": (cmd_undo, _undo_args, "put back the files of the last `dupes trash --yes`"),
    "loops": (cmd_loops, _loops_args, "repeated segments inside one video"),
    "tui": (cmd_tui, lambda p: None, "open the admin TUI"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reelprint", description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None,
                        help="database file (default: $REELPRINT_DB, else the user data folder)")
    parser.add_argument("--version", action="version", version=f"reelprint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (func, add_args, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
        p.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.db = args.db or default_db()
    try:
        return args.func(args)
    except ReelprintError as exc:
        print(f"reelprint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("reelprint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
