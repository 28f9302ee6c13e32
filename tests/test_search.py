from dataclasses import replace

import cv2
import numpy as np
import pytest
from PIL import Image

from reelprint import search
from reelprint.borders import LetterboxCrop
from reelprint.decode import frame_at
from reelprint.features import EVIDENCE_MIN_QUALITY, FRAME_DTYPE
from reelprint.indexer import index_paths
from reelprint.query import WORKING_SIDE, variants
from reelprint.refine import Refined, could_hold, refine_stretch
from reelprint.sampling import SamplingPolicy
from reelprint.scores import MATCH_MIN_DETAIL, PERFECT_MIN_DETAIL, SURE_NCC, detail_needed, score
from reelprint.screenshots import TRANSFORMS
from reelprint.search import Searcher, frame_cost, search_files
from reelprint.settling import best_of_each_video, doubtful, settled
from reelprint.store import Index, VideoRecord
from reelprint.store_search import COLOUR_BYTES
from reelprint.stored_colours import PALETTE_ROWS, StoredColours
from reelprint.synth import Shot, film_frames, make_film, shots_for, write_video
from reelprint.verify import Alignment, TemplateBank

KEYFRAMES_ONLY = SamplingPolicy(fill_budget=0.0, sweep_budget=0.0)  # stored frames where the test puts keyframes


def test_exact_frame_finds_the_video_and_time(index, library):
    index_paths(index, [library])
    searcher = Searcher(index)
    for name, t in (("alpha.mp4", 7.3), ("beta.mkv", 2.0)):
        still = frame_at(library / name, t, size=None)
        best = searcher.search_image(still.image)[0]
        assert best.path == str(library / name)
        assert abs(best.t - still.t) < 0.05
        assert best.score > 0.9


def test_mirrored_still_is_found_and_said_to_be_mirrored(index, library):
    index_paths(index, [library])
    still = frame_at(library / "beta.mkv", 4.0, size=None).image[:, ::-1]
    best = Searcher(index).search_image(np.ascontiguousarray(still))[0]
    assert best.path == str(library / "beta.mkv") and best.mirrored


def test_a_still_from_elsewhere_matches_nothing(index, library, tmp_path):
    index_paths(index, [library])
    other = make_film(tmp_path / "other.mp4", 4, seed=777)
    assert Searcher(index).search_image(frame_at(other, 2.0).image) == []


def test_a_faint_still_is_searched_and_a_flat_one_declined(index, library):
    """Recompression and cropping take contrast away: a still below the quality the index needs
    of its own frames (a bare wall's, 12 to 9-11) is still searched; a black one is not."""
    index_paths(index, [library])
    searcher = Searcher(index)
    still = frame_at(library / "alpha.mp4", 7.3, size=None)
    picture = still.image.astype(np.float32)
    faint = np.clip((picture - picture.mean()) * 0.18 + 60, 0, 255).astype(np.uint8)
    quality = variants(faint)[0].features["quality"]
    assert search.QUERY_MIN_QUALITY <= quality < EVIDENCE_MIN_QUALITY
    best = searcher.search_image(faint)[0]
    assert best.path == str(library / "alpha.mp4") and abs(best.t - still.t) < 0.25
    noise = np.random.default_rng(0).normal(8, 1.5, still.image.shape)
    assert searcher.search_image(np.clip(noise, 0, 255).astype(np.uint8)) == []


@pytest.mark.filterwarnings("error")
def test_a_still_of_a_few_pixels_matches_nothing_without_a_warning(index, library):
    """Trimming and the logo hypothesis measure strips of the still: none may be empty."""
    index_paths(index, [library])
    searcher = Searcher(index)
    rng = np.random.default_rng(0)
    for shape in [(1, 1, 3), (2, 2, 3), (1, 40, 3), (40, 1, 3), (5, 200, 3)]:
        assert searcher.search_image(rng.integers(0, 255, shape).astype(np.uint8)) == []


