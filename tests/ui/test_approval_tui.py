"""The two-person rule in the TUI, with a real in-loop engine on a real journal: another operator's request shows on the
step (who, since when, how to approve), `a` approves it (journaled as this cockpit's operator), read-only cannot."""

from __future__ import annotations

from dataclasses import replace

from cockpit.engine.approvals import APPROVAL, REQUEST
from cockpit.journal import Journal
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook
from tests.conftest import WHO, make_app
from tests.ui.test_actions_tui import select
from tests.ui.test_live import wait_for

BOB = "bob@laptop"


def guarded_runbook():
    runbook = load_runbook()
    phases = tuple(replace(p, steps=tuple(replace(s, approval="second-operator") if s.id == "b-e2e" else s for s in p.steps))
                   for p in runbook.phases)
    return replace(runbook, phases=phases)


def bob_asks(state_file, runbook) -> None:
    journal = Journal(state_file)  # the real clock: a fresh request
    RunSession(journal, runbook.id, runbook.version, "staging", BOB).record(
        "b-e2e", REQUEST, {"who": BOB, "environment": "staging", "what": [{"run": "npx playwright test"}]})
    journal.close()


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_shows_who_waits_and_approves_as_this_operator(state_file):
    runbook = guarded_runbook()
    bob_asks(state_file, runbook)
    app = make_app(state_file, runbook=runbook)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.cockpit.runs.get("b-e2e") is not None, what="the request on the step")
        run = app.cockpit.runs.get("b-e2e")
        assert run.by == BOB and "waiting for approval: bob@laptop asked at " in run.lines[-1] and "cockpit approve b-e2e" in run.lines[-1]
        assert app.cockpit.runs.badge("b-e2e").plain == "▶bob"
        select(app, "b-e2e")
        await pilot.pause()
        await pilot.press("a")
        await wait_for(pilot, lambda: any("approved b-e2e for bob@laptop" in m for m in messages(app)), what="the approval")
        approvals = [e for e in app.session.events_after(0) if e.kind == APPROVAL]
        assert [(e.who, e.payload["requested_by"]) for e in approvals] == [(WHO, BOB)]
        await pilot.press("a")  # approved already: the engine says why not, nothing journaled
        await wait_for(pilot, lambda: any("not approved: no request of b-e2e waits" in m for m in messages(app)), what="the refusal")
        assert len([e for e in app.session.events_after(0) if e.kind == APPROVAL]) == 1


async def test_read_only_cannot_approve(state_file):
    runbook = guarded_runbook()
    bob_asks(state_file, runbook)
    app = make_app(state_file, runbook=runbook, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        select(app, "b-e2e")
        await pilot.pause()
        await pilot.press("a")
        await wait_for(pilot, lambda: any("read-only: this cockpit cannot approve" in m for m in messages(app)), what="the refusal")
    journal = Journal(state_file, read_only=True)
    try:
        assert [e.kind for e in RunSession(journal, runbook.id, runbook.version, "staging", "r").events_after(0)] == [REQUEST]
    finally:
        journal.close()


async def test_a_request_that_expired_long_ago_is_not_shown_as_waiting(state_file):
    from tests.conftest import FIXED_NOW

    runbook = guarded_runbook()
    journal = Journal(state_file, clock=lambda: FIXED_NOW)  # long before now: expired
    RunSession(journal, runbook.id, runbook.version, "staging", BOB).record("b-e2e", REQUEST, {"who": BOB, "environment": "staging", "what": []})
    RunSession(journal, runbook.id, runbook.version, "staging", BOB).record("pre-docs", "tick")  # a later event to wait for
    journal.close()
    app = make_app(state_file, runbook=runbook)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.cockpit.states.get("pre-docs") is not None and app.cockpit.states["pre-docs"].done, what="the journal read")
        await pilot.pause()
        assert app.cockpit.runs.get("b-e2e") is None


async def test_the_waiting_line_says_expired_when_the_request_expires_unapproved(state_file, monkeypatch):
    from tests.integration.test_approval_expiry import LATER, Clock

    clock = Clock()
    monkeypatch.setattr("cockpit.engine.approval_desk.utc_now", clock)  # the engine's desk reads this clock
    monkeypatch.setattr("cockpit.engine.approval_desk.RECHECK_SECONDS", 0.05)
    runbook = guarded_runbook()
    bob_asks(state_file, runbook)
    app = make_app(state_file, runbook=runbook)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.cockpit.runs.get("b-e2e") is not None, what="the request on the step")
        assert app.cockpit.runs.badge("b-e2e").plain == "▶bob"
        clock.ahead = LATER  # nobody approved it: no journal event comes
        run = lambda: app.cockpit.runs.get("b-e2e")  # noqa: E731
        await wait_for(pilot, lambda: not run().active, what="the expiry on the step")
        assert run().evidence.startswith("approval request of bob@laptop to run b-e2e expired at ")
        assert app.cockpit.runs.badge("b-e2e").plain != "▶bob"  # no longer shown as under way
        assert [e.kind for e in app.session.events_after(0)] == [REQUEST]
