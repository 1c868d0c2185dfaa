"""Rolling ECS deployments inside moto, for `moto_host --simulate-ecs` (imported only there: it imports moto).

moto 5.2.5 never moves a deployment: `update_service` only stores the task definition and
the one PRIMARY deployment stays IN_PROGRESS with nothing running. `EcsSimulator.install()`
patches moto's ECS backend so that, as on ECS with a rolling update:
- `update_service` with another task definition (or `forceNewDeployment`, or any task
  definition after a FAILED rollout) demotes the PRIMARY deployment to ACTIVE and starts a
  new PRIMARY one, IN_PROGRESS; an INACTIVE task definition is refused as ECS does;
- every `step` seconds a daemon ticker starts one task of each IN_PROGRESS deployment and
  stops one of the older deployments, with ECS's service events, until the new one runs
  `desiredCount`: COMPLETED, the older deployments gone, "has reached a steady state";
- `fail_next(cluster, service, region)` dooms the service's current IN_PROGRESS deployment,
  or else its next one: its tasks fail health checks and the circuit breaker marks it FAILED
  with the older ACTIVE deployment still running (ECS without automatic rollback).

moto's objects are only touched under `lock` (an RLock), which the host also holds around
every ECS request, so describe_services never sees a half-made step.
"""

from __future__ import annotations

import random
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.ecs.exceptions import EcsClientException
from moto.ecs.models import EC2ContainerServiceBackend

EVENTS_KEPT = 100  # ECS returns the newest 100 service events
FAIL_AFTER_TICKS = 3  # a doomed deployment's tasks start failing health checks from this tick
CIRCUIT_BREAKER_TICKS = 5  # ... and the circuit breaker trips at this one


@dataclass
class _Doom:
    """A deployment whose tasks will fail: ticks seen, tasks started and not failed yet."""

    ticks: int = 0
    tasks: list[str] = field(default_factory=list)


@dataclass
class _Tracked:
    """A service the simulator drives, with the moto backend that holds it."""

    backend: Any
    service: Any
    fail_next: bool = False
    doomed: dict[str, _Doom] = field(default_factory=dict)  # by deployment id

    def current(self) -> bool:
        """False once moto forgot the service (a reset, a re-created backend)."""
        return getattr(self.backend, "services", {}).get(f"{self.service.cluster_name}:{self.service.name}") is self.service


def _now() -> datetime:
    return datetime.now(UTC)


def _task_id() -> str:
    return uuid.uuid4().hex  # ECS task ids are 32 hex digits


def _primary(service) -> dict[str, Any] | None:
    return next((d for d in service.deployments if d.get("status") == "PRIMARY"), None)


