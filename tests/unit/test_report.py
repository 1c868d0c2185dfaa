"""The release report (cockpit/report/): built from a journal, written as Markdown and JSON.

The Markdown is rendered with markdown-it's GitHub-like preset (tables, strikethrough, autolinks of
bare URLs and e-mail addresses, raw HTML allowed) to see what a paste into GitHub would make of it.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from markdown_it import MarkdownIt

from cockpit.report import SCHEMA, build_report, to_json, to_markdown
from tests.unit.report_support import RUNBOOK, START, Script

NOW = START.replace(hour=22)
GFM = MarkdownIt("gfm-like")
HOSTILE = ("\x1b[31mred\x1b[0m \x1b]0;title\x07 col|umn `tick` <script>alert(1)</script> [x](javascript:alert(1)) "
           "*bold* _it_ ~~gone~~ <img src=x onerror=alert(1)> http://evil.example/x www.evil.example &lt;b&gt; ops@evil.example")


def report_of(script: Script, env_name: str = "staging"):
    return build_report(RUNBOOK, RUNBOOK.environments[env_name], script.session.run, script.events(), NOW)


@pytest.fixture
def script(tmp_path):
    s = Script(tmp_path / "journal.sqlite3")
    yield s
    s.close()


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def test_hostile_text_is_inert_in_markdown_and_plain_in_json(script):
    script.record(1, "a-redis-ping", "check", {"status": "fail", "evidence": HOSTILE})
    script.record(2, "a-redis-ping", "note", {"text": "# heading\n1. not a list\n- nor this\n+ nor this | cell"})
    script.record(3, "pre-docs", "tick", {"evidence": HOSTILE})
    report = report_of(script)
    text = to_markdown(report)
    assert "\x1b" not in text and "\x07" not in text
    html = GFM.render(text)
    assert "<script" not in html and "<img" not in html and "<s>" not in html and "<em>" not in html
    assert links(html) == []  # no URL, www. or e-mail of outside text became a link
    headings = re.findall(r"<h\d>([^<]*)", html)
    assert "heading" not in " ".join(headings)
    assert "<ol" not in html  # "1. not a list" stayed text
    for table in re.findall(r"<table>.*?</table>", html, re.S):  # every row of every table has its columns: no | broke out
        widths = {len(re.findall(r"<t[dh]", row)) for row in re.findall(r"<tr>.*?</tr>", table, re.S)}
        assert len(widths) == 1, widths
    assert "col|umn `tick` <script>alert(1)</script> [x](javascript:alert(1))" in html.replace("&lt;", "<").replace("&gt;", ">")
    data = json.loads(to_json(report))
    (check,) = [s["check"] for p in data["phases"] for s in p["steps"] if s["check"]]
    assert check["evidence"].startswith("red col|umn `tick` <script>")  # plain text: escape sequences gone, nothing escaped
    assert "\x1b" not in to_json(report)


def test_a_note_starting_like_markup_stays_a_line_of_text(script):
    script.record(1, "a-redis-ping", "note", {"text": "1. first"})
    script.record(2, "a-db-pool", "note", {"text": "# not a heading"})
    text = to_markdown(report_of(script))
    assert "  - note by alice@bastion at 2026-11-27 20:01:00: 1\\. first" in text
    html = GFM.render(text)
    assert "<ol" not in html and "not a heading</h" not in html


def test_secrets_never_reach_either_format(script):
    script.record(1, "a-db-pool", "check", {"status": "fail",
                                             "evidence": "DATABASE_URL=postgresql://avnz:s3cr3t-pw@db.internal:5432/avnz refused"})
    script.record(2, "a-db-pool", "note", {"text": "called the API with Authorization: Bearer eyJhbGciOi.abc.def and it said 401"})
    script.record(3, "a-redis-ping", "tick", {"evidence": "redis://:hunter22@cache:6379 PONG"})
    report = report_of(script)
    for text in (to_markdown(report), to_json(report)):
        assert "s3cr3t-pw" not in text and "eyJhbGciOi" not in text and "hunter22" not in text
        assert "avnz:\\*\\*\\*" in text or "avnz:***" in text


def test_phase_time_is_first_to_last_event_against_the_plan(script):
    script.record(0, "a-redis-ping", "check", {"status": "pass", "evidence": "PONG"})
    script.record(10, "a-redis-ping", "tick", {"evidence": "PONG"})
    script.record(20, "a-db-pool", "tick")
    script.record(42, "a-env-vars", "tick")  # Phase A planned 30 min: took 42
    script.record(50, "b-health-status", "note", {"text": "looking"})  # Phase B (45 min planned): started
    report = report_of(script)
    phases = {p.id: p for p in report.phases}
    a, b, c = phases["phase-a"], phases["phase-b"], phases["phase-c"]
    assert (a.status, a.planned_minutes, a.actual_seconds, a.over_plan, a.done, a.total) == ("done", 30, 42 * 60, True, 3, 3)
    assert (b.status, b.actual_seconds, b.over_plan) == ("in progress", 0, False)
    assert c.status == "not applicable"  # a production-only phase in staging
    assert phases["post"].status == "not started" and phases["post"].actual_seconds is None
    text = to_markdown(report)
    assert "| Phase A: Infrastructure Preparation | done | 30 min | **42 min, over plan** | 3/3 |" in text
    assert "| Post-Deployment Verification | not started | – | not started | 0/9 |" in text
    data = json.loads(to_json(report))
    (phase_a,) = [p for p in data["phases"] if p["id"] == "phase-a"]
    assert phase_a["over_plan"] is True and phase_a["started_at"] == "2026-11-27T20:00:00.000Z"


def test_participants_say_who_did_what_and_when(script):
    script.record(1, "pre-docs", "tick")
    script.record(2, "pre-qa-review", "tick", who="bob@laptop")
    script.record(3, "pre-docs", "note", {"text": "docs link in the ticket"})
    script.record(4, "a-redis-ping", "check", {"status": "pass", "evidence": "PONG"}, who="bob@laptop")
    report = report_of(script)
    assert [(p.who, dict(p.did), p.first_at[11:16], p.last_at[11:16]) for p in report.participants] == [
        ("alice@bastion", {"ticks": 1, "notes": 1}, "20:01", "20:03"),
        ("bob@laptop", {"ticks": 1, "checks": 1}, "20:02", "20:04"),
    ]
    assert "| alice@bastion | 1 note, 1 tick | 2026-11-27 20:01:00 | 2026-11-27 20:03:00 |" in to_markdown(report)


def test_open_and_failed_lists_and_the_status_line(script):
    script.record(1, "a-redis-ping", "check", {"status": "fail", "evidence": "connection refused"})
    script.record(2, "a-db-pool", "check", {"status": "fail", "evidence": "pool_timeout missing"})
    script.record(3, "a-db-pool", "check", {"status": "pass", "evidence": "connection_limit=10"})  # the latest passes
    script.record(4, "a-env-vars", "check", {"status": "inconclusive", "evidence": "too busy to measure"})
    script.record(5, "a-env-vars", "tick", {"override": "checked by hand in the console"})
    intent = script.record(6, "comms-engineering", "action", {"phase": "intent", "index": 0, "kind": "slack", "what": {"channel": "#engineering"}})
    failed = script.record(7, "b-deploy-staging", "action", {"phase": "intent", "index": 0, "kind": "github_workflow",
                                                             "what": {"workflow": "deploy-api.yml", "ref": "main", "repository": "avnz/api"}})
    script.record(9, "b-deploy-staging", "action", {"phase": "outcome", "intent": failed.id, "index": 0, "kind": "github_workflow", "ok": False,
                                                    "unknown": False, "evidence": "run 77 failure after 60 s",
                                                    "html_url": "https://github.com/avnz/api/actions/runs/77"})
    script.record(10, "rollback:avnz-api", "rollback", {"phase": "intent", "from": "arn:x/avnz-api:7", "to": "arn:x/avnz-api:6"})
    script.record(11, "rollback:avnz-api", "rollback", {"phase": "outcome", "status": "failed", "reason": "circuit breaker", "from": "arn:x/avnz-api:7",
                                                       "to": "arn:x/avnz-api:6", "healthy": None})
    script.record(12, "alarm:avnz-api-5xx-errors", "alarm", {"state": "ALARM", "previous": "OK", "reason": "5xx over 1"})
    report = report_of(script)
    assert [(i.kind, i.subject) for i in report.failed] == [("check", "a-redis-ping"), ("check", "a-env-vars"), ("action", "b-deploy-staging"),
                                                           ("rollback", "avnz-api")]
    assert "ticked anyway, override: checked by hand in the console" in report.failed[1].text
    opened = [(i.kind, i.subject) for i in report.left_open if i.kind != "step"]
    assert opened == [("action", "comms-engineering"), ("alarm", "avnz-api-5xx-errors")]
    assert intent.id and "outcome NO OUTCOME" in report.left_open[-2].text
    not_done = [i.subject for i in report.left_open if i.kind == "step"]
    assert "a-env-vars" not in not_done and "a-redis-ping" in not_done and "c-notify-stakeholders" not in not_done  # production only
    assert report.status == (f"open: {len(not_done)} steps not done, 1 action outcome unknown, 1 alarm in ALARM; "
                             "failed: 2 checks, 1 action, 1 rollback")
    text = to_markdown(report)
    assert "[run](https://github.com/avnz/api/actions/runs/77)" in text  # the one link: a run cockpit started
    assert links(GFM.render(text)) == ["https://github.com/avnz/api/actions/runs/77"] * 2  # in the timeline and the actions table


def test_everything_done_and_nothing_failed_is_complete(script):
    minutes = 0
    for phase in RUNBOOK.phases:
        if phase.applies_to("staging") and not phase.contingency:
            for step in phase.steps:
                if step.tickable:
                    minutes += 1
                    script.record(minutes, step.id, "tick")
    report = report_of(script)
    assert report.status == f"complete: {report.total}/{report.total} steps done, nothing failed or left open"
    assert report.left_open == () and report.failed == ()


def test_a_link_is_only_an_http_url_cockpit_made(script):
    intent = script.record(1, "b-deploy-staging", "action", {"phase": "intent", "index": 0, "kind": "github_workflow", "what": {"workflow": "x.yml"}})
    script.record(2, "b-deploy-staging", "action", {"phase": "outcome", "intent": intent.id, "index": 0, "kind": "github_workflow", "ok": True,
                                                    "unknown": False, "evidence": "ok", "html_url": "javascript:alert(1)"})
    report = report_of(script)
    assert report.actions[0].link == "" and links(GFM.render(to_markdown(report))) == []


def test_production_is_unmistakable_and_json_has_schema_and_utc_times(tmp_path):
    script = Script(tmp_path / "journal.sqlite3", env="production")
    try:
        script.record(1, "c-notify-stakeholders", "tick")
        report = report_of(script, "production")
    finally:
        script.close()
    text = to_markdown(report)
    assert text.splitlines()[0].endswith(", PRODUCTION") and "> **PRODUCTION**: this run changed the production environment." in text
    data = json.loads(to_json(report))
    assert list(data)[:3] == ["schema", "runbook", "environment"] and data["schema"] == SCHEMA == "cockpit.report/1"
    assert data["environment"] == {"name": "production", "label": "Production", "production": True}
    assert data["generated_at"] == "2026-11-27T22:00:00.000Z" and data["run"]["started_at"] == "2026-11-27T20:01:00.000Z"
    times = re.findall(r'"(?:at|started_at|ended_at|first_at|last_at)": "([^"]*)"', to_json(report))
    assert times and all(t == "" or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", t) for t in times)


def test_no_run_yet_says_so():
    report = build_report(RUNBOOK, RUNBOOK.environments["staging"], None, [], NOW)
    assert report.run_id is None and report.status == "no run yet: nothing journaled"
    assert "| Run | no run yet |" in to_markdown(report)


def test_without_a_run_record_the_run_starts_at_its_first_event_and_only_its_events_count(script):
    script.record(1, "pre-docs", "tick")
    older = script.events()
    script.session.run = script.journal.start_run(RUNBOOK.id, RUNBOOK.version, "staging", "carol@host")
    script.record(5, "pre-qa-review", "tick", who="carol@host")
    report = build_report(RUNBOOK, RUNBOOK.environments["staging"], None, older + script.events(), NOW)
    assert report.run_id == 2 and (report.started_at[11:16], report.started_by) == ("20:05", "carol@host")
    assert [t.subject for t in report.timeline] == ["pre-qa-review"]


def test_rollback_without_an_outcome_is_left_open_not_failed(script):
    script.record(1, "rollback:avnz-api", "rollback", {"phase": "intent", "from": "arn:x/avnz-api:7", "to": "arn:x/avnz-api:6"})
    script.record(2, "rollback:avnz-api", "rollback", {"phase": "started", "deployment": "ecs-svc/1", "from": "a", "to": "b"})
    report = report_of(script)
    (rollback,) = report.rollbacks
    assert (rollback.status, rollback.ok, rollback.from_revision, rollback.to_revision) == ("no outcome", None, "avnz-api:7", "avnz-api:6")
    assert [i.kind for i in report.failed] == [] and ("rollback", "avnz-api") in [(i.kind, i.subject) for i in report.left_open]
    assert "rollback outcome unknown" in report.status


def test_the_report_is_frozen(script):
    report = report_of(script)
    with pytest.raises(AttributeError):
        report.status = "all good"  # type: ignore[misc]
    assert replace(report, status="x").status == "x"
