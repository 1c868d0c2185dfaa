"""Prisma-style pool parameters in DATABASE_URL: check them, and strip them for libpq.

The plan's DATABASE_URL carries `connection_limit` and `pool_timeout` for the app's
Prisma pool. libpq refuses unknown URI parameters ("invalid URI query parameter"), so
they are removed before the cockpit connects, and checked as Phase A step 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

POOL_KEYS = ("connection_limit", "pool_timeout")
# Prisma-only parameters libpq would also refuse; stripped, not checked.
PRISMA_ONLY = POOL_KEYS + ("schema", "pgbouncer", "socket_timeout", "statement_cache_size", "sslaccept", "connect_timeout_ms")
CONNECTION_LIMIT_RANGE = (1, 500)
POOL_TIMEOUT_RANGE = (1, 300)  # seconds; Prisma's 0 means "wait forever", which a release should not do
SCHEMES = ("postgresql", "postgres")
ENCODE_HINT = "percent-encode the user name and password (@ as %40, : as %3A, / as %2F, # as %23, ? as %3F, % as %25)"


@dataclass(frozen=True)
class PoolParams:
    """The pool parameters found in a URL ('' when absent) and what is wrong with them."""

    connection_limit: str
    pool_timeout: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Both present, numeric and in a sane range."""
        return not self.problems

    def evidence(self) -> str:
        """`connection_limit=10 pool_timeout=20` (names and numbers only, never the URL)."""
        found = [f"{k}={v}" for k, v in zip(POOL_KEYS, (self.connection_limit, self.pool_timeout)) if v]
        return " ".join(found) or "no pool parameters"


def url_problem(url: str, what: str = "DATABASE_URL") -> str:
    """Why `url` does not parse as a PostgreSQL URL the way libpq reads it ('' when it does).

    Never quotes the URL: an unencoded password is where masking cannot find it. The
    usual cause is a password with `@ : / # ?` written as is: `#` starts a fragment (the
    query with the pool parameters vanishes), `/` and `?` end the host part early, and
    a second `@` makes libpq take the rest of the password for the host name.
    """
    if "://" not in url:
        return ""  # a keyword DSN ("host=... dbname=..."): libpq parses it, and it has no pool parameters
    broken = f"{what} does not parse: {ENCODE_HINT}; the password is not shown"
    try:
        parts = urlsplit(url)
    except ValueError:  # "[bad": an unbalanced IPv6 bracket
        return broken
    if parts.scheme not in SCHEMES:
        return f"{what} must start with postgresql:// or postgres://"
    cut_short = "@" not in parts.netloc and ("@" in parts.path or "@" in parts.query)  # "u:p/ss@host": netloc "u:p"
    bad_escape = re.search(r"%(?![0-9A-Fa-f]{2})", parts.netloc) is not None  # a bare %: libpq quotes it back
    if "#" in url or parts.netloc.count("@") > 1 or cut_short or bad_escape:
        return broken
    try:
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        return broken
    if "@" in parts.netloc and not parts.hostname:
        return broken
    return ""


def _judge(name: str, raw: str, low: int, high: int) -> str:
    if raw == "":
        return f"{name} missing"
    if not (raw.isascii() and raw.isdigit()):
        return f"{name}={raw[:20]!r} is not a whole number"
    if not low <= int(raw) <= high:
        return f"{name}={raw} outside {low}..{high}"
    return ""


def pool_params(url: str) -> PoolParams:
    """Read `connection_limit` and `pool_timeout` from the query of `url`."""
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True)) if "://" in url else {}
    limit, timeout = query.get("connection_limit", ""), query.get("pool_timeout", "")
    problems = (
        _judge("connection_limit", limit, *CONNECTION_LIMIT_RANGE),
        _judge("pool_timeout", timeout, *POOL_TIMEOUT_RANGE),
    )
    return PoolParams(limit, timeout, tuple(p for p in problems if p))


def libpq_url(url: str) -> str:
    """`url` without the Prisma-only parameters; everything else exactly as written.

    The query is cut apart by hand, not re-encoded: `urlencode` would turn `%20` into
    `+`, which libpq does not decode (`options=-c%20statement_timeout%3D5000` breaks).
    """
    if "://" not in url:
        return url  # a keyword DSN ("host=... dbname=...") has no Prisma parameters
    parts = urlsplit(url)
    kept = [item for item in parts.query.split("&") if item and unquote(item.split("=", 1)[0]) not in PRISMA_ONLY]
    return urlunsplit(parts._replace(query="&".join(kept)))
