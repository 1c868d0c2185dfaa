"""`rds_health`: the DB instance's status, and how much of the API's connection pool the database sees in use.

The pool's capacity is `connection_limit` (DATABASE_URL's Prisma pool parameter) times the
running tasks of the ECS service `pool_of`: each task opens a pool of its own. Its use is RDS
`DatabaseConnections`, Maximum over the last `[metrics] recent_minutes` (one period). Three reads,
each in an executor thread with a timeout, concurrently: DescribeDBInstances, DescribeServices
and GetMetricData; one unreadable read leaves its part unknown, never the others.

Verdict (`judge_rds`, pure): pass when the instance is `available` and the usage is known and
under 100 %; fail when RDS says another status (stopped, storage-full, ...), knows no such
instance, or the pool is exhausted; inconclusive when the instance is available but the usage is
unknown (the evidence says why), or RDS cannot be read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from cockpit.checks.result import CheckResult, failed, inconclusive, passed
from cockpit.checks.traffic import AWS_THREADS
from cockpit.core.redact import redact_secrets
from cockpit.core.text import one_line
from cockpit.monitor.aws import aws_target
from cockpit.probes.aws.clients import AwsTarget, make_client
from cockpit.probes.aws.ecs import describe_services
from cockpit.probes.aws.errors import NOT_FOUND, classify_aws
from cockpit.probes.aws.metrics import MetricQuery, read_metrics, window
from cockpit.probes.aws.rds import DbInstance, describe_db_instance
from cockpit.probes.pool_params import pool_params
from cockpit.runbook.metric_values import resolve
from cockpit.runbook.model import CheckSpec, Environment, Runbook

T = TypeVar("T")


@dataclass(frozen=True)
class PoolUsage:
    """Connections in use (RDS's Maximum over the window) against connection_limit x running tasks; `why` when unknown."""

    connections: float | None = None
    connection_limit: int | None = None
    tasks: int | None = None
    service: str = ""
    minutes: int = 5
    why: str = ""

    @property
    def capacity(self) -> int | None:
        """connection_limit x running tasks (None: unknown)."""
        if self.connection_limit is None or not self.tasks:
            return None
        return self.connection_limit * self.tasks

    @property
    def known(self) -> bool:
        """True when both sides of the share are known."""
        return not self.why and self.connections is not None and self.capacity is not None

    @property
    def exhausted(self) -> bool:
        """True when the database saw as many connections as the pool has, or more."""
        return self.known and self.connections is not None and self.capacity is not None and self.connections >= self.capacity

    def describe(self) -> str:
        """`pool 14 of 20 connections (70 %) over the last 5 min: connection_limit 10 x 2 running avnz-api tasks`."""
        if not self.known or self.connections is None or self.capacity is None:
            return f"pool usage unknown: {self.why}"
        used = f"{self.connections:g}"
        share = int(100 * self.connections / self.capacity)  # floored: 99.6 % never prints as 100 %
        head = "pool exhausted: " if self.exhausted else "pool "
        tasks = f"{self.tasks} running {self.service} task{'' if self.tasks == 1 else 's'}"
        return f"{head}{used} of {self.capacity} connections ({share} %) over the last {self.minutes} min: connection_limit {self.connection_limit} x {tasks}"


def judge_rds(instance: DbInstance | None, rds_problem: str, not_found: bool, usage: PoolUsage) -> CheckResult:
    """The verdict on the instance (or why it is unknown) and the pool usage."""
    pool = usage.describe()
    if instance is None:
        return (failed if not_found else inconclusive)(f"{rds_problem} · {pool}")
    if not instance.available:
        return failed(f"{instance.describe()}: not available · {pool}")
    if usage.exhausted:
        return failed(f"{instance.describe()} · {pool}")
    return (passed if usage.known else inconclusive)(f"{instance.describe()} · {pool}")


async def _in_thread(call: Callable[[], T], seconds: float) -> T:
    return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(AWS_THREADS, call), seconds)


