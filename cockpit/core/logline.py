"""One log event from outside (CloudWatch) as one inert, redacted display line.

A message can hold anything: escape sequences that would clear the screen, set the title or
write the clipboard, bidi overrides that disguise text, invalid UTF-8 (lone surrogates from
boto3), secrets. `clean_message` turns it into one line that is safe to render as plain text
(`rich.text.Text`, never markup) and keeps the hostile parts visible instead of executing or
silently dropping them, so an operator can see that something odd was logged.

Replacements (each character is replaced on its own, so no escape sequence needs parsing: with
its ESC shown as '␛' the rest of a sequence is ordinary text):

- C0 controls and DEL become their Control Pictures: ESC '␛', BEL '␇', NUL '␀', BS '␈',
  CR '␍', DEL '␡' (U+2400 + code, U+2421 for DEL).
- Tab becomes four spaces. Trailing line breaks (any run of CR and LF at the end) are
  dropped; an inner LF or CRLF becomes ' ↵ ', so one event stays one line.
- C1 controls (U+0080-U+009F, e.g. the 8-bit CSI U+009B) become the text '\\x9b'.
- Format characters (Unicode category Cf: bidi embeddings, overrides and isolates, zero-width
  spaces and joiners, BOM, soft hyphen, tags) and the line and paragraph separators
  (U+2028, U+2029) become the text '\\u202e' (or '\\U000e0001' beyond the BMP).
- Lone surrogates (invalid UTF-8) become U+FFFD '�'.
- Rich markup such as '[bold]' is left as it is: callers render plain text.
- Secrets are masked by `cockpit.core.redact.redact_secrets` before anything is cut.
"""

from __future__ import annotations

import re
from functools import lru_cache

from cockpit.core.redact import may_hold_secret, redact_secrets

DEFAULT_LIMIT = 16384
"""Display characters kept of one message (a CloudWatch event can be far longer)."""

STREAM_NAME_LIMIT = 200
"""Display characters kept of a log stream name."""

# Format characters (Cf) as of Unicode 15.1, plus the line and paragraph separators (Zl, Zp).
# tests/unit/test_logline.py checks this against the running Python's unicodedata.
_FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)


def _visible_forms() -> dict[str, str]:
    forms = {chr(code): chr(0x2400 + code) for code in range(0x20)}
    forms.update({"\t": "    ", "\n": " ↵ ", "\x7f": "\u2421"})
    forms.update({chr(code): f"\\x{code:02x}" for code in range(0x80, 0xA0)})
    for first, last in _FORMAT_RANGES:
        forms.update({chr(code): f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}" for code in range(first, last + 1)})
    forms.update({chr(code): "\ufffd" for code in range(0xD800, 0xE000)})
    return forms


_VISIBLE = _visible_forms()
_ASCII_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
# Every character beyond the BMP is matched (and most kept by _visible): a class with a few
# astral ranges is scanned range by range, four times slower than one with a single range.
_UNSAFE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\U00010000-\U0010ffff"
    + "".join(f"{re.escape(chr(first))}-{re.escape(chr(last))}" for first, last in _FORMAT_RANGES if last <= 0xFFFF)
    + "]"
)


def _visible(match: re.Match[str]) -> str:
    return _VISIBLE.get(match[0], match[0])


def make_visible(text: str) -> str:
    """Replace every control, format character and lone surrogate in `text` by a visible form.

    Each CRLF counts as one newline. The result has no character of the Unicode categories
    Cc, Cf, Cs, Zl or Zp, so it cannot drive a terminal or reorder what is shown.
    """
    text = text.replace("\r\n", "\n")
    return (_ASCII_UNSAFE if text.isascii() else _UNSAFE).sub(_visible, text)


def clean_message(raw: str, limit: int = DEFAULT_LIMIT) -> str:
    """Return log message `raw` as one line that is inert in a terminal and in Rich/Textual.

    Controls, escape sequences, format characters and lone surrogates are made visible (see
    the module docstring), secrets are masked, and a line longer than `limit` characters is
    cut to `limit` plus the marker '… [cut: N chars]', N being the length before the cut.
    A message with nothing to do (the usual case) comes back as the same object, minus any
    trailing line break; that check costs about 2 µs for 160 characters.
    """
    text = raw.rstrip("\r\n")
    if len(text) <= limit and text.isprintable() and not may_hold_secret(text):
        return text
    # Redact first: masking after the cut could leave the visible half of a secret.
    line = make_visible(redact_secrets(text))
    if len(line) <= limit:
        return line
    return f"{line[:limit]}… [cut: {len(line)} chars]"


@lru_cache(maxsize=4096)  # a group has few streams and each event names one
def sanitize_stream_name(name: str) -> str:
    """Return log stream name `name` cleaned like a message and cut at 200 characters."""
    return clean_message(name, STREAM_NAME_LIMIT)
