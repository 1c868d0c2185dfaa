"""The runbook's metrics pane: [metrics], [[dashboards]] with [[dashboards.metrics]], the environments' metric
values (interpolated, their variables recorded), and every mistake as FILE:LINE: what."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.runbook import bundled_path, load_runbook, validate_file
from cockpit.runbook.dashboards import MetricSpec, MetricsSettings
from cockpit.runbook.metric_values import resolve
from cockpit.runbook.rules_metrics import statistic_problem

BASE = """\
[runbook]
id = "t"
name = "Test"
version = "1"
owner = "me"

[environments.staging]
ecs_services = ["api"]

[environments.staging.metrics]
lb = "${LB}"
cache = "${CACHE:-my-cache}"

[environments.production]

[[phases]]
id = "p1"
title = "Phase one"

[[phases.steps]]
id = "s1"
title = "Step one"
kind = "manual"

[metrics]
interval_seconds = 30
window_minutes = 30
recent_minutes = 5

[[dashboards]]
id = "api"
title = "API"

[[dashboards.metrics]]
id = "p99"
title = "API p99"
namespace = "AWS/ApplicationELB"
metric = "TargetResponseTime"
statistic = "p99"
dimensions = { LoadBalancer = "{lb}" }
scale = 1000
unit = "ms"
threshold = 500

[[dashboards.metrics]]
id = "pool"
title = "Pool"
namespace = "AWS/RDS"
metric = "DatabaseConnections"
statistic = "Maximum"
pool_of = "api"
unit = "%"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rb.toml"
    path.write_text(text)
    return path


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_the_base_runbook_builds_its_dashboards_settings_and_metric_values(tmp_path):
    runbook = load_runbook(write(tmp_path, BASE), environ={"LB": "app/web/1"})
    assert runbook.metrics == MetricsSettings(interval_seconds=30.0, window_minutes=30, recent_minutes=5)
    [board] = runbook.dashboards
    assert (board.id, board.title, [m.id for m in board.metrics]) == ("api", "API", ["p99", "pool"])
    p99 = board.metrics[0]
    assert p99 == MetricSpec(id="p99", title="API p99", namespace="AWS/ApplicationELB", metric="TargetResponseTime",
                             statistic="p99", dimensions=(("LoadBalancer", "{lb}"),), unit="ms", scale=1000.0, threshold=500.0)
    staging = runbook.environments["staging"]
    assert staging.metric_values == (("lb", "app/web/1"), ("cache", "my-cache"))
    assert staging.sources["metrics.lb"] == ("LB",) and staging.sources["metrics.cache"] == ("CACHE",)
    assert "metrics.cache" in staging.defaulted and "metrics.lb" not in staging.defaulted  # ${CACHE:-my-cache}: the runbook's guess
    assert resolve("{lb}", staging) == ("app/web/1", "")


def test_an_unset_variable_leaves_the_value_empty_and_resolve_names_it(tmp_path):
    runbook = load_runbook(write(tmp_path, BASE), environ={})
    staging = runbook.environments["staging"]
    assert dict(staging.metric_values)["lb"] == ""
    assert resolve("{lb}", staging) == ("", "not configured: set LB")
    assert resolve("{lb}", runbook.environments["production"]) == ("", "not configured: set metrics.lb in environments.production")


def test_the_bundled_runbook_has_the_plans_four_dashboards():
    runbook = load_runbook(environ={})
    assert runbook.metrics == MetricsSettings(interval_seconds=30.0, window_minutes=60, recent_minutes=5)
    assert [d.title for d in runbook.dashboards] == ["API response times", "Error rates", "Redis connection health",
                                                    "Database connection pool usage"]
    lines = {m.id: m for d in runbook.dashboards for m in d.metrics}
    assert (lines["api-p99"].statistic, lines["api-p99"].threshold, lines["api-p99"].scale) == ("p99", 500.0, 1000.0)
    errors = lines["api-5xx-rate"]
    assert (errors.metric, errors.per, errors.missing, errors.missing_per, errors.gap_reason) == (
        "HTTPCode_Target_5XX_Count", "RequestCount", "zero", "gap", "no requests")
    assert dict(lines["redis-connections"].dimensions) == {"CacheClusterId": "{redis_cluster}"}
    assert (lines["db-pool-usage"].pool_of, lines["db-pool-usage"].unit) == ("avnz-api", "%")
    for env in runbook.environments.values():
        values = dict(env.metric_values)
        assert set(values) == {"load_balancer", "api_target_group", "redis_cluster", "db_instance"}
        assert values["redis_cluster"] == "avnz-redis"  # the plan's Terraform cluster_id
        assert resolve("{load_balancer}", env) == ("", "not configured: set COCKPIT_LOAD_BALANCER")


