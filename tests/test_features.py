import cv2
import imagehash
import numpy as np
from PIL import Image

from reelprint import colour
from reelprint.borders import LetterboxCrop, find_borders
from reelprint.features import (
    EVIDENCE_MIN_QUALITY,
    frame_features,
    image_features,
    layout_batch,
    mirror_layout,
)
from reelprint.hashes import hamming, to_hex
from reelprint.sampling import sample_frames
from reelprint.synth import shot_frames, shots_for


def _frames(path):
    _, frames = sample_frames(path)
    return list(frames)


def test_phash_agrees_with_imagehash(clips):
    frames = _frames(clips["alpha"])
    feats = frame_features([f.image for f in frames], [f.t for f in frames], crop=LetterboxCrop())
    for frame, row in zip(frames, feats, strict=True):
        reference = imagehash.phash(Image.fromarray(frame.image))
        # Only the resampling filter differs (area averaging vs Lanczos): a few bits at most.
        assert reference - imagehash.hex_to_hash(to_hex(int(row["phash"]))) <= 4


def test_small_edit_stays_close_big_change_does_not(clips):
    frames = _frames(clips["alpha"])
    a = frames[0].image
    jpeg = cv2.imdecode(cv2.imencode(".jpg", a, [cv2.IMWRITE_JPEG_QUALITY, 40])[1], cv2.IMREAD_UNCHANGED)
    half = cv2.resize(a, (a.shape[1] // 2, a.shape[0] // 2), interpolation=cv2.INTER_AREA)
    h = [image_features(x)[0]["phash"] for x in (a, jpeg, half, frames[-1].image)]
    assert hamming(h[0], h[1]) <= 6 and hamming(h[0], h[2]) <= 6
    assert hamming(h[0], h[3]) > 12


def test_mirrored_layout_is_derived_from_the_stored_one(clips):
    image = _frames(clips["beta"])[1].image
    thumb = cv2.resize(image, (8, 8), interpolation=cv2.INTER_AREA)
    flipped = cv2.resize(image[:, ::-1].copy(), (8, 8), interpolation=cv2.INTER_AREA)
    derived = mirror_layout(layout_batch(thumb[None]))
    assert np.abs(derived.astype(int) - layout_batch(flipped[None]).astype(int)).max() <= 1


def test_average_is_taken_in_linear_light():
    red_green = np.zeros((64, 64, 3), np.uint8)
    red_green[:, :32] = (255, 0, 0)
    red_green[:, 32:] = (0, 255, 0)
    mean = colour.mean_colour(red_green)
    assert mean[0] > 180 and mean[1] > 180 and mean[2] == 0  # yellow (188,188,0), not olive (128,128,0)


def test_palette_finds_the_colours_and_their_shares():
    image = np.zeros((64, 64, 3), np.uint8)
    image[:48] = (20, 40, 200)     # 75% blue
    image[48:] = (230, 200, 30)    # 25% yellow
    feats = frame_features([image], [0.0], crop=LetterboxCrop())[0]
    assert tuple(feats["palette"][0]) == (20, 40, 200)
    assert abs(int(feats["shares"][0]) - 191) <= 16
    assert abs(int(feats["palette"][1][0]) - 230) <= 3


def test_flat_black_and_faded_frames_are_never_evidence(clips):
    picture = _frames(clips["alpha"])[0].image
    black = np.zeros_like(picture)
    grey = np.full_like(picture, 128)
    faded = (picture.astype(np.float32) * 0.08).astype(np.uint8)  # deep in a fade to black
    # Sensor noise on a flat frame has no structure left after area downscaling.
    noisy = np.clip(grey + np.random.default_rng(0).normal(0, 20, grey.shape), 0, 255).astype(np.uint8)
    q = frame_features([black, grey, faded, noisy, picture], range(5), crop=LetterboxCrop())["quality"]
    assert max(q[:4]) < EVIDENCE_MIN_QUALITY
    assert q[4] >= 50


def test_letterbox_and_pillarbox_are_found(clips):
    image = _frames(clips["alpha"])[0].image
    h, w = image.shape[:2]
    boxed = cv2.copyMakeBorder(image, 30, 30, 0, 0, cv2.BORDER_CONSTANT, value=0)
    crop = find_borders(boxed)
    assert crop.box(w, h + 60) == (0, 30, w, h)
    pillar = cv2.copyMakeBorder(image, 0, 0, 40, 40, cv2.BORDER_CONSTANT, value=(16, 16, 16))
    assert find_borders(pillar).box(w + 80, h) == (40, 0, w, h)
    # Once the bars are gone the hash is the unboxed frame's.
    assert hamming(image_features(boxed)[0]["phash"], image_features(image)[0]["phash"]) <= 4


def test_a_bar_under_a_logo_is_a_bar_only_where_a_logo_may_cover_it(clips):
    """A channel logo over a pillarbox bar's corner: the bar's columns are uniform but for one
    end. Only `overlay` lets them be; a line with its middle covered is never a bar's."""
    image = _frames(clips["alpha"])[0].image
    h, w = image.shape[:2]
    barred = cv2.copyMakeBorder(image, 0, 0, 60, 60, cv2.BORDER_CONSTANT, value=0)
    logo = barred.copy()
    logo[8:8 + h // 8, w + 60 - 20:w + 120 - 4] = 230  # over the right bar and into the picture
    assert find_borders(logo, overlay=0.25).box(w + 120, h) == (60, 0, w, h)
    assert find_borders(logo).box(w + 120, h)[2] > w + 40
    banded = barred.copy()
    banded[h // 2 - 10:h // 2 + 10, w + 70:w + 110] = 230  # a caption's words, mid-height
    assert find_borders(banded, overlay=0.25).box(w + 120, h)[2] > w + 40


def test_anchor_frames_cover_every_shot_and_skip_black(clips):
    from reelprint.anchors import anchor_frames
    from reelprint.indexer import fingerprint

    frames = fingerprint(clips["alpha"]).frames
    black = frames[:1].copy()
    black["quality"] = 0
    black["t"] = frames["t"][-1] + 1
    with_black = np.concatenate([frames, black])
    picked = anchor_frames(with_black, k=3)
    assert len(picked) == 3 and list(picked) == sorted(picked)
    assert len(with_black) - 1 not in picked
    # Three distinct pictures: no two anchors are near-duplicates of each other.
    hashes = with_black["phash"][picked]
    assert min(int(hamming(a, b)) for i, a in enumerate(hashes) for b in hashes[i + 1:]) > 8
    assert len(anchor_frames(frames, k=100)) == len(frames)


def test_palette_distance_finds_the_shot_after_the_picture_moved():
    # The end of a panning shot looks unlike its first frame (pHash), but keeps its colours.
    shots = shots_for(30, seed=21)
    firsts, lasts = [], []
    for shot in shots:
        frames = list(shot_frames(shot, 12, (192, 108)))
        firsts.append(frames[0])
        lasts.append(frames[-1])
    first = frame_features(firsts, [0.0] * len(firsts), crop=LetterboxCrop())
    last = frame_features(lasts, [0.0] * len(lasts), crop=LetterboxCrop())
    lab = colour.srgb_to_oklab(first["palette"]).astype(np.float32)
    shares = first["shares"].astype(np.float32) / 255
    found = by_hash = 0
    for i, f in enumerate(last):
        d = colour.palette_distance(colour.srgb_to_oklab(f["palette"]).astype(np.float32),
                                    f["shares"].astype(np.float32) / 255, lab, shares)
        found += int(np.argmin(d) == i)
        by_hash += int(np.argmin(hamming(first["phash"], f["phash"])) == i)
    assert colour.palette_distance(lab[0], shares[0], lab[:1], shares[:1])[0] < 1e-4
    assert len(shots) >= 6 and found >= len(shots) - 1 and by_hash <= len(shots) // 2
