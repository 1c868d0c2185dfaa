"""`cockpit report`: which run, where it goes, and one line with exit 2 for bad input."""

from __future__ import annotations

import json
import os

import pytest

from cockpit.cli import main
from tests.unit.report_support import Script


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def state(tmp_path):
    path = tmp_path / "journal.sqlite3"
    script = Script(path)
    script.record(1, "pre-docs", "tick")
    script.record(2, "a-redis-ping", "check", {"status": "fail", "evidence": "connection refused"})
    script.close()
    return path


def test_prints_the_latest_runs_markdown_by_default(capsys, state):
    code, out, err = run(capsys, "--state", str(state))
    assert code == 0 and err == ""
    assert out.startswith("# Release report: AVNZ Payment Platform") and "| Run | #1, started 2026-11-27 20:01:00 by alice@bastion |" in out
    assert "- check `a-redis-ping` at 2026-11-27 20:02:00: FAIL: connection refused" in out


def test_json_format(capsys, state):
    code, out, _ = run(capsys, "--state", str(state), "--format", "json", "--run", "1")
    data = json.loads(out)
    assert code == 0 and data["schema"] == "cockpit.report/1" and data["run"]["id"] == 1
    assert [(t["kind"], t["subject"]) for t in data["timeline"]] == [("tick", "pre-docs"), ("check", "a-redis-ping")]


def test_the_run_of_another_environment_is_reported_in_its_environment(capsys, state):
    script = Script(state, env="production", who="bob@bastion")
    script.record(30, "c-notify-stakeholders", "tick")
    script.close()
    code, out, _ = run(capsys, "--state", str(state), "--run", "2")
    assert code == 0 and out.splitlines()[0].endswith(", PRODUCTION")
    code, _, err = run(capsys, "--state", str(state), "--run", "2", "--env", "staging")
    assert code == 2 and err == "cockpit: run #2 is a production run, not staging: use --env production\n"


@pytest.mark.parametrize("argv, message", [
    (["--run", "9"], "no run #9 in {state} (cockpit runs lists them)"),
    (["--env", "production"], "no run of avnz-phase-1-4 in production in {state} (cockpit runs lists them)"),
    (["--env", "nowhere"], "unknown environment 'nowhere' (the runbook defines: production, staging)"),
    (["--out", "/nonexistent-dir/r.md"], "cannot write the report to /nonexistent-dir/r.md: the directory /nonexistent-dir does not exist"),
    (["--out", "{dir}"], "cannot write the report to {dir}: is a directory"),
    (["--out", "{state}"], "--out {state} is the journal itself: name another file"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, state, argv, message):
    fill = {"state": str(state), "dir": str(state.parent)}
    code, out, err = run(capsys, "--state", str(state), *(a.format(**fill) for a in argv))
    assert (code, out, err) == (2, "", f"cockpit: {message.format(**fill)}\n")


def test_a_run_of_another_runbook_is_refused(capsys, state, tmp_path):
    from cockpit.journal import Journal

    journal = Journal(state)
    other = journal.start_run("someone-elses-plan", "1.0", "staging", "eve@host")
    journal.close()
    code, _, err = run(capsys, "--state", str(state), "--run", str(other.id))
    assert code == 2 and err == (f"cockpit: run #{other.id} is a run of someone-elses-plan, not of avnz-phase-1-4: "
                                 "name its runbook with --runbook\n")


def test_out_writes_the_file_and_replaces_one_there(capsys, state, tmp_path):
    target = tmp_path / "notes.md"
    target.write_text("an older report\n")
    os.chmod(target, 0o640)
    code, out, err = run(capsys, "--state", str(state), "--out", str(target))
    assert code == 0 and err == "" and out == f"report of run #1 (staging, md) written to {target}\n"
    assert target.read_text().startswith("# Release report") and (target.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".notes")) == []  # no temporary file left


def test_a_directory_that_takes_no_file_is_exit_2(capsys, state):
    code, out, err = run(capsys, "--state", str(state), "--out", "/proc/cockpit-report.md")  # /proc takes no new file, even from root
    assert (code, out) == (2, "") and err.startswith("cockpit: cannot write the report to /proc/cockpit-report.md: ") and err.count("\n") == 1


def test_an_unwritable_directory_is_exit_2_and_leaves_the_file(capsys, state, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into a read-only directory (the /proc case above covers root)")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "r.md").write_text("kept\n")
    locked.chmod(0o500)
    try:
        code, _, err = run(capsys, "--state", str(state), "--out", str(locked / "r.md"))
    finally:
        locked.chmod(0o700)
    assert code == 2 and err.startswith(f"cockpit: cannot write the report to {locked / 'r.md'}: ")
    assert (locked / "r.md").read_text() == "kept\n"


def test_the_journal_is_only_read_and_never_created(capsys, tmp_path):
    missing = tmp_path / "none.sqlite3"
    code, _, err = run(capsys, "--state", str(missing))
    assert code == 2 and err == f"cockpit: no run of avnz-phase-1-4 in staging in {missing} (cockpit runs lists them)\n"
    assert list(tmp_path.iterdir()) == []


def test_help_says_what_out_does(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    assert "replacing FILE if it exists" in " ".join(capsys.readouterr().out.split())


def test_a_run_made_with_another_runbook_version_is_refused(capsys, state):
    from cockpit.journal import Journal

    journal = Journal(state)
    older = journal.start_run("avnz-phase-1-4", "0.9", "staging", "eve@host")
    journal.close()
    code, _, err = run(capsys, "--state", str(state))  # the latest run of the runbook in staging
    assert code == 2 and err == (f"cockpit: run #{older.id} was made with version 0.9 of avnz-phase-1-4, this runbook is version 1.0: "
                                 "report it with that version of the runbook\n")
