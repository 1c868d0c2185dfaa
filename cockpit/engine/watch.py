"""What the engine remembers of its sources for the one verdict (monitor/verdict.py).

A source takes part when it is watched (the engine is live and the environment configures
it); one that never answered counts as not known, never as fine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cockpit.engine.events import AlarmsFailed, AlarmsRead, ServicesFailed, ServicesRead
from cockpit.journal import StepState
from cockpit.monitor.board import RowView
from cockpit.monitor.rollout import service_health
from cockpit.monitor.verdict import AlarmsSeen, Answered, MetricsSeen, ServicesSeen, Verdict, derive
from cockpit.probes.aws.alarms import AlarmState
from cockpit.runbook import Environment, Runbook


@dataclass
class AlarmsWatch:
    """The alarms as last read, when, and the failure since (if any)."""

    states: dict[str, AlarmState] = field(default_factory=dict)
    read_at: float | None = None
    failure: str = ""

    def apply(self, report: AlarmsRead | AlarmsFailed, now: float) -> list[tuple[AlarmState, AlarmState | None]]:
        """Take a report; return the alarms whose state changed, with their previous state (None: first read)."""
        if isinstance(report, AlarmsFailed):
            self.failure = report.reason
            return []
        changes = []
        for alarm in report.alarms:
            before = self.states.get(alarm.name)
            if before is None or before.state != alarm.state:
                changes.append((alarm, before))
            self.states[alarm.name] = alarm
        self.read_at, self.failure = now, ""
        return changes

    def seen(self, names: Sequence[str], interval: float, grace: float) -> AlarmsSeen:
        """The runbook's alarms in its order (None: not read yet)."""
        return AlarmsSeen(tuple((n, self.states.get(n)) for n in names), Answered(self.read_at, interval, self.failure, grace))


@dataclass
class ServicesWatch:
    """The services as last read, when, and the failure since (if any)."""

    read: ServicesRead | None = None
    read_at: float | None = None
    failure: str = ""

    def apply(self, report: ServicesRead | ServicesFailed, now: float) -> None:
        """Take a report."""
        if isinstance(report, ServicesFailed):
            self.failure = report.reason
        else:
            self.read, self.read_at, self.failure = report, now, ""

    def seen(self, interval: float, grace: float) -> ServicesSeen:
        """Each watched service's health, problems first."""
        found = sorted((service_health(s) for s in self.read.services), key=lambda h: -h.severity) if self.read else []
        return ServicesSeen(tuple(found), Answered(self.read_at, interval, self.failure, grace))


def unpassed_checks(runbook: Runbook, env: Environment, states: Mapping[str, StepState]) -> list[tuple[str, str]]:
    """(step id, status) of this run's steps whose latest check did not pass, in runbook order."""
    out = []
    for phase, step in runbook.steps():
        check = states.get(step.id, StepState()).check
        if check is not None and not check.passed and phase.applies_to(env.name):
            out.append((step.id, check.status))
    return out


def verdict(now: float, runbook: Runbook, env: Environment, *, live: bool, views: Sequence[RowView], alarms: AlarmsWatch,
            services: ServicesWatch, tabs: Mapping[str, str], states: Mapping[str, StepState],
            identity: Sequence[tuple[bool, str]] = (), metrics: MetricsSeen | None = None, journal: str = "") -> Verdict:
    """The verdict as of monotonic `now`; `metrics` None: the metrics pane is not read (no dashboards, or not live)."""
    cw = runbook.cloudwatch
    one_call = cw.connect_timeout_seconds + cw.read_timeout_seconds  # boto3's timeouts, as the reads use them
    watch_alarms = bool(runbook.alarms) and (live or alarms.read_at is not None or bool(alarms.failure))
    watch_services = bool(env.ecs_cluster and env.ecs_services) and (live or services.read_at is not None or bool(services.failure))
    return derive(
        now,
        list(views) if live or any(v.samples for v in views) else [],
        alarms.seen([a.name for a in runbook.alarms], cw.alarms_interval_seconds, one_call) if watch_alarms else None,
        services.seen(runbook.ecs.interval_seconds, 2 * one_call) if watch_services else None,  # services, then task definitions
        unpassed_checks(runbook, env, states),
        list(tabs.items()),
        identity,
        metrics,
        journal,
    )
