"""The report as GitHub-flavoured Markdown that pastes as is into release notes and tickets.

Outside text is escaped (cockpit/report/escape.py); the only links are the ones cockpit made
(a workflow run's page), and no HTML is ever written.
"""

from __future__ import annotations

from collections.abc import Sequence

from cockpit.report.escape import cell, code_id, link, md
from cockpit.report.model import ActionReport, Item, PhaseReport, Report, StepReport

_MARKS = {"done": "[x]", "open": "[ ]", "info": "(info)", "not-applicable": "(n/a)"}


def when(at: str) -> str:
    """A journal time as `2026-11-27 21:00:01` (the report says once that times are UTC); '' stays ''."""
    return f"{at[:10]} {at[11:19]}" if len(at) >= 19 and at[10] == "T" else at


def duration(seconds: float | None) -> str:
    """`1 h 05 min`, `12 min`, `40 s`; '–' for none."""
    if seconds is None:
        return "–"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    hours, minutes = divmod(whole // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def singular(what: str) -> str:
    """'ticks' → 'tick', 'alarm transitions seen' → 'alarm transition seen': the first plural word made singular."""
    words = what.split(" ")
    plural = next((i for i, w in enumerate(words) if w.endswith("s")), None)
    if plural is not None:
        words[plural] = words[plural][:-1]
    return " ".join(words)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    return [_row(*head), _row(*("---" for _ in head)), *(_row(*r) for r in rows), ""]


def _header(r: Report) -> list[str]:
    env = f"**PRODUCTION** ({md(r.environment)})" if r.production else md(r.environment)
    title = f"# Release report: {md(r.runbook_name)} {md('v' + r.runbook_version)}, {'PRODUCTION' if r.production else md(r.environment)}"
    run = "no run yet" if r.run_id is None else f"#{r.run_id}, started {when(r.started_at)} by {md(r.started_by)}"
    lines = [title, ""]
    if r.production:
        lines += ["> **PRODUCTION**: this run changed the production environment.", ""]
    return lines + _table(("", ""), [
        ("Runbook", f"{md(r.runbook_name)} ({code_id(r.runbook_id)}) {md('v' + r.runbook_version)}"),
        ("Environment", env),
        ("Run", run),
        ("Generated", f"{when(r.generated_at)} (all times UTC)"),
        ("Progress", f"{r.done}/{r.total} steps done"),
        ("Status", f"**{md(r.status)}**"),
    ])


def _items(title: str, items: tuple[Item, ...], empty: str) -> list[str]:
    """The failed or left-open list: one line each, steps not done one line per phase."""
    lines = [f"## {title}", ""]
    phases: dict[str, list[Item]] = {}
    for i in items:
        if i.kind == "step":
            phases.setdefault(i.group, []).append(i)
        else:
            at = f" at {when(i.at)}" if i.at else ""
            lines.append(f"- {md(i.kind)} {code_id(i.subject)}{at}: {md(i.text)}")
    if phases:
        count = sum(map(len, phases.values()))
        lines.append(f"- {count} step{'' if count == 1 else 's'} not done:")
        lines += [f"  - {md(group)}: " + ", ".join(f"{code_id(i.subject)} {md(i.text)}" for i in steps) for group, steps in phases.items()]
    return lines + ([""] if len(lines) > 2 else [empty, ""])


def _planned(phase: PhaseReport) -> str:
    return f"{phase.planned_minutes} min" if phase.planned_minutes is not None else "–"


def _actual(phase: PhaseReport) -> str:
    if phase.actual_seconds is None:
        return phase.status
    text = duration(phase.actual_seconds) + (" so far" if phase.status == "in progress" else "")
    return f"**{text}, over plan**" if phase.over_plan else text


def _phases(r: Report) -> list[str]:
    rows = [(md(p.title) + (" (contingency)" if p.contingency else ""), md(p.status), _planned(p), _actual(p), f"{p.done}/{p.total}")
            for p in r.phases]
    lines = ["## Phases", "", *_table(("Phase", "Status", "Planned", "Actual (first to last event)", "Steps done"), rows)]
    for p in r.phases:
        if p.status in ("not applicable",) or (p.contingency and p.status == "not started"):
            continue
        lines += [f"### {md(p.title)}", ""]
        if p.started_at:
            lines += [f"{when(p.started_at)} to {when(p.ended_at)}: {duration(p.actual_seconds)}, planned {_planned(p)}", ""]
        for s in p.steps:
            lines += _step(s)
        lines.append("")
    return lines


def _step(s: StepReport) -> list[str]:
    who = f", by {md(s.by)} at {when(s.at)}" if s.status == "done" else ""
    lines = [f"- {_MARKS.get(s.status, md(s.status))} {code_id(s.id)} {md(s.title)}{who}"]
    if s.override and s.status == "done":
        lines.append(f"  - **ticked without a passing check**, override: {md(s.override)}")
    elif s.evidence and s.status == "done":
        lines.append(f"  - evidence: {md(s.evidence)}")
    if s.check is not None:
        word = s.check.status.upper() if s.check.status != "pass" else "pass"
        lines.append(f"  - check **{md(word)}** at {when(s.check.at)} by {md(s.check.by)}: {md(s.check.evidence)}")
    lines += [f"  - note by {md(n.by)} at {when(n.at)}: {md(n.text)}" for n in s.notes]
    return lines


def _action_link(a: ActionReport) -> str:
    return link("run", a.link) if a.link else "–"


def _activity(r: Report) -> list[str]:
    lines = ["## Timeline", ""]
    lines += _table(("Time (UTC)", "Who", "What", "Subject", "Details"),
                    [(when(t.at), md(t.who), md(t.kind), code_id(t.subject), md(t.text) + (f" ({link('run', t.link)})" if t.link else ""))
                     for t in r.timeline]) if r.timeline else ["Nothing journaled.", ""]
    lines += ["## Actions", ""]
    lines += _table(("Step", "Action", "Status", "Started (UTC)", "By", "Evidence", "Link"),
                    [(code_id(a.step_id), f"{a.index + 1} {md(a.kind)}: {md(a.target)}", _status_word(a.status), when(a.started_at), md(a.by), cell(a.evidence),
                      _action_link(a)) for a in r.actions]) if r.actions else ["No actions run.", ""]
    lines += ["## Rollbacks", ""]
    lines += _table(("Service", "From", "To", "Started (UTC)", "By", "Outcome", "Reason"),
                    [(code_id(b.service), md(b.from_revision), md(b.to_revision), when(b.started_at), md(b.by),
                      md(b.status) if b.ok else f"**{md(b.status)}**", cell(b.reason + (f"; health: {b.health}" if b.health else "")))
                     for b in r.rollbacks]) if r.rollbacks else ["No rollbacks.", ""]
    lines += ["## Alarm transitions", ""]
    lines += _table(("Time (UTC)", "Alarm", "From", "To", "Reason"),
                    [(when(a.at), md(a.name), cell(a.previous), f"**{md(a.state)}**" if a.state == "ALARM" else md(a.state), cell(a.reason))
                     for a in r.alarms]) if r.alarms else ["No alarm changed state.", ""]
    return lines


def _status_word(status: str) -> str:
    return md(status) if status == "passed" else f"**{md(status.upper())}**"


def _participants(r: Report) -> list[str]:
    lines = ["## Participants", ""]
    rows = [(md(p.who), md(", ".join(f"{n} {what if n != 1 else singular(what)}" for what, n in p.did)) or "–", when(p.first_at), when(p.last_at)) for p in r.participants]
    return lines + (_table(("Who", "Did", "First (UTC)", "Last (UTC)"), rows) if rows else ["Nobody yet.", ""])


def to_markdown(report: Report) -> str:
    """The whole report as GitHub-flavoured Markdown."""
    lines = _header(report)
    lines += _items("Failed", report.failed, "Nothing failed.")
    lines += _items("Left open", report.left_open, "Nothing left open.")
    lines += _phases(report) + _activity(report) + _participants(report)
    return "\n".join(lines).rstrip("\n") + "\n"
