from dataclasses import replace

import av
import numpy as np
import pytest

from reelprint.decode import _decode_from, frame_at, frames_between, grey_frames_between, probe, to_grey
from reelprint.errors import DecodeError
from reelprint.features import EVIDENCE_MIN_QUALITY, image_features
from reelprint.h264 import is_intra, nal_length_size
from reelprint.sampling import SamplingPolicy, sample_frames
from reelprint.synth import film_frames, make_film, shots_for, write_video

# The other ways of sampling on their own: fills and sweeps would add frames in the GOPs.
NO_FILLS = SamplingPolicy(fill_budget=0.0, sweep_budget=0.0)

CONTAINERS = [
    ("mp4", "libx264"), ("mkv", "libx264"), ("webm", "libvpx"), ("avi", "mpeg4"), ("mov", "libx264"),
    ("mpg", "mpeg2video"), ("ts", "mpeg2video"), ("m2ts", "libx264"), ("wmv", "wmv2"), ("flv", "flv"),
    ("ogv", "libvpx"),  # no Theora encoder in PyAV's wheel: VP8 in Ogg still exercises the demuxer
]


@pytest.mark.parametrize(("ext", "codec"), CONTAINERS)
def test_every_container_decodes_with_timestamps(tmp_path, ext, codec):
    path = write_video(tmp_path / f"clip.{ext}", film_frames(shots_for(4, seed=3), 25, (176, 144)), 25, codec)
    info, frames = sample_frames(path)
    frames = list(frames)
    assert frames, "no frames sampled"
    times = [f.t for f in frames]
    assert times == sorted(times) and times[0] < 0.1 and times[-1] <= info.duration + 0.1
    assert info.width == 176 and info.height == 144


def test_variable_frame_rate_timestamps_come_from_the_stream(tmp_path):
    rng = np.random.default_rng(5)
    gaps = rng.choice([1 / 60, 1 / 24, 0.1, 0.5], size=120)
    times = np.concatenate([[0.0], np.cumsum(gaps)[:-1]])
    frames = list(film_frames(shots_for(float(times[-1]) + 1, seed=4), 1 / gaps.min(), (160, 96)))[:120]
    path = write_video(tmp_path / "vfr.mkv", frames, 30, times=list(times), options={"keyint": "20"})
    _, sampled = sample_frames(path)
    for f in sampled:
        nearest = times[np.argmin(np.abs(times - f.t))]
        assert abs(nearest - f.t) < 0.002, f"sampled t={f.t} is not a frame time"
    # Decoding everything gives back exactly the times we wrote.
    decoded = [f.t for f in frames_between(path, 0, 1e9)]
    assert np.allclose(decoded, times, atol=0.0011)


def test_odd_sized_video(tmp_path):
    frames = list(film_frames(shots_for(3, seed=6), 25, (161, 93)))
    path = write_video(tmp_path / "odd.mkv", frames, 25, "libx264", pix_fmt="yuv444p")
    info, sampled = sample_frames(path)
    sampled = list(sampled)
    assert (info.width, info.height) == (161, 93)
    assert sampled and sampled[0].image.shape[1] == 161


def test_frame_at_returns_the_frame_on_screen(clips):
    frame = frame_at(clips["alpha"], 5.0)
    assert frame.t <= 5.0 < frame.t + 1 / 24 + 1e-6


@pytest.mark.parametrize("ext", ["ts", "m2ts", "mkv"])
def test_every_moment_is_reachable(tmp_path, ext):
    # A transport stream has no index: its seek lands near a time, often after it and between
    # keyframes, and frames there could not be decoded.
    path = write_video(tmp_path / f"gops.{ext}", film_frames(shots_for(12, seed=6), 25, (176, 144)), 25,
                       options={"x264-params": "keyint=50"})
    for t in [0.52, 1.48, 2.92, 5.12, 9.32, 11.48]:  # frame times
        frame = frame_at(path, t)
        assert frame.t <= t + 1e-3 < frame.t + 1 / 25 + 1e-3
        assert [round(f.t, 2) for f in frames_between(path, t, t + 0.1)] == [round(t + i / 25, 2) for i in range(3)]


