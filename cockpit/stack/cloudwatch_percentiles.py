"""Percentiles where moto has none: an HTTP proxy in front of moto's CloudWatch that answers p50/p99 itself.

moto 5.2.5 answers a GetMetricData query whose Stat is a percentile with HTTP 500 (it
serializes None). CloudWatch computes percentiles from the raw values a PutMetricData
carries, so this proxy keeps those values and computes them:

    proxy = PercentileProxy(moto.url).start()       # then AWS_ENDPOINT_URL=proxy.url
    ...
    proxy.stop()

Every request is forwarded to moto unchanged (method, path, headers, body), except:
- PutMetricData (JSON 1.0, `X-Amz-Target: GraniteServiceVersion20100801.PutMetricData`):
  forwarded; once moto accepted it, the raw samples it carries (`Value`, or `Values` with
  `Counts`) are also kept per (namespace, metric name, sorted dimensions) with their
  timestamps and `Unit`. `StatisticValues` are not raw samples: they are not used for
  percentiles (as in CloudWatch). Bounds: samples older than `KEEP_SECONDS` (3 hours) before
  the newest put are dropped, and each series keeps at most `MAX_PER_SERIES` (50,000) entries
  (a `Values`/`Counts` pair is one entry), oldest dropped first.
- GetMetricData: the queries whose `MetricStat.Stat` is a percentile (`p` + a number 0..100,
  e.g. p50, p99, p99.9) are answered here from the kept samples: periods start at the request's
  StartTime and step by its Period, up to EndTime; each period's value is the nearest-rank
  percentile of its samples (a sample counted `Counts` times); a period without samples has no
  datapoint, as CloudWatch does; a `Unit` in the query keeps only samples put with that unit.
  The other queries go to moto as one request with the percentile queries removed (even when
  none is left, so moto still validates the rest of the request and its errors come back as
  they are), and the answers are merged in the request's query order, in moto's response shape
  (`Id`, `Label` (the query's, else "MetricName Stat"), `Timestamps` (epoch seconds, each
  period's start, in `ScanBy` order), `Values`, `StatusCode` "Complete"). Queries with
  `ReturnData: false` are not returned. A request with a `NextToken` (a later page) gets the
  percentile queries empty: their datapoints all came in the first page.
- `/moto-api/reset` (moto's wipe) also forgets the kept samples.

Out of scope: GetMetricStatistics `ExtendedStatistics` (forwarded to moto as is), metric math
over a percentile query, other statistics moto lacks (tm99, wm99, PR(...), TC, TS), and the
query and CBOR protocols (forwarded untouched: botocore 1.44 sends CloudWatch as JSON 1.0).
"""

from __future__ import annotations

import http.client
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from cockpit.stack.loopback import LoopbackHandler, LoopbackServer

KEEP_SECONDS = 3 * 3600
MAX_PER_SERIES = 50_000
UPSTREAM_TIMEOUT = 30.0
TARGET_PREFIX = "GraniteServiceVersion20100801."
# Headers about one hop's connection, not about the request: never forwarded (RFC 9110 7.6.1).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
)
_PERCENTILE = re.compile(r"p(\d+(?:\.\d+)?)")

SeriesKey = tuple[str, str, tuple[tuple[str, str], ...]]
Sample = tuple[float, float, float, str]  # (epoch seconds, value, count, unit)


def percentile_of(stat: str) -> float | None:
    """The fraction (0..1) a `p99`-style statistic names, or None when it is not a percentile."""
    match = _PERCENTILE.fullmatch(stat or "")
    if match is None or float(match.group(1)) > 100:
        return None
    return float(match.group(1)) / 100


def weighted_percentile(samples: list[tuple[float, float]], fraction: float) -> float | None:
    """Nearest-rank percentile of (value, count) pairs, each value counted `count` times (None: no samples)."""
    ordered = sorted((v, c) for v, c in samples if c > 0)
    total = sum(c for _, c in ordered)
    if not ordered:
        return None
    rank = max(1.0, math.ceil(fraction * total))
    seen = 0.0
    for value, count in ordered:
        seen += count
        if seen >= rank:
            return value
    return ordered[-1][0]


def series_key(namespace: str, metric: str, dimensions: Any) -> SeriesKey:
    """The key of a series: dimensions sorted by name, so their order in a request does not matter."""
    pairs = tuple(sorted((str(d.get("Name", "")), str(d.get("Value", ""))) for d in dimensions or () if isinstance(d, dict)))
    return str(namespace), str(metric), pairs


