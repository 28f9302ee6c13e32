"""`reelprint poster`: a colour-barcode poster of an indexed video."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reelprint.cli_output import print_json
from reelprint.errors import ReelprintError
from reelprint.store import Index


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
        print_json({"path": str(result.path), "video": result.video, "mode": spec.mode, "width": result.width,
                     "height": result.height, "dpi": spec.dpi, "bars": result.bars, "frames": result.frames,
                     "sidecar": str(result.sidecar) if result.sidecar else None})
        return 0
    print(f"{result.path}: {result.width}x{result.height} px ({result.width / spec.dpi:.3g}x"
          f"{result.height / spec.dpi:.3g} in at {spec.dpi} dpi), {result.bars} bars from {result.frames} frames"
          + (f"; palettes in {result.sidecar}" if result.sidecar else ""), file=sys.stderr)
    return 0


def poster_args(p: argparse.ArgumentParser) -> None:
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
