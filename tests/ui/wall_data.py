"""A wall-view app on a fake engine, and a run journaled at chosen times (so the wall's ages and elapsed times are fixed)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cockpit.journal import Journal
from cockpit.journal.opening import open_store
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook
from tests.conftest import FIXED_NOW, WHO
from tests.ui.live_data import NOW

WALL_NOW = FIXED_NOW + timedelta(minutes=40)  # the wall's clock: the run below began 40 minutes before
SECOND = "second@laptop"
LONG_EVIDENCE = "PING answered in 0.4 ms by redis 7.0.15 at cache.internal:6379; " + "replica lag 0 s, " * 12 + "END-OF-EVIDENCE"


class SetClock:
    """A journal clock the test moves: every event is stamped `at`."""

    def __init__(self) -> None:
        self.at = FIXED_NOW

    def __call__(self) -> datetime:
        return self.at


def journal_run(state_file, env: str = "staging") -> None:  # state_file: a SQLite path or a postgresql:// URL
    """A run well under way: the pre checklist ticked, phase A's checks (one failed, one passed long ago, one just now),
    phase B begun 32 minutes ago (over its plan? no: 45 minutes planned), a deploy action passed and a Slack one failed."""
    runbook = load_runbook()
    clock = SetClock()
    session = RunSession(open_store(state_file, clock=clock), runbook.id, runbook.version, env, WHO)

    def at(minutes: float, step_id: str, kind: str, payload: dict | None = None, who: str = WHO):
        clock.at = FIXED_NOW + timedelta(minutes=minutes)
        session.who = who
        return session.record(step_id, kind, payload)

    for i, step_id in enumerate(("pre-typescript", "pre-e2e-created", "pre-code-review")):
        at(i, step_id, "tick")
    at(3, "a-redis-ping", "check", {"status": "pass", "evidence": "PING 0.4 ms", "latency_ms": 0.4})  # 37 min ago: stale
    at(4, "a-redis-ping", "tick", {"evidence": "PING 0.4 ms"})
    at(39.5, "a-db-pool", "check", {"status": "fail", "evidence": LONG_EVIDENCE.replace("PING", "pool"), "latency_ms": 1.0}, who=SECOND)
    at(39.8, "a-env-vars", "check", {"status": "pass", "evidence": LONG_EVIDENCE, "latency_ms": 1.0})
    if env == "staging":
        intent = at(8, "b-deploy-staging", "action", {"phase": "intent", "index": 0, "kind": "github_workflow", "environment": env,
                                                       "what": {"workflow": "deploy.yml", "ref": "v1.5.0", "repository": "avnz/api"}})
        at(12, "b-deploy-staging", "action", {"phase": "outcome", "intent": intent.id, "ok": True, "evidence": "run 4812 succeeded"})
    intent = at(20, "comms-engineering", "action", {"phase": "intent", "index": 0, "kind": "slack", "environment": env,
                                                     "what": {"channel": "#release"}}, who=SECOND)
    at(20.1, "comms-engineering", "action", {"phase": "outcome", "intent": intent.id, "ok": False, "evidence": "HTTP 500"}, who=SECOND)
    session.journal.close()


def wall_app(state_file, env: str = "staging", clock=lambda: WALL_NOW, monotonic=lambda: NOW):
    """A wall-view CockpitApp on the bundled runbook with a FakeEngine, clocks frozen (the journal's run as it is on disk)."""
    from cockpit.ui.app import CockpitApp
    from tests.ui.fake_engine import FakeEngine

    runbook = load_runbook()
    session = RunSession(Journal(state_file, read_only=True), runbook.id, runbook.version, env, WHO)
    app = CockpitApp(runbook, runbook.environments[env], FakeEngine(), initial_events=session.events_after(0),
                     run_id=session.run.id if session.run else None, journal_path=str(state_file), clock=clock,
                     live=False, monotonic=monotonic, wall=True)
    session.journal.close()
    return app
