"""Probe failures become a typed kind and a short masked reason; /health bodies are parsed."""

from __future__ import annotations

import socket
import ssl

import pytest

from cockpit.probes.errors import AUTH, BAD_JSON, DNS, OTHER, REFUSED, TIMEOUT, TLS, ProbeError, classify, endpoint
from cockpit.probes.http import parse_health


class WrappedError(Exception):
    """Like a client library's error that wraps the OS error."""


def wrapped(cause: BaseException) -> WrappedError:
    try:
        raise WrappedError("could not connect") from cause
    except WrappedError as exc:
        return exc


@pytest.mark.parametrize(
    ("exc", "kind", "reason"),
    [
        (wrapped(ConnectionRefusedError(111, "Connection refused")), REFUSED, "connection refused: db:5432"),
        (wrapped(socket.gaierror(-2, "Name or service not known")), DNS, "DNS lookup failed: db:5432"),
        (TimeoutError(), TIMEOUT, "timed out: db:5432"),
        (wrapped(ssl.SSLError(1, "certificate verify failed")), TLS, "TLS error: could not connect (db:5432)"),
        (Exception('FATAL: password authentication failed for user "cockpit"'), AUTH, "authentication failed"),
        (Exception("WRONGPASS invalid username-password pair"), AUTH, "wrong user name or password"),
        (ValueError("something odd"), OTHER, "ValueError: something odd (db:5432)"),
    ],
)
def test_classify(exc, kind, reason):
    error = classify(exc, "db:5432")
    assert error.kind == kind and reason in error.reason


def test_reasons_never_carry_secrets_or_escapes():
    exc = Exception("bad url postgresql://cockpit:hunter2@db/avnz and sekrit-token-9 \x1b[31mred\x1b]0;title\x07")
    reason = classify(exc, "db:5432", secrets=("sekrit-token-9",)).reason
    assert "hunter2" not in reason and "sekrit-token-9" not in reason and "\x1b" not in reason and "\x07" not in reason
    assert "postgresql://cockpit:***@db/avnz" in reason
    assert "\n" not in classify(Exception("line one\nline two"), "x:1").reason


def test_a_short_secret_does_not_garble_the_message():
    assert classify(Exception("connection refused by peer"), "h:1", secrets=("p",)).reason.count("***") == 0


def test_endpoint():
    assert endpoint("https://api.avnz.io/health") == "api.avnz.io:443"
    assert endpoint("redis://:pw@10.0.0.5:6380/0") == "10.0.0.5:6380"
    assert endpoint("postgresql://u:p@db/avnz") == "db:5432"


def test_health_document_with_components():
    body = b'{"status":"healthy","components":{"redis":{"healthy":true},"database":{"healthy":false,"error":"pool exhausted"}}}'
    sample = parse_health(body, 12.0, 200)
    assert sample.overall == "healthy" and sample.state == "degraded"  # one component is down
    assert [(c.name, c.healthy, c.detail) for c in sample.components] == [("redis", True, ""), ("database", False, "pool exhausted")]


def test_health_components_with_status_words_or_booleans():
    sample = parse_health(b'{"status":"ok","components":{"a":{"status":"up"},"b":false,"c":{"x":1}}}', 1.0, 200)
    assert [(c.name, c.healthy) for c in sample.components] == [("a", True), ("b", False), ("c", None)]
    assert parse_health(b'{"status":"down"}', 1.0, 200).state == "down"


@pytest.mark.parametrize("body", [b'{"status": "healthy", "comp', b"<html>ok</html>", b"[1, 2]", b"\xff\xfe"])
def test_malformed_health_is_a_typed_error(body):
    with pytest.raises(ProbeError) as caught:
        parse_health(body, 1.0, 200)
    assert caught.value.kind == BAD_JSON and caught.value.reason.startswith("malformed JSON from /health")
