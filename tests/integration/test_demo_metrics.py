"""The demo's metrics in CloudWatch (moto): an hour of history at start, live samples after, the trouble keys moving
the newest minute, "no traffic" leaving gaps, the RDS instance following PostgreSQL, and a feed that stops cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from cockpit.demo.metric_samples import Conditions, Estate
from cockpit.demo.metrics_feed import MetricsFeed
from cockpit.demo.stack import DemoStack
from cockpit.stack.moto_server import MotoServer
from tests.servers import unavailable

ESTATE = Estate("app/avnz-demo-alb/50dc6c495c0c9188", "targetgroup/avnz-api/73e2d6bc24d8a067", "avnz-redis", "avnz-db")
SERIES = {  # name → (namespace, dimension key in the demo's environment or Estate field)
    "TargetResponseTime": "AWS/ApplicationELB", "RequestCount": "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count": "AWS/ApplicationELB",
    "CurrConnections": "AWS/ElastiCache", "EngineCPUUtilization": "AWS/ElastiCache", "DatabaseConnections": "AWS/RDS",
}


def eventually(condition, what: str, timeout: float = 40.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"never happened within {timeout:.0f} s: {what}")
        time.sleep(0.2)


def dimensions(estate: Estate, metric: str) -> list[dict]:
    namespace = SERIES[metric]
    if namespace == "AWS/ApplicationELB":
        return [{"Name": "LoadBalancer", "Value": estate.load_balancer}, {"Name": "TargetGroup", "Value": estate.target_group}]
    if namespace == "AWS/ElastiCache":
        return [{"Name": "CacheClusterId", "Value": estate.redis_cluster}]
    return [{"Name": "DBInstanceIdentifier", "Value": estate.db_instance}]


def read(client, estate: Estate, metric: str, stat: str, start: datetime, end: datetime | None = None) -> dict[datetime, float]:
    """{minute: value} of one series (GetMetricData, 1-minute periods) from `start` to the end of the current minute."""
    end = end or max(datetime.now(UTC).replace(second=0, microsecond=0), start) + timedelta(minutes=1)
    query = {"Id": "q", "MetricStat": {"Metric": {"Namespace": SERIES[metric], "MetricName": metric, "Dimensions": dimensions(estate, metric)},
                                        "Period": 60, "Stat": stat}}
    result = client.get_metric_data(MetricDataQueries=[query], StartTime=start, EndTime=end, ScanBy="TimestampAscending")
    found = result["MetricDataResults"][0]
    return dict(zip(found["Timestamps"], found["Values"]))


def hour_ago() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=59)


def latest(client, estate: Estate, metric: str, stat: str) -> float | None:
    values = read(client, estate, metric, stat, hour_ago())
    return values[max(values)] if values else None


# -- the feed on its own, against the shared moto ------------------------------------------------------------------


class Switch:
    """Conditions a test changes while the feed runs."""

    def __init__(self) -> None:
        self.now = Conditions()

    def __call__(self) -> Conditions:
        return self.now


@pytest.fixture
def cloudwatch(aws):
    return boto3.client("cloudwatch")


@pytest.fixture
def feeds():
    """Feeds a test starts (`made.append(feed)`), stopped after it whatever happened."""
    made: list[MetricsFeed] = []
    yield made
    for feed in made:
        feed.stop()


def test_the_history_is_an_hour_minute_by_minute_then_live_samples_follow(aws, cloudwatch, feeds):
    started = time.time()
    feed = MetricsFeed(aws.url, ESTATE, Switch(), tick=0.2, seed=1)
    feeds.append(feed.start())
    assert feed.problem == "" and feed.running
    current = datetime.fromtimestamp(started // 60 * 60, UTC)
    # the sixty whole minutes before the current one (which may have had no request yet, a second into it)
    hour = {current - timedelta(minutes=m) for m in range(1, 61)}
    for metric, stat in (("TargetResponseTime", "Average"), ("TargetResponseTime", "Maximum"), ("RequestCount", "Sum"),
                         ("CurrConnections", "Average"), ("EngineCPUUtilization", "Average"), ("DatabaseConnections", "Average")):
        values = read(cloudwatch, ESTATE, metric, stat, min(hour), current)
        assert set(values) == hour, (metric, sorted(values))
    # whole minutes only: a live put may land in the current one between two reads
    counts = read(cloudwatch, ESTATE, "TargetResponseTime", "SampleCount", min(hour), current)
    assert counts == read(cloudwatch, ESTATE, "RequestCount", "Sum", min(hour), current)  # one raw response time per request
    assert all(v < 0.5 for v in read(cloudwatch, ESTATE, "TargetResponseTime", "Average", min(hour), current).values())
    # a calm demo has no 5xx, and ELB reports the count only when it is non-zero
    assert read(cloudwatch, ESTATE, "HTTPCode_Target_5XX_Count", "Sum", min(hour), current) == {}
    began = feed.last_put
    eventually(lambda: feed.last_put > began and feed.put > 0, "a live put")


def test_no_traffic_leaves_the_newest_minutes_without_requests(aws, cloudwatch, feeds):
    """On a clock of its own (an hour back, then moved on three minutes at once): the minutes after the switch have
    Redis and RDS datapoints but no RequestCount and no TargetResponseTime."""
    now = [time.time() - 3600]
    switch = Switch()
    feed = MetricsFeed(aws.url, ESTATE, switch, tick=0.05, seed=2, clock=lambda: now[0])
    feeds.append(feed.start())
    switched = (now[0] // 60 + 1) * 60  # the next minute starts without traffic
    switch.now = Conditions(traffic=False)
    now[0] = switched + 180
    eventually(lambda: feed.last_put >= now[0], "the three minutes put")
    start, end = datetime.fromtimestamp(switched - 600, UTC), datetime.fromtimestamp(switched + 180, UTC)
    quiet = {datetime.fromtimestamp(switched + m * 60, UTC) for m in range(3)}
    connections = read(cloudwatch, ESTATE, "CurrConnections", "Average", start, end)
    requests = read(cloudwatch, ESTATE, "RequestCount", "Sum", start, end)
    times = read(cloudwatch, ESTATE, "TargetResponseTime", "SampleCount", start, end)
    assert quiet <= set(connections) and quiet <= set(read(cloudwatch, ESTATE, "DatabaseConnections", "Average", start, end))
    assert not quiet & set(requests) and not quiet & set(times)
    assert len(requests) == 10  # the ten minutes before it had traffic


def test_a_failing_put_is_one_line_in_problem_and_the_feed_catches_up(aws, aws_faults, cloudwatch, feeds):
    feed = MetricsFeed(aws_faults.url, ESTATE, Switch(), tick=0.2, seed=3)
    feeds.append(feed.start())
    aws_faults.fail("PutMetricData", "InternalFailure", "The request processing has failed\nbecause of an unknown error", status=500, times=None)
    eventually(lambda: feed.problem, "the failure noted")
    assert "InternalFailure" in feed.problem and "The request processing has failed" in feed.problem and "\n" not in feed.problem
    assert "Traceback" not in feed.problem and feed.running and feed.failures >= 1
    stuck = feed.last_put
    aws_faults.clear()
    eventually(lambda: feed.problem == "" and feed.last_put > stuck, "a put again")
    put_until = datetime.fromtimestamp(feed.last_put // 60 * 60, UTC)  # minutes before it are whole: no put lands there now
    counts = read(cloudwatch, ESTATE, "TargetResponseTime", "SampleCount", hour_ago(), put_until)
    assert counts and counts == read(cloudwatch, ESTATE, "RequestCount", "Sum", hour_ago(), put_until)  # nothing half put


def test_a_hung_endpoint_times_out_and_stop_still_ends_the_thread(aws, aws_faults, feeds):
    feed = MetricsFeed(aws_faults.url, ESTATE, Switch(), tick=0.2, seed=4)
    feeds.append(feed.start())
    aws_faults.delay("PutMetricData", 8.0, times=None)  # past the feed's 5 s read timeout
    eventually(lambda: "timeout" in feed.problem.lower(), "the timeout noted", timeout=30)
    feed.stop()
    assert not feed.running
    assert not [t for t in threading.enumerate() if t.name == "demo-metrics"]


def test_a_stopped_feed_leaves_no_thread(aws, aws_faults, feeds):
    feed = MetricsFeed(aws_faults.url, ESTATE, Switch(), tick=0.1, seed=5)
    feeds.append(feed.start())
    eventually(lambda: aws_faults.requests("PutMetricData") > 20, "live puts")  # the history's, then live ones
    feed.stop()
    assert not feed.running
    assert not [t for t in threading.enumerate() if t.name == "demo-metrics"]  # nothing left that could put


# -- the demo's stack process: its environment, its trouble keys ---------------------------------------------------


def demo_estate(ready) -> Estate:
    env = ready.environ
    return Estate(env["COCKPIT_LOAD_BALANCER"], env["COCKPIT_API_TARGET_GROUP"], env["COCKPIT_REDIS_CLUSTER"], env["COCKPIT_DB_INSTANCE"])


def demo_client(ready, service: str = "cloudwatch"):
    env = ready.environ
    return boto3.client(service, endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_the_demo_names_its_dimensions_and_feeds_an_hour_of_each_series(demo):
    _control, ready, progress = demo
    env = ready.environ
    assert env["COCKPIT_LOAD_BALANCER"].startswith("app/avnz-demo-alb/") and env["COCKPIT_REDIS_CLUSTER"] == "avnz-redis"
    assert env["COCKPIT_API_TARGET_GROUP"].startswith("targetgroup/avnz-api/") and env["COCKPIT_DB_INSTANCE"] == "avnz-db"
    assert any(line.startswith("metrics: 60 minutes of history") for line in progress), progress
    cloudwatch, estate = demo_client(ready), demo_estate(ready)
    for metric, stat in (("TargetResponseTime", "Average"), ("RequestCount", "Sum"), ("CurrConnections", "Average"),
                         ("EngineCPUUtilization", "Average"), ("DatabaseConnections", "Average")):
        assert len(read(cloudwatch, estate, metric, stat, hour_ago())) >= 59, metric  # 60, or 59 just after a minute turned
    # the ECS simulator's service events name the same target group
    events = demo_client(ready, "ecs").describe_services(cluster="avnz-payment-cluster", services=["avnz-api"])["services"][0]["events"]
    assert any(env["COCKPIT_API_TARGET_GROUP"] in e["message"] for e in events if "registered" in e["message"])


def test_the_demo_cockpit_reads_cloudwatch_percentiles_and_its_traffic_checks_pass(demo, tmp_path: Path):
    """The cockpit's environment sends CloudWatch (only) through the percentile proxy: the p99 the engine and
    post-api-p99 read is the load balancer's, and rb-db-rds-health finds avnz-db and the pool's capacity.
    Before the trouble-key tests below (pytest runs a module's tests in file order): a calm demo's last minutes."""
    _control, ready, _progress = demo
    env = ready.environ
    assert env["AWS_ENDPOINT_URL_CLOUDWATCH"] != env["AWS_ENDPOINT_URL"]  # ECS, logs and RDS still go to moto itself
    cloudwatch = boto3.client("cloudwatch", endpoint_url=env["AWS_ENDPOINT_URL_CLOUDWATCH"], region_name=env["AWS_REGION"],
                              aws_access_key_id="testing", aws_secret_access_key="testing")
    p99 = read(cloudwatch, demo_estate(ready), "TargetResponseTime", "p99", hour_ago())
    assert len(p99) >= 59 and all(0 < value < 0.5 for value in p99.values()), p99  # the steady demo's API: under 500 ms
    checks = ["post-api-p99"] + ([] if "database_url" in ready.absent else ["rb-db-rds-health"])
    machine = {k: v for k, v in os.environ.items() if k not in MotoServer.foreign_settings(os.environ)}
    done = subprocess.run([sys.executable, "-m", "cockpit", "check", "--state", str(tmp_path / "journal.sqlite3"), "--only", *checks],
                          capture_output=True, text=True, env={**machine, **env}, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "load balancer" in done.stdout and f"{len(checks)} checks in staging: all passed" in done.stdout, done.stdout


def steady(ready) -> int:
    """avnz-api's running tasks once it is steady (one deployment, COMPLETED)."""
    ecs = demo_client(ready, "ecs")

    def service() -> dict | None:
        found = ecs.describe_services(cluster="avnz-payment-cluster", services=["avnz-api"])["services"][0]
        deployments = found["deployments"]
        return found if len(deployments) == 1 and deployments[0]["rolloutState"] == "COMPLETED" else None

    return int(eventually(service, "a steady avnz-api")["runningCount"])


def press(control, key: str, expect: str) -> None:
    answer = control.run(key)
    assert expect in answer, answer


@pytest.mark.parametrize(("key", "metric", "stat", "moved"), [
    ("3", "TargetResponseTime", "Maximum", lambda v, _capacity: v >= 1.2),  # a slow API: responses over 1.2 s
    ("1", "CurrConnections", "Minimum", lambda v, _capacity: v == 0),  # Redis down: nothing connected
    ("p", "DatabaseConnections", "Maximum", lambda v, capacity: v >= 0.85 * capacity),  # the pool near exhaustion
], ids=["api-slow", "redis", "pool"])
def test_a_trouble_key_moves_the_newest_minute(demo, key, metric, stat, moved):
    control, ready, _progress = demo
    cloudwatch, estate = demo_client(ready), demo_estate(ready)
    if key in ("1", "p") and {"redis_url", "database_url"} & set(ready.absent):
        unavailable(f"the demo runs without {sorted(ready.absent)}")
    capacity = 10 * steady(ready)  # connection_limit=10 in the demo's DATABASE_URL; a rollout's extra tasks would move it
    assert not moved(latest(cloudwatch, estate, metric, stat), capacity)
    control.run(key)
    try:
        eventually(lambda: (value := latest(cloudwatch, estate, metric, stat)) is not None and moved(value, capacity),
                   f"! {key} moved {metric} {stat}")
    finally:
        control.run(key)  # back to normal for the other tests


@pytest.mark.parametrize(("key", "share"), [("4", 0.5), ("5", 0.1)], ids=["api-failing", "alarm"])
def test_failing_pages_and_the_5xx_alarm_put_5xx_from_now_on(demo, key, share):
    """The 5XX put since just before the key, over the requests since: every request fails (! 4), or the ~37 a minute
    of the alarm's reason (! 5). Counted from a fixed start, so what another test left in the window does not count."""
    control, ready, _progress = demo
    cloudwatch, estate = demo_client(ready), demo_estate(ready)
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    before = sum(read(cloudwatch, estate, "HTTPCode_Target_5XX_Count", "Sum", start).values())
    requests_before = sum(read(cloudwatch, estate, "RequestCount", "Sum", start).values())
    control.run(key)
    try:
        def errors() -> bool:
            more = sum(read(cloudwatch, estate, "HTTPCode_Target_5XX_Count", "Sum", start).values()) - before
            requests = sum(read(cloudwatch, estate, "RequestCount", "Sum", start).values()) - requests_before
            return more >= 10 and more >= share * requests
        eventually(errors, f"! {key}: 5XX from now on")
    finally:
        control.run(key)


def test_no_traffic_stops_requests_from_the_next_minute_on(demo):
    control, ready, _progress = demo
    cloudwatch, estate = demo_client(ready), demo_estate(ready)
    press(control, "t", "no requests reach the API")
    assert next(a for a in control.actions if a.key == "t").state == "no requests"
    try:
        quiet = datetime.fromtimestamp((time.time() // 60 + 1) * 60, UTC)  # the first minute wholly without traffic
        eventually(lambda: quiet in read(cloudwatch, estate, "CurrConnections", "SampleCount", quiet), "the feed past that minute",
                   timeout=100)
        assert quiet not in read(cloudwatch, estate, "RequestCount", "Sum", quiet)
        assert quiet not in read(cloudwatch, estate, "TargetResponseTime", "SampleCount", quiet)
    finally:
        press(control, "t", "traffic back")
    assert next(a for a in control.actions if a.key == "t").state == "requests flowing"


def test_the_rds_instance_follows_postgresql(demo):
    control, ready, _progress = demo
    if "database_url" in ready.absent:
        unavailable("PostgreSQL is not installed")
    rds = demo_client(ready, "rds")

    def status() -> str:
        return rds.describe_db_instances(DBInstanceIdentifier="avnz-db")["DBInstances"][0]["DBInstanceStatus"]

    instance = rds.describe_db_instances(DBInstanceIdentifier="avnz-db")["DBInstances"][0]
    assert instance["DBInstanceStatus"] == "available" and instance["Engine"] == "postgres"
    press(control, "2", "RDS avnz-db stopped")
    try:
        assert status() == "stopped"
    finally:
        press(control, "2", "RDS avnz-db available")
    assert status() == "available"


def test_the_feed_stops_with_the_stack_and_leaves_no_thread(tmp_path: Path):
    """In this process, so its threads can be counted: after stop() no feed thread is left, and it said it stopped."""
    stack = DemoStack(tmp_path)
    try:
        try:
            stack.start()
        except RuntimeError as error:
            unavailable(f"the demo stack could not start: {error}")
        assert stack.metrics is not None and stack.metrics.running and stack.metrics.problem == ""
    finally:
        stopped = stack.stop()
    assert "metrics feed" in stopped and stack.metrics is not None and not stack.metrics.running
    assert not [t for t in threading.enumerate() if t.name == "demo-metrics"]

