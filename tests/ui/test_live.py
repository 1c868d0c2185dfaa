"""The live panes against real servers: independent pollers, faults shown and recovered."""

from __future__ import annotations

import time
from dataclasses import replace

from cockpit.ui.widgets.health_table import HealthTable
from cockpit.ui.widgets.latency_pane import LatencyPane
from tests.conftest import FAST_PROBES, live_setup, make_app, verdict_line


def cell(app, key: str, column: str) -> str:
    """A cell as shown; for "why", the row's whole reason (the column cuts it, with an ellipsis, to its width)."""
    if column == "why":
        view = row(app, key)
        if view is None:
            return ""
        return view.why if view.why or view.status != "healthy" else view.detail
    from textual.widgets._data_table import CellDoesNotExist

    try:
        return app.cockpit.query_one(HealthTable).get_cell(key, column).plain
    except CellDoesNotExist:  # not drawn yet: the engine has not sent its first snapshot
        return ""


async def wait_for(pilot, predicate, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what or predicate}"
        await pilot.pause(0.05)


def row(app, key: str):
    """Row `key` of the latest health snapshot the engine sent."""
    health = app.cockpit.health
    return next(v for v in health.views if v.key == key) if health else None


def samples(app, key: str) -> int:
    """How many latency samples row `key` has (its window)."""
    view = row(app, key)
    return view.samples if view else 0


def process_app(state_file, runbook):
    """A live cockpit whose engine runs in a process of its own, as `cockpit` runs it."""
    from cockpit.engine.process import EngineProcess, EngineSpec
    from cockpit.ui.app import CockpitApp
    from tests.conftest import WHO

    env = runbook.environments["staging"]
    engine = EngineProcess(EngineSpec(runbook, env, str(state_file), WHO, environ={}))
    return CockpitApp(runbook, env, engine, journal_path=str(state_file))


async def test_every_row_is_shown_and_unconfigured_ones_name_the_variable(state_file, runbook, redis_server, fake_api):
    rb, _ = live_setup(runbook, redis_url=redis_server.url, database_url="", api_url=fake_api.url, app_url=fake_api.url)
    app = make_app(state_file, runbook=rb, live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: cell(app, "page:/momentum/triggers", "status") == "healthy", what="pages healthy")
        await wait_for(pilot, lambda: cell(app, "redis", "status") == "healthy" and cell(app, "api.redis", "status") == "healthy")
        # A latency measured while the engine itself was busy starting is not kept: '—' until a clean one.
        await wait_for(pilot, lambda: cell(app, "redis", "last").endswith(" ms"), what="a redis latency")
        table = app.screen.query_one(HealthTable)
        keys = [row.key.value for row in table.ordered_rows]
        assert keys == [  # problems first (the unconfigured database), the rest in their own order
            "database", "redis", "api", "api.redis", "api.database",
            "page:/vendors/companies", "page:/vendors/products", "page:/momentum/churn",
            "page:/momentum/save-flows", "page:/momentum/triggers",
        ]
        assert cell(app, "database", "status") == "not configured"
        assert cell(app, "database", "why") == "set DATABASE_URL"
        assert cell(app, "redis", "last").endswith(" ms") and cell(app, "redis", "p99").endswith(" ms")
        assert "master" in cell(app, "redis", "why")  # INFO essentials
        assert cell(app, "api", "why") == "HTTP 200"


async def test_a_hanging_api_does_not_hold_up_redis(state_file, runbook, redis_server, fake_api):
    fake_api.health_mode = "hang"  # for 30 s
    slow_api = replace(FAST_PROBES, read_timeout_seconds=30.0)
    rb, _ = live_setup(runbook, probes=slow_api, redis_url=redis_server.url, api_url=fake_api.url, app_url=fake_api.url)
    app = make_app(state_file, runbook=rb, live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: fake_api.hits.get("/health", 0) >= 1, what="the API request")
        start = samples(app, "redis")
        await wait_for(pilot, lambda: samples(app, "redis") >= start + 8, what="redis polls while the API hangs")
        assert samples(app, "api") == 0  # its one poll is still waiting
        await wait_for(pilot, lambda: cell(app, "redis", "status") == "healthy")
        assert cell(app, "api", "status") == "unknown" and cell(app, "api", "why") == "not polled yet"
        series = dict(app.cockpit.health.series)
        assert len(series["redis"]) >= 8 and not series["api"]
        fake_api.stop()  # end the hang so the test leaves quickly


