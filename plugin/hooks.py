"""Media-server hooks: which files a Sonarr/Radarr "Custom Script" event is about, and path mapping.

Sonarr and Radarr run a custom script with the event in environment variables (Servarr wiki,
"Custom Scripts"). Every file an event names becomes a hint for the daemon to look at that path
now: a new or upgraded file is indexed, a renamed one followed (its old path is gone and its
content turns up under the new one), a deleted one forgotten. Hints ride on top of watching,
because network mounts miss filesystem events.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# Variables naming one path, or several separated by "|", for the events that touch files:
# Download/upgrade, Rename, EpisodeFileDelete/MovieFileDelete, SeriesDelete/MovieDelete.
PATH_VARIABLES = (
    "radarr_moviefile_path", "radarr_moviefile_paths", "radarr_moviefile_previouspaths", "radarr_deletedpaths",
    "sonarr_episodefile_path", "sonarr_episodefile_paths", "sonarr_episodefile_previouspaths",
    "sonarr_deletedpaths",
)
# A whole series or movie removed: its folder, so the daemon forgets what was under it.
FOLDER_DELETE_VARIABLES = {"SeriesDelete": "sonarr_series_path", "MovieDelete": "radarr_movie_path"}
# Path mappings "FROM=TO;FROM2=TO2" for a media server that sees the library under other paths.
PATH_MAP_ENV = "REELPRINT_PATH_MAP"


def servarr_event(environ: Mapping[str, str]) -> tuple[str, list[str]] | None:
    """(event type, paths) when run as a Sonarr/Radarr custom script, else None.

    Names are matched without regard to case: Sonarr builds them as "Sonarr_EpisodeFile_Path"."""
    env = {k.lower(): v for k, v in environ.items()}
    event = env.get("sonarr_eventtype") or env.get("radarr_eventtype")
    if event is None:
        return None
    paths: list[str] = []
    for name in PATH_VARIABLES:
        paths.extend(p for p in env.get(name, "").split("|") if p)
    folder = FOLDER_DELETE_VARIABLES.get(event)
    if folder and env.get(folder):
        paths.append(env[folder])
    return event, list(dict.fromkeys(paths))


def parse_path_maps(specs: list[str], environ: Mapping[str, str] = os.environ) -> list[tuple[str, str]]:
    """`--map FROM=TO` options, then those in $REELPRINT_PATH_MAP; the longest FROM wins."""
    items = list(specs) + [s for s in environ.get(PATH_MAP_ENV, "").split(";") if s.strip()]
    maps = []
    for item in items:
        source, sep, target = item.partition("=")
        if not sep or not source or not target:
            raise ValueError(f"{item!r}: a path map is FROM=TO")
        maps.append((source.rstrip("/") or "/", target.rstrip("/") or "/"))
    return sorted(maps, key=lambda m: len(m[0]), reverse=True)


def map_path(path: str, maps: list[tuple[str, str]]) -> str:
    """`path` as the daemon sees it: the first (longest) matching FROM prefix replaced by TO."""
    for source, target in maps:
        if path == source or path.startswith(source.rstrip("/") + "/"):
            return target + path[len(source):] if source != "/" else target.rstrip("/") + path
    return path
