"""Path completion for inputs: suggests the rest of a file or folder name as you type."""

from __future__ import annotations

import os

from textual.suggester import Suggester


class PathSuggester(Suggester):
    def __init__(self, directories_only: bool = False) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.directories_only = directories_only

    async def get_suggestion(self, value: str) -> str | None:
        folder, prefix = os.path.split(os.path.expanduser(value))
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            return None
        for name in names:
            if not name.startswith(prefix) or (name.startswith(".") and not prefix.startswith(".")):
                continue
            full = os.path.join(folder, name)
            if os.path.isdir(full):
                return value[: len(value) - len(prefix)] + name + os.sep
            if not self.directories_only:
                return value[: len(value) - len(prefix)] + name
        return None