async def test_redis_down_and_back_without_restarting(state_file, runbook, redis_fault):
    rb, _ = live_setup(runbook, redis_url=redis_fault.url, api_url="", app_url="")
    app = make_app(state_file, runbook=rb, live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: cell(app, "redis", "status") == "healthy")
        redis_fault.stop()
        # Down: waited for, not timed (a poll under way at the stop may still answer healthy on a loaded machine; how
        # fast a stop is seen is bench/down_detection.py's to measure).
        await wait_for(pilot, lambda: row(app, "redis").status == "down", what="redis seen down")
        await wait_for(pilot, lambda: cell(app, "redis", "status") == "DOWN")
        why = cell(app, "redis", "why")
        assert why.startswith(("connection lost", "connection refused")) and "retrying in" in why
        assert "redis DOWN" in verdict_line(app)
        redis_fault.restart()
        await wait_for(pilot, lambda: cell(app, "redis", "status") == "healthy", what="redis healthy again")
        assert "retrying" not in cell(app, "redis", "why")


async def test_postgres_down_and_back_without_restarting(state_file, runbook, postgres_fault):
    rb, _ = live_setup(runbook, database_url=postgres_fault.prisma_url, api_url="", app_url="")
    app = make_app(state_file, runbook=rb, live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: cell(app, "database", "status") == "healthy")
        assert "PostgreSQL 15." in cell(app, "database", "why") and "/30 connections" in cell(app, "database", "why")
        postgres_fault.stop()
        await wait_for(pilot, lambda: row(app, "database").status == "down", what="the database seen down")  # not timed: see redis
        await wait_for(pilot, lambda: cell(app, "database", "status") == "DOWN")
        assert postgres_fault.password not in cell(app, "database", "why")
        postgres_fault.restart()
        await wait_for(pilot, lambda: cell(app, "database", "status") == "healthy", what="database healthy again")


async def test_api_down_and_back_without_restarting(state_file, runbook, fake_api):
    rb, _ = live_setup(runbook, api_url=fake_api.url, app_url="")
    app = make_app(state_file, runbook=rb, live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: cell(app, "api", "status") == "healthy")
        fake_api.stop()
        await wait_for(pilot, lambda: cell(app, "api", "status") == "DOWN", what="api DOWN")
        assert "api DOWN" in verdict_line(app)
        fake_api.start()  # the same port
        await wait_for(pilot, lambda: cell(app, "api", "status") == "healthy", what="api healthy again")
        await wait_for(pilot, lambda: "api DOWN" not in verdict_line(app), what="the verdict without api DOWN")


async def test_a_slow_page_breaches_its_threshold_everywhere(state_file, runbook, fake_api):
    fake_api.pages["/momentum/churn"] = "slow"
    fake_api.slow_seconds = 1.1  # TTFB over the plan's 1 s
    probes = replace(FAST_PROBES, read_timeout_seconds=3.0)
    rb, _ = live_setup(runbook, probes=probes, api_url=fake_api.url, app_url=fake_api.url)
    app = make_app(state_file, runbook=rb, live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: cell(app, "page:/momentum/churn", "status") == "OVER", what="the breach")
        assert cell(app, "page:/vendors/companies", "status") == "healthy"  # the fast pages are fine
        assert "/momentum/churn OVER 1000 ms" in verdict_line(app)
        sparks = app.screen.query_one(LatencyPane).query_one("#spark-list")
        line = sparks.get_option("page:/momentum/churn").prompt
        assert "OVER 1000" in line.plain
        assert any("red" in str(span.style) for span in line.spans)
        fake_api.stop()


