"""`{checks}`: this run's automated checks in one line, never rounded up."""

from __future__ import annotations

from cockpit.engine.message_values import checks_summary, named
from cockpit.journal import StepState
from cockpit.journal.progress import CheckRecord
from cockpit.runbook import load_runbook


def record(status: str) -> StepState:
    return StepState(check=CheckRecord(status, "evidence", None, "op@bastion", "2026-12-07T03:00:00Z"))


def test_the_summary_counts_passes_names_failures_and_inconclusives_and_counts_what_never_ran():
    runbook = load_runbook()
    env = runbook.environments["staging"]
    steps = [s.id for p, s in runbook.steps() if s.check is not None and p.applies_to("staging") and not p.contingency]
    states = {steps[0]: record("pass"), steps[1]: record("fail"), steps[2]: record("inconclusive"), steps[3]: record("pass")}
    assert checks_summary(runbook, env, states) == (
        f"2 of {len(steps)} checks passed; failed: {steps[1]}; inconclusive: {steps[2]}; not run: {len(steps) - 4}")
    everything = {s: record("pass") for s in steps}
    assert checks_summary(runbook, env, everything) == f"{len(steps)} of {len(steps)} checks passed"


def test_contingency_checks_and_other_environments_phases_are_not_counted():
    runbook = load_runbook()
    counted = checks_summary(runbook, runbook.environments["production"], {}).split(" ")[2]
    production = [s.id for p, s in runbook.steps() if s.check is not None and p.applies_to("production") and not p.contingency]
    assert int(counted) == len(production)
    assert not any(s.startswith("b-") for s in production)  # Phase B is staging's


def test_many_names_are_cut_with_a_count_not_silently():
    assert named(["a", "b"]) == "a, b"
    assert named([str(i) for i in range(8)]) == "0, 1, 2, 3, 4 and 3 more"
