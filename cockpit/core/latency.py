"""Rolling latency windows: samples over the last few minutes, and their percentiles."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile (`fraction` in 0..1) of `values`, or None when empty.

    Nearest rank never invents a latency that was not measured, so a p99 over few
    samples is the worst one seen rather than an interpolation.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class LatencyWindow:
    """Latency samples (monotonic seconds, milliseconds) of the last `seconds`.

    Bounded by `max_samples` too, so a fast poller cannot grow it without limit.
    """

    def __init__(self, seconds: float = 300.0, max_samples: int = 2000) -> None:
        self.seconds = seconds
        self._samples: deque[tuple[float, float]] = deque(maxlen=max_samples)

    def add(self, at: float, latency_ms: float) -> None:
        """Record one sample taken at monotonic time `at`."""
        self._samples.append((at, latency_ms))
        self._expire(at)

    def _expire(self, now: float) -> None:
        while self._samples and self._samples[0][0] < now - self.seconds:
            self._samples.popleft()

    def values(self, now: float | None = None) -> list[float]:
        """The latencies still in the window, oldest first."""
        if now is not None:
            self._expire(now)
        return [ms for _, ms in self._samples]

    def samples(self, now: float | None = None) -> list[tuple[float, float]]:
        """(time, latency) pairs still in the window, oldest first."""
        if now is not None:
            self._expire(now)
        return list(self._samples)

    def p50(self, now: float | None = None) -> float | None:
        """Median latency of the window."""
        return percentile(self.values(now), 0.50)

    def p99(self, now: float | None = None) -> float | None:
        """99th percentile latency of the window."""
        return percentile(self.values(now), 0.99)
