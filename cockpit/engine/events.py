"""What the engine tells the UI: one closed union of frozen events (`EngineEvent`).

Every event is an immutable snapshot, safe to pickle across the process boundary. The
UI dispatches on the type (ui/bridge.py); nothing here carries a widget or a client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from cockpit.checks.result import CheckResult
from cockpit.journal import Event
from cockpit.monitor.board import RowView
from cockpit.monitor.metric_views import MetricView
from cockpit.monitor.verdict import Verdict

# The data the events carry, re-exported for the UI to draw (it imports no probe module itself).
from cockpit.probes.aws.alarms import NOT_FOUND as NOT_FOUND
from cockpit.probes.aws.alarms import AlarmState
from cockpit.probes.aws.ecs import ServiceState, TaskDefinition
from cockpit.probes.aws.ecs import short_name as short_name
from cockpit.probes.aws.logs import LogEvent
from cockpit.rollback.execute import Progress

LOADING, FOLLOWING, THROTTLED_STATE, FAILING = "loading", "following", "throttled", "failing"

Series = tuple[tuple[str, tuple[tuple[float, float], ...]], ...]  # (row key, ((seconds ago, ms), ...))


@dataclass(frozen=True)
class HealthRead:
    """Every health row as of monotonic `at`, and each row's recent latency points."""

    views: tuple[RowView, ...]
    series: Series
    at: float
    polls: tuple[tuple[str, int], ...] = ()  # (backend, polls so far)


@dataclass(frozen=True)
class TailEvents:
    """New events of tab `query_id` for pattern `generation`, in timestamp order; `trimmed`
    more were never delivered (beyond the buffer)."""

    query_id: str
    generation: int
    events: tuple[LogEvent, ...]
    trimmed: int = 0

    def __reduce__(self) -> tuple[Any, ...]:
        # The events cross the process boundary as plain tuples: pickling a named tuple runs Python
        # code per event on both sides (`__getnewargs__` out, the generated `__new__` in), 2.4x the
        # CPU of plain tuples at 10,000 events/s; they become LogEvents again without a Python frame.
        return (_tail_events, (self.query_id, self.generation, list(map(tuple, self.events)), self.trimmed))


_as_log_event = partial(tuple.__new__, LogEvent)


def _tail_events(query_id: str, generation: int, rows: list[tuple[Any, ...]], trimmed: int) -> TailEvents:
    """A TailEvents from its pickled form (see `TailEvents.__reduce__`)."""
    return TailEvents(query_id, generation, tuple(map(_as_log_event, rows)), trimmed)


@dataclass(frozen=True)
class TailStatus:
    """What tab `query_id` is doing; `retry_in` seconds while throttled or failing."""

    query_id: str
    state: str
    text: str = ""
    retry_in: float | None = None
    at: float | None = field(default=None, compare=False)  # when the engine said it (monotonic, one clock for both
    # processes): the tab's ages count from here, not from when the batch arrived


@dataclass(frozen=True)
class PatternOutcome:
    """A new filter pattern was accepted (error '') or rejected (the old one streams on)."""

    query_id: str
    pattern: str
    generation: int
    error: str = ""


@dataclass(frozen=True)
class AlarmsRead:
    """Every watched alarm as CloudWatch reports it now."""

    alarms: tuple[AlarmState, ...]


@dataclass(frozen=True)
class AlarmsFailed:
    """describe_alarms failed; the engine tries again in `retry_in` seconds."""

    reason: str
    throttled: bool
    retry_in: float


@dataclass(frozen=True)
class ServicesRead:
    """Every watched service, and the task definitions they and their deployments run (by ARN or name)."""

    services: tuple[ServiceState, ...]
    task_definitions: dict[str, TaskDefinition]


@dataclass(frozen=True)
class ServicesFailed:
    """ECS could not be read; the engine tries again in `retry_in` seconds."""

    reason: str
    throttled: bool
    retry_in: float


@dataclass(frozen=True)
class CheckDone:
    """A step's automated check finished (its result is being journaled)."""

    step_id: str
    result: CheckResult


@dataclass(frozen=True)
class JournalRead:
    """Committed journal events of the run newer than the last ones sent (ours or another cockpit's)."""

    events: tuple[Event, ...]


@dataclass(frozen=True)
class JournalWritten:
    """A write for `step_id` finished: `event` is committed, or `error` says why nothing was saved, or `spooled` says
    it is saved in the local spool and waits for the shared journal (a later JournalWritten brings its event)."""

    step_id: str
    kind: str
    event: Event | None
    error: str = ""
    spooled: str = ""


@dataclass(frozen=True)
class JournalUnreadable:
    """Reading the journal failed; the engine tries again."""

    reason: str


@dataclass(frozen=True)
class JournalFollowing:
    """How the engine learns of other cockpits' events in a shared journal, whenever that changes: `mode` is
    "listening" (LISTEN/NOTIFY: at once), "polling" (LISTEN/NOTIFY does not work there: every second) or
    "reconnecting" (the LISTEN connection is down: every second until it is back); `text` says so in one line."""

    mode: str
    text: str

    @property
    def polling(self) -> bool:
        """True while other cockpits' events are found by polling, not by notification."""
        return self.mode != "listening"


