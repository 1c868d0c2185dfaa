"""Reading the runbook's alarms from a real moto server (and through the fault proxy)."""

from __future__ import annotations

import threading
import time

import boto3
import pytest

from cockpit.monitor.alarm_watch import AlarmsFailed, AlarmsRead, AlarmWatch
from cockpit.probes.aws.alarms import NOT_FOUND, read_alarms
from cockpit.probes.aws.clients import AwsTarget, LazyClient, make_client
from cockpit.probes.aws.errors import THROTTLED, AwsProblem
from cockpit.runbook.model import CloudWatchSettings
from cockpit.stack.aws_seed import seed_alarm

NAMES = ("avnz-api-5xx-errors", "avnz-redis-connection", "avnz-db-pool-exhausted")


def test_each_alarm_with_state_since_and_reason_and_missing_ones_named(aws):
    cw = boto3.client("cloudwatch")
    seed_alarm(cw, "avnz-api-5xx-errors", "ALARM", "Threshold Crossed: 1 datapoint [7.0] \x1b[31mwas greater")
    seed_alarm(cw, "avnz-redis-connection", "OK")
    seed_alarm(cw, "unrelated-alarm", "ALARM")
    states = read_alarms(make_client("cloudwatch", AwsTarget()), NAMES)
    assert [(a.name, a.state) for a in states] == [("avnz-api-5xx-errors", "ALARM"), ("avnz-redis-connection", "OK"), ("avnz-db-pool-exhausted", NOT_FOUND)]
    firing = states[0]
    assert firing.firing and firing.since is not None and firing.since.tzinfo is not None
    assert "\x1b" not in firing.reason and "1 datapoint [7.0]" in firing.reason


def test_throttling_is_a_typed_problem(aws_faults):
    aws_faults.fail("DescribeAlarms", "Throttling", "Rate exceeded", times=1)
    with pytest.raises(AwsProblem) as info:
        read_alarms(make_client("cloudwatch", AwsTarget()), NAMES)
    assert info.value.kind == THROTTLED and "Rate exceeded" in info.value.reason


def test_the_watcher_reports_changes_and_survives_failures(aws_faults):
    cw = boto3.client("cloudwatch")
    seed_alarm(cw, "avnz-api-5xx-errors", "OK")
    reports: list[object] = []
    got = threading.Event()

    def report(item: object) -> None:
        reports.append(item)
        got.set()

    aws_faults.fail("DescribeAlarms", "Throttling", "Rate exceeded", times=1)
    settings = CloudWatchSettings(alarms_interval_seconds=0.1, max_backoff_seconds=0.3)
    watch = AlarmWatch(NAMES, LazyClient("cloudwatch", AwsTarget()), settings, report)
    watch.start()
    try:
        deadline = time.monotonic() + 10
        while not any(isinstance(r, AlarmsRead) for r in reports):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert isinstance(reports[0], AlarmsFailed) and reports[0].throttled and reports[0].retry_in > 0
        seed_alarm(cw, "avnz-api-5xx-errors", "ALARM", "5xx over 1")
        while not any(isinstance(r, AlarmsRead) and r.alarms[0].state == "ALARM" for r in reports):
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        watch.stop()
