"""`cockpit status` and `cockpit runs`: the journal as text or JSON, for people and scripts."""

from __future__ import annotations

import json
from typing import Any

from cockpit.core.text import one_line
from cockpit.journal import StepState, fold
from cockpit.journal.opening import JournalStore
from cockpit.journal.progress import run_counts
from cockpit.journal.records import alarm_entries, rollback_entries, step_status
from cockpit.journal.session import RunSession
from cockpit.runbook import Environment, Runbook


def status_report(runbook: Runbook, env: Environment, journal: JournalStore, who: str) -> dict[str, Any]:
    """The current run of `runbook` in `env`: every step with status, who and when."""
    session = RunSession(journal, runbook.id, runbook.version, env.name, who)
    events = session.events_after(0)
    states = fold(events)
    run = session.run
    steps = []
    for phase in runbook.phases:
        applies = phase.applies_to(env.name)
        for step in phase.steps:
            state = states.get(step.id, StepState())
            steps.append(
                {
                    "phase": phase.id,
                    "id": step.id,
                    "title": step.title,
                    "kind": step.kind,
                    "status": step_status(step, applies, state),
                    "by": state.by or None,
                    "at": state.at or None,
                    "contingency": phase.contingency,
                    "notes": [{"who": n.who, "at": n.at, "text": n.text} for n in state.notes],
                    "evidence": state.evidence or None,
                    "override": state.override or None,
                    "check": None if state.check is None else {
                        "status": state.check.status,
                        "evidence": state.check.evidence,
                        "latency_ms": state.check.latency_ms,
                        "by": state.check.who,
                        "at": state.check.at,
                    },
                }
            )
    rollbacks = [
        {"service": r.service, "phase": r.phase, "from": r.payload.get("from"), "to": r.payload.get("to"),
         "status": r.payload.get("status"), "reason": r.payload.get("reason"), "at": r.at, "by": r.by}
        for r in rollback_entries(events)
    ]
    alarms = [
        {"name": a.name, "state": a.state, "previous": a.previous or None, "reason": a.reason or None, "at": a.at, "seen_by": a.seen_by}
        for a in alarm_entries(events)
    ]
    done, total = run_counts(runbook.phases, env.name, states)
    return {
        "runbook": {"id": runbook.id, "name": runbook.name, "version": runbook.version},
        "environment": env.name,
        "run": None if run is None else {"id": run.id, "started_at": run.started_at, "started_by": run.started_by},
        "progress": {"done": done, "total": total},
        "steps": steps,
        "alarms": alarms,
        "rollbacks": rollbacks,
    }


_MARKS = {"done": "[x]", "open": "[ ]", "info": " i ", "not-applicable": " - "}


def format_status(report: dict[str, Any]) -> str:
    """The status report as aligned text, a line per step."""
    run = report["run"]
    where = f"run #{run['id']} started {run['started_at']} by {run['started_by']}" if run else "no run yet"
    progress = report["progress"]
    lines = [
        f"{report['runbook']['name']} v{report['runbook']['version']} · {report['environment']} · {where}",
        f"{progress['done']}/{progress['total']} steps done",
    ]
    phase = None
    for step in report["steps"]:
        if step["phase"] != phase:
            phase = step["phase"]
            lines.append("")
        who = f"  {step['by']} {step['at']}" if step["status"] == "done" else ""
        lines.append(f"{_MARKS[step['status']]} {step['id']:<28} {one_line(step['title'], 60)}{who}")
        if step["override"] and step["status"] == "done":
            lines.append(f"      OVERRIDE: {one_line(step['override'], 300)}")
        if step["check"]:
            c = step["check"]
            lines.append(f"      check {c['status'].upper()} {c['at']} {c['by']}: {one_line(c['evidence'], 200)}")
        lines += [f"      note {n['at']} {n['who']}: {one_line(n['text'], 300)}" for n in step["notes"]]
    if report["rollbacks"]:
        lines += ["", "Rollbacks:"]
        for r in report["rollbacks"]:
            what = f"{(r['from'] or '').rsplit('/', 1)[-1]} → {(r['to'] or '').rsplit('/', 1)[-1]}"
            result = f": {r['status']} {one_line(r['reason'] or '', 200)}" if r["phase"] == "outcome" else ""
            lines.append(f"  {r['at']} {r['by']} {r['service']} {r['phase']} {what}{result}")
    if report["alarms"]:
        lines += ["", "Alarm states seen (CloudWatch):"]
        for a in report["alarms"]:
            was = f" (was {a['previous']})" if a["previous"] else ""
            why = f": {one_line(a['reason'], 200)}" if a["reason"] else ""
            lines.append(f"  {a['at']} {one_line(a['name'], 60)} {a['state']}{was}{why}")
    return "\n".join(lines)


def status_json(report: dict[str, Any]) -> str:
    """The status report as JSON."""
    return json.dumps(report, indent=2, ensure_ascii=False)


def runs_table(journal: JournalStore) -> list[dict[str, Any]]:
    """Every run in the journal with its event count and last activity."""
    counts = journal.event_counts()
    return [
        {
            "id": run.id,
            "runbook": run.runbook_id,
            "version": run.runbook_version,
            "environment": run.environment,
            "started_at": run.started_at,
            "started_by": run.started_by,
            "events": counts.get(run.id, (0, None))[0],
            "last_event_at": counts.get(run.id, (0, None))[1],
        }
        for run in journal.runs()
    ]


def format_runs(rows: list[dict[str, Any]]) -> str:
    """The runs as a text table."""
    if not rows:
        return "no runs yet"
    lines = [f"{'RUN':>4}  {'RUNBOOK':<18} {'VER':<5} {'ENV':<11} {'STARTED':<25} {'BY':<24} {'EVENTS':>6}  LAST"]
    for r in rows:
        lines.append(
            f"{r['id']:>4}  {r['runbook']:<18} {r['version']:<5} {r['environment']:<11} {r['started_at']:<25} "
            f"{r['started_by']:<24} {r['events']:>6}  {r['last_event_at'] or '-'}"
        )
    return "\n".join(lines)

