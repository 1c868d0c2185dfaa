"""The outcome of one automated check."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

PASS = "pass"
FAIL = "fail"


@dataclass(frozen=True)
class CheckResult:
    """Pass or fail, with the evidence an operator would have copied from a terminal.

    `evidence` never holds a secret: URLs are masked and variable values are not read out.
    """

    status: str
    evidence: str
    latency_ms: float | None = None

    @property
    def passed(self) -> bool:
        """True for a pass."""
        return self.status == PASS

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
