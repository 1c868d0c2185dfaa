"""`r`: the release report of the run on screen, saved as Markdown or JSON (a file in the current directory)."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Static

from cockpit.engine.events import JournalRead
from cockpit.ui.screens.report import ReportScreen
from cockpit.ui.widgets.logs_pane import LogsPane
from tests.conftest import make_app
from tests.ui.fake_engine import replay
from tests.unit.report_support import Script

NAME = "cockpit-report-avnz-phase-1-4-staging-run1"


def seed(state_file: Path) -> None:
    script = Script(state_file)
    script.record(1, "pre-docs", "tick")
    script.record(2, "a-redis-ping", "check", {"status": "fail", "evidence": "\x1b[31mrefused\x1b[0m [x](javascript:alert(1)) Bearer abc.def"})
    script.close()


async def wait_for(pilot, condition, what: str, tries: int = 500) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(screen: ReportScreen) -> str:
    return screen.query_one("#report-status", Static).render().plain


async def test_r_shows_the_report_and_saves_markdown_then_json(state_file, tmp_path, monkeypatch):
    seed(state_file)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        body = screen.query_one("#report-body", Static).render()
        assert not list(body.spans)  # the Markdown as plain text: nothing in it became markup or style
        assert "check `a-redis-ping` at" in body.plain and "Bearer \\*\\*\\*" in body.plain and "\x1b" not in body.plain
        assert "abc.def" not in body.plain
        await pilot.press("s")
        target = work / f"{NAME}.md"
        await wait_for(pilot, lambda: target.exists() and "written:" in status_of(screen), "the Markdown file")
        assert target.read_text() == screen.markdown and status_of(screen) == f"written: {target}"
        await pilot.press("j")
        data_file = work / f"{NAME}.json"
        await wait_for(pilot, data_file.exists, "the JSON file")
        assert json.loads(data_file.read_text())["run"]["id"] == 1
        await pilot.press("s")  # again: the same report, replaced
        await wait_for(pilot, lambda: status_of(screen) == f"replaced: {target}", "the second save")
        await pilot.press("escape")
        assert app.screen is app.cockpit


async def test_a_failed_save_says_why_and_keeps_the_report(state_file, tmp_path):
    seed(state_file)
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        screen.directory = Path("/proc")  # takes no new file, even from root
        await pilot.press("s")
        await wait_for(pilot, lambda: status_of(screen).startswith("NOT saved"), "the failed save")
        assert status_of(screen).startswith(f"NOT saved: cannot write /proc/{NAME}.md: ")
        assert app.screen is screen and screen.saved == {}
        screen.directory = tmp_path  # somewhere that takes it: the same report is saved
        await pilot.press("s")
        await wait_for(pilot, lambda: (tmp_path / f"{NAME}.md").exists(), "the retried save")


async def test_the_report_follows_events_committed_after_start_and_works_read_only(state_file, tmp_path):
    seed(state_file)
    app = make_app(state_file, fake=True, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        later = Script(state_file, who="bob@laptop")
        event = later.record(30, "pre-qa-review", "tick")
        later.close()
        await replay(pilot, [JournalRead((event,))])
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        assert [p.who for p in screen.report.participants] == ["alice@bastion", "bob@laptop"]
        assert screen.report.done == 2


async def test_r_opens_the_report_from_the_logs_pane_where_w_still_wraps(state_file):
    seed(state_file)
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.action_show_pane("Logs")
        await pilot.pause()
        pane = app.screen.query_one(LogsPane)
        assert pane.has_focus_within
        await pilot.press("w")
        assert not isinstance(app.screen, ReportScreen) and all(tab.wrap for tab in pane.tabs.values())
        await pilot.press("r")
        assert isinstance(app.screen, ReportScreen)