@pytest.mark.parametrize(
    "old, new, anchor, fragment",
    [
        ('statistic = "p99"', 'statistic = "p99.9x"', "p99.9x", "dashboards[0].metrics[0].statistic: unknown statistic 'p99.9x'"),
        ('statistic = "p99"', 'statistic = "p0"', "p0", "unknown statistic 'p0'"),
        ('statistic = "p99"', 'statistic = "p101"', "p101", "unknown statistic 'p101'"),
        ('statistic = "p99"', 'statistic = "average"', "average", "unknown statistic 'average'"),
        ('unit = "ms"', 'unit = "ms"\nper = "RequestCount"\nper_statistic = "Total"', "Total",
         "dashboards[0].metrics[0].per_statistic: unknown statistic 'Total'"),
        ('unit = "ms"', 'unit = "ms"\nmissing = "none"', "none", "unknown value 'none' (one of: gap, zero)"),
        ('unit = "ms"', 'unit = "ms"\nmissing_per = "0"', 'missing_per = "0"', "unknown value '0' (one of: gap, zero)"),
        ('pool_of = "api"', 'pool_of = "web"', 'pool_of = "web"', "pool_of: service 'web' is in no environment's ecs_services (known: api)"),
        ('pool_of = "api"', 'pool_of = "api"\nper = "X"', 'pool_of = "api"', "per and pool_of cannot both be set"),
        ('LoadBalancer = "{lb}"', 'LoadBalancer = "{load_balancer}"', "{load_balancer}",
         "dimensions.LoadBalancer: {load_balancer} is in no environment's metrics table (declared: cache, lb)"),
        ('id = "pool"', 'id = "p99"', 'id = "p99"\ntitle = "Pool"', "dashboards[0].metrics[1].id: duplicate metric id 'p99'"),
        ('id = "pool"', 'id = "the pool"', "the pool", "'the pool' may hold only letters, digits, '-' and '_'"),
        ("threshold = 500", 'threshold = "500"', 'threshold = "500"', "threshold: expected a number, got a string"),
        ("scale = 1000", "scales = 1000", "scales", "dashboards[0].metrics[0].scales: unknown key"),
        ('namespace = "AWS/RDS"\n', "", '[[dashboards.metrics]]\nid = "pool"', "dashboards[0].metrics[1].namespace: missing (required)"),
        ('lb = "${LB}"', 'lb = "${LB"', "${LB", "environments.staging.metrics.lb: malformed reference"),
        ('lb = "${LB}"', "lb = 5", "lb = 5", "environments.staging.metrics.lb: expected a string, got an integer"),
        ("interval_seconds = 30", "interval_seconds = 0", "interval_seconds = 0", "metrics.interval_seconds: must be greater than 0"),
        ("recent_minutes = 5", "recent_minutes = 45", "recent_minutes = 45", "metrics.recent_minutes: must not exceed window_minutes (30)"),
        ("recent_minutes = 5", "recent_minutes = 5\nstale_after_seconds = 30", "stale_after_seconds", "must exceed interval_seconds (30)"),
        ("window_minutes = 30", "window_minutes = 30.5", "window_minutes", "metrics.window_minutes: expected an integer"),
    ],
)
def test_each_mistake_names_its_line(tmp_path, old, new, anchor, fragment):
    assert old in BASE
    text = BASE.replace(old, new, 1)
    path = write(tmp_path, text)
    problems = validate_file(path, environ={})
    line = line_of(text, anchor)
    assert any(p.startswith(f"{path}:{line}: ") and fragment in p for p in problems), problems


def test_a_second_dashboard_with_the_same_id_names_both_places(tmp_path):
    text = BASE + '\n[[dashboards]]\nid = "api"\ntitle = "Again"\n\n[[dashboards.metrics]]\nid = "other"\ntitle = "O"\n' \
        'namespace = "N"\nmetric = "M"\nstatistic = "Sum"\n'
    path = write(tmp_path, text)
    [problem] = validate_file(path, environ={})
    line = line_of(text, 'title = "Again"') - 1
    assert problem == f"{path}:{line}: dashboards[1].id: duplicate dashboard id 'api' (first at dashboards[0].id)"


def test_the_old_monitoring_table_says_what_replaced_it(tmp_path):
    text = BASE + '\n[monitoring]\ndashboards = ["API response times"]\n'
    path = write(tmp_path, text)
    [problem] = validate_file(path, environ={})
    assert problem.startswith(f"{path}:{line_of(text, '[monitoring]')}: monitoring: [monitoring] dashboards = [names] is now [[dashboards]]")
    assert "[[dashboards.metrics]]" in problem


def test_a_dashboard_needs_its_metrics(tmp_path):
    text = BASE + '\n[[dashboards]]\nid = "empty"\ntitle = "Nothing"\n'
    path = write(tmp_path, text)
    line = line_of(text, 'id = "empty"') - 1
    assert validate_file(path, environ={}) == [f"{path}:{line}: dashboards[1].metrics: missing (required)"]


def test_the_bundled_runbook_stays_valid_without_any_metrics_variable():
    assert validate_file(bundled_path(), environ={}) == []


@pytest.mark.parametrize("text", ["Average", "Sum", "Minimum", "Maximum", "SampleCount", "p50", "p99", "p99.9", "p100", "p0.1"])
def test_statistics_cloudwatch_takes(text):
    assert statistic_problem(text) == ""


@pytest.mark.parametrize("text", ["p0", "p100.1", "P99", "p", "p-1", "avg", "p99.", "tm99"])
def test_statistics_it_refuses(text):
    assert statistic_problem(text).startswith(f"unknown statistic {text!r}")
