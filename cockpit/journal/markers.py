"""What the journal says happened, as markers on the metric charts' time axis (pure: no I/O).

Deploys (a github_workflow action's intent, its outcome when it failed or is unknown, a task
definition seen fully rolled out), rollbacks (started, and how they ended) and alarm transitions,
each at the wall-clock time the journal committed it: "p99 went up 2 minutes after the API
deploy" is then visible on the chart, not inferred. Payload text is outside text: one line,
control characters stripped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cockpit.core.text import one_line
from cockpit.journal.progress import ACTION, ALARM, ALARM_PREFIX, ROLLBACK, ROLLBACK_PREFIX, SERVICE, SERVICE_PREFIX
from cockpit.journal.store import Event

DEPLOY, ROLLBACK_KIND, ALARM_KIND = "deploy", "rollback", "alarm"
LABEL_LIMIT = 160  # a marker's label is one line of a legend: long evidence is cut, with an ellipsis
ROLLBACK_OK = ("completed", "started")  # rollback/watch.py's COMPLETED and STARTED: the outcomes that are not failures


@dataclass(frozen=True)
class Marker:
    """One thing that happened at `at` (epoch seconds): `kind` deploy, rollback or alarm; `bad` when it went wrong."""

    at: float
    kind: str
    label: str
    bad: bool = False


def epoch(stamp: str) -> float | None:
    """A journal timestamp (ISO-8601 UTC) as epoch seconds; None when it cannot be read."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return moment.timestamp() if moment.tzinfo is not None else None  # a naive time is no point on a UTC axis


def text(value: Any, limit: int = LABEL_LIMIT) -> str:
    """A payload value as one terminal-safe line."""
    return one_line(str(value if value is not None else ""), limit)


def short_task(arn: str) -> str:
    """`avnz-api:25` from a task definition ARN (or the name as given)."""
    return arn.rsplit("/", 1)[-1]


def markers(events: Iterable[Event], services: Mapping[tuple[str, int], str] | None = None) -> list[Marker]:
    """The markers of committed `events`, in time order.

    `services` names the ECS service each (step id, action index) deploys (from the runbook): a deploy's
    label names the service, else the workflow. An outcome is paired with its intent by the intent's id,
    so the events must include the intents of the outcomes they hold (all of a run's events do).
    """
    intents: dict[int, Event] = {}
    found: list[Marker] = []
    for event in sorted(events, key=lambda e: e.id):
        at = epoch(event.at)
        if at is None:
            continue
        marker = None
        if event.kind == ACTION:
            marker = _action(event, at, intents, services or {})
        elif event.kind == SERVICE and event.step_id.startswith(SERVICE_PREFIX):
            task = short_task(str(event.payload.get("task_definition", ""))) or event.step_id[len(SERVICE_PREFIX):]
            marker = Marker(at, DEPLOY, text(f"{task} live"))
        elif event.kind == ROLLBACK and event.step_id.startswith(ROLLBACK_PREFIX):
            marker = _rollback(event, at)
        elif event.kind == ALARM and event.step_id.startswith(ALARM_PREFIX):
            marker = _alarm(event, at)
        if marker is not None:
            found.append(marker)
    return sorted(found, key=lambda m: m.at)


def _action(event: Event, at: float, intents: dict[int, Event], services: Mapping[tuple[str, int], str]) -> Marker | None:
    p = event.payload
    phase = p.get("phase")
    if phase == "intent":
        intents[event.id] = event
        if p.get("kind") != "github_workflow":
            return None
        return Marker(at, DEPLOY, text(f"deploy started: {_deployed(event, services)} ({event.step_id}) by {p.get('who') or event.who}"))
    if phase != "outcome" or p.get("ok") is True:
        return None
    intent = intents.get(_int(p.get("intent")))
    if (intent.payload if intent else p).get("kind") != "github_workflow":
        return None
    what = _deployed(intent, services) if intent is not None else event.step_id
    word = "outcome UNKNOWN" if p.get("unknown") else "FAILED"
    return Marker(at, DEPLOY, text(f"deploy {word}: {what} ({event.step_id}): {text(p.get('evidence'))}"), bad=True)


def _deployed(intent: Event, services: Mapping[tuple[str, int], str]) -> str:
    """What a workflow intent deploys: the runbook's service, else the workflow's file name."""
    p = intent.payload
    index = _int(p.get("index"))
    what = p["what"] if isinstance(p.get("what"), dict) else {}
    return text(services.get((intent.step_id, index)) or what.get("workflow") or "?", 80)


def _int(value: Any) -> int:
    """A payload's number, or -1 (matches nothing) when it is not one."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return -1


def _rollback(event: Event, at: float) -> Marker | None:
    p = event.payload
    service = text(p.get("service") or event.step_id[len(ROLLBACK_PREFIX):], 80)
    if p.get("phase") == "started":
        return Marker(at, ROLLBACK_KIND, text(f"rollback started: {service} to {short_task(str(p.get('to', '')))} by {event.who}"))
    if p.get("phase") != "outcome":
        return None
    status = str(p.get("status", ""))
    ok = status in ROLLBACK_OK and p.get("healthy") is not False
    if status == "completed" and p.get("healthy") is False:
        how = f"rolled back but NOT healthy: {text(p.get('health'))}"
    elif ok:
        how = f"rolled back ({status})" if status == "completed" else f"rollback {status}, not watched to the end"
    else:
        how = f"NOT rolled back ({text(status, 40)}): {text(p.get('reason'))}"
    return Marker(at, ROLLBACK_KIND, text(f"{service} {how}"), bad=not ok)


def _alarm(event: Event, at: float) -> Marker | None:
    p = event.payload
    name = text(event.step_id[len(ALARM_PREFIX):], 80)
    state, previous = text(p.get("state"), 40), text(p.get("previous"), 40)
    if not previous and state != "ALARM":
        return None  # the first reading of a quiet alarm is no transition: it would only clutter the axis
    label = f"{name} {previous} -> {state}" if previous else f"{name} {state}"
    return Marker(at, ALARM_KIND, text(label), bad=state == "ALARM")
