"""The services pane's poller: describe_services (and each new task definition) in a daemon thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cockpit.monitor.repeater import PollingWatch
from cockpit.probes.aws.clients import LazyClient
from cockpit.probes.aws.ecs import ServiceState, TaskDefinition, describe_services, describe_task_definition
from cockpit.runbook.model import EcsSettings

TD_CACHE = 64  # task definitions are immutable: each revision is read once


@dataclass(frozen=True)
class ServicesRead:
    """Every watched service, and the task definitions they and their deployments run (by ARN or name)."""

    services: tuple[ServiceState, ...]
    task_definitions: dict[str, TaskDefinition]


@dataclass(frozen=True)
class ServicesFailed:
    """ECS could not be read; the watcher tries again in `retry_in` seconds."""

    reason: str
    throttled: bool
    retry_in: float


class ServicesWatch(PollingWatch):
    """Reads `services` of `cluster` every `settings.interval_seconds`, reporting to `report` (any thread).

    `flags` are the declared feature flags whose values the task definitions keep.
    """

    def __init__(self, cluster: str, services: tuple[str, ...], flags: tuple[str, ...], client: LazyClient,
                 settings: EcsSettings, report: Callable[[object], None], max_backoff: float = 60.0) -> None:
        super().__init__("ecs", settings.interval_seconds, max_backoff, report, ServicesFailed)
        self.cluster = cluster
        self.services = services
        self.flags = flags
        self.client = client
        self.cache: dict[str, TaskDefinition] = {}

    def read(self) -> ServicesRead:
        """The services and their task definitions, now (each revision described once)."""
        client = self.client.get()
        states = describe_services(client, self.cluster, self.services)
        wanted = {s.task_definition for s in states if s.task_definition} | {d.task_definition for s in states for d in s.deployments}
        for reference in wanted - set(self.cache):
            if len(self.cache) >= TD_CACHE:
                self.cache.clear()
            self.cache[reference] = describe_task_definition(client, reference, self.flags)
        return ServicesRead(states, {ref: self.cache[ref] for ref in wanted})
