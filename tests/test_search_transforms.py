"""Search survives what screenshots go through: one generated library, every transformation."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from reelprint import search
from reelprint.decode import frame_at
from reelprint.indexer import index_paths
from reelprint.query import WORKING_SIDE, variants
from reelprint.screenshots import TRANSFORMS, centre_crop_box, crop_centre
from reelprint.search import Searcher
from reelprint.store import Index
from reelprint.synth import film_frames, shots_for, write_video
from reelprint.verify import NARROW_SCALES, SCALES, TemplateBank, frame_grey


@pytest.fixture(scope="module")
def film_library(tmp_path_factory: pytest.TempPathFactory):
    """Two generated films, one with a 3 s static shot (the same picture held) at 4-7 s."""
    root = tmp_path_factory.mktemp("search_lib")
    lib = root / "library"
    size = (320, 180)
    moving = list(film_frames(shots_for(12, 31), 24.0, size))
    held = moving[40]
    static = moving[:96] + [held] * 72 + moving[96:]
    films = {
        "gamma": write_video(lib / "gamma.mp4", static, 24.0),
        "delta": write_video(lib / "delta.mkv", film_frames(shots_for(10, 32), 24.0, size), 24.0),
    }
    with Index.open(root / "index.db") as index:
        index_paths(index, [lib])
        yield films, Searcher(index)


TIMES = itertools.cycle([2.3, 8.6, 11.1, 5.5])


@pytest.mark.parametrize("name", [n for n in TRANSFORMS if n != "bars_removed"])
def test_each_transformation_finds_the_video_and_second(film_library, name):
    films, searcher = film_library
    rng = np.random.default_rng(3)
    truth = frame_at(films["gamma"], next(TIMES) if name != "mirror" else 9.4, size=None)
    best = searcher.search_image(TRANSFORMS[name](truth.image, rng))[0]
    assert best.path == str(films["gamma"])
    assert abs(best.t - truth.t) <= 1.0 or (best.span and best.span[0] - 1 <= truth.t <= best.span[1] + 1)
    assert 0 < best.score <= 1
    assert best.mirrored == (name == "mirror")


def test_bars_removed_from_a_video_with_bars(tmp_path):
    size = (320, 180)
    frames = [np.pad(f, ((24, 24), (0, 0), (0, 0))) for f in film_frames(shots_for(6, 41), 24.0, size)]
    video = write_video(tmp_path / "lib" / "barred.mp4", frames, 24.0)
    with Index.open(tmp_path / "i.db") as index:
        index_paths(index, [tmp_path / "lib"])
        truth = frame_at(video, 3.3, size=None)
        still = TRANSFORMS["bars_removed"](truth.image, np.random.default_rng(0))
        assert still.shape[0] < truth.image.shape[0] - 40
        best = Searcher(index).search_image(still)[0]
    assert best.path == str(video) and abs(best.t - truth.t) <= 1.0


def test_stills_from_elsewhere_match_nothing_whatever_happened_to_them(film_library, tmp_path):
    _, searcher = film_library
    other = write_video(tmp_path / "other.mp4", film_frames(shots_for(5, 777), 24.0, (320, 180)), 24.0)
    rng = np.random.default_rng(5)
    for t, name in ((1.0, "jpeg_q30+"), (2.5, "crop_sides"), (4.0, "player_chrome"), (3.0, "mirror")):
        still = TRANSFORMS[name](frame_at(other, t, size=None).image, rng)
        assert searcher.search_image(still) == [], name


def test_margin_says_how_far_ahead_the_best_video_is(film_library):
    films, searcher = film_library
    best = searcher.search_image(frame_at(films["delta"], 6.0, size=None).image)[0]
    assert best.path == str(films["delta"])
    assert 0 < best.margin <= best.score
    out = best.as_json()
    assert set(out) >= {"path", "t", "score", "distance", "mirrored", "margin"}


def test_a_crop_says_where_it_sits_in_the_frame(film_library):
    films, searcher = film_library
    truth = frame_at(films["delta"], 3.2, size=None)
    best = searcher.search_image(crop_centre(truth.image, np.random.default_rng(0)))[0]
    assert best.crop is not None
    expected = centre_crop_box(truth.image.shape[1], truth.image.shape[0])
    tolerance = 0.06 * truth.image.shape[1]
    assert all(abs(a - b) <= tolerance for a, b in zip(best.crop, expected, strict=True))
    assert best.as_json()["crop"] == list(best.crop)
    whole = searcher.search_image(truth.image)[0]
    assert whole.crop is None


def test_a_static_shot_reports_its_span(film_library):
    films, searcher = film_library
    truth = frame_at(films["gamma"], 5.5, size=None)  # inside the held picture, 4.0-7.0 s
    best = searcher.search_image(truth.image)[0]
    assert best.span is not None
    assert best.span[0] <= 4.1 and best.span[1] >= 6.9 and best.span[1] - best.span[0] <= 3.2
    assert best.span[0] <= best.t <= best.span[1]


def test_real_footage_screenshots_are_found_and_strangers_are_not(shared_media, tmp_path):
    films = [shared_media / "awwkl-ZWM" / "clip_01_tears_of_steel.mp4",
             shared_media / "awwkl-ZWM" / "clip_02_caminandes.mp4"]
    with Index.open(tmp_path / "real.db") as index:
        index_paths(index, films)
        searcher = Searcher(index)
        rng = np.random.default_rng(8)
        for film, t, name in ((films[0], 6.2, "player_chrome"), (films[1], 4.4, "jpeg_q30+"),
                              (films[1], 8.1, "mirror")):
            truth = frame_at(film, t, size=None)
            best = searcher.search_image(TRANSFORMS[name](truth.image, rng))[0]
            assert best.path == str(film) and abs(best.t - truth.t) <= 1.0, name
        stranger = frame_at(shared_media / "dmlc-decord" / "flipping_a_pancake.mkv", 5.0, size=None)
        assert searcher.search_image(stranger.image) == []


def _title_card(size: tuple[int, int], fps: float) -> list[np.ndarray]:
    """White words on black, a line for each second: bars added to a still of it are as black
    as its own background, so no trimming can find them."""
    w, h = size
    frames = []
    for line in ("A FILM", "BY NOBODY", "IN 2026"):
        frame = np.zeros((h, w, 3), np.uint8)
        cv2.putText(frame, line, (round(w * 0.15), round(h * 0.55)), cv2.FONT_HERSHEY_DUPLEX, 1.4,
                    (235, 235, 235), 3, cv2.LINE_AA)
        frames += [frame] * round(fps)
    return frames


@pytest.fixture(scope="module")
def titled(tmp_path_factory: pytest.TempPathFactory):
    """A film with a title card at 4-7 s ("A FILM", "BY NOBODY", "IN 2026"), indexed."""
    root = tmp_path_factory.mktemp("titled")
    size, fps = (320, 180), 24.0
    frames = list(film_frames(shots_for(4, 51), fps, size)) + _title_card(size, fps) + \
        list(film_frames(shots_for(4, 52), fps, size))
    video = write_video(root / "lib" / "titled.mp4", frames, fps)
    with Index.open(root / "i.db") as index:
        index_paths(index, [root / "lib"])
        yield video, Searcher(index)


@pytest.mark.parametrize("name", ["letterbox", "pillarbox"])
def test_a_title_on_black_is_found_inside_black_bars(titled, name):
    video, searcher = titled
    truth = frame_at(video, 5.6, size=None)  # "BY NOBODY", 5-6 s
    still = TRANSFORMS[name](truth.image, np.random.default_rng(1))
    best = searcher.search_image(still)[0]
    assert best.path == str(video) and best.span is not None and best.span[0] <= truth.t <= best.span[1]
    assert best.span[0] >= 4.9 and best.span[1] <= 6.1
    assert best.crop is None


def test_a_title_on_black_cut_to_its_words_is_found(titled):
    # Cutting "bars" off a title card cuts its black picture: what is left of "IN 2026" is under
    # 0.6 of the frame's width, smaller than any crop a still of a picture is taken to be.
    video, searcher = titled
    truth = frame_at(video, 6.5, size=None)  # "IN 2026", 6-7 s
    still = TRANSFORMS["bars_removed"](truth.image, np.random.default_rng(1))
    assert 0.45 <= still.shape[1] / truth.image.shape[1] < 0.6
    matches = searcher.search_image(still)
    assert matches and matches[0].path == str(video)
    assert matches[0].span is not None and matches[0].span[0] <= truth.t <= matches[0].span[1]


@pytest.fixture(scope="module")
def dim_shot(tmp_path_factory: pytest.TempPathFactory):
    """A film with a dim shot (a night, a fade) at 2-4 s, indexed."""
    root = tmp_path_factory.mktemp("dim_shot")
    size, fps = (320, 180), 24.0
    dim = [(f.astype(np.float32) * 0.3).astype(np.uint8) for f in film_frames(shots_for(2, 56), fps, size)]
    frames = list(film_frames(shots_for(2, 54), fps, size)) + dim + list(film_frames(shots_for(2, 55), fps, size))
    video = write_video(root / "lib" / "dim.mp4", frames, fps)
    with Index.open(root / "i.db") as index:
        index_paths(index, [root / "lib"])
        yield video, Searcher(index)


@pytest.mark.parametrize("seed", [0, 2])  # the logo top right, top left
def test_a_dim_shot_under_a_channel_logo_is_found(dim_shot, seed):
    """A bright logo outweighs a dim picture in every comparison: such a still, found nowhere, is
    searched again without its top strip; a still with no such strip never is."""
    video, searcher = dim_shot
    truth = frame_at(video, 3.0, size=None)
    still = TRANSFORMS["logo"](truth.image, np.random.default_rng(seed))
    assert any(v.cut and v.box[1] > 0 for v in variants(still, without_logo=True))
    assert not any(v.cut and v.box[1] > 0 for v in variants(truth.image, without_logo=True))
    best = searcher.search_image(still)
    assert best and best[0].path == str(video) and abs(best[0].t - truth.t) <= 0.25


def test_only_a_still_with_black_edges_is_tried_smaller_than_a_crop(tmp_path):
    size, fps = (320, 180), 24.0
    title = _title_card(size, fps)[int(2.5 * fps)]  # "IN 2026"
    picture = next(iter(film_frames(shots_for(2, 53), fps, size)))
    words = TemplateBank(variants(TRANSFORMS["bars_removed"](title, np.random.default_rng(1))))
    assert min(s for _, s, _ in words.templates) == NARROW_SCALES[0]
    assert min(s for _, s, _ in TemplateBank(variants(picture)).templates) == SCALES[0]
    found = words.align(frame_grey(title))
    assert found.narrow and found.ncc > 0.95


@pytest.mark.parametrize("name", ["letterbox", "pillarbox", "player_chrome", "logo"])
def test_a_dark_still_is_trimmed_to_its_picture_not_to_its_brightest_corner(name):
    """A still deep in a fade has rows as flat, in grey levels, as the bars around it; a bright
    logo over it leaves it as dark."""
    frame = next(film_frames(shots_for(2, 5), 24.0, (640, 360)))
    dark = (frame.astype(np.float32) * 0.12).astype(np.uint8)
    still = TRANSFORMS[name](dark, np.random.default_rng(1))
    _, _, w, h = variants(still)[0].box
    scale = min(1.0, WORKING_SIDE / max(still.shape[:2]))  # boxes are at working size
    assert 0.95 <= w * h / (640 * 360 * scale ** 2) <= 1.2


@pytest.mark.parametrize("seed", [0, 2])  # the logo top right, top left
def test_a_broadcast_logo_over_a_pillarbox_bar_is_trimmed_with_the_bar(seed):
    """A 4:3 film on a 16:9 channel: the channel's logo sits in the top corner of the 16:9
    picture, over the bar and the film. Trimming that stopped at the logo kept the bar in."""
    frame = next(film_frames(shots_for(2, 7), 24.0, (480, 360)))
    broadcast = TRANSFORMS["logo"](cv2.copyMakeBorder(frame, 0, 0, 80, 80, cv2.BORDER_CONSTANT, value=0),
                                   np.random.default_rng(seed))
    assert max(broadcast[30, 20:40].mean(), broadcast[30, 600:620].mean()) > 100  # the logo is on a bar
    x, y, w, h = variants(broadcast)[0].box
    assert abs(x - 80) <= 2 and abs(w - 480) <= 4 and (y, h) == (0, 360)


def test_a_bright_bare_wall_keeps_its_flat_sides(shared_media):
    """Only a dark still is trimmed at a raised contrast: raised, a bare wall's flat side was
    taken for a border, and what was left too faint to search."""
    frame = frame_at(shared_media / "facebook-ThreatExchange-tmk/doorknob-hd-no-bar.mp4", 1.73, size=None)
    still = crop_centre(frame.image, np.random.default_rng(0))
    first = variants(still)[0]
    assert first.box == (0, 0, *first.image.shape[1::-1])
    assert first.features["quality"] >= search.QUERY_MIN_QUALITY


def test_a_subtitle_under_a_logo_on_black_is_found(shared_media, tmp_path):
    """NASA's Artemis logo on black: trimming cuts the black around the logo and the subtitle
    together; the still as found without its bottom strip is the logo alone."""
    video = shared_media / "akamhy-videohash/nasa_sls_hotfire_rocket.mkv"
    truth = frame_at(video, 47.81, size=None)
    with Index.open(tmp_path / "i.db") as index:
        index_paths(index, [video])
        best = Searcher(index).search_image(TRANSFORMS["subtitles"](truth.image, np.random.default_rng(0)))
    assert best and abs(best[0].t - truth.t) <= 1.0


def test_a_title_fading_out_is_searched_by_its_most_contrasted_hypothesis(shared_media, tmp_path):
    """The Sintel trailer's title fading out (a mean grey level under 1): whole, the still is
    under the contrast a search needs; without its bottom strip it is not, and it is found."""
    video = shared_media / "saveniukoleh-ar-page/sintel_trailer_480x204.mp4"
    truth = frame_at(video, 46.92, size=None)
    still = TRANSFORMS["mirror"](truth.image, np.random.default_rng(0))
    qualities = [v.features["quality"] for v in variants(still)]
    assert qualities[0] < search.QUERY_MIN_QUALITY <= max(qualities)
    with Index.open(tmp_path / "i.db") as index:
        index_paths(index, [video])
        best = Searcher(index).search_image(still)
    assert best and abs(best[0].t - truth.t) <= 1.0


def test_a_caption_on_black_from_elsewhere_does_not_match_another_title_on_black(shared_media, tmp_path):
    """A title on black resembles other titles on black by chance, at any size it is placed: cat.1's
    caption, pillarboxed, matched the Sintel trailer's "Blender Foundation presents" at 0.89."""
    caption = frame_at(shared_media / "Farmadupe-vid_dup_finder_lib/cat.1.mp4", 5.64, size=None)
    still = TRANSFORMS["pillarbox"](caption.image, np.random.default_rng(0))
    assert all(v.on_black for v in variants(still))
    with Index.open(tmp_path / "i.db") as index:
        index_paths(index, [shared_media / "saveniukoleh-ar-page/sintel_trailer_480x204.mp4"])
        assert Searcher(index).search_image(still) == []