def test_many_images_and_folders_keep_their_order_and_errors(index, library, tmp_path):
    index_paths(index, [library])
    shots = tmp_path / "shots"
    shots.mkdir()
    Image.fromarray(frame_at(library / "alpha.mp4", 3.0).image).save(shots / "a.png")
    cv2.imwrite(str(shots / "b.jpg"), frame_at(library / "beta.mkv", 6.0).image[..., ::-1])
    (shots / "c.png").write_text("not really a png")
    results = search_files(index, [shots, tmp_path / "missing.png"])
    assert [r.query for r in results] == [str(shots / n) for n in ("a.png", "b.jpg", "c.png")] + [
        str(tmp_path / "missing.png")]
    assert results[0].matches[0].path.endswith("alpha.mp4")
    assert results[1].matches[0].path.endswith("beta.mkv")
    assert "not an image" in results[2].error and "no such file" in results[3].error


def test_palette_ranking_of_a_large_library_measures_the_frames_that_share_the_dominant_colour():
    rng = np.random.default_rng(5)
    table = rng.integers(0, 256, (PALETTE_ROWS + 20_000, COLOUR_BYTES), dtype=np.uint8)
    still = np.zeros(1, FRAME_DTYPE)[0]
    still["palette"], still["shares"] = table[123, 12:27].reshape(5, 3), table[123, 27:32]
    colours = StoredColours.from_table(table)
    d = colours.distance(still)
    measured = np.isfinite(d)
    assert measured.sum() == PALETTE_ROWS and np.argmin(d) == 123 and d[123] < 1e-3
    full = StoredColours.from_table(table[measured]).distance(still)  # small enough to measure whole
    assert np.allclose(d[measured], full, atol=1e-5)


def test_a_near_perfect_correlation_needs_less_fine_detail():
    # A smooth picture's own frame, recompressed: the whole picture correlates 0.995, its fine
    # detail only 0.56. The same detail with an ordinary correlation is no match.
    assert score(0.995, 0.56) > 0 > score(0.95, 0.56)
    assert detail_needed(0.5) == detail_needed(SURE_NCC) == MATCH_MIN_DETAIL
    assert detail_needed(1.0) == PERFECT_MIN_DETAIL < MATCH_MIN_DETAIL
    assert score(1.0, 1.0) == 1.0 and score(0.99, PERFECT_MIN_DETAIL) < 0


def test_a_still_placed_as_a_small_picture_needs_a_higher_correlation():
    # Titles on black from outside the library matched other titles so at 0.84-0.89.
    assert score(0.9, 0.9) > 0 > score(0.9, 0.9, by_chance=True)
    assert 0 < score(0.97, 0.9, by_chance=True) < score(0.97, 0.9)


def test_the_decoding_budget_buys_fewer_frames_of_a_larger_video(index, library, monkeypatch):
    def video(width: int | None, height: int | None) -> VideoRecord:
        return VideoRecord(1, "v.mp4", 0, 0.0, None, 60.0, 24.0, width, height, "h264", None, "indexed", None)

    assert frame_cost(video(640, 360)) == 1.0 and frame_cost(video(None, None)) == 1.0
    assert frame_cost(video(1920, 1080)) > 4 and frame_cost(video(256, 144)) < 0.7
    index_paths(index, [library])
    searcher = Searcher(index)
    monkeypatch.setattr(search, "REFINE_FRAMES", 150)  # less than the library holds
    bank = TemplateBank(variants(frame_at(library / "alpha.mp4", 3.0).image))
    stretches, within = searcher._candidates([v.features for v in bank.variants], bank)
    costs = [(end - start) * searcher.videos[v].fps * frame_cost(searcher.videos[v]) for v, start, end, _ in stretches]
    assert sum(costs[:within - 1]) < 150 <= sum(costs[:within]) + 1e-6
    # ...and the extra share a doubtful answer may spend
    assert sum(costs[:-1]) < 150 * (1 + search.DOUBT_EXTRA) <= sum(costs) + 1e-6


