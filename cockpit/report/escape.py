"""Markdown that stays inert: outside text escaped so nothing in it becomes markup, a link or HTML.

GitHub-flavoured Markdown turns more than the CommonMark specials into markup: bare URLs, `www.` and
e-mail addresses become links (extended autolinks), `~` strikes through, `|` splits a table row. Every
ASCII punctuation character may be backslash-escaped in CommonMark, so escaping is always safe. GitHub
(cmark-gfm) still links an e-mail address whatever is escaped in it, so an address is written as
inline code instead (its characters cannot end a code span).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

from cockpit.core.text import one_line

_SPECIALS = re.compile(r"([\\`*_\[\]<>#|~])")
# The start of an autolink GFM would make (scheme://) or an HTML entity (&amp; &#60;): the character that
# makes it is escaped, so times (21:00) stay readable when pasted as text.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|(&)(?=#?\w+;)")
_EMAIL = re.compile(r"([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
_LEADING = re.compile(r"^(\s*)([-+=]|\d+[.)])")  # a list item, an ordered item or a setext underline at the start
_WWW = re.compile(r"(?i)\bwww\.")


@lru_cache(maxsize=4096)  # pure; a run repeats its who, step titles and evidence thousands of times
def md(text: str, limit: int = 100_000) -> str:
    """`text` (already cleaned) as one line of inert Markdown: specials escaped, autolinks defused, newlines joined."""
    pieces = []
    for index, part in enumerate(_EMAIL.split(one_line(text, limit))):  # odd items: e-mail addresses
        if index % 2:
            pieces.append(f"`{part}`")
        elif part:
            pieces.append(_escape(part, first=index == 0))
    return "".join(pieces)


def _escape(line: str, *, first: bool) -> str:
    line = _SPECIALS.sub(r"\\\1", line)
    line = _AUTOLINK.sub(lambda m: "\\" + m[0], line)
    line = _WWW.sub(lambda m: m[0][:-1] + "\\.", line)
    return _LEADING.sub(lambda m: m[1] + m[2][:-1] + "\\" + m[2][-1], line) if first else line


def code_id(identifier: str) -> str:
    """An id as inline code when it is a plain id (letters, digits, `-_.:/@`), else escaped text."""
    return f"`{identifier}`" if re.fullmatch(r"[A-Za-z0-9_.:/@-]+", identifier) else md(identifier)


def link(text: str, url: str) -> str:
    """`[text](url)` for a URL cockpit made (already checked: http/https), percent-escaped so it cannot end early."""
    safe = quote(url, safe=":/?#=&%-._~+,;@!$*")
    return f"[{md(text)}]({safe})"


def cell(text: str) -> str:
    """A table cell: inert text, '' shown as a dash (an empty cell reads as a rendering fault)."""
    return md(text) if text else "–"
