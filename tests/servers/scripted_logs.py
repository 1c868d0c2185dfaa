"""A CloudWatch Logs stand-in whose clock and ingestion the test drives: real HTTP, no waiting.

`ScriptedLogs` answers `Logs_20140328.FilterLogEvents` (JSON 1.1) over a list of events the
test adds with a timestamp and the (fake-clock) time they become readable; `clock_ms` is
AWS's clock, sent as the `Date` header (floored to the second, as AWS does). Pages of at
most `page_size` events with a nextToken; at the end of the data no nextToken. It counts
the events it served (with re-reads) and answers a raw `body` instead when one is set.
"""

from __future__ import annotations

import json
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ScriptedLogs:
    def __init__(self, clock_ms: int, page_size: int = 1000) -> None:
        self.clock_ms = clock_ms
        self.page_size = page_size
        self.events: list[dict] = []  # with "readable_at"
        self.served = 0  # events served, re-reads included
        self.start_times: list[int] = []  # startTime of each first page
        self.raw: tuple[int, bytes] | None = None  # (status, body) to answer instead
        self._lock = threading.Lock()
        self._seq = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def date_time_string(self, timestamp: float | None = None) -> str:  # send_response's Date: AWS's clock
                return formatdate(owner.clock_ms / 1000, usegmt=True)

            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                status, body = owner.answer(request)
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("x-amzn-RequestId", "scripted")
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> ScriptedLogs:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, timestamp: int, delay_ms: int, message: str = "Redis event", stream: str = "ecs/avnz-api/aaaa") -> str:
        """An event stamped `timestamp`, readable (and ingested) `delay_ms` later; its eventId."""
        with self._lock:
            self._seq += 1
            event_id = f"{timestamp:020d}{self._seq:016d}"
            self.events.append({"logStreamName": stream, "timestamp": timestamp, "message": message,
                                "ingestionTime": timestamp + delay_ms, "eventId": event_id, "readable_at": timestamp + delay_ms})
            return event_id

    def answer(self, request: dict) -> tuple[int, bytes]:
        if self.raw is not None:
            return self.raw
        start = int(request.get("startTime") or 0)
        pattern = request.get("filterPattern") or ""
        offset = int(request.get("nextToken") or 0)
        with self._lock:
            if not offset:
                self.start_times.append(start)
            readable = sorted((e for e in self.events if e["timestamp"] >= start and e["readable_at"] <= self.clock_ms
                               and pattern in e["message"]), key=lambda e: (e["timestamp"], e["eventId"]))
            page = readable[offset:offset + self.page_size]
            self.served += len(page)
        body: dict = {"events": [{k: v for k, v in e.items() if k != "readable_at"} for e in page], "searchedLogStreams": []}
        if offset + self.page_size < len(readable):
            body["nextToken"] = str(offset + self.page_size)
        return 200, json.dumps(body).encode()