def _connections(target: AwsTarget, instance: str, minutes: int) -> float | None:
    start, end = window(datetime.now(UTC), minutes)
    query = MetricQuery("AWS/RDS", "DatabaseConnections", (("DBInstanceIdentifier", instance),), "Maximum")
    (found,) = read_metrics(make_client("cloudwatch", target), [query], start, end, period=minutes * 60)
    return max((v for _, v in found.points), default=None)


def _running(target: AwsTarget, cluster: str, service: str) -> int:
    (state,) = describe_services(make_client("ecs", target), cluster, [service])
    if state.missing:
        raise LookupError(f"service {service} not found in {cluster}")
    return state.running


async def _usage(runbook: Runbook, env: Environment, instance: str, service: str, seconds: float) -> PoolUsage:
    minutes = runbook.metrics.recent_minutes
    if not env.database_url:
        return PoolUsage(service=service, minutes=minutes, why=f"no connection_limit: DATABASE_URL not configured ({env.missing('database_url')})")
    params = pool_params(env.database_url)
    if not params.connection_limit.isdigit():
        return PoolUsage(service=service, minutes=minutes, why=f"no connection_limit in DATABASE_URL ({params.evidence()})")
    if not env.ecs_cluster:
        return PoolUsage(service=service, minutes=minutes, why=f"running {service} tasks unknown: not configured: {env.missing('ecs_cluster')}")
    target = aws_target(runbook, env)
    tasks, used = await asyncio.gather(
        _in_thread(lambda: _running(target, env.ecs_cluster, service), seconds),
        _in_thread(lambda: _connections(target, instance, minutes), seconds),
        return_exceptions=True,
    )
    limit = int(params.connection_limit)
    why = ""
    if isinstance(tasks, BaseException):
        why = f"running {service} tasks unknown: {_reason(tasks, 'ECS', seconds)}"
    elif tasks == 0:
        why = f"no running {service} tasks: the pool has no capacity to measure against"
    if isinstance(used, BaseException):
        why = why or f"DatabaseConnections unknown: {_reason(used, 'CloudWatch', seconds)}"
    elif used is None:
        why = why or f"RDS reported no DatabaseConnections for {instance} in the last {minutes} min"
    return PoolUsage(
        connections=None if isinstance(used, BaseException) else used, connection_limit=limit,
        tasks=None if isinstance(tasks, BaseException) else tasks, service=service, minutes=minutes, why=why,
    )


def _reason(exc: BaseException, what: str, seconds: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"{what} did not answer within {seconds:g} s"
    if isinstance(exc, LookupError):
        return str(exc)
    return classify_aws(exc, what).reason


async def rds_health(runbook: Runbook, env: Environment, spec: CheckSpec, seconds: float) -> CheckResult:
    """Run the `rds_health` check of `spec`; every AWS read bounded by `seconds`."""
    instance, why = resolve(spec.instance, env)
    if why:
        return inconclusive(f"DB instance unknown: {why}")
    target = aws_target(runbook, env)
    described, usage = await asyncio.gather(
        _in_thread(lambda: describe_db_instance(make_client("rds", target), instance), seconds),
        _usage(runbook, env, instance, spec.pool_of, seconds),
        return_exceptions=True,
    )
    if isinstance(usage, BaseException):  # _usage turns what it expects into a reason; anything else is a bug shown as one line
        usage = PoolUsage(service=spec.pool_of, why=one_line(redact_secrets(f"{type(usage).__name__}: {usage}"), 200))
    if isinstance(described, BaseException):
        problem = classify_aws(described, f"RDS instance {instance}") if not isinstance(described, TimeoutError) else None
        reason = problem.reason if problem else f"RDS did not answer within {seconds:g} s"
        not_found = problem is not None and problem.kind == NOT_FOUND
        return judge_rds(None, reason if not_found else f"RDS not readable: {reason}", not_found, usage)
    return judge_rds(described, "", False, usage)
