"""Posters: exact sizes, colour right in linear light, dominant shares, SVG, title, PNG metadata,
time windows, and the CLI's errors. Real clips are generated, encoded and indexed; the pure
rendering functions are also driven with hand-made FRAME_DTYPE arrays whose answer is known."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from reelprint import colour
from reelprint.barcode import average_bars, shot_bars
from reelprint.errors import ReelprintError
from reelprint.features import EVIDENCE_MIN_QUALITY, FRAME_DTYPE
from reelprint.indexer import index_paths
from reelprint.poster_render import contrast_ratio, print_size, raster
from reelprint.posters import (
    MODES,
    PosterSpec,
    export_poster,
    make_bars,
    parse_time,
    poster_frames,
    render_poster,
)
from reelprint.store import Index
from reelprint.synth import write_video

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
SVG = "{http://www.w3.org/2000/svg}"
# Keyframes every half second, no scene-cut keyframes: the index stores a frame each 0.5 s.
KEYINT = {"x264-params": "keyint=6:min-keyint=6:scenecut=0"}


def made_frames(times, colours, quality=60, shot_of=None) -> np.ndarray:
    """FRAME_DTYPE rows: solid frames (palette = the colour), one pHash/layout per shot."""
    f = np.zeros(len(times), FRAME_DTYPE)
    f["t"] = times
    f["mean_rgb"] = colours
    f["palette"] = np.asarray(colours, np.uint8)[:, None, :]
    f["shares"][:, 0] = 255
    f["quality"] = quality
    shots = np.arange(len(times)) if shot_of is None else np.asarray(shot_of)
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**63, size=shots.max() + 1, dtype=np.int64).astype(np.uint64)
    f["phash"] = hashes[shots]
    f["layout"] = (shots[:, None] * 60 + np.arange(12)) % 256
    return f


def random_frames(n: int, duration: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = np.zeros(n, FRAME_DTYPE)
    f["t"] = np.sort(rng.uniform(0, duration, n))
    f["t"][0] = 0
    f["mean_rgb"] = rng.integers(0, 256, (n, 3))
    f["palette"] = rng.integers(0, 256, (n, 5, 3))
    f["shares"] = rng.multinomial(255, [0.2] * 5, n)
    f["quality"] = rng.integers(0, 100, n)
    f["phash"] = rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64)
    f["layout"] = rng.integers(0, 256, (n, 12))
    return f


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of generated clips: 2 s red then 2 s green; 2 s of frames whose top quarter is
    white and the rest blue; 1 s of red letterboxed in black bars."""
    root = tmp_path_factory.mktemp("poster_clips")
    red, green = np.zeros((48, 64, 3), np.uint8), np.zeros((48, 64, 3), np.uint8)
    red[..., 0], green[..., 1] = 255, 255
    write_video(root / "media" / "red_green.mp4", [red] * 24 + [green] * 24, 12, options=KEYINT)
    split = np.zeros((48, 64, 3), np.uint8)
    split[:12], split[12:] = WHITE, BLUE
    write_video(root / "media" / "white_blue.mp4", [split] * 24, 12, options=KEYINT)
    boxed = np.zeros((48, 64, 3), np.uint8)
    boxed[8:40, :, 0] = 255
    write_video(root / "media" / "letterboxed.mp4", [boxed] * 12, 12)
    db = root / "index.db"
    with Index.open(db) as index:
        assert index_paths(index, [root / "media"]).indexed == 3
    return db


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", [1, 2, 9, 700, 5000])
def test_exact_size_whatever_the_frame_count(mode, n):
    frames = random_frames(n, duration=7200.0)
    for width, height in ((1, 1), (37, 11), (640, 96), (3, 500)):
        image = render_poster(frames, 7200.0, PosterSpec(width=width, height=height, mode=mode))
        assert image.shape == (height, width, 3) and image.dtype == np.uint8


