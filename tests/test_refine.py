"""The refinement's cheap decode (luma only, reference frames only on the way to a stretch), the
exact frame found, and the fine-detail evidence."""

import cv2
import numpy as np
import pytest

from reelprint import refine
from reelprint.decode import frame_at, frames_between, grey_frames_between
from reelprint.indexer import index_paths
from reelprint.query import variants
from reelprint.refine import CLOSE_PASS_MIN_NCC, refine_ahead, refine_stretch
from reelprint.scores import MATCH_MIN_DETAIL, MATCH_MIN_NCC, SURE_NCC, score
from reelprint.screenshots import TRANSFORMS, logo
from reelprint.search import Searcher
from reelprint.synth import Shot, film_frames, shots_for, write_video
from reelprint.verify import SMALL_AREA, TemplateBank, _peak, detail_ncc, frame_grey, without_a_corner


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """An H.264 clip with B-frames, some of them references (libx264's defaults), its third second
    faded nearly to black."""
    frames = list(film_frames(shots_for(6, 71), 24.0, (320, 180)))
    for i in range(48, 72):
        frames[i] = (frames[i].astype(np.float32) * 0.12).astype(np.uint8)
    return write_video(tmp_path_factory.mktemp("refine") / "clip.mp4", frames, 24.0)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def test_luma_frames_are_the_rgb_frames_in_grey_even_in_a_dark_fade(clip):
    greys = list(grey_frames_between(clip, 1.5, 3.5, size=160))
    rgbs = list(frames_between(clip, 1.5, 3.5, size=160))
    assert [t for t, _ in greys] == [f.t for f in rgbs]
    dark = 0
    for (_, grey), frame in zip(greys, rgbs, strict=True):
        expected = cv2.cvtColor(frame.image, cv2.COLOR_RGB2GRAY)
        assert grey.shape == expected.shape
        # Near black, rounding alone moves pixels by a level: 0.97 there, 0.999 elsewhere.
        assert _correlation(grey, expected) > (0.96 if expected.mean() < 30 else 0.995)
        assert abs(float(grey.mean()) - float(expected.mean())) < 2  # full range, as RGB has it
        dark += expected.mean() < 30
    assert dark >= 10


def test_frames_nothing_refers_to_are_skipped_on_the_way(clip):
    every = [t for t, _ in grey_frames_between(clip, 0, 6, size=64)]
    references = [t for t, _ in grey_frames_between(clip, 0, 6, size=64, references_before=10.0)]
    assert set(references) < set(every)
    assert len(references) < 0.7 * len(every)


def test_a_still_of_a_frame_nothing_refers_to_is_found_at_that_frame(clip, index):
    index_paths(index, [clip])
    references = {t for t, _ in grey_frames_between(clip, 0, 6, size=64, references_before=10.0)}
    skipped = [t for t, _ in grey_frames_between(clip, 3.6, 5.5, size=64) if t not in references]
    searcher = Searcher(index)
    for t in skipped[:3]:
        still = frame_at(clip, t, size=None)
        best = searcher.search_image(still.image)[0]
        assert best.path == str(clip)
        assert abs(best.t - still.t) < 0.5 / 24


def test_fine_detail_tells_the_frame_from_a_smooth_lookalike(clip, tmp_path):
    frame = frame_at(clip, 1.0, size=None).image
    logo = TRANSFORMS["logo"](frame, np.random.default_rng(0))
    other = frame_at(write_video(tmp_path / "other.mp4", film_frames(shots_for(3, 5), 24.0, (320, 180)), 24.0),
                     1.0, size=None).image
    target = frame_grey(frame)

    def detail(still: np.ndarray) -> float:
        found = TemplateBank(variants(still)).align(target)
        return detail_ncc(target, found.template, found.box)

    assert detail(frame) > 0.95
    assert detail(logo) > MATCH_MIN_DETAIL
    assert detail(other) < MATCH_MIN_DETAIL


class _CountingBank(TemplateBank):
    """A template bank that counts the close-pass comparisons made with it."""

    fine = 0

    def align(self, frame, coarse=False):
        self.fine += not coarse
        return super().align(frame, coarse)


