"""A request budget shared by threads: a token bucket (CloudWatch throttles per account)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RequestBudget:
    """At most `rate` requests per second on average, bursts of up to `burst` (default: one second's worth).

    `take()` blocks the calling thread until a request may go, or returns False when
    `stop` is set first. Thread-safe; fair enough for a handful of pollers.
    """

    def __init__(self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = float(rate)
        self.burst = max(1.0, float(burst if burst is not None else rate))
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def try_take(self) -> float:
        """Take a request slot and return 0, or return the seconds until one is free."""
        with self._lock:
            return self._wait_needed()

    def _wait_needed(self) -> float:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def take(self, stop: threading.Event | None = None) -> bool:
        """Wait for a request slot; False when `stop` was set while waiting."""
        while True:
            wait = self.try_take()
            if wait <= 0:
                return True
            if stop is not None:
                if stop.wait(wait):
                    return False
            else:
                time.sleep(wait)
