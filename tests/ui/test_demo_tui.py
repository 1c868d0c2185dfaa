"""The cockpit on the demo's stack: every pane live, the DEMO badge, the trouble menu and its keys."""

from __future__ import annotations

import io
import os
import threading
from dataclasses import replace

import pytest
from rich.console import Console

from cockpit.demo.trouble import KEYS, WHAT
from cockpit.runbook import load_runbook
from cockpit.stack.moto_server import MotoServer
from cockpit.ui.screens.help import HelpScreen
from cockpit.ui.screens.trouble import TroubleScreen
from cockpit.ui.widgets.alarms_pane import AlarmsPane
from cockpit.ui.widgets.header import CockpitHeader
from cockpit.ui.widgets.health_table import HealthTable
from cockpit.ui.widgets.services_pane import ServicesPane
from tests.conftest import FAST_PROBES, make_app
from tests.ui.test_cloudwatch_live import fast, lines
from tests.ui.test_live import cell, row, wait_for


@pytest.fixture
def demo_runbook(demo, monkeypatch):
    """The bundled runbook as `cockpit demo` loads it: its variables pointed at the demo's stack."""
    _control, ready, _progress = demo
    for name in MotoServer.foreign_settings(os.environ):
        monkeypatch.delenv(name, raising=False)
    for name, value in ready.environ.items():
        monkeypatch.setenv(name, value)
    runbook = fast(load_runbook())
    return replace(runbook, probes=FAST_PROBES, ecs=replace(runbook.ecs, interval_seconds=0.5))


def plain(renderable) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def text(app, cls) -> str:
    return str(app.screen.query_one(cls).body(app.monotonic(), app.clock()))


async def test_every_pane_is_live_on_the_demo_stack(demo, demo_runbook, state_file):
    control, ready, _progress = demo
    app = make_app(state_file, runbook=demo_runbook, live=True, demo=control, environ=dict(os.environ))
    async with app.run_test(size=(160, 48)) as pilot:
        for row in ("redis", "database", "api", "api.redis", "api.database", "page:/momentum/churn"):
            await wait_for(pilot, lambda row=row: cell(app, row, "status") == "healthy", what=f"{row} healthy")
        await wait_for(pilot, lambda: any("Redis blacklist check" in x for x in lines(app, "redis")), what="the Redis tab")
        await wait_for(pilot, lambda: any("momentum" in x for x in lines(app, "momentum")), what="the momentum tab")
        # the planned names are listed (as unknown) before the first read: wait for the read itself
        await wait_for(pilot, lambda: app.screen.query_one(AlarmsPane).read_at is not None, what="the alarms")
        assert "avnz-api-5xx-errors" in text(app, AlarmsPane)
        assert "OK" in text(app, AlarmsPane) and "NOT FOUND" not in text(app, AlarmsPane)
        await wait_for(pilot, lambda: "avnz-api:24" in text(app, ServicesPane), what="the services pane")
        header = app.screen.query_one(CockpitHeader)
        assert header.query_one("#demo-badge") is not None
        identity = header.query_one("#identity")
        await wait_for(pilot, lambda: str(identity.render()).startswith("AWS 123456789012 · "), what="moto's account in the header")
        table = app.screen.query_one(HealthTable)
        shown = " ".join(str(value) for row in table.ordered_rows for value in table.get_row(row.key))
        password = ready.environ["REDIS_URL"].split("@")[0].split(":")[-1]
        assert len(password) >= 12 and password not in shown


async def test_the_trouble_menu_stops_redis_and_the_cockpit_sees_it(demo, demo_runbook, state_file):
    control, _ready, _progress = demo
    app = make_app(state_file, runbook=demo_runbook, live=True, demo=control, environ=dict(os.environ))
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: cell(app, "redis", "status") == "healthy", what="redis healthy")
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, TroubleScreen)
        menu = plain(app.screen.query_one("#trouble-table").content)
        assert "Redis: stop it" in menu and "avnz-api: deploy a broken image" in menu
        await pilot.press("1")
        assert not isinstance(app.screen, TroubleScreen)  # closed at once: the panes are what to watch
        try:
            await wait_for(pilot, lambda: cell(app, "redis", "status") == "DOWN", what="redis DOWN")
            await wait_for(pilot, lambda: cell(app, "api.redis", "status") != "healthy", what="/health reports its Redis")
            await wait_for(pilot, lambda: any("ECONNREFUSED" in x for x in lines(app, "redis")), what="refused connections logged")
        finally:
            await pilot.press("exclamation_mark", "1")  # start it again for the other tests
        # The poller backs off while Redis is down (jittered, up to [probes] max_backoff_seconds): healthy again
        # at its next try, which may be that long after the restart.
        backoff = demo_runbook.probes.max_backoff_seconds
        # The row's status, not the cell: in-process (LocalEngine) on a loaded machine the first PINGs after the
        # restart may be slow enough for the status cell to say OVER, a latency judgement, not a failure.
        await wait_for(pilot, lambda: row(app, "redis").status == "healthy", timeout=backoff + 20, what="redis healthy again")


async def test_help_lists_the_trouble_keys_and_ctrl_c_quits_the_demo(demo, state_file):
    control, _ready, _progress = demo
    app = make_app(state_file, demo=control)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        body = plain(app.screen._body)
        for key, name in KEYS.items():  # what each key does, never a state that may be stale by now
            assert f"! {key}" in body and WHAT[name] in body
        assert "running" not in body and "steady" not in body
        assert app.return_code is None  # nothing has asked it to exit yet
        await pilot.press("escape", "ctrl+c")
        await pilot.pause()
        assert app.return_code == 130  # ctrl+c asked the demo to exit, with a shell's code for it
    assert not app.is_running


async def test_the_demo_wall_has_the_trouble_keys_too(demo, state_file):
    """`cockpit demo --wall`: the wall changes nothing of the run, but the demo's stand-in stack can be troubled from it
    (else the demo wall could only ever show all up)."""
    control, _ready, _progress = demo
    app = make_app(state_file, demo=control, wall=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert isinstance(app.screen, TroubleScreen)


async def test_without_the_demo_there_is_no_trouble_key(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("exclamation_mark")
        assert not isinstance(app.screen, TroubleScreen)
        assert not app.screen.query("#demo-badge")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running and app.return_code is None  # ctrl+c only hints at q outside the demo


async def test_the_stack_process_ending_under_the_cockpit_is_said_loudly(demo, state_file):
    """The reader thread calls on_gone when the stack's pipe closes first (SIGKILL, OOM): a notification, not silence."""
    control, _ready, _progress = demo
    app = make_app(state_file, demo=control)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            assert control.on_gone == app.demo_gone
            reader = threading.Thread(target=control.on_gone)  # as DemoControl's reader thread does
            reader.start()
            await wait_for(pilot, lambda: any("stack process ended" in n.message for n in app._notifications), what="the notification")
            reader.join(5)
            assert [n.severity for n in app._notifications if "stack process ended" in n.message] == ["error"]
    finally:
        control.on_gone = None
