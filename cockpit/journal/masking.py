"""A database URL's password, masked wherever a shared journal's location is shown or an error quotes it."""

from __future__ import annotations

from urllib.parse import unquote


def mask_password(url: str) -> tuple[str, tuple[str, ...]]:
    """`url` with its password as `***`, and the password's spellings (as written, percent-decoded).

    By hand, not by a URL parser: a URL that does not parse (a space, a bad %-escape) must be masked too.
    The password runs from the first ':' of the userinfo to the last '@' (an unencoded '@' may be part of it).
    """
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not (sep and at and colon and password):
        return url, ()
    return f"{scheme}://{user}:***@{host}", tuple(sorted({password, unquote(password)}, key=len, reverse=True))
