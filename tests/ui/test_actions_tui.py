"""The TUI's side of actions, against a FakeEngine: the Run actions modal (plan, guards, what it sends), the
run drawn in the checklist row and the step detail, esc to stop. The live engine runs one in test_actions_live.py."""

from __future__ import annotations

import re

from textual.widgets import Button, Input, Log, Static

from cockpit.engine.commands import AskActionPlan, AskRunLookup, RunActions, StopAction
from cockpit.engine.events import ActionEnded, ActionPreview, ActionProgress
from cockpit.ui.screens.actions import ActionsScreen
from cockpit.ui.widgets.action_panel import ActionPanel
from cockpit.ui.widgets.checklist import Checklist
from cockpit.ui.widgets.step_detail import StepDetail
from tests.conftest import make_app
from tests.ui.test_live import wait_for

PLAN_TEXT = """Step b-e2e: Run E2E Tests Against Staging (staging)
  1. command
       cd /work/avnz (workdir)
       PLAYWRIGHT_BASE_URL=http://app.staging.test
       $ cd apps/admin-dashboard
       $ npx playwright test"""
SLACK_TEXT = """Step comms-engineering: Notify engineering (staging)
  1. slack
       POST https://hooks.slack.com/services/… (#engineering)
       text: Phase B on staging by operator: [b-e2e] passed"""


def preview(step_id: str = "b-e2e", env: str = "staging", production: bool = False, text: str = PLAN_TEXT, **more) -> ActionPreview:
    return ActionPreview(step_id, "Run E2E Tests Against Staging", env, production, text, **more)


def select(app, step_id: str) -> None:
    checklist = app.screen.query_one(Checklist)
    checklist.highlighted = checklist.get_option_index(step_id)


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def sent(app, kind) -> list:
    return [c for c in app.engine.commands if isinstance(c, kind)]


async def open_modal(pilot, step_id: str = "b-e2e") -> ActionsScreen:
    select(pilot.app, step_id)
    await pilot.press("x")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ActionsScreen), what="the Run actions modal")
    modal = pilot.app.screen
    await wait_for(pilot, lambda: modal.preview is not None or "no plan" in text(modal, "#ac-status"), what="the plan")
    return modal


def run_button(modal) -> Button:
    return modal.query_one("#ac-run", Button)


async def type_into(pilot, modal, selector: str, value: str) -> None:
    modal.query_one(selector, Input).value = value
    await pilot.pause()


async def test_the_modal_shows_the_plan_and_runs_only_once_the_step_id_is_typed(state_file):
    app = make_app(state_file, fake=True)
    app.engine.plans["b-e2e"] = preview()
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_modal(pilot)
        assert [c.step_id for c in sent(app, AskActionPlan)] == ["b-e2e"]
        plan = text(modal, "#ac-plan")
        assert "$ npx playwright test" in plan and "PLAYWRIGHT_BASE_URL=http://app.staging.test" in plan
        assert "Type 'b-e2e' to run" in text(modal, "#ac-confirm-label")
        assert run_button(modal).disabled and not modal.query_one("#ac-force").display and not modal.query_one("#ac-override").display
        await pilot.press("tab")  # from the plan to the confirmation, keyboard only
        assert modal.query_one("#ac-confirm", Input).has_focus
        await pilot.press(*"b-e")
        assert run_button(modal).disabled
        await pilot.click("#ac-run")  # disabled: nothing happens
        assert not sent(app, RunActions)
        await type_into(pilot, modal, "#ac-confirm", "b-e2e")
        assert not run_button(modal).disabled
        await pilot.click("#ac-run")
        await wait_for(pilot, lambda: not isinstance(app.screen, ActionsScreen), what="the modal to close")
        assert sent(app, RunActions) == [RunActions("b-e2e")]


