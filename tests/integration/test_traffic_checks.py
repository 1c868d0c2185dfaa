"""post-api-p99 judged on the load balancer's traffic, and rb-db-rds-health, against a real moto server (with the ECS
simulator, so the API has running tasks) behind the percentile proxy, through `cockpit check --json`'s own code."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config

from cockpit.cli import main
from cockpit.commands.check import check_command
from cockpit.runbook import load_runbook
from cockpit.runbook.dashboards import Dashboard, MetricSpec
from cockpit.stack.cloudwatch_percentiles import PercentileProxy
from cockpit.stack.ecs_seed import API, CLUSTER, seed_ecs
from cockpit.stack.moto_server import MotoServer
from tests.conftest import _started
from tests.servers.aws_proxy import AwsFaultProxy

ONE_TRY = Config(retries={"total_max_attempts": 1})
LB, TG = "app/avnz-api/50dc6c495c0c9188", "targetgroup/avnz-api/73e2d6bc24d8a067"
ELB_DIMS = [{"Name": "LoadBalancer", "Value": LB}, {"Name": "TargetGroup", "Value": TG}]
# The bundled [[dashboards]] metric "api-p99" as the dashboards work defines it (another part of issue 18)
API_P99 = MetricSpec("api-p99", "API p99", "AWS/ApplicationELB", "TargetResponseTime", "p99",
                     (("LoadBalancer", "{load_balancer}"), ("TargetGroup", "{api_target_group}")), unit="ms", scale=1000.0, threshold=500.0)
VALUES = {"load_balancer": LB, "api_target_group": TG, "db_instance": "avnz-db"}
DASHBOARDS = (Dashboard("api", "API response times", (API_P99,)),)


@pytest.fixture(scope="module")
def sim_moto(tmp_path_factory):
    """A moto host of this module's own with the ECS simulator: services roll out to running tasks."""
    server = MotoServer(tmp_path_factory.mktemp("moto-traffic"), simulate_ecs=True, ecs_step_seconds=0.05)
    try:
        yield _started(server, "the moto host")
    finally:
        server.stop()


@pytest.fixture
def estate(sim_moto, monkeypatch, fake_api, tmp_path):
    """Wiped moto behind a PercentileProxy (AWS_ENDPOINT_URL), the ECS estate with 2 running API tasks, the fake API."""
    sim_moto.reset()
    for name in MotoServer.foreign_settings(os.environ):
        monkeypatch.delenv(name, raising=False)
    for name, value in sim_moto.env().items():
        monkeypatch.setenv(name, value)
    proxy = _started(PercentileProxy(sim_moto.url), "the percentile proxy")
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    monkeypatch.setenv("COCKPIT_API_URL", fake_api.url)
    monkeypatch.setenv("DATABASE_URL", "postgresql://cockpit:secret-pw@127.0.0.1:5432/avnz?connection_limit=10&pool_timeout=20")
    monkeypatch.setenv("COCKPIT_STATE", str(tmp_path / "journal.sqlite3"))
    ecs = boto3.client("ecs", config=ONE_TRY)
    seed_ecs(ecs, revisions=3, inactive=(), dashboard_revisions=2, dashboard_inactive=(), decoy=False)
    ecs.update_service(cluster=CLUSTER, service=API, forceNewDeployment=True)
    deadline = time.monotonic() + 20
    while ecs.describe_services(cluster=CLUSTER, services=[API])["services"][0]["runningCount"] != 2:
        assert time.monotonic() < deadline, "the simulator never ran 2 API tasks"
        time.sleep(0.05)
    try:
        yield proxy
    finally:
        proxy.stop()


def runbook_with(values=VALUES, dashboards=DASHBOARDS):
    """The bundled runbook with the api-p99 dashboard metric and the staging metric values (loaded from this environment)."""
    runbook = load_runbook()
    env = replace(runbook.environments["staging"], metric_values=tuple(values.items()))
    return replace(runbook, dashboards=dashboards, environments={**runbook.environments, "staging": env}), env


def check_json(step: str, **kwargs) -> tuple[int, dict]:
    """`cockpit check --json --only STEP` on the runbook_with(**kwargs), journaled like the command."""
    runbook, env = runbook_with(**kwargs)
    text, code, warning = check_command(runbook, env, [step], True, state_path=None)
    assert warning == ""
    (row,) = json.loads(text)["checks"]
    return code, row


def put_elb(latencies_s: list[float], counts: list[float], requests: float, at: datetime | None = None) -> None:
    at = at or datetime.now(UTC) - timedelta(seconds=30)
    cw = boto3.client("cloudwatch", config=ONE_TRY)
    data = [{"MetricName": "RequestCount", "Dimensions": ELB_DIMS, "Timestamp": at, "Value": requests, "Unit": "Count"}]
    if latencies_s:
        data.append({"MetricName": "TargetResponseTime", "Dimensions": ELB_DIMS, "Timestamp": at, "Values": latencies_s,
                     "Counts": counts, "Unit": "Seconds"})
    cw.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=data)


