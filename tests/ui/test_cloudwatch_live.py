"""The whole cockpit against a moto server: both log queries stream, alarms show, throttling is survived."""

from __future__ import annotations

from dataclasses import replace

import boto3

from cockpit.stack.aws_seed import now_ms, seed_alarm, seed_logs
from cockpit.ui.widgets.alarms_pane import AlarmsPane
from cockpit.ui.widgets.header import CockpitHeader
from cockpit.ui.widgets.logs_pane import LogsPane
from tests.conftest import make_app
from tests.ui.test_live import wait_for

GROUP = "/ecs/avnz-api"


def fast(runbook):
    cw = replace(runbook.cloudwatch, logs_interval_seconds=0.3, alarms_interval_seconds=0.3, max_backoff_seconds=1.0)
    return replace(runbook, cloudwatch=cw)


def lines(app, query_id: str) -> list[str]:
    return list(app.screen.query_one(LogsPane).tabs[query_id].view.lines)


async def test_both_queries_stream_and_alarms_show(state_file, runbook, aws):
    logs, cw = boto3.client("logs"), boto3.client("cloudwatch")
    t = now_ms()
    seed_logs(logs, GROUP, {"ecs/avnz-api/task1": [(t - 120_000, "Redis ECONNRESET"), (t - 60_000, "momentum churn failed"), (t - 30_000, "GET /health 200")]})
    seed_alarm(cw, "avnz-redis-connection", "ALARM", "Threshold Crossed")
    seed_alarm(cw, "avnz-api-5xx-errors", "OK")
    app = make_app(state_file, runbook=fast(runbook), live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: any("Redis ECONNRESET" in x for x in lines(app, "redis")), what="the redis tab")
        await wait_for(pilot, lambda: any("momentum churn failed" in x for x in lines(app, "momentum")), what="the momentum tab")
        assert not any("GET /health" in x for x in lines(app, "redis") + lines(app, "momentum"))
        seed_logs(logs, GROUP, {"ecs/avnz-api/task2": [(now_ms(), "Redis from a task started just now")]})
        await wait_for(pilot, lambda: any("task started just now" in x for x in lines(app, "redis")), what="a new stream's event")
        assert sum("Redis ECONNRESET" in x for x in lines(app, "redis")) == 1
        header = app.screen.query_one(CockpitHeader)
        await wait_for(pilot, lambda: header.has_class("-alarm"), what="the header to turn red")
        body = str(app.screen.query_one(AlarmsPane).body(app.monotonic(), app.clock()))
        assert "avnz-redis-connection" in body and "NOT FOUND avnz-db-pool-exhausted" in body


async def test_throttling_is_shown_in_the_tab_and_streaming_resumes(state_file, runbook, aws_faults):
    logs = boto3.client("logs")
    seed_logs(logs, GROUP, {"ecs/avnz-api/task1": [(now_ms(), "Redis before the storm")]})
    aws_faults.fail("FilterLogEvents", "ThrottlingException", "Rate exceeded", times=None)
    app = make_app(state_file, runbook=fast(runbook), live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.screen.query_one(LogsPane)

        def status() -> str:
            pane.show_status(app.monotonic())
            return str(pane.tabs["redis"].query_one(".log-status").render())

        await wait_for(pilot, lambda: "throttled, retrying in" in status(), what="the throttled status")
        assert "ThrottlingException" in status()
        aws_faults.clear()
        await wait_for(pilot, lambda: any("before the storm" in x for x in lines(app, "redis")), what="events after the storm")
        await wait_for(pilot, lambda: "● live" in status())
        assert app.is_running


async def test_the_aws_endpoint_down_and_back_without_restarting(state_file, runbook, aws_faults):
    logs, cw = boto3.client("logs"), boto3.client("cloudwatch")
    seed_logs(logs, GROUP, {"ecs/avnz-api/task1": [(now_ms(), "Redis before the outage")]})
    seed_alarm(cw, "avnz-api-5xx-errors", "OK")
    app = make_app(state_file, runbook=fast(runbook), live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        pane, alarms = app.screen.query_one(LogsPane), app.screen.query_one(AlarmsPane)

        def status() -> str:
            pane.show_status(app.monotonic())
            return str(pane.tabs["redis"].query_one(".log-status").render())

        def alarms_text() -> str:
            return str(alarms.body(app.monotonic(), app.clock()))

        await wait_for(pilot, lambda: any("before the outage" in x for x in lines(app, "redis")), what="the redis tab")
        await wait_for(pilot, lambda: "OK" in alarms_text() and "avnz-api-5xx-errors" in alarms_text(), what="the alarms read")
        aws_faults.stop()  # CloudWatch unreachable: refused
        await wait_for(pilot, lambda: "failing, retrying in" in status(), what="the tab failing")
        await wait_for(pilot, lambda: "cannot read" in alarms_text().lower() or "unread" in alarms_text().lower(), what="alarms unreadable")
        aws_faults.start()  # back on the same port
        seed_logs(logs, GROUP, {"ecs/avnz-api/task2": [(now_ms(), "Redis after the outage")]})
        await wait_for(pilot, lambda: any("after the outage" in x for x in lines(app, "redis")), what="events after the outage")
        await wait_for(pilot, lambda: "● live" in status(), what="the tab live again")
        await wait_for(pilot, lambda: "cannot read" not in alarms_text().lower() and "unread" not in alarms_text().lower(),
                       what="alarms read again")
        assert sum("before the outage" in x for x in lines(app, "redis")) == 1  # nothing shown twice across the outage