class EcsSimulator:
    """Drives moto's ECS services like ECS rolling deployments; see the module docstring."""

    def __init__(self, step_seconds: float = 1.0) -> None:
        self.step_seconds = step_seconds
        self.lock = threading.RLock()
        self._tracked: dict[tuple[str, str, str, str], _Tracked] = {}

    # -- public -------------------------------------------------------------------------

    def install(self) -> None:
        """Patch moto's ECS backend class (create_service, update_service) to report to this simulator."""
        original_create = EC2ContainerServiceBackend.create_service
        original_update = EC2ContainerServiceBackend.update_service
        simulator = self

        def create_service(backend, *args, **kwargs):
            with simulator.lock:
                service = original_create(backend, *args, **kwargs)
                simulator._track(backend, service)
                return service

        def update_service(backend, service_properties):
            with simulator.lock:
                return simulator._update_service(original_update, backend, dict(service_properties))

        # Patching moto's class is the point here; the wrappers take and return what moto's methods do.
        EC2ContainerServiceBackend.create_service = create_service  # type: ignore[method-assign, assignment]
        EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign]

    def start(self) -> None:
        """Start the daemon ticker thread (it ends with the moto host process)."""
        threading.Thread(target=self._run, name="ecs-sim", daemon=True).start()

    def forget(self) -> None:
        """Drop every tracked service (moto was reset)."""
        with self.lock:
            self._tracked.clear()

    def fail_next(self, cluster: str, service: str, region: str) -> bool:
        """Doom the service's IN_PROGRESS deployment, else its next one; False when no such service."""
        cluster, service = cluster.split("/")[-1], service.split("/")[-1]
        with self.lock:
            for (_account, where, cluster_name, name), tracked in list(self._tracked.items()):
                if (where, cluster_name, name) != (region, cluster, service) or not tracked.current():
                    continue
                primary = _primary(tracked.service)
                if primary is not None and primary["rolloutState"] == "IN_PROGRESS":
                    tracked.doomed.setdefault(primary["id"], _Doom())
                else:
                    tracked.fail_next = True
                return True
        return False

    def tick(self) -> None:
        """One step of every IN_PROGRESS deployment (the ticker calls this every `step_seconds`)."""
        with self.lock:
            for key, tracked in list(self._tracked.items()):
                if not tracked.current():
                    del self._tracked[key]
                elif tracked.service.status == "ACTIVE":
                    self._step(tracked)

    # -- moto hooks ---------------------------------------------------------------------

    def _track(self, backend, service) -> _Tracked:
        key = (backend.account_id, service.region_name, service.cluster_name, service.name)
        tracked = self._tracked.get(key)
        if tracked is None or tracked.service is not service:
            tracked = self._tracked[key] = _Tracked(backend, service)
        return tracked

    def _update_service(self, original, backend, props: dict[str, Any]):
        # Checks first, so a refused call changes nothing (moto raises the same errors for these).
        service = backend._get_service(props.get("cluster", "default"), props["service"].split("/")[-1])
        wanted = backend.describe_task_definition(props["task_definition"]) if props.get("task_definition") else None
        if wanted is not None and wanted.status == "INACTIVE":
            raise EcsClientException("TaskDefinition is inactive")
        force = bool(props.pop("force_new_deployment", False))  # moto would only rename the PRIMARY deployment
        before = (service.running_count, service.pending_count)
        service = original(backend, props)
        self._undo_cluster_counts(backend, service, before, props.get("desired_count"))
        tracked = self._track(backend, service)
        primary = _primary(service)
        if primary is None:  # not the ECS deployment controller: nothing to simulate
            return service
        target = wanted.arn if wanted is not None else primary["taskDefinition"]
        if force or (wanted is not None and (target != primary["taskDefinition"] or primary["rolloutState"] == "FAILED")):
            self._start_deployment(tracked, primary, target)
        else:
            primary["desiredCount"] = service.desired_count
            if primary["rolloutState"] == "COMPLETED":  # a plain scale: no rollout to watch
                primary["runningCount"], primary["pendingCount"] = service.desired_count, 0
        self._sync(tracked)
        return service

    @staticmethod
    def _undo_cluster_counts(backend, service, before: tuple[int, int], desired: Any) -> None:
        # moto's update_service took the service's tasks off the cluster and put `desired`
        # back as running; put the cluster and service back as they were, `_sync` then
        # applies the change the simulator decides on.
        cluster = backend.clusters.get(service.cluster_name)
        if cluster is not None:
            cluster.running_tasks_count += before[0] - (int(desired) if desired is not None else 0)
            cluster.pending_tasks_count += before[1]
        service.running_count, service.pending_count = before

    def _start_deployment(self, tracked: _Tracked, primary: dict[str, Any], task_definition: str) -> None:
        service = tracked.service
        tracked.doomed.pop(primary["id"], None)  # superseded before its circuit breaker tripped
        primary["status"] = "ACTIVE"
        primary["updatedAt"] = _now()
        deployment_id = f"ecs-svc/{random.randrange(10**18, 10**19)}"
        service.deployments.insert(0, {
            **primary,
            "id": deployment_id,
            "status": "PRIMARY",
            "taskDefinition": task_definition,
            "desiredCount": service.desired_count,
            "pendingCount": service.desired_count,
            "runningCount": 0,
            "failedTasks": 0,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
            "createdAt": _now(),
            "updatedAt": _now(),
        })
        if tracked.fail_next:
            tracked.fail_next = False
            tracked.doomed[deployment_id] = _Doom()

    # -- the ticker ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            time.sleep(self.step_seconds)
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - one bad step must not end the rollouts of the whole demo
                traceback.print_exc(file=sys.stderr)

    def _step(self, tracked: _Tracked) -> None:
        primary = _primary(tracked.service)
        if primary is None or primary["rolloutState"] != "IN_PROGRESS":
            return
        if primary["id"] in tracked.doomed:
            self._step_doomed(tracked, primary)
        else:
            self._step_rolling(tracked, primary)
        primary["updatedAt"] = _now()
        self._sync(tracked)

    def _step_rolling(self, tracked: _Tracked, primary: dict[str, Any]) -> None:
        service = tracked.service
        desired = primary["desiredCount"] = service.desired_count
        older = [d for d in service.deployments if d is not primary]
        if primary["runningCount"] < desired:
            primary["runningCount"] += 1
            primary["pendingCount"] = desired - primary["runningCount"]
            self._event(service, f"has started 1 tasks: (task {_task_id()}).")
            self._event(service, f"registered 1 targets in (target-group {self._target_group(service)})")
            self._stop_one(service, older)
        elif not self._stop_one(service, older):
            primary["runningCount"], primary["pendingCount"] = desired, 0  # scaled in meanwhile
        if primary["runningCount"] >= desired and not any(d["runningCount"] for d in older):
            primary.update(rolloutState="COMPLETED", rolloutStateReason=f"ECS deployment {primary['id']} completed.", pendingCount=0)
            service.deployments[:] = [primary]
            self._event(service, f"(deployment {primary['id']}) deployment completed.")
            self._event(service, "has reached a steady state.")

    def _step_doomed(self, tracked: _Tracked, primary: dict[str, Any]) -> None:
        service = tracked.service
        doom = tracked.doomed[primary["id"]]
        doom.ticks += 1
        if doom.ticks < FAIL_AFTER_TICKS:  # tasks get placed, then never pass their health checks
            doom.tasks.append(_task_id())
            self._event(service, f"has started 1 tasks: (task {doom.tasks[-1]}).")
            return
        if doom.tasks:
            failing = doom.tasks.pop(0)
            primary["failedTasks"] += 1
            self._event(service, f"(task {failing}) failed container health checks.")
            self._event(service, f"has stopped 1 running tasks: (task {failing}).")
        if doom.ticks < CIRCUIT_BREAKER_TICKS:
            return
        # The circuit breaker: the new tasks are gone, the older deployment runs what it ran.
        older = next((d for d in service.deployments if d is not primary and d["rolloutState"] != "FAILED"), None)
        if older is not None:
            older["runningCount"] += primary["runningCount"]
        primary.update(rolloutState="FAILED", rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
                       runningCount=0, pendingCount=0)
        del tracked.doomed[primary["id"]]
        self._event(service, f"(deployment {primary['id']}) deployment failed: tasks failed to start.")

    def _stop_one(self, service, older: list[dict[str, Any]]) -> bool:
        victim = next((d for d in older if d["runningCount"] > 0), None)
        if victim is None:
            return False
        victim["runningCount"] -= 1
        victim["updatedAt"] = _now()
        self._event(service, f"has stopped 1 running tasks: (task {_task_id()}).")
        return True

    @staticmethod
    def _target_group(service) -> str:
        for balancer in service.load_balancers or ():
            if balancer.get("targetGroupArn"):
                return balancer["targetGroupArn"]
        suffix = uuid.uuid5(uuid.NAMESPACE_URL, service.arn).hex[:16]  # stable per service, like a real one
        return f"arn:aws:elasticloadbalancing:{service.region_name}:{service._account_id}:targetgroup/{service.name[:32]}/{suffix}"

    @staticmethod
    def _event(service, text: str) -> None:
        service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": _now(), "message": f"(service {service.name}) {text}"})
        del service.events[EVENTS_KEPT:]

    @staticmethod
    def _sync(tracked: _Tracked) -> None:
        """Service counts and task definition from the deployments (and the cluster's counts with them)."""
        service = tracked.service
        running = sum(d["runningCount"] for d in service.deployments)
        pending = sum(d["pendingCount"] for d in service.deployments)
        cluster = tracked.backend.clusters.get(service.cluster_name)
        if cluster is not None:
            cluster.running_tasks_count += running - service.running_count
            cluster.pending_tasks_count += pending - service.pending_count
        service.running_count, service.pending_count = running, pending
        primary = _primary(service)
        if primary is not None:
            service.task_definition = primary["taskDefinition"]
