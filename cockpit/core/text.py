"""Terminal-safe text: outside text is data, never control sequences or markup."""

from __future__ import annotations

import re

# CSI, OSC, DCS/SOS/PM/APC strings and two-byte escapes, in 7-bit and 8-bit forms.
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]                      # CSI ... final byte
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)  # OSC/DCS/SOS/PM/APC
    | \x1b[ -/]*[0-~]                                     # other ESC sequences
    """,
    re.VERBOSE | re.DOTALL,
)
# C0 and C1 controls except tab and newline, plus DEL; bidi embeddings, overrides and
# isolates (they reorder what is read), zero-width and other invisible format characters.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")  # invalid UTF-8 decoded with surrogateescape, or a bad JSON escape


def strip_control(text: str, *, keep_newlines: bool = True) -> str:
    """Return `text` without escape sequences or control characters.

    Tabs become spaces; newlines are kept unless `keep_newlines` is false, in which
    case they become spaces too (for one-line fields).
    """
    text = _SURROGATES.sub("\ufffd", _ESCAPES.sub("", text))
    text = text.replace("\r\n", "\n").replace("\u2028", "\n").replace("\u2029", "\n").replace("\t", "    ")
    text = _CONTROLS.sub("", text)
    if not keep_newlines:
        text = text.replace("\n", " ")
    return text


def one_line(text: str, limit: int = 200) -> str:
    """Collapse `text` to a single sanitized line of at most `limit` characters."""
    line = " ".join(strip_control(text, keep_newlines=False).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def short_age(seconds: float) -> str:
    """An age in a few characters: 0s, 45s, 3m, 2h."""
    if seconds < 60:
        return f"{seconds:.0f}s"
    return f"{seconds / 60:.0f}m" if seconds < 3600 else f"{seconds / 3600:.0f}h"
