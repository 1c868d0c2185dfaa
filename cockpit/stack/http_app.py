"""A small local HTTP app standing in for both the API (`/health`) and the dashboard pages.

Faults are switched by plain attribute assignment while it runs:

    api.health_mode = "hang"           # healthy | degraded | malformed | error500 | error503 | hostile | huge | slow | hang
    api.pages["/momentum/churn"] = "slow"   # ok | missing | slow | redirect | error500

HTTP/1.1 with keep-alive, like the real services; `stop()` also cuts kept-alive
connections, so a pooled client sees the outage instead of a ghost of the server.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from cockpit.stack.loopback import LoopbackHandler, LoopbackServer

HEALTH_MODES = ("healthy", "degraded", "malformed", "error500", "hang")
PAGE_MODES = ("ok", "missing", "slow", "redirect", "error500")
DASHBOARD_PATHS = (
    "/vendors/companies",
    "/vendors/products",
    "/momentum/churn",
    "/momentum/save-flows",
    "/momentum/triggers",
)

HEALTHY = {"status": "healthy", "components": {"redis": {"healthy": True, "latency_ms": 1}, "database": {"healthy": True}}}
DEGRADED = {
    "status": "degraded",
    "components": {
        "redis": {"healthy": False, "error": "connect ECONNREFUSED 10.0.3.17:6379"},
        "database": {"healthy": True},
    },
}
MALFORMED = b'{"status": "healthy", "comp'
ERROR500 = {"error": "internal server error", "request_id": "fake-0001"}


class FakeApi(LoopbackServer):
    """One ThreadingHTTPServer on 127.0.0.1:<free port>; see the module docstring for the knobs.

    Attributes (set them any time): `health_mode`, `hang_seconds` (30), `slow_seconds` (2),
    `pages` (path -> mode; the five dashboard paths start "ok"), `components` (None, or a
    callable returning the components a healthy /health reports, asked on every request:
    the demo reports its real Redis and PostgreSQL this way). Read: `hits` (path -> count,
    query strings dropped), `url`, `port`.
    """

    thread_name = "fake-api"

    def __init__(self) -> None:
        super().__init__()
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to defaults: healthy, every dashboard page ok, no hits."""
        self.health_mode = "healthy"
        self.hang_seconds = 30.0
        self.slow_seconds = 2.0
        self.pages: dict[str, str] = {path: "ok" for path in DASHBOARD_PATHS}
        self.components: Callable[[], dict[str, dict]] | None = None
        with self._lock:
            self.hits.clear()

    # -- used by the handler -----------------------------------------------------------

    def _count(self, path: str) -> None:
        with self._lock:
            self.hits[path] += 1

    def _sleep(self, seconds: float) -> bool:
        """Sleep, but wake at once when the server is being stopped (then False): teardown stays fast."""
        return not self._stopping.wait(seconds)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)


def _handler_for(app: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        server_version = "FakeApi/1.0"

        def do_GET(self) -> None:
            self._dispatch(body=True)

        def do_HEAD(self) -> None:
            self._dispatch(body=False)

        def _dispatch(self, body: bool) -> None:
            path = urlsplit(self.path).path
            app._count(path)
            if path == "/health":
                self._health(body)
            elif path == "/login":
                self._send(200, _page("Sign in"), "text/html; charset=utf-8", body)
            elif path in app.pages:
                self._page(path, app.pages[path], body)
            else:
                self._send(404, _page("Not found"), "text/html; charset=utf-8", body)

        def _health(self, body: bool) -> None:
            mode = app.health_mode
            if mode == "hang":
                if not app._sleep(app.hang_seconds):
                    self.close_connection = True
                    return
                mode = "healthy"
            if mode == "slow":
                if not app._sleep(app.slow_seconds):
                    self.close_connection = True
                    return
                mode = "healthy"
            if mode == "malformed":
                self._send(200, MALFORMED, "application/json", body)
            elif mode == "error500":
                self._send(500, _json(ERROR500), "application/json", body)
            elif mode == "error503":
                self._send(503, _json(UNAVAILABLE), "application/json", body)
            elif mode == "hostile":
                self._send(200, _json(HOSTILE), "application/json", body)
            elif mode == "huge":
                self._send(200, b'{"status":"healthy","padding":"' + b"x" * (2 << 20) + b'"}', "application/json", body)
            elif mode == "healthy" and app.components is not None:
                self._send(200, _json(_live_health(app.components())), "application/json", body)
            else:
                self._send(200, _json(DEGRADED if mode == "degraded" else HEALTHY), "application/json", body)

        def _page(self, path: str, mode: str, body: bool) -> None:
            if mode == "slow":
                if not app._sleep(app.slow_seconds):
                    self.close_connection = True
                    return
                mode = "ok"
            if mode == "ok":
                self._send(200, _page(path), "text/html; charset=utf-8", body)
            elif mode == "redirect":
                self._send(302, b"", "text/html; charset=utf-8", body, {"Location": f"/login?next=[{path}]"})
            elif mode == "error500":
                self._send(500, _page("Internal Server Error"), "text/html; charset=utf-8", body)
            else:
                self._send(404, _page("Not found"), "text/html; charset=utf-8", body)

        def _send(self, status: int, payload: bytes, content_type: str, body: bool, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if body:
                self.wfile.write(payload)

    return Handler


# A 503 that still lists its components (many real health endpoints do this).
UNAVAILABLE = {"status": "unhealthy", "components": {"redis": {"healthy": True}, "database": {"healthy": False, "error": "pool exhausted"}}}
# Text from outside that must stay data: escapes, a set-title sequence, markup, 60 components.
HOSTILE = {
    "status": "degraded",
    "components": {
        "redis\x1b]0;PWNED\x07\x1b[2J": {"healthy": False, "error": "[/] [bold]boom\x1b[31m red"},
        **{f"worker-{i}": {"healthy": True} for i in range(60)},
    },
}


def _live_health(components: dict[str, dict]) -> dict:
    """A /health body from live component reports: degraded when any of them is not healthy."""
    healthy = all(report.get("healthy") for report in components.values())
    return {"status": "healthy" if healthy else "degraded", "components": components}


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _page(title: str) -> bytes:
    return f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>".encode()
