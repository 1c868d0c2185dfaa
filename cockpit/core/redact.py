"""Masking of secrets before text reaches a screen, the journal or a log."""

from __future__ import annotations

import re

# scheme://user:password@host -> scheme://user:***@host (the password may hold ':' and '/').
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)(?P<pw>\S+)(?=@)")


def mask_url(text: str) -> str:
    """Replace every password embedded in a URL within `text` by `***`."""
    return _URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)