def test_corrupt_file_is_a_decode_error(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(np.random.default_rng(0).bytes(50_000))
    with pytest.raises(DecodeError, match=r"bad\.mp4"):
        _, frames = sample_frames(bad)
        list(frames)


def test_truncated_file_is_a_decode_error(tmp_path, clips):
    data = clips["beta"].read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DecodeError, match="truncated"):
        _, frames = sample_frames(cut)
        list(frames)


def test_not_a_video_and_missing_file(tmp_path):
    text = tmp_path / "notes.mkv"
    text.write_text("just some text, not a film\n" * 50)
    with pytest.raises(DecodeError):
        probe(text)
    with pytest.raises(DecodeError, match="no such file"):
        probe(tmp_path / "missing.mp4")


def test_intra_only_video_is_sampled_by_time_at_reduced_size(tmp_path):
    path = write_video(tmp_path / "mjpeg.mkv", film_frames(shots_for(4, seed=8), 24, (1280, 720)), 24, "mjpeg",
                       pix_fmt="yuvj420p")
    _, frames = sample_frames(path)
    frames = list(frames)
    gaps = np.diff([f.t for f in frames])
    assert len(frames) >= 7 and gaps.min() >= 0.5 - 1e-6  # every keyframe, but no closer than min_gap
    assert frames[0].image.shape == (144, 256, 3)


@pytest.mark.parametrize("ext", ["mp4", "ts"])  # length-prefixed NAL units, and start codes
def test_cuts_coded_as_i_frames_inside_a_gop_are_sampled_exactly(tmp_path, ext):
    # x264 codes a cut closer than min-keyint to the last keyframe as an I-frame the container
    # does not flag as a keyframe: each must still be sampled, decoded exactly, at its own time.
    shots = shots_for(15, seed=4, mean_shot=1.0)
    path = write_video(tmp_path / f"cuts.{ext}", film_frames(shots, 25, (320, 180)), 25,
                       options={"x264-params": "keyint=1000:min-keyint=500:scenecut=40"})
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        length_size = nal_length_size(stream.codec_context.extradata)
        packets = {p.pts: (p.is_keyframe, is_intra(bytes(p), length_size)) for p in container.demux(stream) if p.size}
    with av.open(str(path)) as container:
        intra = {f.pts: round(f.time, 3) for f in container.decode(video=0) if int(f.pict_type) == 1}
    assert {pts for pts, (_, i) in packets.items() if i} == set(intra)
    assert sum(key for key, _ in packets.values()) <= len(intra) - 4
    _, frames = sample_frames(path, NO_FILLS)
    frames = list(frames)
    first = min(intra.values())  # a transport stream starts its clock above 0
    assert sorted(round(t - first, 3) for t in intra.values()) == sorted(round(f.t, 3) for f in frames)
    for f in frames:
        exact = next(frames_between(path, f.t - 0.001, f.t + 0.001))
        assert np.array_equal(exact.image, f.image)


@pytest.mark.parametrize(("fade_frames", "power", "faded_in"), [(20, 1, 1.0), (60, 3, 2.0)])
def test_a_black_keyframe_gets_a_frame_where_the_next_shot_has_faded_in(tmp_path, fade_frames, power, faded_in):
    # Films and trailers cut through black: the keyframe lands on the black and stands for
    # nothing, so each such GOP is sampled again fade_fill seconds in, where the shot is; a slow
    # fade-in (still dark at 1 s) is sampled again every fade_fill seconds until it is evidence.
    fps, gop = 25, 100
    shots = shots_for(8, seed=6, mean_shot=20.0)
    film = list(film_frames(shots, fps, (320, 180)))
    frames = [(f * min(1.0, (i % gop) / fade_frames) ** power).astype(np.uint8) for i, f in enumerate(film)]
    path = write_video(tmp_path / "fades.mp4", frames, fps,
                       options={"x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0"})
    keys = [0.0, 4.0]
    _, plain = sample_frames(path, replace(NO_FILLS, fade_budget=0.0))
    assert sorted(round(f.t, 2) for f in plain) == keys
    _, sampled = sample_frames(path, NO_FILLS)
    sampled = sorted(sampled, key=lambda f: f.t)
    assert [round(f.t, 2) for f in sampled[::2]] == keys
    for key, f in zip(sampled[::2], sampled[1::2], strict=True):
        # The first frame decoded at or after the target: frames nothing refers to are skipped.
        assert faded_in <= f.t - key.t <= faded_in + 2 / fps
        assert image_features(f.image)[0]["quality"] >= EVIDENCE_MIN_QUALITY
        assert np.array_equal(next(frames_between(path, f.t - 0.001, f.t + 0.001)).image, f.image)


