"""Probe failures as a typed kind with a short, masked reason (never a traceback)."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from urllib.parse import unquote, urlsplit

from cockpit.core.redact import mask_url
from cockpit.core.text import one_line

DNS = "dns"
REFUSED = "refused"
LOST = "lost"
TIMEOUT = "timeout"
TLS = "tls"
AUTH = "auth"
HTTP_5XX = "http_5xx"
HTTP_STATUS = "http_status"
BAD_JSON = "bad_json"
CONFIG = "config"
OTHER = "error"

_TEXT_HINTS = (  # (kind, fragments of a library's message), most specific first
    (AUTH, ("wrongpass", "noauth", "invalid password", "invalid username-password", "password authentication failed",
            "authentication failed", "no password supplied", "already authenticated", "auth <password> called without any password")),
    (DNS, ("name or service not known", "nodename nor servname", "temporary failure in name resolution",
           "could not translate host name", "name resolution", "no address associated", "getaddrinfo failed")),
    (REFUSED, ("connection refused", "error 111 ", "actively refused")),
    (LOST, ("connection closed", "closed the connection", "connection reset", "broken pipe", "connection lost",
            "terminating connection")),
    (TIMEOUT, ("timed out", "timeout expired")),
    (TLS, ("ssl", "tls", "certificate")),
)


class ProbeError(Exception):
    """A probe could not get a good answer: `kind` for the status, `reason` for a human."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


def _chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen and len(seen) < 10:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _kind_of(exc: BaseException) -> str:
    for link in _chain(exc):
        if isinstance(link, ProbeError):
            return link.kind
        if isinstance(link, (TimeoutError, asyncio.TimeoutError, socket.timeout)):
            return TIMEOUT
        if isinstance(link, socket.gaierror):
            return DNS
        if isinstance(link, ConnectionRefusedError) or getattr(link, "errno", None) == errno.ECONNREFUSED:
            return REFUSED
        if isinstance(link, (ConnectionResetError, BrokenPipeError)):
            return LOST
        if isinstance(link, ssl.SSLError):
            return TLS
        sqlstate = getattr(link, "sqlstate", None)
        if sqlstate:  # the server answered: its error class says what kind of failure it is
            if sqlstate.startswith("28"):
                return AUTH
            return LOST if sqlstate[:2] in ("08", "57") else OTHER  # connection gone, server shutting down
    text = " ".join(str(link).lower() for link in _chain(exc))
    type_names = " ".join(type(link).__name__.lower() for link in _chain(exc))
    if "authentication" in type_names:
        return AUTH
    if "timeout" in type_names:
        return TIMEOUT
    for kind, fragments in _TEXT_HINTS:
        if any(fragment in text for fragment in fragments):
            return kind
    return OTHER


def clean_reason(text: str, secrets: tuple[str, ...] = (), limit: int = 160) -> str:
    """One terminal-safe line with URLs masked and any known secret removed.

    Secrets shorter than 4 characters are left to URL masking: replacing every "p" of a
    message because the password is "p" would garble it and reveal the password anyway.
    """
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    text = one_line(mask_url(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def endpoint(url: str) -> str:
    """`host:port` of a URL, for short reasons ("connection refused: db.internal:5432")."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "?"
    default = {"http": 80, "https": 443, "redis": 6379, "rediss": 6379, "postgresql": 5432, "postgres": 5432}
    return f"{host}:{port or default.get(parts.scheme, '?')}"


_LABELS = {
    DNS: "DNS lookup failed",
    REFUSED: "connection refused",
    LOST: "connection lost",
    TIMEOUT: "timed out",
    TLS: "TLS error",
    AUTH: "authentication failed",
}
_SELF_EXPLAINING = (DNS, REFUSED, TIMEOUT, LOST)  # the label and the endpoint say it all
_PLAIN_WORDS = (  # library wording → what the operator should hear
    (("wrongpass", "invalid username-password"), "wrong user name or password"),
    (("noauth", "already authenticated", "no password supplied"), "the server wants a password and the URL has none"),
)


def classify(exc: BaseException, where: str, secrets: tuple[str, ...] = ()) -> ProbeError:
    """Turn any exception from a client library into a ProbeError about `where` (host:port)."""
    if isinstance(exc, ProbeError):
        return ProbeError(exc.kind, clean_reason(exc.reason, secrets))
    kind = _kind_of(exc)
    label = _LABELS.get(kind, type(exc).__name__)
    if kind in _SELF_EXPLAINING:
        return ProbeError(kind, clean_reason(f"{label}: {where}", secrets))
    detail = clean_reason(str(exc) or type(exc).__name__, secrets, limit=120)
    lowered = detail.lower()
    detail = next((plain for fragments, plain in _PLAIN_WORDS if any(f in lowered for f in fragments)), detail)
    return ProbeError(kind, clean_reason(f"{label}: {detail} ({where})", secrets))


def check_url(url: str, what: str, schemes: tuple[str, ...]):
    """`urlsplit(url)`, or ProbeError(CONFIG) saying what is wrong — never echoing the URL,
    which may hold a password (possibly unencoded, where masking cannot find it)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "[bad": an unbalanced IPv6 bracket
        raise ProbeError(CONFIG, f"{what} is not a valid URL (percent-encode @ : / # in the password)") from None
    if parts.scheme not in schemes:
        raise ProbeError(CONFIG, f"{what} must start with {' or '.join(s + '://' for s in schemes)}")
    port_ok = True
    try:
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        port_ok = False
    if not port_ok or not parts.hostname:
        raise ProbeError(CONFIG, f"{what} is not a valid URL (percent-encode @ : / # in the password)")
    return parts


def url_secrets(parts) -> tuple[str, ...]:
    """The password of a split URL, as written and decoded, for scrubbing messages."""
    password = parts.password or ""
    return tuple(s for s in {password, unquote(password)} if s)
