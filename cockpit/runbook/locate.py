"""Map TOML key paths to source lines, so problems can say `FILE:LINE`.

tomllib keeps no positions, so this scans the text: table headers, `key =` lines and
inline-table keys. It is approximate by design and never fails: a path it cannot place
falls back to its nearest placed ancestor, and finally to line 1.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_BARE_OR_QUOTED = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+))\s*')
_INLINE_KEY = re.compile(r'[{,]\s*([A-Za-z0-9_-]+)\s*=')


def _split_key(text: str) -> list[str] | None:
    """Split a dotted TOML key (`a."b.c".d`) into its parts; None if it is not a key."""
    parts: list[str] = []
    pos = 0
    while True:
        match = _BARE_OR_QUOTED.match(text, pos)
        if not match or match.end() == pos:
            return None
        parts.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
        if pos == len(text):
            return parts
        if text[pos] != ".":
            return None
        pos += 1


class KeyLines:
    """Line numbers (1-based) of the keys and tables of one TOML text."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        self._aot_count: dict[Path, int] = {}
        self._aot_current: dict[Path, int] = {}
        self._scan(text)

    def line(self, path: Path) -> int:
        """The line of `path`, or of its nearest placed ancestor, or 1."""
        for end in range(len(path), 0, -1):
            if path[:end] in self._lines:
                return self._lines[path[:end]]
        return 1

    def _resolve(self, keys: list[str]) -> list[str | int]:
        """Insert the current array-of-tables indexes into a header's key path."""
        resolved: list[str | int] = []
        for key in keys:
            resolved.append(key)
            current = self._aot_current.get(tuple(resolved))
            if current is not None:
                resolved.append(current)
        return resolved

    def _record(self, path: Path, lineno: int) -> None:
        self._lines.setdefault(path, lineno)

    def _scan(self, text: str) -> None:
        table: Path = ()
        closing = ""
        for lineno, raw in enumerate(text.splitlines(), start=1):
            if closing:
                if closing in raw:
                    closing = ""
                continue
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[["):
                keys = _split_key(line[2:].split("]]", 1)[0])
                if keys:
                    parent = tuple(self._resolve(keys[:-1])) + (keys[-1],)
                    index = self._aot_count.get(parent, 0)
                    self._aot_count[parent] = index + 1
                    self._aot_current[parent] = index
                    table = parent + (index,)
                    self._record(parent, lineno)
                    self._record(table, lineno)
            elif line.startswith("["):
                keys = _split_key(line[1:].split("]", 1)[0])
                if keys:
                    table = tuple(self._resolve(keys))
                    self._record(table, lineno)
            elif "=" in line:
                closing = self._scan_pair(table, line, lineno)

    def _scan_pair(self, table: Path, line: str, lineno: int) -> str:
        """Record a `key = value` line; return the delimiter of an open multi-line string."""
        key_text, value = line.split("=", 1)
        keys = _split_key(key_text)
        if not keys:
            return ""
        path = table + tuple(keys)
        self._record(path, lineno)
        value = value.strip()
        if value.startswith("{"):
            for inner in _INLINE_KEY.findall(value):
                self._record(path + (inner,), lineno)
        for delim in ('"""', "'''"):
            if value.startswith(delim) and value.count(delim) == 1:
                return delim
        return ""
