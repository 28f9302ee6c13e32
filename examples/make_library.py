"""Generate the example library `make run` indexes: a few short synthetic films and variants.

    python examples/make_library.py examples/media

Films/       two original films with shot cuts, colour and motion
Copies/      a smaller re-encode, a copy with the intro cut, an excerpt, a mirrored upload, a letterboxed copy
Screenshots/ stills to search for, one of them from a film that is not in the library
Only the project's own dependencies are used (PyAV's bundled encoders).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

from reelprint.decode import frame_at
from reelprint.synth import make_film, transcode


def main(out: Path) -> None:
    films, copies, shots = out / "Films", out / "Copies", out / "Screenshots"
    meadow = make_film(films / "Meadow (2026).mp4", 40, seed=1, size=(640, 360))
    harbour = make_film(films / "Harbour (2025).mkv", 30, seed=2, size=(640, 360))
    transcode(meadow, copies / "Meadow (2026) 480p.mkv", size=(480, 270), options={"crf": "30"})
    transcode(meadow, copies / "Meadow (2026) intro cut.mp4", start=3.0)
    transcode(meadow, copies / "Meadow excerpt.mp4", start=12.0, end=26.0)
    transcode(harbour, copies / "Harbour mirrored upload.mp4", mirror=True)
    transcode(harbour, copies / "Harbour letterboxed.mp4", size=(640, 270), pad=(0, 45))
    stranger = make_film(out / ".outside" / "stranger.mp4", 6, seed=99, size=(640, 360))
    shots.mkdir(parents=True, exist_ok=True)
    for name, video, t in (("meadow at 0-12.png", meadow, 12.0), ("harbour at 0-21.jpg", harbour, 21.0),
                           ("not in the library.png", stranger, 3.0)):
        Image.fromarray(frame_at(video, t, size=None).image).save(shots / name)
    (out / ".complete").touch()
    print(f"example library written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "examples/media"))
