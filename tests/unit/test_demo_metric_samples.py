"""The demo's metrics follow what its trouble keys broke, in the shape CloudWatch takes them."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime

from cockpit.demo.metric_samples import MAX_VALUES, Conditions, Estate, datums, pieces, response_time, value_counts

ESTATE = Estate("app/avnz-demo-alb/50dc6c495c0c9188", "targetgroup/avnz-api/73e2d6bc24d8a067", "avnz-redis", "avnz-db")
MINUTE = 1_800_000_000.0  # a minute's start (epoch seconds)


def hour(conditions: Conditions, seed: int = 3) -> dict[str, list[dict]]:
    """An hour of datums, by metric name."""
    rng = random.Random(seed)
    found: dict[str, list[dict]] = defaultdict(list)
    for minute in range(60):
        for namespace, datum in datums(conditions, ESTATE, MINUTE + minute * 60, 60, rng):
            found[datum["MetricName"]].append({**datum, "namespace": namespace})
    return found


def samples(datum: dict) -> list[float]:
    return [value for value, count in zip(datum["Values"], datum["Counts"]) for _ in range(int(count))]


BALANCER = [{"Name": "LoadBalancer", "Value": ESTATE.load_balancer}, {"Name": "TargetGroup", "Value": ESTATE.target_group}]


def of_target_group(items: list[dict]) -> list[dict]:
    return [d for d in items if d["Dimensions"] == BALANCER]


def test_a_calm_hour_has_every_series_with_its_dimensions_and_one_response_time_per_request():
    found = hour(Conditions())
    assert {name: len(items) for name, items in found.items()} == {  # no 5xx: none reported (ELB reports only non-zero)
        "RequestCount": 120, "TargetResponseTime": 60, "CurrConnections": 60, "EngineCPUUtilization": 60, "DatabaseConnections": 60}
    requests = {d["Timestamp"]: d["Value"] for d in of_target_group(found["RequestCount"])}
    wide = {d["Timestamp"]: d["Value"] for d in found["RequestCount"] if d["Dimensions"] == BALANCER[:1]}
    assert wide == requests  # the load balancer's own count (no TargetGroup), the ELB 5xx rate's denominator
    times = {d["Timestamp"]: samples(d) for d in found["TargetResponseTime"]}
    assert all(len(times[stamp]) == count for stamp, count in requests.items())  # raw samples, one per request
    assert 80 < sum(requests.values()) / 60 < 160
    everything = sorted(t for ts in times.values() for t in ts)
    assert 0.03 < everything[len(everything) // 2] < 0.07 and everything[int(len(everything) * 0.99)] < 0.5  # p50, p99
    assert all(d["Dimensions"] == BALANCER and d["namespace"] == "AWS/ApplicationELB" for d in found["TargetResponseTime"])
    assert found["CurrConnections"][0]["Dimensions"] == [{"Name": "CacheClusterId", "Value": "avnz-redis"}]
    assert found["DatabaseConnections"][0]["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": "avnz-db"}]
    assert {d["Unit"] for d in found["TargetResponseTime"]} == {"Seconds"} and found["EngineCPUUtilization"][0]["Unit"] == "Percent"
    assert all(0.3 * 20 <= d["Value"] <= 0.4 * 20 for d in found["DatabaseConnections"])  # 10 a task x 2 tasks


def test_each_datum_is_stamped_inside_its_minute():
    found = hour(Conditions())
    stamps = sorted({d["Timestamp"] for items in found.values() for d in items})
    assert stamps == [datetime.fromtimestamp(MINUTE + m * 60, UTC) for m in range(60)]
    assert list(pieces(MINUTE + 50, MINUTE + 130)) == [(MINUTE + 50, 10), (MINUTE + 60, 60), (MINUTE + 120, 10)]
    assert list(pieces(MINUTE, MINUTE)) == []


def test_no_traffic_has_no_requests_no_response_times_and_no_5xx_but_the_rest_reports():
    found = hour(Conditions(traffic=False))
    assert set(found) == {"CurrConnections", "EngineCPUUtilization", "DatabaseConnections"}
    assert all(d["Value"] < 2.0 for d in found["EngineCPUUtilization"])  # idle
    assert all(d["Value"] <= 0.15 * 20 for d in found["DatabaseConnections"])


def test_slow_and_failing_api_move_response_times_and_5xx():
    slow = [t for d in hour(Conditions(api_mode="slow"))["TargetResponseTime"] for t in samples(d)]
    assert min(slow) >= 1.2
    failing = hour(Conditions(api_mode="failing"))
    assert [d["Value"] for d in failing["HTTPCode_Target_5XX_Count"]] == [d["Value"] for d in of_target_group(failing["RequestCount"])]
    assert max(t for d in failing["TargetResponseTime"] for t in samples(d)) < 0.1  # a 500 answers fast


def test_the_5xx_alarm_comes_with_the_errors_it_speaks_of():
    counts = [d["Value"] for d in hour(Conditions(errors_alarm=True))["HTTPCode_Target_5XX_Count"]]
    assert len(counts) == 60 and 25 < sum(counts) / 60 < 50  # ~37 a minute


def test_redis_down_reports_no_connections_and_no_cpu():
    found = hour(Conditions(redis_up=False))
    assert {d["Value"] for d in found["CurrConnections"]} == {0.0}
    assert "EngineCPUUtilization" not in found


def test_a_stopped_database_reports_no_connections():
    assert "DatabaseConnections" not in hour(Conditions(database_up=False))


def test_a_pressed_pool_nears_its_capacity_without_passing_it():
    for tasks in (1, 2, 4):
        conditions = Conditions(pool_pressed=True, tasks=tasks, connection_limit=10)
        values = [d["Value"] for d in hour(conditions)["DatabaseConnections"]]
        assert all(0.85 * conditions.pool_capacity <= v <= conditions.pool_capacity for v in values), (tasks, values)
    calm = [d["Value"] for d in hour(Conditions(tasks=3, api_mode="slow"))["DatabaseConnections"]]
    assert all(v < 0.7 * 30 for v in calm)


def test_values_and_counts_stay_within_cloudwatchs_limit_per_datum():
    rng = random.Random(5)
    values = [response_time("normal", rng) for _ in range(5000)] + [rng.uniform(0, 30) for _ in range(2000)]
    chunks = value_counts(values)
    assert len(chunks) > 1 and all(len(v) == len(c) <= MAX_VALUES for v, c in chunks)
    flat = [v for chunk, _ in chunks for v in chunk]
    assert flat == sorted(set(flat)) and all(v == round(v, 3) and v >= 0.001 for v in flat)
    assert sum(sum(c) for _, c in chunks) == len(values)
