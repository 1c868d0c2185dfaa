"""Each failure kind, at the war-room and desk sizes: the verdict line names it, the pane shows it
first and whole, and nothing on screen says "all up"."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from cockpit.ui.widgets.alarms_pane import AlarmsPane
from cockpit.ui.widgets.health_table import HealthTable
from cockpit.ui.widgets.latency_pane import LatencyPane
from cockpit.ui.widgets.services_pane import FlagsPane, ServicesPane
from tests.conftest import make_app, verdict_line
from tests.ui.live_data import NOW
from tests.ui.screen_truth import feed_world

SIZES = [(120, 40), (160, 48), (200, 50)]


def shown_lines(pane, selector: str) -> list[str]:
    """The lines of a pane's body that are inside its visible rows."""
    text = str(pane.query_one(selector, Static).render())
    return text.splitlines()[: pane.scrollable_content_region.height]


def app_for(state_file):
    return make_app(state_file, monotonic=lambda: NOW, fake=True)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_all_up_only_when_everything_answered_and_is_fine(state_file, size):
    app = app_for(state_file)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot)
        assert verdict_line(app).startswith("✓ all up")
        assert not app.screen.query_one("CockpitHeader").has_class("-alarm")


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_a_failed_rollout_is_named_and_every_pane_agrees(state_file, size):
    app = app_for(state_file)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot, failed_rollout=True)
        line = verdict_line(app)
        assert "ROLLOUT FAILED avnz-api:25" in line and "all up" not in line
        assert app.screen.query_one("CockpitHeader").has_class("-alarm")
        services = shown_lines(app.screen.query_one(ServicesPane), ".ecs-body")
        assert len(services) >= 2, services  # every service on screen
        assert services[0].startswith("FAILED") and "avnz-api:25 failed" in services[0] and ":24" in services[0]
        assert "2/2 running" not in services[0]  # the old figure on the new revision was the lie
        assert any(s.startswith("OK") and "avnz-admin-dashboard" in s for s in services)
        flags = "\n".join(shown_lines(app.screen.query_one(FlagsPane), ".ecs-body"))
        assert "avnz-api:24" in flags and "avnz-api:25" not in flags.split("·")[0]  # the flags of what serves


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_an_alarm_is_named_and_first_in_its_pane(state_file, size):
    app = app_for(state_file)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot, firing="avnz-db-pool-exhausted")  # the plan's last alarm
        assert "ALARM avnz-db-pool-exhausted" in verdict_line(app)
        alarms = shown_lines(app.screen.query_one(AlarmsPane), "#alarms-body")
        assert len(alarms) == 3, alarms  # one line each, every one on screen
        assert alarms[0].startswith("ALARM") and "avnz-db-pool-exhausted" in alarms[0]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_a_down_row_is_named_first_and_shows_no_current_latency(state_file, size):
    app = app_for(state_file)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot, redis_down=True)
        assert verdict_line(app).startswith("redis DOWN")
        table = app.screen.query_one(HealthTable)
        first = table.ordered_rows[0].key.value
        assert first == "redis" and [str(c) for c in table.get_row("redis")][1:5] == ["DOWN", "—", "—", "—"]
        problems = str(app.screen.query_one("#health-problems", Static).render())
        assert "redis: connection refused" in problems


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_stale_sources_are_said_stale_not_all_up(state_file, size):
    app = app_for(state_file)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot, stale=True)
        line = verdict_line(app)
        assert "redis stale" in line and "all up" not in line
        assert "stale" in str(app.screen.query_one(HealthTable).get_row("redis")[5])


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_latencies_cockpit_was_too_busy_to_time_are_said_unmeasured_not_all_up(state_file, size):
    # The loaded demo machine: every page load set aside for minutes, the rows 'healthy  —  —  —', the Latency pane
    # '— p99 — < 1000' and the verdict '✓ all up … nothing wrong'.
    app = app_for(state_file)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot, unmeasured=True)
        line = verdict_line(app)
        assert line.startswith("/vendors/companies latency unmeasured") and "all up" not in line
        table = app.screen.query_one(HealthTable)
        assert table.ordered_rows[0].key.value == "page:/vendors/companies"  # with the problems, first
        cells = [str(c) for c in table.get_row("page:/vendors/companies")]
        assert cells[1] == "unknown" and cells[5] == "50s", cells  # its last latency is 50 s old, not now
        problems = str(app.screen.query_one("#health-problems", Static).render())
        assert "/vendors/companies and 4 more: latency unmeasured for 50s: cockpit too busy to time it" in problems
        spark = app.screen.query_one(LatencyPane)._prompts["page:/vendors/companies"].plain
        assert "unmeasured: cockpit too busy" in spark and "< 1000" not in spark, spark


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_a_healthy_row_beside_a_window_p99_over_its_limit_says_the_p99_is_from_earlier(state_file, size):
    # After `! 3` and back: 'healthy' beside 'p99 1.2 s > 1000'; the p99 is the 5-minute window's, from samples over
    # the limit that stopped 81 s ago: the line says so, and the OVER judged on the last minute is gone.
    app = app_for(state_file)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot, recovered=True)
        assert verdict_line(app).startswith("✓ all up")
        cells = [str(c) for c in app.screen.query_one(HealthTable).get_row("page:/vendors/companies")]
        assert cells[1:6] == ["healthy", "20.0 ms", "20.0 ms", "1.2 s", "1s"], cells
        spark = app.screen.query_one(LatencyPane)._prompts["page:/vendors/companies"].plain
        assert "p99    1.2 s > 1000" in spark and spark.endswith(" 81s ago"), spark  # when a sample was last over it
        if size[0] >= 160:  # room for what the p99 is
            assert spark.endswith("p99    1.2 s > 1000 in 5m · last over 81s ago"), spark


