"""Rollbacks in the engine: the picker's reads, and one rollback at a time, journaled and watched.

ECS is read and updated with boto3 in executor threads (quitting never waits for AWS). The
journal gets the intent before `update_service` and the outcome after, through the engine's
journal writer: the rollback thread waits for each commit. The health re-check after a
completed rollout runs the runbook's health checks on the engine's loop. The TUI asks through
commands (answered by events); `cockpit rollback` awaits the same reads and run in-process.

A rollback of a service whose intent another operator journaled, without an outcome yet, is
refused naming who and since when (engine/in_progress.py; stale after the rollout timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from cockpit.core.text import one_line
from cockpit.engine.approval_desk import ApprovalDesk
from cockpit.engine.events import Answer, EngineEvent, RollbackElsewhere, RollbackEnded, RollbacksActive, RolloutProgress
from cockpit.engine.identity import Identity
from cockpit.engine.in_progress import Elsewhere, age_seconds, elsewhere, rollback_limit, since_text
from cockpit.engine.journal import JournalWriter
from cockpit.journal import Event, JournalError
from cockpit.journal.progress import ROLLBACK, ROLLBACK_PREFIX
from cockpit.journal.store import Claim, utc_now
from cockpit.probes.aws.ecs import TaskDefinition, describe_task_definition, short_name
from cockpit.probes.aws.errors import classify_aws
from cockpit.rollback.candidates import Candidates, load_candidates
from cockpit.rollback.execute import Outcome, Progress, RollbackRun, refusal
from cockpit.rollback.plan import RollbackPlan
from cockpit.rollback.verify import check_health
from cockpit.runbook import Environment, Runbook

Blocking = Callable[..., Awaitable[Any]]
COMMIT_SECONDS = 15.0  # a rollback waits this long for its journal write before it gives up (nothing sent yet)


class Rollbacks:
    """The rollback desk of one environment."""

    def __init__(self, runbook: Runbook, env: Environment, environ: Mapping[str, str], ecs: Callable[[], Any], *, identity: Identity, read_only: bool,
                 blocking: Blocking, emit: Callable[[EngineEvent], None], emit_threadsafe: Callable[[EngineEvent], None],
                 journal: JournalWriter | None, history: Callable[[], dict[str, list[str]]], refresh: Callable[[], None],
                 stop: threading.Event) -> None:
        self.runbook, self.env, self.environ = runbook, env, environ
        self.ecs = ecs  # the ECS client (built on first use; blocking)
        self.identity = identity  # who we act as: a failed or mismatched AWS identity refuses the rollback
        self.read_only = read_only
        self.blocking = blocking
        self.emit, self.emit_threadsafe = emit, emit_threadsafe
        self.journal = journal
        self.history = history
        self.refresh = refresh
        self.stop = stop  # the engine stopping: a watch under way ends (its outcome says it was not watched to the end)
        self.active: set[str] = set()
        self.halted = False  # StopAfterCurrent: the next service of the rollback under way is not started
        self.tds: dict[str, TaskDefinition] = {}
        self.open_intents: dict[str, Event] = {}  # service → its rollback intent while no outcome is journaled
        self.shown_elsewhere: dict[str, int] = {}  # service → the intent shown as another operator's rollback under way
        self.now: Callable[[], datetime] = utc_now  # the clock an intent's age is read against
        self.approvals: ApprovalDesk | None = None  # the two-person rule ([approval] rollbacks); the engine sets it

    # -- the journal's view ------------------------------------------------------------------
    def seen(self, events: list[Event]) -> None:
        """Keep each service's rollback intent until its outcome is journaled (committed events, any cockpit's)."""
        for event in events:
            if event.kind != ROLLBACK or not event.step_id.startswith(ROLLBACK_PREFIX):
                continue
            service, phase = event.step_id[len(ROLLBACK_PREFIX):], event.payload.get("phase")
            if phase == "intent":
                self.open_intents[service] = event
            elif phase == "outcome":
                self.open_intents.pop(service, None)
        self._show_elsewhere()

    def _show_elsewhere(self) -> None:
        """Tell the screens which services another operator is rolling back (who, since when), as it changes; a rollback
        in progress elsewhere is re-read once it would turn stale (then it is no longer shown as under way)."""
        for service in sorted(set(self.open_intents) | set(self.shown_elsewhere)):
            busy = self.busy_elsewhere(service)
            shown = self.shown_elsewhere.get(service)
            if busy is not None and shown != busy.intent.id:
                self.shown_elsewhere[service] = busy.intent.id
                self.emit(RollbackElsewhere(service, busy.who, since_text(busy.intent.at)))
                stale_in = busy.limit_seconds - age_seconds(busy.intent, self.now()) + 1
                with contextlib.suppress(RuntimeError):  # no running loop (a headless read): nothing to re-read later
                    asyncio.get_running_loop().call_later(max(stale_in, 0.0), self._show_elsewhere)
            elif busy is None and shown is not None:
                del self.shown_elsewhere[service]
                self.emit(RollbackElsewhere(service))

    def busy_elsewhere(self, service: str, *, while_ours: bool = False) -> Elsewhere | None:
        """Another operator's rollback of `service` in progress (as the journal read so far shows), if any; none while
        one of this engine's own runs, unless `while_ours` (its claim was lost: whose intent came first)."""
        intent = self.open_intents.get(service)
        if intent is None or (service in self.active and not while_ours):
            return None
        return elsewhere(intent, self.journal.session.who if self.journal is not None else "", rollback_limit(self.runbook), self.now())

    # -- the picker's reads ------------------------------------------------------------------
    def _candidates(self, service: str) -> Candidates:
        return load_candidates(self.ecs(), self.runbook, self.env, service, self.history().get(service, []))

    def _td(self, reference: str) -> TaskDefinition:
        if reference not in self.tds:
            flags = tuple(f.name for f in self.runbook.feature_flags)
            self.tds[reference] = describe_task_definition(self.ecs(), reference, flags)
        return self.tds[reference]

    async def read_candidates(self, service: str) -> Candidates:
        """The service's Candidates (its history from the journal as read so far). Raises AwsProblem, or what
        building the client raised."""
        return await self.blocking(self._candidates, service)

    async def read_task_definition(self, reference: str) -> TaskDefinition:
        """A TaskDefinition (flags read), read once per engine. Raises as `read_candidates`."""
        return await self.blocking(self._td, reference)

    async def answer(self, request: int, what: str, read: Awaitable[Any]) -> None:
        """Answer `request` with what `read` returns, or with what AWS said."""
        try:
            self.emit(Answer(request, await read))
        except Exception as exc:  # AwsProblem, or boto3 while building the client
            self.emit(Answer(request, None, classify_aws(exc, what).reason))

    async def candidates(self, request: int, service: str) -> None:
        """Answer with the service's Candidates."""
        await self.answer(request, f"reading {service}", self.read_candidates(service))

    async def task_definition(self, request: int, reference: str) -> None:
        """Answer with a TaskDefinition."""
        await self.answer(request, f"reading {short_name(reference)}", self.read_task_definition(reference))

    # -- running ------------------------------------------------------------------------------
    async def run(self, plans: tuple[RollbackPlan, ...], *, wait: bool = True, timeout: float | None = None,
                  poll: float | None = None) -> None:
        """Roll back `plans` in order; stop at the first that did not work. Each ends in a RollbackEnded.

        Not `wait`: each rollout is started and not watched (nor its health checked). `timeout` and `poll`
        (seconds) default to the runbook's [ecs] rollout_timeout_seconds and rollout_poll_seconds.
        """
        if not plans:
            return
        busy = sorted(self.active)
        problem = f"a rollback of {', '.join(busy)} is still being watched: wait for its verdict" if busy else ""
        problem = problem or next((r for r in (refusal(p, read_only=self.read_only, typed=p.confirmation) for p in plans) if r), "")
        if problem or self.journal is None:
            self.emit(RollbackEnded(plans[0].service, False, problem or "refused: this engine has no journal"))
            return
        await self.journal.read()  # another operator's rollback under way, committed since the last read
        claim = Claim(self.journal.last_event_id, ROLLBACK)  # what follows holds only if nobody's rollback came after this read
        self.journal.lost_to = None
        elsewhere_now = next(((p.service, b) for p in plans if (b := self.busy_elsewhere(p.service)) is not None), None)
        if elsewhere_now is not None:
            service, other = elsewhere_now
            self.emit(RollbackEnded(service, False, f"refused: a rollback of {service} is {other.text()}: wait for its verdict"))
            return
        for plan in plans if self.approvals is not None else ():
            assert self.approvals is not None
            step_id, who = ROLLBACK_PREFIX + plan.service, self.journal.session.who
            waiting, approval = await self.approvals.gate(step_id, who, [plan.payload()])
            waiting = waiting or await self.approvals.use(step_id, approval, who, claim)
            if waiting:
                lost = await self._lost_claim(plan.service)
                waiting = f"refused: {lost}; nothing sent" if lost else waiting
                self.emit(RollbackEnded(plan.service, False, waiting))
                return
        self.halted = False
        self._set_active(self.active | {p.service for p in plans})
        loop = asyncio.get_running_loop()
        try:
            refused = await self.identity.refuse_rollback()  # marked active first: no second rollback starts meanwhile
            if refused:
                self.emit(RollbackEnded(plans[0].service, False, refused))
                return
            for plan in plans:
                self.emit(RolloutProgress(plan.service, f"{plan.service}: {short_name(plan.from_arn)} → {short_name(plan.to_arn)}", "bold"))
                outcome = await self._one(plan, loop, wait, timeout, poll, claim)
                last = plan is plans[-1]
                stop = not outcome.ok or self.halted
                self.emit(RollbackEnded(plan.service, outcome.ok, outcome.verdict, stopped_rest=stop and not last))
                self._set_active(self.active - {plan.service})
                if stop:
                    break
        finally:
            self._set_active(self.active - {p.service for p in plans})
            self.refresh()

    async def _lost_claim(self, service: str) -> str:
        """Why the rollback of `service` is refused when a claim on it was lost: who was first ('' when none was)."""
        assert self.journal is not None
        rival = self.journal.lost_to
        await self.journal.read()
        busy = self.busy_elsewhere(service, while_ours=True)
        if busy is not None:
            return f"a rollback of {service} is {busy.text()}: wait for its verdict"
        return f"a rollback of {service} was started first by {rival.who} at {since_text(rival.at)}" if rival else ""

    async def _one(self, plan: RollbackPlan, loop: asyncio.AbstractEventLoop, wait: bool, timeout: float | None,
                   poll: float | None, claim: Claim) -> Outcome:
        ecs = self.runbook.ecs

        def record(step_id: str, kind: str, payload: dict[str, Any]) -> Event:  # in the rollback's thread
            assert self.journal is not None
            intent = payload.get("phase") == "intent"  # the intent claims the service: nothing is sent if it lost
            written = self.journal.record(step_id, kind, payload, claim=claim if intent else None)
            event = asyncio.run_coroutine_threadsafe(written, loop).result(COMMIT_SECONDS)
            if event is None:
                lost = asyncio.run_coroutine_threadsafe(self._lost_claim(plan.service), loop).result(COMMIT_SECONDS) if intent else ""
                raise JournalError(lost or f"the journal did not take the {payload.get('phase', kind)} of {plan.service}")
            return event

        def progress(p: Progress) -> None:  # in the rollback's thread
            for event in p.events:
                self.emit_threadsafe(RolloutProgress(plan.service, f"  event  {event.message}", "dim"))
            self.emit_threadsafe(RolloutProgress(plan.service, status=f"{p.elapsed:.0f} s · {p.running}/{p.desired} running · rollout {p.rollout or '?'}",
                                                 progress=p))

        def verify() -> tuple[bool, str]:  # in the rollback's thread: the checks run on the engine's loop
            return asyncio.run_coroutine_threadsafe(check_health(self.runbook, self.env, self.environ), loop).result()

        def job() -> Outcome:
            run = RollbackRun(self.ecs(), plan, record, timeout=ecs.rollout_timeout_seconds if timeout is None else timeout,
                              poll=ecs.rollout_poll_seconds if poll is None else poll, progress=progress, stop=self.stop)
            try:
                return run.run(wait=wait, verify=verify)
            except Exception as exc:  # the journal refused a write, or the watch broke: see the journal and ECS
                sent = "the update was sent, " if run.known_events or run.deployment else ""
                return Outcome("error", f"{sent}stopped by an error: {one_line(str(exc), 200)}; check ECS and the journal")

        return await self.blocking(job)

    def halt(self) -> None:
        """Start no further service of the rollback under way."""
        self.halted = True

    def _set_active(self, services: set[str]) -> None:
        if services != self.active or not services:
            self.active = set(services)
            self.emit(RollbacksActive(tuple(sorted(self.active))))
