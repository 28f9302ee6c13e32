"""`reelprint`: a thin command line over the engine. Errors are one line on stderr, exit 2.

Subcommands are small functions registered in COMMANDS; each parses nothing itself and calls
one engine function. `--json` output is a stable contract, documented in README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from platformdirs import user_data_dir

from reelprint import __version__
from reelprint.errors import ReelprintError
from reelprint.heartbeat import daemon_status
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
        status["daemon"] = daemon_status(index)
    status["error_files"] = errors
    if args.json:
        _print_json(status)
    else:
        print(f"{status['videos']} videos ({status['indexed']} indexed, {status['queued']} queued, "
              f"{status['indexing']} indexing, {status['errors']} errors), {status['frames']} frames")
        print(_daemon_line(status["daemon"]))
        for e in errors:
            print(f"  error: {e['error']}")
    return 0


def _daemon_line(daemon: dict) -> str:
    if not daemon["running"]:
        return "daemon: not running"
    current = ", ".join(f"{os.path.basename(c['path'])} {c['progress']:.0%}" for c in daemon["current"])
    return (f"daemon: pid {daemon['pid']}, up {daemon['uptime']:.0f} s, {daemon['queue']} waiting"
            + (f", indexing {current}" if current else ""))


def cmd_daemon(args: argparse.Namespace) -> int:
    from reelprint.daemon import DaemonOptions, run_daemon

    for p in args.watch:
        if not os.path.isdir(p):
            raise ReelprintError(f"{p}: not a folder")
    if args.workers < 1:
        raise ReelprintError("--workers must be at least 1")
    return run_daemon(DaemonOptions(db=args.db, watch=args.watch, workers=args.workers, polling=args.polling,
                                    quiet=args.quiet_period, poll_interval=args.poll_interval))


def cmd_notify(args: argparse.Namespace) -> int:
    from reelprint.hooks import map_path, parse_path_maps, servarr_event

    try:
        maps = parse_path_maps(args.map)
    except ValueError as exc:
        raise ReelprintError(str(exc)) from None
    paths = list(args.paths)
    event = servarr_event(os.environ)
    if event is not None:
        kind, event_paths = event
        if kind == "Test":
            print(f"reelprint: {kind} event received", file=sys.stderr)
            return 0
        paths += event_paths
    if not paths and not args.rescan:
        if event is not None:
            return 0  # an event that names no file (Grab, Health...): nothing to look at
        raise ReelprintError("nothing to notify: give paths, --rescan, or run as a Sonarr/Radarr custom script")
    with Index.open(args.db, create=False) as index:
        with index.transaction():
            for p in paths:
                index.add_request("index", os.path.abspath(map_path(p, maps)))
            if args.rescan:
                index.add_request("rescan")
        running = daemon_status(index)["running"]
    if not running:
        print("reelprint: no daemon is running; the request waits until one starts", file=sys.stderr)
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


def cmd_anchors(args: argparse.Namespace) -> int:
    from reelprint.anchors import anchor_frames

    with Index.open(args.db, create=False) as index:
        video = index.find_video(args.video)
        frames = index.frames(video.id)
    picked = frames[anchor_frames(frames, args.k)]
    anchors = [{"t": round(float(f["t"]), 3), "quality": int(f["quality"]),
                "mean_rgb": "#{:02x}{:02x}{:02x}".format(*f["mean_rgb"])} for f in picked]
    if args.json:
        _print_json({"video": video.path, "anchors": anchors})
    else:
        print(video.path)
        for a in anchors:
            print(f"  {_clock(a['t'])}  {a['mean_rgb']}  quality {a['quality']}")
    return 0


def _anchors_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("video", help="an indexed video: its path, or a piece of it only one path contains")
    p.add_argument("-k", type=int, default=5, help="how many anchor frames (default 5)")
    p.add_argument("--json", action="store_true")


def cmd_tui(args: argparse.Namespace) -> int:
    try:
        from reelprint.tui.app import create_app
    except ImportError as exc:  # the engine may be installed without the admin UI's packages
        raise ReelprintError(f"the TUI needs Textual ({exc})") from None
    Index.open(args.db).close()
    daemon = None
    if args.with_daemon:
        # The daemon logs to <db>.log, which the Status screen shows; its stderr would draw over the UI.
        daemon = subprocess.Popen([sys.executable, "-m", "reelprint.cli", "--db", str(args.db), "daemon"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        create_app(args.db).run()
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(timeout=30)
    return 0


def _tui_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--with-daemon", action="store_true", help="start the daemon too, and stop it on exit")


def cmd_poster(args: argparse.Namespace) -> int:
    from reelprint.posters import PosterSpec, export_poster, parse_time, print_size

    if args.size:
        if args.height:
            raise ReelprintError("--size sets both sides: give --size, or --width and --height")
        width, height = print_size(args.size, args.dpi, landscape=args.landscape)
    else:
        width = 1920 if args.width is None else args.width
        height = 1080 if args.height is None else args.height
        if args.landscape and width < height:
            width, height = height, width
    spec = PosterSpec(width=width, height=height, mode=args.mode, dpi=args.dpi, title=args.title, ticks=args.ticks,
                      start=parse_time(args.start) if args.start else None,
                      end=parse_time(args.end) if args.end else None)
    sidecar = args.sidecar
    if sidecar == "":
        sidecar = str(Path(args.output).with_suffix(".palette.json"))
    with Index.open(args.db, create=False) as index:
        result = export_poster(index, args.video, args.output, spec, sidecar=sidecar)
    if args.json:
        _print_json({"path": str(result.path), "video": result.video, "mode": spec.mode, "width": result.width,
                     "height": result.height, "dpi": spec.dpi, "bars": result.bars, "frames": result.frames,
                     "sidecar": str(result.sidecar) if result.sidecar else None})
        return 0
    print(f"{result.path}: {result.width}x{result.height} px ({result.width / spec.dpi:.3g}x"
          f"{result.height / spec.dpi:.3g} in at {spec.dpi} dpi), {result.bars} bars from {result.frames} frames"
          + (f"; palettes in {result.sidecar}" if result.sidecar else ""), file=sys.stderr)
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


def _poster_args(p: argparse.ArgumentParser) -> None:
    from reelprint.posters import MODES

    p.add_argument("video", help="an indexed video: its path, or a piece of the path only it contains")
    p.add_argument("-o", "--output", required=True, help="the poster file: .png or .svg")
    p.add_argument("--mode", choices=MODES, default="average", help="how bars are coloured (default average)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--size", help="print size: A5..A0, or WxH with in/cm/mm (18x24in, 50x70cm)")
    size.add_argument("--width", type=int, help="width in pixels (default 1920)")
    p.add_argument("--height", type=int, help="height in pixels (default 1080)")
    p.add_argument("--dpi", type=int, default=300, help="dots per inch for --size, and in the file (default 300)")
    p.add_argument("--landscape", action="store_true", help="landscape (default portrait for --size)")
    p.add_argument("--title", help="a title in the lower part of the poster")
    p.add_argument("--from", dest="start", metavar="T", help="start at T (seconds, M:SS or H:MM:SS)")
    p.add_argument("--to", dest="end", metavar="T", help="end at T; --to=-5:00 ends five minutes before the end")
    p.add_argument("--ticks", action="store_true", help="timeline ticks along the bottom edge")
    p.add_argument("--sidecar", nargs="?", const="", metavar="PATH",
                   help="also write each bar's palette: JSON, or CSV for a .csv PATH (default OUT.palette.json)")
    p.add_argument("--json", action="store_true", help="print what was written as JSON on stdout")


def _daemon_args(p: argparse.ArgumentParser) -> None:
    from reelprint.daemon import DEFAULT_WORKERS
    from reelprint.watcher import POLL_INTERVAL_SECONDS, QUIET_SECONDS

    p.add_argument("--watch", action="append", default=[], metavar="DIR",
                   help="a folder to watch besides the roots in the database (repeatable)")
    p.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                   help=f"fingerprinting processes (default {DEFAULT_WORKERS})")
    p.add_argument("--polling", action="store_true", help="watch every root by polling (network mounts)")
    p.add_argument("--quiet-period", type=float, default=QUIET_SECONDS, metavar="SECONDS",
                   help=f"a file is complete after this long without change (default {QUIET_SECONDS:g})")
    p.add_argument("--poll-interval", type=float, default=POLL_INTERVAL_SECONDS, metavar="SECONDS",
                   help=f"seconds between polls of polled roots (default {POLL_INTERVAL_SECONDS:g})")


def _notify_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="files or folders that changed (new, renamed or deleted)")
    p.add_argument("--map", action="append", default=[], metavar="FROM=TO",
                   help="rewrite a path prefix (the media server's view -> the daemon's); also $REELPRINT_PATH_MAP")
    p.add_argument("--rescan", action="store_true", help="ask for a full rescan of every root")
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
    "poster": (cmd_poster, _poster_args, "render a colour-barcode poster of an indexed video"),
    "anchors": (cmd_anchors, _anchors_args, "the few frames that best represent a video"),
    "daemon": (cmd_daemon, _daemon_args, "watch the roots and keep the index current (foreground)"),
    "notify": (cmd_notify, _notify_args, "tell the daemon about changed files now (also a Sonarr/Radarr script)"),
    "dupes": (cmd_dupes, _dupes_args, "duplicates, excerpts and overlaps; trash copies; record decisions"),
    "undo": (cmd_undo, _undo_args, "put back the files of the last `dupes trash --yes`"),
    "loops": (cmd_loops, _loops_args, "repeated segments inside one video"),
    "tui": (cmd_tui, _tui_args, "open the admin TUI"),
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
