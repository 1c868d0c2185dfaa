"""After a deploy workflow's run succeeded: find the ECS deployment it caused and follow it to its end.

A green run says the workflow finished, not that the service runs the new code: the step
passes only when the deployment the run started on the action's `service` is COMPLETED.
That deployment is the service's newest one created at or after the dispatch (GitHub's run
calls ECS after our request, so nothing older can be its). It is read with describe_services
through the engine's ECS client (in an executor thread: boto3 blocks) every `[ecs]
rollout_poll_seconds` for at most `rollout_timeout_seconds`, and judged by the rollback's own
`RolloutWatch` (rollback/watch.py). Each change goes out as a DeployRollout (the Services pane
marks the service) and as an ActionProgress line (the step's detail, `cockpit run`).

What it never does: say COMPLETED about a deployment it did not see complete. A stop, a
rollout still under way at the timeout, or ECS that cannot be read is an unknown outcome
(ECS carries on); no deployment at all within the timeout fails the step; an environment
without ECS settings says the rollout was not followed, and why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from cockpit.core.text import one_line
from cockpit.engine.action_exec import Done, stoppable_sleep
from cockpit.engine.action_plan import Prepared
from cockpit.engine.events import DeployRollout, EngineEvent
from cockpit.probes.aws.ecs import Deployment, ServiceState, describe_services
from cockpit.probes.aws.errors import classify_aws
from cockpit.rollback.watch import COMPLETED, ECS_ROLLED_BACK, FAILED, Progress, RolloutWatch, Verdict
from cockpit.runbook import Environment, Runbook

UNKNOWN = "UNKNOWN"
EVENTS_IN_EVIDENCE = 3


def newest_since(state: ServiceState, since: datetime) -> Deployment | None:
    """The service's newest deployment created at or after `since` (None: none yet)."""
    fresh = [d for d in state.deployments if d.created_at is not None and d.created_at >= since]
    return max(fresh, key=lambda d: d.created_at or since, default=None)


class DeployFollow:
    """The follow-up of one environment's deploys (see the module docstring); `follow` is handed to run_one."""

    def __init__(self, runbook: Runbook, env: Environment, ecs: Callable[[], Any], blocking: Callable[..., Awaitable[Any]],
                 emit: Callable[[EngineEvent], None]) -> None:
        self.runbook, self.env = runbook, env
        self.ecs = ecs  # the engine's ECS client (built on first use; blocking)
        self.blocking = blocking
        self.emit = emit

    def why_not(self, service: str) -> str:
        """Why `service`'s rollout cannot be followed in this environment ('' when it can)."""
        if not self.env.ecs_cluster:
            return f"environment {self.env.name} has no ecs_cluster"
        if service not in self.env.ecs_services:
            return f"{service} is not in environment {self.env.name}'s ecs_services"
        return ""

    async def follow(self, step_id: str, p: Prepared, since: datetime, stop: asyncio.Event, say: Callable[[str], None],
                     timeout: float | None = None) -> Done:
        """Wait for the deployment of `p`'s service that the run caused; its Done (evidence and journal fields)."""
        service = p.action.service
        why = self.why_not(service)
        if why:
            return Done(True, f"rollout of {service} not followed: {why}", {"rollout_state": "not followed", "rollout_detail": why})
        run = _Follow(self, step_id, service, since, stop, say)
        return await run.loop(self.runbook.ecs.rollout_timeout_seconds if timeout is None else timeout)

    async def read(self, service: str) -> ServiceState:
        """The service as ECS describes it now (AwsProblem, or what building the client raised)."""
        def job() -> ServiceState:
            return describe_services(self.ecs(), self.env.ecs_cluster, [service])[0]
        return await self.blocking(job)


