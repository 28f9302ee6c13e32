"""The CLI contract, through real subprocesses: exit codes, one-line errors, JSON shapes."""

import json
import subprocess
import sys

from PIL import Image

from reelprint.decode import frame_at


def run(*args, db):
    return subprocess.run([sys.executable, "-m", "reelprint.cli", "--db", str(db), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_index_status_search_json(tmp_path, library):
    db = tmp_path / "lib.db"
    (library / "broken.mp4").write_bytes(b"\x00" * 5000)
    out = run("index", library, db=db)
    assert out.returncode == 0, out.stderr
    assert "1 failed" in out.stderr
    status = json.loads(run("status", "--json", db=db).stdout)
    assert status["videos"] == 3 and status["errors"] == 1 and status["frames"] > 0
    assert {"queued", "indexing", "errors", "videos", "frames"} <= status.keys()
    still = tmp_path / "still.png"
    Image.fromarray(frame_at(library / "alpha.mp4", 4.0).image).save(still)
    result = json.loads(run("search", "--json", still, tmp_path / "nope.png", db=db).stdout)
    assert result[0]["query"] == str(still)
    assert result[0]["matches"][0]["path"].endswith("alpha.mp4")
    assert abs(result[0]["matches"][0]["t"] - 4.0) < 0.1
    assert result[1]["matches"] == [] and "no such file" in result[1]["error"]


def test_index_again_fingerprints_unchanged_files_too(tmp_path, library):
    # After an upgrade that samples differently (sweeps), an unchanged library is brought up to it.
    db = tmp_path / "lib.db"
    first = json.loads(run("index", "--json", library, db=db).stdout)
    plain = json.loads(run("index", "--json", library, db=db).stdout)
    again = json.loads(run("index", "--json", "--again", library, db=db).stdout)
    assert first["indexed"] == 2 and plain["unchanged"] == 2 and plain["indexed"] == 0
    assert again["indexed"] == 2 and again["unchanged"] == 0


def test_bad_input_is_one_line_without_traceback(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"definitely not sqlite" * 200)
    for args, db in ((("status",), garbage), (("search", "x.png"), tmp_path / "absent.db"),
                     (("index", tmp_path / "no-such-folder"), tmp_path / "a.db")):
        out = run(*args, db=db)
        assert out.returncode != 0
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("reelprint: error:"), out.stderr
        assert "Traceback" not in out.stderr


def test_anchors_json(tmp_path, library):
    db = tmp_path / "lib.db"
    assert run("index", library, db=db).returncode == 0
    out = run("anchors", "--json", "-k", "3", "alpha", db=db)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["video"].endswith("alpha.mp4")
    times = [a["t"] for a in data["anchors"]]
    assert 1 <= len(times) <= 3 and times == sorted(times)
    assert all(a["mean_rgb"].startswith("#") and len(a["mean_rgb"]) == 7 for a in data["anchors"])
    ambiguous = run("anchors", "a", db=db)  # "a" is in every path
    assert ambiguous.returncode == 2 and "several videos" in ambiguous.stderr


def test_only_the_invoked_command_is_built_and_help_lists_every_command():
    from reelprint.cli import COMMANDS, invoked_command

    assert invoked_command(["--db", "index", "search", "x.png"]) == "search"  # a db file named "index"
    assert invoked_command(["--db=lib.db", "status", "--json"]) == "status"
    assert invoked_command(["--version"]) is None
    out = subprocess.run([sys.executable, "-m", "reelprint.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and all(name in out.stdout for name in COMMANDS)
    code = ("import sys; from reelprint.cli import build_parser; build_parser('status'); "
            "print('reelprint.daemon' in sys.modules, 'reelprint.posters' in sys.modules)")
    lazy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert lazy.stdout.split() == ["False", "False"]
