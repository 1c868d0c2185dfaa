"""Snapshots of every screen at the sizes operators use (80x24 bastion, 160x48 war room).

The clock, the identity and the journal timestamps are fixed (see conftest), so the
pictures change only when the UI does. Update with `pytest --snapshot-update` and review.
"""

from __future__ import annotations

from pathlib import Path

from cockpit.journal import Journal
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook
from tests.conftest import WHO, StepClock, make_app
from tests.ui.live_data import NOW, feed, feed_cloudwatch


def live_app(state_file, **kwargs):
    """An app whose monotonic clock stands still, for boards fed by `feed`."""
    return make_app(state_file, monotonic=lambda: NOW, fake=True, **kwargs)


def preload(state_file, env="staging"):
    runbook = load_runbook()
    session = RunSession(Journal(state_file, clock=StepClock()), runbook.id, runbook.version, env, WHO)
    for step_id in ("pre-typescript", "pre-e2e-created", "pre-code-review"):
        session.record(step_id, "tick")
    session.record("pre-code-review", "note", {"text": "approved by two reviewers, PR #4812"})
    session.journal.close()


def test_main_80x24(snap_compare, state_file):
    assert snap_compare(make_app(state_file, fake=True), terminal_size=(80, 24))


def test_main_160x48_with_progress(snap_compare, state_file):
    preload(state_file)

    async def select_noted_step(pilot):
        await feed(pilot)
        await feed_cloudwatch(pilot)
        await pilot.press("up")

    assert snap_compare(live_app(state_file), terminal_size=(160, 48), run_before=select_noted_step)


def test_production_read_only_160x48(snap_compare, state_file):
    preload(state_file, env="production")
    assert snap_compare(make_app(state_file, env="production", read_only=True, fake=True), terminal_size=(160, 48))


def test_compact_health_pane_80x24(snap_compare, state_file):
    async def health(pilot):
        await feed(pilot)
        await pilot.press("tab")
        pilot.app.cockpit.render_health()
        pilot.app.cockpit.render_live()

    assert snap_compare(live_app(state_file), terminal_size=(80, 24), run_before=health)


def test_compact_latency_pane_80x24(snap_compare, state_file):
    async def latency(pilot):
        await feed(pilot)
        await pilot.press("tab", "tab", "down", "down", "down")  # chart the highlighted row (/vendors/companies), not redis
        pilot.app.cockpit.render_health()
        pilot.app.cockpit.render_live()

    assert snap_compare(live_app(state_file), terminal_size=(80, 24), run_before=latency)


def test_compact_logs_pane_80x24(snap_compare, state_file):
    async def logs(pilot):
        await feed_cloudwatch(pilot)
        await pilot.press("tab", "tab", "tab")
        pilot.app.cockpit.render_health()
        pilot.app.cockpit.render_live()

    assert snap_compare(live_app(state_file), terminal_size=(80, 24), run_before=logs)


def test_compact_throttled_tab_wrapped_80x24(snap_compare, state_file):
    async def momentum(pilot):
        await feed_cloudwatch(pilot)
        await pilot.press("tab", "tab", "tab", "w", "right_square_bracket")
        pilot.app.cockpit.render_health()
        pilot.app.cockpit.render_live()

    assert snap_compare(live_app(state_file), terminal_size=(80, 24), run_before=momentum)


def test_compact_alarms_pane_80x24(snap_compare, state_file):
    async def alarms(pilot):
        await feed_cloudwatch(pilot)
        await pilot.press("tab", "tab", "tab", "tab")
        pilot.app.cockpit.render_health()
        pilot.app.cockpit.render_live()

    assert snap_compare(live_app(state_file), terminal_size=(80, 24), run_before=alarms)


def test_help_80x24(snap_compare, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the help shows the journal path: keep it the same every run
    assert snap_compare(make_app(Path("journal.sqlite3")), terminal_size=(80, 24), press=["question_mark"])


def test_note_dialog_80x24(snap_compare, state_file):
    async def type_note(pilot):
        await pilot.press("n")
        await pilot.pause()
        pilot.app.screen.query_one("Input").cursor_blink = False
        await pilot.press(*"PONG ok")

    assert snap_compare(make_app(state_file, fake=True), terminal_size=(80, 24), run_before=type_note)


def test_too_small(snap_compare, state_file):
    assert snap_compare(make_app(state_file, fake=True), terminal_size=(50, 12))


def test_rollback_picker_and_diff_120x40(snap_compare, state_file, aws):
    import boto3

    from cockpit.stack.ecs_seed import seed_ecs
    from tests.ui.test_rollback_modal import open_service

    seed_ecs(boto3.client("ecs"), revisions=12, inactive=(3, 9))

    async def picker(pilot):
        await open_service(pilot)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(state_file), terminal_size=(120, 40), run_before=picker)


