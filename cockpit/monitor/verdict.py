"""One verdict from every source: the header, and every pane's problem marks, come from here.

Pure: it is handed what each source last said and when, and returns the problems, worst
first, each named. It never says "all up" while anything is wrong, not yet known, or older
than two of its source's intervals (`STALE_INTERVALS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cockpit.monitor.board import RowView
from cockpit.monitor.metric_views import MetricView, clock_minute
from cockpit.monitor.readings import DEGRADED, DOWN, HEALTHY, NOT_CONFIGURED
from cockpit.monitor.rollout import ERROR, FINE, WARNING, ServiceHealth
from cockpit.probes.aws.alarms import NOT_FOUND, AlarmState

STALE_INTERVALS = 2  # a source silent for longer than this many of its intervals is stale
NOT_KNOWN = WARNING  # not knowing is never fine; it ranks with warnings, below a known failure


@dataclass(frozen=True)
class Problem:
    """One thing that is wrong or not known, in the words the header shows."""

    severity: int  # ERROR or WARNING
    text: str  # 'redis DOWN', 'ALARM avnz-redis-connection', 'ROLLOUT FAILED avnz-api:25'
    source: str  # health | alarms | services | checks | logs | identity | metrics | journal


@dataclass(frozen=True)
class Answered:
    """When a source last answered (monotonic seconds), how often it should, and its failure."""

    at: float | None
    interval: float
    failure: str = ""
    grace: float = 0.0  # the longest one read may take (its timeouts): a slow healthy read is not stale

    def stale(self, now: float) -> bool:
        """No answer within STALE_INTERVALS intervals plus one read's timeouts (or never)."""
        return self.at is None or now - self.at > STALE_INTERVALS * self.interval + self.grace


@dataclass(frozen=True)
class AlarmsSeen:
    """The runbook's alarms in its order (None: not read yet) and when they were read."""

    alarms: tuple[tuple[str, AlarmState | None], ...]
    answered: Answered


@dataclass(frozen=True)
class ServicesSeen:
    """Each watched service's health, and when ECS was read."""

    services: tuple[ServiceHealth, ...]
    answered: Answered


@dataclass(frozen=True)
class MetricsSeen:
    """The dashboards' lines as last read, when (monotonic seconds; None: never), the failure since, and after how
    long a read is stale (the runbook's `[metrics] stale_after_seconds`)."""

    views: tuple[MetricView, ...]
    at: float | None
    stale_after: float
    failure: str = ""

    def stale(self, now: float) -> bool:
        """Never read, or not within `stale_after` seconds."""
        return self.at is None or now - self.at > self.stale_after


@dataclass(frozen=True)
class Verdict:
    """Every problem, worst first; `watching` is False when no source is live at all."""

    problems: tuple[Problem, ...] = ()
    watching: bool = True
    sources: tuple[str, ...] = field(default=())

    @property
    def all_up(self) -> bool:
        """Only when every live source answered lately and nothing is wrong."""
        return self.watching and not self.problems

    @property
    def worst(self) -> int:
        """ERROR, WARNING or FINE."""
        return max((p.severity for p in self.problems), default=FINE)


def health_problems(views: Sequence[RowView]) -> list[Problem]:
    """DOWN, degraded, over the limit, stale, not yet polled or not configured rows, and rows whose latency cockpit was
    too busy to time for longer than they may be old."""
    out = []
    for v in views:
        if v.status == DOWN:
            out.append(Problem(ERROR, f"{v.label} DOWN", "health"))
        elif v.status == NOT_CONFIGURED:
            out.append(Problem(NOT_KNOWN, f"{v.label} not configured", "health"))
        elif v.status not in (HEALTHY, DEGRADED):
            out.append(Problem(NOT_KNOWN, f"{v.label} unknown", "health"))
        else:
            if v.status == DEGRADED:
                out.append(Problem(WARNING, f"{v.label} degraded", "health"))
            if v.breach and v.limit is not None:  # a breach has a limit (RowView.breach)
                out.append(Problem(ERROR, f"{v.label} OVER {v.limit.limit_ms:g} ms", "health"))
            if v.stale:
                out.append(Problem(NOT_KNOWN, f"{v.label} stale", "health"))
            elif v.unmeasured:  # answering, but whether it is over its limit is not known
                out.append(Problem(NOT_KNOWN, f"{v.label} latency unmeasured (cockpit too busy)", "health"))
    return out