def test_a_search_decodes_one_stretch_past_its_budget_and_uses_it(index, library, tmp_path, monkeypatch):
    """The stretch after the budget's last is started while that one is compared (two at a
    time): its answer is used, and nothing is started after it."""
    index_paths(index, [library])
    searcher = Searcher(index)
    monkeypatch.setattr(search, "REFINE_FRAMES", 150)
    still = frame_at(make_film(tmp_path / "other.mp4", 4, seed=777), 2.0).image
    started, used = [], []
    real_refine_ahead = search.refine_ahead

    def counting(stretches, bank):
        for found in real_refine_ahead((started.append(s) or s for s in stretches), bank):
            used.append(found)
            yield found

    monkeypatch.setattr(search, "refine_ahead", counting)
    assert searcher.search_image(still) == []
    bank = TemplateBank(variants(still))
    _, within = searcher._candidates([v.features for v in bank.variants], bank)
    assert len(started) == len(used) == within + 1


def moment(video_id: int, t: float, ncc: float) -> Refined:
    return Refined(video_id, t, Alignment(ncc, 0, (0, 0, 96, 54)), None, 2, LetterboxCrop(), 0.9, ncc + 0.9)


def test_a_static_camera_is_not_settled_on_a_moment_its_other_moments_nearly_match():
    # Correlations measured on car-detection.mp4 (bench seed 53): a still of 8.88 s first met
    # 19.2 s at 0.991 and two other moments of the street at 0.93-0.94; its own frame was 0.999.
    street = [moment(7, 19.2, 0.991), moment(7, 1.84, 0.932), moment(7, 25.04, 0.938)]
    assert not settled(street)
    assert not settled([*street, moment(7, 8.88, 0.999)])  # 19.2 s is within 0.1 of it
    # ...nor when those moments are 6.9 and 8.5 s away (the bottle clip, seed 149: a stretch of a
    # short GOP).
    assert not settled([moment(5, 28.83, 0.973), moment(5, 21.92, 0.921), moment(5, 37.31, 0.936)])
    # The same correlations from other videos, or from the same video within half a stretch (a
    # film's shot carrying on), settle it.
    assert settled([moment(7, 19.2, 0.991), moment(3, 1.84, 0.932), moment(4, 25.04, 0.938)])
    assert settled([moment(7, 19.2, 0.991), moment(7, 16.0, 0.932), moment(7, 22.5, 0.938)])


def test_a_moment_is_not_settled_while_a_stretch_of_its_video_as_near_the_still_waits():
    # Caminandes' llama on the road (bench seed 313): a still of 6.54 s met 9.92 s at 0.990 and
    # two moments of a car passing at 0.93-0.96; the stretch of the stored frame at 0 s, as near
    # the still as 9.88 s's, was next in line, and the still's own stretch after it.
    road = [moment(2, 9.92, 0.990), moment(2, 8.88, 0.956), moment(2, 8.83, 0.930)]
    assert settled(road)
    assert not settled(road, waiting=[(5, 2), (2, 2)])
    assert settled(road, waiting=[(5, 2), (2, 3)])  # found by a stored frame farther from the still
    assert settled(road, waiting=[(5, 0)])  # another video's


def test_a_sure_moment_its_own_video_nearly_matches_elsewhere_isdoubtful():
    # The bottle clip (bench seed 181): 6.4 s at 0.988 and 28.79 s at 0.976 when the budget ran
    # out; the still's own frame, 12.5 s, was in the next stretch.
    assert doubtful([moment(5, 6.4, 0.988), moment(5, 28.79, 0.976)])
    assert not doubtful([moment(5, 6.4, 0.988), moment(5, 28.79, 0.85)])
    assert not doubtful([moment(5, 6.4, 0.988), moment(3, 28.79, 0.976)])
    assert not doubtful([moment(5, 6.4, 0.988), moment(5, 8.4, 0.976)])  # the same shot carrying on
    assert doubtful([moment(5, 6.4, 0.9)])  # a match, not a sure one
    assert not doubtful([moment(5, 6.4, 0.8)])  # no match: nothing to be doubtful of


