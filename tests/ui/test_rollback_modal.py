"""The rollback modal end to end against moto: pick, diff, guards, the call, the journal."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest
from textual.widgets import Input, OptionList, Static

from cockpit.stack.ecs_seed import seed_ecs
from cockpit.ui.screens.rollback import RollbackScreen
from tests.conftest import make_app
from tests.ui.test_live import wait_for

API = "avnz-api"


@pytest.fixture
def ecs(aws):
    """moto with the cluster, both families (155 revisions of avnz-api) and both services."""
    return seed_ecs(boto3.client("ecs"))


def running(service: str = API) -> str:
    state = boto3.client("ecs").describe_services(cluster="avnz-payment-cluster", services=[service])["services"][0]
    return state["taskDefinition"].rsplit("/", 1)[-1]


def fast(runbook):
    return replace(runbook, ecs=replace(runbook.ecs, rollout_timeout_seconds=0.6, rollout_poll_seconds=0.2))


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def open_service(pilot, service: str = API) -> RollbackScreen:
    await pilot.press("R")
    screen = pilot.app.screen
    assert isinstance(screen, RollbackScreen)
    services = screen.query_one("#rb-services", OptionList)
    services.highlighted = [o.id for o in services.options].index(service)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.query_one("#rb-revisions", OptionList).option_count > 0, what="the revisions")
    await wait_for(pilot, lambda: "from avnz" in text(pilot.app, "#rb-diff") or "runs now" in text(pilot.app, "#rb-diff"), what="the diff")
    return screen


async def test_picker_lists_every_revision_preselects_the_last_stable_and_diffs_names_only(state_file, runbook, ecs):
    app = make_app(state_file, runbook=runbook)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_service(pilot)
        revisions = screen.query_one("#rb-revisions", OptionList)
        newest = ecs.newest(API)
        assert revisions.option_count == len(ecs.revisions[API])  # every page, not the first 100
        assert [str(revisions.get_option_at_index(i).id) for i in range(3)] == [ecs.arn(API, newest - i) for i in range(3)]
        # moto runs no task: the newest is the current revision, deploying with none running (as the panes say)
        assert "◀ deploying · 0/2" in str(revisions.get_option_at_index(0).prompt)
        highlighted = revisions.get_option_at_index(revisions.highlighted)
        assert str(highlighted.id) == ecs.arn(API, newest - 1) and "◀ stable" in str(highlighted.prompt)
        diff = text(app, "#rb-diff")
        assert f"from avnz-api:{newest} to avnz-api:{newest - 1}" in diff and "preselected:" in diff
        revisions.highlighted = revisions.option_count - 1  # the oldest: many changes, names only
        await wait_for(pilot, lambda: f"to avnz-api:{ecs.revisions[API][0]}:" in text(app, "#rb-diff"), what="the diff to the oldest")
        diff = text(app, "#rb-diff")
        assert "env: " in diff or "secret: " in diff or "memory" in diff
        everything = diff + text(app, "#rb-status") + "".join(str(o.prompt) for o in revisions.options)
        assert not [v for v in ecs.never_shown if v and v in everything]


async def test_wrong_confirmation_is_refused_and_nothing_changes(state_file, runbook, ecs):
    app = make_app(state_file, runbook=runbook)
    before = running()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_service(pilot)
        await pilot.press("enter")  # the preselected revision
        assert "Type 'avnz-api'" in text(app, "#rb-plan") and screen.query_one("#rb-typed", Input).has_focus
        screen.query_one("#rb-typed", Input).value = "avnz-ap"
        await pilot.press("enter")
        assert "refused: the confirmation must be exactly 'avnz-api'" in text(app, "#rb-refused")
        await pilot.press("escape", "escape", "escape")  # confirm → revisions → services → closed
        assert not isinstance(app.screen, RollbackScreen)
    assert running() == before
    assert not [e for e in app.session.events_after(0) if e.kind == "rollback"]


async def test_read_only_refuses_and_says_why(state_file, runbook, ecs):
    from cockpit.journal import Journal
    from cockpit.journal.session import RunSession

    RunSession(Journal(state_file), runbook.id, runbook.version, "staging", "op").journal.close()
    app = make_app(state_file, runbook=runbook, read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_service(pilot)
        assert "READ-ONLY" in "".join(str(s.render()) for s in screen.query(Static))
        await pilot.press("enter")
        assert "read-only" in text(app, "#rb-plan") and screen.query_one("#rb-typed", Input).disabled
    assert running() == f"avnz-api:{ecs.newest(API)}"


async def test_typed_confirmation_rolls_back_and_the_journal_has_intent_and_outcome(state_file, runbook, ecs):
    app = make_app(state_file, runbook=fast(runbook))
    target = ecs.newest(API) - 1
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_service(pilot)
        await pilot.press("enter")
        screen.query_one("#rb-typed", Input).value = "avnz-api"
        await pilot.press("enter")
        await wait_for(pilot, lambda: not screen.running and "verdict" not in text(app, "#rb-status") and "done" in text(app, "#rb-status"), what="the verdict")
        progress = text(app, "#rb-progress")
        # moto never moves the rollout on: an honest cockpit says it did not see it finish.
        assert "NOT rolled back (timeout)" in progress
    assert running() == f"avnz-api:{target}"
    phases = [e.payload["phase"] for e in app.session.events_after(0) if e.kind == "rollback"]
    assert phases == ["intent", "started", "outcome"]


async def test_production_needs_the_environment_in_the_confirmation(state_file, runbook, ecs):
    app = make_app(state_file, runbook=fast(runbook), env="production")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_service(pilot)
        await pilot.press("enter")
        assert "Type 'production/avnz-api'" in text(app, "#rb-plan")
        screen.query_one("#rb-typed", Input).value = "avnz-api"
        await pilot.press("enter")
        assert "production/avnz-api" in text(app, "#rb-refused")
    assert running() == f"avnz-api:{ecs.newest(API)}"


async def test_a_double_enter_rolls_back_once_and_esc_keeps_watching(state_file, runbook, ecs):
    # The watch could only end by its timeout (moto never completes a rollout); a timeout of wall-clock
    # seconds raced a loaded machine, so it is long here and the test ends the watch itself, as q does.
    app = make_app(state_file, runbook=replace(fast(runbook), ecs=replace(runbook.ecs, rollout_timeout_seconds=600, rollout_poll_seconds=0.2)))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_service(pilot)
        await pilot.press("enter")
        screen.query_one("#rb-typed", Input).value = "avnz-api"
        await pilot.press("enter", "enter")
        await wait_for(pilot, lambda: bool(app.cockpit.rollbacks_active), what="the rollout watch")
        await pilot.press("escape")  # close the modal while it is watched
        assert not isinstance(app.screen, RollbackScreen)
        assert app.cockpit.rollbacks_active  # still watched
        await pilot.press("R")  # a second rollback while the first is watched: refused
        assert not isinstance(app.screen, RollbackScreen)
        app.engine.engine.stopping.set()  # end the watch, as q does
        await wait_for(pilot, lambda: not app.cockpit.rollbacks_active, what="the watch to end")
        await wait_for(pilot, lambda: any(e.kind == "rollback" and e.payload["phase"] == "outcome" for e in app.session.events_after(0)),
                       what="the outcome journaled")
    phases = [e.payload["phase"] for e in app.session.events_after(0) if e.kind == "rollback"]
    assert phases == ["intent", "started", "outcome"]  # one rollback, and its outcome journaled after the modal closed


def on_screen(app) -> str:
    """What the terminal shows now (the screenshot's text)."""
    import html
    import re

    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def test_at_80x24_the_refusal_and_the_verdict_are_on_screen_not_below_the_fold(state_file, runbook, ecs):
    """Seen at 80x24 in the demo: enter on a wrong confirmation seemed to do nothing, the refusal was below the fold."""
    app = make_app(state_file, runbook=fast(runbook))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_service(pilot)
        await pilot.press("enter")
        screen.query_one("#rb-typed", Input).value = "avnz"
        await pilot.press("enter")
        await pilot.pause()
        assert "refused: the confirmation must be exactly" in on_screen(app)
        for i in range(40):  # what a long rollout's service events look like (moto's own rollout never moves)
            screen._say(f"10:26 (service avnz-api) has started 1 tasks: (task {i:032x}).")
        screen.query_one("#rb-typed", Input).value = "avnz-api"
        await pilot.press("enter")
        await wait_for(pilot, lambda: not screen.running and "done" in text(app, "#rb-status"), what="the verdict")
        await pilot.pause()
        assert "NOT rolled back (timeout)" in on_screen(app)
