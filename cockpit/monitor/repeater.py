"""A daemon thread that repeats a blocking job (boto3 calls) until stopped.

Daemon, not a Textual thread worker: quitting must never wait for an AWS call in flight
(up to connect + read timeout); the process simply exits under it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from cockpit.core.backoff import backoff_delay
from cockpit.probes.aws.errors import THROTTLED, classify_aws


class Repeater:
    """Runs `body(stop)` in a daemon thread named `name`; `stop()` asks it to end."""

    def __init__(self, name: str, body: Callable[[threading.Event], None]) -> None:
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self._thread = threading.Thread(target=body, args=(self.stop_event,), name=name, daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end at its next wait (it is not joined)."""
        self.stop_event.set()
        self.wake_event.set()

    def wake(self) -> None:
        """Cut the current wait short (new work is waiting)."""
        self.wake_event.set()

    def sleep(self, seconds: float) -> bool:
        """Wait `seconds`, or less when woken; False when stopped."""
        self.wake_event.wait(max(0.0, seconds))
        self.wake_event.clear()
        return not self.stop_event.is_set()

    @property
    def alive(self) -> bool:
        """True while the thread runs."""
        return self._thread.is_alive()


class PollingWatch:
    """Calls `read()` every `interval` seconds in a daemon thread and reports the result; on a
    failure reports `failed(reason, throttled, retry_in)` and backs off (transient problems
    with jitter up to `max_backoff`, the rest straight to `max_backoff`)."""

    def __init__(self, name: str, interval: float, max_backoff: float, report: Callable[[object], None],
                 failed: Callable[[str, bool, float], object]) -> None:
        self.name = name
        self.interval = interval
        self.max_backoff = max_backoff
        self.report = report
        self.failed = failed
        self.thread = Repeater(name, self._run)

    def read(self) -> object:
        """One reading (subclasses; blocking, may raise anything boto3 raises)."""
        raise NotImplementedError

    def start(self) -> None:
        """Start polling."""
        self.thread.start()

    def stop(self) -> None:
        """Stop at the next wait."""
        self.thread.stop()

    def refresh(self) -> None:
        """Poll now."""
        self.thread.wake()

    def _run(self, stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                self.report(self.read())
                failures, delay = 0, self.interval
            except Exception as exc:  # AwsProblem, or boto3's own while building the client
                problem = classify_aws(exc, self.name)
                failures += 1
                delay = backoff_delay(failures, self.interval, self.max_backoff) if problem.transient else self.max_backoff
                self.report(self.failed(problem.reason, problem.kind == THROTTLED, delay))
            if not self.thread.sleep(delay):
                return
