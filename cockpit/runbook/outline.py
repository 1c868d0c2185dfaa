"""A readable plain-text outline of a runbook (`cockpit runbook show`)."""

from __future__ import annotations

from cockpit.core.redact import mask_url
from cockpit.core.text import strip_control
from cockpit.runbook.model import Action, Runbook

KIND_MARKS = {"manual": "[ ]", "check": "[?]", "command": "[$]", "info": " i "}
LEGEND = "[ ] manual  [?] check (automated: enter in the TUI, or cockpit check)  [$] command  i info  -> action (x in the TUI, or cockpit run STEP-ID)"


def _environments(runbook: Runbook) -> list[str]:
    lines = ["Environments:"]
    for env in runbook.environments.values():
        lines.append(f"  {env.name}{'  (PRODUCTION)' if env.production else ''}")
        for field in ("api_url", "app_url", "redis_url", "database_url", "aws_region", "ecs_cluster"):
            value = getattr(env, field)
            lines.append(f"    {field:<13} {mask_url(value) if value else 'not configured: ' + env.missing(field)}")
        lines.append(f"    {'ecs_services':<13} {', '.join(env.ecs_services) or '-'}")
        lines.append(f"    {'log_groups':<13} {', '.join(env.log_groups) or '-'}")
        pins = [f"{name} {strip_control(getattr(env, name))}" for name in ("aws_account_id", "github_repository") if getattr(env, name)]
        if pins:  # who cockpit must act as here (rollbacks and deploys are refused otherwise)
            lines.append(f"    {'pinned':<13} {', '.join(pins)}")
    return lines


def action_line(action: Action, runbook: Runbook) -> str:
    """One line for an action: its kind, then what it does (references shown as written)."""
    if action.kind == "github_workflow":
        repository = f"{action.repository}: " if action.repository else ""
        inputs = ", ".join(f"{k}={v}" for k, v in action.inputs)
        what = f"{repository}{action.workflow}@{action.ref or runbook.github.ref}" + (f" ({inputs})" if inputs else "")
        what += f", then ECS {action.service}" if action.service else ""
    elif action.kind == "command":
        lines = action.run.strip().splitlines()
        more = len(lines) - 1
        what = (lines or [""])[0] + (f"  (+{more} more line{'s' if more > 1 else ''})" if more else "")
    else:
        what = action.channel
    return f"{action.kind:<15} {what}"


def _phases(runbook: Runbook) -> list[str]:
    lines = [f"Phases:  {LEGEND}"]
    for phase in runbook.phases:
        facts = [f"{phase.duration_minutes} min" if phase.duration_minutes else "", f"{phase.risk} risk" if phase.risk else ""]
        if phase.environments:
            facts.append("only " + ", ".join(phase.environments))
        if phase.contingency:
            facts.append("contingency")
        extra = " · ".join(f for f in facts if f)
        lines.append(f"  {phase.title}" + (f"  ({extra})" if extra else ""))
        if phase.gate:
            lines.append(f"    gate (its deploys and commands wait for these checks): {', '.join(phase.gate)}")
        for step in phase.steps:
            lines.append(f"    {KIND_MARKS[step.kind]} {step.id:<28} {step.title}")
            lines += [f"        -> {action_line(action, runbook)}" for action in step.actions]
            if step.gate:
                lines.append(f"        gate: {', '.join(step.gate)}")
    return lines


def _extras(runbook: Runbook) -> list[str]:
    lines = ["Thresholds:"]
    lines += [f"  {t.title:<22} < {t.limit_ms:g} ms   if exceeded: {t.action}" for t in runbook.thresholds]
    lines += ["Alarms:"] + [f"  {a.name:<26} {a.description}" for a in runbook.alarms]
    lines += ["Log queries:"]
    lines += [f"  {q.id:<10} {q.log_group} filter {q.filter_pattern!r}, last {q.window_minutes} min" for q in runbook.log_queries]
    lines += ["Rollback targets: " + ", ".join(f"{t.service} ({t.family})" for t in runbook.rollback_targets)]
    lines += ["Feature flags: " + ", ".join(f.name for f in runbook.feature_flags)]
    lines += ["Contacts:"] + [f"  {c.role:<12} {c.contact:<22} {c.escalation}" for c in runbook.contacts]
    return lines


def outline(runbook: Runbook) -> str:
    """The runbook as text: metadata, environments, phases and steps, and the rest."""
    head = [
        f"{runbook.name}  v{runbook.version}  ({runbook.id})",
        f"Owner: {runbook.owner}" + (f" · Status: {runbook.status}" if runbook.status else ""),
        f"Source: {runbook.source}" if runbook.source else "",
    ]
    parts = [line for line in head if line]
    for block in (_environments(runbook), _phases(runbook), _extras(runbook)):
        parts += [""] + block
    return strip_control("\n".join(parts))  # runbook text must not drive the terminal
