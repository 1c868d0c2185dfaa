"""The latency chart puts the journal's deploys, rollbacks and alarm transitions on its own time axis (issue 18):
a numbered vertical line where the event happened, against the samples' times, labelled with its time and what it was."""

from __future__ import annotations

from datetime import datetime

from textual_plotext import PlotextPlot

from cockpit.journal import Journal
from cockpit.journal.session import RunSession
from cockpit.runbook import load_runbook
from cockpit.ui.widgets.latency_pane import LatencyPane
from tests.conftest import FIXED_NOW, WHO, make_app
from tests.ui.live_data import NOW, feed

EVENTS = ["2026-11-27T20:50:00Z", "2026-11-27T20:55:00Z", "2026-11-27T20:59:20Z"]  # the run's start, a deploy, an alarm


def journal(state_file) -> None:
    runbook = load_runbook()
    times = iter(EVENTS)
    session = RunSession(Journal(state_file, clock=lambda: datetime.fromisoformat(next(times).replace("Z", "+00:00"))),
                         runbook.id, runbook.version, "staging", WHO)
    what = {"workflow": "deploy-api.yml", "repository": "avnz/platform", "ref": "main", "inputs": {"environment": "staging"}}
    session.record("b-deploy-staging", "action", {"phase": "intent", "index": 0, "kind": "github_workflow", "what": what,
                                                  "environment": "staging", "who": WHO})
    session.record("alarm:avnz-api-5xx-errors", "alarm", {"state": "ALARM", "previous": "OK", "reason": "Threshold Crossed"})
    session.journal.close()


async def test_a_journal_event_inside_the_chart_window_is_a_line_at_its_time(state_file):
    journal(state_file)
    app = make_app(state_file, fake=True, monotonic=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:  # the latency pane alone: room for its chart
        await feed(pilot)  # a minute of samples ending 1 s before 21:00:00 (the frozen wall clock), read at 21:00:00
        await pilot.press("tab", "tab")
        app.cockpit.render_health()
        await pilot.pause()
        pane = app.screen.query_one(LatencyPane)
        marked = pane._chart_data[3]
        # 20:59:20 is 40 s before the read, 39 s before the newest sample (x = 0); the deploy at 20:55 is before the window
        assert [(x, m.label, m.bad) for x, m in marked] == [(-39.0, "avnz-api-5xx-errors OK -> ALARM", True)]
        drawn = pane.query_one(PlotextPlot).plt.build()
        assert "1 20:59:20 avnz-api-5xx-errors OK -> ALARM" in drawn
        assert FIXED_NOW.isoformat().startswith("2026-11-27T21:00:00")
