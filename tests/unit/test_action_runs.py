"""The UI's record of each step's action run (cockpit/ui/action_runs.py): states, bounds, words."""

from __future__ import annotations

from cockpit.engine.events import ActionEnded, ActionProgress
from cockpit.runbook.model import Action
from cockpit.ui.action_runs import FAILED, KEEP_LINES, PASSED, RUNNING, UNKNOWN, ActionRuns, action_line, elapsed


def test_a_run_counts_every_line_but_keeps_only_the_last_ones_sanitized():
    runs = ActionRuns()
    runs.start("b-e2e", 100.0)
    run, new = runs.progress(ActionProgress("b-e2e", 0, "a\x1b[2Jb\n\x07c"), 101.0)
    assert new == ["[1] ab", "[1] c"]  # escape sequences and controls gone: outside text is data
    runs.progress(ActionProgress("b-e2e", 1, "\n".join(str(i) for i in range(KEEP_LINES + 10))), 102.0)
    assert run.count == KEEP_LINES + 12 and len(run.lines) == KEEP_LINES and run.lines[-1] == f"[2] {KEEP_LINES + 9}"
    runs.progress(ActionProgress("b-e2e", -1, "stop asked"), 103.0)
    assert run.lines[-1] == "» stop asked" and runs.running() == ["b-e2e"]


def test_the_end_is_passed_failed_or_unknown_never_a_pass_when_unknown():
    runs = ActionRuns()
    for step, event, state in (("a", ActionEnded("a", True, "exit 0"), PASSED), ("b", ActionEnded("b", False, "exit 1"), FAILED),
                               ("c", ActionEnded("c", True, "sent; answer lost", unknown=True), UNKNOWN)):
        runs.start(step, 0.0)
        assert runs.ended(event, 5.0).state == state
    assert runs.running() == []
    assert runs.badge("c").plain == "?UNKNOWN" and runs.badge("b").plain == "✗RUN-FAILED" and runs.badge("a").plain == "✓ran"
    assert runs.get("a").verdict().plain == "✓ PASSED: exit 0"
    assert runs.badge("nothing") is None


def test_an_end_or_output_this_screen_did_not_start_is_taken_up_without_a_start_time():
    runs = ActionRuns()
    unknown = runs.ended(ActionEnded("x", False, "outcome unknown: action 1 …", unknown=True), 9.0)
    assert unknown.started is None and unknown.state == UNKNOWN and "outcome UNKNOWN" in unknown.header(10.0).plain
    run, _ = runs.progress(ActionProgress("y", 0, "line"), 3.0)
    assert run.state == RUNNING and run.started is None and "esc stops" in run.header(4.0).plain


def test_header_shows_elapsed_and_lines():
    runs = ActionRuns()
    run = runs.start("s", 10.0)
    runs.progress(ActionProgress("s", 0, "one"), 11.0)
    assert run.header(75.0).plain == "▶ RUNNING · 1m 05s · 1 line · esc stops"
    runs.ended(ActionEnded("s", True, "ok"), 20.0)
    assert run.header(999.0).plain == "✓ PASSED · 10s · 1 line"  # frozen at its end
    assert elapsed(3725) == "1h02m 05s"


def test_action_lines_name_kind_and_target():
    assert action_line(0, Action("github_workflow", workflow="deploy-api.yml", inputs=(("environment", "staging"),))) == \
        "1. github_workflow: deploy-api.yml (environment=staging)"
    assert action_line(1, Action("command", run="\ncd apps/admin-dashboard\nnpx playwright test")) == \
        "2. command: cd apps/admin-dashboard ; npx playwright test"
    assert action_line(2, Action("slack", channel="#engineering", text="hi")) == "3. slack: message to #engineering"


def test_output_lines_are_cut_by_cells_wide_characters_included():
    from rich.cells import cell_len

    from cockpit.ui.widgets.action_panel import _pieces

    assert _pieces("[1] ✓ a › b", 5) == ["[1] ✓", " a › ", "b"] and _pieces("", 5) == [""]
    wide = _pieces("日本語のテスト出力", 4)
    assert "".join(wide) == "日本語のテスト出力" and all(cell_len(piece) <= 4 for piece in wide)


def test_a_refusal_reads_as_nothing_sent_never_as_a_failed_run():
    """A guard said no (waiting for approval, an expired approval, another operator first): nothing went out, so the
    row must not say RUN-FAILED (a release manager reads that as a deploy that failed)."""
    from cockpit.ui.action_runs import REFUSED

    runs = ActionRuns()
    runs.start("c-deploy-api", 0.0)
    run = runs.ended(ActionEnded("c-deploy-api", False, "waiting for approval: … nothing sent", refused=True), 1.0)
    assert run.state == REFUSED and not run.active
    assert runs.badge("c-deploy-api").plain == "⊘refused" and "FAILED" not in run.verdict().plain
    assert run.verdict().plain == "⊘ REFUSED, nothing sent: waiting for approval: … nothing sent"