async def test_production_needs_the_environment_named_and_sends_it(state_file):
    app = make_app(state_file, env="production", fake=True)
    app.engine.plans["c-deploy-api"] = preview("c-deploy-api", "production", True, "Step c-deploy-api: deploy (production, PRODUCTION)")
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_modal(pilot, "c-deploy-api")
        assert "PRODUCTION" in str(modal.query_one("#actions-dialog").border_title)
        assert "Type 'production/c-deploy-api'" in text(modal, "#ac-confirm-label")
        await type_into(pilot, modal, "#ac-confirm", "c-deploy-api")
        assert run_button(modal).disabled  # the step alone is not enough in production
        modal.query_one("#ac-confirm", Input).focus()
        await pilot.press("enter")
        assert "not yet: type 'production/c-deploy-api'" in text(modal, "#ac-status") and not sent(app, RunActions)
        await type_into(pilot, modal, "#ac-confirm", "production/c-deploy-api")
        await pilot.press("enter")  # enter in the field runs once everything is typed
        await wait_for(pilot, lambda: bool(sent(app, RunActions)), what="RunActions")
        assert sent(app, RunActions) == [RunActions("c-deploy-api", confirmation="production")]


async def test_a_red_gate_is_listed_and_needs_a_reason_which_is_sent(state_file):
    app = make_app(state_file, fake=True)
    gate = ("b-health-api: FAILED (HTTP 503)", "b-checks-green: not run yet")
    app.engine.plans["b-e2e"] = preview(gate=gate)
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_modal(pilot)
        plan = text(modal, "#ac-plan")
        assert "Gate not green" in plan and "✗ b-health-api: FAILED (HTTP 503)" in plan and "✗ b-checks-green" in plan
        assert modal.query_one("#ac-override").display
        await type_into(pilot, modal, "#ac-confirm", "b-e2e")
        assert run_button(modal).disabled  # no reason yet
        await type_into(pilot, modal, "#ac-override", "   ")
        assert run_button(modal).disabled  # blank is not a reason
        await type_into(pilot, modal, "#ac-override", "API health flaps on the fake; verified by hand")
        assert not run_button(modal).disabled
        await pilot.click("#ac-run")
        await wait_for(pilot, lambda: bool(sent(app, RunActions)), what="RunActions")
        assert sent(app, RunActions) == [RunActions("b-e2e", override="API health flaps on the fake; verified by hand")]


async def test_an_unknown_outcome_offers_the_lookup_and_needs_force(state_file):
    app = make_app(state_file, fake=True)
    unknown = ("outcome unknown: action 1 (github_workflow deploy-api.yml) of b-e2e, started by bob at 2026-12-07T03:00:00Z, "
               "has no outcome in the journal",)
    app.engine.plans["b-e2e"] = preview(unknown=unknown)
    app.engine.lookups["b-e2e"] = "GitHub lists run 42 since the intent: https://github.com/avnz/payments/actions/runs/42"
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_modal(pilot)
        assert "outcome is UNKNOWN" in text(modal, "#ac-plan") and "started by bob" in text(modal, "#ac-plan")
        assert modal.query_one("#ac-lookup").display and modal.query_one("#ac-force").display
        await pilot.click("#ac-lookup")
        await wait_for(pilot, lambda: "run 42" in text(modal, "#ac-lookup-answer"), what="the lookup's answer")
        assert [c.step_id for c in sent(app, AskRunLookup)] == ["b-e2e"]
        await type_into(pilot, modal, "#ac-confirm", "b-e2e")
        assert run_button(modal).disabled  # the outcome is unknown: force not typed
        await type_into(pilot, modal, "#ac-force", "yes")
        assert run_button(modal).disabled
        await type_into(pilot, modal, "#ac-force", "force")
        assert not run_button(modal).disabled
        await pilot.click("#ac-run")
        await wait_for(pilot, lambda: bool(sent(app, RunActions)), what="RunActions")
        assert sent(app, RunActions) == [RunActions("b-e2e", force=True)]


