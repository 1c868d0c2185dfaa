"""The metrics pane's reads against a real moto server (and the fault proxy): put_metric_data, then the engine's
metrics source reads every line in one GetMetricData call and draws the values in their minutes; failures are
MetricsFailed and leave the verdict not all up; a breach is on the verdict.

moto 5.2.5 answers percentile statistics with HTTP 500, so these lines use Average, Maximum and Sum; the p50/p99
lines of the bundled runbook are the same code with another statistic string.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime

import boto3
import pytest

from cockpit.engine.events import MetricsFailed, MetricsRead, ServicesRead, VerdictChanged
from cockpit.engine.local import LocalEngine
from cockpit.engine.metrics import MetricsSource
from cockpit.monitor.verdict import WARNING, derive
from cockpit.probes.aws.clients import AwsTarget, LazyClient
from cockpit.probes.aws.ecs import ServiceState
from cockpit.runbook import load_runbook
from cockpit.runbook.dashboards import Dashboard, MetricSpec, MetricsSettings
from cockpit.stack.cloudwatch_percentiles import PercentileProxy
from cockpit.stack.ecs_seed import seed_ecs
from tests.conftest import _started

ENVIRON = {"COCKPIT_LOAD_BALANCER": "app/avnz-alb/50dc6c495c0c9188", "COCKPIT_API_TARGET_GROUP": "targetgroup/avnz-api/73e2d6bc24d8a067",
           "COCKPIT_DB_INSTANCE": "avnz-db", "DATABASE_URL": "postgresql://app:s3cret@127.0.0.1:1/avnz?connection_limit=10&pool_timeout=10"}
ELB = "AWS/ApplicationELB"
ELB_DIMENSIONS = (("LoadBalancer", "{load_balancer}"), ("TargetGroup", "{api_target_group}"))
LINES = (
    Dashboard("api", "API response times", (
        MetricSpec("api-slowest", "API slowest", ELB, "TargetResponseTime", "Maximum", ELB_DIMENSIONS, unit="ms", scale=1000.0,
                   gap_reason="no requests", threshold=500.0),
        MetricSpec("api-mean", "API mean", ELB, "TargetResponseTime", "Average", ELB_DIMENSIONS, unit="ms", scale=1000.0,
                   gap_reason="no requests"),
    )),
    Dashboard("errors", "Error rates", (
        MetricSpec("api-5xx-rate", "API 5xx rate", ELB, "HTTPCode_Target_5XX_Count", "Sum", ELB_DIMENSIONS, unit="%", per="RequestCount",
                   missing="zero", gap_reason="no requests", threshold=0.0),
    )),
    Dashboard("redis", "Redis connection health", (
        MetricSpec("redis-connections", "Redis connections", "AWS/ElastiCache", "CurrConnections", "Average",
                   (("CacheClusterId", "{redis_cluster}"),)),
    )),
    Dashboard("pool", "Database connection pool usage", (
        MetricSpec("db-pool-usage", "DB pool usage", "AWS/RDS", "DatabaseConnections", "Maximum", (("DBInstanceIdentifier", "{db_instance}"),),
                   unit="%", pool_of="avnz-api", threshold=80.0),
    )),
)
FAST = MetricsSettings(interval_seconds=0.2, window_minutes=10, recent_minutes=5, stale_after_seconds=30.0)


def runbook_with(lines=LINES, settings=FAST, environ=ENVIRON):
    runbook = load_runbook(environ=environ)
    return replace(runbook, dashboards=lines, metrics=settings, log_queries=(), alarms=(),
                   cloudwatch=replace(runbook.cloudwatch, max_backoff_seconds=0.8))


def put(namespace: str, metric: str, dimensions: dict[str, str], *values: tuple[float, float]) -> None:
    """Datapoints (epoch seconds, value) of one metric, as the AWS service would publish them."""
    data = [{"MetricName": metric, "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
             "Timestamp": datetime.fromtimestamp(at, UTC), "Value": value} for at, value in values]
    boto3.client("cloudwatch").put_metric_data(Namespace=namespace, MetricData=data)


def elb(metric: str, *values: tuple[float, float]) -> None:
    put(ELB, metric, {"LoadBalancer": ENVIRON["COCKPIT_LOAD_BALANCER"], "TargetGroup": ENVIRON["COCKPIT_API_TARGET_GROUP"]}, *values)


def in_a_thread(fn, *args):
    """The source's `blocking`: `fn(*args)` in the loop's default executor (as the engine does in its own)."""
    return asyncio.get_running_loop().run_in_executor(None, fn, *args)


def api_running(tasks: int) -> ServicesRead:
    return ServicesRead((ServiceState("avnz-api", "avnz-payment-cluster", running=tasks, desired=tasks),), {})


NOW = (time.time() // 60) * 60 + 30  # half a minute into the current minute (the tests' wall clock)
MINUTE = [NOW - 30 - 60 * back for back in range(9, -1, -1)]  # the window's ten minute starts, oldest first


def source(reports: list, services=lambda: api_running(2), runbook=None, wall: float = NOW) -> MetricsSource:
    runbook = runbook or runbook_with()
    made = MetricsSource(runbook, runbook.environments["staging"], LazyClient("cloudwatch", AwsTarget()), in_a_thread, reports.append,
                         services, wall=lambda: wall)
    made.every.rand = lambda: 1.0
    return made


def seed_minutes() -> None:
    elb("TargetResponseTime", (MINUTE[3] + 5, 0.120), (MINUTE[3] + 40, 0.240), (MINUTE[6] + 10, 0.612))
    elb("RequestCount", (MINUTE[3] + 1, 100.0), (MINUTE[4] + 1, 40.0), (MINUTE[6] + 1, 10.0))
    elb("HTTPCode_Target_5XX_Count", (MINUTE[4] + 2, 2.0))  # none at MINUTE[3] and [6]: 0 of their requests failed
    put("AWS/ElastiCache", "CurrConnections", {"CacheClusterId": "avnz-redis"}, (MINUTE[5], 12.0), (MINUTE[7], 14.0))
    put("AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": "avnz-db"}, (MINUTE[6], 15.0), (MINUTE[6] + 20, 9.0))
    put("AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": "another-db"}, (MINUTE[6], 99.0))  # not ours


async def test_every_line_in_one_get_metric_data_with_its_values_in_their_minutes(aws_faults):
    seed_minutes()
    reports: list = []
    assert await source(reports).once() == FAST.interval_seconds
    [read] = reports
    assert isinstance(read, MetricsRead) and read.read_at == NOW
    assert aws_faults.requests("GetMetricData") == 1  # five lines, six queries: one call
    lines = {v.id: v for v in read.views}
    # MINUTE[7..9] (the one under way, and two that ended less than 2 min ago) may still be reported: left out
    assert [at for at, _ in lines["api-slowest"].points] == MINUTE[:7]
    assert [v for _, v in lines["api-slowest"].points] == [None] * 3 + [pytest.approx(240.0), None, None, pytest.approx(612.0)]
    assert [v for _, v in lines["api-mean"].points][3] == pytest.approx(180.0)
    assert lines["api-slowest"].latest == pytest.approx(612.0) and lines["api-slowest"].latest_at == MINUTE[6]
    assert lines["api-slowest"].breach and not lines["api-mean"].breach
    assert [v for _, v in lines["api-5xx-rate"].points] == [None] * 3 + [0.0, 5.0, None, 0.0]  # [5]: no requests
    assert [v for _, v in lines["redis-connections"].points][5:] == [12.0, None]  # MINUTE[7]'s 14 not yet: a part of its minute
    assert [v for _, v in lines["db-pool-usage"].points][6] == 75.0  # 15 (the minute's maximum) of 10 x 2 tasks
    assert all(v.problem == "" and v.note == "" for v in read.views)


async def test_the_figure_is_the_newest_complete_minute_the_same_for_two_reads_a_poll_apart(aws):
    """The current minute fills up while two cockpits read it 25 s apart: neither judges its partial sums (11 of 20
    requests so far, then 12 of 90), both judge the newest minute CloudWatch has finished reporting, and say which."""
    elb("RequestCount", (MINUTE[6] + 1, 120.0), (MINUTE[9] + 2, 20.0))
    elb("HTTPCode_Target_5XX_Count", (MINUTE[6] + 2, 30.0), (MINUTE[9] + 3, 11.0))
    first: list = []
    one = source(first)  # at NOW, 30 s into MINUTE[9]: MINUTE[7..9] may still be reported
    await one.once()
    elb("RequestCount", (MINUTE[9] + 20, 70.0))
    elb("HTTPCode_Target_5XX_Count", (MINUTE[9] + 21, 1.0))
    second: list = []
    other = source(second, wall=NOW + 25)
    await other.once()
    rates = [next(v for v in reports[-1].views if v.id == "api-5xx-rate") for reports in (first, second)]
    assert [(r.latest, r.latest_at) for r in rates] == [(25.0, MINUTE[6])] * 2
    assert [at for at, _ in rates[0].points] == MINUTE[:7]  # nothing of the minutes CloudWatch may still report
    minute = datetime.fromtimestamp(MINUTE[6], UTC).strftime("%H:%M")
    for reads in (one, other):
        problems = [p.text for p in derive(reads.monotonic(), metrics=reads.seen()).problems]
        assert f"METRIC API 5xx rate 25% > 0% at {minute}" in problems


async def test_after_the_traffic_stops_the_newest_complete_minutes_are_gaps_and_the_last_5xx_rate_is_not_current(aws, monkeypatch):
    """The API answered 500 to every request of MINUTE[3] and MINUTE[4], then no request came. Read at NOW, MINUTE[5] and
    MINUTE[6] are complete: gaps ('no requests'), drawn, so the p99 (from the percentile proxy: moto has none) and the 5xx
    rate (moto's Sums) have no current figure, and the verdict says the rate is unknown since MINUTE[5], not 100%."""
    proxy = PercentileProxy(aws.url)
    try:
        _started(proxy, "the percentile proxy")
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        for minute in (MINUTE[3], MINUTE[4]):
            elb("RequestCount", (minute + 5, 19.0))
            elb("HTTPCode_Target_5XX_Count", (minute + 5, 19.0))
            boto3.client("cloudwatch").put_metric_data(Namespace=ELB, MetricData=[{
                "MetricName": "TargetResponseTime", "Timestamp": datetime.fromtimestamp(minute + 5, UTC), "Values": [0.01, 0.02],
                "Counts": [18.0, 1.0], "Dimensions": [{"Name": "LoadBalancer", "Value": ENVIRON["COCKPIT_LOAD_BALANCER"]},
                                                      {"Name": "TargetGroup", "Value": ENVIRON["COCKPIT_API_TARGET_GROUP"]}]}])
        p99 = MetricSpec("api-p99", "API p99", ELB, "TargetResponseTime", "p99", ELB_DIMENSIONS, unit="ms", scale=1000.0,
                         gap_reason="no requests", threshold=500.0)
        lines = (Dashboard("api", "API response times", (p99,)), LINES[1])
        reports: list = []
        reads = source(reports, runbook=runbook_with(lines=lines))
        await reads.once()
    finally:
        proxy.stop()
    by_id = {v.id: v for v in reports[-1].views}
    for line_id, last in (("api-p99", 20.0), ("api-5xx-rate", 100.0)):
        assert [v for _, v in by_id[line_id].points][3:] == [pytest.approx(last), pytest.approx(last), None, None]
    hhmm = {i: datetime.fromtimestamp(MINUTE[i], UTC).strftime("%H:%M") for i in (4, 5)}
    problems = [(p.severity, p.text) for p in derive(reads.monotonic(), metrics=reads.seen()).problems]
    assert problems == [(WARNING, f"METRIC API 5xx rate unknown: no requests since {hhmm[5]}, last 100% > 0% at {hhmm[4]}")]
    for drawn in by_id.values():
        assert (drawn.current, drawn.gap_since, drawn.breach) == (None, MINUTE[5], False)


async def test_another_read_is_one_more_request_and_sees_new_datapoints(aws_faults):
    reports: list = []
    reads = source(reports)
    await reads.once()
    assert [v for _, v in reads.views[3].points] == [None] * 7  # the last three minutes may still be reported: not gaps yet
    put("AWS/ElastiCache", "CurrConnections", {"CacheClusterId": "avnz-redis"}, (MINUTE[6], 3.0))  # reported late
    await reads.once()
    assert aws_faults.requests("GetMetricData") == 2
    assert reports[-1].views[3].latest == 3.0 and reports[-1].views[3].latest_at == MINUTE[6]


async def test_a_new_ecs_read_redraws_the_pool_share_without_reading_cloudwatch_again(aws_faults):
    seed_minutes()
    services: list = [None]
    reports: list = []
    reads = source(reports, services=lambda: services[0])
    await reads.once()
    pool = next(v for v in reports[-1].views if v.id == "db-pool-usage")
    assert pool.problem == "pool capacity unknown: ECS not read yet" and pool.points == ()
    services[0] = api_running(3)
    reads.services_read()
    pool = next(v for v in reports[-1].views if v.id == "db-pool-usage")
    assert pool.latest == 50.0 and reports[-1].read_at == NOW  # 15 of 10 x 3, from the same read
    reads.services_read()  # the same running tasks: nothing new to say
    assert len(reports) == 2 and aws_faults.requests("GetMetricData") == 1


async def test_a_throttled_read_is_reported_backs_off_and_recovers(aws_faults):
    seed_minutes()
    aws_faults.fail("GetMetricData", "Throttling", "Rate exceeded", times=2)
    reports: list = []
    reads = source(reports)
    delays = [await reads.once() for _ in range(3)]
    assert delays == pytest.approx([0.4, 0.8, FAST.interval_seconds])  # doubling, capped at max_backoff 0.8 s
    first, second, read = reports
    assert isinstance(first, MetricsFailed) and first.throttled and "Rate exceeded" in first.reason and first.retry_in == delays[0]
    assert isinstance(second, MetricsFailed) and reads.seen().failure == "" and isinstance(read, MetricsRead)
    assert aws_faults.requests("GetMetricData") == 3  # one request a read: no retries hidden in boto3


async def test_a_denied_read_waits_the_longest_backoff_and_the_verdict_source_says_unread(aws_faults):
    aws_faults.fail("GetMetricData", "AccessDenied", "User is not authorized to perform: cloudwatch:GetMetricData", times=1)
    reports: list = []
    reads = source(reports)
    assert await reads.once() == 0.8
    [failed] = reports
    assert isinstance(failed, MetricsFailed) and not failed.throttled and "not authorized" in failed.reason and "\n" not in failed.reason
    seen = reads.seen()
    assert seen.failure == failed.reason and seen.at is None


async def test_no_line_configured_reads_nothing(aws_faults):
    reports: list = []
    runbook = runbook_with(environ={"COCKPIT_REDIS_CLUSTER": ""})
    runbook = replace(runbook, dashboards=(LINES[0],))
    await source(reports, runbook=runbook).once()
    [read] = reports
    assert [v.problem for v in read.views] == ["not configured: set COCKPIT_LOAD_BALANCER"] * 2
    assert aws_faults.requests("GetMetricData") == 0


# -- in the engine: MetricsRead out, the verdict judging it -----------------------------------------


async def engine_events(runbook, until, timeout: float = 20.0) -> list:
    """Run a live engine on `runbook` (staging) until `until(events)`; every event it sent."""
    events: list = []
    arrived = asyncio.Event()

    def receive(batch) -> None:
        events.extend(batch)
        arrived.set()

    local = LocalEngine(runbook, runbook.environments["staging"], None, live=True, environ={}, flush_seconds=0.02)
    local.start(receive)
    try:
        async with asyncio.timeout(timeout):  # only against a hang
            while not until(events):
                arrived.clear()
                await arrived.wait()
    finally:
        await local.stop()
    return events


def verdict_texts(events) -> list[str]:
    last = [e for e in events if isinstance(e, VerdictChanged)][-1]
    return [p.text for p in last.verdict.problems]


def has_metric_problem(text: str):
    return lambda events: any(isinstance(e, VerdictChanged) and any(p.text.startswith(text) for p in e.verdict.problems) for e in events)


async def test_the_engine_sends_metrics_reads_and_a_breach_is_on_the_verdict(aws):
    seed_ecs(boto3.client("ecs"), revisions=2, inactive=(), dashboard_revisions=1, decoy=False)
    now = time.time()
    # every minute from 4 min ago on: whichever is the newest complete one (ended 2 min ago or more) when the engine reads
    elb("TargetResponseTime", *((now - 60 * back, 0.700) for back in range(5)))
    put("AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": "avnz-db"}, (now - 240, 15.0))
    def pool_judged(events) -> bool:  # once ECS has answered (before, its capacity is "ECS not read yet")
        return any(isinstance(e, MetricsRead) and any("no running task" in v.problem for v in e.views) for e in events)

    events = await engine_events(runbook_with(), lambda got: has_metric_problem("METRIC API slowest")(got) and pool_judged(got))
    read = next(e for e in events if isinstance(e, MetricsRead))
    assert abs(read.read_at - now) < 60 and next(v for v in read.views if v.id == "api-slowest").latest == pytest.approx(700.0)
    texts = verdict_texts(events)
    assert any(t.startswith("METRIC API slowest 700 ms > 500 ms at ") for t in texts) and not any(t.startswith("METRIC API mean") for t in texts)
    # moto's services run no task: the pool's capacity cannot be known, which is not known, never fine
    assert "METRIC DB pool usage unknown" in texts
    pool = next(v for v in [e for e in events if isinstance(e, MetricsRead)][-1].views if v.id == "db-pool-usage")
    assert pool.problem == "pool capacity unknown: avnz-api has no running task"


async def test_a_failing_read_in_the_engine_makes_the_verdict_not_all_up(aws_faults):
    aws_faults.fail("GetMetricData", "Throttling", "Rate exceeded", times=None)
    events = await engine_events(runbook_with(), has_metric_problem("METRICS UNREAD"))
    failed = next(e for e in events if isinstance(e, MetricsFailed))
    assert failed.throttled and failed.retry_in > 0
    last = [e for e in events if isinstance(e, VerdictChanged)][-1]
    assert not last.verdict.all_up and "metrics" in last.verdict.sources