def _epoch(value: Any, default: float) -> float:
    """A JSON 1.0 timestamp (epoch seconds) as a float; ISO text is accepted too."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        from datetime import datetime

        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return default
    return default


class SampleStore:
    """Raw samples per series, bounded by age (KEEP_SECONDS before the newest put) and count (MAX_PER_SERIES)."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS, max_per_series: int = MAX_PER_SERIES,
                 clock: Callable[[], float] = time.time) -> None:
        self.keep_seconds = keep_seconds
        self.max_per_series = max_per_series
        self.clock = clock
        self._lock = threading.Lock()
        self._series: dict[SeriesKey, deque[Sample]] = {}

    def put(self, body: dict[str, Any]) -> int:
        """Keep the raw samples of one PutMetricData body; how many entries were kept."""
        now = self.clock()
        kept = 0
        with self._lock:
            for datum in body.get("MetricData") or ():
                if not isinstance(datum, dict):
                    continue
                key = series_key(body.get("Namespace", ""), datum.get("MetricName", ""), datum.get("Dimensions"))
                at, unit = _epoch(datum.get("Timestamp"), now), str(datum.get("Unit") or "")
                series = self._series.setdefault(key, deque(maxlen=self.max_per_series))
                for value, count in _raw_values(datum):
                    series.append((at, value, count, unit))
                    kept += 1
            self._expire(now)
        return kept

    def _expire(self, now: float) -> None:
        oldest = now - self.keep_seconds
        for key in list(self._series):
            series = self._series[key]
            kept = [s for s in series if s[0] >= oldest]  # puts may come out of time order: filter, not popleft
            if len(kept) != len(series):
                series.clear()
                series.extend(kept)
            if not series:
                del self._series[key]

    def samples(self, key: SeriesKey, start: float, end: float, unit: str = "") -> list[Sample]:
        """The samples of `key` with start <= timestamp < end (and the unit, when one is given)."""
        with self._lock:
            series = list(self._series.get(key, ()))
        return [s for s in series if start <= s[0] < end and (not unit or s[3] == unit)]

    def clear(self) -> None:
        """Forget every sample."""
        with self._lock:
            self._series.clear()