@pytest.mark.parametrize("size", [(80, 24), (64, 20)], ids=["80x24", "64x20"])
async def test_every_problem_at_once_fits_the_line_or_is_counted(state_file, size):
    app = app_for(state_file)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot, failed_rollout=True, firing="avnz-redis-connection", redis_down=True)
        line = verdict_line(app)
        names = ["redis DOWN", "ALARM avnz-redis-connection", "ROLLOUT FAILED avnz-api:25"]
        shown = [n for n in names if n in line]
        assert line.startswith("redis DOWN") and len(line) <= size[0] - 2
        if len(shown) < len(names):  # what does not fit is counted, never cut
            assert line.endswith(f"+{len(names) - len(shown)} more"), line
        assert "…" not in line


async def test_a_new_unread_line_does_not_push_a_failed_service_out_of_sight(state_file):
    from cockpit.engine.events import ServicesFailed

    app = app_for(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await feed_world(pilot, failed_rollout=True, then=ServicesFailed("ecs: ExpiredTokenException: token expired", False, 30.0))
        lines = shown_lines(app.screen.query_one(ServicesPane), ".ecs-body")
        assert lines[0].startswith("UNREAD") and any(line.startswith("FAILED") for line in lines), lines
        assert not any("more" in line for line in lines)  # the pane grew to fit all three
        assert "ECS UNREAD" in verdict_line(app) and "ROLLOUT FAILED avnz-api:25" in verdict_line(app)


async def test_a_focused_side_pane_shows_every_reason(state_file):
    app = app_for(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await feed_world(pilot, firing="avnz-redis-connection")
        pane = app.screen.query_one(AlarmsPane)
        assert "Threshold Crossed" not in str(pane.query_one("#alarms-body", Static).render())  # one line each
        pane.focus()
        await pilot.pause()
        body = str(pane.query_one("#alarms-body", Static).render())
        assert body.splitlines()[0].startswith("ALARM") and "avnz-redis-connection: since 20:48 UTC" in body
        assert "were greater than the threshold (1.0)" in body.replace("\n", " ")