class _Follow:
    """One follow-up: the loop, what was last shown, and the watch once the deployment is found."""

    def __init__(self, desk: DeployFollow, step_id: str, service: str, since: datetime, stop: asyncio.Event,
                 say: Callable[[str], None]) -> None:
        self.desk, self.step_id, self.service, self.since, self.stop, self.say = desk, step_id, service, since, stop, say
        self.watch: RolloutWatch | None = None
        self.shown: tuple[str, str] = ("", "")
        self.state = UNKNOWN
        self.since_text = f"{since:%H:%M:%S} UTC"

    def publish(self, state: str, text: str, *, force: bool = False) -> None:
        deployment = self.watch.deployment if self.watch else ""
        self.state = state
        if force or (deployment, state) != self.shown:
            self.shown = (deployment, state)
            self.desk.emit(DeployRollout(self.step_id, self.service, deployment, state, one_line(text, 300)))
            self.say(one_line(f"rollout of {self.service}: {text}", 300))

    def fields(self, **more: Any) -> dict[str, Any]:
        return {"service": self.service, "deployment_id": self.watch.deployment if self.watch else "", "rollout_state": self.state, **more}

    async def loop(self, timeout: float) -> Done:
        clock = asyncio.get_running_loop().time
        began, poll = clock(), self.desk.runbook.ecs.rollout_poll_seconds
        sleep = stoppable_sleep(self.stop)
        self.publish(UNKNOWN, f"waiting for a new ECS deployment (created since {self.since_text})")
        state: ServiceState | None = None
        while True:
            try:
                state = await self.desk.read(self.service)
            except Exception as exc:  # AwsProblem, or boto3 building the client
                problem = classify_aws(exc, f"reading {self.service}")
                if not problem.transient or clock() - began >= timeout:
                    return self.lost(problem.reason)  # a throttle or a timeout is tried again at the next poll
            else:
                ended = self.take(state, clock() - began)
                if ended is not None:
                    return ended
            if clock() - began >= timeout:
                return self.timed_out(state, timeout)
            await sleep(poll)
            if self.stop.is_set():
                return self.stopped()

    def take(self, state: ServiceState, elapsed: float) -> Done | None:
        """One read: find the deployment, or judge it; a Done once there is a verdict."""
        if state.missing:
            self.publish(UNKNOWN, f"{self.service} not found in {state.cluster}")
            return Done(False, f"the run succeeded but ECS has no service {self.service} in {state.cluster}", self.fields())
        if self.watch is None:
            found = newest_since(state, self.since)
            if found is None:
                return None
            older = {e.id for e in state.events if e.at is not None and e.at < self.since}
            self.watch = RolloutWatch(state.cluster, self.service, found.task_definition, found.id, older)
        progress, verdict = self.watch.observe(state, elapsed)
        self.publish(progress.rollout or UNKNOWN, _progress_text(self.watch.deployment, progress))
        return None if verdict is None else self.verdict(verdict, state)

    def verdict(self, verdict: Verdict, state: ServiceState) -> Done:
        events = [one_line(e.message, 200) for e in state.events[:EVENTS_IN_EVIDENCE]]
        if verdict.status == COMPLETED:
            self.publish("COMPLETED", verdict.reason)
            return Done(True, f"{self.service} deployment {verdict.reason}", self.fields())
        state_word = "FAILED" if verdict.status in (FAILED, ECS_ROLLED_BACK) else UNKNOWN
        self.publish(state_word, f"{verdict.reason}" + (f" · {events[0]}" if events else ""))
        what = f"{self.service} deployment {self.watch.deployment if self.watch else ''} FAILED: {verdict.reason}"
        return Done(False, what + (f"; ECS events: {' | '.join(events)}" if events else ""),
                    self.fields(rollout_reason=verdict.reason, rollout_events=events))

    def timed_out(self, state: ServiceState | None, timeout: float) -> Done:
        if self.watch is None:
            text = f"the run succeeded but no ECS deployment of {self.service} appeared since {self.since_text} (waited {timeout:g} s)"
            self.publish(UNKNOWN, f"no deployment appeared since {self.since_text}", force=True)
            return Done(False, text, self.fields(rollout_state="none"))
        where = self.watch.timed_out(state, timeout).reason
        self.publish(UNKNOWN, f"{self.watch.deployment} {where}; no longer followed, ECS carries on")
        return Done(False, f"the run succeeded; {self.service} deployment {self.watch.deployment} {where}: its outcome is unknown, "
                    "see the Services pane", self.fields(rollout_state=UNKNOWN), unknown=True)

    def stopped(self) -> Done:
        deployment = self.watch.deployment if self.watch else "(none seen yet)"
        self.publish(UNKNOWN, f"stopped following {deployment}; ECS carries on")
        return Done(False, f"the run succeeded; stopped following the rollout of {self.service} (deployment {deployment}): "
                    "its outcome is unknown", self.fields(rollout_state=UNKNOWN, watched="stopped"), unknown=True)

    def lost(self, reason: str) -> Done:
        self.publish(UNKNOWN, f"cannot read ECS: {reason}")
        return Done(False, f"the run succeeded; the rollout of {self.service} could not be read: {one_line(reason, 200)}",
                    self.fields(rollout_state=UNKNOWN, detail=reason), unknown=True)


def _progress_text(deployment: str, p: Progress) -> str:
    news = f" · {p.events[-1].message}" if p.events else ""
    return f"{deployment} {p.rollout or '?'} {p.running}/{p.desired} running · {p.elapsed:.0f} s{news}"