async def test_problems_mean_close_only_and_a_failed_lookup_says_why(state_file):
    app = make_app(state_file, fake=True)
    app.engine.plans["comms-engineering"] = preview(
        "comms-engineering", text=SLACK_TEXT,
        problems=("action 1 (slack): no webhook for #engineering: set SLACK_WEBHOOK_ENGINEERING",))
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_modal(pilot, "comms-engineering")
        plan = text(modal, "#ac-plan")
        assert "text: Phase B on staging by operator: [b-e2e] passed" in plan  # the Slack text, for review
        assert "Cannot run:" in plan and "set SLACK_WEBHOOK_ENGINEERING" in plan
        assert "cannot run: the problems are under the plan" in text(modal, "#ac-status")
        assert not modal.query_one("#ac-run").display and not modal.query_one("#ac-form").display
        assert modal.query_one("#ac-close", Button).has_focus
        await pilot.press("enter")  # Close
        await wait_for(pilot, lambda: not isinstance(app.screen, ActionsScreen), what="the modal to close")
        assert not sent(app, RunActions)


async def test_an_engine_without_an_answer_shows_the_error_and_runs_nothing(state_file):
    app = make_app(state_file, fake=True)  # no plan scripted: the fake answers with an error
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_modal(pilot)
        assert "no plan: no answer scripted for b-e2e" in text(modal, "#ac-status")
        assert not modal.query_one("#ac-run").display
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ActionsScreen), what="esc to close")
        assert not sent(app, RunActions)


async def test_read_only_shows_the_plan_without_a_run(state_file):
    app = make_app(state_file, read_only=True, fake=True)
    app.engine.plans["b-e2e"] = preview()
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_modal(pilot)
        assert "$ npx playwright test" in text(modal, "#ac-plan")
        assert "read-only: nothing will be run" in text(modal, "#ac-status")
        assert "READ-ONLY" in " ".join(str(s.render()) for s in modal.query(Static))
        assert not modal.query_one("#ac-run").display and not modal.query_one("#ac-form").display


async def test_a_step_without_actions_says_so(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        select(app, "pre-typescript")
        await pilot.pause()
        assert "Run" not in [k.description for k in app.screen.query_one("KeysBar").keys]  # offered where it runs
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, ActionsScreen) and not sent(app, AskActionPlan)
        assert any("pre-typescript has no actions" in str(n.message) for n in app._notifications)
        select(app, "b-e2e")
        await pilot.pause()
        assert "Run" in [k.description for k in app.screen.query_one("KeysBar").keys]


def row(app, step_id: str) -> str:
    return app.screen.query_one(Checklist).get_option(step_id).prompt.plain


def log_lines(app) -> list[str]:
    """The output as drawn (screen lines of the Log)."""
    return list(app.screen.query_one("#action-log", Log).lines)


def panel(app) -> ActionPanel:
    return app.screen.query_one(ActionPanel)


async def start_run(pilot, step_id: str = "b-e2e") -> None:
    pilot.app.engine.plans[step_id] = preview(step_id)
    modal = await open_modal(pilot, step_id)
    await type_into(pilot, modal, "#ac-confirm", step_id)
    await pilot.click("#ac-run")
    await wait_for(pilot, lambda: bool(sent(pilot.app, RunActions)), what="RunActions")


