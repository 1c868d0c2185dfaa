"""A daemon thread writing the API's log lines into the demo's CloudWatch Logs (moto).

Two task streams, a few lines a second (shaped by the demo's `Weather`), ten minutes of
history written first so the log tabs are full from the start, and a flood mode of
`FLOOD_PER_SECOND` lines a second for the "flood the logs" trouble key. A flood ends by
itself after `FLOOD_SECONDS`: moto keeps every event in memory, and a forgotten flood
would grow the stack by ~100 MB every ten minutes.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from cockpit.demo.loglines import Weather, flood_line, line

GROUP = "/ecs/avnz-api"
TICK = 0.5  # seconds between writes
PER_SECOND = 4  # lines a second, normally
FLOOD_PER_SECOND = 2000
FLOOD_SECONDS = 120.0
HISTORY_SECONDS = 600
PUT_BATCH = 10_000  # PutLogEvents takes at most 10,000 events (and 1 MB) per call


def task_streams(rng: random.Random, count: int = 2) -> list[str]:
    """Stream names as ECS's awslogs driver makes them: `ecs/<container>/<task id>`."""
    return [f"ecs/api/{rng.getrandbits(128):032x}" for _ in range(count)]


class LogWriter:
    """Writes lines to `GROUP` through `client` (a boto3 `logs` client) until `stop()`.

    `weather()` is asked every tick; `flood` may be switched any time. Errors are counted
    and kept in `last_error` (the writer goes on: moto may be busy for a moment).
    """

    def __init__(self, client, weather: Callable[[], Weather], *, seed: int | None = None) -> None:
        self.client = client
        self.weather = weather
        self._flood_until = 0.0  # time.monotonic() when the flood ends by itself
        self.written = 0
        self.errors = 0
        self.last_error = ""
        self._rng = random.Random(seed)
        self.streams = task_streams(self._rng)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-logs", daemon=True)

    def start(self) -> LogWriter:
        """Create the group and streams, write the history, then write live in a thread."""
        try:
            self.client.create_log_group(logGroupName=GROUP)
        except self.client.exceptions.ResourceAlreadyExistsException:
            pass
        for stream in self.streams:
            self.client.create_log_stream(logGroupName=GROUP, logStreamName=stream)
        now = time.time()
        self._write(self._lines(PER_SECOND * HISTORY_SECONDS, now - HISTORY_SECONDS, now - TICK))
        self._thread.start()
        return self

    @property
    def flood(self) -> bool:
        """True while flooding."""
        return time.monotonic() < self._flood_until

    def start_flood(self, seconds: float = FLOOD_SECONDS) -> None:
        """Write `FLOOD_PER_SECOND` lines a second for `seconds` (or until `stop_flood()`)."""
        self._flood_until = time.monotonic() + seconds

    def stop_flood(self) -> None:
        self._flood_until = 0.0

    def stop(self) -> None:
        """Stop writing (waits for the write in flight, at most a few seconds)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        last = time.time()
        while not self._stop.wait(TICK):
            now = time.time()
            flood = self.flood
            rate = FLOOD_PER_SECOND if flood else PER_SECOND
            count = max(0, round(rate * (now - last) + self._rng.uniform(-1, 1)))
            try:
                self._write(self._lines(count, last, now, flood))
            except Exception as error:  # noqa: BLE001 - a demo writer must outlive a hiccup of moto
                self.errors += 1
                self.last_error = f"{type(error).__name__}: {error}"
            last = now

    def _lines(self, count: int, start: float, end: float, flood: bool = False) -> dict[str, list[tuple[int, str]]]:
        """`count` lines stamped between `start` and `end` (epoch seconds), spread over the streams."""
        weather = self.weather()
        by_stream: dict[str, list[tuple[int, str]]] = {stream: [] for stream in self.streams}
        for _ in range(count):
            stamp = int(self._rng.uniform(start, end) * 1000)
            text = flood_line(self._rng) if flood and self._rng.random() < 0.9 else line(self._rng, weather)
            by_stream[self._rng.choice(self.streams)].append((stamp, text))
        return by_stream

    def _write(self, by_stream: dict[str, list[tuple[int, str]]]) -> None:
        for stream, events in by_stream.items():
            events.sort()
            for first in range(0, len(events), PUT_BATCH):
                batch = [{"timestamp": ts, "message": text} for ts, text in events[first:first + PUT_BATCH]]
                self.client.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=batch)
                self.written += len(batch)