def alarm_problems(seen: AlarmsSeen, now: float) -> list[Problem]:
    """Alarms in ALARM, missing, without data, or not read lately."""
    out = []
    for name, alarm in seen.alarms:
        if alarm is None:
            continue  # counted below as unread
        if alarm.firing:
            out.append(Problem(ERROR, f"ALARM {name}", "alarms"))
        elif alarm.state == NOT_FOUND:
            out.append(Problem(WARNING, f"alarm {name} NOT FOUND", "alarms"))
        elif alarm.state != "OK":
            out.append(Problem(NOT_KNOWN, f"alarm {name} {alarm.state}", "alarms"))
    unread = [name for name, alarm in seen.alarms if alarm is None]
    if seen.answered.failure:
        out.append(Problem(NOT_KNOWN, "ALARMS UNREAD", "alarms"))
    elif seen.alarms and (unread or seen.answered.stale(now)):
        out.append(Problem(NOT_KNOWN, "alarms not read yet" if seen.answered.at is None else "alarms stale", "alarms"))
    return out


def service_problems(seen: ServicesSeen, now: float) -> list[Problem]:
    """Failed or rolling-back rollouts, missing or short-handed services, and ECS unread or stale."""
    out = [Problem(s.severity, s.headline, "services") for s in seen.services if s.severity > FINE]
    if seen.answered.failure:
        out.append(Problem(NOT_KNOWN, "ECS UNREAD", "services"))
    elif seen.answered.stale(now):
        out.append(Problem(NOT_KNOWN, "ECS not read yet" if seen.answered.at is None else "ECS stale", "services"))
    return out


