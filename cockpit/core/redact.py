"""Masking of secrets before text reaches a screen, the journal or a log."""

from __future__ import annotations

import re

# scheme://user:password@host -> scheme://user:***@host (the password may hold ':' and '/').
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)(?P<pw>\S+)(?=@)")


# ?password=...&token=... -> ?password=***&token=***
_SECRET_PARAM = re.compile(
    r"(?P<head>[?&](?:password|passwd|pwd|pass|secret|token|access_token|api_key|apikey|sslpassword)=)[^&#\s]+",
    re.IGNORECASE,
)


def mask_url(text: str) -> str:
    """Replace every password in a URL within `text` (userinfo or secret query parameter) by `***`."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)
    return _SECRET_PARAM.sub(lambda m: m.group("head") + "***", text)
