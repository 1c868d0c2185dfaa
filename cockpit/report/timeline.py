"""The run's events as the report's timeline, actions, rollbacks and participants (cleaned on the way)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from cockpit.journal import Event
from cockpit.journal.progress import ACTION, ALARM, ALARM_PREFIX, CHECK, NOTE, OVERRIDE, ROLLBACK, ROLLBACK_PREFIX, SERVICE, SERVICE_PREFIX, TICK, UNTICK
from cockpit.journal.records import ActionEntry, RollbackEntry
from cockpit.report.clean import clean, web_link
from cockpit.report.model import ActionReport, Participant, RollbackReport, TimelineEntry

# What a participant did, by the kind (and phase) of the events they journaled; outcomes are not counted twice.
_DID = {TICK: "ticks", UNTICK: "unticks", NOTE: "notes", CHECK: "checks", OVERRIDE: "gate overrides", ALARM: "alarm transitions seen",
        SERVICE: "deploys seen"}


def revision(arn: Any) -> str:
    """`family:revision` of a task definition ARN (what a person reads)."""
    return clean(str(arn or "").rsplit("/", 1)[-1], 120)


def _target(what: Any) -> str:
    """What an action acted on: the workflow, the Slack channel, or the command's first line."""
    what = what if isinstance(what, dict) else {}
    if what.get("workflow"):
        return clean(f"{what['workflow']} @ {what.get('ref') or '?'} of {what.get('repository') or '?'}", 200)
    if what.get("channel"):
        return clean(what["channel"], 80)
    return clean(str(what.get("run", "")).strip().split("\n", 1)[0], 120)


def action_report(entry: ActionEntry) -> ActionReport:
    """One action: its intent, how it ended, its evidence and its run's URL."""
    intent, outcome = entry.intent, entry.outcome
    p = intent.payload
    done = outcome.payload if outcome is not None else {}
    evidence = clean(done.get("evidence")) if outcome is not None else "no outcome in the journal: what was sent is unknown"
    return ActionReport(intent.step_id, int(p.get("index", 0) or 0), clean(p.get("kind"), 40), _target(p.get("what")), entry.status,
                        intent.at, clean(intent.who), outcome.at if outcome is not None else "", evidence, web_link(done.get("html_url")),
                        clean(entry.acknowledged.who) if entry.acknowledged is not None else "")


def rollback_reports(entries: Sequence[RollbackEntry]) -> tuple[RollbackReport, ...]:
    """Each rollback, from its intent to its outcome ("no outcome": the cockpit stopped before it wrote one)."""
    found: list[RollbackReport] = []
    open_by_service: dict[str, int] = {}
    for e in entries:
        p = e.payload
        if e.phase == "intent" or e.service not in open_by_service:
            open_by_service[e.service] = len(found)
            found.append(RollbackReport(clean(e.service), revision(p.get("from")), revision(p.get("to")), e.at, clean(e.by), "", "no outcome",
                                        None, "no outcome in the journal: check ECS"))
        if e.phase == "outcome":
            at = open_by_service.pop(e.service)
            r = found[at]
            found[at] = RollbackReport(r.service, r.from_revision, r.to_revision, r.started_at, r.by, e.at, clean(p.get("status"), 40), e.ok,
                                       clean(p.get("reason")), clean(p.get("health")))
    return tuple(found)


def _text(e: Event) -> tuple[str, str, str]:
    """(subject, one line, link) of an event for the timeline."""
    p = e.payload
    if e.kind == TICK:
        why = f" (override: {clean(p['override'])})" if p.get("override") else f": {clean(p['evidence'])}" if p.get("evidence") else ""
        return e.step_id, f"ticked{why}", ""
    if e.kind == UNTICK:
        return e.step_id, "unticked", ""
    if e.kind == NOTE:
        return e.step_id, f"note: {clean(p.get('text'))}", ""
    if e.kind == CHECK:
        return e.step_id, f"check {clean(p.get('status'), 40).upper()}: {clean(p.get('evidence'))}", ""
    if e.kind == OVERRIDE:
        return e.step_id, f"gate overridden: {clean(p.get('reason'))} (not green: {clean('; '.join(map(str, p.get('gate') or [])))})", ""
    if e.kind == ACTION:
        return e.step_id, _action_text(p), web_link(p.get("html_url")) if p.get("phase") == "outcome" else ""
    if e.kind == ROLLBACK:
        return e.step_id[len(ROLLBACK_PREFIX):], _rollback_text(p), ""
    if e.kind == ALARM:
        was = clean(p.get("previous"), 40)
        reason = f": {clean(p.get('reason'))}" if p.get("reason") else ""
        change = f"{was} → {clean(p.get('state'), 40)}" if was else f"first seen {clean(p.get('state'), 40)}"
        return e.step_id[len(ALARM_PREFIX):], change + reason, ""
    if e.kind == SERVICE:
        return e.step_id[len(SERVICE_PREFIX):], f"rolled out: {revision(p.get('task_definition'))}", ""
    return e.step_id, clean(e.kind, 40), ""


def _action_text(p: dict[str, Any]) -> str:
    number = f"action {int(p.get('index', 0) or 0) + 1} ({clean(p.get('kind'), 40)})"
    phase = p.get("phase")
    if phase == "intent":
        return f"{number} started: {_target(p.get('what'))}"
    if phase == "acknowledged":
        return "earlier outcome unknown: acknowledged, run again"
    word = "UNKNOWN" if p.get("unknown") else "passed" if p.get("ok") else "FAILED"
    return f"{number} {word}: {clean(p.get('evidence'))}"


def _rollback_text(p: dict[str, Any]) -> str:
    phase = p.get("phase")
    if phase == "intent":
        return f"rollback asked: {revision(p.get('from'))} → {revision(p.get('to'))}"
    if phase == "started":
        return f"rollback started (deployment {clean(p.get('deployment'), 80) or 'not reported'})"
    health = f"; health: {clean(p.get('health'))}" if p.get("health") else ""
    return f"rollback {clean(p.get('status'), 40)}: {clean(p.get('reason'))}{health}"


def timeline(events: Sequence[Event]) -> tuple[TimelineEntry, ...]:
    """Every event in time order (commit order among equal times)."""
    entries = []
    for e in sorted(events, key=lambda e: (e.at, e.id)):
        subject, text, link = _text(e)
        entries.append(TimelineEntry(e.at, clean(e.who), clean(e.kind, 40), clean(subject, 200), text, link))
    return tuple(entries)


def _did(e: Event) -> str:
    if e.kind == ACTION:
        return "actions run" if e.payload.get("phase") == "intent" else ""
    if e.kind == ROLLBACK:
        return "rollbacks run" if e.payload.get("phase") == "intent" else ""
    return _DID.get(e.kind, clean(e.kind, 40))


def participants(events: Sequence[Event]) -> tuple[Participant, ...]:
    """Who journaled what, in order of their first event."""
    by_who: dict[str, list[Event]] = {}
    for e in sorted(events, key=lambda e: (e.at, e.id)):
        by_who.setdefault(e.who, []).append(e)
    people = []
    for who, theirs in by_who.items():
        counts = Counter(d for d in map(_did, theirs) if d)
        people.append(Participant(clean(who), tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), theirs[0].at, theirs[-1].at))
    return tuple(people)
