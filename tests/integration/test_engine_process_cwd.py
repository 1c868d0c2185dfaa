"""The engine process runs in the operator's directory: a command action's relative workdir (`.` by default, as
`COCKPIT_WORKDIR` unset gives) is where `cockpit` was started, not the "/" the child is spawned in."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from cockpit.engine.commands import RunActions
from cockpit.engine.events import ActionEnded, ActionProgress
from cockpit.engine.process import EngineProcess, EngineSpec
from cockpit.journal import Journal
from cockpit.runbook import load_runbook
from cockpit.runbook.model import Action, ActionSettings


async def test_a_relative_workdir_is_the_directory_cockpit_was_started_in(tmp_path, monkeypatch):
    monkeypatch.delenv("COCKPIT_WORKDIR", raising=False)
    (tmp_path / "apps" / "admin-dashboard").mkdir(parents=True)
    runbook = load_runbook()
    pwd = (Action("command", run="cd apps/admin-dashboard\npwd"),)
    phases = tuple(replace(p, steps=tuple(replace(s, actions=pwd if s.id == "b-e2e" else s.actions) for s in p.steps))
                   for p in runbook.phases)
    runbook = replace(runbook, phases=phases, actions=ActionSettings(command_timeout_seconds=30, stop_grace_seconds=1))
    state = tmp_path / "journal.sqlite3"
    Journal(state).close()
    events: list = []
    engine = EngineProcess(EngineSpec(runbook, runbook.environments["staging"], str(state), "op@bastion", live=False,
                                      environ={"PATH": "/usr/bin:/bin"}, cwd=str(tmp_path)))
    engine.start(events.extend)
    try:
        engine.send(RunActions("b-e2e"))
        async with asyncio.timeout(30):
            while not any(isinstance(e, ActionEnded) for e in events):
                await asyncio.sleep(0.02)
    finally:
        await engine.stop()
    (ended,) = [e for e in events if isinstance(e, ActionEnded)]
    assert ended.ok, ended.evidence
    output = "\n".join(e.text for e in events if isinstance(e, ActionProgress))
    assert str(tmp_path / "apps" / "admin-dashboard") in output.splitlines()