def test_p99_passes_on_the_load_balancers_figure_with_the_probe_beside(estate, monkeypatch):
    put_elb([0.05, 0.312, 0.9], [980, 15, 5], 1000)  # 1,000 requests: the 990th slowest is 312 ms
    put_elb([], [], 234, at=datetime.now(UTC) - timedelta(minutes=3))
    recorder = _started(AwsFaultProxy(estate.url), "the AWS fault proxy")  # records what the check asks
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", recorder.url)
        code, row = check_json("post-api-p99")
    finally:
        recorder.stop()
    assert code == 0 and row["status"] == "pass", row
    assert row["evidence"].startswith("load balancer p99 312 ms over the last 5 min (1,234 requests) < 500 ms · cockpit's probe: p99 ")
    assert " ms over 100 requests to /health < 500 ms limit" in row["evidence"] and row["latency_ms"] == 312.0
    # one GetMetricData for both figures, over ONE period spanning the window (a true p99, not a max of minute p99s)
    (asked,) = recorder.request_bodies("GetMetricData")
    stats = [(q["MetricStat"]["Metric"]["MetricName"], q["MetricStat"]["Stat"], q["MetricStat"]["Period"]) for q in asked["MetricDataQueries"]]
    assert stats == [("TargetResponseTime", "p99", 300), ("RequestCount", "Sum", 300)]
    assert asked["EndTime"] - asked["StartTime"] == 300


def test_p99_over_the_limit_fails_with_the_plans_action(estate):
    put_elb([0.8, 0.1], [50, 50], 100)
    code, row = check_json("post-api-p99")
    assert code == 1 and row["status"] == "fail", row
    assert row["evidence"].startswith("load balancer p99 800 ms over the last 5 min (100 requests) > 500 ms limit: Investigate slow queries · cockpit's probe: p99 ")


def test_no_requests_in_the_window_is_inconclusive_never_a_pass(estate):
    put_elb([0.9], [10], 10, at=datetime.now(UTC) - timedelta(minutes=20))  # traffic, but before the window
    code, row = check_json("post-api-p99")
    assert code == 1 and row["status"] == "inconclusive", row
    assert row["evidence"].startswith("no traffic: the load balancer saw no requests in the last 5 min · cockpit's probe: p99 ")
    assert row["latency_ms"] is None


def test_metrics_not_configured_or_unreadable_are_inconclusive_and_say_why(estate, monkeypatch):
    code, row = check_json("post-api-p99", values={})
    assert code == 1 and row["status"] == "inconclusive"
    assert row["evidence"].startswith("load balancer p99 unknown: not configured: set COCKPIT_LOAD_BALANCER · cockpit's probe: p99 ")
    code, row = check_json("post-api-p99", dashboards=())
    assert row["evidence"].startswith("load balancer p99 unknown: not configured: the runbook's dashboards have no metric 'api-p99'")
    faults = _started(AwsFaultProxy(estate.url), "the AWS fault proxy")
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", faults.url)
        faults.fail("GetMetricData", "AccessDeniedException", "not authorized to perform: cloudwatch:GetMetricData", status=400)
        put_elb([0.1], [10], 10)
        code, row = check_json("post-api-p99")
    finally:
        faults.stop()
    assert row["status"] == "inconclusive", row
    assert row["evidence"].startswith("load balancer p99 unknown: CloudWatch not readable: metrics: AccessDeniedException: not authorized")
    assert "cockpit's probe: p99 " in row["evidence"]


def make_db(status_stopped: bool = False) -> None:
    rds = boto3.client("rds", config=ONE_TRY)
    rds.create_db_instance(DBInstanceIdentifier="avnz-db", DBInstanceClass="db.t3.medium", Engine="postgres", EngineVersion="15.4",
                           AllocatedStorage=20, MasterUsername="avnz", MasterUserPassword="not-shown-1")
    if status_stopped:
        rds.stop_db_instance(DBInstanceIdentifier="avnz-db")


