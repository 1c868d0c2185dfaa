"""The services pane's reads in the engine: Reads + services_reader against a real moto server (and the fault proxy)."""

from __future__ import annotations

import asyncio

from cockpit.engine.aws_reads import Reads, services_reader
from cockpit.engine.events import ServicesFailed, ServicesRead
from cockpit.probes.aws import ecs
from cockpit.probes.aws.clients import AwsTarget, LazyClient, make_client
from cockpit.stack.ecs_seed import API, CLUSTER, DASHBOARD, seed_ecs

INTERVAL, MAX_BACKOFF = 0.5, 4.0


def in_a_thread(fn, *args):
    """The Reads' `blocking`: `fn(*args)` in the loop's default executor (as the engine does in its own)."""
    return asyncio.get_running_loop().run_in_executor(None, fn, *args)


def service_reads(reports: list[object]) -> Reads:
    read = services_reader(CLUSTER, (API, DASHBOARD, "avnz-payments-worker"), ("FEATURE_NEW_CHECKOUT",), LazyClient("ecs", AwsTarget()))
    reads = Reads("ecs", INTERVAL, MAX_BACKOFF, read, ServicesFailed, reports.append, in_a_thread)
    reads.every.rand = lambda: 1.0
    return reads


async def test_services_and_their_task_definitions_each_revision_described_once(aws_faults):
    client = make_client("ecs", AwsTarget())
    seed = seed_ecs(client, revisions=4, inactive=(), dashboard_revisions=2, decoy=False)
    reports: list[object] = []
    reads = service_reads(reports)
    assert await reads.once() == INTERVAL
    [first] = reports
    assert isinstance(first, ServicesRead)
    assert [(s.name, s.missing) for s in first.services] == [(API, False), (DASHBOARD, False), ("avnz-payments-worker", True)]
    assert set(first.task_definitions) == {seed.arn(API, 4), seed.arn(DASHBOARD, 2)}
    assert aws_faults.requests("DescribeTaskDefinition") == 2
    await reads.once()
    assert reports[-1] == first and aws_faults.requests("DescribeTaskDefinition") == 2  # immutable: never read again
    ecs.update_service(client, CLUSTER, API, seed.arn(API, 3))
    await reads.once()
    moved = reports[-1]
    assert moved.services[0].task_definition == seed.arn(API, 3) and seed.arn(API, 3) in moved.task_definitions
    assert aws_faults.requests("DescribeTaskDefinition") == 3  # only the revision not seen before


async def test_a_failed_read_is_reported_backs_off_and_recovers(aws_faults):
    seed_ecs(make_client("ecs", AwsTarget()), revisions=2, inactive=(), dashboard_revisions=1, decoy=False)
    aws_faults.fail("DescribeServices", "ThrottlingException", "Rate exceeded", times=2)
    aws_faults.fail("DescribeServices", "AccessDeniedException", "User is not authorized to perform: ecs:DescribeServices", times=1)
    reports: list[object] = []
    reads = service_reads(reports)
    delays = [await reads.once() for _ in range(4)]
    assert delays == [1.0, 2.0, MAX_BACKOFF, INTERVAL]  # doubling, then straight to the maximum: someone has to fix it
    throttled, again, denied, read = reports
    assert throttled.throttled and again.throttled and not denied.throttled and "not authorized" in denied.reason
    assert [r.retry_in for r in (throttled, again, denied)] == delays[:3]
    assert isinstance(read, ServicesRead) and not read.services[0].missing
