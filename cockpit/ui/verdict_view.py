"""What the cockpit screen hands to the one verdict (monitor/verdict.py), gathered from its panes.

A source takes part when it is watched (the app is live and the environment configures
it) or has reported at all; one that never answered counts as not known, never as fine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cockpit.journal import StepState
from cockpit.monitor.board import RowView
from cockpit.monitor.verdict import Verdict, derive
from cockpit.runbook import Environment, Runbook
from cockpit.ui.widgets.alarms_pane import AlarmsPane
from cockpit.ui.widgets.logs_pane import LogsPane
from cockpit.ui.widgets.services_pane import ServicesPane


def unpassed_checks(runbook: Runbook, env: Environment, states: Mapping[str, StepState]) -> list[tuple[str, str]]:
    """(step id, status) of this run's steps whose latest check did not pass, in runbook order."""
    out = []
    for phase, step in runbook.steps():
        check = states.get(step.id, StepState()).check
        if check is not None and not check.passed and phase.applies_to(env.name):
            out.append((step.id, check.status))
    return out


def gather(now: float, *, live: bool, runbook: Runbook, env: Environment, views: Sequence[RowView],
           alarms: AlarmsPane, services: ServicesPane, logs: LogsPane, states: Mapping[str, StepState]) -> Verdict:
    """The verdict as of monotonic `now`."""
    watched_alarms = bool(runbook.alarms) and (live or alarms.read_at is not None or alarms.failure is not None)
    watched_services = bool(env.ecs_cluster and env.ecs_services) and (live or services.read is not None or services.failure is not None)
    rows = list(views) if live or any(v.samples for v in views) else []
    cw = runbook.cloudwatch
    one_call = cw.connect_timeout_seconds + cw.read_timeout_seconds  # boto3's timeouts, as the watchers use them
    return derive(
        now,
        rows,
        alarms.seen(cw.alarms_interval_seconds, one_call) if watched_alarms else None,
        services.seen(runbook.ecs.interval_seconds, 2 * one_call) if watched_services else None,  # services, then task definitions
        unpassed_checks(runbook, env, states),
        [(query_id, tab.status.state) for query_id, tab in logs.tabs.items()],
    )
