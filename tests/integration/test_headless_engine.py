"""The headless verbs run the engine in-process: `cockpit check` through `Engine.check_steps`, `cockpit rollback`
through the engine's rollback desk. What that path adds to tests/integration/test_check_command.py and
test_rollback_command.py: ticks stay the operator's, a journal write that fails while the checks run, a Ctrl+C
during a watched rollout, and the progress lines printed from the engine's events."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from typing import Any

import boto3
import pytest

from cockpit.checks.result import PASS
from cockpit.cli import main
from cockpit.engine.events import CheckDone, EngineEvent, JournalWritten
from cockpit.engine.local import LocalEngine
from cockpit.journal import Journal, JournalError
from cockpit.journal.progress import CHECK, ROLLBACK, ROLLBACK_PREFIX, TICK
from cockpit.journal.session import RunSession
from cockpit.rollback.plan import same
from cockpit.runbook import load_runbook
from cockpit.stack.ecs_seed import API, seed_ecs
from tests.conftest import live_setup
from tests.integration.test_rollback_command import events as journal_events

RUNBOOK = load_runbook()
REFUSED_DB = "postgresql://nobody:wrong@127.0.0.1:1/avnz?connection_limit=10&pool_timeout=10"  # fails at once, no server


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


# -- checks -----------------------------------------------------------------------------------


async def test_check_steps_journals_each_result_and_ticks_a_pass_only_when_asked(state_file, runbook, redis_server):
    rb, env = live_setup(runbook, redis_url=redis_server.url)
    journal = Journal(state_file)
    session = RunSession(journal, rb.id, rb.version, env.name, "op@bastion")
    batches: list[list[EngineEvent]] = []
    local = LocalEngine(rb, env, session, live=False, environ={})
    local.start(batches.append)
    try:
        assert local.engine is not None
        results = await local.engine.check_steps(["a-redis-ping", "no-such-step", "pre-docs"], tick=False)  # no check: skipped
        assert list(results) == ["a-redis-ping"] and results["a-redis-ping"].status == PASS
        assert [(e.step_id, e.kind) for e in session.events_after(0)] == [("a-redis-ping", CHECK)]  # journaled, not ticked
        await local.engine.check_steps(["a-redis-ping"])  # as enter does: a pass ticks the step
        assert [(e.step_id, e.kind) for e in session.events_after(0)] == [("a-redis-ping", CHECK), ("a-redis-ping", CHECK), ("a-redis-ping", TICK)]
    finally:
        await local.stop()
        journal.close()
    events = [e for batch in batches for e in batch]
    assert [e.step_id for e in events if isinstance(e, CheckDone)] == ["a-redis-ping", "a-redis-ping"]
    assert all(not e.error for e in events if isinstance(e, JournalWritten))


def test_a_journal_locked_while_the_checks_run_is_one_line_on_stderr(capsys, monkeypatch, tmp_path, fake_api, fast_runbook):
    """The journal opens; another process locks it while a check waits on a hanging API; the write that follows
    fails (the engine's JournalWritten error): one stderr line, the results printed, the same exit code."""
    state = tmp_path / "journal.sqlite3"
    monkeypatch.setenv("COCKPIT_API_URL", fake_api.url)
    fake_api.health_mode = "hang"
    done: dict[str, int] = {}
    verb = threading.Thread(target=lambda: done.update(code=main(
        ["check", "--runbook", str(fast_runbook), "--state", str(state), "--only", "b-health-status"])))
    verb.start()
    wait_until(lambda: fake_api.hits["/health"] > 0, 20, "the check to reach the API")  # the journal is open by now
    blocker = sqlite3.connect(state, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        verb.join(30)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert not verb.is_alive()
    captured = capsys.readouterr()
    assert done["code"] == 1 and captured.out.splitlines()[-1] == "1 check in staging: 0 passed, 1 failed"
    assert captured.out.startswith("FAIL  b-health-status ") and "timed out" in captured.out
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"cockpit: results not journaled: state file {state} is locked by another process")
    assert journal_events(state) == []


def test_a_run_of_another_runbook_version_is_one_line_on_stderr(capsys, monkeypatch, tmp_path):
    state = tmp_path / "journal.sqlite3"
    journal = Journal(state)
    RunSession(journal, RUNBOOK.id, "0.9", "staging", "op").record("a-db-pool", "note", {"text": "older plan"})
    journal.close()
    monkeypatch.setenv("DATABASE_URL", REFUSED_DB)
    code = main(["check", "--state", str(state), "--only", "a-db-pool"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out.splitlines()[-1] == "1 check in staging: 0 passed, 1 failed"
    assert captured.err.count("\n") == 1 and captured.err.startswith("cockpit: results not journaled: the staging run #1 of avnz-phase-1-4")


# -- rollback ---------------------------------------------------------------------------------

PROGRESS_LINE = re.compile(r"^  [ \d]{4}\d s  \d+/\d+ running  rollout \S+$")  # as `cockpit rollback` always printed it


@pytest.fixture
def seeded(aws):
    return seed_ecs(boto3.client("ecs"), revisions=6, inactive=(2,), dashboard_revisions=1, dashboard_inactive=(), decoy=False)


def rollback_payloads(state) -> list[dict[str, Any]]:
    return [e.payload for e in journal_events(state) if e.kind == ROLLBACK and e.step_id == ROLLBACK_PREFIX + API]


def test_a_watched_rollback_prints_the_engines_progress_as_before(capsys, seeded, tmp_path):
    state = tmp_path / "journal.sqlite3"
    code = main(["rollback", "--service", API, "--state", str(state), "--to", "3", "--confirm", API, "--timeout", "0.3", "--poll", "0.05"])
    out = capsys.readouterr().out.splitlines()
    watched = [line for line in out if "running  rollout" in line]
    assert code == 1 and out[-1].startswith("NOT rolled back (timeout): not finished after 0 s")  # the verdict last
    assert len(watched) >= 2 and all(PROGRESS_LINE.match(line) for line in watched), watched
    assert [p["phase"] for p in rollback_payloads(state)] == ["intent", "started", "outcome"]


def test_ctrl_c_during_the_watch_journals_the_outcome_and_exits_130(seeded, tmp_path):
    state = tmp_path / "journal.sqlite3"
    verb = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "cockpit", "rollback", "--service", API, "--state", str(state), "--to", "3", "--confirm", API,
         "--timeout", "120", "--poll", "0.05"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
        # Ctrl+C as at a terminal. A process started in the background by a non-interactive shell (as CI may start
        # the suite) inherits SIGINT ignored, and Python then installs no KeyboardInterrupt: the verb never heard it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    def phases() -> list[str]:
        try:
            return [p["phase"] for p in rollback_payloads(state)]
        except JournalError:  # the verb is creating the file
            return []

    try:
        wait_until(lambda: phases() == ["intent", "started"], 30, "the rollout to start")
        verb.send_signal(signal.SIGINT)
        try:
            out, err = verb.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # say where it hangs: faulthandler prints every thread's stack on SIGABRT
            verb.send_signal(signal.SIGABRT)
            out, err = verb.communicate(timeout=20)
            raise AssertionError(f"the verb did not exit within 30 s of SIGINT; phases {phases()}; stdout:\n{out}\nstderr:\n{err}") from None
    finally:
        if verb.poll() is None:
            verb.kill()
            verb.wait()
    assert verb.returncode == 130, out + err
    assert "Traceback" not in err
    outcome = rollback_payloads(state)[-1]
    assert (outcome["phase"], outcome["status"]) == ("outcome", "started") and "ECS carries on" in outcome["reason"]
    assert out.splitlines()[-1] == "rollback started, not watched: stopped watching; ECS carries on"
    ecs = boto3.client("ecs")
    assert same(ecs.describe_services(cluster="avnz-payment-cluster", services=[API])["services"][0]["taskDefinition"], seeded.arn(API, 3))
