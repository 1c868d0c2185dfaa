"""Judge a burst of latency samples against a threshold's limit (pure: no I/O, no clock).

A p99 over the limit is a fail only when the backend made it so. Two things can make a
measurement say nothing about the backend, and then the verdict is `inconclusive`:
- cockpit's own event loop stalled (see `cockpit.checks.lag`) during the samples that
  are over the limit: the samples untouched by a stall larger than the budget do not
  fail on their own;
- time ran out before enough samples were taken, and too few of those that were are
  over the limit to put a p99 of the full count over it (one slow answer among 40 is
  not a p99).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from cockpit.checks.lag import Stall
from cockpit.checks.result import FAIL, INCONCLUSIVE, PASS
from cockpit.core.latency import percentile

PERCENTILE = 0.99
LAG_FRACTION = 0.1  # a stall longer than a tenth of the limit can carry a sample over it…
LAG_FLOOR_MS = 2.0  # …and never less than twice asyncio's 1 ms timer granularity


@dataclass(frozen=True)
class Timed:
    """One sample: when it started and ended (the lag monitor's clock, seconds) and its latency."""

    start: float
    end: float
    ms: float


@dataclass(frozen=True)
class Verdict:
    """The status, the p99 of every sample, and the evidence text."""

    status: str
    p99_ms: float
    text: str


def lag_budget_ms(limit_ms: float) -> float:
    """The longest stall of cockpit's own loop a sample may overlap and still count as clean."""
    return max(LAG_FLOOR_MS, limit_ms * LAG_FRACTION)


def overs_needed(target: int) -> int:
    """How many samples over the limit put the p99 of `target` samples over it (nearest rank)."""
    return target - math.ceil(PERCENTILE * target) + 1


def _p99(values: Sequence[float]) -> float:
    return percentile(values, PERCENTILE) or 0.0


def _definitely_over(values: Sequence[float], limit_ms: float, target: int) -> bool:
    """True when these samples put a p99 over the limit, and more samples could not change that."""
    if not values or _p99(values) <= limit_ms:
        return False
    return len(values) >= target or sum(v > limit_ms for v in values) >= overs_needed(target)


def judge(
    samples: Sequence[Timed],
    stalls: Sequence[Stall],
    limit_ms: float,
    *,
    target: int,
    what: str,
    cut: str = "",
    action: str = "",
    lag_max_ms: float = 0.0,
) -> Verdict:
    """The verdict on `samples` (at least one) against `limit_ms`.

    `target` is how many samples the check meant to take, `what` names them ("PINGs"),
    `cut` says why there are fewer (" (all that fit in 7.5 s)"), `action` is the plan's
    action when the limit is exceeded, `lag_max_ms` the worst wake-up seen (stall or not).
    """
    values = [s.ms for s in samples]
    p99 = _p99(values)
    head = f"p99 {p99:.2f} ms over {len(samples)} {what}{cut}"
    lag_note = f"cockpit's loop lag ≤ {lag_max_ms:.1f} ms"
    if p99 <= limit_ms:
        return Verdict(PASS, p99, f"{head} < {limit_ms:g} ms limit · {lag_note}")
    budget = lag_budget_ms(limit_ms)
    big = [st for st in stalls if st.ms > budget]
    disturbed = {i for i, s in enumerate(samples) if any(st.overlaps(s.start, s.end) for st in big)}
    fail_text = f"{head} > {limit_ms:g} ms limit: {action or 'over the limit'}"
    if not disturbed:
        if _definitely_over(values, limit_ms, target):
            return Verdict(FAIL, p99, f"{fail_text} · {lag_note}")
        over = sum(v > limit_ms for v in values)
        return Verdict(
            INCONCLUSIVE, p99,
            f"{head} > {limit_ms:g} ms limit, but only {over} of them over it: too few samples to judge a p99 "
            f"(it takes {overs_needed(target)} of {target} over the limit) · {lag_note}",
        )
    clean = [s.ms for i, s in enumerate(samples) if i not in disturbed]
    worst = max(st.ms for st in big)
    stalled = f"cockpit's own event loop stalled up to {worst:.1f} ms (budget {budget:g} ms, a tenth of the limit) during {len(disturbed)} of them"
    if _definitely_over(clean, limit_ms, target):
        return Verdict(FAIL, p99, f"{fail_text} · {stalled}, and the other {len(clean)} are over the limit too (p99 {_p99(clean):.2f} ms)")
    others = f"; the other {len(clean)}: p99 {_p99(clean):.2f} ms" if clean else ""
    return Verdict(
        INCONCLUSIVE, p99,
        f"{head} > {limit_ms:g} ms limit, but {stalled}{others}: cockpit was too busy to measure, run the check again",
    )
