"""`reelprint daemon` and `notify`: the watch daemon in the foreground, and hints for it."""

from __future__ import annotations

import argparse
import os
import sys

from reelprint.errors import ReelprintError
from reelprint.heartbeat import daemon_status
from reelprint.store import Index


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


def daemon_args(p: argparse.ArgumentParser) -> None:
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


def notify_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="files or folders that changed (new, renamed or deleted)")
    p.add_argument("--map", action="append", default=[], metavar="FROM=TO",
                   help="rewrite a path prefix (the media server's view -> the daemon's); also $REELPRINT_PATH_MAP")
    p.add_argument("--rescan", action="store_true", help="ask for a full rescan of every root")