def _raw_values(datum: dict[str, Any]) -> list[tuple[float, float]]:
    """(value, count) pairs of one MetricDatum: `Value`, or `Values` with `Counts` (1 each when absent)."""
    if isinstance(datum.get("Values"), list) and datum["Values"]:
        raw = datum.get("Counts")
        counts: list[Any] = raw if isinstance(raw, list) else []
        return [(float(v), float(counts[i]) if i < len(counts) else 1.0) for i, v in enumerate(datum["Values"])
                if isinstance(v, (int, float))]
    value = datum.get("Value")
    return [(float(value), 1.0)] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def percentile_result(store: SampleStore, query: dict[str, Any], start: float, end: float, ascending: bool) -> dict[str, Any]:
    """The MetricDataResult of one percentile query, in moto's shape."""
    stat = query.get("MetricStat") or {}
    metric = stat.get("Metric") or {}
    fraction = percentile_of(str(stat.get("Stat", "")))
    period = float(stat.get("Period") or 60)
    key = series_key(metric.get("Namespace", ""), metric.get("MetricName", ""), metric.get("Dimensions"))
    buckets: dict[int, list[tuple[float, float]]] = {}  # period index → its samples: one pass, however long the window
    if fraction is not None and period > 0:
        for at, sample, count, _unit in store.samples(key, start, end, str(stat.get("Unit") or "")):
            buckets.setdefault(int((at - start) // period), []).append((sample, count))
    points: list[tuple[float, float]] = []
    for index in sorted(buckets):
        value = weighted_percentile(buckets[index], fraction or 0.0)
        if value is not None:  # a period without samples has no datapoint
            points.append((start + index * period, value))
    if not ascending:
        points.reverse()
    label = query.get("Label") or f"{metric.get('MetricName', '')} {stat.get('Stat', '')}"
    return {"Id": query.get("Id", ""), "Label": label, "Timestamps": [int(t) if t == int(t) else t for t, _ in points],
            "Values": [v for _, v in points], "StatusCode": "Complete"}


def is_percentile_query(query: Any) -> bool:
    """True for a MetricStat query whose Stat is a percentile."""
    return isinstance(query, dict) and isinstance(query.get("MetricStat"), dict) and percentile_of(str(query["MetricStat"].get("Stat", ""))) is not None


def asks_percentiles(request: Any) -> bool:
    """True for a GetMetricData body with at least one percentile query (any other goes to moto byte for byte)."""
    queries = request.get("MetricDataQueries") if isinstance(request, dict) else None
    return isinstance(queries, list) and any(is_percentile_query(q) for q in queries)


class PercentileProxy(LoopbackServer):
    """The proxy on 127.0.0.1:<free port> in front of `upstream_url` (moto); `url` is the AWS_ENDPOINT_URL to give boto3."""

    thread_name = "cw-percentiles"

    def __init__(self, upstream_url: str, *, store: SampleStore | None = None) -> None:
        super().__init__()
        parts = urlsplit(upstream_url)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.store = store or SampleStore()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    def forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """One request to the upstream: (status, reason, headers without hop-by-hop ones and Content-Length, body)."""
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=UPSTREAM_TIMEOUT)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    conn.putheader(name, value)
            if body or method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
            payload = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"]
            return response.status, response.reason, kept, payload
        finally:
            conn.close()

    def get_metric_data(self, method: str, path: str, headers: list[tuple[str, str]], request: dict[str, Any]) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """Answer the percentile queries here, the rest from moto, merged in the request's order."""
        raw = request.get("MetricDataQueries")
        asked: list[Any] = raw if isinstance(raw, list) else []
        queries = [q for q in asked if isinstance(q, dict)]
        rest = {**request, "MetricDataQueries": [q for q in asked if not is_percentile_query(q)]}  # the odd ones too: moto judges them
        status, reason, out_headers, payload = self.forward(method, path, headers, json.dumps(rest).encode())
        if status != 200:
            return status, reason, out_headers, payload  # an error of moto's keeps its status, code and message
        try:
            answer = json.loads(payload)
        except ValueError:
            return status, reason, out_headers, payload
        start, end = _epoch(request.get("StartTime"), 0.0), _epoch(request.get("EndTime"), 0.0)
        ascending = request.get("ScanBy") == "TimestampAscending"
        later_page = bool(request.get("NextToken"))
        theirs = {r.get("Id"): r for r in answer.get("MetricDataResults") or () if isinstance(r, dict)}
        merged = []
        for query in queries:
            if query.get("ReturnData") is False:
                continue
            if is_percentile_query(query):
                result = percentile_result(self.store, query, start, end if not later_page else start, ascending)
                merged.append(result)
            elif query.get("Id") in theirs:
                merged.append(theirs.pop(query.get("Id")))
        merged.extend(theirs.values())  # anything moto added that no query names: kept, not hidden
        answer["MetricDataResults"] = merged
        return status, reason, out_headers, json.dumps(answer).encode()


def _operation(headers: Any) -> str:
    target = headers.get("X-Amz-Target") or ""
    return target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else ""


def _handler_for(proxy: PercentileProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):  # HTTP/1.1: botocore keeps connections alive, as with AWS
        timeout = 30

        def do_POST(self) -> None:
            self._handle()

        do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_POST

        def _handle(self) -> None:
            body = self._read_body()
            operation, headers = _operation(self.headers), list(self.headers.items())
            try:
                request = json.loads(body) if operation in ("PutMetricData", "GetMetricData") else None
            except ValueError:
                request = None  # not JSON: moto says what is wrong with it
            try:
                if operation == "GetMetricData" and isinstance(request, dict) and asks_percentiles(request):
                    answer = proxy.get_metric_data(self.command, self.path, headers, request)
                else:
                    answer = proxy.forward(self.command, self.path, headers, body)
            except (OSError, http.client.HTTPException) as error:
                self._reply(502, "Bad Gateway", [("Content-Type", "text/plain")], f"upstream unreachable: {error}".encode())
                return
            if operation == "PutMetricData" and isinstance(request, dict) and 200 <= answer[0] < 300:
                proxy.store.put(request)  # only what moto accepted is kept
            if urlsplit(self.path).path.rstrip("/") == "/moto-api/reset" and answer[0] < 300:
                proxy.store.clear()
            self._reply(*answer)

        def _read_body(self) -> bytes:
            if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length > 0 else b""
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)

        def _reply(self, status: int, reason: str, headers: list[tuple[str, str]], payload: bytes) -> None:
            self.send_response_only(status, reason)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

    return Handler
