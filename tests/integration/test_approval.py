"""The two-person rule end to end on both journals (SQLite, PostgreSQL): `cockpit run` of a step with
`approval = "second-operator"` journals a request and sends nothing; `cockpit approve` by another operator (never the
requester, never --read-only) lets one run through; an expired request or approval counts for nothing. Real bash."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from cockpit.cli import main
from cockpit.engine.approvals import APPROVAL, REQUEST, USED
from cockpit.journal.opening import open_store
from cockpit.journal.progress import ACTION
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook
from cockpit.runbook.model import Action, Runbook
from tests.conftest import FIXED_NOW
from tests.integration.test_run_actions import with_actions

ALICE, BOB = "alice@laptop", "bob@bastion"


@pytest.fixture
def guarded(tmp_path, monkeypatch):
    """The bundled runbook with `b-e2e` touching `ran` and needing a second operator, loaded by the CLI too."""
    work = tmp_path / "work"
    work.mkdir()
    runbook = with_actions(load_runbook(), work, b_e2e=(Action("command", run="touch ran"),))
    phases = tuple(replace(p, steps=tuple(replace(s, approval="second-operator") if s.id == "b-e2e" else s for s in p.steps))
                   for p in runbook.phases)
    runbook = replace(runbook, phases=phases)
    monkeypatch.setattr("cockpit.commands.context.load_runbook", lambda path: runbook)
    return runbook, work


def cli(capsys, location: Any, who: str, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--env", "staging", "--state", str(location), "--who", who])
    out, err = capsys.readouterr()
    return code, out + err


def journal(location: Any, runbook: Runbook) -> list[Any]:
    store = open_store(location, read_only=True)
    try:
        return RunSession(store, runbook.id, runbook.version, "staging", "reader").events_after(0)
    finally:
        store.close()


def kinds(location: Any, runbook: Runbook) -> list[tuple[str, str]]:
    return [(e.kind, e.who) for e in journal(location, runbook) if e.step_id == "b-e2e"]


def test_a_run_waits_for_a_second_operator_who_approves_then_the_rerun_goes_through_once(capsys, journal_location, guarded):
    runbook, work = guarded
    code, out = cli(capsys, journal_location, BOB, "run", "b-e2e", "--yes")
    assert code == 1 and "waiting for approval: b-e2e needs a second operator" in out and "cockpit approve b-e2e" in out
    assert not (work / "ran").exists()
    (request,) = [e for e in journal(journal_location, runbook) if e.kind == REQUEST]
    assert request.who == BOB and request.payload["environment"] == "staging" and request.payload["what"][0]["run"] == "touch ran"
    code, out = cli(capsys, journal_location, BOB, "run", "b-e2e", "--yes")  # asking again makes no second request
    assert code == 1 and "waiting for approval" in out and len([k for k in kinds(journal_location, runbook) if k[0] == REQUEST]) == 1

    code, out = cli(capsys, journal_location, BOB, "approve", "b-e2e")
    assert code == 1 and "refused: bob@bastion asked for it: a second operator (a different --who) must approve b-e2e" in out
    code, out = cli(capsys, journal_location, ALICE, "approve", "b-e2e")
    assert code == 0 and out.startswith("approved b-e2e for bob@bastion (staging): the approval counts until "), out
    code, out = cli(capsys, journal_location, ALICE, "approve", "b-e2e")  # approved already: nothing more to approve
    assert code == 1 and "no request of b-e2e waits for approval" in out
    assert not (work / "ran").exists()  # approving sends nothing

    code, out = cli(capsys, journal_location, BOB, "run", "b-e2e", "--yes")
    assert code == 0, out
    assert (work / "ran").exists()
    steps = [(k, w) for k, w in kinds(journal_location, runbook) if k in (REQUEST, APPROVAL, USED, ACTION)]
    assert steps[:4] == [(REQUEST, BOB), (APPROVAL, ALICE), (USED, BOB), (ACTION, BOB)]
    (work / "ran").unlink()
    code, out = cli(capsys, journal_location, BOB, "run", "b-e2e", "--yes")  # one approval, one run
    assert code == 1 and "waiting for approval" in out and not (work / "ran").exists()


def test_the_requesters_approval_of_another_who_runs_only_for_the_requester(capsys, journal_location, guarded):
    runbook, work = guarded
    cli(capsys, journal_location, BOB, "run", "b-e2e", "--yes")
    assert cli(capsys, journal_location, ALICE, "approve", "b-e2e")[0] == 0
    code, out = cli(capsys, journal_location, "carol@desk", "run", "b-e2e", "--yes")  # bob's approval is not carol's
    assert code == 1 and "waiting for approval" in out and not (work / "ran").exists()


def test_read_only_cannot_approve(capsys, journal_location, guarded):
    runbook, _ = guarded
    cli(capsys, journal_location, BOB, "run", "b-e2e", "--yes")
    code, out = cli(capsys, journal_location, ALICE, "approve", "b-e2e", "--read-only")
    assert code == 1 and "refused: read-only: nothing is approved" in out
    assert [k for k, _ in kinds(journal_location, runbook)] == [REQUEST]


def test_an_expired_request_cannot_be_approved_and_an_expired_approval_does_not_count(capsys, journal_location, guarded):
    runbook, work = guarded
    old = {who: RunSession(open_store(journal_location, clock=lambda: FIXED_NOW), runbook.id, runbook.version, "staging", who)
           for who in (ALICE, BOB)}
    request = old[BOB].record("b-e2e", REQUEST, {"who": BOB, "environment": "staging", "what": []})
    code, out = cli(capsys, journal_location, ALICE, "approve", "b-e2e")  # asked long ago: more than 15 minutes
    assert code == 1 and "no request of b-e2e waits for approval" in out
    old[ALICE].record("b-e2e", APPROVAL, {"request": request.id, "requested_by": BOB, "who": ALICE})  # given long ago
    for s in old.values():
        s.journal.close()
    code, out = cli(capsys, journal_location, BOB, "run", "b-e2e", "--yes")
    assert code == 1 and "waiting for approval" in out and not (work / "ran").exists()
    assert [k for k, _ in kinds(journal_location, runbook)] == [REQUEST, APPROVAL, REQUEST]  # a fresh request


def test_a_rollback_waits_for_a_second_operator_too(capsys, aws, tmp_path, monkeypatch):
    import boto3

    from cockpit.runbook.model import ApprovalSettings
    from cockpit.stack.ecs_seed import API, seed_ecs

    ecs = boto3.client("ecs")
    seed = seed_ecs(ecs, revisions=4, inactive=(), dashboard_revisions=1, dashboard_inactive=(), decoy=False)
    runbook = replace(load_runbook(), approval=ApprovalSettings(rollbacks="second-operator"))
    monkeypatch.setattr("cockpit.commands.context.load_runbook", lambda path: runbook)
    state = tmp_path / "journal.sqlite3"
    running = lambda: ecs.describe_services(cluster="avnz-payment-cluster", services=[API])["services"][0]["taskDefinition"]  # noqa: E731
    back = ("rollback", "--service", API, "--to", "3", "--confirm", API, "--no-wait")
    code, out = cli(capsys, state, BOB, *back)
    assert code == 1 and f"waiting for approval: rollback:{API} needs a second operator" in out and running() == seed.arn(API, 4)
    assert cli(capsys, state, BOB, "approve", f"rollback:{API}")[0] == 1  # not one's own
    code, out = cli(capsys, state, ALICE, "approve", f"rollback:{API}")
    assert code == 0 and out.startswith(f"approved rollback:{API} for bob@bastion"), out
    code, out = cli(capsys, state, BOB, *back)
    assert code == 0, out
    assert running() == seed.arn(API, 3)
    code, out = cli(capsys, state, ALICE, "approve", "rollback:no-such-service")
    assert code == 2 and "is not a service of staging" in out


def test_a_run_refused_by_its_gate_keeps_its_approval(capsys, state_file, guarded, monkeypatch):
    runbook, work = guarded
    phases = tuple(replace(p, steps=tuple(replace(s, gate=("a-redis-ping",)) if s.id == "b-e2e" else s for s in p.steps))
                   for p in runbook.phases)
    gated = replace(runbook, phases=phases)  # REDIS_URL is not set here: the gate's check cannot pass
    monkeypatch.setattr("cockpit.commands.context.load_runbook", lambda path: gated)
    cli(capsys, state_file, BOB, "run", "b-e2e", "--yes")
    assert cli(capsys, state_file, ALICE, "approve", "b-e2e")[0] == 0
    code, out = cli(capsys, state_file, BOB, "run", "b-e2e", "--yes")
    assert code == 1 and "the gate of b-e2e is not green" in out and not (work / "ran").exists()
    code, out = cli(capsys, state_file, BOB, "run", "b-e2e", "--yes", "--override", "redis checked by hand")
    assert code == 0, out
    assert (work / "ran").exists()
    assert [k for k, _ in kinds(state_file, gated) if k in (REQUEST, APPROVAL, USED)] == [REQUEST, APPROVAL, USED]
