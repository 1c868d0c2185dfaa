"""The runbook's CloudWatch alarms: state, since when, and why (via describe_alarms)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cockpit.core.logline import clean_message
from cockpit.probes.aws.errors import classify_aws

NOT_FOUND = "NOT FOUND"
BATCH = 100  # describe_alarms takes at most 100 names


@dataclass(frozen=True)
class AlarmState:
    """One alarm as CloudWatch reports it; `state` is OK, ALARM, INSUFFICIENT_DATA or NOT FOUND."""

    name: str
    state: str
    since: datetime | None = None
    reason: str = ""

    @property
    def firing(self) -> bool:
        """True in ALARM."""
        return self.state == "ALARM"


def _state(raw: dict[str, Any]) -> AlarmState:
    since = raw.get("StateUpdatedTimestamp")
    return AlarmState(
        name=str(raw.get("AlarmName", "")),
        state=clean_message(str(raw.get("StateValue", "")), 40),
        since=since if isinstance(since, datetime) else None,
        reason=clean_message(str(raw.get("StateReason", "")), 600),
    )


def read_alarms(client: Any, names: Sequence[str]) -> tuple[AlarmState, ...]:
    """The state of each alarm in `names`, in that order (NOT FOUND when CloudWatch has none).

    Metric and composite alarms both count. Raises AwsProblem.
    """
    found: dict[str, AlarmState] = {}
    try:
        for i in range(0, len(names), BATCH):
            token = None
            while True:
                args: dict[str, Any] = {"AlarmNames": list(names[i : i + BATCH]), "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}
                if token:
                    args["NextToken"] = token
                page = client.describe_alarms(**args)
                for raw in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                    state = _state(raw)
                    found[state.name] = state
                token = page.get("NextToken")
                if not token:
                    break
    except Exception as exc:
        raise classify_aws(exc, "describe_alarms") from exc
    return tuple(found.get(name, AlarmState(name, NOT_FOUND)) for name in names)
