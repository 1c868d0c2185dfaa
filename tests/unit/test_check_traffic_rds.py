"""The verdicts of the checks judged on AWS (pure), and the runbook rules of `traffic` and `rds_health` (FILE:LINE)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.checks.rds_health import PoolUsage, judge_rds
from cockpit.checks.traffic import Traffic, judge_traffic
from cockpit.probes.aws.rds import DbInstance
from cockpit.runbook import bundled_path, load_runbook, validate_file
from cockpit.runbook.rules_checks import check_aws_checks, is_percentile

PROBE = "p99 0.85 ms over 100 requests to /health < 500 ms limit"
DB = DbInstance("avnz-db", "available", "db.t3.medium", "postgres", "15.4")


@pytest.mark.parametrize(
    ("traffic", "status", "evidence"),
    [
        (Traffic(312.4, 1234, 5), "pass", "load balancer p99 312 ms over the last 5 min (1,234 requests) < 500 ms"),
        (Traffic(500.0, 1, 5), "pass", "load balancer p99 500 ms over the last 5 min (1 request) ≤ 500 ms"),
        (Traffic(500.4, 10, 5), "fail", "load balancer p99 500.40 ms over the last 5 min (10 requests) > 500 ms limit: Investigate slow queries"),
        (Traffic(4.5, None, 5), "pass", "load balancer p99 4.50 ms over the last 5 min (request count not reported) < 500 ms"),
        (Traffic(None, None, 5), "inconclusive", "no traffic: the load balancer saw no requests in the last 5 min"),
        (Traffic(None, 0.0, 10), "inconclusive", "no traffic: the load balancer saw no requests in the last 10 min"),
        (Traffic(None, 40, 5), "inconclusive", "load balancer p99 unknown: CloudWatch has no p99 for the 40 requests of the last 5 min"),
        (Traffic(None, None, 5, note="PartialData: more"), "inconclusive", "no traffic: the load balancer saw no requests in the last 5 min (PartialData: more)"),
    ],
)
def test_the_load_balancers_figure_decides_and_the_probe_goes_beside(traffic, status, evidence):
    result = judge_traffic(traffic, "", 500.0, "Investigate slow queries", PROBE)
    assert (result.status, result.evidence) == (status, f"{evidence} · cockpit's probe: {PROBE}")
    assert result.latency_ms == traffic.p99_ms


def test_no_figure_is_inconclusive_whatever_the_probe_says():
    result = judge_traffic(None, "not configured: set COCKPIT_LOAD_BALANCER", 500.0, "", "p99 900 ms over 100 requests to /health > 500 ms limit")
    assert result.status == "inconclusive" and result.latency_ms is None
    assert result.evidence == "load balancer p99 unknown: not configured: set COCKPIT_LOAD_BALANCER · cockpit's probe: p99 900 ms over 100 requests to /health > 500 ms limit"


USAGE = PoolUsage(connections=14, connection_limit=10, tasks=2, service="avnz-api", minutes=5)


@pytest.mark.parametrize(
    ("instance", "usage", "status", "evidence"),
    [
        (DB, USAGE, "pass", "avnz-db available (db.t3.medium, postgres 15.4) · pool 14 of 20 connections (70 %) over the last 5 min: connection_limit 10 x 2 running avnz-api tasks"),
        (DB, PoolUsage(19.9, 10, 2, "avnz-api"), "pass", "avnz-db available (db.t3.medium, postgres 15.4) · pool 19.9 of 20 connections (99 %) over the last 5 min: connection_limit 10 x 2 running avnz-api tasks"),
        (DB, PoolUsage(25, 10, 1, "avnz-api"), "fail", "avnz-db available (db.t3.medium, postgres 15.4) · pool exhausted: 25 of 10 connections (250 %) over the last 5 min: connection_limit 10 x 1 running avnz-api task"),
        (DbInstance("avnz-db", "storage-full", "db.t3.medium", "postgres", "15.4"), USAGE, "fail", "avnz-db storage-full (db.t3.medium, postgres 15.4): not available · pool 14 of 20"),
        (DbInstance("avnz-db", "stopped"), PoolUsage(why="x"), "fail", "avnz-db stopped: not available · pool usage unknown: x"),
        (DB, PoolUsage(service="avnz-api", why="no running avnz-api tasks"), "inconclusive", "avnz-db available (db.t3.medium, postgres 15.4) · pool usage unknown: no running avnz-api tasks"),
    ],
)
def test_the_instance_status_and_the_pool_usage_decide(instance, usage, status, evidence):
    result = judge_rds(instance, "", False, usage)
    assert result.status == status and result.evidence.startswith(evidence), result


def test_rds_unreadable_is_inconclusive_and_no_such_instance_fails():
    assert judge_rds(None, "RDS not readable: throttled", False, USAGE).status == "inconclusive"
    gone = judge_rds(None, "RDS instance avnz-db: DBInstanceNotFound: not found", True, USAGE)
    assert gone.status == "fail" and gone.evidence.startswith("RDS instance avnz-db: DBInstanceNotFound: not found · pool 14 of 20")


def test_percentile_statistics():
    assert [s for s in ("p99", "p50", "p99.9", "p100", "p101", "Sum", "tm99", "p", "P99") if is_percentile(s)] == ["p99", "p50", "p99.9", "p100"]


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = bundled_path().read_text()
    assert old in text
    path = tmp_path / "rb.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def _line(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_bundled_runbook_links_the_p99_threshold_and_checks_rds():
    runbook = load_runbook()
    assert runbook.threshold("api-p99").traffic == "api-p99"
    step = runbook.step("rb-db-rds-health")
    assert step.kind == "check" and (step.check.type, step.check.instance, step.check.pool_of) == ("rds_health", "{db_instance}", "avnz-api")


def test_rds_health_needs_an_instance_and_a_known_pool_service(tmp_path):
    check = 'check = { type = "rds_health", instance = "{db_instance}", pool_of = "avnz-api" }'
    path = _variant(tmp_path, check, 'check = { type = "rds_health", pool_of = "avnz-apii" }')
    line = _line(path, 'type = "rds_health"')
    assert validate_file(path, {}) == [
        f"{path}:{line}: phases[9].steps[1].check: type 'rds_health' needs instance (a DB instance id, or {{db_instance}})",
        f"{path}:{line}: phases[9].steps[1].check.pool_of: service 'avnz-apii' is in no environment's ecs_services (known: avnz-admin-dashboard, avnz-api)",
    ]
    path = _variant(tmp_path, 'check = { type = "db_pool_params" }', 'check = { type = "db_pool_params", instance = "x" }')
    line = _line(path, 'type = "db_pool_params", instance')
    assert validate_file(path, {}) == [f"{path}:{line}: phases[2].steps[1].check: instance is only for type 'rds_health'"]


def test_traffic_is_for_api_p99_and_names_a_percentile_dashboard_metric(tmp_path):
    path = _variant(tmp_path, 'metric = "redis_latency"\nlimit_ms = 10\n', 'metric = "redis_latency"\nlimit_ms = 10\ntraffic = "api-p99"\n')
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text == 'traffic = "api-p99"')
    assert validate_file(path, {}) == [f"{path}:{line}: thresholds[2].traffic: only an 'api_p99' threshold is judged on traffic (this one is 'redis_latency')"]
    # With the dashboards model in the file ([[dashboards]] with metrics), the link is checked against it
    base = {"environments": {}, "phases": [], "thresholds": [{"id": "t", "metric": "api_p99", "traffic": "api-p99"}]}
    boards = [{"id": "api", "metrics": [{"id": "api-p50", "statistic": "p50"}, {"id": "api-avg", "statistic": "Average"}]}]
    assert [m for _, m in check_aws_checks({**base, "dashboards": boards})] == ["thresholds[0].traffic: no dashboard metric 'api-p99' (percentile metrics: api-p50)"]
    base["thresholds"][0]["traffic"] = "api-avg"
    assert [m for _, m in check_aws_checks({**base, "dashboards": boards})] == [
        "thresholds[0].traffic: dashboard metric 'api-avg' has statistic 'Average', not a percentile (p99)"]
    base["thresholds"][0]["traffic"] = "api-p50"
    assert check_aws_checks({**base, "dashboards": boards}) == []
