"""A fault-injecting HTTP proxy in front of moto: AWS errors and slow answers on demand.

Every request is forwarded to the upstream (method, path and query, headers, body) and
its response comes back unchanged, except for operations with an armed fault:

    proxy.fail("FilterLogEvents", "ThrottlingException", "Rate exceeded", times=2)
    proxy.fail("DescribeAlarms", "Throttling", "Rate exceeded")   # CloudWatch's code
    proxy.delay("FilterLogEvents", 2.0)                           # past a read timeout
    proxy.requests("FilterLogEvents")                             # seen, faulted ones too

A failed request never reaches the upstream (AWS rejects it before acting); a delayed one
does, and its response is held back (AWS acted, the client never heard).

The operation is the `X-Amz-Target` suffix (JSON protocol: `Logs_20140328.FilterLogEvents`,
and CloudWatch `GraniteServiceVersion20100801.DescribeAlarms`, which botocore 1.44 sends
as JSON 1.0 with `x-amzn-query-mode: true`), else the `/service/S/operation/OP` path
(smithy rpc-v2-cbor), else `Action=` of a form body (query protocol). The error is written
in the protocol of the request, so botocore raises `ClientError` with that code and message.
"""

from __future__ import annotations

import http.client
import json
import re
import struct
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Self
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from cockpit.stack import free_port
from cockpit.stack.loopback import LoopbackHandler, LoopbackServer

UPSTREAM_TIMEOUT = 30.0
# Headers about one hop's connection, not about the request: never forwarded (RFC 9110 7.6.1).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
)
_CBOR_PATH = re.compile(r"/service/[^/]+/operation/([^/?]+)")


@dataclass
class _Armed:
    """One armed fault or delay: `remaining` requests still to hit (None: until `clear()`)."""

    remaining: int | None
    code: str = ""
    message: str = ""
    status: int = 400
    seconds: float = 0.0

    def take(self) -> bool:
        """Use it for one request; False when it is spent."""
        if self.remaining is None:
            return True
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True


class AwsFaultProxy(LoopbackServer):
    """A ThreadingHTTPServer on 127.0.0.1:<free port> forwarding to `upstream_url`."""

    thread_name = "aws-proxy"

    def __init__(self, upstream_url: str) -> None:
        super().__init__()
        parts = urlsplit(upstream_url)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._bodies: dict[str, list[bytes]] = {}
        self._faults: dict[str, list[_Armed]] = {}
        self._delays: dict[str, list[_Armed]] = {}

    # -- faults ------------------------------------------------------------------------

    def fail(self, operation: str, code: str, message: str, status: int = 400, times: int | None = 1) -> None:
        """The next `times` requests for `operation` get this AWS error (None: until `clear()`).

        Calls queue up: `fail(op, "A", ..., times=1); fail(op, "B", ...)` gives A, then B.
        """
        with self._lock:
            self._faults.setdefault(operation, []).append(_Armed(times, code=code, message=message, status=status))

    def delay(self, operation: str, seconds: float, times: int | None = 1) -> None:
        """Hold the next `times` responses for `operation` back `seconds` (None: until `clear()`)."""
        with self._lock:
            self._delays.setdefault(operation, []).append(_Armed(times, seconds=seconds))

    def clear(self) -> None:
        """Disarm every fault and delay (counts are kept)."""
        with self._lock:
            self._faults.clear()
            self._delays.clear()

    def requests(self, operation: str | None = None) -> int:
        """How many requests for `operation` arrived (all operations when None), faulted ones included."""
        with self._lock:
            return self._counts[operation] if operation is not None else sum(self._counts.values())

    def operations(self) -> dict[str, int]:
        """Every operation that arrived, with its count (a recording proxy's log)."""
        with self._lock:
            return dict(self._counts)

    def request_bodies(self, operation: str) -> list[dict]:
        """The JSON bodies of the requests for `operation`, oldest first ({} for a non-JSON body)."""
        with self._lock:
            raw = list(self._bodies.get(operation, ()))
        return [_json_or_empty(body) for body in raw]

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        """Listen (on the same port again after a `stop()`) and serve in a daemon thread; `url` is the `AWS_ENDPOINT_URL`."""
        if self._server is None and not self.port:
            self.port = free_port()
        return super().start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    # -- used by the handler -----------------------------------------------------------

    def _arrived(self, operation: str, body: bytes) -> tuple[float, _Armed | None]:
        """Count the request; consume and return (delay seconds, fault or None) for it."""
        with self._lock:
            self._counts[operation] += 1
            self._bodies.setdefault(operation, []).append(body)
            delay = _take(self._delays.get(operation))
            return (delay.seconds if delay else 0.0), _take(self._faults.get(operation))

    def _sleep(self, seconds: float) -> bool:
        """Sleep, but wake at once when the proxy is being stopped (then False)."""
        return seconds <= 0 or not self._stopping.wait(seconds)


