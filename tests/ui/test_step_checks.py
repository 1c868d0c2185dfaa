"""Automated checks from the checklist: enter runs one, results are journaled, ticks need evidence."""

from __future__ import annotations

import boto3
from textual.widgets import Input

from cockpit.checks.result import inconclusive
from cockpit.stack.ecs_seed import seed_ecs
from cockpit.ui.screens.note import NoteScreen
from cockpit.ui.widgets.checklist import Checklist
from tests.conftest import live_setup, make_app, settle
from tests.servers.ecs_extra import dashboard_with_release_names
from tests.ui.test_checklist import detail, journal_events, prompt


async def select(pilot, step_id: str) -> None:
    checklist = pilot.app.screen.query_one(Checklist)
    checklist.highlighted = checklist.get_option_index(step_id)
    await pilot.pause()


async def run_check(pilot, step_id: str) -> None:
    await select(pilot, step_id)
    await pilot.press("enter")
    await settle(pilot)  # the check worker
    await settle(pilot)  # then the journal writes


def kinds(state_file) -> list[tuple[str, str, dict]]:
    return [(e.step_id, e.kind, e.payload) for e in journal_events(state_file)]


async def test_a_passing_check_is_journaled_and_ticks_its_step(state_file, runbook, redis_server):
    rb, _ = live_setup(runbook, redis_url=redis_server.url)
    app = make_app(state_file, runbook=rb)
    async with app.run_test(size=(160, 48)) as pilot:
        await run_check(pilot, "a-redis-ping")
        (check, tick) = kinds(state_file)
        assert check[:2] == ("a-redis-ping", "check") and check[2]["status"] == "pass"
        assert check[2]["evidence"].startswith("PONG in ") and check[2]["latency_ms"] > 0
        assert tick == ("a-redis-ping", "tick", {"evidence": check[2]["evidence"]})
        assert prompt(app, "a-redis-ping").startswith("[x]") and "✓check" in prompt(app, "a-redis-ping")
        text = detail(app)
        assert "Last check: PASS by operator@bastion" in text and "Ticked on evidence: PONG in" in text


async def test_a_failing_check_is_journaled_and_ticks_nothing(state_file, runbook, redis_fault):
    rb, _ = live_setup(runbook, redis_url=redis_fault.url)
    redis_fault.stop()
    app = make_app(state_file, runbook=rb)
    async with app.run_test(size=(160, 48)) as pilot:
        await run_check(pilot, "a-redis-ping")
        assert kinds(state_file) == [
            ("a-redis-ping", "check", {"status": "fail", "evidence": f"connection refused: 127.0.0.1:{redis_fault.port}", "latency_ms": None})
        ]
        assert prompt(app, "a-redis-ping").startswith("[ ]") and "✗CHECK-FAILED" in prompt(app, "a-redis-ping")
        assert "Last check: FAIL" in detail(app) and "connection refused" in detail(app)