@dataclass(frozen=True)
class VerdictChanged:
    """The one verdict (monitor/verdict.py), whenever it differs from the last one sent."""

    verdict: Verdict


@dataclass(frozen=True)
class Answer:
    """The answer to a request (AskCandidates, AskTaskDefinition): its value, or why there is none."""

    request: int
    value: Any = None
    error: str = ""


@dataclass(frozen=True)
class RolloutProgress:
    """A line of a rollback under way (`status`: the one-line state of its rollout, when it changed)."""

    service: str
    text: str = ""
    style: str = ""
    status: str = ""
    progress: Progress | None = None  # with `status`: the watch's figures and new ECS events (`cockpit rollback` prints them)


@dataclass(frozen=True)
class RollbackEnded:
    """A service's rollback is over: its verdict; `stopped_rest` when the services after it were not touched."""

    service: str
    ok: bool
    verdict: str
    stopped_rest: bool = False


@dataclass(frozen=True)
class RollbacksActive:
    """The services whose rollback the engine is running or watching now (one rollback at a time)."""

    services: tuple[str, ...]


@dataclass(frozen=True)
class ActionProgress:
    """Action `index` of step `step_id` under way: new output lines of a command (several per event, newline-separated)
    or a workflow watch's snapshot (status, conclusion, elapsed, jobs, rate limit left). Never a secret. `by`: set when
    the run is another operator's, seen in the shared journal (engine/in_progress.py): who; it cannot be stopped here."""

    step_id: str
    index: int
    text: str
    by: str = ""


@dataclass(frozen=True)
class ActionEnded:
    """A step's actions are over (or were refused): `ok` when all ran and passed; `evidence` what they showed or why
    not. `unknown`: an action went out and its outcome is not known (a lost answer, a watch stopped, or an intent
    journaled by a cockpit that died before its outcome): look it up, never repeat it blindly. `refused`: nothing was
    sent at all (a guard said no, an approval is awaited or expired): not a failed run."""

    step_id: str
    ok: bool
    evidence: str
    unknown: bool = False
    refused: bool = False


@dataclass(frozen=True)
class ActionPreview:
    """The value of the Answer to AskActionPlan (not an event of its own): the plan as a person reads it (`text`: each action and exactly what it sends,
    Slack texts included, no secret), why it cannot run (`problems`), the failing checks of its gate (`gate`, empty
    when green or ungated), and outcomes left unknown (`unknown`)."""

    step_id: str
    title: str
    environment: str
    production: bool
    text: str
    problems: tuple[str, ...] = ()
    gate: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class IdentityRead:
    """Who cockpit acts as: the AWS account and ARN (STS GetCallerIdentity) and the GitHub repository; `problems`
    names a failed identity check or a mismatch with the environment's pins (rollbacks and deploys are refused).
    `aws_configured` False: the environment uses no AWS at all (nothing to read, nothing refused on its grounds)."""

    aws_account: str = ""
    aws_arn: str = ""
    github_repository: str = ""
    problems: tuple[str, ...] = ()
    aws_configured: bool = True


@dataclass(frozen=True)
class DeployRollout:
    """The ECS deployment a workflow run of `step_id` caused on `service`, followed to its rolloutState
    (`state`: IN_PROGRESS, COMPLETED, FAILED, or UNKNOWN while none is found); `text` one line with the events."""

    step_id: str
    service: str
    deployment_id: str
    state: str
    text: str


@dataclass(frozen=True)
class RollbackElsewhere:
    """Another operator's rollback of `service`, as the journal shows it: in progress since `since` (HH:MM UTC) by
    `who`, or, with `who` '', no longer (its outcome journaled, or stale: its outcome then reads unknown)."""

    service: str
    who: str = ""
    since: str = ""


@dataclass(frozen=True)
class MetricsRead:
    """Every dashboard line of the runbook from one GetMetricData read at wall-clock `read_at` (epoch seconds)."""

    views: tuple[MetricView, ...]
    read_at: float


@dataclass(frozen=True)
class MetricsFailed:
    """GetMetricData failed; the engine tries again in `retry_in` seconds. The last MetricsRead stays on screen, aging."""

    reason: str
    throttled: bool
    retry_in: float


@dataclass(frozen=True)
class EngineProblem:
    """The engine itself: gone, restarted, or a source that crashed. `down` while it is not running."""

    text: str
    down: bool = False


EngineEvent = (
    HealthRead | TailEvents | TailStatus | PatternOutcome | AlarmsRead | AlarmsFailed | ServicesRead | ServicesFailed
    | CheckDone | JournalRead | JournalWritten | JournalUnreadable | JournalFollowing | VerdictChanged | Answer | RolloutProgress | RollbackEnded
    | RollbacksActive | ActionProgress | ActionEnded | IdentityRead | DeployRollout | RollbackElsewhere | MetricsRead | MetricsFailed | EngineProblem
)
