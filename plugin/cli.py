"""`reelprint`: a thin command line over the engine. Errors are one line on stderr, exit 2.

Subcommands are small functions registered in COMMANDS; each parses nothing itself and calls
one engine function. `--json` output is a stable contract, documented in README.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from platformdirs import user_data_dir

from reelprint import __version__
from reelprint.cli_daemon import cmd_daemon, cmd_notify, daemon_args, notify_args
from reelprint.cli_dupes import cmd_dupes, cmd_loops, cmd_undo, dupes_args, loops_args, undo_args
from reelprint.cli_output import clock, print_json
from reelprint.cli_posters import cmd_poster, poster_args
from reelprint.errors import ReelprintError
from reelprint.heartbeat import daemon_status
from reelprint.progress import ProgressBar
from reelprint.store import Index

EXIT_ERROR = 2


def default_db() -> Path:
    env = os.environ.get("REELPRINT_DB")
    return Path(env) if env else Path(user_data_dir("reelprint")) / "index.db"


def cmd_index(args: argparse.Namespace) -> int:
    from reelprint.indexer import index_paths

    for p in args.paths:
        if not os.path.exists(p):
            raise ReelprintError(f"{p}: no such file or directory")
    bar = ProgressBar("indexing", enabled=not args.quiet)
    with Index.open(args.db) as index:
        summary = index_paths(index, args.paths, progress=bar, again=args.again)
    bar.close()
    if args.json:
        print_json(summary.as_dict())
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
        print_json([r.as_json() for r in results])
    else:
        for r in results:
            if r.error:
                print(f"{r.query}: error: {r.error}")
            elif not r.matches:
                print(f"{r.query}: not in your library")
            for m in r.matches:
                mirrored = " (mirrored)" if m.mirrored else ""
                print(f"{r.query}: {m.path} at {clock(m.t)} (score {m.score:.2f}){mirrored}")
    return 1 if results and all(r.error for r in results) else 0


def cmd_status(args: argparse.Namespace) -> int:
    with Index.open(args.db, create=False) as index:
        status = index.status()
        status["roots"] = index.roots()
        status["db"] = str(args.db)
        errors = [{"path": v.path, "error": v.error} for v in index.videos(state="error")]
        status["daemon"] = daemon_status(index)
    status["error_files"] = errors
    if args.json:
        print_json(status)
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
        print_json(roots)
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
        print_json({"video": video.path, "anchors": anchors})
    else:
        print(video.path)
        for a in anchors:
            print(f"  {clock(a['t'])}  {a['mean_rgb']}  quality {a['quality']}")
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


Command = tuple[Callable[[argparse.Namespace], int], Callable[[argparse.ArgumentParser], None], str]


def _index_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", help="files or folders (recursive)")
    p.add_argument("--again", action="store_true",
                   help="fingerprint unchanged files again too (after an upgrade that samples differently)")
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


COMMANDS: dict[str, Command] = {
    "index": (cmd_index, _index_args, "fingerprint the videos under folders (incremental)"),
    "search": (cmd_search, _search_args, "find the video and time a screenshot comes from"),
    "status": (cmd_status, _status_args, "what the index holds"),
    "roots": (cmd_roots, _roots_args, "the library folders the daemon watches"),
    "poster": (cmd_poster, poster_args, "render a colour-barcode poster of an indexed video"),
    "anchors": (cmd_anchors, _anchors_args, "the few frames that best represent a video"),
    "daemon": (cmd_daemon, daemon_args, "watch the roots and keep the index current (foreground)"),
    "notify": (cmd_notify, notify_args, "tell the daemon about changed files now (also a Sonarr/Radarr script)"),
    "dupes": (cmd_dupes, dupes_args, "duplicates, excerpts and overlaps; trash copies; record decisions"),
    "undo": (cmd_undo, undo_args, "put back the files of the last `dupes trash --yes`"),
    "loops": (cmd_loops, loops_args, "repeated segments inside one video"),
    "tui": (cmd_tui, _tui_args, "open the admin TUI"),
}


def invoked_command(argv: list[str]) -> str | None:
    """The subcommand named in `argv` (after the global options), if any."""
    words = iter(argv)
    for word in words:
        if word == "--db":
            next(words, None)
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given `command`, only that subcommand's arguments are built, because some
    argument builders import their engine module for its defaults (the daemon and posters: about
    0.1 s that `notify` from a media server or a polled `status` should not pay)."""
    parser = argparse.ArgumentParser(prog="reelprint", description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None,
                        help="database file (default: $REELPRINT_DB, else the user data folder)")
    parser.add_argument("--version", action="version", version=f"reelprint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (func, add_args, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if command is None or name == command:
            add_args(p)
        p.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(invoked_command(argv)).parse_args(argv)
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
