"""Outside text made safe for a report: secrets masked, control and escape sequences stripped."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cockpit.core.redact import redact_secrets
from cockpit.core.text import one_line, strip_control

LINE = 500  # characters of one cleaned field (evidence, reason); a report is read, not a log
NOTE = 2000  # a note keeps more: it is what an operator wrote


def clean(value: Any, limit: int = LINE) -> str:
    """`value` as one line: control and escape sequences stripped first (a secret split by one is whole
    again), then secrets masked, then cut to `limit` characters ('' for None)."""
    if value is None:
        return ""
    return _clean(str(value), limit)


@lru_cache(maxsize=4096)
def _clean(text: str, limit: int) -> str:
    """`clean` of a string: a run repeats its who, step titles and evidence thousands of times (pure, so cached)."""
    return one_line(redact_secrets(strip_control(text)), limit)


def clean_lines(value: Any, limit: int = NOTE) -> str:
    """As `clean`, but newlines kept (a note's lines)."""
    if value is None:
        return ""
    text = redact_secrets(strip_control(str(value))).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def web_link(value: Any) -> str:
    """`value` when it is an http(s) URL we may link to (no spaces, no credentials, no control characters), else ''."""
    url = str(value or "")
    if not url.startswith(("https://", "http://")) or clean(url, 2000) != url or any(c in url for c in " <>\"'`\\"):
        return ""
    host = url.split("://", 1)[1].split("/", 1)[0]
    return "" if "@" in host else url
