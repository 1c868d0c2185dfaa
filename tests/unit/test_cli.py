"""The command line contract: exit codes, one-line errors, status and runs output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cockpit.cli import main
from cockpit.journal import Journal
from cockpit.journal.session import RunSession
from cockpit.runbook import bundled_path, load_runbook


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def tick(state_file, *step_ids: str, env: str = "staging") -> None:
    runbook = load_runbook()
    s = RunSession(Journal(state_file), runbook.id, runbook.version, env, "alice@bastion")
    for step_id in step_ids:
        s.record(step_id, "tick")
    s.record(step_ids[0], "note", {"text": "PONG in 0.4 ms"})
    s.journal.close()


def test_validate_ok_and_problems(capsys, tmp_path):
    code, out, _ = run(capsys, "runbook", "validate")
    assert code == 0 and out.strip() == f"{bundled_path()}: ok"
    bad = tmp_path / "bad.toml"
    bad.write_text(bundled_path().read_text().replace('kind = "manual"', 'kind = "manul"', 1))
    code, out, _ = run(capsys, "runbook", "validate", str(bad))
    assert code == 2
    line = bad.read_text().splitlines().index('kind = "manul"') + 1
    assert out.splitlines() == [f"{bad}:{line}: phases[0].steps[0].kind: unknown step kind 'manul' (one of: manual, check, command, info)"]


def test_show_prints_an_outline(capsys):
    code, out, _ = run(capsys, "runbook", "show")
    assert code == 0
    assert "Phase A: Infrastructure Preparation  (30 min · low risk)" in out
    assert "redis_url     not configured: set REDIS_URL" in out
    assert "avnz-db-pool-exhausted" in out


def test_show_masks_passwords(capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:s3cret@db:5432/avnz?connection_limit=10")
    code, out, _ = run(capsys, "runbook", "show")
    assert "postgresql://app:***@db:5432/avnz?connection_limit=10" in out and "s3cret" not in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["status", "--env", "prod"], "cockpit: unknown environment 'prod' (the runbook defines: production, staging)"),
        (["status", "--runbook", "/nonexistent.toml"], "cockpit: invalid runbook: /nonexistent.toml:1: cannot read: No such file or directory"),
        (["--new-run", "--read-only"], "cockpit: --new-run writes to the journal: it cannot be used with --read-only"),
        (["--env", "qa"], "cockpit: unknown environment 'qa' (the runbook defines: production, staging)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, state_file, argv, message):
    code, out, err = run(capsys, *argv, "--state", str(state_file))
    assert code == 2 and out == ""
    assert err == message + "\n"


def test_bad_state_file_is_exit_2(capsys, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("garbage " * 200)
    code, _, err = run(capsys, "status", "--state", str(junk))
    assert code == 2 and err.count("\n") == 1 and "is not a cockpit journal" in err


def test_argparse_errors_are_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "cockpit", "stauts"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "invalid choice: 'stauts'" in proc.stderr


def test_status_json_shows_who_and_when(capsys, state_file):
    tick(state_file, "pre-typescript", "a-redis-ping")
    code, out, _ = run(capsys, "status", "--json", "--state", str(state_file))
    assert code == 0
    report = json.loads(out)
    steps = {s["id"]: s for s in report["steps"]}
    assert report["environment"] == "staging" and report["run"]["started_by"] == "alice@bastion"
    assert steps["pre-typescript"]["status"] == "done" and steps["pre-typescript"]["by"] == "alice@bastion"
    assert steps["pre-typescript"]["notes"][0]["text"] == "PONG in 0.4 ms"
    assert steps["pre-e2e-created"]["status"] == "open"
    assert steps["c-deploy-api"]["status"] == "not-applicable"
    assert steps["rb-redis-fallback"]["status"] == "info"
    assert report["progress"] == {"done": 2, "total": 39}


def test_status_text_and_other_environment(capsys, state_file):
    tick(state_file, "pre-typescript")
    code, out, _ = run(capsys, "status", "--state", str(state_file))
    assert code == 0 and "[x] pre-typescript" in out and "alice@bastion" in out and "note 2026-" in out and "PONG in 0.4 ms" in out
    code, out, _ = run(capsys, "status", "--env", "production", "--state", str(state_file))
    assert code == 0 and "no run yet" in out and "[x]" not in out


def test_state_from_environment_variable_and_directory(capsys, tmp_path, monkeypatch):
    tick(tmp_path / "journal.sqlite3", "pre-docs")
    monkeypatch.setenv("COCKPIT_STATE", str(tmp_path))
    code, out, _ = run(capsys, "status", "--json")
    assert code == 0 and {s["id"] for s in json.loads(out)["steps"] if s["status"] == "done"} == {"pre-docs"}


def test_runs_lists_runs(capsys, state_file):
    tick(state_file, "pre-typescript", "pre-docs")
    tick(state_file, "a-redis-ping", env="production")
    code, out, _ = run(capsys, "runs", "--json", "--state", str(state_file))
    rows = json.loads(out)
    assert code == 0 and [(r["environment"], r["events"]) for r in rows] == [("staging", 3), ("production", 2)]
    code, out, _ = run(capsys, "runs", "--state", str(state_file))
    assert "staging" in out and "production" in out
    empty = state_file.parent / "empty.db"
    Journal(empty).close()
    code, out, _ = run(capsys, "runs", "--state", str(empty))
    assert code == 0 and out.strip() == "no runs yet"


def test_a_mistyped_state_path_is_an_error_not_an_empty_journal(capsys, tmp_path):
    code, _, err = run(capsys, "status", "--state", str(tmp_path / "typo.db"))
    assert code == 2 and err == f"cockpit: no journal at {tmp_path / 'typo.db'} (check --state / COCKPIT_STATE)\n"
    code, _, err = run(capsys, "--state", str(tmp_path / "nodir" / "j.db"))
    assert code == 2 and err == f"cockpit: state directory {tmp_path / 'nodir'} does not exist\n"
    assert not (tmp_path / "nodir").exists()


def test_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "cockpit", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("cockpit ")


def test_show_never_writes_terminal_escapes(capsys, tmp_path):
    hostile = tmp_path / "hostile.toml"
    hostile.write_text(bundled_path().read_text().replace('"TypeScript compilation passes"', '"TS \\u001b]0;pwned\\u0007ok \\u001b[2J"', 1))
    code, out, _ = run(capsys, "runbook", "show", str(hostile))
    assert code == 0 and "TS ok" in out and "\x1b" not in out and "\x07" not in out


def test_status_lists_the_alarm_states_the_run_saw(capsys, state_file):
    runbook = load_runbook()
    s = RunSession(Journal(state_file), runbook.id, runbook.version, "staging", "alice@bastion")
    s.record("alarm:avnz-api-5xx-errors", "alarm", {"state": "OK", "previous": "", "reason": "fine"})
    s.record("alarm:avnz-api-5xx-errors", "alarm", {"state": "ALARM", "previous": "OK", "reason": "1 datapoint [7.0] \x1b[2J"})
    s.journal.close()
    code, out, _ = run(capsys, "status", "--json", "--state", str(state_file))
    alarms = json.loads(out)["alarms"]
    assert [(a["name"], a["state"], a["previous"]) for a in alarms] == [("avnz-api-5xx-errors", "OK", None), ("avnz-api-5xx-errors", "ALARM", "OK")]
    code, out, _ = run(capsys, "status", "--state", str(state_file))
    assert "avnz-api-5xx-errors ALARM (was OK): 1 datapoint [7.0]" in out and "\x1b" not in out
    assert json.loads(run(capsys, "status", "--json", "--state", str(state_file))[1])["progress"]["done"] == 0


def test_status_lists_rollbacks(capsys, state_file):
    runbook = load_runbook()
    s = RunSession(Journal(state_file), runbook.id, runbook.version, "staging", "alice@bastion")
    plan = {"service": "avnz-api", "from": "arn:aws:ecs:r:1:task-definition/avnz-api:155", "to": "arn:aws:ecs:r:1:task-definition/avnz-api:154"}
    s.record("rollback:avnz-api", "rollback", {"phase": "intent", **plan})
    s.record("rollback:avnz-api", "rollback", {"phase": "outcome", **plan, "status": "rolled back by ECS", "reason": "circuit breaker"})
    s.journal.close()
    code, out, _ = run(capsys, "status", "--state", str(state_file))
    assert "avnz-api intent avnz-api:155 → avnz-api:154" in out and "avnz-api outcome avnz-api:155 → avnz-api:154: rolled back by ECS circuit breaker" in out
    report = json.loads(run(capsys, "status", "--json", "--state", str(state_file))[1])
    assert [r["phase"] for r in report["rollbacks"]] == ["intent", "outcome"]


def test_the_demo_never_writes_into_an_existing_journal(capsys, state_file):
    """Its ticks come from a stand-in stack: joined to a real run they would be lies."""
    state_file.write_bytes(b"")  # any existing file: a real journal or not
    code, out, err = run(capsys, "demo", "--state", str(state_file))
    assert code == 2 and out == ""
    assert err == f"cockpit: cockpit demo writes its journal only to a new file: {state_file} exists (name another with --state)\n"
