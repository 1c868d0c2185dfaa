"""The cockpit screen while a shared journal's server is away: a tick kept in the local spool shows as waiting
([~]), never as saved and never as NOT SAVED, and the verdict line says how many events wait (FakeEngine:
the events are the ones the engine's journal writer sends, tests/integration/test_pg_spool.py)."""

from __future__ import annotations

from cockpit.engine.commands import Record
from cockpit.engine.events import JournalWritten, VerdictChanged
from cockpit.journal import Event
from cockpit.monitor.verdict import derive
from cockpit.runbook import load_runbook
from cockpit.ui.widgets.verdict_bar import VerdictBar
from tests.conftest import WHO, make_app
from tests.ui.test_checklist import prompt

WAITING = "shared journal unreachable · 1 event waiting"


async def test_a_spooled_tick_waits_on_screen_until_its_replay_commits_it(state_file):
    runbook = load_runbook()
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        sent = [c for c in app.engine.commands if isinstance(c, Record)]
        assert [(c.step_id, c.kind) for c in sent] == [("pre-typescript", "tick")]
        app.engine.replay([JournalWritten("pre-typescript", "tick", None, spooled=f"pre-typescript tick saved locally: {WAITING}"),
                           VerdictChanged(derive(0.0, journal=WAITING))])
        await pilot.pause()
        assert prompt(app, "pre-typescript").startswith("[~]")  # not in the shared journal yet: not [x]
        messages = [n.message for n in app._notifications]
        assert any(WAITING in m and "waiting for the shared journal" in m for m in messages)
        assert not any("NOT SAVED" in m for m in messages)
        assert WAITING in str(app.screen.query_one(VerdictBar).render())
        replayed = Event(7, 1, "2026-01-01T10:00:01.000Z", WHO, runbook.id, runbook.version, "staging", "pre-typescript", "tick", {})
        app.engine.replay([JournalWritten("pre-typescript", "tick", replayed), VerdictChanged(derive(0.0))])
        await pilot.pause()
        assert prompt(app, "pre-typescript").startswith("[x]")
        assert WAITING not in str(app.screen.query_one(VerdictBar).render())
