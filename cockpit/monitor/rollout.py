"""What an ECS service is really doing: which revision serves, and whether its rollout is sound.

`describe_services` says the service's task definition is the PRIMARY deployment's, even
when that deployment FAILED with no task running and the old revision still serves every
request. The services pane, the flags pane, the rollback picker and the verdict all ask
this one pure function, so they agree on what runs and whether it is healthy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from cockpit.probes.aws.ecs import Deployment, ServiceState, short_name

OK = "ok"
DEPLOYING = "deploying"
SHORT = "short"  # fewer tasks running than desired, no deployment under way
SCALED_TO_ZERO = "scaled to zero"
FAILING = "failing"  # a deployment under way whose tasks fail (no circuit breaker has ruled yet)
FAILED = "failed"  # the PRIMARY deployment's rollout FAILED
ROLLING_BACK = "rolling back"  # ECS's circuit breaker is rolling back a failed deployment
MISSING = "missing"

ERROR, WARNING, FINE = 2, 1, 0
SEVERITY = {FAILED: ERROR, ROLLING_BACK: ERROR, MISSING: ERROR, FAILING: ERROR, SHORT: WARNING, DEPLOYING: WARNING,
            SCALED_TO_ZERO: WARNING, OK: FINE}


@dataclass(frozen=True)
class ServiceHealth:
    """One service as the operator needs it: what serves, what ECS is moving to, and the verdict.

    `serving` is the task definition (ARN or family:revision) of the deployment with the most
    running tasks ("" when none runs); `target` the PRIMARY deployment's; `failed` the one whose
    rollout FAILED, if any.
    """

    name: str
    state: str
    serving: str = ""
    serving_running: int = 0
    target: str = ""
    target_running: int = 0
    desired: int = 0
    failed: str = ""
    reason: str = ""
    failed_tasks: int = 0

    @property
    def severity(self) -> int:
        """ERROR, WARNING or FINE."""
        return SEVERITY[self.state]

    @property
    def headline(self) -> str:
        """The verdict's words for this service ('' when it is fine)."""
        if self.state == FAILED:
            return f"ROLLOUT FAILED {short_name(self.failed)}"
        if self.state == ROLLING_BACK:
            return f"ROLLING BACK {short_name(self.failed)} → :{short_name(self.target).rpartition(':')[2]}"
        if self.state == MISSING:
            return f"{self.name} NOT FOUND"
        if self.state == SHORT:
            return f"{self.name} {self.target_running}/{self.desired} running"
        if self.state == SCALED_TO_ZERO:
            return f"{self.name} scaled to 0"
        if self.state == FAILING:
            return f"TASKS FAILING {short_name(self.target)} ({self.failed_tasks} failed, {self.target_running}/{self.desired})"
        if self.state == DEPLOYING:
            return f"deploying {short_name(self.target)} {self.target_running}/{self.desired}"
        return ""


class _Common(TypedDict):
    """The fields every verdict on one service shares (see `ServiceHealth`)."""

    name: str
    serving: str
    serving_running: int
    target: str
    target_running: int
    desired: int


def _serving(deployments: tuple[Deployment, ...]) -> Deployment | None:
    """The deployment with the most running tasks (the PRIMARY on a tie); None when nothing runs."""
    ranked = sorted(deployments, key=lambda d: (d.running, d.status == "PRIMARY"), reverse=True)
    return ranked[0] if ranked and ranked[0].running > 0 else None


def _rolled_back_from(failed: Deployment, primary: Deployment | None) -> bool:
    """ECS's circuit breaker rolls back: the PRIMARY is an older revision of the failed one's family.
    A newer PRIMARY after a failure is a deployment forward, not a rollback."""
    if primary is None:
        return False
    f_family, _, f_rev = short_name(failed.task_definition).rpartition(":")
    p_family, _, p_rev = short_name(primary.task_definition).rpartition(":")
    return f_family == p_family and f_rev.isdigit() and p_rev.isdigit() and int(p_rev) < int(f_rev)


def service_health(state: ServiceState) -> ServiceHealth:
    """The verdict on one service as ECS describes it now (INACTIVE deployments are history: ignored)."""
    if state.missing:
        return ServiceHealth(state.name, MISSING, reason=f"status {state.status or 'unknown'} in {state.cluster}")
    live = tuple(d for d in state.deployments if d.status != "INACTIVE")
    primary = next((d for d in live if d.status == "PRIMARY"), None)
    serving = _serving(live)
    base = _Common(
        name=state.name,
        serving=serving.task_definition if serving else (state.task_definition if not live and state.running else ""),
        serving_running=serving.running if serving else (state.running if not live else 0),
        target=primary.task_definition if primary else state.task_definition,
        target_running=primary.running if primary else state.running,
        desired=primary.desired if primary else state.desired,
    )
    if primary is not None and primary.rollout == "FAILED":
        return ServiceHealth(state=FAILED, failed=primary.task_definition, reason=primary.reason, **base)
    failed = next((d for d in live if d.rollout == "FAILED" and d is not primary), None)
    if failed is not None and primary is not None and _rolled_back_from(failed, primary) and primary.rollout != "COMPLETED":
        return ServiceHealth(state=ROLLING_BACK, failed=failed.task_definition, reason=failed.reason, **base)
    # Under way: IN_PROGRESS, or (ECS without rollout states) a PRIMARY beside other live deployments.
    if primary is not None and (primary.rollout == "IN_PROGRESS" or (not primary.rollout and len(live) > 1)):
        if primary.failed > 0:
            return ServiceHealth(state=FAILING, failed_tasks=primary.failed, **base)
        return ServiceHealth(state=DEPLOYING, **base)
    if base["desired"] == 0:
        return ServiceHealth(state=SCALED_TO_ZERO, **base)
    if base["target_running"] < base["desired"]:
        return ServiceHealth(state=SHORT, reason=f"{base['target_running']} of {base['desired']} tasks running", **base)
    return ServiceHealth(state=OK, **base)
