"""ECS services and task definitions as immutable snapshots (boto3, synchronous).

Nothing here keeps an environment variable's or a secret's value: a task definition is
reduced to NAMES, except the runbook's declared boolean feature flags, whose values
(on, off, unset) are what the flags pane shows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cockpit.core.logline import clean_message
from cockpit.probes.aws.errors import NOT_FOUND, AwsProblem, classify_aws

EVENTS_KEPT = 8
FLAG_ON = ("true", "1", "yes", "on")
FLAG_OFF = ("false", "0", "no", "off", "")


def short_name(arn_or_name: str) -> str:
    """'arn:aws:ecs:…:task-definition/avnz-api:42' → 'avnz-api:42' (a family:revision stays)."""
    return arn_or_name.rsplit("/", 1)[-1]


def revision_of(arn_or_name: str) -> int | None:
    """The revision number of a task definition reference, or None."""
    tail = short_name(arn_or_name)
    number = tail.rsplit(":", 1)[-1] if ":" in tail else ""
    return int(number) if number.isdigit() else None


@dataclass(frozen=True)
class Container:
    """One container of a task definition: what it runs, never its secrets' values."""

    name: str
    image: str
    cpu: int | None = None
    memory: int | None = None
    ports: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    env_names: tuple[str, ...] = ()
    secret_names: tuple[str, ...] = ()

    @property
    def image_tag(self) -> str:
        """The tag (or digest) of the image: what people call the version."""
        image = self.image.rsplit("/", 1)[-1]
        if "@" in image:
            return image.split("@", 1)[1][:19]
        return image.split(":", 1)[1] if ":" in image else "latest"


@dataclass(frozen=True)
class TaskDefinition:
    """A task definition revision, reduced to what a rollback needs to compare."""

    arn: str
    family: str
    revision: int
    status: str = "ACTIVE"
    registered_at: datetime | None = None
    cpu: str = ""
    memory: str = ""
    containers: tuple[Container, ...] = ()
    flags: dict[str, str] = field(default_factory=dict, compare=False)  # declared flags only: on/off/unset

    @property
    def name(self) -> str:
        """family:revision."""
        return f"{self.family}:{self.revision}"

    @property
    def image_tags(self) -> tuple[str, ...]:
        """Image tags of its containers, in order."""
        return tuple(c.image_tag for c in self.containers)

    def defines(self, variable: str) -> bool:
        """True when any container sets `variable` (environment or secret)."""
        return any(variable in c.env_names or variable in c.secret_names for c in self.containers)


def _flag_value(value: str | None) -> str:
    if value is None:
        return "unset"
    v = value.strip().lower()
    return "on" if v in FLAG_ON else "off" if v in FLAG_OFF else "unset"


_SECRET_FLAG = re.compile(r"(?i)^--?[\w.-]*(password|passwd|secret|token|key|credential)[\w.-]*$")


def _command(args: Sequence[Any], names: set[str]) -> tuple[str, ...]:
    """A container command with secret-looking values masked: the argument after `--db-password`
    and the like, and `NAME=value` where NAME is one of the container's variables or secrets."""
    out: list[str] = []
    hide_next = False
    for arg in (str(a) for a in args):
        if hide_next:
            out.append("***")
            hide_next = False
            continue
        if _SECRET_FLAG.match(arg):
            hide_next = True
        for name in names:
            arg = re.sub(rf"\b{re.escape(name)}=\S+", f"{name}=***", arg)
        out.append(clean_message(arg, 200))
    return tuple(out)


def _container(raw: dict[str, Any]) -> Container:
    ports = tuple(
        f"{p.get('containerPort')}/{p.get('protocol', 'tcp')}" + (f"→{p['hostPort']}" if p.get("hostPort") not in (None, p.get("containerPort")) else "")
        for p in raw.get("portMappings", ())
    )
    return Container(
        name=clean_message(str(raw.get("name", "")), 80),
        image=clean_message(str(raw.get("image", "")), 300),
        cpu=raw.get("cpu"),
        memory=raw.get("memory") or raw.get("memoryReservation"),
        ports=ports,
        command=_command(raw.get("command") or (), {str(v.get("name", "")) for v in (raw.get("environment") or []) + (raw.get("secrets") or [])} - {""}),
        env_names=tuple(sorted(clean_message(str(e.get("name", "")), 120) for e in raw.get("environment") or ())),
        secret_names=tuple(sorted(clean_message(str(s.get("name", "")), 120) for s in raw.get("secrets") or ())),
    )


def task_definition(raw: dict[str, Any], flags: Sequence[str] = ()) -> TaskDefinition:
    """A TaskDefinition from describe_task_definition's `taskDefinition` (values of `flags` only)."""
    arn = str(raw.get("taskDefinitionArn", ""))
    values: dict[str, str] = {}
    for container in raw.get("containerDefinitions", ()):
        for env in container.get("environment") or ():
            if env.get("name") in flags and env.get("name") not in values:
                values[env["name"]] = _flag_value(str(env.get("value", "")))
        for secret in container.get("secrets") or ():
            if secret.get("name") in flags and secret.get("name") not in values:
                values[secret["name"]] = "set (secret)"
    registered = raw.get("registeredAt")
    return TaskDefinition(
        arn=arn,
        family=str(raw.get("family", "")),
        revision=int(raw.get("revision", revision_of(arn) or 0)),
        status=str(raw.get("status", "ACTIVE")),
        registered_at=registered if isinstance(registered, datetime) else None,
        cpu=str(raw.get("cpu") or ""),
        memory=str(raw.get("memory") or ""),
        containers=tuple(_container(c) for c in raw.get("containerDefinitions", ())),
        flags={name: values.get(name, "unset") for name in flags},
    )


