"""`approval = "second-operator"` on a step, `[approval]`: loaded, defaulted, every mistake named with FILE:LINE."""

from __future__ import annotations

from pathlib import Path

from cockpit.runbook import load_runbook, validate_file

BASE = """\
[runbook]
id = "t"
name = "Test"
version = "1"
owner = "me"

[environments.production]
production = true

[[phases]]
id = "ship"
title = "Ship"

[[phases.steps]]
id = "deploy"
title = "Deploy"
kind = "command"
approval = "second-operator"

[[phases.steps.actions]]
kind = "command"
run = "./deploy.sh"

[[phases.steps]]
id = "look"
title = "Look at it"
kind = "manual"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rb.toml"
    path.write_text(text)
    return path


def test_a_steps_approval_loads_and_the_settings_default_to_fifteen_minutes_and_no_rollback_approval(tmp_path):
    runbook = load_runbook(write(tmp_path, BASE))
    assert runbook.step("deploy").approval == "second-operator" and runbook.step("look").approval == ""
    assert runbook.approval.expires_minutes == 15.0 and runbook.approval.rollbacks == ""
    runbook = load_runbook(write(tmp_path, BASE + '\n[approval]\nexpires_minutes = 5\nrollbacks = "second-operator"\n'))
    assert runbook.approval.expires_minutes == 5.0 and runbook.approval.rollbacks == "second-operator"


def test_an_unknown_approval_kind_is_named_with_its_line(tmp_path):
    path = write(tmp_path, BASE.replace('approval = "second-operator"', 'approval = "boss"'))
    problems = validate_file(path)
    assert any(p.startswith(f"{path}:18: ") and "second-operator" in p for p in problems), problems


def test_an_approval_on_a_step_without_actions_holds_nothing_and_is_an_error(tmp_path):
    path = write(tmp_path, BASE + 'approval = "second-operator"\n')  # on "look", line 28
    problems = validate_file(path)
    assert problems == [f"{path}:28: phases[0].steps[1].approval: step 'look' has no actions: an approval would hold nothing"]


def test_an_expiry_of_zero_minutes_is_an_error_with_its_line(tmp_path):
    path = write(tmp_path, BASE + "\n[approval]\nexpires_minutes = 0\n")
    problems = validate_file(path)
    assert problems == [f"{path}:30: approval.expires_minutes: must be greater than 0 (minutes an approval counts)"]
    path = write(tmp_path, BASE + '\n[approval]\nrollbacks = "nobody"\n')
    assert any(p.startswith(f"{path}:30: ") for p in validate_file(path))
