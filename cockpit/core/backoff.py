"""Retry delays: exponential, capped, with jitter so many cockpits do not retry in step."""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_delay(failures: int, interval: float, cap: float, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after `failures` consecutive failures (0: the normal interval).

    The delay doubles per failure from `interval` up to `cap`, and is drawn from the
    upper half of that value ("equal jitter"): never shorter than half, never over `cap`.
    """
    if failures <= 0:
        return interval
    base = min(cap, interval * 2 ** min(failures, 30))
    return max(interval, base / 2 + rand() * base / 2) if base > interval else base
