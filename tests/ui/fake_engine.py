"""A fake engine for UI tests: it replays recorded events and records the commands it is sent.

The events are built by the real pure code the engine uses (the health board, the alarm and
service watches, the verdict), so what the screen draws is what a real engine would send.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cockpit.engine.commands import AskActionPlan, AskRunLookup
from cockpit.engine.events import (
    ActionPreview,
    AlarmsFailed,
    AlarmsRead,
    Answer,
    EngineEvent,
    HealthRead,
    ServicesFailed,
    ServicesRead,
    VerdictChanged,
)
from cockpit.engine.watch import AlarmsWatch, ServicesWatch, verdict
from cockpit.monitor.board import HealthBoard
from cockpit.monitor.readings import Poll, Reading
from cockpit.monitor.verdict import Verdict


class FakeEngine:
    """Stands in for the engine: `replay(events)` delivers them as one batch; `commands` lists what was sent.

    Requests of the Run actions modal are answered from scripts: `plans[step_id]` (an ActionPreview) for
    AskActionPlan, `lookups[step_id]` (a line) for AskRunLookup; a request with no script gets an error Answer.
    """

    def __init__(self) -> None:
        self.commands: list = []
        self.receive = None
        self.stopped = False
        self.plans: dict[str, ActionPreview] = {}
        self.lookups: dict[str, str] = {}

    def start(self, receive) -> None:
        """Begin as an engine that watches nothing does: an empty health snapshot and the not-watching verdict."""
        self.receive = receive
        receive([HealthRead((), (), 0.0), VerdictChanged(Verdict(watching=False))])

    def send(self, command) -> None:
        self.commands.append(command)
        if isinstance(command, AskActionPlan | AskRunLookup):
            script = self.plans if isinstance(command, AskActionPlan) else self.lookups
            value = script.get(command.step_id)
            self.receive([Answer(command.request, value, "" if value is not None else f"no answer scripted for {command.step_id}")])

    async def stop(self) -> None:
        self.stopped = True

    def replay(self, events: Iterable[EngineEvent]) -> None:
        """Deliver `events` to the app as one batch (as the engine's flush would)."""
        self.receive(list(events))


class Held:
    """A real engine whose commands wait until `release()` (a journal that is slow to commit)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.waiting: list = []

    def start(self, receive) -> None:
        self.engine.start(receive)

    def send(self, command) -> None:
        self.waiting.append(command)

    def release(self) -> None:
        for command in self.waiting:
            self.engine.send(command)
        self.waiting.clear()

    async def stop(self) -> None:
        await self.engine.stop()


async def replay(pilot, events: Iterable[EngineEvent]) -> None:
    """Replay `events` into the app under `pilot` and let the screen draw them."""
    pilot.app.engine.replay(events)
    await pilot.pause()
    pilot.app.cockpit.render_health()  # once laid out with the new rows (the chart's room depends on them)
    pilot.app.cockpit.render_live()
    await pilot.pause()


def board_of(runbook, rows: Sequence[tuple[str, Sequence[str], float]], polls: Iterable[tuple[float, Poll, float | None]]) -> HealthBoard:
    """A health board with `rows` ((backend, keys, interval), ...) declared, then `polls` ((at, poll, retry_at), ...) applied."""
    board = HealthBoard(runbook)
    for backend, keys, interval in rows:
        board.add_rows(backend, tuple(Reading(k, k, "unknown") for k in keys), interval)
    for at, poll, retry_at in polls:
        board.apply(poll, at, retry_at)
    return board


def world(app, now: float, board: HealthBoard | None = None, alarms: Sequence[AlarmsRead | AlarmsFailed] = (),
          services: Sequence[ServicesRead | ServicesFailed] = (), tabs: dict[str, str] | None = None,
          live: bool = False) -> list[EngineEvent]:
    """What an engine would send for this world at monotonic `now`: health, alarms, services, then the verdict."""
    events: list[EngineEvent] = []
    views = board.views(now) if board is not None else []
    if board is not None:
        series = tuple((key, tuple(board.series(key, now))) for key in board.keys())
        events.append(HealthRead(tuple(views), series, now))
    alarms_seen, services_seen = AlarmsWatch(), ServicesWatch()
    for report in alarms:
        alarms_seen.apply(report, now)
        events.append(report)
    for report in services:
        services_seen.apply(report, now)
        events.append(report)
    states = app.cockpit.states
    found = verdict(now, app.runbook, app.env, live=live, views=views, alarms=alarms_seen, services=services_seen,
                    tabs=tabs or {}, states=states)
    events.append(VerdictChanged(found))
    return events