def test_rollback_confirmation_production_80x24(snap_compare, state_file, aws):
    import boto3

    from cockpit.stack.ecs_seed import seed_ecs
    from tests.ui.test_rollback_modal import open_service

    seed_ecs(boto3.client("ecs"), revisions=12, inactive=(3, 9))

    async def confirm(pilot):
        await open_service(pilot)
        await pilot.app.workers.wait_for_complete()
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(make_app(state_file, env="production"), terminal_size=(80, 24), run_before=confirm)


# One snapshot per failure kind the verdict names (tests/ui/test_verdict_screens.py asserts the same
# states at 120x40, 160x48 and 200x50): the verdict line, the header and the pane that shows it.
def _world(**kinds):
    from tests.ui.screen_truth import feed_world

    async def run(pilot):
        await feed_world(pilot, **kinds)

    return run


def test_failed_rollout_120x40(snap_compare, state_file):
    assert snap_compare(live_app(state_file), terminal_size=(120, 40), run_before=_world(failed_rollout=True))


def test_alarm_160x48(snap_compare, state_file):
    assert snap_compare(live_app(state_file), terminal_size=(160, 48), run_before=_world(firing="avnz-db-pool-exhausted"))


def test_redis_down_200x50(snap_compare, state_file):
    assert snap_compare(live_app(state_file), terminal_size=(200, 50), run_before=_world(redis_down=True))


def test_stale_120x40(snap_compare, state_file):
    assert snap_compare(live_app(state_file), terminal_size=(120, 40), run_before=_world(stale=True))


# Who cockpit acts as, in the header (tests/ui/test_identity_header.py asserts the same): read, and a pin not matched.
def _identity(*events):
    async def replay(pilot):
        pilot.app.engine.replay(list(events))
        await pilot.pause()

    return replay


def test_identity_read_160x48(snap_compare, state_file):
    from tests.ui.test_identity_header import READ

    assert snap_compare(make_app(state_file, fake=True), terminal_size=(160, 48), run_before=_identity(READ))


def test_identity_mismatch_production_80x24(snap_compare, state_file):
    from tests.ui.test_identity_header import MISMATCH

    assert snap_compare(make_app(state_file, env="production", fake=True), terminal_size=(80, 24), run_before=_identity(MISMATCH))


# --- Actions (x): the Run actions modal, and a run in the step detail ---------------------------------------

def _actions_app(state_file, **kwargs):
    from cockpit.engine.events import ActionPreview
    from tests.ui.test_actions_tui import PLAN_TEXT

    app = live_app(state_file, **kwargs)
    app.engine.plans["b-e2e"] = ActionPreview(
        "b-e2e", "Run E2E Tests Against Staging", "staging", False, PLAN_TEXT,
        gate=("b-health-api: FAILED (HTTP 503 from /health)",),
        unknown=("outcome unknown: action 1 (command cd apps/admin-dashboard) of b-e2e, started by bob@bastion at "
                 "2026-11-20T10:00:00Z, has no outcome in the journal",))
    app.engine.lookups["b-e2e"] = "b-e2e: no workflow dispatch with an unknown outcome to look up"
    return app


async def _open_actions(pilot, lookup: bool = False, typed: str = "b-e2"):
    from textual.widgets import Input

    from cockpit.ui.screens.actions import ActionsScreen
    from tests.ui.test_actions_tui import select
    from tests.ui.test_live import wait_for

    select(pilot.app, "b-e2e")
    await pilot.press("x")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ActionsScreen) and pilot.app.screen.preview is not None)
    modal = pilot.app.screen
    for field in modal.query(Input):
        field.cursor_blink = False
    if lookup:
        await pilot.click("#ac-lookup")
        await wait_for(pilot, lambda: "Lookup:" in str(modal.query_one("#ac-lookup-answer").render()))
    modal.query_one("#ac-confirm", Input).value = typed
    await pilot.pause()


def test_run_actions_modal_gate_and_unknown_80x24(snap_compare, state_file):
    assert snap_compare(_actions_app(state_file), terminal_size=(80, 24), run_before=_open_actions)


def test_run_actions_modal_lookup_120x40(snap_compare, state_file):
    async def looked_up(pilot):
        await _open_actions(pilot, lookup=True, typed="b-e2e")

    assert snap_compare(_actions_app(state_file), terminal_size=(120, 40), run_before=looked_up)


def test_step_detail_with_a_run_120x40(snap_compare, state_file):
    from cockpit.engine.commands import RunActions
    from cockpit.engine.events import ActionProgress
    from tests.ui.test_actions_tui import select

    async def running(pilot):
        select(pilot.app, "b-e2e")
        step = pilot.app.runbook.step("b-e2e")
        pilot.app.cockpit.start_run(step, RunActions("b-e2e"))
        output = ["Running 24 tests using 2 workers", "  ✓  1 vendors › companies list loads (1.2s)",
                  "  ✓  2 vendors › products list loads (0.9s)", "  ✘  3 momentum › churn chart renders (30.0s)",
                  "     Error: Timed out 30000ms waiting for expect(locator).toBeVisible() \x1b[31m[red]\x1b[0m"]
        pilot.app.engine.replay([ActionProgress("b-e2e", 0, "\n".join(output))])
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(live_app(state_file), terminal_size=(120, 40), run_before=running)