def test_a_video_is_represented_by_a_moment_that_matches_before_a_sharper_one_that_does_not():
    # NASA's rocket clip (bench seed 199): the still's own frame, smoke recompressed, at
    # correlation 0.999 and fine detail 0.59 (sharpness 1.0); a title-sized placement in
    # another stretch at 0.771 and 0.53, but sharpness 1.16.
    right = replace(moment(4, 46.81, 0.999), detail=0.59, sharpness=1.0)
    small = replace(moment(4, 44.71, 0.771), detail=0.53, sharpness=1.164)
    other = replace(moment(9, 3.0, 0.9), detail=0.7, sharpness=1.6)
    assert score(right.alignment.ncc, right.detail) > 0 > score(small.alignment.ncc, small.detail)
    best = best_of_each_video([small, other, right])
    assert [(r.video_id, r.t) for r in best] == [(9, 3.0), (4, 46.81)]
    # Among moments that all match, or none, the sharper one stands for its video.
    sharper = replace(right, t=47.16, sharpness=1.01)
    assert best_of_each_video([right, sharper])[0].t == 47.16
    assert best_of_each_video([small, replace(small, t=40.0, sharpness=1.2)])[0].t == 40.0
    # A pillarboxed still of the rocket (seed 199, 47.81 s) matched a small placement too, sharper
    # than its own frame's full one: the full one stands for the video.
    placed_small = replace(moment(4, 43.96, 0.941), detail=0.883, sharpness=1.497)
    placed_small = replace(placed_small, alignment=replace(placed_small.alignment, scale=0.5))
    own = replace(moment(4, 47.80, 0.989), detail=0.66, sharpness=1.252)
    assert placed_small.alignment.narrow and score(0.941, 0.883, by_chance=True) > 0
    assert best_of_each_video([placed_small, own])[0].t == 47.80


def test_a_moment_that_correlates_as_a_sure_one_without_the_detail_settles_nothing():
    # The doorknob clip's bare wall (bench seed 223): a neighbouring frame at 0.986 with fine
    # detail 0.47 and two other videos far behind; the still's own frame was a stretch later.
    wall = [replace(moment(6, 3.03, 0.986), detail=0.467), moment(2, 9.43, 0.736), moment(3, 6.77, 0.753)]
    assert score(0.986, 0.467) < 0
    assert not settled(wall)
    assert doubtful(wall)
    assert settled([moment(6, 3.03, 0.986), *wall[1:]])


def test_the_stretch_beyond_an_edge_moment_is_the_one_on_the_other_side_of_it(tmp_path):
    """A keyframe every 2 s whatever the picture: a moment at the first or last frame of its
    stretch may be a shot going on past it."""
    frames = film_frames([Shot(8.0, 5)], 24.0, (320, 180))
    write_video(tmp_path / "lib" / "pan.mp4", frames, 24.0, options={"g": "48", "sc_threshold": "0"})
    with Index.open(tmp_path / "i.db") as index:
        index_paths(index, [tmp_path / "lib"], KEYFRAMES_ONLY)
        searcher = Searcher(index)
        video_id = index.videos()[0].id
        assert [round(float(t), 2) for t in searcher.times] == [0.0, 2.0, 4.0, 6.0]

        def at(t: float, stretch: tuple[float, float]) -> tuple[float, float] | None:
            beyond = searcher._beyond_edge(replace(moment(video_id, t, 0.99), stretch=stretch))
            return None if beyond is None else (round(beyond[0], 2), round(beyond[1], 2))

        assert at(4.0, (4.0, 6.0)) == (2.0, 4.0)
        assert at(5.99, (4.0, 6.0)) == (6.0, 8.0)
        assert at(6.0, (6.0, 8.0)) == (4.0, 6.0)
        assert at(5.0, (4.0, 6.0)) is None
        assert at(0.0, (0.0, 2.0)) is None  # nothing before the start
        assert at(7.96, (6.0, 8.0)) is None  # nor after the end


