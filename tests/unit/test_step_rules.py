"""The rules of ticking and annotating a step, shared by the TUI's space / n and `cockpit tick` / `cockpit note`."""

from __future__ import annotations

from cockpit.checks.result import INCONCLUSIVE
from cockpit.journal import StepState
from cockpit.journal.progress import TICK, UNTICK, CheckRecord
from cockpit.journal.step_rules import INCONCLUSIVE_STATUS, REASON_LIMIT, decide_tick, not_passed
from cockpit.runbook import load_runbook

RUNBOOK = load_runbook()


def step(step_id: str):
    phase = RUNBOOK.phase_of(step_id)
    found = RUNBOOK.step(step_id)
    assert phase is not None and found is not None
    return found, phase


def checked(status: str, evidence: str = "PONG in 0.4 ms") -> StepState:
    return StepState(check=CheckRecord(status, evidence, 0.4, "op@bastion", "2026-12-07T10:00:00.000Z"))


def test_a_manual_step_ticks_and_unticks_with_nothing_more():
    s, phase = step("pre-docs")
    assert (decide_tick(s, phase, "staging", StepState(), True).kind, decide_tick(s, phase, "staging", StepState(), True).payload) == (TICK, {})
    done = StepState(done=True)
    assert decide_tick(s, phase, "staging", done, False).kind == UNTICK


def test_a_check_step_ticks_on_the_evidence_of_a_passing_check_only():
    s, phase = step("a-redis-ping")
    passed = decide_tick(s, phase, "staging", checked("pass"), True)
    assert (passed.kind, passed.payload, passed.refused) == (TICK, {"evidence": "PONG in 0.4 ms"}, "")
    for state, why in ((StepState(), "it has not been checked"), (checked("fail", "refused"), "its last check failed"),
                       (checked(INCONCLUSIVE), "its last check was inconclusive (cockpit was too busy to measure)")):
        refused = decide_tick(s, phase, "staging", state, True)
        assert (refused.kind, refused.needs_reason) == ("", True)
        assert refused.refused == f"a-redis-ping is a check step and {why}"
        assert not_passed(state.check) == why


def test_an_override_reason_lifts_only_the_missing_pass_and_is_journaled_as_one_clean_line():
    s, phase = step("a-redis-ping")
    decision = decide_tick(s, phase, "staging", checked("fail"), True, "redis\x1b[31m checked\nby hand ")
    assert (decision.kind, decision.payload) == (TICK, {"override": "redis checked by hand"})
    long = decide_tick(s, phase, "staging", StepState(), True, "x" * (REASON_LIMIT + 50)).payload["override"]
    assert len(long) == REASON_LIMIT and long.endswith("…")  # cut so that it shows it was cut
    assert decide_tick(s, phase, "staging", StepState(), True, " \x07 ").needs_reason  # nothing left: no reason
    info, info_phase = step("rb-redis-fallback")
    assert decide_tick(info, info_phase, "staging", StepState(), True, "because").refused == "info steps are read, not ticked"


def test_info_and_not_applicable_steps_are_refused_even_to_untick():
    info, phase = step("rb-redis-fallback")
    for target in (True, False):
        assert decide_tick(info, phase, "staging", StepState(), target).refused == "info steps are read, not ticked"
    prod, prod_phase = step("c-notify-stakeholders")
    refused = decide_tick(prod, prod_phase, "staging", StepState(), True)
    assert (refused.kind, refused.needs_reason) == ("", False)
    assert refused.refused == "c-notify-stakeholders is in phase phase-c, which runs only in production, not in staging"
    assert decide_tick(prod, prod_phase, "production", StepState(), True).kind == TICK


def test_the_journal_spells_inconclusive_as_the_checks_do():
    assert INCONCLUSIVE_STATUS == INCONCLUSIVE