def put_connections(*values: float) -> None:
    cw = boto3.client("cloudwatch", config=ONE_TRY)
    at = datetime.now(UTC) - timedelta(seconds=30)
    cw.put_metric_data(Namespace="AWS/RDS", MetricData=[
        {"MetricName": "DatabaseConnections", "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "avnz-db"}], "Timestamp": at, "Value": v}
        for v in values
    ])


def test_rds_health_passes_with_the_pool_usage_figure(estate):
    make_db()
    put_connections(9, 14, 11)
    code, row = check_json("rb-db-rds-health")
    assert code == 0 and row["status"] == "pass", row
    assert row["evidence"] == ("avnz-db available (db.t3.medium, postgres 15.4) · pool 14 of 20 connections (70 %) over the last 5 min: "
                               "connection_limit 10 x 2 running avnz-api tasks")
    assert "secret-pw" not in json.dumps(row) and "not-shown-1" not in json.dumps(row)


def test_a_stopped_instance_fails_and_says_its_status(estate):
    make_db(status_stopped=True)
    put_connections(3)
    code, row = check_json("rb-db-rds-health")
    assert code == 1 and row["status"] == "fail", row
    assert row["evidence"].startswith("avnz-db stopped (db.t3.medium, postgres 15.4): not available · pool 3 of 20 connections")


def test_an_exhausted_pool_fails(estate):
    make_db()
    put_connections(12, 20)
    code, row = check_json("rb-db-rds-health")
    assert code == 1 and row["evidence"] == ("avnz-db available (db.t3.medium, postgres 15.4) · pool exhausted: 20 of 20 connections (100 %) "
                                             "over the last 5 min: connection_limit 10 x 2 running avnz-api tasks")


def test_an_unknown_pool_usage_is_inconclusive_and_says_why(estate, monkeypatch):
    make_db()
    code, row = check_json("rb-db-rds-health")  # no DatabaseConnections datapoint in the window
    assert code == 1 and row["status"] == "inconclusive", row
    assert row["evidence"] == ("avnz-db available (db.t3.medium, postgres 15.4) · pool usage unknown: RDS reported no DatabaseConnections "
                               "for avnz-db in the last 5 min")
    put_connections(4)
    monkeypatch.setenv("DATABASE_URL", "postgresql://cockpit:secret-pw@127.0.0.1:5432/avnz")
    code, row = check_json("rb-db-rds-health")
    assert row["status"] == "inconclusive" and row["evidence"].endswith("pool usage unknown: no connection_limit in DATABASE_URL (no pool parameters)")
    boto3.client("ecs", config=ONE_TRY).update_service(cluster=CLUSTER, service=API, desiredCount=0)
    monkeypatch.setenv("DATABASE_URL", "postgresql://cockpit:secret-pw@127.0.0.1:5432/avnz?connection_limit=10&pool_timeout=20")
    code, row = check_json("rb-db-rds-health")
    assert row["status"] == "inconclusive" and row["evidence"].endswith("pool usage unknown: no running avnz-api tasks: the pool has no capacity to measure against")


def test_no_such_instance_fails_and_unconfigured_is_inconclusive(estate):
    put_connections(4)
    code, row = check_json("rb-db-rds-health")
    assert code == 1 and row["status"] == "fail", row
    assert row["evidence"].startswith("RDS instance avnz-db: DBInstanceNotFound")
    code, row = check_json("rb-db-rds-health", values={})
    assert row == {**row, "status": "inconclusive", "evidence": "DB instance unknown: not configured: set COCKPIT_DB_INSTANCE"}


def test_cockpit_check_json_shows_the_new_evidence(estate, capsys):
    # The command line's own runbook names no load balancer or DB instance in this branch's staging: both checks say so
    code = main(["check", "--json", "--only", "post-api-p99", "rb-db-rds-health"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["counts"] == {"pass": 0, "fail": 0, "inconclusive": 2}
    p99, rds = report["checks"]
    assert (p99["type"], rds["type"]) == ("threshold", "rds_health")
    assert p99["evidence"].startswith("load balancer p99 unknown: not configured") and "cockpit's probe: p99 " in p99["evidence"]
    assert rds["evidence"].startswith("DB instance unknown: not configured: set ")


def test_cloudwatch_that_does_not_answer_in_time_is_inconclusive_and_the_probe_still_runs(estate, monkeypatch):
    put_elb([0.1], [10], 10)
    faults = _started(AwsFaultProxy(estate.url), "the AWS fault proxy")
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", faults.url)
        faults.delay("GetMetricData", 30.0)  # past the check's half of its bound (4.25 s with the bundled 3 + 5 s timeouts)
        code, row = check_json("post-api-p99")
    finally:
        faults.stop()  # wakes the held answer: the abandoned read ends
    assert code == 1 and row["status"] == "inconclusive", row
    assert row["evidence"].startswith("load balancer p99 unknown: CloudWatch did not answer within 4.25 s · cockpit's probe: p99 ")
    assert " ms over 100 requests to /health < 500 ms limit" in row["evidence"]


def test_rds_unreadable_is_inconclusive_with_the_pool_figure_beside(estate, monkeypatch):
    make_db()
    put_connections(6)
    faults = _started(AwsFaultProxy(estate.url), "the AWS fault proxy")
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", faults.url)
        faults.fail("DescribeDBInstances", "Throttling", "Rate exceeded")
        code, row = check_json("rb-db-rds-health")
    finally:
        faults.stop()
    assert code == 1 and row["status"] == "inconclusive", row
    assert row["evidence"] == ("RDS not readable: RDS instance avnz-db: Throttling: Rate exceeded · pool 6 of 20 connections (30 %) "
                               "over the last 5 min: connection_limit 10 x 2 running avnz-api tasks")
