"""Actions from the TUI through the real engine (in a process of its own, as `cockpit` runs it): a `command`
action from `x` to the tick, its output streamed into the step detail, and `esc` stopping a real subprocess."""

from __future__ import annotations

from cockpit.journal.progress import ACTION, TICK
from cockpit.runbook import load_runbook
from cockpit.runbook.model import Action
from cockpit.ui.screens.actions import ActionsScreen
from tests.conftest import make_app
from tests.integration.test_run_actions import with_actions
from tests.ui.test_actions_tui import log_lines, row, select, text
from tests.ui.test_checklist import journal_events
from tests.ui.test_live import wait_for

ECHO = Action("command", run="echo one\necho two from $PLAYWRIGHT_BASE_URL\necho three", env=(("PLAYWRIGHT_BASE_URL", "{app_url}"),))


async def run_from_x(pilot, step_id: str = "b-e2e") -> ActionsScreen:
    select(pilot.app, step_id)
    await pilot.press("x")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ActionsScreen) and pilot.app.screen.preview is not None,
                   what="the engine's plan")
    modal = pilot.app.screen
    modal.set_focus(modal.query_one("#ac-confirm"))  # at once (tab's path is test_actions_tui's)
    await pilot.press(*step_id, "enter")
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, ActionsScreen), what="the modal to close")
    return modal


async def test_a_command_runs_from_x_streams_its_output_and_ticks_the_step(state_file, tmp_path, monkeypatch):
    monkeypatch.setenv("COCKPIT_APP_URL", "http://app.staging.test")
    runbook = with_actions(load_runbook(), tmp_path, b_e2e=(ECHO,))
    app = make_app(state_file, runbook=runbook, live=True)
    async with app.run_test(size=(120, 40)) as pilot:
        select(app, "b-e2e")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionsScreen) and app.screen.preview is not None, what="the plan")
        plan = text(app.screen, "#ac-plan")
        assert "echo two from $PLAYWRIGHT_BASE_URL" in plan and "PLAYWRIGHT_BASE_URL=http://app.staging.test" in plan
        await pilot.press("escape")  # reviewed, closed: nothing ran
        await pilot.pause()
        assert not [e for e in journal_events(state_file) if e.kind == ACTION]
        await run_from_x(pilot)
        await wait_for(pilot, lambda: "✓ran" in row(app, "b-e2e"), timeout=30, what="the run to pass")
        await wait_for(pilot, lambda: row(app, "b-e2e").startswith("[x]"), what="the tick the engine journaled")
        assert log_lines(app) == ["[1] one", "[1] two from http://app.staging.test", "[1] three"]
        assert "PASSED" in text(app.screen, "#action-verdict") and "exit 0" in text(app.screen, "#action-verdict")
        assert "3 lines" in text(app.screen, "#action-header")
    kinds = [(e.kind, e.payload.get("phase")) for e in journal_events(state_file) if e.step_id == "b-e2e"]
    assert kinds == [(ACTION, "intent"), (ACTION, "outcome"), (TICK, None)]


async def test_esc_stops_a_real_command_and_the_step_is_not_ticked(state_file, tmp_path):
    slow = Action("command", run="echo started\nexec sleep 60")
    runbook = with_actions(load_runbook(), tmp_path, b_e2e=(slow,))
    app = make_app(state_file, runbook=runbook, live=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await run_from_x(pilot)
        await wait_for(pilot, lambda: "[1] started" in log_lines(app), timeout=30, what="the command's first line")
        assert "▶running" in row(app, "b-e2e")
        await pilot.press("escape")  # "■stopping" shows until the end (test_actions_tui); a real sleep ends at once
        await wait_for(pilot, lambda: "✗RUN-FAILED" in row(app, "b-e2e"), timeout=30, what="the stopped run to end")
        assert "FAILED" in text(app.screen, "#action-verdict") and "stop" in text(app.screen, "#action-verdict").lower()
        assert row(app, "b-e2e").startswith("[ ]")
    outcome = [e.payload for e in journal_events(state_file) if e.kind == ACTION and e.payload.get("phase") == "outcome"]
    assert len(outcome) == 1 and outcome[0]["ok"] is False
