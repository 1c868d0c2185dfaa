"""The cockpit Textual app: draws what the engine sends and sends it what the operator asks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from textual.app import App
from textual.binding import Binding
from textual.filter import LineFilter

from cockpit.engine.commands import Command
from cockpit.engine.events import Answer, EngineEvent
from cockpit.engine.handle import EngineHandle
from cockpit.journal import Event
from cockpit.journal.store import utc_now
from cockpit.runbook import Environment, Runbook
from cockpit.ui.bridge import EngineBatch
from cockpit.ui.exit_watch import handle_exit_signals
from cockpit.ui.few_colours import SIXTEEN, StateWeights
from cockpit.ui.metrics_feed import MetricsFeed, deployed_services
from cockpit.ui.palette import CockpitCommands
from cockpit.ui.screens.cockpit import CockpitScreen
from cockpit.ui.screens.trouble import TroubleSource
from cockpit.ui.screens.wall import WallScreen
from cockpit.ui.stylesheets import stylesheet

STYLES = stylesheet("cockpit.tcss")
WALL_STYLES = stylesheet("wall.tcss")  # the wall view's own (its selectors name only its widgets)
ANSWER_SECONDS = 60.0  # an engine that does not answer a request (it died) within this: the request failed


class CockpitApp(App[int]):
    """A runbook in one environment, drawn from what `engine` sends.

    `initial_events` are the run's committed events at start (drawn at once; the engine
    sends what comes after). `live` says whether the engine watches anything (panes say
    "not connected" otherwise). `demo` (cockpit demo) offers its trouble keys under `!`;
    `handle_signals` makes SIGTERM/SIGHUP quit cleanly (the command line sets it; tests do not).
    `wall` opens the wall view (screens/wall.py) instead of the cockpit screen, read-only whatever `read_only` says.
    """

    CSS_PATH = [STYLES, WALL_STYLES]
    TITLE = "cockpit"
    COMMANDS = {CockpitCommands}  # ctrl+p: cockpit's actions, and Textual's system commands but its Quit
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        # A read-only cockpit screen refuses these keys (check_action: kept out of its footer), so
        # they fall through to here, and the screen says why instead of nothing happening.
        Binding("space", "screen.refuse_read_only('toggle_step', True)", show=False),
        Binding("n", "screen.refuse_read_only('note', True)", show=False),
        Binding("enter", "screen.refuse_read_only('run_check', True)", show=False),
        # x on a step without actions (the screen's x is offered only on steps with some): says so.
        Binding("x", "screen.no_actions", show=False),
        Binding("a", "screen.refuse_read_only('approve', True)", show=False),  # read-only cannot approve: says so
    ]

    def __init__(
        self,
        runbook: Runbook,
        env: Environment,
        engine: EngineHandle,
        *,
        read_only: bool = False,
        initial_events: Sequence[Event] = (),
        run_id: int | None = None,
        journal_path: str = "",
        clock: Callable[[], datetime] = utc_now,
        live: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        demo: TroubleSource | None = None,
        handle_signals: bool = False,
        wall: bool = False,
    ) -> None:
        super().__init__()
        self.runbook = runbook
        self.env = env
        self.engine = engine
        self.read_only = read_only or wall  # a wall changes nothing
        self.wall = wall
        self.initial_events = tuple(initial_events)
        self.run_id = run_id
        self.journal_path = journal_path
        self.clock = clock
        self.live = live
        self.monotonic = monotonic
        self.demo = demo
        self.handle_signals = handle_signals
        self._asked = 0
        self._answers: dict[int, asyncio.Future[Answer]] = {}
        self.metrics = MetricsFeed(deployed_services(runbook))  # the latest metrics read and the journal's markers
        self.cockpit: CockpitScreen | WallScreen = WallScreen() if wall else CockpitScreen()
        self.title = f"cockpit{' wall' if wall else ''} · {runbook.name} · {env.name}"
        self._state_weights = StateWeights()

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters; under NO_COLOR first the states as weights (few_colours.py), before Textual turns colours grey."""
        filters = super().get_line_filters()
        return [self._state_weights, *filters] if self.no_color else filters

    def on_mount(self) -> None:
        """Open the cockpit screen and start the engine behind it."""
        if self.console.color_system == "standard" and not self.no_color:  # 16 colours: the terminal's own (few_colours.py)
            self.ansi_theme_dark = self.ansi_theme_light = SIXTEEN
        if self.handle_signals:
            # SIGTERM and SIGHUP (the SSH session dropped) end the cockpit the way q does: the terminal
            # restored, the engine and the demo's stack stopped behind it; and for certain (ui/exit_watch.py).
            loop = asyncio.get_running_loop()

            def quit_app(code: int) -> None:
                loop.call_soon_threadsafe(partial(self.exit, return_code=code))

            handle_exit_signals(quit_app)
        if self.demo is not None:
            self.demo.on_gone = self.demo_gone
        self.push_screen(self.cockpit)
        self.engine.start(self.receive)

    def receive(self, batch: list[EngineEvent]) -> None:
        """A batch of engine events (in this loop): to the cockpit screen, in order."""
        self.cockpit.post_message(EngineBatch(batch))

    def send(self, command: Command) -> None:
        """Ask the engine for something (it answers with events)."""
        self.engine.send(command)

    async def ask(self, make: Callable[[int], Command]) -> Answer:
        """Send the request `make(request_id)` and wait for the engine's Answer (an error Answer if none comes)."""
        self._asked += 1
        request = self._asked
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._answers[request] = future
        self.send(make(request))
        try:
            return await asyncio.wait_for(future, ANSWER_SECONDS)
        except TimeoutError:
            return Answer(request, None, f"the engine did not answer within {ANSWER_SECONDS:.0f} s")
        finally:
            self._answers.pop(request, None)

    def answered(self, answer: Answer) -> None:
        """The engine answered a request: whoever asked hears it."""
        future = self._answers.get(answer.request)
        if future is not None and not future.done():
            future.set_result(answer)

    def demo_gone(self) -> None:
        """The demo's stack process ended under us (from its reader thread): say so, loudly."""
        try:
            self.call_from_thread(
                self.notify, "the demo's stack process ended: its servers are gone, so every pane will turn DOWN; "
                "quit (q) and start cockpit demo again", title="demo stack gone", severity="error", timeout=60)
        except RuntimeError:
            pass  # the app is already closing

    def action_help_quit(self) -> None:
        """Ctrl-C (outside a text field): quits the demo, as a newcomer expects; elsewhere the hint to press q."""
        if self.demo is not None:
            self.exit(return_code=130)  # as a shell reports a program ended by Ctrl-C
        else:
            super().action_help_quit()

    async def on_unmount(self) -> None:
        """Stop the engine (its last journal write finishes first)."""
        await self.engine.stop()
