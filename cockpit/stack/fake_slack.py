"""A Slack incoming webhook on loopback: records what it was sent, answers as scripted.

    slack = FakeSlack().start()
    url = slack.webhook_url()                       # http://127.0.0.1:PORT/services/T.../B.../...
    slack.reply(429, "rate_limited", retry_after=3) # the next request; then the default 200 "ok"
    slack.reply(500, "rollup_error", times=2)
    slack.hang()                                    # the next request gets no answer (until stop())
    slack.drop()                                    # the next request is read, the connection closed unanswered
    slack.wait_for(2)                               # the first two requests, once they have arrived
    slack.stop()

Like Slack: `POST /services/...` with a JSON body holding `text` is answered 200 `ok`
(text/plain); a body that is not JSON gets 400 `invalid_payload`, one without text 400
`no_text`, any other path 404 `no_service`. Scripted answers are used in order, one per
request, before any of that. Every request is recorded, scripted or not.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

from cockpit.stack.loopback import LoopbackHandler, LoopbackServer

WEBHOOK_PATH = "/services/T0COCKPIT/B0RELEASE/xoxwebhooksecret0000000000"
HANG_SECONDS = 30.0


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: datetime = field(default_factory=lambda: datetime.now(UTC), compare=False)  # when it arrived

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class _Answer:
    kind: str  # "reply" | "hang" | "drop"
    status: int = 200
    body: str = "ok"
    retry_after: str | None = None


class FakeSlack(LoopbackServer):
    """One ThreadingHTTPServer on 127.0.0.1:<free port>, serving in a daemon thread."""

    thread_name = "fake-slack"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Condition()
        self._script: deque[_Answer] = deque()
        self._received: list[Received] = []

    def webhook_url(self, path: str = WEBHOOK_PATH) -> str:
        """A webhook URL on this server (the path stands in for Slack's secret one)."""
        return self.url + path

    # -- the script ----------------------------------------------------------------------

    def reply(self, status: int, body: str = "ok", *, retry_after: float | str | None = None, times: int = 1) -> None:
        """Answer the next `times` requests with `status` and `body` (and a Retry-After header)."""
        header = None if retry_after is None else str(retry_after)
        self._queue(_Answer("reply", status, body, header), times)

    def hang(self, times: int = 1) -> None:
        """Read the next `times` requests and never answer (until `stop()`, or 30 s)."""
        self._queue(_Answer("hang"), times)

    def drop(self, times: int = 1) -> None:
        """Read the next `times` requests, then close the connection without an answer."""
        self._queue(_Answer("drop"), times)

    def _queue(self, answer: _Answer, times: int) -> None:
        with self._lock:
            self._script.extend([answer] * times)

    # -- what arrived --------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The requests once at least `count` have arrived; AssertionError after `timeout`."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._received) >= count, timeout):
                raise AssertionError(f"fake Slack got {len(self._received)} requests, expected {count}")
            return list(self._received)

    # -- used by the handler -------------------------------------------------------------

    def _record(self, received: Received) -> _Answer | None:
        with self._lock:
            self._received.append(received)
            self._lock.notify_all()
            return self._script.popleft() if self._script else None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)


def _handler_for(slack: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        server_version = "FakeSlack/1.0"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            answer = slack._record(Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if answer is None:
                self._send(*_as_slack(self.path, body))
            elif answer.kind == "hang":
                slack._stopping.wait(HANG_SECONDS)
                self.close_connection = True
            elif answer.kind == "drop":
                self.close_connection = True
            else:
                self._send(answer.status, answer.body, answer.retry_after)

        def _send(self, status: int, text: str, retry_after: str | None = None) -> None:
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _as_slack(path: str, body: bytes) -> tuple[int, str]:
    """What Slack answers an unscripted request."""
    if not path.startswith("/services/"):
        return 404, "no_service"
    try:
        message = json.loads(body)
    except ValueError:
        return 400, "invalid_payload"
    if not isinstance(message, dict) or not message.get("text"):
        return 400, "no_text"
    return 200, "ok"
