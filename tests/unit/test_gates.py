"""engine/gates.py on a real SQLite journal: the last result counts, only a pass is green, every environment a
phase runs in must have passed, unknown is never green, and how old a green result is reads plainly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cockpit.checks.result import failed, inconclusive, passed
from cockpit.engine.gates import age, evaluate
from cockpit.journal import Journal
from cockpit.journal.progress import CHECK
from cockpit.journal.session import RunSession
from cockpit.journal.store import JournalError
from cockpit.runbook import load_runbook

RUNBOOK = """\
[runbook]
id = "t"
name = "Test"
version = "1"
owner = "me"

[environments.staging]
[environments.qa]
[environments.production]

[[phases]]
id = "verify"
title = "Verify"
environments = ["staging", "qa"]

[[phases.steps]]
id = "health"
title = "Health"
kind = "check"
check = { type = "health" }

[[phases.steps]]
id = "pages"
title = "Pages"
kind = "check"
check = { type = "page", path = "/" }

[[phases]]
id = "ship"
title = "Ship"
environments = ["production"]
gate = ["health", "pages"]

[[phases.steps]]
id = "api"
title = "API health"
kind = "check"
check = { type = "health" }

[[phases.steps]]
id = "deploy"
title = "Deploy"
kind = "command"
gate = ["api"]

[[phases.steps.actions]]
kind = "command"
run = "true"
"""
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def runbook(tmp_path):
    path = tmp_path / "rb.toml"
    path.write_text(RUNBOOK)
    return load_runbook(path, environ={})


@pytest.fixture
def journal(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite3", clock=lambda: NOW - timedelta(minutes=125))
    yield journal
    journal.close()


def record(journal, env: str, step: str, result) -> None:
    RunSession(journal, "t", "1", env, "op@bastion").record(step, CHECK, result.to_payload())


def reader(journal):
    async def read_run(environment: str):
        run = journal.latest_run("t", environment)
        return run, ([] if run is None else journal.events(run.id))
    return read_run


def live(results):
    async def run_checks(ids):
        return {i: results[i] for i in ids if i in results}
    return run_checks


async def gate(runbook, journal, results=None):
    return await evaluate(runbook, runbook.environments["production"], "deploy", live(results or {"api": passed("200 healthy")}),
                          reader(journal), now=lambda: NOW)


async def test_passed_in_every_environment_and_live_is_green_with_ages(runbook, journal):
    for env in ("staging", "qa"):
        for step in ("health", "pages"):
            record(journal, env, step, passed("ok"))
    report = await gate(runbook, journal)
    assert report.green and report.failing == ()
    assert [line.check for line in report.lines] == ["health", "health", "pages", "pages", "api"]
    assert report.lines[0].text == "health passed in staging at 2026-12-07T09:55:00.000Z (2 h 5 min ago)"
    assert report.lines[1].text.startswith("health passed in qa at ")
    assert report.lines[4].text == "api passed just now: 200 healthy"


async def test_the_last_result_counts_and_a_failure_names_its_evidence(runbook, journal):
    for env in ("staging", "qa"):
        record(journal, env, "health", passed("ok"))
        record(journal, env, "pages", passed("ok"))
    record(journal, "staging", "pages", failed("HTTP 500 \x1b[31mboom\x1b[0m"))  # outside text: no escapes in a gate line
    report = await gate(runbook, journal)
    assert report.failing == ("pages failed in staging at 2026-12-07T09:55:00.000Z: HTTP 500 boom",)
    record(journal, "staging", "pages", passed("ok again"))
    assert (await gate(runbook, journal)).green


async def test_a_phase_of_two_environments_needs_a_pass_in_each(runbook, journal):
    record(journal, "staging", "health", passed("ok"))
    record(journal, "staging", "pages", passed("ok"))
    record(journal, "qa", "health", inconclusive("the loop stalled 300 ms"))
    report = await gate(runbook, journal)
    assert report.failing == (
        "health was inconclusive in qa at 2026-12-07T09:55:00.000Z: the loop stalled 300 ms",
        "pages never checked in qa",
    )


async def test_no_run_a_live_failure_and_an_unreadable_journal_are_never_green(runbook, journal):
    report = await gate(runbook, journal, {"api": failed("redis unhealthy")})
    assert report.failing == (
        "health never checked in staging (no staging run in the journal)", "health never checked in qa (no qa run in the journal)",
        "pages never checked in staging (no staging run in the journal)", "pages never checked in qa (no qa run in the journal)",
        "api failed just now: redis unhealthy",
    )

    async def unreadable(environment: str):
        raise JournalError("state file j.sqlite3 is locked by another process (database is locked); nothing was written")

    env = runbook.environments["production"]
    report = await evaluate(runbook, env, "deploy", None, unreadable, now=lambda: NOW)
    assert report.failing[0] == ("health unknown in staging: the journal cannot be read: state file j.sqlite3 is locked by another "
                                 "process (database is locked); nothing was written")
    assert report.failing[-1] == "api unknown: checks cannot be run here"
    report = await evaluate(runbook, env, "deploy", live({}), None, now=lambda: NOW)
    assert report.failing[0] == "health unknown in staging: no journal to read it from"
    assert report.failing[-1] == "api unknown: its check did not run"


async def test_a_check_step_is_not_gated_and_an_unknown_step_has_no_gate(runbook, journal):
    env = runbook.environments["production"]
    assert (await evaluate(runbook, env, "api", None, None)).lines == ()
    assert (await evaluate(runbook, env, "nope", None, None)).lines == ()


def test_age_reads_plainly():
    at = "2026-12-07T12:00:00.000Z"
    assert [age(at, datetime(2026, 12, 7, 12, 0, s, tzinfo=UTC)) for s in (0, 42)] == ["0 s", "42 s"]
    assert age(at, datetime(2026, 12, 7, 12, 5, 59, tzinfo=UTC)) == "5 min"
    assert age(at, datetime(2026, 12, 7, 15, 4, tzinfo=UTC)) == "3 h 4 min"
    assert age(at, datetime(2026, 12, 9, 13, 0, tzinfo=UTC)) == "2 d 1 h"
    assert age("not a time", NOW) == "?"
