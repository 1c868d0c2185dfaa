"""Scripted ECS rollouts for botocore's `Stubber`: what moto cannot do (DESIGN, Testing).

moto's `update_service` starts no deployment and its rollouts never leave IN_PROGRESS, so
the transitions a rollback watches are scripted here as describe_services responses:

    client, stubber = stubbed_ecs()
    rollout = Rollout("avnz-api", old=td_arn("avnz-api", 155), new=td_arn("avnz-api", 150))
    stub_update_service(stubber, rollout)                  # update_service → PRIMARY ecs-svc/NEW
    stub_describe_services(stubber, rollout.completes())   # IN_PROGRESS, IN_PROGRESS, COMPLETED
    with stubber:
        ...  # the code under test
    stubber.assert_no_pending_responses()

Every response is validated by the Stubber against botocore's ECS model (datetimes for
`createdAt`, events with id/createdAt/message). Deployment ids are fixed: `ecs-svc/OLD`
(what ran before), `ecs-svc/NEW` (the one update_service starts), `ecs-svc/ROLLBACK` (the one
the circuit breaker starts back on the old task definition). Events come newest first, as
ECS sends them, and each step adds new ones with new ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

CLUSTER = "avnz-payment-cluster"
REGION = "us-east-1"
ACCOUNT = "123456789012"
OLD_ID = "ecs-svc/OLD"
NEW_ID = "ecs-svc/NEW"
ROLLBACK_ID = "ecs-svc/ROLLBACK"
CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."
T0 = datetime(2026, 11, 27, 21, 0, 0, tzinfo=UTC)


def td_arn(family: str, revision: int, *, region: str = REGION, account: str = ACCOUNT) -> str:
    """`arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`."""
    return f"arn:aws:ecs:{region}:{account}:task-definition/{family}:{revision}"


def stubbed_ecs(region: str = REGION):
    """(a real boto3 ECS client, an activated-later Stubber on it). Never touches the network."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("ecs", region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    return client, Stubber(client)


def deployment(
    id: str,
    task_definition: str,
    *,
    status: str = "PRIMARY",
    rollout: str = "IN_PROGRESS",
    reason: str | None = None,
    desired: int = 2,
    running: int = 0,
    pending: int | None = None,
    failed: int = 0,
    created_at: datetime = T0,
    updated_at: datetime | None = None,
) -> dict[str, Any]:
    """One `deployments` entry (pending defaults to desired - running - 0)."""
    if reason is None:
        reason = {"COMPLETED": f"ECS deployment {id} completed.", "IN_PROGRESS": f"ECS deployment {id} in progress."}.get(rollout, "")
    return {
        "id": id,
        "status": status,
        "taskDefinition": task_definition,
        "desiredCount": desired,
        "pendingCount": max(0, desired - running) if pending is None else pending,
        "runningCount": running,
        "failedTasks": failed,
        "createdAt": created_at,
        "updatedAt": updated_at or created_at,
        "launchType": "FARGATE",
        "platformVersion": "1.4.0",
        "rolloutState": rollout,
        "rolloutStateReason": reason,
    }


def event(message: str, *, id: str, at: datetime = T0) -> dict[str, Any]:
    """One service event (`id`, `createdAt`, `message`)."""
    return {"id": id, "createdAt": at, "message": message}


