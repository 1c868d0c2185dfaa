"""Pilot tests of the cockpit screen: tick, untick, note, resume, read-only, failures, layout."""

from __future__ import annotations

import io
import sqlite3

from rich.console import Console
from textual.widgets import Input

from cockpit.journal import Journal, fold
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook
from cockpit.ui.widgets.checklist import Checklist
from cockpit.ui.widgets.step_detail import StepDetail
from tests.conftest import WHO, make_app, settle


def prompt(app, step_id: str) -> str:
    return app.screen.query_one(Checklist).get_option(step_id).prompt.plain


def detail(app) -> str:
    return str(app.screen.query_one(StepDetail).render())


def journal_events(state_file):
    runbook = load_runbook()
    journal = Journal(state_file, read_only=True)
    try:
        return RunSession(journal, runbook.id, runbook.version, "staging", WHO).events_after(0)
    finally:
        journal.close()


def preload(state_file, *step_ids, who="alice@bastion"):
    runbook = load_runbook()
    session = RunSession(Journal(state_file), runbook.id, runbook.version, "staging", who)
    for step_id in step_ids:
        session.record(step_id, "tick")
    session.journal.close()




async def test_space_ticks_and_unticks_after_commit(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        assert app.screen.query_one(Checklist).selected().id == "pre-typescript"
        await pilot.press("space")
        await settle(pilot)
        assert prompt(app, "pre-typescript").startswith("[x]")
        assert "DONE by operator@bastion" in detail(app)
        assert [(e.step_id, e.kind) for e in journal_events(state_file)] == [("pre-typescript", "tick")]
        await pilot.press("space")
        await settle(pilot)
        assert prompt(app, "pre-typescript").startswith("[ ]")
        assert "unticked by operator@bastion" in detail(app)
    assert [e.kind for e in journal_events(state_file)] == ["tick", "untick"]


async def test_rapid_presses_are_committed_in_order(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("space", "space", "space")
        await settle(pilot)
        assert prompt(app, "pre-typescript").startswith("[x]")
    assert [e.kind for e in journal_events(state_file)] == ["tick", "untick", "tick"]


async def test_nothing_is_shown_done_before_the_commit(state_file):
    from tests.ui.fake_engine import Held

    app = make_app(state_file)
    app.engine = held = Held(app.engine)  # the engine's writes wait until released
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        assert prompt(app, "pre-typescript").startswith("[~]")
        assert "saving to the journal" in detail(app)
        assert journal_events(state_file) == []
        held.release()
        await settle(pilot)
        assert prompt(app, "pre-typescript").startswith("[x]")


async def test_note_is_journaled_and_shown(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(Input).value = "PONG from redis-1 [bold]not markup[/bold]\x1b[2J"
        await pilot.press("enter")
        await settle(pilot)
        assert "PONG from redis-1 [bold]not markup[/bold]" in detail(app)
        assert "✎1" in prompt(app, "pre-typescript")
        assert prompt(app, "pre-typescript").startswith("[ ]")  # a note does not tick
    (event,) = journal_events(state_file)
    assert event.kind == "note" and event.payload == {"text": "PONG from redis-1 [bold]not markup[/bold]"}


async def test_note_cancelled_with_escape_writes_nothing(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("n", "a", "b", "escape")
        await settle(pilot)
    assert journal_events(state_file) == []


async def test_resume_puts_cursor_on_first_open_step(state_file):
    preload(state_file, "pre-typescript", "pre-e2e-created")
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        assert app.screen.query_one(Checklist).selected().id == "pre-code-review"
        assert prompt(app, "pre-e2e-created").startswith("[x]")
        assert "run #1 · 2/39" in str(app.screen.query_one("#progress").render())
        await pilot.press("up", "space")  # untick someone else's tick
        await settle(pilot)
    states = fold(journal_events(state_file))
    assert not states["pre-e2e-created"].done and states["pre-e2e-created"].by == WHO


async def test_read_only_writes_nothing(tmp_path):
    state_file = tmp_path / "ro.sqlite3"
    app = make_app(state_file, read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("space", "n")
        await settle(pilot)
        assert prompt(app, "pre-typescript").startswith("[ ]")
        assert "READ-ONLY" in str(app.screen.query_one("#ro-badge").render())
    assert not state_file.exists()


async def test_read_only_screen_follows_another_cockpit(state_file):
    preload(state_file, "pre-typescript")
    app = make_app(state_file, read_only=True, poll=0.05)
    async with app.run_test(size=(160, 48)) as pilot:
        preload(state_file, "pre-e2e-created", who="bob@bastion")
        for _ in range(40):
            await pilot.pause(0.05)
            if prompt(app, "pre-e2e-created").startswith("[x]"):
                break
        assert prompt(app, "pre-e2e-created").startswith("[x]")


async def test_failed_write_says_not_saved_and_keeps_the_step_open(state_file):
    preload(state_file, "pre-docs")
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        blocker = sqlite3.connect(state_file, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            await pilot.press("space")
            await settle(pilot)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert prompt(app, "pre-typescript").startswith("[ ]")
        assert any("NOT SAVED" in n.message and "locked" in n.message for n in app._notifications)


async def test_info_and_other_environment_steps_are_not_ticked(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        checklist = app.screen.query_one(Checklist)
        assert checklist.get_option("c-deploy-api").disabled  # Phase C is production only
        checklist.highlighted = checklist.get_option_index("rb-redis-fallback")
        await pilot.press("space")
        await settle(pilot)
    assert journal_events(state_file) == []


async def test_compact_layout_cycles_panes_with_tab(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert screen.has_class("-compact")
        assert screen.query_one("#checklist-pane").display and not screen.query_one("#health-pane").display
        await pilot.press("tab")
        assert screen.query_one("#health-pane").display and not screen.query_one("#checklist-pane").display
        await pilot.press("space", "n")  # no blind ticks or notes on a step out of view
        await settle(pilot)
        assert journal_events(state_file) == [] and screen.__class__.__name__ == "CockpitScreen"
        await pilot.press("shift+tab")
        assert screen.query_one("#checklist-pane").display
        await pilot.press("space")  # the checklist is fully usable at 80x24
        await settle(pilot)
        assert prompt(app, "pre-typescript").startswith("[x]")


async def test_at_80x24_every_pane_fills_the_screen_in_turn(state_file):
    """Seen at 80x24: the alarms and flags panes stayed a few lines high over an empty screen."""
    app = make_app(state_file)
    async with app.run_test(size=(80, 24)) as pilot:
        body = app.screen.query_one("#body").size.height
        for pane in ("checklist", "health", "latency", "logs", "alarms", "services", "flags"):
            shown = app.screen.query_one(f"#{pane}-pane")
            assert shown.display and shown.outer_size.height == body, f"{pane}: {shown.outer_size.height} of {body} rows"
            await pilot.press("tab")
            await pilot.pause()


async def test_wide_layout_shows_every_pane(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)):
        for pane in ("checklist", "health", "latency", "logs", "alarms", "services"):
            assert app.screen.query_one(f"#{pane}-pane").display


async def test_too_small_terminal_says_so(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(50, 12)):
        message = str(app.screen.query_one("#too-small").render())
        assert "Terminal too small (50x12)" in message and "Nothing is lost" in message
        assert not app.screen.query_one("#body").display


async def test_help_lists_keys_and_contacts(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "HelpScreen"
        console = Console(width=300, record=True, file=io.StringIO())
        console.print(app.screen._body)
        text = console.export_text()
        for expected in ("space", "tick / untick", "devops@avnz.io", "On-call pager", str(state_file)):
            assert expected in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CockpitScreen"


async def test_q_quits(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.is_running
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


def test_phase_line_shows_elapsed_against_planned():
    from datetime import timedelta

    from cockpit.journal import StepState
    from cockpit.ui.widgets.checklist import phase_line
    from tests.conftest import FIXED_NOW

    runbook = load_runbook()
    phase = next(p for p in runbook.phases if p.id == "phase-a")
    env = runbook.environments["staging"]
    assert phase_line(phase, {}, env, FIXED_NOW).plain == "Phase A: Infrastructure Preparation  0/3 · 30m planned · low risk"
    began = (FIXED_NOW - timedelta(minutes=42)).isoformat().replace("+00:00", "Z")
    states = {"a-redis-ping": StepState(done=True, by=WHO, at=began, first_at=began, last_at=began)}
    line = phase_line(phase, states, env, FIXED_NOW)
    assert line.plain == "Phase A: Infrastructure Preparation  1/3 · 42m/30m · low risk"
    assert any("red" in str(span.style) for span in line.spans)  # over the plan
    prod_only = next(p for p in runbook.phases if p.id == "phase-c")
    assert phase_line(prod_only, {}, env, FIXED_NOW).plain == "Phase C: Production Deployment  only in production"


async def test_detail_zoom_shows_a_long_command_at_80x24(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(80, 24)) as pilot:
        checklist = app.screen.query_one(Checklist)
        checklist.highlighted = checklist.get_option_index("rb-full-both")
        await pilot.pause()
        scroll = app.screen.query_one("#detail-scroll")
        assert scroll.size.height < 10
        await pilot.press("d")
        await pilot.pause()
        assert not checklist.display and scroll.has_focus and scroll.size.height >= 15
        assert "avnz-admin-dashboard:LAST_STABLE" in detail(app)
        await pilot.press("space")  # the step is in view: ticking still works
        await settle(pilot)
        assert journal_events(state_file)[-1].step_id == "rb-full-both"
        await pilot.press("d")
        await pilot.pause()
        assert checklist.display and checklist.has_focus


async def test_multi_line_paste_into_a_note_keeps_every_line(state_file):
    from textual import events

    app = make_app(state_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        note_input = app.screen.query_one(Input)
        note_input.post_message(events.Paste("PONG from redis-1\nlatency 3ms\n\nall good"))
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
    assert journal_events(state_file)[-1].payload == {"text": "PONG from redis-1 / latency 3ms / all good"}


async def test_nothing_acts_while_the_terminal_is_too_small(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(50, 12)) as pilot:
        await pilot.press("space", "n", "d")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "CockpitScreen"
    assert journal_events(state_file) == []


async def test_two_operators_on_one_step_the_status_says_the_latest_and_the_history_both(state_file):
    """The issue: both events kept in the journal's order; the step shows the latest, its history shows both."""
    runbook = load_runbook()
    alice = RunSession(Journal(state_file), runbook.id, runbook.version, "staging", "alice@bastion")
    bob = RunSession(Journal(state_file), runbook.id, runbook.version, "staging", "bob@laptop")
    alice.record("pre-typescript", "tick")
    bob.record("pre-typescript", "untick")
    bob.record("pre-typescript", "note", {"text": "tsc fails on main, see #412"})
    alice.journal.close()
    bob.journal.close()
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        shown = detail(app)
        assert "unticked by bob@laptop" in shown  # the latest
        history = shown.split("History (newest last):")[1].splitlines()
        assert [line.split(")", 1)[-1].split() for line in history if line.strip()] == [
            ["alice@bastion", "ticked"], ["bob@laptop", "unticked"], ["bob@laptop", "note:", "tsc", "fails", "on", "main,", "see", "#412"]]
