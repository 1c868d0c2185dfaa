"""Reading the runbook's alarms from a real moto server (and through the fault proxy)."""

from __future__ import annotations

import asyncio

import boto3
import pytest

from cockpit.engine.aws_reads import Reads, alarms_reader
from cockpit.engine.events import AlarmsFailed, AlarmsRead
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


# -- the engine's Reads: one read per once() in an executor thread, or run() as a task ----------
SETTINGS = CloudWatchSettings(alarms_interval_seconds=0.1, max_backoff_seconds=0.3)


def in_a_thread(fn, *args):
    """The Reads' `blocking`: `fn(*args)` in the loop's default executor (as the engine does in its own)."""
    return asyncio.get_running_loop().run_in_executor(None, fn, *args)


def alarm_reads(reports: list[object], settings: CloudWatchSettings = SETTINGS) -> Reads:
    """Reads of NAMES as the engine makes them, reporting into `reports`; jitter at the top of its range."""
    read = alarms_reader(NAMES, LazyClient("cloudwatch", AwsTarget()))
    reads = Reads("alarms", settings.alarms_interval_seconds, settings.max_backoff_seconds, read, AlarmsFailed, reports.append, in_a_thread)
    reads.every.rand = lambda: 1.0
    return reads


async def test_a_read_reports_every_alarm_then_waits_the_interval(aws):
    seed_alarm(boto3.client("cloudwatch"), "avnz-api-5xx-errors", "ALARM", "5xx over 1")
    reports: list[object] = []
    assert await alarm_reads(reports).once() == SETTINGS.alarms_interval_seconds
    [read] = reports
    assert isinstance(read, AlarmsRead)
    assert [(a.name, a.state, a.reason) for a in read.alarms] == [
        ("avnz-api-5xx-errors", "ALARM", "5xx over 1"), ("avnz-redis-connection", NOT_FOUND, ""), ("avnz-db-pool-exhausted", NOT_FOUND, "")]


async def test_throttling_is_reported_backs_off_and_recovers(aws_faults):
    cw = boto3.client("cloudwatch")
    seed_alarm(cw, "avnz-api-5xx-errors", "OK")
    aws_faults.fail("DescribeAlarms", "Throttling", "Rate exceeded", times=3)
    reports: list[object] = []
    reads = alarm_reads(reports)
    delays = [await reads.once() for _ in range(3)]
    assert delays == pytest.approx([0.2, 0.3, 0.3])  # interval 0.1 s doubling, capped at max_backoff 0.3 s
    assert all(isinstance(r, AlarmsFailed) and r.throttled and "Rate exceeded" in r.reason for r in reports)
    assert [r.retry_in for r in reports] == delays
    seed_alarm(cw, "avnz-api-5xx-errors", "ALARM", "5xx over 1")
    assert await reads.once() == SETTINGS.alarms_interval_seconds
    assert isinstance(reports[-1], AlarmsRead) and reports[-1].alarms[0].state == "ALARM"
    assert aws_faults.requests("DescribeAlarms") == 4  # one request a read: no retries hidden in boto3


async def test_a_problem_someone_has_to_fix_waits_the_longest_backoff_at_once(aws_faults):
    aws_faults.fail("DescribeAlarms", "AccessDenied", "User is not authorized to perform: cloudwatch:DescribeAlarms", times=1)
    reports: list[object] = []
    reads = alarm_reads(reports)
    assert await reads.once() == SETTINGS.max_backoff_seconds
    [failed] = reports
    assert isinstance(failed, AlarmsFailed) and not failed.throttled and failed.retry_in == SETTINGS.max_backoff_seconds
    assert "AccessDenied" in failed.reason and "not authorized" in failed.reason and "\n" not in failed.reason
    assert await reads.once() == SETTINGS.alarms_interval_seconds and isinstance(reports[-1], AlarmsRead)


async def test_no_region_is_reported_not_raised(aws, monkeypatch, tmp_path):
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    reports: list[object] = []
    assert await alarm_reads(reports).once() == SETTINGS.max_backoff_seconds
    [failed] = reports
    assert isinstance(failed, AlarmsFailed) and "no AWS region: set AWS_REGION" in failed.reason


async def test_the_run_loop_reports_changes_and_survives_failures(aws_faults):
    cw = boto3.client("cloudwatch")
    seed_alarm(cw, "avnz-api-5xx-errors", "OK")
    reports: list[object] = []
    changed = asyncio.Event()

    def report(item: object) -> None:  # Reads reports in the loop
        reports.append(item)
        changed.set()

    async def reported(match) -> object:
        async with asyncio.timeout(10):  # only against a hang
            while (found := next((r for r in reports if match(r)), None)) is None:
                changed.clear()
                await changed.wait()
            return found

    aws_faults.fail("DescribeAlarms", "Throttling", "Rate exceeded", times=1)
    read = alarms_reader(NAMES, LazyClient("cloudwatch", AwsTarget()))
    reads = Reads("alarms", SETTINGS.alarms_interval_seconds, SETTINGS.max_backoff_seconds, read, AlarmsFailed, report, in_a_thread)
    task = asyncio.create_task(reads.run())
    try:
        await reported(lambda r: isinstance(r, AlarmsRead))
        assert isinstance(reports[0], AlarmsFailed) and reports[0].throttled and reports[0].retry_in > 0
        seed_alarm(cw, "avnz-api-5xx-errors", "ALARM", "5xx over 1")
        await reported(lambda r: isinstance(r, AlarmsRead) and r.alarms[0].state == "ALARM")
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