def test_a_stretch_unlike_the_still_gets_no_close_pass(clip, index, tmp_path):
    index_paths(index, [clip])
    video = index.videos()[0]
    own = frame_at(clip, 1.0, size=None).image
    other = write_video(tmp_path / "other.mp4", film_frames(shots_for(3, 5), 24.0, (320, 180)), 24.0)
    bank = _CountingBank(variants(own))
    found = refine_stretch(video, 0.0, 3.0, bank, distance=0)
    assert bank.fine > 0 and abs(found.t - 1.0) < 0.05 and found.alignment.ncc > 0.97 and found.detail > 0.9
    bank = _CountingBank(variants(frame_at(other, 1.0, size=None).image))
    found = refine_stretch(video, 0.0, 3.0, bank, distance=0)
    assert bank.fine == 0 and found.alignment.ncc < CLOSE_PASS_MIN_NCC and found.detail == -1.0


def test_decoding_stops_once_the_picture_has_moved_on_from_a_sure_match(clip, index, monkeypatch):
    index_paths(index, [clip])
    video = index.videos()[0]
    decoded: list[float] = []

    def counted(*args, **kwargs):
        for t, grey in grey_frames_between(*args, **kwargs):
            decoded.append(t)
            yield t, grey

    monkeypatch.setattr(refine, "grey_frames_between", counted)
    early = refine_stretch(video, 0.0, 6.0, TemplateBank(variants(frame_at(clip, 1.0, size=None).image)), 0)
    assert abs(early.t - 1.0) < 0.05 and early.alignment.ncc > 0.97
    assert early.t + refine.STOP_AFTER_S <= max(decoded) < 5.0
    decoded.clear()
    late = refine_stretch(video, 0.0, 6.0, TemplateBank(variants(frame_at(clip, 5.5, size=None).image)), 0)
    assert abs(late.t - 5.5) < 0.05 and max(decoded) > 5.9


def test_stretches_refined_side_by_side_come_back_in_order_as_one_at_a_time(clip, index):
    index_paths(index, [clip])
    video = index.videos()[0]
    bank = TemplateBank(variants(frame_at(clip, 4.2, size=None).image))
    stretches = [(video, start, start + 1.0, 0) for start in (0.0, 4.0, 1.0, 5.0, 2.0)]
    alone = [refine_stretch(video, start, end, bank, distance) for video, start, end, distance in stretches]
    assert [r.t for r in refine_ahead(stretches, bank)] == [r.t for r in alone]
    assert max(range(5), key=lambda i: alone[i].alignment.ncc) == 1

    asked = []
    results = refine_ahead(((video, s, s + 1.0, asked.append(s) or 0) for s in (0.0, 1.0, 2.0, 3.0, 4.0)), bank)
    next(results)
    results.close()
    assert asked == [0.0, 1.0]  # the one being looked at and the one running; nothing more was started


def test_bars_in_a_still_are_no_evidence_of_a_video_with_bars(tmp_path, index):
    """A pillarboxed still placed over a barred video's whole frame lines its bars up with the
    video's: they correlate however unlike the pictures are, so only the picture counts."""
    def faint(frame: np.ndarray, bars: int = 0) -> np.ndarray:
        out = (128 + (frame.astype(np.float32) - 128) * 0.3).astype(np.uint8)
        out[:, :bars], out[:, out.shape[1] - bars:] = 0, 0
        return out

    video = write_video(tmp_path / "barred.mp4", (faint(f, 22) for f in film_frames([Shot(4.0, 3)], 24.0, (320, 180))),
                        24.0)
    index_paths(index, [video])
    record = next(iter(Searcher(index).videos.values()))
    assert not record.crop.is_empty
    stranger = faint(next(film_frames([Shot(1.0, 11)], 24.0, (320, 180))), 22)
    own = frame_at(video, 2.0, size=None).image

    def best(still: np.ndarray) -> float:
        found = refine_stretch(record, 0.0, 4.0, TemplateBank(variants(still)), 0)
        return score(found.alignment.ncc, found.detail, found.alignment.by_chance)

    assert best(stranger) < 0
    assert best(own) > 0.8



