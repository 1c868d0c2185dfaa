"""The journal's deploys, rollbacks and alarm transitions as markers on the charts' time axis."""

from __future__ import annotations

from datetime import UTC, datetime

from cockpit.journal import Event
from cockpit.journal.markers import Marker, epoch, markers

AT = "2026-11-27T14:02:05Z"
T = datetime(2026, 11, 27, 14, 2, 5, tzinfo=UTC).timestamp()
WORKFLOW = {"workflow": "deploy-api.yml", "repository": "avnz/platform", "ref": "main", "inputs": {"environment": "staging"}}


def event(id, step_id, kind, payload, at=AT, who="alice"):
    return Event(id, 1, at, who, "avnz", "1", "staging", step_id, kind, payload)


def intent(id=1, kind="github_workflow", index=0, what=None, step="b-deploy-staging"):
    return event(id, step, "action", {"phase": "intent", "index": index, "kind": kind, "what": what or WORKFLOW,
                                      "environment": "staging", "who": "alice"})


def outcome(intent_id=1, ok=False, unknown=False, evidence="run 7 failure after 93 s: https://github.com/x", kind="github_workflow"):
    return event(intent_id + 1, "b-deploy-staging", "action", {"phase": "outcome", "intent": intent_id, "index": 0, "kind": kind,
                                                               "ok": ok, "evidence": evidence, "unknown": unknown}, at="2026-11-27T14:05:00Z")


def test_epoch_reads_the_journal_utc_time_once():
    assert epoch(AT) == T
    assert epoch("2026-11-27T14:02:05+00:00") == T
    assert epoch("not a time") is None
    assert epoch("2026-11-27T14:02:05") is None  # no zone: not a point on a UTC axis


def test_a_workflow_intent_is_a_deploy_named_by_the_runbook_service():
    found = markers([intent()], {("b-deploy-staging", 0): "avnz-api"})
    assert found == [Marker(T, "deploy", "deploy started: avnz-api (b-deploy-staging) by alice", False)]


def test_without_the_runbook_the_workflow_names_the_deploy():
    assert markers([intent()])[0].label == "deploy started: deploy-api.yml (b-deploy-staging) by alice"


def test_a_passing_outcome_adds_nothing_a_failed_or_unknown_one_is_bad():
    assert len(markers([intent(), outcome(ok=True)])) == 1
    failed = markers([intent(), outcome()], {("b-deploy-staging", 0): "avnz-api"})[1]
    assert failed.bad and failed.kind == "deploy"
    assert failed.label == "deploy FAILED: avnz-api (b-deploy-staging): run 7 failure after 93 s: https://github.com/x"
    unknown = markers([intent(), outcome(unknown=True, evidence="stopped watching run 7")])[1]
    assert unknown.bad and unknown.label.startswith("deploy outcome UNKNOWN: deploy-api.yml")


def test_other_action_kinds_are_no_deploys():
    command = intent(kind="command", what={"run": "npm run build"})
    assert markers([command, outcome(kind="command")]) == []


def test_a_service_seen_rolled_out_is_live():
    arn = "arn:aws:ecs:eu-west-2:123456789012:task-definition/avnz-api:25"
    assert markers([event(5, "service:avnz-api", "service", {"task_definition": arn})]) == [Marker(T, "deploy", "avnz-api:25 live")]


def rollback(id, phase, **fields):
    plan = {"environment": "staging", "cluster": "avnz", "service": "avnz-api",
            "from": "arn:aws:ecs:r:1:task-definition/avnz-api:25", "to": "arn:aws:ecs:r:1:task-definition/avnz-api:24"}
    return event(id, "rollback:avnz-api", "rollback", {"phase": phase, **plan, **fields}, who="bob")


def test_a_rollback_started_and_its_outcome():
    found = markers([rollback(1, "intent"), rollback(2, "started", deployment="ecs-svc/1"),
                     rollback(3, "outcome", status="completed", reason="done", healthy=True, health="ok")])
    assert [(m.kind, m.label, m.bad) for m in found] == [
        ("rollback", "rollback started: avnz-api to avnz-api:24 by bob", False),
        ("rollback", "avnz-api rolled back (completed)", False),
    ]


def test_a_failed_or_unhealthy_rollback_is_bad():
    failed = markers([rollback(3, "outcome", status="failed", reason="tasks failed to start", healthy=None)])[0]
    assert failed.bad and failed.label == "avnz-api NOT rolled back (failed): tasks failed to start"
    sick = markers([rollback(3, "outcome", status="completed", reason="done", healthy=False, health="api DOWN")])[0]
    assert sick.bad and sick.label == "avnz-api rolled back but NOT healthy: api DOWN"


def alarm(id, state, previous):
    return event(id, "alarm:avnz-api-5xx-errors", "alarm", {"state": state, "previous": previous, "reason": "Threshold crossed"})


def test_alarm_transitions_bad_into_alarm():
    found = markers([alarm(1, "ALARM", "OK"), alarm(2, "OK", "ALARM")])
    assert [(m.label, m.bad) for m in found] == [("avnz-api-5xx-errors OK -> ALARM", True), ("avnz-api-5xx-errors ALARM -> OK", False)]


def test_a_first_reading_marks_only_an_alarm_firing():
    assert markers([alarm(1, "OK", "")]) == []
    assert markers([alarm(1, "ALARM", "")])[0].label == "avnz-api-5xx-errors ALARM"


def test_payload_text_is_one_line_without_control_characters():
    evil = event(1, "alarm:x\x1b[31m", "alarm", {"state": "ALARM\n\x07", "previous": "OK\x1b]0;title\x07"})
    label = markers([evil])[0].label
    assert "\x1b" not in label and "\x07" not in label and "\n" not in label
    assert label == "x OK -> ALARM"


def test_ticks_notes_and_unreadable_times_are_no_markers():
    assert markers([event(1, "pre-e2e", "tick", {}), event(2, "pre-e2e", "note", {"text": "x"}),
                    event(3, "service:avnz-api", "service", {"task_definition": "a:1"}, at="garbage")]) == []


def test_markers_come_in_time_order():
    late = alarm(1, "ALARM", "OK")
    early = event(2, "service:avnz-api", "service", {"task_definition": "avnz-api:3"}, at="2026-11-27T13:00:00Z")
    assert [m.label for m in markers([late, early])] == ["avnz-api:3 live", "avnz-api-5xx-errors OK -> ALARM"]
