"""The fake GitHub's demo behaviours: runs that move on in real time, a one-off failing run, the completion hook."""

from __future__ import annotations

import time

from cockpit.stack.fake_github import FakeGitHub


def wait(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)


def test_runs_move_on_by_themselves_and_the_hook_hears_each_completion_once():
    completed: list[tuple[int, str | None]] = []
    gh = FakeGitHub()
    gh.seconds_per_stage = 0.1
    gh.on_completed = lambda run: completed.append((run.run_id, run.conclusion))
    with gh:
        gh.next_stages = ["queued", "completed:failure"]
        failing = gh.add_run("deploy-api.yml")
        passing = gh.add_run("deploy-admin-dashboard.yml")
        assert passing.stages == ["queued", "in_progress", "completed:success"]  # next_stages served one run only
        wait(lambda: len(completed) == 2)
        assert sorted(completed) == [(failing.run_id, "failure"), (passing.run_id, "success")]
        states = {run_id: (status, conclusion) for run_id, _wf, _inputs, status, conclusion in gh.run_states()}
        assert states == {failing.run_id: ("completed", "failure"), passing.run_id: ("completed", "success")}
        gh.advance(passing.run_id)  # already at its last stage: no second completion (the hook runs in advance's thread)
        assert len(completed) == 2
