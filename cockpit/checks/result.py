"""The outcome of one automated check."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

PASS = "pass"
FAIL = "fail"
# The check could not judge what it is for: cockpit's own process was too busy (its
# event loop stalled), so a latency over the limit may be cockpit's, not the backend's;
# or its evidence is missing (no traffic in the window, metrics not configured, AWS not
# readable). Not a pass: it never ticks a step, and `cockpit check` exits 1.
INCONCLUSIVE = "inconclusive"
STATUSES = (PASS, FAIL, INCONCLUSIVE)


@dataclass(frozen=True)
class CheckResult:
    """Pass, fail or inconclusive, with the evidence an operator would have copied from a terminal.

    `evidence` never holds a secret: URLs are masked and variable values are not read out.
    """

    status: str
    evidence: str
    latency_ms: float | None = None

    @property
    def passed(self) -> bool:
        """True for a pass (an inconclusive result is not one)."""
        return self.status == PASS

    @property
    def inconclusive(self) -> bool:
        """True when the check could not judge (see INCONCLUSIVE)."""
        return self.status == INCONCLUSIVE

    def to_payload(self) -> dict[str, Any]:
        """The journal / JSON form."""
        payload = asdict(self)
        if self.latency_ms is not None:
            payload["latency_ms"] = round(self.latency_ms, 3)
        return payload


def passed(evidence: str, latency_ms: float | None = None) -> CheckResult:
    """A pass."""
    return CheckResult(PASS, evidence, latency_ms)


def failed(evidence: str, latency_ms: float | None = None) -> CheckResult:
    """A fail."""
    return CheckResult(FAIL, evidence, latency_ms)


def inconclusive(evidence: str, latency_ms: float | None = None) -> CheckResult:
    """No verdict: the measurement was disturbed or its evidence is missing (the evidence says which)."""
    return CheckResult(INCONCLUSIVE, evidence, latency_ms)