def test_a_black_patch_of_a_frame_is_no_placement():
    """OpenCV's normalised correlation over a patch of pure black is rounding noise, clamped to
    1.0 for a title (a bright line on black): a title 'matched' the Sintel trailer's black so."""
    frame = (np.random.default_rng(0).random((41, 96)) * 50).astype(np.float32)
    frame[15:, 30:] = 0.0
    title = np.zeros((14, 43), np.float32)
    title[6:8, 10:30] = 40.0
    assert cv2.minMaxLoc(cv2.matchTemplate(frame, title, cv2.TM_CCOEFF_NORMED))[1] > 0.99
    peak, (x, y) = _peak(frame, title)
    assert peak < 0.5
    assert frame[y:y + 14, x:x + 43].std() > 1


def _smooth_picture(seed: int) -> np.ndarray:
    """A dim picture with little in it but broad shading, like an empty car park."""
    rng = np.random.default_rng(seed)
    shading = cv2.GaussianBlur(rng.normal(0, 1, (180, 320)).astype(np.float32), (0, 0), 12)
    shading = (shading - shading.min()) / (shading.max() - shading.min())
    grey = (90 + 60 * shading + rng.normal(0, 2, shading.shape)).clip(0, 255).astype(np.uint8)
    return np.dstack([grey] * 3)


def test_a_logo_in_a_corner_of_a_smooth_picture_is_left_out():
    frame, other = frame_grey(_smooth_picture(5)), frame_grey(_smooth_picture(6))
    bank = TemplateBank(variants(logo(_smooth_picture(5), np.random.default_rng(0))))
    found = bank.align(frame)
    assert found.ncc < MATCH_MIN_NCC  # the logo outweighs the rest of the picture
    ncc, detail = without_a_corner(frame, found)
    assert ncc > SURE_NCC and detail > MATCH_MIN_DETAIL
    assert without_a_corner(other, bank.align(other))[0] < MATCH_MIN_NCC


def test_a_still_with_a_logo_over_a_smooth_shot_is_a_match(index, tmp_path):
    video = write_video(tmp_path / "car_park.mp4", [_smooth_picture(5)] * 48, 24.0)
    index_paths(index, [video])
    still = logo(frame_at(video, 1.0, size=None).image, np.random.default_rng(0))
    found = refine_stretch(index.videos()[0], 0.0, 2.0, TemplateBank(variants(still)), 0)
    assert score(found.alignment.ncc, found.detail, found.alignment.by_chance) > 0.5


def _glyph_on_black(text: str) -> np.ndarray:
    frame = np.zeros((180, 320, 3), np.uint8)
    cv2.putText(frame, text, (140, 110), cv2.FONT_HERSHEY_DUPLEX, 1.6, (230, 230, 230), 3, cv2.LINE_AA)
    return frame


def test_a_countdown_digit_on_black_keeps_its_fine_detail():
    """Most of the picture is flat black: clipping the strongest fifth of its detail once clipped
    the digit's edges to nothing, and a still correlated 1.0 with its own frame but 0.07 in detail."""
    frame = _glyph_on_black("4")
    assert (frame == 0).all(axis=2).mean() > 0.9
    _, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 30])
    bank = TemplateBank(variants(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)))

    def detail(target: np.ndarray) -> float:
        grey = frame_grey(target)
        found = bank.align(grey)
        return detail_ncc(grey, found.template, found.box)

    assert detail(frame) > 0.9
    assert detail(_glyph_on_black("7")) < MATCH_MIN_DETAIL


def test_a_very_wide_still_placed_over_a_small_part_of_the_frame_is_weak_evidence():
    """A 2.8:1 still placed at 0.6 of a 16:9 frame's width covers a fifth of it: a small picture,
    which many frames resemble by chance, however wide the placement."""
    picture = cv2.resize(_smooth_picture(3), (320, 180))
    cv2.putText(picture, "REEL", (60, 110), cv2.FONT_HERSHEY_DUPLEX, 2.0, (250, 250, 250), 4)
    wide = picture[60:128, 32:224]  # 192x68: 0.6 of the width, 0.38 of the height
    found = TemplateBank(variants(wide)).align(frame_grey(picture))
    assert found.ncc > 0.95 and not found.narrow
    assert found.area < SMALL_AREA and found.by_chance
    framed = TemplateBank(variants(picture[18:162, 32:288])).align(frame_grey(picture))  # 20% off each side
    assert framed.ncc > 0.95 and framed.area > SMALL_AREA and not framed.by_chance