def _take(queue: list[_Armed] | None) -> _Armed | None:
    """The first armed entry that still applies, consuming one use; spent entries are dropped."""
    while queue:
        if queue[0].take():
            if queue[0].remaining == 0:
                return queue.pop(0)
            return queue[0]
        queue.pop(0)
    return None


def _handler_for(proxy: AwsFaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):  # HTTP/1.1: botocore keeps connections alive, as with AWS
        timeout = 30

        def do_POST(self) -> None:
            self._handle()

        do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_POST

        def _handle(self) -> None:
            body = self._read_body()
            operation = operation_name(self.headers, self.path, body)
            seconds, fault = proxy._arrived(operation, body)
            if fault is not None:
                if proxy._sleep(seconds):
                    self._reply(*error_response(self.headers, self.path, body, fault.code, fault.message, fault.status))
                else:
                    self.close_connection = True
                return
            try:
                status, reason, headers, payload = self._forward(body)
            except (OSError, http.client.HTTPException) as error:
                self._reply(502, "Bad Gateway", [("Content-Type", "text/plain")], f"upstream unreachable: {error}".encode())
                return
            if not proxy._sleep(seconds):
                self.close_connection = True  # stopped while holding the answer back: none comes
                return
            self._reply(status, reason, headers, payload)

        def _read_body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._read_chunked()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length > 0 else b""

        def _read_chunked(self) -> bytes:
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()

        def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
            conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=UPSTREAM_TIMEOUT)
            try:
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        conn.putheader(name, value)
                if body or self.command in ("POST", "PUT", "PATCH"):
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body or None)
                response = conn.getresponse()
                payload = response.read()
                headers = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"]
                return response.status, response.reason, headers, payload
            finally:
                conn.close()

        def _reply(self, status: int, reason: str, headers: list[tuple[str, str]], payload: bytes) -> None:
            self.send_response_only(status, reason)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

    return Handler


# -- protocols ---------------------------------------------------------------------------


def operation_name(headers, path: str, body: bytes) -> str:
    """The AWS operation of a request, whatever its protocol; `METHOD /path` when none applies."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    match = _CBOR_PATH.search(urlsplit(path).path)
    if match:
        return match.group(1)
    if "x-www-form-urlencoded" in headers.get("Content-Type", ""):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    return urlsplit(path).path


def error_response(headers, path: str, body: bytes, code: str, message: str, status: int) -> tuple[int, str, list[tuple[str, str]], bytes]:
    """(status, reason, headers, body) of an AWS error in the protocol the request used."""
    reason = http.client.responses.get(status, "Error")
    request_id = str(uuid.uuid4())
    fault_type = "Sender" if status < 500 else "Receiver"
    common = [("x-amzn-RequestId", request_id)]
    if headers.get("x-amzn-query-mode"):
        # A service that moved from the query protocol (CloudWatch): botocore takes the
        # legacy code from this header, as AWS sends it.
        common.append(("x-amzn-query-error", f"{code};{fault_type}"))
    if headers.get("X-Amz-Target"):
        content_type = headers.get("Content-Type", "")
        if not content_type.startswith("application/x-amz-json"):
            content_type = "application/x-amz-json-1.1"
        payload = json.dumps({"__type": code, "message": message}).encode()
        return status, reason, [("Content-Type", content_type), ("x-amzn-ErrorType", code), *common], payload
    if _CBOR_PATH.search(urlsplit(path).path):
        payload = _cbor_text_map({"__type": code, "message": message})
        return status, reason, [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"), *common], payload
    xml = (
        '<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">'
        f"<Error><Type>{fault_type}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return status, reason, [("Content-Type", "text/xml"), *common], xml.encode()


def _cbor_text_map(values: dict[str, str]) -> bytes:
    """A CBOR map of text strings (RFC 8949), all an rpc-v2-cbor error body needs."""

    def head(major: int, length: int) -> bytes:
        if length < 24:
            return bytes([major << 5 | length])
        for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I")):
            if length < 1 << (8 * struct.calcsize(fmt)):
                return bytes([major << 5 | info]) + struct.pack(fmt, length)
        raise ValueError("too long")

    def text(value: str) -> bytes:
        raw = value.encode()
        return head(3, len(raw)) + raw

    return head(5, len(values)) + b"".join(text(k) + text(v) for k, v in values.items())


def _json_or_empty(body: bytes) -> dict:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
