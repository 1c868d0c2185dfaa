"""Another operator's work in progress (cockpit/engine/in_progress.py) and how the UI's run record shows it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from cockpit.engine.events import ActionEnded, ActionProgress
from cockpit.engine.in_progress import (
    SLACK_SECONDS,
    STALE_MARGIN_SECONDS,
    WORKFLOW_SECONDS,
    action_limit,
    elsewhere,
    rollback_limit,
    since_text,
)
from cockpit.journal import Event
from cockpit.runbook import load_runbook
from cockpit.runbook.model import Action
from cockpit.ui.action_runs import FAILED, RUNNING, ActionRuns

AT = datetime(2026, 12, 7, 13, 5, 30, tzinfo=UTC)


def intent(who: str = "alice@laptop", at: str = "2026-12-07T13:05:30.000Z") -> Event:
    return Event(1, 1, at, who, "avnz", "1", "staging", "b-e2e", "action", {"phase": "intent", "index": 0, "kind": "command"})


def test_another_operators_fresh_intent_is_in_progress_with_who_and_since():
    busy = elsewhere(intent(), "bob@bastion", 100.0, AT + timedelta(seconds=99))
    assert busy is not None and busy.who == "alice@laptop"
    assert busy.text() == "already being done by alice@laptop since 13:05 UTC"


def test_ones_own_intent_a_stale_one_or_an_unreadable_time_is_not_in_progress():
    assert elsewhere(intent(), "alice@laptop", 100.0, AT) is None  # one's own: the cockpit that died, unknown
    assert elsewhere(intent(), "bob@bastion", 100.0, AT + timedelta(seconds=101)) is None  # stale: unknown, as before
    assert elsewhere(intent(at="yesterday"), "bob@bastion", 100.0, AT) is None  # never blocks forever
    assert since_text("yesterday") == "?"


def test_the_limit_is_the_actions_own_time_plus_the_margin():
    rb = load_runbook()
    step = rb.step("b-e2e")
    assert step is not None
    phases = tuple(replace(p, steps=tuple(replace(s, actions=(Action("command", run="x", timeout_seconds=30), Action("command", run="y"),
                                                              Action("slack", channel="#c", text="t"),
                                                              Action("github_workflow", workflow="d.yml", service="api")))
                                          if s.id == "b-e2e" else s for s in p.steps)) for p in rb.phases)
    rb = replace(rb, phases=phases)
    assert action_limit(rb, "b-e2e", 0) == 30 + STALE_MARGIN_SECONDS
    assert action_limit(rb, "b-e2e", 1) == rb.actions.command_timeout_seconds + STALE_MARGIN_SECONDS
    assert action_limit(rb, "b-e2e", 2) == SLACK_SECONDS + STALE_MARGIN_SECONDS
    assert action_limit(rb, "b-e2e", 3) == WORKFLOW_SECONDS + rb.ecs.rollout_timeout_seconds + STALE_MARGIN_SECONDS
    assert rollback_limit(rb) == rb.ecs.rollout_timeout_seconds + STALE_MARGIN_SECONDS


def test_the_ui_shows_another_operators_run_as_in_progress_by_who_and_not_stoppable_here():
    runs = ActionRuns()
    run, _ = runs.progress(ActionProgress("b-e2e", -1, "in progress: already being done by alice@laptop since 13:05 UTC", by="alice@laptop"), 1.0)
    assert run.state == RUNNING and run.by == "alice@laptop" and run.started is None
    header = run.header(2.0).plain
    assert header.startswith("▶ IN PROGRESS by alice@laptop") and "esc stops" not in header
    assert runs.badge("b-e2e").plain == "▶alice" and runs.running() == []  # esc stops nothing of theirs
    runs.ended(ActionEnded("b-e2e", False, "by alice@laptop: exit 1"), 3.0)
    assert run.state == FAILED and run.verdict().plain == "✗ FAILED: by alice@laptop: exit 1"
    mine, _ = runs.progress(ActionProgress("b-e2e", 0, "started"), 4.0)  # a run here afterwards is this cockpit's own
    assert mine is not run and mine.by == "" and runs.running() == ["b-e2e"]
