"""Running a rollback plan: refuse, journal the intent, call ECS, watch the rollout, verdict.

The journal gets the intent before `update_service` and the outcome after, both on step
`rollback:<service>` (kind `rollback`, payload `phase` intent / started / outcome). The
rollout is followed with describe_services until the deployment we created is COMPLETED
or FAILED, ECS replaced it (circuit breaker rolled back), or the timeout. Success is only
ever said about the deployment we created.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cockpit.core.redact import redact_secrets
from cockpit.core.text import one_line
from cockpit.journal import JournalError
from cockpit.journal.progress import ROLLBACK, ROLLBACK_PREFIX
from cockpit.probes.aws.ecs import describe_services, short_name, update_service
from cockpit.probes.aws.errors import NETWORK as NETWORK_KIND
from cockpit.probes.aws.errors import TIMEOUT as TIMEOUT_KIND
from cockpit.probes.aws.errors import AwsProblem
from cockpit.rollback.plan import RollbackPlan, same
from cockpit.rollback.watch import COMPLETED, ECS_ROLLED_BACK, ERROR, FAILED, STARTED, TIMEOUT, Progress, RolloutWatch

__all__ = ["COMPLETED", "ECS_ROLLED_BACK", "ERROR", "FAILED", "REFUSED", "STARTED", "TIMEOUT", "Outcome", "Progress", "RollbackRun", "refusal"]

REFUSED = "refused"

RECHECK_TRIES = 3  # throttled once at the wrong moment is no reason to refuse
Record = Callable[[str, str, dict[str, Any]], Any]  # RunSession.record(step_id, kind, payload)


@dataclass(frozen=True)
class Outcome:
    """How a rollback ended; `healthy` is the health re-check after a completed rollout (None: not run)."""

    status: str
    reason: str
    deployment: str = ""
    healthy: bool | None = None
    health: str = ""

    @property
    def ok(self) -> bool:
        """Rolled back, and healthy when the health was checked."""
        return self.status in (COMPLETED, STARTED) and self.healthy is not False

    @property
    def verdict(self) -> str:
        """One line for a human."""
        if self.status == COMPLETED:
            if self.healthy is None:
                return f"rolled back ({self.reason})"
            return f"rolled back and {'healthy' if self.healthy else 'NOT healthy'}: {self.health}"
        if self.status == STARTED:
            return f"rollback started, not watched: {self.reason}"
        return f"NOT rolled back ({self.status}): {self.reason}"


def refusal(plan: RollbackPlan, *, read_only: bool, typed: str | None) -> str:
    """Why this rollback must not run ('' when it may)."""
    if read_only:
        return "refused: this cockpit is read-only (--read-only): it changes nothing"
    if same(plan.from_arn, plan.to_arn):
        return f"refused: {plan.service} already runs {short_name(plan.to_arn)}"
    if plan.to_inactive:
        return f"refused: {short_name(plan.to_arn)} is INACTIVE (deregistered): ECS does not deploy it"
    if typed is None or typed.strip() != plan.confirmation:
        return f"refused: the confirmation must be exactly {plan.confirmation!r}"
    return ""


def _health(verify: Callable[[], tuple[bool, str]]) -> tuple[bool, str]:
    """The re-check's verdict; one that cannot run is not a pass (the rollout did complete)."""
    try:
        return verify()
    except Exception as exc:
        return False, f"the health re-check could not run: {type(exc).__name__}: {one_line(redact_secrets(str(exc)), 200)}"


