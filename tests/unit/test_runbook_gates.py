"""`gate = [...]` on phases and steps: loaded as tuples, the effective gate in order, every mistake named with its line."""

from __future__ import annotations

from pathlib import Path

from cockpit.runbook import load_runbook, validate_file
from cockpit.runbook.outline import outline

BASE = """\
[runbook]
id = "t"
name = "Test"
version = "1"
owner = "me"

[environments.staging]
[environments.production]

[[phases]]
id = "verify"
title = "Verify"
environments = ["staging"]

[[phases.steps]]
id = "health"
title = "Health"
kind = "check"
check = { type = "health" }

[[phases.steps]]
id = "look"
title = "Look at it"
kind = "manual"

[[phases]]
id = "ship"
title = "Ship"
gate = ["health", "api"]

[[phases.steps]]
id = "api"
title = "API health"
kind = "check"
check = { type = "health", names = ["redis"] }

[[phases.steps]]
id = "deploy"
title = "Deploy"
kind = "command"
gate = ["api", "health"]

[[phases.steps.actions]]
kind = "github_workflow"
workflow = "deploy.yml"

[[phases.steps]]
id = "tell"
title = "Tell them"
kind = "manual"

[[phases.steps.actions]]
kind = "slack"
channel = "#deployments"
text = "done"

[[phases.steps]]
id = "e2e"
title = "E2E"
kind = "command"

[[phases.steps.actions]]
kind = "command"
run = "npx playwright test"
"""
# Lines of BASE: 29 the phase's gate; 41 the deploy step's gate.


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rb.toml"
    path.write_text(text)
    return path


def test_gates_load_as_tuples_and_the_effective_gate_is_the_phases_then_the_steps_once_each(tmp_path):
    runbook = load_runbook(write(tmp_path, BASE), environ={})
    ship = runbook.phases[1]
    assert ship.gate == ("health", "api") and runbook.phases[0].gate == ()
    assert runbook.step("deploy").gate == ("api", "health") and runbook.step("tell").gate == ()
    assert runbook.gate_of("deploy") == ("health", "api")  # deduplicated, in order
    assert runbook.gate_of("e2e") == ("health", "api") and runbook.gate_of("look") == () and runbook.gate_of("nope") == ()
    assert runbook.phase_of("health") is runbook.phases[0] and runbook.phase_of("nope") is None


def test_only_deploys_and_commands_are_gated_a_slack_message_is_not():
    runbook = load_runbook(None, environ={})
    assert runbook.step("c-deploy-api").gated and runbook.step("b-e2e").gated
    assert not runbook.step("c-notify-stakeholders").gated and not runbook.step("c-api-health").gated


def test_the_bundled_runbook_gates_production_on_staging_verification_and_the_dashboard_on_api_health():
    runbook = load_runbook(None, environ={})
    staging = ("b-health-status", "b-redis-healthy", "b-page-vendor-companies", "b-page-vendor-products",
               "b-page-momentum-churn", "b-page-momentum-save-flows", "b-page-momentum-triggers")
    assert runbook.phase_of("c-deploy-api").gate == staging
    assert runbook.gate_of("c-deploy-api") == staging
    assert runbook.gate_of("c-deploy-dashboard") == staging + ("c-api-health",)
    assert all(runbook.phase_of(c).environments == ("staging",) for c in staging)
    shown = outline(runbook)
    assert "    gate (its deploys and commands wait for these checks): b-health-status, b-redis-healthy," in shown
    assert "        gate: c-api-health" in shown


def test_a_gate_naming_an_unknown_step_or_a_step_without_a_check_is_an_error_with_its_line(tmp_path):
    text = BASE.replace('gate = ["health", "api"]', 'gate = ["health", "no-such-step"]').replace('gate = ["api", "health"]', 'gate = ["look"]')
    path = write(tmp_path, text)
    assert validate_file(path, {}) == [
        f"{path}:29: phases[1].gate[1]: 'no-such-step' is not a step of this runbook (a gate names check steps)",
        f"{path}:41: phases[1].steps[1].gate[0]: 'look' has no automated check (a gate names steps with a check = {{...}})",
    ]


def test_a_gate_that_is_not_a_list_of_strings_is_an_error_with_its_line(tmp_path):
    path = write(tmp_path, BASE.replace('gate = ["health", "api"]', 'gate = "health"').replace('gate = ["api", "health"]', 'gate = ["api", 3]'))
    assert validate_file(path, {}) == [
        f"{path}:29: phases[1].gate: expected an array, got a string",
        f"{path}:41: phases[1].steps[1].gate[1]: expected a string, got an integer",
    ]