async def test_hostile_health_text_stays_data(state_file, runbook, fake_api):
    fake_api.health_mode = "hostile"  # escapes, a set-title sequence and markup in names and errors
    rb, _ = live_setup(runbook, api_url=fake_api.url, app_url="")
    app = make_app(state_file, runbook=rb, live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: cell(app, "api.redis", "status") == "DOWN", what="the hostile component")
        assert cell(app, "api.redis", "why") == "[/] [bold]boom red"
        problems = str(app.screen.query_one("#health-problems").render())
        header = verdict_line(app)
        assert "\x1b" not in problems + header and "api › redis: [/] [bold]boom red" in problems
        rows = [row.key.value for row in app.screen.query_one(HealthTable).ordered_rows]
        assert len([k for k in rows if k.startswith("api.")]) == 50  # components are capped


async def test_a_503_that_lists_components_shows_which_failed(state_file, runbook, fake_api):
    fake_api.health_mode = "error503"
    rb, _ = live_setup(runbook, api_url=fake_api.url, app_url="")
    app = make_app(state_file, runbook=rb, live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: cell(app, "api.database", "status") == "DOWN", what="the component rows")
        assert cell(app, "api", "status") == "DOWN" and cell(app, "api", "why") == "HTTP 503 from /health"
        assert cell(app, "api.redis", "status") == "healthy" and cell(app, "api.database", "why") == "pool exhausted"


async def test_a_killed_engine_is_shown_and_restarted(state_file, runbook, redis_server):
    import os
    import signal

    rb, _ = live_setup(runbook, redis_url=redis_server.url, api_url="", app_url="")
    app = process_app(state_file, rb)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: row(app, "redis") is not None and row(app, "redis").status == "healthy", what="redis healthy")
        first = app.engine.pid
        os.kill(first, signal.SIGKILL)
        await wait_for(pilot, lambda: "ENGINE DOWN" in verdict_line(app), what="the death shown")
        # The notification is a message of its own: it may be handled a moment after the verdict line is drawn.
        await wait_for(pilot, lambda: any("engine exited (code -9)" in n.message for n in app._notifications), what="the death said")
        await wait_for(pilot, lambda: app.engine.pid not in (None, first) and "ENGINE DOWN" not in verdict_line(app), what="a new engine")
        await wait_for(pilot, lambda: samples(app, "redis") > 0 and row(app, "redis").status == "healthy", what="redis polled again")


async def test_a_tick_pressed_while_the_engine_is_down_is_committed_by_the_next_one(state_file, runbook):
    import os
    import signal

    from tests.ui.test_checklist import journal_events, prompt

    rb, _ = live_setup(runbook, redis_url="", api_url="", app_url="")
    app = process_app(state_file, rb)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.engine.pid is not None and app.cockpit.verdict is not None, what="the engine up")
        first = app.engine.pid
        os.kill(first, signal.SIGKILL)
        await wait_for(pilot, lambda: "ENGINE DOWN" in verdict_line(app), what="the death shown")
        await pilot.press("space")  # tick while there is no engine
        await wait_for(pilot, lambda: [e.kind for e in journal_events(state_file)] == ["tick"], what="the tick committed")
        await wait_for(pilot, lambda: prompt(app, "pre-typescript").startswith("[x]"), what="the tick shown")
        assert app.engine.pid not in (None, first)


async def test_the_probe_process_ignores_modules_in_the_current_directory(state_file, runbook, redis_server, tmp_path, monkeypatch):
    trap = tmp_path / "cwd"
    trap.mkdir()
    (trap / "httpx.py").write_text(f"open({str(tmp_path / 'imported')!r}, 'w').close()\nraise ImportError('trap')\n")
    monkeypatch.chdir(trap)
    rb, _ = live_setup(runbook, redis_url=redis_server.url, api_url="", app_url="")
    app = process_app(state_file, rb)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: row(app, "redis") is not None and row(app, "redis").status == "healthy", what="redis healthy")
    assert not (tmp_path / "imported").exists()


async def test_bad_urls_are_not_configured_and_nothing_configured_starts_nothing(state_file, runbook):
    rb, _ = live_setup(runbook, api_url="http://[bad", app_url="")
    app = make_app(state_file, runbook=rb, live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(2.2)
        assert cell(app, "api", "status") == "not configured"
        assert cell(app, "api", "why") == "the API URL is not a valid URL (percent-encode @ : / # in the password)"
        await wait_for(pilot, lambda: app.cockpit.health is not None and app.cockpit.verdict is not None, what="the engine's first word")
        assert not dict(app.cockpit.health.polls)  # no backend to watch: nothing polled