async def test_the_run_streams_into_the_detail_and_ends_with_its_evidence(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        select(app, "b-e2e")
        await pilot.pause()
        assert "1. command: cd apps/admin-dashboard ; npx playwright test" in str(app.screen.query_one(StepDetail).render())
        assert not panel(app).display
        await start_run(pilot)
        assert "▶running" in row(app, "b-e2e")
        assert panel(app).display and "RUNNING" in text(app.screen, "#action-header")
        app.engine.replay([ActionProgress("b-e2e", 0, "Running 12 tests\n[31m✓ login\x1b[0m\n[markup]not[/markup]")])
        await wait_for(pilot, lambda: len(log_lines(app)) == 3, what="the output drawn")
        assert log_lines(app) == ["[1] Running 12 tests", "[1] [31m✓ login", "[1] [markup]not[/markup]"]  # plain text, no escape
        assert "3 lines" in text(app.screen, "#action-header")
        app.engine.replay([ActionProgress("b-e2e", 0, "\n".join(f"test {i} ok" for i in range(600)))])
        await wait_for(pilot, lambda: log_lines(app)[-1:] == ["[1] test 599 ok"], what="600 more lines drawn")
        assert len(panel(app).run.lines) == 500 and log_lines(app)[-1] == "[1] test 599 ok" and len(log_lines(app)) == 500
        app.engine.replay([ActionEnded("b-e2e", True, "command exit 0 in 3.1 s; tail: 12 passed")])
        await wait_for(pilot, lambda: "PASSED" in text(app.screen, "#action-verdict"), what="the verdict")
        assert "command exit 0 in 3.1 s" in text(app.screen, "#action-verdict")
        assert "✓ran" in row(app, "b-e2e") and "▶running" not in row(app, "b-e2e")
        verdict = app.screen.query_one("#action-verdict", Static).render()
        assert "green" in str(verdict.spans[0].style)


async def test_a_failed_and_an_unknown_end_are_styled_and_never_read_as_passed(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        select(app, "b-e2e")
        await start_run(pilot)
        app.engine.replay([ActionEnded("b-e2e", False, "command exit 1 in 2.0 s; tail: 3 failed")])
        await wait_for(pilot, lambda: "FAILED" in text(app.screen, "#action-verdict"), what="the failure")
        assert "✗RUN-FAILED" in row(app, "b-e2e")
        assert "on ansi_red" in str(app.screen.query_one("#action-verdict", Static).render().spans[0].style)
        # A cockpit that died mid-dispatch: the engine reports the intent without outcome on resume
        app.engine.replay([ActionEnded("comms-engineering", False, "outcome unknown: action 1 (slack #engineering)", unknown=True)])
        await wait_for(pilot, lambda: "?UNKNOWN" in row(app, "comms-engineering"), what="the unknown badge")
        assert row(app, "comms-engineering").startswith("[ ]")
        select(app, "comms-engineering")
        await pilot.pause()
        assert "outcome UNKNOWN: outcome unknown: action 1" in text(app.screen, "#action-verdict")
        # A guard said no: nothing went out, and the row never reads as a run that failed
        app.engine.replay([ActionEnded("comms-product", False, "waiting for approval: comms-product needs a second operator; "
                                       "nothing sent", refused=True)])
        await wait_for(pilot, lambda: "⊘refused" in row(app, "comms-product"), what="the refused badge")
        select(app, "comms-product")
        await pilot.pause()
        assert "REFUSED, nothing sent: waiting for approval" in text(app.screen, "#action-verdict")
        assert "FAILED" not in text(app.screen, "#action-verdict") and "FAILED" not in row(app, "comms-product")


async def test_escape_stops_the_running_step_and_says_stopping_until_it_ends(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("escape")  # nothing runs: esc is no stop
        assert not sent(app, StopAction)
        select(app, "b-e2e")
        await start_run(pilot)
        keys = [k.description for k in app.screen.query_one("KeysBar").keys]
        assert "Stop" in keys and "Run" in keys
        select(app, "pre-typescript")  # the only run is stopped even from another step
        await pilot.press("escape")
        assert sent(app, StopAction) == [StopAction("b-e2e")]
        assert "■stopping" in row(app, "b-e2e")
        select(app, "b-e2e")
        await pilot.pause()
        assert "STOPPING" in text(app.screen, "#action-header")
        app.engine.replay([ActionProgress("b-e2e", -1, "stop asked (action 1/1 (command))"),
                           ActionEnded("b-e2e", False, "command stopped (SIGTERM) after 1.2 s")])
        await wait_for(pilot, lambda: "FAILED" in text(app.screen, "#action-verdict"), what="the end")
        assert "» stop asked" in log_lines(app)[-1]
        await pilot.pause()
        assert "Stop" not in [k.description for k in app.screen.query_one("KeysBar").keys]


async def test_escape_in_a_modal_closes_it_and_stops_nothing(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        select(app, "b-e2e")
        await start_run(pilot)
        await pilot.press("question_mark")
        await pilot.press("escape")  # closes the help
        await pilot.pause()
        assert not sent(app, StopAction) and app.screen is app.cockpit


async def test_x_on_a_running_step_says_so_and_an_engine_death_leaves_the_run_unknown(state_file):
    from cockpit.engine.events import EngineProblem

    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        select(app, "b-e2e")
        await start_run(pilot)
        asked = len(sent(app, AskActionPlan))
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, ActionsScreen) and len(sent(app, AskActionPlan)) == asked
        assert any("b-e2e are running: esc stops them" in str(n.message) for n in app._notifications)
        app.engine.replay([EngineProblem("engine process exited (code -9); restarting", down=True)])
        await wait_for(pilot, lambda: "?UNKNOWN" in row(app, "b-e2e"), what="the run's outcome unknown")
        assert "the engine died while it ran" in text(app.screen, "#action-verdict")
        assert "Stop" not in [k.description for k in app.screen.query_one("KeysBar").keys]


def screen_rows(app) -> list[str]:
    """The terminal's rows as drawn (from the screenshot's text), for what an operator actually sees."""
    import html
    import re

    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', app.export_screenshot()):
        rows.setdefault(float(m[2]), []).append((float(m[1]), html.unescape(m[3]).replace("\xa0", " ")))
    return ["".join(t for _, t in sorted(parts)) for _, parts in sorted(rows.items())]


async def test_long_output_lines_are_cut_into_pieces_that_lose_no_character(state_file):
    """A line wider than the detail is cut into pieces; every piece must fit what is visible, also once the output
    makes the detail scroll (its scrollbar takes columns): a lost character would make a value read as another."""
    long = "".join("QWXJZ"[(i * 7 + i // 5) % 5] for i in range(150))
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        select(app, "b-e2e")
        await start_run(pilot)
        app.engine.replay([ActionProgress("b-e2e", 0, "\n".join([f"filler {i}" for i in range(40)] + [long]))])
        await wait_for(pilot, lambda: len(log_lines(app)) > 40, what="the output drawn")
        scroll = app.screen.query_one("#detail-scroll")

        def at_the_end() -> bool:
            # on a loaded machine the layout may still grow after the first scroll: scroll again until it stays put
            scroll.scroll_end(animate=False)
            return scroll.max_scroll_y > 0 and scroll.scroll_y == scroll.max_scroll_y and "filler 39" in "".join(screen_rows(app))

        await wait_for(pilot, at_the_end, what="the detail scrolled to its end")
        await pilot.pause()
        rows = screen_rows(app)
        drawn = "".join(piece for row in rows for piece in re.findall(r"[QWXJZ]{2,}", row[:48]))
    assert drawn.startswith(long), f"drawn {len(drawn)} of {len(long)}: " + "\n".join(r[:50] for r in rows)


async def test_a_narrower_detail_cuts_the_output_again(state_file):
    long = "".join("QWXJZ"[(i * 7 + i // 5) % 5] for i in range(150))
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(100, 40)) as pilot:  # one column: the detail is the screen's width
        select(app, "b-e2e")
        await start_run(pilot)
        app.engine.replay([ActionProgress("b-e2e", 0, long)])
        await wait_for(pilot, lambda: len(log_lines(app)) > 1, what="the output drawn")
        wide = len(log_lines(app))
        await pilot.resize_terminal(160, 40)  # two columns: the detail is a third as wide
        await wait_for(pilot, lambda: len(log_lines(app)) > wide, what="the output cut again")
        app.screen.query_one("#detail-scroll").scroll_end(animate=False)
        await pilot.pause()
        drawn = "".join(piece for row in screen_rows(app) for piece in re.findall(r"[QWXJZ]{2,}", row[:62]))
    assert drawn == long, f"drawn {len(drawn)} of {len(long)}"