async def test_ticking_a_check_step_by_hand_needs_evidence_or_an_override(state_file, runbook, aws):
    seed_ecs(boto3.client("ecs"))
    dashboard_with_release_names(boto3.client("ecs"))  # env_vars also reads the services' task definitions
    app = make_app(state_file, environ={"REDIS_URL": "x", "DATABASE_URL": "y", "INTEGRATION_ENCRYPTION_KEY": "z"})
    async with app.run_test(size=(160, 48)) as pilot:
        await select(pilot, "a-db-pool")  # never checked
        await pilot.press("space")
        await pilot.pause()
        assert isinstance(app.screen, NoteScreen)
        await pilot.press("escape")  # cancelled: nothing happens
        await settle(pilot)
        assert kinds(state_file) == [] and prompt(app, "a-db-pool").startswith("[ ]")
        await pilot.press("space")
        await pilot.pause()
        app.screen.query_one(Input).value = "verified in the AWS console, DATABASE_URL is only on the task"
        await pilot.press("enter")
        await settle(pilot)
        assert kinds(state_file) == [("a-db-pool", "tick", {"override": "verified in the AWS console, DATABASE_URL is only on the task"})]
        assert "override" in prompt(app, "a-db-pool") and "Ticked by OVERRIDE: verified" in detail(app)
        # env_vars looks at the app's environ: a pass, then space ticks with that evidence, no dialog
        await run_check(pilot, "a-env-vars")
        await select(pilot, "a-env-vars")
        await pilot.press("space")  # untick (a pass ticked it)
        await settle(pilot)
        await pilot.press("space")  # tick again: the passing check is on record
        await settle(pilot)
        assert not isinstance(app.screen, NoteScreen)
        assert kinds(state_file)[-1] == ("a-env-vars", "tick", {"evidence": "set: REDIS_URL, DATABASE_URL, INTEGRATION_ENCRYPTION_KEY; task definitions: avnz-api (avnz-api:155): all defined; avnz-admin-dashboard (avnz-admin-dashboard:13): needs none of these (names only, values are never shown)"})


async def test_an_inconclusive_check_is_journaled_ticks_nothing_and_reads_as_not_passed(state_file):
    evidence = "p99 14.00 ms over 200 PINGs > 10 ms limit, but cockpit's own event loop stalled up to 15.0 ms"
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await select(pilot, "post-redis-latency")
        await app.engine.engine.check_finished("post-redis-latency", inconclusive(evidence, 14.0))  # as a real run ends
        app.engine.engine.flush_now()  # its events now, not at the next flush (the screen tracks no check it did not ask for)
        await settle(pilot)
        assert kinds(state_file) == [("post-redis-latency", "check", {"status": "inconclusive", "evidence": evidence, "latency_ms": 14.0})]
        assert prompt(app, "post-redis-latency").startswith("[ ]")  # never ticked
        assert "Last check: INCONCLUSIVE (not passed) by operator@bastion" in detail(app)
        notes = [n.message for n in app._notifications]
        assert any(m.startswith("post-redis-latency INCONCLUSIVE (not passed): p99 14.00 ms") for m in notes), notes
        await pilot.press("space")  # a tick by hand needs a reason, and says why
        await pilot.pause()
        assert isinstance(app.screen, NoteScreen) and "its last check was inconclusive" in str(app.screen.explain)


async def test_enter_on_a_manual_step_runs_nothing(state_file):
    app = make_app(state_file)
    async with app.run_test(size=(160, 48)) as pilot:
        await run_check(pilot, "pre-typescript")
        assert kinds(state_file) == [] and prompt(app, "pre-typescript").startswith("[ ]")


async def test_read_only_runs_no_check(state_file, runbook, redis_server):
    make_app(state_file).session.record("pre-typescript", "tick")  # the journal exists
    rb, _ = live_setup(runbook, redis_url=redis_server.url)
    app = make_app(state_file, runbook=rb, read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await run_check(pilot, "a-redis-ping")
        assert not app.screen.checking and "Check: not run yet" in detail(app)  # never started
        assert [k[:2] for k in kinds(state_file)] == [("pre-typescript", "tick")]


async def test_evidence_with_brackets_is_shown_as_text(state_file, runbook, fake_api):
    fake_api.pages["/vendors/companies"] = "redirect"  # to /login?next=[/vendors/companies]
    rb, _ = live_setup(runbook, app_url=fake_api.url)
    app = make_app(state_file, runbook=rb)
    async with app.run_test(size=(160, 48)) as pilot:
        await run_check(pilot, "b-page-vendor-companies")
        (check, tick) = kinds(state_file)
        assert check[2]["evidence"].startswith("HTTP 200 after 1 redirect(s) to http://127.0.0.1:")
        assert check[2]["evidence"].split(" · ")[0].endswith("/login?next=[/vendors/companies]")
        assert app.is_running and "next=[/vendors/companies]" in detail(app)