def test_print_sizes():
    assert print_size("A3", 300) == (3508, 4961)
    assert print_size("24x36in", 300) == (7200, 10800)
    assert print_size("36x24in", 300) == (7200, 10800)           # portrait unless told
    assert print_size("18x24in", 150, landscape=True) == (3600, 2700)
    assert print_size("50x70cm", 100) == (1969, 2756)
    with pytest.raises(ReelprintError, match="unknown size"):
        print_size("B7")
    with pytest.raises(ReelprintError, match=r"1\.\.18000"):
        print_size("A0", 1200)


def test_red_and_green_average_to_yellow_in_linear_light(indexed):
    with Index.open(indexed) as index:
        video = index.find_video("red_green")
        frames = index.frames(video.id)
        both = render_poster(frames, video.duration, PosterSpec(width=1, height=4))
        halves = render_poster(frames, video.duration, PosterSpec(width=2, height=4))
    stored = np.unique(frames["mean_rgb"], axis=0)
    expected = colour.linear_to_srgb(colour.srgb_to_linear(stored).mean(axis=0))
    r, g, b = (int(v) for v in both[0, 0])
    assert abs(r - int(expected[0])) <= 3 and abs(g - int(expected[1])) <= 3 and b <= 4
    assert min(r, g) > 175, f"{(r, g, b)} is the olive of an sRGB average, not yellow"
    assert halves[0, 0, 0] > 240 and halves[0, 0, 1] < 10      # first half red
    assert halves[0, 1, 1] > 240 and halves[0, 1, 0] < 10      # second half green


def test_letterbox_bars_do_not_darken_the_poster(indexed):
    with Index.open(indexed) as index:
        video, frames = poster_frames(index, "letterboxed")
    image = render_poster(frames, video.duration, PosterSpec(width=3, height=3, mode="average"))
    assert (image[..., 0] >= 245).all() and (image[..., 1:] <= 8).all()   # red, not a third darker


def test_dominant_bars_stack_shares_lightest_on_top(indexed):
    with Index.open(indexed) as index:
        video = index.find_video("white_blue")
        frames = index.frames(video.id)
    image = render_poster(frames, video.duration, PosterSpec(width=5, height=200, mode="dominant"))
    for column in image.transpose(1, 0, 2):
        whiteish = column.min(axis=1) > 200
        assert abs(whiteish.sum() - 50) <= 6                     # a quarter of each frame is white
        assert whiteish[: whiteish.sum()].all()                 # ...and it sits on top
        assert (column[-1, 2] > 200) and column[-1, 0] < 40      # blue below


def test_dominant_shares_exact_on_made_frames():
    f = made_frames([0.0, 10.0], [(30, 30, 30)] * 2)
    f["palette"][:, :2] = [(240, 240, 240), (30, 30, 30)]
    f["shares"][:, :2] = [64, 191]
    image = render_poster(f, 20.0, PosterSpec(width=3, height=100, mode="dominant"))
    assert (image[:25] == 240).all() and (image[25:] == 30).all()


def test_black_frames_carry_the_previous_colour():
    f = made_frames([0, 10, 20, 30], [RED, (0, 0, 0), (0, 0, 0), GREEN])
    f["quality"][1:3] = EVIDENCE_MIN_QUALITY - 1
    image = render_poster(f, 40.0, PosterSpec(width=4, height=2))
    assert [tuple(c) for c in image[0]] == [RED, RED, RED, GREEN]
    black = made_frames([0, 10], [(0, 0, 0)] * 2, quality=0)     # an all-black video stays black
    assert (render_poster(black, 20.0, PosterSpec(width=3, height=2)) == 0).all()


def test_time_window_and_credits_cut():
    f = made_frames([0, 50], [RED, GREEN])
    red = PosterSpec(width=10, height=2, end=50)
    assert (render_poster(f, 100.0, red) == RED).all()
    assert (render_poster(f, 100.0, PosterSpec(width=10, height=2, start=50)) == GREEN).all()
    assert (render_poster(f, 100.0, PosterSpec(width=10, height=2, end=-50)) == RED).all()
    with pytest.raises(ReelprintError, match="empty time range"):
        render_poster(f, 100.0, PosterSpec(width=10, height=2, start=80, end=20))
    assert parse_time("1:02:03.5") == 3723.5 and parse_time("-5:00") == -300 and parse_time("90") == 90
    with pytest.raises(ReelprintError):
        parse_time("ten minutes")


