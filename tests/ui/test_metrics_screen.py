"""The metrics screen (m): dashboard lines from the engine's MetricsRead, their gaps, breaches and problems,
a failed read, and the journal's deploys, rollbacks and alarms as markers on the chart's time axis."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from rich.console import Console
from textual.widgets import OptionList, Static
from textual_plotext import PlotextPlot

from cockpit.engine.events import EngineProblem, JournalRead, MetricsRead, VerdictChanged
from cockpit.journal import Event
from cockpit.journal.markers import epoch
from cockpit.monitor.metric_views import MetricView
from cockpit.monitor.rollout import ERROR
from cockpit.monitor.verdict import Problem, Verdict
from cockpit.ui.screens.help import HelpScreen, help_body
from cockpit.ui.screens.metrics import MetricsScreen
from cockpit.ui.widgets.keys_bar import KeysBar
from cockpit.ui.widgets.metric_chart import MetricChart
from cockpit.ui.widgets.metric_rows import GAP
from cockpit.ui.widgets.verdict_bar import VerdictBar
from tests.conftest import FIXED_NOW, make_app
from tests.ui.metrics_data import ALARM_AT, DEPLOY_AT, FAILED, LAST_MINUTE, READ_AT, journal_with_markers, minutes, read, views


async def opened(pilot, *events) -> MetricsScreen:
    """Replay `events`, press m, and wait for the screen to be drawn at its size."""
    if events:
        pilot.app.engine.replay(events)
    await pilot.press("m")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, MetricsScreen)
    screen.show()  # once laid out: the rows are fitted to the width
    await pilot.pause()
    return screen


def rows(screen: MetricsScreen) -> dict[str, object]:
    """Option id → its prompt (rich Text), as drawn."""
    options = screen.query_one(OptionList)
    return {options.get_option_at_index(i).id: options.get_option_at_index(i).prompt for i in range(options.option_count)}


def status(screen: MetricsScreen) -> str:
    return str(screen.query_one("#metrics-status", Static).render())


def styles_of(text, fragment: str) -> set[str]:
    """The styles applied over `fragment` in `text`."""
    start = text.plain.index(fragment)
    end = start + len(fragment)
    return {str(span.style) for span in text.spans if span.start <= start and span.end >= end}


async def highlight(pilot, screen: MetricsScreen, view_id: str) -> None:
    options = screen.query_one(OptionList)
    options.highlighted = options.get_option_index(view_id)
    await pilot.pause()


async def test_rows_show_each_line_with_its_latest_value_under_its_dashboard(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, read())
        drawn = rows(screen)
        assert list(drawn)[:3] == ["dashboard:api", "api-p50", "api-p99"]  # grouped, the dashboard first
        assert "p50 TargetResponseTime" in drawn["api-p50"].plain and "51.4 ms" in drawn["api-p50"].plain
        assert "34.6 conn" in drawn["redis-conn"].plain
        assert "10.3%  < 80  at 20:56" in drawn["redis-cpu"].plain  # the newest complete minute, the one the verdict judges
        assert status(screen) == "read 47 s ago · complete minutes up to 20:56 UTC"


async def test_a_gap_row_says_no_requests_and_draws_a_gap_not_a_zero(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, read())
        row = rows(screen)["errors-5xx"].plain
        assert "no requests since 20:54" in row
        assert row.split("  no requests")[0].endswith(GAP * 3)  # the three newest minutes: gaps, newest right
        assert "0.20%" not in row  # no figure reads as the current one
        p50 = rows(screen)["api-p50"].plain
        assert GAP * 3 in p50  # a gap inside the window too
        await highlight(pilot, screen, "api-p50")
        chart = screen.query_one(MetricChart).data
        assert chart is not None and len(chart.segments) == 2  # the gap splits the series: never joined, never 0
        plotted = [y for ys in screen.query_one(PlotextPlot).plt.monitor.y for y in ys]
        assert 0 not in plotted and None not in plotted


async def test_a_row_whose_newest_minutes_are_gaps_says_since_when_and_shows_no_figure(state_file):
    """No requests since 20:55: the newest complete minutes are drawn as gaps, the row says since when, and the 100% of
    the last minute with requests is not shown as a figure (nor OVER): with no requests the rate is unknown."""
    last = LAST_MINUTE - 120
    rate = MetricView("rate", "errors", "API 5xx rate", "%", 0.0, minutes([0.0] * 10 + [100.0, None, None]), "no requests",
                      100.0, last)
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, MetricsRead((rate,), READ_AT))
        row = rows(screen)["rate"].plain
        assert row.split("  no requests")[0].endswith(GAP * 2)
        assert "no requests since 20:55" in row and "100" not in row and "OVER" not in row


async def test_the_verdict_line_is_on_the_metrics_screen_and_follows_the_engine(state_file):
    """Nothing wrong is hidden while the operator reads the charts: the cockpit screen's verdict line (the same widget)
    is under the metrics screen's title, the rows all still on screen at 80x24, and it changes as the verdict does."""
    down = Verdict((Problem(ERROR, "redis DOWN", "health"), Problem(ERROR, "database DOWN", "health")))
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, read(), VerdictChanged(down))
        bar = screen.query_one(VerdictBar)
        assert str(bar.render()) == "redis DOWN · database DOWN"
        assert bar.region.y <= 2 and bar.region.bottom <= screen.query_one(OptionList).region.y
        options = screen.query_one(OptionList)
        assert options.max_scroll_y == 0 and options.region.bottom <= 24 - 1
        app.engine.replay([VerdictChanged(Verdict((Problem(ERROR, "METRIC API p99 720 ms > 500 ms at 20:56", "metrics"),)))])
        await pilot.pause()
        assert str(bar.render()) == "METRIC API p99 720 ms > 500 ms at 20:56"
        app.engine.replay([EngineProblem("the engine process ended", down=True)])
        await pilot.pause()
        assert str(bar.render()).startswith("ENGINE DOWN · METRIC API p99")


