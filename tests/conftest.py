"""Shared fixtures: generated clips (made once per session), the shared real footage, databases."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reelprint.store import Index
from reelprint.synth import make_film, transcode

REPO = Path(__file__).resolve().parents[1]
SHARED_MEDIA = Path(os.environ.get("REELPRINT_SHARED_MEDIA", REPO.parent / "shared" / "media"))


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small generated library: two films and variants of one of them."""
    root = tmp_path_factory.mktemp("clips")
    films = {
        "alpha": make_film(root / "alpha.mp4", 12, seed=11),
        "beta": make_film(root / "beta.mkv", 10, seed=12),
    }
    films["alpha_vp9"] = transcode(films["alpha"], root / "variants" / "alpha.webm", codec="libvpx-vp9",
                                   size=(256, 144), options={"deadline": "realtime", "cpu-used": "8"})
    return films


@pytest.fixture
def library(tmp_path: Path, clips: dict[str, Path]) -> Path:
    """A fresh copy of the generated films in a folder a test may change."""
    lib = tmp_path / "library"
    lib.mkdir()
    for name in ("alpha", "beta"):
        shutil.copy2(clips[name], lib / clips[name].name)
    return lib


@pytest.fixture
def index(tmp_path: Path):
    with Index.open(tmp_path / "index.db") as idx:
        yield idx


@pytest.fixture(scope="session")
def shared_media() -> Path:
    if not (SHARED_MEDIA / "MANIFEST.tsv").exists():
        pytest.skip("../shared/media is not here")
    return SHARED_MEDIA.resolve()
