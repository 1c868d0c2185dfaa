"""The services pane's poller: describe_services (and each new task definition) in a daemon thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from cockpit.core.backoff import backoff_delay
from cockpit.monitor.repeater import Repeater
from cockpit.probes.aws.clients import LazyClient
from cockpit.probes.aws.ecs import ServiceState, TaskDefinition, describe_services, describe_task_definition
from cockpit.probes.aws.errors import THROTTLED, classify_aws
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


class ServicesWatch:
    """Reads `services` of `cluster` every `settings.interval_seconds`, reporting to `report` (any thread).

    `flags` are the declared feature flags whose values the task definitions keep.
    """

    def __init__(self, cluster: str, services: tuple[str, ...], flags: tuple[str, ...], client: LazyClient,
                 settings: EcsSettings, report: Callable[[object], None], max_backoff: float = 60.0) -> None:
        self.cluster = cluster
        self.services = services
        self.flags = flags
        self.client = client
        self.settings = settings
        self.report = report
        self.max_backoff = max_backoff
        self.cache: dict[str, TaskDefinition] = {}
        self.thread = Repeater("services", self._run)

    def start(self) -> None:
        """Start polling."""
        self.thread.start()

    def stop(self) -> None:
        """Stop at the next wait."""
        self.thread.stop()

    def refresh(self) -> None:
        """Poll now (after a rollback, say)."""
        self.thread.wake()

    def _read(self) -> ServicesRead:
        client = self.client.get()
        states = describe_services(client, self.cluster, self.services)
        wanted = {s.task_definition for s in states if s.task_definition} | {d.task_definition for s in states for d in s.deployments}
        for reference in wanted - set(self.cache):
            if len(self.cache) >= TD_CACHE:
                self.cache.clear()
            self.cache[reference] = describe_task_definition(client, reference, self.flags)
        return ServicesRead(states, {ref: self.cache[ref] for ref in wanted})

    def _run(self, stop: threading.Event) -> None:
        failures = 0
        interval = self.settings.interval_seconds
        while not stop.is_set():
            try:
                self.report(self._read())
                failures, delay = 0, interval
            except Exception as exc:  # AwsProblem, or boto3's own while building the client
                problem = classify_aws(exc, "ecs")
                failures += 1
                delay = backoff_delay(failures, interval, self.max_backoff) if problem.transient else self.max_backoff
                self.report(ServicesFailed(problem.reason, problem.kind == THROTTLED, delay))
            if not self.thread.sleep(delay):
                return