def test_columns_are_time_weighted():
    # Frames at 0 s and 90 s of a 100 s film: the first stands for 90 s, so 9 of 10 columns.
    image = render_poster(made_frames([0, 90], [RED, BLUE]), 100.0, PosterSpec(width=10, height=1))
    assert [tuple(c) for c in image[0]].count(RED) == 9
    # A column straddling the change is their exact linear-light mix, not either colour.
    mixed = average_bars(made_frames([0, 15], [RED, BLUE]), 20.0, 2)   # column 1 is 10..20 s
    assert tuple(mixed.mean[0]) == RED
    assert tuple(mixed.mean[1]) == tuple(colour.linear_to_srgb(colour.srgb_to_linear(
        np.array([RED, BLUE], np.uint8)).mean(0)))


def test_shot_bars_snap_to_cuts():
    f = made_frames([0, 10, 20, 30, 60, 70], [RED, RED, RED, GREEN, BLUE, BLUE], shot_of=[0, 0, 0, 1, 2, 2])
    bars = shot_bars(f, 100.0, 100)
    assert list(bars.edges) == [0, 30, 60, 100]
    assert [tuple(c) for c in bars.colours[:, 0]] == [RED, GREEN, BLUE]
    image = render_poster(f, 100.0, PosterSpec(width=100, height=3, mode="shots"))
    assert (image[:, :30] == RED).all() and (image[:, 30:60] == GREEN).all()


def test_svg_one_rect_per_bar_without_gaps(indexed, tmp_path):
    with Index.open(indexed) as index:
        export_poster(index, "red_green", tmp_path / "p.svg", PosterSpec(width=50, height=30))
        export_poster(index, "white_blue", tmp_path / "d.svg", PosterSpec(width=40, height=30, mode="dominant"))
    root = ET.parse(tmp_path / "p.svg").getroot()
    assert root.get("shape-rendering") == "crispEdges" and root.get("viewBox") == "0 0 50 30"
    rects = root.find(f"{SVG}g[@id='bars']").findall(f"{SVG}rect")
    assert len(rects) == 50
    xs = [(int(r.get("x")), int(r.get("width"))) for r in rects]
    assert xs[0][0] == 0 and all(x + w >= nx for (x, w), (nx, _) in pairwise(xs))
    assert xs[-1][0] + xs[-1][1] == 50
    groups = ET.parse(tmp_path / "d.svg").getroot().find(f"{SVG}g[@id='bars']").findall(f"{SVG}g")
    assert len(groups) == 40 and all(len(g.findall(f"{SVG}rect")) >= 2 for g in groups)


@pytest.mark.parametrize(("background", "ink"), [(WHITE, (17, 17, 17)), ((20, 20, 60), (255, 255, 255))])
def test_title_in_contrast_colour(background, ink):
    f = made_frames([0, 10], [background] * 2)
    plain = render_poster(f, 20.0, PosterSpec(width=1200, height=900))
    titled = render_poster(f, 20.0, PosterSpec(width=1200, height=900, title="Meadow"))
    changed = np.argwhere((plain != titled).any(axis=2))
    assert len(changed) > 1000
    (y0, x0), (y1, x1) = changed.min(axis=0), changed.max(axis=0)
    assert y0 > 0.8 * 900 and y1 < 900 and x0 > 300 and x1 < 900 and abs((x0 + x1) / 2 - 600) < 10
    inked = titled[(titled == ink).all(axis=2)]
    assert len(inked) > 0.5 * len(changed)                       # the strokes are the chosen colour
    assert contrast_ratio(np.array(ink, np.uint8), np.array(background, np.uint8)) >= 4.5