async def test_a_breach_is_said_and_styled(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, read())
        row = rows(screen)["api-p99"]
        assert "720 ms  OVER 500" in row.plain
        assert "bold red" in styles_of(row, "OVER 500") and "bold red" in styles_of(row, "720 ms")
        assert "OVER" not in rows(screen)["redis-cpu"].plain


async def test_a_problem_row_shows_its_problem_instead_of_figures_whole_at_80x24(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, read())
        pool = rows(screen)["db-pool"].plain
        assert "pool capacity unknown: DATABASE_URL has no" in pool and "connection_limit" in pool  # wrapped, not cut
        assert "not configured: set COCKPIT_DB_INSTANCE" in rows(screen)["db-conn"].plain
        options = screen.query_one(OptionList)  # every row on screen, none scrolled away: rows come before the chart
        assert options.max_scroll_y == 0 and options.region.bottom <= 24 - 1
        assert {v.id for v in views()} <= set(rows(screen))


async def test_a_failed_read_shows_its_reason_and_the_last_values_stay_aging(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, read())
        app.clock = lambda: FIXED_NOW + timedelta(minutes=5)
        app.engine.replay([FAILED])
        await pilot.pause()
        said = status(screen)
        assert "CloudWatch throttled the read: ThrottlingException: Rate exceeded" in said and "retry in 30 s" in said
        assert "last read 5 min ago: STALE" in said  # past stale_after_seconds (180 s): the rows' figures are old
        p99 = rows(screen)["api-p99"].plain
        assert "720 ms  OVER 500  at 20:56" in p99  # the last value, of its minute (the read's age is said above)
        app.engine.replay([read(at=FIXED_NOW.timestamp() + 290)])  # the next read clears the failure
        await pilot.pause()
        assert status(screen).startswith("read 10 s ago")


async def test_a_read_older_than_stale_after_is_said_stale(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, read(at=FIXED_NOW.timestamp() - 600))
        assert status(screen).startswith("read 10 min ago: STALE (older than 3 min)")


async def test_before_any_read_and_without_dashboards(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        assert status(screen) == "not connected: this cockpit reads no metrics"  # the bundled dashboards, no engine
        screen.dashboards = ()  # as a runbook that declares none
        screen.show()
        assert status(screen) == "no dashboards in this runbook"
        screen.dashboards = app.runbook.dashboards
        app.live = True
        screen.show()
        assert status(screen) == "waiting for the first read"


async def test_the_screen_updates_as_reads_arrive(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, read())
        newer = tuple(replace(v, points=(*v.points[:-1], (v.points[-1][0], 99.0)), latest=99.0) if v.id == "api-p50" else v
                      for v in views())
        app.engine.replay([MetricsRead(newer, read().read_at)])
        await pilot.pause()
        assert "99.0 ms" in rows(screen)["api-p50"].plain


async def test_a_journal_event_is_a_vertical_line_at_its_time_and_a_legend_line(state_file):
    journal_with_markers(state_file)
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, read())
        await highlight(pilot, screen, "api-p99")
        plot = screen.query_one(PlotextPlot)
        assert plot.plt.monitor.vcoord[0] == [epoch(DEPLOY_AT), epoch("2026-11-27T20:54:00Z"), epoch(ALARM_AT)]
        assert plot.plt.monitor.text == ["1", "2", "3"]
        legend = screen.query_one("#metric-legend", Static).render()
        lines = str(legend).splitlines()
        assert lines[0] == "1 20:51 deploy started: avnz-api (b-deploy-staging) by operator@bastion"
        assert lines[2] == "3 20:56 avnz-api-5xx-errors OK -> ALARM"
        assert any("red" in style for style in styles_of(legend, "avnz-api-5xx-errors OK -> ALARM"))  # bad: the error style
        assert not any("red" in style for style in styles_of(legend, "avnz-api:25 live"))


async def test_markers_arrive_live_from_the_journal(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, read())
        await highlight(pilot, screen, "api-p99")
        assert screen.query_one(MetricChart).data.markers == ()
        rollback = Event(900, 1, "2026-11-27T20:57:00Z", "bob", "avnz", "1", "staging", "rollback:avnz-api", "rollback",
                         {"phase": "started", "service": "avnz-api", "to": "arn:aws:ecs:r:1:task-definition/avnz-api:24"})
        app.engine.replay([JournalRead((rollback,))])
        await pilot.pause()
        plot = screen.query_one(PlotextPlot)
        assert plot.plt.monitor.vcoord[0] == [epoch("2026-11-27T20:57:00Z")]
        assert str(screen.query_one("#metric-legend", Static).render()) == "1 20:57 rollback started: avnz-api to avnz-api:24 by bob"


async def test_m_opens_it_in_read_only_and_esc_m_q_close_it(state_file):
    journal_with_markers(state_file)
    app = make_app(state_file, fake=True, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Metrics" in [key.description for key in app.screen.query_one(KeysBar).keys]
        for key in ("escape", "m", "q"):
            await opened(pilot, read())
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is app.cockpit
        assert app.is_running  # q closed the screen, it did not quit


async def test_help_lists_the_key(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=200, record=True)
        console.print(help_body(app.runbook, app.journal_path, app.read_only))
        assert re.search(r"^m +metrics: the runbook's dashboards from CloudWatch", console.export_text(), re.MULTILINE)