def test_a_dark_cut_inside_a_gop_gets_a_frame_where_the_shot_has_faded_in(tmp_path):
    # A cut too soon after a keyframe is an I-frame inside its GOP (see above); when that cut is
    # to a dark fade-in it stands for nothing either, and its shot had no frame in the index.
    fps = 25
    first = list(film_frames(shots_for(6, seed=6, mean_shot=20.0), fps, (320, 180)))
    second = list(film_frames(shots_for(6, seed=9, mean_shot=20.0), fps, (320, 180)))
    frames = first[:50] + [(f * min(1.0, 0.1 + i / 20)).astype(np.uint8) for i, f in enumerate(second[50:150])]
    path = write_video(tmp_path / "dark_cut.mp4", frames, fps,
                       options={"x264-params": "keyint=1000:min-keyint=500:scenecut=40"})
    _, plain = sample_frames(path, replace(NO_FILLS, fade_budget=0.0))
    plain = sorted(f.t for f in plain)
    assert len(plain) == 2 and 1.9 < plain[1] < 2.2  # the keyframe and the cut, which is dark
    _, sampled = sample_frames(path, NO_FILLS)
    sampled = sorted(sampled, key=lambda f: f.t)
    assert len(sampled) == 3
    assert 1.0 <= sampled[2].t - plain[1] <= 1.0 + 2 / fps
    assert image_features(sampled[2].image)[0]["quality"] >= EVIDENCE_MIN_QUALITY


def test_decoding_from_a_stored_keyframe_time_starts_at_that_keyframe(tmp_path):
    # The index keeps times to the millisecond: 1/3 s is read back as 0.333, just before the
    # keyframe. Seeking there decoded the whole GOP before it first.
    path = write_video(tmp_path / "gops.mp4", film_frames(shots_for(2, seed=3), 30, (64, 48)), 30,
                       options={"x264-params": "keyint=10:min-keyint=10:scenecut=0"})
    for stored in (0.333, 0.667, 1.0):
        first_t, first, _ = next(_decode_from(path, stored, None))
        assert first.key_frame and first_t == pytest.approx(stored, abs=1e-3)
        assert frame_at(path, stored).t == pytest.approx(stored, abs=1e-3)


def test_a_large_video_is_decoded_for_comparison_on_threads_and_read_every_few_pixels(tmp_path):
    """720p and larger: the decoder's threads hand frames back late, and the luma is read every
    other pixel before it is averaged (`decode.GREY_READ_MARGIN`). Every frame must still come,
    in order, and each picture must be its frame's own average within a hair."""
    path = make_film(tmp_path / "hd.mp4", 1.5, seed=4, size=(1280, 720))
    compared = list(grey_frames_between(path, 0.5, 1.5, size=160))
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "NONE"
        whole = [(f.time, to_grey(f, 160, 90)) for f in container.decode(stream) if f.time >= 0.5 - 1e-3]
    assert [t for t, _ in compared] == pytest.approx([t for t, _ in whole], abs=1e-3)
    for (_, strided), (_, averaged) in zip(compared, whole, strict=True):
        assert strided.shape == averaged.shape == (90, 160)
        assert np.corrcoef(strided.ravel(), averaged.ravel())[0, 1] > 0.995
        assert np.abs(strided.astype(int) - averaged).mean() < 2.0


def test_every_keyframe_is_sampled_even_one_the_decoder_drops(shared_media):
    """Fed keyframes only, FFmpeg's threaded H.264 decoder never puts out dog.1.mp4's keyframe at
    19.73 s; the sampler decodes it again on its own."""
    path = shared_media / "Farmadupe-vid_dup_finder_lib" / "dog.1.mp4"
    if not path.exists():
        pytest.skip("dog.1.mp4 is not in the shared media")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        keys = [float(p.pts * stream.time_base) for p in container.demux(stream) if p.size and p.is_keyframe]
    _, frames = sample_frames(path)
    sampled = sorted(f.t for f in frames)
    assert any(abs(k - 19.728) < 0.01 for k in keys)
    assert all(min(abs(k - t) for t in sampled) < 0.001 for k in keys)


