"""Following one ECS deployment to its end: the judgement a rollback's watch and a deploy's follow-up share.

A rollback starts the deployment itself (update_service); a workflow's deploy is started by
the workflow and found afterwards (engine/deploy_follow.py). Either way the deployment is
then read with describe_services until it is COMPLETED or FAILED, or ECS put another
deployment first (its circuit breaker rolled back), and only that deployment's state is ever
called success. `RolloutWatch.observe` judges one read; `follow` is the blocking loop a
rollback runs in its thread; the engine's asynchronous follow-up calls `observe` from its
own loop, so the judgement is written once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cockpit.probes.aws.ecs import Deployment, ServiceEvent, ServiceState, describe_services, short_name
from cockpit.probes.aws.errors import AwsProblem
from cockpit.rollback.plan import same

COMPLETED, FAILED, TIMEOUT, ECS_ROLLED_BACK, STARTED, ERROR = "completed", "failed", "timeout", "rolled back by ECS", "started", "error"


@dataclass(frozen=True)
class Progress:
    """Where a rollout is: for the screen and the headless command."""

    elapsed: float
    running: int
    desired: int
    rollout: str
    events: tuple[ServiceEvent, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """How a watched rollout ended: a status above, one line why, and the deployment's id ('' when unknown)."""

    status: str
    reason: str
    deployment: str = ""


@dataclass
class RolloutWatch:
    """One deployment of `service` followed read by read: by its id when known, else by its task definition `to_arn`.

    `seen` holds the ids of events already shown (older than the deployment: not news).
    """

    cluster: str
    service: str
    to_arn: str
    deployment: str = ""
    seen: set[str] = field(default_factory=set)
    seen_ours: bool = False

    def ours(self, state: ServiceState) -> Deployment | None:
        """Our deployment in `state`, if it is there."""
        for deployment in state.deployments:
            if (deployment.id == self.deployment) if self.deployment else same(deployment.task_definition, self.to_arn):
                return deployment
        return None

    def observe(self, state: ServiceState, elapsed: float) -> tuple[Progress, Verdict | None]:
        """One read: the progress to show (with the events not seen before) and the verdict, once there is one."""
        fresh = tuple(e for e in reversed(state.events) if e.id not in self.seen)
        self.seen |= {e.id for e in state.events}
        ours, primary = self.ours(state), state.primary
        self.seen_ours = self.seen_ours or (ours is not None and (not self.deployment or ours.id == self.deployment))
        shown = ours or primary
        progress = Progress(elapsed, shown.running if shown else state.running, state.desired, ours.rollout if ours else "", fresh)
        return progress, self._judge(ours, primary)

    def timed_out(self, state: ServiceState | None, timeout: float) -> Verdict:
        """The verdict when the time is up before any other."""
        ours = self.ours(state) if state is not None else None
        where = f"rollout {ours.rollout or 'unknown'}, {ours.running}/{ours.desired} running" if ours else "no deployment of the target seen"
        return Verdict(TIMEOUT, f"not finished after {timeout:.0f} s ({where})", self.deployment)

    def follow(self, client: Any, *, timeout: float, poll: float, progress: Callable[[Progress], None],
               clock: Callable[[], float] = time.monotonic, stop: threading.Event | None = None) -> Verdict:
        """Read every `poll` seconds until a verdict, the timeout, or `stop` (blocking: a thread's loop)."""
        stop = stop or threading.Event()
        began = clock()
        while True:
            try:
                state = describe_services(client, self.cluster, [self.service])[0]
            except AwsProblem as problem:
                if problem.transient and clock() - began < timeout:
                    stop.wait(poll)
                    continue
                return Verdict(ERROR, f"lost sight of the rollout: {problem.reason}", self.deployment)
            shown, verdict = self.observe(state, clock() - began)
            progress(shown)
            if verdict is not None:
                return verdict
            if clock() - began >= timeout:
                return self.timed_out(state, timeout)
            if stop.wait(poll):
                return Verdict(STARTED, "stopped watching; ECS carries on", self.deployment)

    def _replaced(self, ours: Deployment | None, primary: Deployment) -> bool:
        """ECS put another deployment first: knowing our id, any other PRIMARY (a circuit breaker may roll back
        to our very task definition, the last one COMPLETED); not knowing it, a PRIMARY on another definition."""
        if ours is not None and ours.id == primary.id:
            return False
        if not self.seen_ours:  # right after the update a read may not show it yet: not a verdict
            return False
        if self.deployment:
            return primary.id != self.deployment
        return ours is not None and not same(primary.task_definition, self.to_arn)

    def _judge(self, ours: Deployment | None, primary: Deployment | None) -> Verdict | None:
        if primary is not None and self._replaced(ours, primary):
            return Verdict(ECS_ROLLED_BACK, f"ECS replaced the deployment with {primary.id} on {short_name(primary.task_definition)} "
                           f"(circuit breaker rollback): {ours.reason if ours else 'our deployment is gone'}", self.deployment)
        if ours is None or ours.status != "PRIMARY":
            return None
        if ours.rollout == "COMPLETED":
            target = short_name(self.to_arn or ours.task_definition)
            return Verdict(COMPLETED, f"{ours.id} COMPLETED, {ours.running}/{ours.desired} running on {target}", ours.id)
        if ours.rollout == "FAILED":
            return Verdict(FAILED, ours.reason or f"{ours.id} FAILED", ours.id)
        return None
