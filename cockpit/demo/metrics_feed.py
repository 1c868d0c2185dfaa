"""A daemon thread putting the demo's CloudWatch metrics (cockpit.demo.metric_samples) through PutMetricData.

At start it writes the last `HISTORY_MINUTES` minute by minute (and the current minute so far),
so the metrics pane is full from its first read; then every `TICK` seconds the samples of the
time since, under the demo's conditions as they are then. Past minutes are never rewritten
(CloudWatch keeps them): a trouble key moves the charts from the current minute on.

The endpoint is a parameter: moto's URL, or a proxy in front of it (one that computes
percentiles from the raw TargetResponseTime samples). Every call has a short timeout and no
retry of its own (the next tick retries, at most `CATCH_UP` seconds back); a failing put is
kept in `problem` (one line, '' once a put succeeds again), which the demo's trouble menu shows.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from cockpit.core.text import one_line
from cockpit.demo.metric_samples import Conditions, Estate, datums, pieces
from cockpit.stack import error_line
from cockpit.stack.moto_server import REGION

TICK = 10.0  # seconds between live puts
HISTORY_MINUTES = 60  # the metrics pane's window
GROUP_SECONDS = 300  # the history is put five minutes at a time (a few calls each)
PUT_BATCH = 20  # datums per PutMetricData (CloudWatch's long-standing limit; it now takes up to 1,000)
CATCH_UP = 600.0  # seconds: after a failing stretch, at most this much is put late (the rest stays a gap)
CONNECT_TIMEOUT, READ_TIMEOUT = 2.0, 5.0  # seconds, per call (one attempt): a stop waits for at most one call
JOIN_TIMEOUT = 15.0


def cloudwatch_client(endpoint_url: str):
    """A boto3 CloudWatch client for `endpoint_url` only (never the machine's AWS config): short timeouts, one attempt."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "cloudwatch", endpoint_url=endpoint_url, region_name=REGION, aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries={"total_max_attempts": 1}),
    )


class MetricsFeed:
    """Puts the demo's metrics to `endpoint_url` until `stop()`; `conditions()` is asked before each put.

    `conditions` runs in the feed's thread and may block briefly (it may ask ECS for the running
    tasks): it must have timeouts of its own and raise nothing it cannot explain.
    """

    def __init__(self, endpoint_url: str, estate: Estate, conditions: Callable[[], Conditions], *, tick: float = TICK,
                 history_minutes: int = HISTORY_MINUTES, seed: int | None = None, clock: Callable[[], float] = time.time) -> None:
        self.endpoint_url = endpoint_url
        self.estate = estate
        self.conditions = conditions
        self.tick = tick
        self.history_minutes = history_minutes
        self.clock = clock
        self.client = cloudwatch_client(endpoint_url)
        self.put = 0  # datums put
        self.failures = 0  # feeds that failed (a put, or reading the conditions)
        self.problem = ""  # the last failure as one line, '' once a put succeeded after it
        self.last_put = 0.0  # epoch seconds the data reaches (exclusive)
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-metrics", daemon=True)

    def start(self) -> MetricsFeed:
        """Write the history (a failure is kept in `problem`, not raised), then put live in a thread."""
        now = self.clock()
        start = (now // 60 - self.history_minutes) * 60
        self._feed(start, now)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop putting; waits for the call in flight (each has a timeout). Idempotent."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=JOIN_TIMEOUT)

    @property
    def running(self) -> bool:
        """True while the thread runs."""
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            now = self.clock()
            self._feed(max(self.last_put, now - CATCH_UP), now)

    def _feed(self, start: float, end: float) -> None:
        """Put [start, end) under the conditions now, `GROUP_SECONDS` at a time, oldest first.

        The data reaches a group's end once its datums are put. A group that failed part way (one namespace
        put, another not) counts as put too: what is missing stays a gap, where a retry would count twice."""
        try:
            conditions = self.conditions()
        except Exception as error:  # noqa: BLE001 - reported like a failed put
            self._failed(error, "reading the demo's state")
            return
        for group_start, group_seconds in pieces(start, end, GROUP_SECONDS):
            group_end = group_start + group_seconds
            found = [item for at, seconds in pieces(group_start, group_end) for item in datums(conditions, self.estate, at, seconds, self._rng)]
            sent = False
            try:
                for namespace, batch in _batches(found):
                    if self._stop.is_set() and self._thread.is_alive():  # stopping: a live slice can go unput
                        return
                    self.client.put_metric_data(Namespace=namespace, MetricData=batch)
                    sent, self.put = True, self.put + len(batch)
            except Exception as error:  # noqa: BLE001 - a demo feed must outlive a hiccup of its endpoint, and say so
                self._failed(error, "put")
                if sent:
                    self.last_put = group_end
                return
            self.last_put, self.problem = group_end, ""

    def _failed(self, error: Exception, what: str) -> None:
        self.failures += 1
        self.problem = f"{what} failed at {datetime.now(UTC):%H:%M:%S} UTC: {one_line(error_line(error), 160)}"


def _batches(found: list[tuple[str, dict]]) -> list[tuple[str, list[dict]]]:
    """The datums grouped by namespace (in order of first appearance), PUT_BATCH at a time."""
    by_namespace: dict[str, list[dict]] = {}
    for namespace, datum in found:
        by_namespace.setdefault(namespace, []).append(datum)
    return [(namespace, items[i:i + PUT_BATCH]) for namespace, items in by_namespace.items() for i in range(0, len(items), PUT_BATCH)]
