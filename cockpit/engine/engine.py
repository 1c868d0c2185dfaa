"""The engine: every source of one run on one asyncio loop, events out, commands in.

`Engine.run()` starts the sources the environment configures (when `live`), the journal
reader and the flusher, and returns when cancelled. Events go into the outbox and reach
`send` as one coalesced batch every `flush_seconds` at most. Commands arrive through
`handle()`. Blocking calls (boto3, SQLite) run in executor threads; nothing else does.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cockpit.checks.result import CheckResult, failed
from cockpit.checks.runner import CheckRunner
from cockpit.core.ratelimit import RequestBudget
from cockpit.engine.actions import Actions
from cockpit.engine.aws_reads import Reads, alarms_reader, services_reader
from cockpit.engine.commands import (
    Approve,
    AskActionPlan,
    AskCandidates,
    AskRunLookup,
    AskTaskDefinition,
    Command,
    Record,
    RefreshServices,
    RunActions,
    RunCheck,
    SetFilter,
    StartRollback,
    StopAction,
    StopAfterCurrent,
)
from cockpit.engine.deploy_follow import DeployFollow
from cockpit.engine.events import (
    LOADING,
    AlarmsFailed,
    AlarmsRead,
    CheckDone,
    EngineEvent,
    EngineProblem,
    MetricsFailed,
    MetricsRead,
    ServicesFailed,
    ServicesRead,
    TailStatus,
    VerdictChanged,
)
from cockpit.engine.health import Health
from cockpit.engine.identity import Identity
from cockpit.engine.journal import JournalWriter
from cockpit.engine.metrics import MetricsSource
from cockpit.engine.outbox import FLUSH_SECONDS, Outbox
from cockpit.engine.rollbacks import Rollbacks
from cockpit.engine.tails import Tail
from cockpit.engine.watch import AlarmsWatch, ServicesWatch, verdict
from cockpit.journal import Event, StepState
from cockpit.journal.progress import ALARM, ALARM_PREFIX, CHECK, SERVICE, SERVICE_PREFIX, TICK
from cockpit.journal.session import RunSession
from cockpit.monitor.aws import aws_target
from cockpit.monitor.board import RowView
from cockpit.monitor.loop import DaemonThreadExecutor
from cockpit.monitor.verdict import Verdict
from cockpit.probes.aws.clients import LazyClient
from cockpit.rollback.plan import same
from cockpit.runbook import Environment, Runbook

HEALTH_EVERY = 2.0  # seconds between health snapshots when no row changed status (ages move on screen)
VERDICT_EVERY = 1.0  # staleness is a matter of time: the verdict is derived again this often
SWITCH_INTERVAL = 0.001  # a busy log pass must not hold the loop (and the pollers' timing) for 5 ms


class Engine:
    """One run's sources; `send(batch)` is called in the loop with each coalesced batch."""

    def __init__(self, runbook: Runbook, env: Environment, session: RunSession | None, send: Callable[[list[EngineEvent]], None], *,
                 read_only: bool = False, live: bool = True, environ: Mapping[str, str] = os.environ,
                 monotonic: Callable[[], float] = time.monotonic, journal_poll_seconds: float = 1.0,
                 flush_seconds: float = FLUSH_SECONDS, ready: Callable[[], bool] = lambda: True,
                 ecs: Callable[[], Any] | None = None) -> None:
        self.runbook = runbook
        self.env = env
        self.send = send
        self.read_only = read_only
        self.live = live
        self.environ = environ
        self.monotonic = monotonic
        self.flush_seconds = flush_seconds
        self.ready = ready  # False while the UI has not taken the last batches: events wait (and merge) in the outbox
        self.outbox = Outbox(runbook.cloudwatch.buffer_lines)
        self.threads = DaemonThreadExecutor()  # boto3: quitting never waits for an AWS call in flight
        self.stopping = threading.Event()  # ends a log pass at its next page
        self.loop: asyncio.AbstractEventLoop | None = None
        self.health = Health(runbook, env, live=live, monotonic=monotonic, changed=self._health_changed)
        self.journal = JournalWriter(session, self.emit, self._journaled, journal_poll_seconds) if session is not None else None
        self.alarms = AlarmsWatch()
        self.services = ServicesWatch()
        self.tabs: dict[str, str] = {q.id: LOADING if live else "idle" for q in runbook.log_queries}
        self.tails: dict[str, Tail] = {}
        self.service_reads: Reads | None = None
        self.metrics: MetricsSource | None = None  # the metrics pane's reads, when the runbook has dashboards
        self.journaled_alarms: dict[str, str] = {}
        self.service_history: dict[str, list[str]] = {}
        self.service_written: dict[str, str] = {}
        self.checking: set[str] = set()
        ecs = ecs or LazyClient("ecs", aws_target(runbook, env)).get  # `ecs`: a client made already (a headless verb's)
        self.identity = Identity(runbook, env, environ, LazyClient("sts", aws_target(runbook, env)).get, blocking=self._blocking,
                                 emit=self._identity_read, monotonic=monotonic)
        self.rollbacks = Rollbacks(runbook, env, environ, ecs, identity=self.identity, read_only=read_only,
                                   blocking=self._blocking, emit=self.emit, emit_threadsafe=self.emit_threadsafe, journal=self.journal,
                                   history=lambda: self.service_history, refresh=self._refresh_services,
                                   stop=self.stopping)
        self.actions = Actions(runbook, env, environ, read_only=read_only, journal=self.journal, emit=self.emit, identity=self.identity,
                               run_checks=lambda ids: self.check_steps(ids, tick=False),  # a gate's live checks
                               follow=DeployFollow(runbook, env, ecs, self._blocking, self.emit))
        self.rollbacks.approvals = self.actions.approvals  # one view of the approval events for both desks
        self.tasks: list[asyncio.Task[Any]] = []
        self._verdict: Verdict | None = None
        self._judged = 0.0

    # -- events out --------------------------------------------------------------------
    def emit(self, event: EngineEvent) -> None:
        """Queue `event` for the next batch (in the loop)."""
        self.outbox.put(event)
        if isinstance(event, TailStatus):
            self.tabs[event.query_id] = event.state

    def emit_threadsafe(self, event: EngineEvent) -> None:
        """`emit` from an executor thread."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.emit, event)

    def flush_now(self) -> None:
        """Send what is pending now instead of at the next flush (tests, and the last batch at a stop)."""
        if len(self.outbox):
            self.send(self.outbox.take())

    async def _blocking(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.threads, fn, *args)

    async def _flush(self) -> None:
        while True:
            await asyncio.sleep(self.flush_seconds)
            if self.monotonic() - self._judged >= VERDICT_EVERY:
                self._judge()
            if len(self.outbox) and self.ready():
                self.send(self.outbox.take())

    # -- the sources -------------------------------------------------------------------
    def _start_sources(self) -> None:
        runbook, env, cw = self.runbook, self.env, self.runbook.cloudwatch
        spawn = self._spawn
        for backend in self.health.backends:
            spawn(self.health.run(backend), f"health {backend.name}")
        spawn(self._health_clock(), "health snapshots")
        spawn(self.identity.run(), "identity")
        target = aws_target(runbook, env)
        if runbook.log_queries:
            logs, budget = LazyClient("logs", target), RequestBudget(cw.requests_per_second)
            for query in runbook.log_queries:
                tail = self.tails[query.id] = Tail(query, logs, budget, cw, self.emit_threadsafe, self._blocking, self.stopping)
                spawn(tail.run(), f"logs {query.id}")
        if runbook.alarms:
            read_alarms = alarms_reader(tuple(a.name for a in runbook.alarms), LazyClient("cloudwatch", target))
            spawn(Reads("alarms", cw.alarms_interval_seconds, cw.max_backoff_seconds, read_alarms, AlarmsFailed, self.take_alarms, self._blocking).run(),
                  "alarms")
        if env.ecs_cluster and env.ecs_services:
            flags = tuple(f.name for f in runbook.feature_flags)
            read_services = services_reader(env.ecs_cluster, tuple(env.ecs_services), flags, LazyClient("ecs", target))
            self.service_reads = Reads("ecs", runbook.ecs.interval_seconds, cw.max_backoff_seconds, read_services, ServicesFailed, self.take_services,
                                       self._blocking)
            spawn(self.service_reads.run(), "ecs")
        if runbook.dashboards:
            self.metrics = MetricsSource(runbook, env, LazyClient("cloudwatch", target), self._blocking, self.take_metrics,
                                         lambda: self.services.read, monotonic=self.monotonic)
            spawn(self.metrics.run(), "metrics")

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        task.add_done_callback(self._task_done)
        self.tasks.append(task)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:  # a bug: say so, never die silently
            exc = task.exception()
            self.emit(EngineProblem(f"{task.get_name()} stopped: {type(exc).__name__}: {exc}"))

    def _health_changed(self, status_changed: bool) -> None:
        if status_changed:  # a row turned DOWN (or back): on screen at the next flush, not at the next snapshot
            self._send_health()

    def _send_health(self) -> None:
        read = self.health.read()
        self.emit(read)
        self._judge(read.views)  # the rows just read: not every row's window sorted a second time

    async def _health_clock(self) -> None:
        while True:
            await asyncio.sleep(HEALTH_EVERY)
            self._send_health()

    def take_alarms(self, report: AlarmsRead | AlarmsFailed) -> None:
        """What an alarms read found: sent on, judged, and each change of state journaled."""
        self.emit(report)
        for alarm, before in self.alarms.apply(report, self.monotonic()):
            if self.journaled_alarms.get(alarm.name) == alarm.state or self.read_only or self.journal is None:
                continue
            self.journaled_alarms[alarm.name] = alarm.state
            payload = {"state": alarm.state, "previous": before.state if before else "", "reason": alarm.reason}
            if alarm.since is not None:
                payload["since"] = alarm.since.isoformat()
            self._record(ALARM_PREFIX + alarm.name, ALARM, payload)
        self._judge()

    def take_services(self, report: ServicesRead | ServicesFailed) -> None:
        """Services read (or not); a newly completed task definition is journaled: that record is how the
        rollback picker knows what ran before a deployment, even after the old deployment is gone."""
        self.emit(report)
        self.services.apply(report, self.monotonic())
        if self.metrics is not None:
            self.metrics.services_read()  # a pool's capacity is its service's running tasks
        self._judge()
        if not isinstance(report, ServicesRead) or self.read_only or self.journal is None:
            return
        for state in report.services:
            primary = state.primary
            if primary is None or primary.rollout != "COMPLETED":
                continue
            seen = self.service_history.get(state.name, [])
            last = self.service_written.get(state.name) or (seen[-1] if seen else "")
            if not last or not same(last, primary.task_definition):
                self.service_written[state.name] = primary.task_definition  # the history gets it once committed
                self._record(SERVICE_PREFIX + state.name, SERVICE, {"task_definition": primary.task_definition})

    def take_metrics(self, report: MetricsRead | MetricsFailed) -> None:
        """A metrics read (or its failure): sent on and judged (the source keeps the views the verdict reads)."""
        self.emit(report)
        self._judge()

    def _journaled(self, events: list[Event]) -> None:
        """Remember what the journal says each alarm and service was, and which actions' outcomes are missing (committed
        events only)."""
        self.actions.seen(events)
        self.rollbacks.seen(events)  # the approval events reach the approval desk through the action desk
        for event in events:
            if event.kind == ALARM and event.step_id.startswith(ALARM_PREFIX):
                self.journaled_alarms[event.step_id[len(ALARM_PREFIX):]] = str(event.payload.get("state", ""))
            elif event.kind == SERVICE and event.step_id.startswith(SERVICE_PREFIX):
                self.service_history.setdefault(event.step_id[len(SERVICE_PREFIX):], []).append(str(event.payload.get("task_definition", "")))
        self._judge()

    def _identity_read(self, event: EngineEvent) -> None:
        """An identity read goes to the header, and its problems onto the verdict."""
        self.emit(event)
        self._judge()

    def _judge(self, views: Sequence[RowView] | None = None) -> None:
        """Derive the verdict (from `views`, when the health rows were just read); send it when it changed."""
        self._judged = self.monotonic()
        views = self.health.views() if views is None else views
        states = self.journal.states if self.journal else {}
        found = verdict(self.monotonic(), self.runbook, self.env, live=self.live, views=views, alarms=self.alarms,
                        services=self.services, tabs=self.tabs, states=states, identity=self.identity.verdict_lines(),
                        metrics=self.metrics.seen() if self.metrics else None,
                        journal=self.journal.spool_status if self.journal else "")
        if found != self._verdict:
            self._verdict = found
            self.emit(VerdictChanged(found))

    # -- commands in -------------------------------------------------------------------
    def handle(self, command: Command) -> None:
        """Act on a command from the UI (in the loop)."""
        if isinstance(command, Record):
            self._record(command.step_id, command.kind, dict(command.payload))
        elif isinstance(command, RunCheck):
            self._spawn(self._check(command.step_id), f"check {command.step_id}")
        elif isinstance(command, SetFilter):
            tail = self.tails.get(command.query_id)
            if tail is not None:
                tail.request_pattern(command.pattern)
        elif isinstance(command, RefreshServices):
            self._refresh_services()
        elif isinstance(command, AskCandidates):
            self._spawn(self.rollbacks.candidates(command.request, command.service), f"rollback read {command.service}")
        elif isinstance(command, AskTaskDefinition):
            self._spawn(self.rollbacks.task_definition(command.request, command.reference), "rollback read")
        elif isinstance(command, StartRollback):
            self._spawn(self.rollbacks.run(command.plans), "rollback")
        elif isinstance(command, StopAfterCurrent):
            self.rollbacks.halt()
        elif isinstance(command, RunActions):
            self.actions.start(command.step_id, command.confirmation, command.force, command.override)
        elif isinstance(command, AskActionPlan):
            self._spawn(self.actions.answer_plan(command.request, command.step_id), f"plan {command.step_id}")
        elif isinstance(command, AskRunLookup):
            self._spawn(self.actions.answer_lookup(command.request, command.step_id), f"lookup {command.step_id}")
        elif isinstance(command, StopAction):
            self.actions.stop(command.step_id)
        elif isinstance(command, Approve):
            self._spawn(self.actions.approvals.answer(command.request, command.step_id, self.actions.who), f"approve {command.step_id}")

    def _refresh_services(self) -> None:
        if self.service_reads is not None:
            self.service_reads.every.wake()

    def _record(self, step_id: str, kind: str, payload: dict[str, Any] | None = None) -> None:
        if self.journal is None:
            return
        self._spawn(self.journal.record(step_id, kind, payload), f"journal {kind} {step_id}")

    async def _check(self, step_id: str) -> None:
        if step_id not in self.checking:
            await self.check_steps((step_id,))

    async def check_steps(self, step_ids: Sequence[str], *, tick: bool = True) -> dict[str, CheckResult]:
        """Run the checks of `step_ids` once (unknown ids and steps without a check are skipped): those that ask
        whether something answers concurrently, then the latency thresholds one at a time (`CheckRunner.run_steps`).
        Each result then goes through `check_finished`, in the order of `step_ids`. Step id → result.

        `tick=False` (`cockpit check`): results are journaled, a pass ticks nothing (a tick stays the operator's).
        """
        steps = [step for step in map(self.runbook.step, step_ids) if step is not None and step.check is not None]
        self.checking.update(step.id for step in steps)
        runner = CheckRunner(self.runbook, self.env, self.environ)
        try:
            results = await runner.run_steps(steps)
        except Exception as exc:  # a bug in a check must not read as a pass, nor vanish
            results = {step.id: failed(f"check crashed: {type(exc).__name__}: {exc}") for step in steps}
        finally:
            self.checking.difference_update(step.id for step in steps)
            await runner.aclose()
        for step in steps:
            await self.check_finished(step.id, results[step.id], tick=tick)
        return results

    async def check_finished(self, step_id: str, result: CheckResult, *, tick: bool = True) -> None:
        """A check's result: sent on and journaled; with `tick`, a pass ticks its step (with the evidence) unless it
        is done. A write that fails is said by the JournalWritten event the journal writer sends."""
        self.emit(CheckDone(step_id, result))
        if self.journal is None or self.read_only:
            return
        await self.journal.record(step_id, CHECK, result.to_payload())
        if tick and result.passed and not self.journal.states.get(step_id, StepState()).done:
            await self.journal.record(step_id, TICK, {"evidence": result.evidence})
        self._judge()

    # -- lifecycle ---------------------------------------------------------------------
    async def run(self) -> None:
        """Run until cancelled; then stop every source and let the journal finish its write."""
        self.loop = asyncio.get_running_loop()
        sys.setswitchinterval(SWITCH_INTERVAL)
        if self.journal is not None:
            self._spawn(self.journal.run(), "reading the journal")
        if self.live:
            self._start_sources()
        self._send_health()
        flusher = asyncio.get_running_loop().create_task(self._flush(), name="flush")
        try:
            await asyncio.Event().wait()  # until cancelled
        finally:
            await self._shutdown(flusher)

    async def _shutdown(self, flusher: asyncio.Task[Any]) -> None:
        self.stopping.set()
        await self.actions.approvals.close()  # its expiry timers
        await self.actions.shutdown()  # a running action is stopped and its outcome journaled, within its grace
        for task in self.tasks:
            if not task.get_name().startswith("journal "):  # a write under way finishes
                task.cancel()
        writes = [t for t in self.tasks if t.get_name().startswith("journal ") and not t.done()]
        if writes:
            await asyncio.wait(writes, timeout=2.0)
        flusher.cancel()
        await self.health.close()
        self.flush_now()
        if self.journal is not None:
            self.journal.close()