def test_ticks_mark_minutes():
    f = made_frames([0, 60], [WHITE, WHITE])
    image = render_poster(f, 600.0, PosterSpec(width=600, height=200, ticks=True))
    bottom = image[-1]
    dark = np.flatnonzero(bottom.max(axis=1) < 50)
    assert list(dark) == [0, 60, 120, 180, 240, 300, 360, 420, 480, 540]


def test_png_has_dpi_icc_and_sidecar(indexed, tmp_path):
    with Index.open(indexed) as index:
        result = export_poster(index, "red_green", tmp_path / "p.png", PosterSpec(width=64, height=48, dpi=150),
                               sidecar=tmp_path / "p.json")
        export_poster(index, "red_green", tmp_path / "p2.png", PosterSpec(width=64, height=48, mode="shots"),
                      sidecar=tmp_path / "p.csv")
    with Index.open(indexed) as index:
        video, frames = poster_frames(index, "red_green")
    with Image.open(result.path) as im:
        assert im.size == (64, 48) and im.mode == "RGB"
        assert (np.asarray(im) == render_poster(frames, video.duration, PosterSpec(width=64, height=48))).all()
        assert tuple(round(v) for v in im.info["dpi"]) == (150, 150)
        icc = im.info["icc_profile"]
    assert "sRGB" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    side = json.loads((tmp_path / "p.json").read_text())
    assert len(side["bars"]) == 64 and side["end"] == pytest.approx(4.0, abs=0.05)
    for bar in side["bars"]:
        assert sum(p["share"] for p in bar["palette"]) == pytest.approx(1, abs=0.01)
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0].startswith("x,width,start,end,mean,colour1,share1") and len(lines) == 1 + 2  # 2 shots


def run(*args, db):
    return subprocess.run([sys.executable, "-m", "reelprint.cli", "--db", str(db), *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_cli_poster_and_clear_errors(indexed, tmp_path):
    out = run("poster", "red_green", "-o", tmp_path / "a.png", "--size", "A5", "--dpi", "20", "--title", "RG",
              "--ticks", "--to=-1", "--sidecar", "--json", db=indexed)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["path"] == str(tmp_path / "a.png") and report["video"].endswith("red_green.mp4")
    assert (report["width"], report["height"]) == print_size("A5", 20) and report["bars"] == report["width"]
    assert report["sidecar"] == str(tmp_path / "a.palette.json")
    with Image.open(tmp_path / "a.png") as im:
        assert im.size == print_size("A5", 20)
    assert json.loads((tmp_path / "a.palette.json").read_text())["end"] == pytest.approx(3.0, abs=0.05)
    stray = tmp_path / "stray.mp4"
    stray.write_bytes(b"not indexed")
    for args, message in (((stray,), "not in the index"), (("nothing-like-it",), "no indexed video"),
                          (("mp4",), "matches several videos")):
        out = run("poster", *args, "-o", tmp_path / "b.png", db=indexed)
        assert out.returncode == 2
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], out.stderr
    assert not (tmp_path / "b.png").exists()
    out = run("poster", "red_green", "-o", tmp_path / "b.jpg", db=indexed)
    assert out.returncode == 2 and ".png or .svg" in out.stderr


@pytest.mark.parametrize("mode", MODES)
def test_raster_row_window_is_a_slice_of_the_whole(mode):
    frames = random_frames(300, duration=600.0)
    bars = make_bars(frames, 600.0, PosterSpec(width=97, height=61, mode=mode))
    whole = raster(bars, 61)
    for y0, y1 in ((0, 61), (5, 6), (17, 44), (60, 61)):
        assert (raster(bars, 61, y0, y1) == whole[y0:y1]).all()
    # Each column is its bands from the top, heights by weight (whole pixels adding up to 61).
    x = int(bars.edges[3])
    expected = np.repeat(bars.colours[3], np.diff(np.rint(np.concatenate([[0], np.cumsum(bars.weights[3])]) * 61)
                                                 .astype(int)), axis=0)
    assert (whole[:, x] == expected).all()