def _dissolve(first: list[np.ndarray], second: list[np.ndarray], frames: int) -> list[np.ndarray]:
    return [(a * (1 - i / frames) + b * (i / frames)).astype(np.uint8)
            for i, (a, b) in enumerate(zip(first, second, strict=False))][:frames]


def test_a_gop_is_swept_for_a_shot_the_encoder_coded_without_a_keyframe(tmp_path):
    # An encoder without scene-cut detection (a fixed GOP, a dissolve) codes a new shot as inter
    # frames: sampled by keyframes only, its shot has no frame that looks like it. A GOP the
    # budget can pay for is decoded whole and sampled where its picture changed.
    fps, size = 25, (320, 180)
    first = list(film_frames([shots_for(3, seed=6, mean_shot=20.0)[0]], fps, size))
    second = list(film_frames([shots_for(3, seed=9, mean_shot=20.0)[0]], fps, size))
    frames = first[:38] + _dissolve(first[38:], second, 25) + second[25:62]
    path = write_video(tmp_path / "dissolve.mp4", frames, fps, options={"x264-params": "keyint=1000:scenecut=0"})
    shot = [int(image_features(f)[0]["phash"]) for f in frames[63:]]

    def bits_to_a_sample(policy: SamplingPolicy) -> float:
        """Median over the second shot's frames of the pHash bits to the nearest frame sampled."""
        _, sampled = sample_frames(path, policy)
        hashes = [int(image_features(f.image)[0]["phash"]) for f in sampled]
        return float(np.median([min(bin(h ^ s).count("1") for s in hashes) for h in shot]))

    assert bits_to_a_sample(NO_FILLS) >= 24
    assert bits_to_a_sample(SamplingPolicy()) <= 10


def test_a_sweep_stays_within_its_budget(tmp_path):
    # Shots coded without keyframes throughout: every GOP wants a sweep, the budget (a share of
    # the decoding of the frames read, in 1080p frames) pays for some.
    fps, size = 25, (320, 180)
    path = write_video(tmp_path / "gops.mp4", film_frames(shots_for(60, seed=2, mean_shot=1.0), fps, size), fps,
                       options={"x264-params": "keyint=50:min-keyint=50:scenecut=0"})
    counts = {}
    for share in (0.0, 0.003, 1.0):
        _, sampled = sample_frames(path, SamplingPolicy(sweep_budget=share, credit_s=0.0))
        counts[share] = len(list(sampled))
    assert counts[0.0] == 30  # the keyframes
    assert counts[0.0] < counts[0.003] < counts[1.0]


def test_a_sweep_samples_before_an_i_frame_inside_its_gop(tmp_path):
    # A GOP with a dissolve, then a cut the encoder coded as an I-frame: both the cut and the
    # dissolved-in shot before it are sampled (the I-frame as it is read, the shot by the sweep).
    fps, size = 25, (320, 180)
    shots = [list(film_frames([shots_for(3, seed=s, mean_shot=20.0)[0]], fps, size)) for s in (6, 9, 12)]
    frames = shots[0][:20] + _dissolve(shots[0][20:], shots[1], 20) + shots[1][20:60] + shots[2][:50]
    path = write_video(tmp_path / "cut.mp4", frames, fps,
                       options={"x264-params": "keyint=1000:min-keyint=500:scenecut=40"})
    _, sampled = sample_frames(path)
    times = sorted(f.t for f in sampled)
    assert any(abs(t - 3.2) < 0.05 for t in times)  # the cut, an I-frame
    assert any(1.0 < t < 3.1 for t in times)  # the dissolved-in shot, before it


def test_the_budget_counts_pixels_so_a_small_video_is_swept_more(tmp_path):
    # Decoding costs about its pixels: the same film at a quarter of the width (1/16 of the
    # pixels) gets its GOPs swept where the larger one's budget runs out.
    swept = {}
    for size in ((128, 72), (512, 288)):
        frames = film_frames(shots_for(40, seed=2, mean_shot=1.0), 25, size)
        path = write_video(tmp_path / f"film_{size[0]}.mp4", frames, 25,
                           options={"x264-params": "keyint=50:min-keyint=50:scenecut=0"})
        _, sampled = sample_frames(path, SamplingPolicy(sweep_budget=0.01, credit_s=0.0))
        swept[size] = sum(f.swept for f in sampled)
    assert swept[(512, 288)] < swept[(128, 72)] / 2