class RollbackRun:
    """One rollback of `plan` on an ECS `client`, journaled through `record`.

    `progress` is called from the calling thread while watching; `stop` ends a watch early
    (the outcome then says it was not watched to the end).
    """

    def __init__(
        self,
        client: Any,
        plan: RollbackPlan,
        record: Record,
        *,
        timeout: float = 600.0,
        poll: float = 5.0,
        progress: Callable[[Progress], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        stop: threading.Event | None = None,
    ) -> None:
        self.client = client
        self.plan = plan
        self.record = record
        self.timeout = timeout
        self.poll = poll
        self.progress = progress or (lambda _p: None)
        self.clock = clock
        self.stop = stop or threading.Event()
        self.step_id = ROLLBACK_PREFIX + plan.service
        self.deployment = ""
        self.known_events: set[str] = set()

    def _journal(self, phase: str, **fields: Any) -> None:
        self.record(self.step_id, ROLLBACK, {"phase": phase, **self.plan.payload(), **fields})

    def start(self) -> Outcome | None:
        """Check the service still runs what the plan says, journal the intent, call update_service.

        An Outcome only when it did not start. A timeout or lost connection on the call
        itself does not mean ECS did nothing: the service is read again to find out.
        """
        for attempt in range(RECHECK_TRIES):
            try:
                now = describe_services(self.client, self.plan.cluster, [self.plan.service])[0]
                break
            except AwsProblem as problem:
                if not problem.transient or attempt == RECHECK_TRIES - 1:
                    return Outcome(REFUSED, f"could not re-read {self.plan.service} before the update: {problem.reason}")
                self.stop.wait(min(self.poll, 1.0))
        if now.missing or not same(now.task_definition or self.plan.from_arn, self.plan.from_arn):
            where = "is gone" if now.missing else f"now runs {short_name(now.task_definition)}"
            return Outcome(REFUSED, f"{self.plan.service} changed since the plan was made ({where}): look again")
        try:
            self._journal("intent")
        except JournalError as exc:  # not journaled (another operator's rollback came first, the journal away): not sent
            return Outcome(REFUSED, f"{exc}; nothing sent")
        try:
            state = update_service(self.client, self.plan.cluster, self.plan.service, self.plan.to_arn)
        except AwsProblem as problem:
            if problem.kind not in (TIMEOUT_KIND, NETWORK_KIND):
                return self.finish(Outcome(ERROR, problem.reason))
            try:  # did the call reach ECS?
                state = describe_services(self.client, self.plan.cluster, [self.plan.service])[0]
            except AwsProblem:
                return self.finish(Outcome(ERROR, f"{problem.reason}; the update may or may not have been applied: check ECS"))
            if not same(state.task_definition, self.plan.to_arn):
                return self.finish(Outcome(ERROR, f"{problem.reason}; {self.plan.service} still runs {short_name(state.task_definition)}"))
        ours = RolloutWatch(self.plan.cluster, self.plan.service, self.plan.to_arn).ours(state)
        self.deployment = ours.id if ours is not None and ours.status == "PRIMARY" else ""
        self.known_events = {e.id for e in state.events}  # older than the update: the watch shows only newer ones
        self._journal("started", deployment=self.deployment)
        return None

    def run(self, *, wait: bool = True, verify: Callable[[], tuple[bool, str]] | None = None) -> Outcome:
        """Start, watch (unless not `wait`), re-check health after a completed rollout, journal the outcome."""
        failed = self.start()
        if failed is not None:
            return failed
        if not wait:
            return self.finish(Outcome(STARTED, f"deployment {self.deployment or '(not reported)'} under way", self.deployment))
        try:
            outcome = self.watch()
            if outcome.status == COMPLETED and verify is not None:
                healthy, health = _health(verify)
                outcome = Outcome(outcome.status, outcome.reason, outcome.deployment, healthy, health)
        except BaseException as exc:  # Ctrl+C, or the screen gone under the watch: ECS carries on, the journal says so
            self.finish(Outcome(STARTED, f"watch interrupted ({type(exc).__name__}); ECS carries on", self.deployment))
            raise
        return self.finish(outcome)

    def watch(self) -> Outcome:
        """Follow the rollout to its end (see the module docstring and rollback/watch.py); journals nothing."""
        watch = RolloutWatch(self.plan.cluster, self.plan.service, self.plan.to_arn, self.deployment, set(self.known_events))
        verdict = watch.follow(self.client, timeout=self.timeout, poll=self.poll, progress=self.progress, clock=self.clock, stop=self.stop)
        return Outcome(verdict.status, verdict.reason, verdict.deployment)

    def finish(self, outcome: Outcome) -> Outcome:
        """Journal the outcome and return it."""
        self._journal("outcome", status=outcome.status, reason=outcome.reason, deployment=outcome.deployment,
                      healthy=outcome.healthy, health=outcome.health)
        return outcome