def test_a_dark_still_ranks_its_shot_by_phash_alone_too(tmp_path):
    """A still deep in a fade: its pHash still points at its shot's stored frame, while its colour
    layout and palette point at a night-time film's frames."""
    lib = tmp_path / "lib"
    write_video(lib / "day.mp4", film_frames(shots_for(30, 3, mean_shot=2.0), 24.0, (320, 180)), 24.0)
    night = (frame * 0.3 for frame in film_frames(shots_for(30, 4, mean_shot=2.0), 24.0, (320, 180)))
    write_video(lib / "night.mp4", (frame.astype(np.uint8) for frame in night), 24.0)
    with Index.open(tmp_path / "i.db") as index:
        index_paths(index, [lib])
        searcher = Searcher(index)
        day = [row for row, v in enumerate(searcher.video_ids) if searcher.videos[int(v)].path.endswith("day.mp4")]
        assert len(searcher.hashes) >= 12
        for row in day[3:9]:
            image = frame_at(lib / "day.mp4", float(searcher.times[row]), size=None).image
            features = [v.features for v in variants((image * 0.15).astype(np.uint8))]
            assert np.mean(features[0]["mean_rgb"]) < search.DARK_MEAN
            _, order, bits = searcher._ranked_rows(features)
            assert bits[row] == bits.min() and row in order[:3]


