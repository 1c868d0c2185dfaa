"""Alarms and ECS services in the engine: a blocking read (boto3) on a schedule, its failures classified.

Each read runs in an executor thread; a failure is reported with its retry time and
backs off (transient problems with jitter up to the runbook's maximum, the rest straight
to the maximum).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cockpit.engine.events import AlarmsFailed, AlarmsRead, ServicesFailed, ServicesRead
from cockpit.engine.schedule import Every
from cockpit.probes.aws.alarms import read_alarms
from cockpit.probes.aws.clients import LazyClient
from cockpit.probes.aws.ecs import TaskDefinition, describe_services, describe_task_definition
from cockpit.probes.aws.errors import THROTTLED, classify_aws

TD_CACHE = 64  # task definitions are immutable: each revision is read once

Blocking = Callable[..., Awaitable[Any]]


class Reads:
    """Reads `read()` (blocking) every `interval`; `report` gets what came of it (in the loop)."""

    def __init__(self, name: str, interval: float, max_backoff: float, read: Callable[[], Any],
                 failed: Callable[[str, bool, float], Any], report: Callable[[Any], None], blocking: Blocking) -> None:
        self.name = name
        self.read = read
        self.failed = failed
        self.report = report
        self.blocking = blocking
        self.every = Every(interval, max_backoff)

    async def once(self) -> float:
        """One read, reported; the delay until the next."""
        try:
            self.report(await self.blocking(self.read))
            return self.every.next_delay(False)
        except Exception as exc:  # AwsProblem, or boto3's own while building the client
            problem = classify_aws(exc, self.name)
            delay = self.every.next_delay(True, problem.transient)
            self.report(self.failed(problem.reason, problem.kind == THROTTLED, delay))
            return delay

    async def run(self) -> None:
        """Read until cancelled."""
        await self.every.run(self.once)


def alarms_reader(names: tuple[str, ...], client: LazyClient) -> Callable[[], AlarmsRead]:
    """The runbook's alarms, now."""
    return lambda: AlarmsRead(read_alarms(client.get(), names))


def services_reader(cluster: str, services: tuple[str, ...], flags: tuple[str, ...], client: LazyClient) -> Callable[[], ServicesRead]:
    """The services and their task definitions, now (each revision described once)."""
    cache: dict[str, TaskDefinition] = {}

    def read() -> ServicesRead:
        ecs = client.get()
        states = describe_services(ecs, cluster, services)
        wanted = {s.task_definition for s in states if s.task_definition} | {d.task_definition for s in states for d in s.deployments}
        for reference in wanted - set(cache):
            if len(cache) >= TD_CACHE:
                cache.clear()
            cache[reference] = describe_task_definition(ecs, reference, flags)
        return ServicesRead(states, {ref: cache[ref] for ref in wanted})

    return read


__all__ = ["AlarmsFailed", "Reads", "ServicesFailed", "alarms_reader", "services_reader"]
