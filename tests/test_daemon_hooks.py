"""`reelprint notify` and Sonarr/Radarr custom-script events, with a daemon that sees no events itself."""

from __future__ import annotations

import os
import shutil

from daemon_helpers import DaemonProcess, reelprint, videos, wait_for

from reelprint.hooks import map_path, parse_path_maps, servarr_event


def test_servarr_environment_names_the_files_an_event_touches():
    rename = {"Sonarr_EventType": "Rename", "Sonarr_EpisodeFile_Paths": "/tv/a.mkv|/tv/b.mkv",
              "Sonarr_EpisodeFile_PreviousPaths": "/tv/old a.mkv|/tv/old b.mkv", "PATH": "/bin"}
    assert servarr_event(rename) == ("Rename", ["/tv/a.mkv", "/tv/b.mkv", "/tv/old a.mkv", "/tv/old b.mkv"])
    upgrade = {"radarr_eventtype": "Download", "radarr_moviefile_path": "/films/new.mkv",
               "radarr_deletedpaths": "/films/old.avi"}
    assert servarr_event(upgrade) == ("Download", ["/films/new.mkv", "/films/old.avi"])
    assert servarr_event({"sonarr_eventtype": "SeriesDelete", "sonarr_series_path": "/tv/Show"}) == (
        "SeriesDelete", ["/tv/Show"])
    assert servarr_event({"HOME": "/root"}) is None


def test_path_maps_rewrite_the_longest_matching_prefix():
    maps = parse_path_maps(["/data=/mnt/nas"], {"REELPRINT_PATH_MAP": "/data/tv=/srv/tv;/x=/y"})
    assert map_path("/data/tv/Show/e1.mkv", maps) == "/srv/tv/Show/e1.mkv"
    assert map_path("/data/films/a.mkv", maps) == "/mnt/nas/films/a.mkv"
    assert map_path("/database/a.mkv", maps) == "/database/a.mkv"


def test_notify_from_sonarr_reaches_a_daemon_that_missed_the_events(tmp_path, clips):
    lib = tmp_path / "lib"
    lib.mkdir()
    db = tmp_path / "lib.db"
    seen_by_sonarr = "/data/tv"  # the media server's container mounts the library elsewhere
    env = {**os.environ, "REELPRINT_PATH_MAP": f"{seen_by_sonarr}={lib}"}
    os.symlink(lib, lib / "loop")  # a symlink loop and a named pipe with a video's name: both ignored
    os.mkfifo(lib / "pipe.mkv")
    # A polled root (a network mount): events arrive late, if at all; the hook says at once.
    with DaemonProcess(db, "--watch", str(lib), "--polling", "--poll-interval", "2") as daemon:
        test = reelprint(db, "notify", env={**env, "sonarr_eventtype": "Test"})
        assert test.returncode == 0

        shutil.copy2(clips["beta"], lib / "e1.mkv")
        download = {"sonarr_eventtype": "Download", "sonarr_episodefile_path": f"{seen_by_sonarr}/e1.mkv"}
        assert reelprint(db, "notify", env={**env, **download}).returncode == 0
        wait_for(lambda: videos(db).get(str(lib / "e1.mkv"), (0, ""))[1] == "indexed", "the notified file", daemon)
        vid = videos(db)[str(lib / "e1.mkv")][0]

        os.rename(lib / "e1.mkv", lib / "S01E01.mkv")
        rename = {"Sonarr_EventType": "Rename", "Sonarr_EpisodeFile_Paths": f"{seen_by_sonarr}/S01E01.mkv",
                  "Sonarr_EpisodeFile_PreviousPaths": f"{seen_by_sonarr}/e1.mkv"}
        assert reelprint(db, "notify", env={**env, **rename}).returncode == 0
        wait_for(lambda: str(lib / "e1.mkv") not in videos(db), "the rename", daemon)
        assert videos(db)[str(lib / "S01E01.mkv")][:3] == (vid, "indexed", 1)  # followed, not redone

        os.remove(lib / "S01E01.mkv")
        delete = {"sonarr_eventtype": "EpisodeFileDelete", "sonarr_episodefile_path": f"{seen_by_sonarr}/S01E01.mkv"}
        assert reelprint(db, "notify", env={**env, **delete}).returncode == 0
        wait_for(lambda: not videos(db), "the deletion", daemon)
        assert daemon.terminate() == 0
    stopped = reelprint(db, "notify", str(lib / "later.mkv"))
    assert stopped.returncode == 0 and "no daemon is running" in stopped.stderr


def test_notify_errors_are_one_line(tmp_path):
    db = tmp_path / "lib.db"
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith(("sonarr_", "radarr_"))}
    assert reelprint(db, "roots", "list", env=env).returncode == 0
    for args, message in ((["notify"], "nothing to notify"), (["notify", "--map", "/data", "x.mkv"], "FROM=TO")):
        out = reelprint(db, *args, env=env)
        assert out.returncode == 2 and len(out.stderr.splitlines()) == 1 and message in out.stderr, out.stderr
    status = reelprint(db, "status", "--json", env=env)
    assert '"running": false' in status.stdout