def test_a_static_camera_still_is_found_at_its_moment(tmp_path):
    """A street that never changes but for the cars crossing it, a keyframe every 2 s."""
    w, h, fps = 320, 180, 12.0
    street = next(film_frames([Shot(1.0, 4)], fps, (w, h)))
    frames = []
    for i in range(int(24 * fps)):
        t, frame = i / fps, street.copy()
        lane = int(t // 6)
        x = int((t % 6) / 6 * (w + 60)) - 30
        cv2.rectangle(frame, (x, 60 + 20 * lane), (x + 40, 82 + 20 * lane), (250, 60 * lane, 40), -1)
        frames.append(frame)
    video = write_video(tmp_path / "lib" / "street.mp4", frames, fps, options={"g": "24"})
    with Index.open(tmp_path / "i.db") as index:
        index_paths(index, [tmp_path / "lib"])
        searcher = Searcher(index)
        for t in (3.0, 10.0, 16.5):
            truth = frame_at(video, t, size=None)
            best = searcher.search_image(truth.image)[0]
            assert abs(best.t - truth.t) <= 0.25, t


def test_a_still_of_a_single_passing_frame_is_found(tmp_path):
    """Something fast crosses a still shot in one frame, between the frames the first pass
    compares every 0.1 s: its frame is compared too, or the still of it matches nothing."""
    fps = 24.0
    scene = next(film_frames([Shot(1.0, 9)], fps, (320, 180)))
    frames = [scene.copy() for _ in range(int(6 * fps))]
    passing = 40  # 1.667 s: the grid from the keyframe has frames 39 and 42
    cv2.rectangle(frames[passing], (90, 20), (200, 170), (240, 200, 30), -1)
    video = write_video(tmp_path / "lib" / "crossing.mp4", frames, fps, options={"g": "240"})
    with Index.open(tmp_path / "i.db") as index:
        index_paths(index, [tmp_path / "lib"])
        truth = frame_at(video, passing / fps, size=None)
        assert truth.image[90, 150].tolist() != scene[90, 150].tolist()
        best = Searcher(index).search_image(truth.image)[0]
        assert abs(best.t - truth.t) < 0.5 / fps


def test_a_crop_of_a_static_camera_is_found_at_its_frame(tmp_path):
    """Small cars crossing a still street: frames a step apart differ by a few pixels, which a
    crop of one, compared 96 pixels wide, does not tell apart; the wider comparison does."""
    w, h, fps = 320, 180, 12.0
    street = next(film_frames([Shot(1.0, 4)], fps, (w, h)))
    frames = []
    for i in range(int(12 * fps)):
        t, frame = i / fps, street.copy()
        for lane, period in enumerate((7.0, 11.0, 17.0)):
            x = int(((t + 2.3 * lane) % period) / period * (w + 20)) - 10
            cv2.rectangle(frame, (x, 50 + 30 * lane), (x + 6, 54 + 30 * lane), (250, 60 * lane, 40), -1)
        frames.append(frame)
    video = write_video(tmp_path / "lib" / "street.mp4", frames, fps, options={"g": "24"})
    rng = np.random.default_rng(0)
    with Index.open(tmp_path / "i.db") as index:
        index_paths(index, [tmp_path / "lib"])
        searcher = Searcher(index)
        for t in (3.0, 7.5, 10.0):
            truth = frame_at(video, t, size=None)
            best = searcher.search_image(TRANSFORMS["crop_centre80"](truth.image, rng))[0]
            assert abs(best.t - truth.t) < 0.5 / fps, t


def test_videos_whose_frames_cannot_hold_the_still_are_passed_over(tmp_path):
    """A portrait still has no place in a landscape film's frames: decoding them would be budget
    spent on a correlation of -1, so it goes to the portrait video."""
    wide = write_video(tmp_path / "lib" / "wide.mp4", film_frames(shots_for(6, 3), 24.0, (320, 180)), 24.0)
    tall = write_video(tmp_path / "lib" / "tall.mp4", film_frames(shots_for(6, 4), 24.0, (180, 320)), 24.0)
    with Index.open(tmp_path / "i.db") as index:
        index_paths(index, [tmp_path / "lib"])
        searcher = Searcher(index)
        videos = {v.path: v for v in searcher.videos.values()}
        wide_video, tall_video = videos[str(wide)], videos[str(tall)]
        portrait = TemplateBank(variants(frame_at(tall, 2.0, size=None).image))
        landscape = TemplateBank(variants(frame_at(wide, 2.0, size=None).image))
        assert not could_hold(wide_video, portrait)
        assert could_hold(tall_video, portrait) and could_hold(wide_video, landscape)
        assert could_hold(tall_video, landscape)  # a wide picture can sit inside a tall frame
        assert refine_stretch(wide_video, 0.0, 2.0, portrait, 0).alignment.ncc == -1.0
        stretches, _ = searcher._candidates([v.features for v in portrait.variants], portrait)
        assert stretches and {video_id for video_id, *_ in stretches} == {tall_video.id}


def test_a_4k_screenshot_is_searched_at_working_size(index, library):
    index_paths(index, [library])
    frame = frame_at(library / "alpha.mp4", 5.0, size=None)
    huge = cv2.resize(frame.image, (3840, 2160), interpolation=cv2.INTER_CUBIC)
    assert all(max(v.image.shape[:2]) <= WORKING_SIDE for v in variants(huge))
    best = Searcher(index).search_image(huge)[0]
    assert best.path == str(library / "alpha.mp4") and abs(best.t - frame.t) < 0.05


def test_a_dark_still_reaches_its_fade_by_a_stored_frame_too_faint_to_be_evidence(tmp_path):
    """A fade's keyframe is too faint to stand for its shot, but it is the stored frame a still
    deep in the fade resembles: it is ranked for a dark still, and for no other."""
    lib = tmp_path / "lib"
    write_video(lib / "day.mp4", film_frames(shots_for(30, 3, mean_shot=2.0), 24.0, (320, 180)), 24.0)
    with Index.open(tmp_path / "i.db") as index:
        index_paths(index, [lib])
        row = len(Searcher(index)) // 2
        (video_id, t_ms), = index.db.execute_sql("SELECT video_id, t_ms FROM frame WHERE quality >= ? "
                                                 "ORDER BY t_ms LIMIT 1 OFFSET ?", (EVIDENCE_MIN_QUALITY, row))
        index.db.execute_sql("UPDATE frame SET quality = ? WHERE video_id = ? AND t_ms = ?",
                             (EVIDENCE_MIN_QUALITY - 2, video_id, t_ms))
        searcher = Searcher(index)
        assert list(searcher.faint) == [row] and abs(searcher.times[row] - t_ms / 1000) < 1e-3
        image = frame_at(lib / "day.mp4", t_ms / 1000, size=None).image
        _, order, _ = searcher._ranked_rows([v.features for v in variants((image * 0.15).astype(np.uint8))])
        assert row in order[:3]
        _, order, _ = searcher._ranked_rows([v.features for v in variants(image)])
        assert row not in order