def describe_task_definition(client: Any, reference: str, flags: Sequence[str] = ()) -> TaskDefinition:
    """One revision (ARN or family:revision). Raises AwsProblem."""
    try:
        raw = client.describe_task_definition(taskDefinition=reference)["taskDefinition"]
    except Exception as exc:
        raise classify_aws(exc, f"task definition {short_name(reference)}") from exc
    return task_definition(raw, flags)


def list_revisions(client: Any, family: str) -> list[tuple[int, str, str]]:
    """(revision, arn, status) of every ACTIVE and INACTIVE revision of `family`, newest first.

    Every page is read and the order is ours (ECS's `sort` is not relied on). Raises AwsProblem.
    """
    found: dict[int, tuple[int, str, str]] = {}
    try:
        for status in ("ACTIVE", "INACTIVE"):
            token = None
            while True:
                args: dict[str, Any] = {"familyPrefix": family, "status": status, "maxResults": 100}
                if token:
                    args["nextToken"] = token
                page = client.list_task_definitions(**args)
                for arn in page.get("taskDefinitionArns", ()):
                    name = short_name(arn)
                    revision = revision_of(arn)
                    if revision is not None and name.rsplit(":", 1)[0] == family:  # the family itself, not a longer one
                        found.setdefault(revision, (revision, arn, status))
                token = page.get("nextToken")
                if not token:
                    break
    except Exception as exc:
        raise classify_aws(exc, f"task definitions of {family}") from exc
    return sorted(found.values(), reverse=True)


@dataclass(frozen=True)
class Deployment:
    """One deployment of a service."""

    id: str
    status: str  # PRIMARY | ACTIVE | INACTIVE
    task_definition: str  # ARN (or family:revision)
    rollout: str = ""  # IN_PROGRESS | COMPLETED | FAILED
    reason: str = ""
    desired: int = 0
    running: int = 0
    pending: int = 0
    failed: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class ServiceEvent:
    """A service event (ECS's own words, cleaned)."""

    at: datetime | None
    message: str
    id: str = ""


@dataclass(frozen=True)
class ServiceState:
    """A service as describe_services reports it; `missing` when ECS does not know it.

    A deleted service is still described for a while (status DRAINING, then INACTIVE):
    it is `missing` too, as nothing can be rolled back on it (update_service refuses it).
    """

    name: str
    cluster: str
    task_definition: str = ""
    desired: int = 0
    running: int = 0
    pending: int = 0
    deployments: tuple[Deployment, ...] = ()
    events: tuple[ServiceEvent, ...] = ()
    circuit_breaker: bool = False
    missing: bool = False
    status: str = "ACTIVE"  # ACTIVE | DRAINING | INACTIVE (as ECS says; "" when missing from the answer)

    @property
    def primary(self) -> Deployment | None:
        """The PRIMARY deployment (the one ECS is moving to), if any."""
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)


def _deployment(raw: dict[str, Any]) -> Deployment:
    return Deployment(
        id=str(raw.get("id", "")),
        status=str(raw.get("status", "")),
        task_definition=str(raw.get("taskDefinition", "")),
        rollout=str(raw.get("rolloutState", "")),
        reason=clean_message(str(raw.get("rolloutStateReason", "") or ""), 300),
        desired=int(raw.get("desiredCount", 0) or 0),
        running=int(raw.get("runningCount", 0) or 0),
        pending=int(raw.get("pendingCount", 0) or 0),
        failed=int(raw.get("failedTasks", 0) or 0),
        created_at=raw.get("createdAt") if isinstance(raw.get("createdAt"), datetime) else None,
    )


def service_state(raw: dict[str, Any], cluster: str) -> ServiceState:
    """A ServiceState from one entry of describe_services' `services`."""
    breaker = (raw.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker") or {}
    status = str(raw.get("status") or "ACTIVE")
    events = tuple(
        ServiceEvent(e.get("createdAt") if isinstance(e.get("createdAt"), datetime) else None, clean_message(str(e.get("message", "")), 400), str(e.get("id", "")))
        for e in (raw.get("events") or ())[:EVENTS_KEPT]
    )
    return ServiceState(
        name=str(raw.get("serviceName", "")),
        cluster=cluster,
        task_definition=str(raw.get("taskDefinition", "")),
        desired=int(raw.get("desiredCount", 0) or 0),
        running=int(raw.get("runningCount", 0) or 0),
        pending=int(raw.get("pendingCount", 0) or 0),
        deployments=tuple(_deployment(d) for d in raw.get("deployments") or ()),
        events=events,
        circuit_breaker=bool(breaker.get("enable")),
        missing=status != "ACTIVE",
        status=status,
    )


def describe_services(client: Any, cluster: str, names: Sequence[str]) -> tuple[ServiceState, ...]:
    """Each service in `names`, in that order (`missing` when ECS has none). Raises AwsProblem."""
    try:
        page = client.describe_services(cluster=cluster, services=list(names))
    except Exception as exc:
        raise classify_aws(exc, f"services of {cluster}") from exc
    found = {s.get("serviceName"): service_state(s, cluster) for s in page.get("services", ())}
    return tuple(found.get(name, ServiceState(name, cluster, missing=True, status="")) for name in names)


def update_service(client: Any, cluster: str, service: str, task_definition_arn: str) -> ServiceState:
    """Point `service` at `task_definition_arn` (ECS starts a new deployment). Raises AwsProblem."""
    try:
        raw = client.update_service(cluster=cluster, service=service, taskDefinition=task_definition_arn)["service"]
    except Exception as exc:
        raise classify_aws(exc, f"update_service {service}") from exc
    return service_state(raw, cluster)


__all__ = ["AwsProblem", "NOT_FOUND", "Container", "Deployment", "ServiceEvent", "ServiceState", "TaskDefinition"]
