"""From the runbook's dashboards to the queries one read asks for, and from CloudWatch's datapoints to the lines drawn:
gaps, zero-filling where CloudWatch's docs say so, ratios, pool shares, scale, placeholders, partial data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cockpit.monitor.metrics import MetricsPlan, derive_views, plan_reads, pool_capacity
from cockpit.probes.aws.metrics import Datapoints, MetricQuery
from cockpit.runbook import load_runbook
from cockpit.runbook.dashboards import Dashboard, MetricSpec
from cockpit.runbook.model import Environment

START = 1_800_000_000.0 - 1_800_000_000.0 % 60  # a minute's start
M = [START + 60 * i for i in range(5)]  # the five minutes of the window
CONFIGURED = {"COCKPIT_LOAD_BALANCER": "app/avnz/1", "COCKPIT_API_TARGET_GROUP": "targetgroup/api/2", "COCKPIT_DB_INSTANCE": "avnz-db",
              "DATABASE_URL": "postgresql://u:secret@db/avnz?connection_limit=10&pool_timeout=10"}
RUNNING = {"avnz-api": 2, "avnz-admin-dashboard": 1}


def env(**fields) -> Environment:
    base = Environment("staging", "Staging", False, ecs_cluster="c", ecs_services=("avnz-api",),
                       metric_values=(("lb", "app/avnz/1"), ("tg", "targetgroup/api/2"), ("db", "avnz-db")),
                       database_url="postgresql://u:secret@db/avnz?connection_limit=10&pool_timeout=10")
    return replace(base, **fields)


def line(id="l", **fields) -> MetricSpec:
    base = dict(id=id, title=id.upper(), namespace="AWS/ApplicationELB", metric="TargetResponseTime", statistic="Average",
                dimensions=(("LoadBalancer", "{lb}"),))
    return MetricSpec(**{**base, **fields})


def plan_of(*specs: MetricSpec, environment: Environment | None = None) -> MetricsPlan:
    return plan_reads([Dashboard("d", "Dash", specs)], environment or env())


def views(plan: MetricsPlan, *data: Datapoints, environment: Environment | None = None, running=RUNNING, read_at=None):
    return derive_views(plan, data, START, len(M), environment or env(), running, read_at)


def points(*pairs) -> Datapoints:
    return Datapoints(tuple(pairs))


# -- the queries -------------------------------------------------------------------------------


def test_the_bundled_dashboards_read_nine_metrics_each_once():
    runbook = load_runbook(environ=CONFIGURED)
    plan = plan_reads(runbook.dashboards, runbook.environments["staging"])
    assert len(plan.lines) == 7 and not any(line.problem for line in plan.lines)
    assert len(plan.queries) == 9 == len(set(plan.queries))
    p99 = next(line for line in plan.lines if line.spec.id == "api-p99")
    assert plan.queries[p99.query] == MetricQuery("AWS/ApplicationELB", "TargetResponseTime",
                                                  (("LoadBalancer", "app/avnz/1"), ("TargetGroup", "targetgroup/api/2")), "p99")
    rate = next(line for line in plan.lines if line.spec.id == "api-5xx-rate")
    assert (plan.queries[rate.query].metric, plan.queries[rate.per].metric, plan.queries[rate.per].statistic) == (
        "HTTPCode_Target_5XX_Count", "RequestCount", "Sum")


def test_identical_queries_are_asked_once():
    plan = plan_of(line("a"), line("b", title="same metric, another threshold", threshold=1.0),
                   line("c", metric="HTTPCode_Target_5XX_Count", statistic="Sum", per="RequestCount"),
                   line("d", metric="HTTPCode_Target_4XX_Count", statistic="Sum", per="RequestCount"))
    assert [q.metric for q in plan.queries] == ["TargetResponseTime", "HTTPCode_Target_5XX_Count", "RequestCount", "HTTPCode_Target_4XX_Count"]
    assert [(x.query, x.per) for x in plan.lines] == [(0, None), (0, None), (1, 2), (3, 2)]


def test_a_line_whose_key_is_not_configured_is_not_read_and_names_the_variable():
    runbook = load_runbook(environ={})  # only the redis cluster has a default (the plan's avnz-redis)
    plan = plan_reads(runbook.dashboards, runbook.environments["staging"])
    assert pool_capacity(runbook.environments["staging"], "avnz-api", RUNNING)[1] == "pool capacity unknown: no database URL (set DATABASE_URL)"
    assert [q.metric for q in plan.queries] == ["CurrConnections", "EngineCPUUtilization"]
    assert plan.queries[0].dimensions == (("CacheClusterId", "avnz-redis"),)
    by_id = {v.id: v for v in derive_views(plan, [points(), points()], START, 5, runbook.environments["staging"], None)}
    assert by_id["api-p99"].problem == "not configured: set COCKPIT_LOAD_BALANCER" and by_id["api-p99"].points == ()
    assert by_id["db-pool-usage"].problem == "not configured: set COCKPIT_DB_INSTANCE"
    assert by_id["redis-connections"].problem == "" and len(by_id["redis-connections"].points) == 5


# -- the lines ---------------------------------------------------------------------------------


def test_one_point_a_minute_with_gaps_where_there_is_no_datapoint():
    [view] = views(plan_of(line(gap_reason="no requests")), points((M[0], 0.2), (M[2] + 0.0, 0.3)))
    assert view.points == ((M[0], 0.2), (M[1], None), (M[2], 0.3), (M[3], None), (M[4], None))
    assert (view.latest, view.latest_at, view.gap, view.problem, view.note) == (0.3, M[2], "no requests", "", "")


def test_datapoints_outside_the_window_are_left_out_and_off_minute_stamps_land_in_their_minute():
    [view] = views(plan_of(line()), points((M[0] - 60, 9.0), (M[1] + 30, 0.5), (M[4] + 60, 9.0)))
    assert [v for _, v in view.points] == [None, 0.5, None, None, None]


def test_scale_and_threshold_in_displayed_units():
    [view] = views(plan_of(line(scale=1000.0, unit="ms", threshold=500.0)), points((M[3], 0.612), (M[4], 0.2)))
    assert [v for _, v in view.points] == [None, None, None, pytest.approx(612.0), pytest.approx(200.0)]
    assert view.latest == pytest.approx(200.0) and not view.breach  # the newest minute decides
    [over] = views(plan_of(line(scale=1000.0, unit="ms", threshold=500.0)), points((M[3], 0.612)), read_at=M[4] + 120)
    assert over.breach and over.latest_at == M[3] and over.threshold == 500.0  # M[3]: the newest complete minute


def test_no_data_at_all_is_all_gaps_and_no_latest():
    [view] = views(plan_of(line(threshold=1.0)), points())
    assert [v for _, v in view.points] == [None] * 5 and view.latest is None and not view.breach


def test_missing_zero_fills_every_ended_minute_but_not_the_one_under_way():
    [view] = views(plan_of(line(metric="HTTPCode_Target_5XX_Count", statistic="Sum", missing="zero")), points((M[1], 3.0)))
    assert [v for _, v in view.points] == [0.0, 3.0, 0.0, 0.0, None]
    assert view.latest == 0.0 and view.latest_at == M[3]


def test_the_minutes_cloudwatch_may_still_report_are_left_out_not_drawn_as_gaps():
    read_at = M[4] + 10  # ten seconds into the last minute: it, M[3] (ended 10 s ago) and M[2] (70 s ago) may still come
    [view] = views(plan_of(line(gap_reason="no requests")), points((M[0], 0.2), (M[2], 0.3)), read_at=read_at)
    assert view.points == ((M[0], 0.2), (M[1], None))  # M[1] ended 2 min ago or more: a real gap
    [late] = views(plan_of(line(gap_reason="no requests")), points((M[0], 0.2), (M[1], 0.3)), read_at=M[4] + 120)
    assert late.points == ((M[0], 0.2), (M[1], 0.3), (M[2], None), (M[3], None))  # M[2], M[3] ended 2 min ago or more; M[4] 1 min ago
    [reported] = views(plan_of(line()), points((M[3], 0.1), (M[4], 0.2)), read_at=read_at)
    assert len(reported.points) == 2 and reported.latest is None  # a value already there is a part of its minute: not yet
    [count] = views(plan_of(line(metric="HTTPCode_Target_5XX_Count", statistic="Sum", missing="zero")), points((M[1], 3.0)), read_at=read_at)
    assert [v for _, v in count.points] == [0.0, 3.0]  # M[2..4] not zero-filled until CloudWatch has had its time


def test_a_minute_cloudwatch_may_still_be_reporting_is_no_figure_even_with_a_value():
    """A minute under way (or ended less than REPORT_DELAY ago) holds a part of its datapoints: a partial sum of 5xx over a
    partial RequestCount is no rate. Only complete minutes are drawn and judged."""
    spec = line(metric="HTTPCode_Target_5XX_Count", statistic="Sum", per="RequestCount", missing="zero", unit="%", threshold=0.0)
    errors = points((M[1], 30.0), (M[3], 11.0), (M[4], 11.0))
    requests = points((M[0], 120.0), (M[1], 120.0), (M[3], 100.0), (M[4], 21.0))  # M[3], M[4]: what has been reported so far
    [view] = views(plan_of(spec), errors, requests, read_at=M[4] + 30)  # complete: the minutes that ended 2 min ago or more
    assert view.points == ((M[0], 0.0), (M[1], 25.0))
    assert (view.latest, view.latest_at) == (25.0, M[1])  # not 52.4% (11 of the 21 requests of M[4] so far)


def test_two_reads_in_the_same_minute_judge_the_same_complete_minute():
    """Two cockpits reading seconds apart (one poll) while the current minute fills up: the same figure, of the same minute."""
    spec = line(metric="HTTPCode_Target_5XX_Count", statistic="Sum", per="RequestCount", missing="zero", unit="%", threshold=0.0)
    early = views(plan_of(spec), points((M[1], 30.0), (M[4], 2.0)), points((M[1], 120.0), (M[4], 4.0)), read_at=M[4] + 5)
    late = views(plan_of(spec), points((M[1], 30.0), (M[4], 11.0)), points((M[1], 120.0), (M[4], 90.0)), read_at=M[4] + 50)
    assert early == late and early[0].latest_at == M[1] and early[0].latest == 25.0


def test_traffic_that_stopped_leaves_complete_gaps_after_the_last_value_and_no_current_figure():
    """The API failed (100% 5xx), then no request came: the newest complete minutes are gaps, drawn and dated; the last
    value is no current figure, so no breach (with no requests the rate is unknown, not 100%)."""
    spec = line(metric="HTTPCode_Target_5XX_Count", statistic="Sum", per="RequestCount", missing="zero", unit="%",
                gap_reason="no requests", threshold=0.0)
    [view] = views(plan_of(spec), points((M[0], 19.0)), points((M[0], 19.0)), read_at=M[4] + 120)  # complete: M[0..3]
    assert view.points == ((M[0], 100.0), (M[1], None), (M[2], None), (M[3], None))
    assert (view.latest, view.latest_at, view.current, view.gap_since) == (100.0, M[0], None, M[1])
    assert not view.breach
    [flowing] = views(plan_of(spec), points((M[3], 1.0)), points((M[0], 19.0), (M[3], 4.0)), read_at=M[4] + 120)
    assert (flowing.current, flowing.gap_since, flowing.breach) == (25.0, None, True)


def test_a_ratio_is_a_percentage_zero_only_where_there_were_requests_and_a_gap_without_them():
    spec = line(metric="HTTPCode_Target_5XX_Count", statistic="Sum", per="RequestCount", missing="zero", unit="%", gap_reason="no requests")
    errors = points((M[1], 5.0), (M[3], 2.0))  # no 5xx datapoint at M[0] and M[4]: CloudWatch leaves out a 0
    requests = points((M[0], 200.0), (M[1], 50.0), (M[2], 0.0), (M[4], 400.0))  # none at M[3]: no requests reported
    [view] = views(plan_of(spec), errors, requests)
    assert [v for _, v in view.points] == [0.0, 10.0, None, None, 0.0]  # 0 of 0 (M[2]) and 2 of nothing (M[3]) are no rate
    assert view.latest == 0.0 and view.gap == "no requests"


def test_a_ratio_without_zero_filling_leaves_a_missing_numerator_a_gap():
    spec = line(metric="X", statistic="Sum", per="RequestCount")
    [view] = views(plan_of(spec), points((M[1], 1.0)), points((M[0], 100.0), (M[1], 4.0)))
    assert [v for _, v in view.points] == [None, 25.0, None, None, None]


def test_a_pool_share_is_the_connections_over_connection_limit_times_running_tasks():
    spec = line(namespace="AWS/RDS", metric="DatabaseConnections", statistic="Maximum", dimensions=(("DBInstanceIdentifier", "{db}"),),
                pool_of="avnz-api", unit="%", threshold=80.0)
    [view] = views(plan_of(spec), points((M[2], 15.0), (M[3], 17.0)), read_at=M[4] + 120)
    assert [v for _, v in view.points] == [None, None, 75.0, 85.0]  # 10 connections a task x 2 tasks
    assert view.breach and view.latest == 85.0


@pytest.mark.parametrize(
    "fields, running, why",
    [
        (dict(database_url=""), RUNNING, "no database URL (set database_url in the runbook)"),
        (dict(database_url="postgresql://u:p@db/avnz"), RUNNING, "DATABASE_URL has no connection_limit"),
        (dict(database_url="postgresql://u:p@db/avnz?connection_limit=ten"), RUNNING, "DATABASE_URL's connection_limit='ten' is not a whole number"),
        (dict(database_url="postgresql://u:p@db/avnz?connection_limit=0"), RUNNING, "is not a whole number above 0"),
        (dict(database_url="postgresql://u:p#ss@db/avnz?connection_limit=10"), RUNNING, "DATABASE_URL does not parse"),
        ({}, None, "ECS not read yet"),
        ({}, {"avnz-admin-dashboard": 1}, "ECS did not describe avnz-api"),
        ({}, {"avnz-api": 0}, "avnz-api has no running task"),
        (dict(ecs_cluster=""), RUNNING, "avnz-api is not an ECS service of staging"),
    ],
)
def test_a_pool_share_that_cannot_be_known_says_why(fields, running, why):
    capacity, problem = pool_capacity(env(**fields), "avnz-api", running)
    assert capacity is None and problem.startswith("pool capacity unknown: ") and why in problem
    assert "secret" not in problem and "p#ss" not in problem  # never the URL's password
    spec = line(namespace="AWS/RDS", metric="DatabaseConnections", statistic="Maximum", pool_of="avnz-api", unit="%")
    [view] = views(plan_of(spec), points((M[2], 15.0)), environment=env(**fields), running=running)
    assert view.problem == problem and view.points == () and view.latest is None


def test_a_query_cloudwatch_answered_in_part_is_drawn_with_a_note():
    spec = line(metric="HTTPCode_Target_5XX_Count", statistic="Sum", per="RequestCount")
    partial = Datapoints(((M[0], 1.0),), "PartialData", "Some data points were not returned")
    [view] = views(plan_of(spec), partial, points((M[0], 10.0)))
    assert [v for _, v in view.points][:1] == [10.0]
    assert view.note == "CloudWatch: PartialData: Some data points were not returned" and view.problem == ""


def test_a_query_cloudwatch_could_not_answer_is_a_problem_not_an_empty_chart():
    forbidden = Datapoints((), "Forbidden", "not authorized to read AWS/RDS")
    [view] = views(plan_of(line()), forbidden)
    assert view.problem == "CloudWatch: Forbidden: not authorized to read AWS/RDS" and view.points == ()
