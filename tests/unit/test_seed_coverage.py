"""The bundled runbook carries every item of the seed deployment plan, verbatim."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from cockpit.runbook import bundled_path, load_runbook

SEED = (Path(__file__).parent.parent / "fixtures" / "seed-deployment-plan.md").read_text()
RUNBOOK = load_runbook(environ={})
RAW = tomllib.loads(bundled_path().read_text())


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


CORPUS = "\n".join(_strings(RAW))
STEP_TITLES = {step.title for _, step in RUNBOOK.steps()}
CODE_LINES = {
    line.strip()
    for text in [s.command for _, s in RUNBOOK.steps()]
    + [q.command for q in RUNBOOK.log_queries]
    + [RUNBOOK.feature_flags_code]
    + [a.code for a in RUNBOOK.appendix]
    for line in text.splitlines()
}


def seed_checklist_items() -> list[str]:
    return re.findall(r"^\s*- \[[ x]\] (.+?)\s*$", SEED, re.M)


def seed_code_lines() -> list[str]:
    blocks = re.findall(r"```[a-z]*\n(.*?)```", SEED, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def seed_table_rows() -> list[list[str]]:
    rows = []
    for line in SEED.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0] not in ("Feature", "Metric", "Role"):
                rows.append(cells)
    return rows


def test_seed_parsing_found_everything():
    # guards the parsers below: the seed has 19 checklist items, 6+3+3 table rows
    assert len(seed_checklist_items()) == 8 + 8 + 6
    assert len(seed_table_rows()) == 12
    assert len(seed_code_lines()) > 50


@pytest.mark.parametrize("item", seed_checklist_items())
def test_every_checklist_item_is_a_step(item):
    assert item in STEP_TITLES


@pytest.mark.parametrize("line", seed_code_lines())
def test_every_command_line_is_carried_verbatim(line):
    assert line in CODE_LINES


@pytest.mark.parametrize("row", seed_table_rows(), ids=lambda r: r[0])
def test_every_table_row_is_carried(row):
    first = row[0]
    if "@" in row[1]:  # contacts
        assert any((c.role, c.contact, c.escalation) == tuple(row) for c in RUNBOOK.contacts)
    elif first in {t.title for t in RUNBOOK.thresholds}:
        threshold = next(t for t in RUNBOOK.thresholds if t.title == first)
        assert threshold.action == row[2]
        step = next(s for _, s in RUNBOOK.steps() if s.title == first)
        assert step.expected == row[1] and row[2] in step.notes
    else:  # functional tests: feature, test, expected result
        step = next(s for _, s in RUNBOOK.steps() if s.title == first and s.id.startswith("post-"))
        assert step.expected == row[2]
        assert row[1].replace("`", "") in step.notes


def test_thresholds_have_the_plans_limits():
    assert {t.title: t.limit_ms for t in RUNBOOK.thresholds} == {
        "API p99 latency": 500,
        "Dashboard TTFB": 1000,
        "Redis latency": 10,
    }


def test_alarms_log_queries_flags_and_rollback():
    assert [a.name for a in RUNBOOK.alarms] == re.findall(r"^- `(avnz-[a-z0-9-]+)`", SEED, re.M)
    assert [(q.log_group, q.filter_pattern, q.window_minutes) for q in RUNBOOK.log_queries] == [
        ("/ecs/avnz-api", "Redis", 60),
        ("/ecs/avnz-api", "momentum", 60),
    ]
    assert [f.name for f in RUNBOOK.feature_flags] == re.findall(r"process\.env\.(\w+)", SEED)
    assert [(t.service, t.family) for t in RUNBOOK.rollback_targets] == [
        ("avnz-api", "avnz-api"),
        ("avnz-admin-dashboard", "avnz-admin-dashboard"),
    ]
    assert {e.name for e in RUNBOOK.required_env} == {"REDIS_URL", "DATABASE_URL", "INTEGRATION_ENCRYPTION_KEY"}


def test_plain_list_items_and_phase_facts():
    bullets = re.findall(r"^(?:\d+\.|-) (?!\[|`|\*\*)(.+?)\s*$", SEED, re.M)
    bullets = [b.rstrip(":") for b in bullets]
    missing = [b for b in bullets if b not in CORPUS and b.split(" (")[0] not in CORPUS]
    assert missing == []
    phases = {p.title: (p.duration_minutes, p.risk) for p in RUNBOOK.phases}
    assert phases["Phase A: Infrastructure Preparation"] == (30, "low")
    assert phases["Phase B: Staging Deployment"] == (45, "low")
    assert phases["Phase C: Production Deployment"] == (30, "medium")
    assert (RUNBOOK.version, RUNBOOK.owner, RUNBOOK.status) == ("1.0", "DevOps Team", "Ready for Execution")