def service(
    name: str,
    task_definition: str,
    deployments: Sequence[dict[str, Any]],
    *,
    cluster: str = CLUSTER,
    events: Sequence[dict[str, Any]] = (),
    desired: int = 2,
    running: int | None = None,
    pending: int | None = None,
    circuit_breaker: bool = True,
    status: str = "ACTIVE",
    region: str = REGION,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """One `services` entry; running/pending default to the sums over its deployments."""
    return {
        "serviceArn": f"arn:aws:ecs:{region}:{account}:service/{cluster}/{name}",
        "serviceName": name,
        "clusterArn": f"arn:aws:ecs:{region}:{account}:cluster/{cluster}",
        "status": status,
        "desiredCount": desired,
        "runningCount": sum(d["runningCount"] for d in deployments) if running is None else running,
        "pendingCount": sum(d["pendingCount"] for d in deployments) if pending is None else pending,
        "launchType": "FARGATE",
        "taskDefinition": task_definition,
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": circuit_breaker, "rollback": circuit_breaker},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
        "deployments": list(deployments),
        "events": list(events),
        "createdAt": T0 - timedelta(days=90),
        "schedulingStrategy": "REPLICA",
        "deploymentController": {"type": "ECS"},
    }


def describe_services_response(*services: dict[str, Any], missing: Iterable[str] = (), cluster: str = CLUSTER,
                               region: str = REGION, account: str = ACCOUNT) -> dict[str, Any]:
    """A describe_services response: `services`, and a MISSING failure per name in `missing`."""
    return {
        "services": list(services),
        "failures": [{"arn": f"arn:aws:ecs:{region}:{account}:service/{cluster}/{name}", "reason": "MISSING"} for name in missing],
    }


@dataclass
class Rollout:
    """Service `service` moving from task definition `old` to `new` (ARNs), step by step.

    Each state method returns one describe_services response (a dict); the sequence methods
    return lists of them. `step` (seconds per step) stamps deployments and events.
    """

    service: str
    old: str
    new: str
    cluster: str = CLUSTER
    desired: int = 2
    step: float = 15.0
    circuit_breaker: bool = True
    extra_events: list[dict[str, Any]] = field(default_factory=list)  # older events (newest first), after 'ev-steady-before'
    t0: datetime = T0  # when update_service started ecs-svc/NEW (a deploy's follow-up looks for deployments since its dispatch)

    # -- pieces ------------------------------------------------------------------------

    def at(self, n: int) -> datetime:
        return self.t0 + timedelta(seconds=self.step * n)

    def _steady_event(self, n: int | None) -> dict[str, Any]:
        """'has reached a steady state' at step `n` (None: before the rollout, id `ev-steady-before`)."""
        return event(f"(service {self.service}) has reached a steady state.", id=f"ev-steady-{'before' if n is None else n}",
                     at=self.at(-1 if n is None else n))

    def _events(self, *newest_first: dict[str, Any]) -> list[dict[str, Any]]:
        return [*newest_first, self._steady_event(None), *self.extra_events]

    def _response(self, task_definition: str, deployments: Sequence[dict[str, Any]], events: Sequence[dict[str, Any]]) -> dict[str, Any]:
        return describe_services_response(
            service(self.service, task_definition, deployments, cluster=self.cluster, events=events,
                    desired=self.desired, circuit_breaker=self.circuit_breaker),
            cluster=self.cluster,
        )

    def _old(self, *, status: str = "ACTIVE", running: int | None = None) -> dict[str, Any]:
        return deployment(OLD_ID, self.old, status=status, rollout="COMPLETED", desired=self.desired,
                          running=self.desired if running is None else running, created_at=self.t0 - timedelta(days=2))

    def _new(self, *, status: str = "PRIMARY", rollout: str = "IN_PROGRESS", running: int = 0, failed: int = 0,
             reason: str | None = None, updated: int = 0) -> dict[str, Any]:
        return deployment(NEW_ID, self.new, status=status, rollout=rollout, reason=reason, desired=self.desired,
                          running=running, failed=failed, created_at=self.at(0), updated_at=self.at(updated))

    # -- states ------------------------------------------------------------------------

    def before(self) -> dict[str, Any]:
        """The service settled on `old` (before update_service)."""
        return self._response(self.old, [self._old(status="PRIMARY")], self._events())

    def update_response(self) -> dict[str, Any]:
        """update_service's response: PRIMARY ecs-svc/NEW on `new` (IN_PROGRESS), ecs-svc/OLD ACTIVE."""
        return {"service": self.in_progress(0)["services"][0]}

    def _started(self, upto: int) -> list[dict[str, Any]]:
        """The 'has started' events of steps `upto`..1, newest first."""
        return [event(f"(service {self.service}) has started {self.desired} tasks: (task {k:08x}).", id=f"ev-start-{k}", at=self.at(k))
                for k in range(upto, 0, -1)]

    def _failed_event(self, n: int) -> dict[str, Any]:
        return event(f"(service {self.service}) (deployment {NEW_ID}) deployment failed: tasks failed to start.",
                     id=f"ev-failed-{n}", at=self.at(n))

    def _rollback_event(self, n: int) -> dict[str, Any]:
        return event(f"(service {self.service}) rolling back to deployment {ROLLBACK_ID}.", id=f"ev-rollback-{n}", at=self.at(n))

    def in_progress(self, n: int = 1, *, running: int = 0, failed: int = 0) -> dict[str, Any]:
        """Step `n` of a rollout under way: NEW PRIMARY IN_PROGRESS with `running` tasks, OLD ACTIVE."""
        return self._response(self.new, [self._new(running=running, failed=failed, updated=n), self._old()],
                              self._events(*self._started(n)))

    def completed(self, n: int = 2) -> dict[str, Any]:
        """Step `n`: NEW PRIMARY COMPLETED with every task running; OLD drained away (ECS drops it)."""
        events = [self._steady_event(n),
                  event(f"(service {self.service}) (deployment {NEW_ID}) deployment completed.", id=f"ev-done-{n}", at=self.at(n)),
                  *self._started(n - 1)]
        return self._response(self.new, [self._new(rollout="COMPLETED", running=self.desired, updated=n)], self._events(*events))

    def failed(self, n: int = 2, reason: str = CIRCUIT_BREAKER_REASON) -> dict[str, Any]:
        """Step `n`: NEW PRIMARY FAILED with `reason` (a circuit breaker without rollback); OLD still ACTIVE."""
        ours = self._new(rollout="FAILED", failed=self.desired * 2, reason=reason, updated=n)
        return self._response(self.new, [ours, self._old()], self._events(self._failed_event(n), *self._started(n - 1)))

    def rolling_back(self, n: int = 2, *, new_status: str = "ACTIVE") -> dict[str, Any]:
        """Step `n`: the circuit breaker rolls back: ROLLBACK PRIMARY on `old` IN_PROGRESS, NEW `new_status` and FAILED.

        The service's taskDefinition is `old` again, as ECS sets it for a rollback.
        """
        back = deployment(ROLLBACK_ID, self.old, rollout="IN_PROGRESS", desired=self.desired, created_at=self.at(n))
        ours = self._new(status=new_status, rollout="FAILED", failed=self.desired * 2, reason=CIRCUIT_BREAKER_REASON, updated=n)
        events = [self._rollback_event(n), self._failed_event(n), *self._started(n - 1)]
        return self._response(self.old, [back, ours], self._events(*events))

    def rolled_back(self, n: int = 3) -> dict[str, Any]:
        """Step `n` (after rolling_back(n - 1)): ROLLBACK PRIMARY on `old` COMPLETED; NEW INACTIVE (FAILED)."""
        back = deployment(ROLLBACK_ID, self.old, rollout="COMPLETED", desired=self.desired, running=self.desired,
                          created_at=self.at(n - 1), updated_at=self.at(n))
        ours = self._new(status="INACTIVE", rollout="FAILED", failed=self.desired * 2, reason=CIRCUIT_BREAKER_REASON, updated=n - 1)
        events = [self._steady_event(n),
                  event(f"(service {self.service}) (deployment {ROLLBACK_ID}) deployment completed.", id=f"ev-done-{n}", at=self.at(n)),
                  self._rollback_event(n - 1), self._failed_event(n - 1), *self._started(n - 2)]
        return self._response(self.old, [back, ours], self._events(*events))

    # -- sequences ---------------------------------------------------------------------

    def completes(self, steps: int = 3) -> list[dict[str, Any]]:
        """`steps - 1` IN_PROGRESS responses (tasks coming up), then COMPLETED."""
        return [*(self.in_progress(k, running=min(k - 1, self.desired)) for k in range(1, steps)), self.completed(steps)]

    def fails(self, steps: int = 3) -> list[dict[str, Any]]:
        """`steps - 1` IN_PROGRESS responses, then FAILED (rolloutStateReason: the circuit breaker's)."""
        return [*(self.in_progress(k, failed=k) for k in range(1, steps)), self.failed(steps)]

    def rolls_back(self, steps: int = 4) -> list[dict[str, Any]]:
        """`steps - 2` IN_PROGRESS, ROLLBACK IN_PROGRESS (NEW ACTIVE/FAILED), ROLLBACK COMPLETED (NEW INACTIVE)."""
        if steps < 2:
            raise ValueError("a rollback takes at least 2 steps")
        return [*(self.in_progress(k, failed=k) for k in range(1, steps - 1)), self.rolling_back(steps - 1), self.rolled_back(steps)]

    def stalls(self, times: int = 3) -> list[dict[str, Any]]:
        """`times` responses that stay IN_PROGRESS with nothing running (for timeouts)."""
        return [self.in_progress(k) for k in range(1, times + 1)]


# -- wiring into a Stubber ---------------------------------------------------------------


def stub_describe_services(stubber, responses: Iterable[dict[str, Any]], *, services: Sequence[str] | None = None,
                           cluster: str = CLUSTER, check_params: bool = True) -> None:
    """Queue describe_services responses, each expecting `cluster` and `services`.

    `services` defaults to each response's own: its services' names, then its MISSING names.
    """
    for response in responses:
        if services is not None:
            names = list(services)
        else:
            names = [s["serviceName"] for s in response["services"]] + [f["arn"].rsplit("/", 1)[-1] for f in response.get("failures", ())]
        stubber.add_response("describe_services", response, {"cluster": cluster, "services": names} if check_params else None)


def stub_recheck(stubber, rollout: Rollout) -> None:
    """Queue the describe_services a rollback makes before its intent (is the service still on `old`?)."""
    stubber.add_response("describe_services", rollout.before(), {"cluster": rollout.cluster, "services": [rollout.service]})


def stub_update_service(stubber, rollout: Rollout, *, recheck: bool = True) -> None:
    """Queue the re-check (unless not `recheck`: a bare update_service call) and update_service's
    response; it expects the cluster, the service and `rollout.new`."""
    if recheck:
        stub_recheck(stubber, rollout)
    stubber.add_response("update_service", rollout.update_response(),
                         {"cluster": rollout.cluster, "service": rollout.service, "taskDefinition": rollout.new})


def stub_task_definition_pages(stubber, family: str, status: str, arns: Sequence[str], *, page_size: int = 100,
                               max_results: int | None = 100, token_prefix: str = "tok") -> list[str]:
    """Queue list_task_definitions pages of `arns` (`page_size` each, nextToken between them).

    Each page expects familyPrefix=`family`, status=`status`, maxResults=`max_results`
    (left out when None) and the previous page's nextToken. Returns the tokens used.
    An empty `arns` gives one empty page.
    """
    pages = [list(arns[i : i + page_size]) for i in range(0, len(arns), page_size)] or [[]]
    tokens = [f"{token_prefix}-{status.lower()}-{i}" for i in range(1, len(pages))]
    for i, page in enumerate(pages):
        expected: dict[str, Any] = {"familyPrefix": family, "status": status}
        if max_results is not None:
            expected["maxResults"] = max_results
        if i:
            expected["nextToken"] = tokens[i - 1]
        response: dict[str, Any] = {"taskDefinitionArns": page}
        if i < len(tokens):
            response["nextToken"] = tokens[i]
        stubber.add_response("list_task_definitions", response, expected)
    return tokens