def figure(value: float) -> str:
    """A metric's value as the header shows it: 612, 12.5, 0.42 (three significant digits at most, no exponent)."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}".rstrip("0").rstrip(".") if abs(value) >= 10 else f"{value:.2f}".rstrip("0").rstrip(".")


def _over(value: float, threshold: float, unit: str, minute: float | None) -> str:
    """`612 ms > 500 ms at 15:11`: a value over its threshold, and the minute it is of."""
    unit = f" {unit}" if unit and unit != "%" else unit
    shown, limit = figure(value), figure(threshold)
    if shown == limit:  # 500.2 over 500 must not read "500 > 500"
        shown, limit = f"{value:.6g}", f"{threshold:.6g}"
    at = f" at {clock_minute(minute)}" if minute is not None else ""
    return f"{shown}{unit} > {limit}{unit}{at}"


def metric_problems(seen: MetricsSeen, now: float) -> list[Problem]:
    """Lines over their threshold ('METRIC API p99 612 ms > 500 ms at 15:11': the complete minute judged), lines that
    cannot be judged, and CloudWatch unread or stale. A gap is not a problem (no requests), unless the last value
    before it was over the threshold: then the line is not known, the breach dated ('METRIC API 5xx rate unknown: no
    requests since 15:26, last 100% > 0% at 15:25'), never a current error. A line 'not configured' is not a problem
    either: like an environment without ECS, what is not configured is not watched, and the pane says which variable to set."""
    out = []
    for view in seen.views:
        if view.breach and view.current is not None and view.threshold is not None:
            over = _over(view.current, view.threshold, view.unit, view.points[-1][0])
            out.append(Problem(ERROR, f"METRIC {view.title} {over}", "metrics"))
        elif view.stale_breach and view.gap_since is not None and view.latest is not None and view.threshold is not None:
            # no figure since: not known, and the last breach with its minute (never as if current)
            over = _over(view.latest, view.threshold, view.unit, view.latest_at)
            since = f"{view.gap or 'no data'} since {clock_minute(view.gap_since)}"
            out.append(Problem(NOT_KNOWN, f"METRIC {view.title} unknown: {since}, last {over}", "metrics"))
        if view.problem and not view.problem.startswith("not configured"):
            out.append(Problem(NOT_KNOWN, f"METRIC {view.title} unknown", "metrics"))
        elif view.note:
            out.append(Problem(NOT_KNOWN, f"METRIC {view.title} incomplete", "metrics"))
    if seen.failure:
        out.append(Problem(NOT_KNOWN, "METRICS UNREAD", "metrics"))
    elif seen.stale(now):
        out.append(Problem(NOT_KNOWN, "metrics not read yet" if seen.at is None else "metrics stale", "metrics"))
    return out


def check_problems(unpassed_checks: Sequence[tuple[str, str]]) -> list[Problem]:
    """Steps whose latest automated check did not pass: (step id, status) → 'CHECK FAILED a-db-pool'."""
    out = []
    for step_id, status in unpassed_checks:
        word = "FAILED" if status == "fail" else status.upper()
        out.append(Problem(ERROR if status == "fail" else WARNING, f"CHECK {word} {step_id}", "checks"))
    return out


def log_problems(tabs: Sequence[tuple[str, str]]) -> list[Problem]:
    """Log tabs that cannot read CloudWatch ('failing') or are held back by it ('throttled')."""
    words = {"failing": "LOGS UNREAD", "throttled": "logs throttled"}
    return [Problem(NOT_KNOWN, f"{words[state]} {tab}", "logs") for tab, state in tabs if state in words]


def identity_problems(lines: Sequence[tuple[bool, str]]) -> list[Problem]:
    """'IDENTITY AWS account 1… is not production's pinned 2…' (an error), or a failed identity check (not known)."""
    return [Problem(ERROR if wrong else NOT_KNOWN, f"IDENTITY {text}", "identity") for wrong, text in lines]


def derive(
    now: float,
    health: Sequence[RowView] = (),
    alarms: AlarmsSeen | None = None,
    services: ServicesSeen | None = None,
    unpassed_checks: Sequence[tuple[str, str]] = (),
    log_tabs: Sequence[tuple[str, str]] = (),
    identity: Sequence[tuple[bool, str]] = (),
    metrics: MetricsSeen | None = None,
    journal: str = "",
) -> Verdict:
    """The verdict at monotonic `now`. A source passed as None (or no rows) is not watched here.
    `log_tabs` are (tab, follower state) pairs; `identity` (wrong, text) lines of the identity check: a cockpit on the
    wrong account or repository (wrong) shows someone else's system, one whose identity is unknown cannot say.
    `metrics`: the metrics pane's lines (None: the runbook has no dashboards, or the engine is not live).
    `journal`: the shared journal's spool line ('shared journal unreachable · 3 events waiting'; '' when all is
    committed): an error, named first: the operator's events are not in the journal the team reads, and among
    health errors it would be cut to "+N more"."""
    problems = [Problem(ERROR, journal, "journal")] if journal else []
    problems += identity_problems(identity) + health_problems(health)
    sources = ["health"] if health else []
    if alarms is not None:
        problems += alarm_problems(alarms, now)
        sources.append("alarms")
    if services is not None:
        problems += service_problems(services, now)
        sources.append("services")
    if metrics is not None:
        problems += metric_problems(metrics, now)
        sources.append("metrics")
    problems += check_problems(unpassed_checks) + log_problems(log_tabs)  # what the system does comes before cockpit's own
    return Verdict(tuple(interleaved(problems)), watching=bool(sources), sources=tuple(sources))


def interleaved(problems: Sequence[Problem]) -> list[Problem]:
    """Worst first; within a severity, each source's first problem before any source's second (and so on), sources
    in the order given: five health rows DOWN must not push the ALARM and the ROLLOUT FAILED out of a narrow line
    into "+N more" (every source's worst is named first). Within a source its own order is kept."""
    seen: dict[tuple[int, str], int] = {}
    ranked = []
    for index, problem in enumerate(problems):
        turn = seen.get((problem.severity, problem.source), 0)
        seen[(problem.severity, problem.source)] = turn + 1
        ranked.append((-problem.severity, turn, index, problem))
    return [problem for *_, problem in sorted(ranked, key=lambda r: r[:3])]

