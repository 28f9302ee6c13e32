"""On real footage from ../shared/media (skipped when it is not there).

Random-time accuracy under transformations is the search benchmark's job
(bench/search_accuracy.py); here: real files index cleanly, and an indexed frame, decoded
again from the file at full size, is found at its own time.
"""

import numpy as np
import pytest

from reelprint.decode import frame_at
from reelprint.features import EVIDENCE_MIN_QUALITY
from reelprint.indexer import index_paths
from reelprint.search import Searcher

pytestmark = pytest.mark.media

FILES = ["parulj-ivideo/big_buck_bunny.mp4", "saveniukoleh-ar-page/sintel_trailer_480x204.mp4",
         "russhughes-TinyBigBuckBunny/tiny_big_buck_bunny_160x120_4fps.mkv", "Farmadupe-vid_dup_finder_lib/cat.2.mp4",
         "akamhy-videohash/nasa_sls_hotfire_rocket.mkv", "facebook-ThreatExchange-tmk/chair-22-sd-sepia-bar.mp4"]


def test_real_films_index_and_indexed_frames_are_found_at_their_time(index, shared_media):
    summary = index_paths(index, [shared_media / f for f in FILES])
    assert summary.indexed == len(FILES) and summary.failed == 0
    searcher = Searcher(index)
    rng = np.random.default_rng(7)
    for name in FILES:
        video = index.video(str(shared_media / name))
        frames = index.frames(video.id)
        assert video.duration and frames["t"][-1] <= video.duration + 0.5
        times = frames["t"][frames["quality"] >= EVIDENCE_MIN_QUALITY]  # dark/flat frames are never evidence
        for t in rng.choice(times, size=min(3, len(times)), replace=False):
            still = frame_at(shared_media / name, float(t), size=None)
            matches = searcher.search_image(still.image)
            assert matches and matches[0].path == video.path, (name, t, matches[:1])
            start, end = matches[0].span or (matches[0].t, matches[0].t)  # a static shot matches a span
            assert start - 0.05 <= still.t <= end + 0.05, (name, t, matches[0])
