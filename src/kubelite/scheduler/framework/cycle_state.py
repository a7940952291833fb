"""CycleState: what the plugins compute for one pod in one scheduling
cycle and hand from one extension point to the next (PreFilter to Filter,
PreScore to Score), plus the plugins whose PreFilter / PreScore said Skip.

Keys are strings, by convention "PreFilter" + plugin name and "PreScore" +
plugin name, as upstream names them. `clone()` copies the map and asks each
value with a `clone()` method for its own copy, for callers that try
"what if" changes (preemption) without touching the original.
"""

from __future__ import annotations

from typing import Any


class CycleState:
    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self.skip_filter_plugins: set[str] = set()
        self.skip_score_plugins: set[str] = set()

    def write(self, key: str, value: Any) -> None:
        self._data[key] = value

    def read(self, key: str) -> Any:
        """The value written under `key`; KeyError if none was."""
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def clone(self) -> CycleState:
        copy = CycleState()
        for key, value in self._data.items():
            clone = getattr(value, "clone", None)
            copy._data[key] = clone() if callable(clone) else value
        copy.skip_filter_plugins = set(self.skip_filter_plugins)
        copy.skip_score_plugins = set(self.skip_score_plugins)
        return copy
