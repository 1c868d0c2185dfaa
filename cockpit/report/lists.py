"""What a run left open and what failed, and the one-line status that sums them up."""

from __future__ import annotations

from collections.abc import Sequence

from cockpit.report.model import ActionReport, AlarmTransition, Item, PhaseReport, RollbackReport

FIRING = "ALARM"


def open_items(phases: Sequence[PhaseReport], actions: Sequence[ActionReport], rollbacks: Sequence[RollbackReport],
               alarms: Sequence[AlarmTransition]) -> tuple[Item, ...]:
    """Steps not done (phases of this environment, contingency plans aside), outcomes never journaled, alarms
    whose last journaled state is ALARM."""
    items = [Item("step", s.id, s.title, group=p.title) for p in phases if p.status != "not applicable" and not p.contingency
             for s in p.steps if s.status == "open"]
    items += [Item("action", a.step_id, f"action {a.index + 1} ({a.kind} {a.target}): outcome {a.status.upper()}, started by {a.by}"
                   + (f", acknowledged by {a.acknowledged_by}" if a.acknowledged_by else ""), a.started_at)
              for a in actions if a.status in ("unknown", "no outcome")]
    items += [Item("rollback", r.service, f"{r.from_revision} → {r.to_revision}: no outcome in the journal (started by {r.by}): check ECS", r.started_at)
              for r in rollbacks if r.ok is None]
    last: dict[str, AlarmTransition] = {}
    for alarm in alarms:
        last[alarm.name] = alarm
    items += [Item("alarm", a.name, f"last journaled state ALARM: {a.reason}".rstrip(": "), a.at)
              for a in last.values() if a.state == FIRING]
    return tuple(items)


def failed_items(phases: Sequence[PhaseReport], actions: Sequence[ActionReport], rollbacks: Sequence[RollbackReport]) -> tuple[Item, ...]:
    """Checks whose latest result did not pass, actions that failed, rollbacks that did not go through."""
    items = [Item("check", s.id, f"{s.check.status.upper()}: {s.check.evidence}"
                  + (f" (ticked anyway, override: {s.override})" if s.status == "done" and s.override else ""), s.check.at)
             for p in phases for s in p.steps if s.check is not None and s.check.status != "pass"]
    items += [Item("action", a.step_id, f"action {a.index + 1} ({a.kind} {a.target}) FAILED: {a.evidence}", a.ended_at)
              for a in actions if a.status == "failed"]
    items += [Item("rollback", r.service, f"{r.from_revision} → {r.to_revision} {r.status}: {r.reason}"
                   + (f"; health: {r.health}" if r.health else ""), r.ended_at)
              for r in rollbacks if r.ok is False]
    return tuple(items)


def _counts(items: Sequence[Item], words: dict[str, tuple[str, str]]) -> str:
    """'2 steps not done, 1 alarm in ALARM': a count per kind present, in the order of `words` (kind: one, many)."""
    counts = [(sum(i.kind == kind for i in items), one, many) for kind, (one, many) in words.items()]
    return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts if n)


def status_line(run_id: int | None, done: int, total: int, left_open: Sequence[Item], failed: Sequence[Item]) -> str:
    """e.g. `open: 12 steps not done; failed: 1 check, 1 rollback`; `complete` only when nothing is open or failed."""
    if run_id is None:
        return "no run yet: nothing journaled"
    parts = []
    still = _counts(left_open, {"step": ("step not done", "steps not done"), "action": ("action outcome unknown", "action outcomes unknown"),
                                "rollback": ("rollback outcome unknown", "rollback outcomes unknown"),
                                "alarm": ("alarm in ALARM", "alarms in ALARM")})
    if still:
        parts.append(f"open: {still}")
    bad = _counts(failed, {"check": ("check", "checks"), "action": ("action", "actions"), "rollback": ("rollback", "rollbacks")})
    if bad:
        parts.append(f"failed: {bad}")
    return "; ".join(parts) if parts else f"complete: {done}/{total} steps done, nothing failed or left open"
