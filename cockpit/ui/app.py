"""The cockpit Textual app: owns the journal thread; the cockpit screen does the rest."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from cockpit.journal import Event
from cockpit.journal.session import RunSession
from cockpit.journal.store import utc_now
from cockpit.monitor.loop import ProbeLoop
from cockpit.runbook import Environment, Runbook
from cockpit.ui.palette import CockpitCommands
from cockpit.ui.screens.cockpit import CockpitScreen
from cockpit.ui.screens.trouble import TroubleSource

STYLES = Path(__file__).resolve().parent.parent / "styles" / "cockpit.tcss"
SWITCH_INTERVAL = 0.001  # seconds; see on_mount


class CockpitApp(App[int]):
    """A runbook in one environment, its run, and its live panes.

    All journal I/O runs on one worker thread, in submission order, so a tick and an
    untick pressed quickly are committed in the order they were pressed. `live` polls
    the environment's Redis, database, API and pages (in a probe process); `environ` is
    where env_vars checks look. Checks run on `probe_loop`, a thread of their own.
    `demo` (cockpit demo) offers its trouble keys under `!`; `handle_signals` makes
    SIGTERM/SIGHUP quit cleanly (the command line sets it; tests do not).
    """

    CSS_PATH = STYLES
    TITLE = "cockpit"
    COMMANDS = {CockpitCommands}  # ctrl+p: cockpit's actions, and Textual's system commands but its Quit
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        # A read-only cockpit screen refuses these keys (check_action: kept out of its footer), so
        # they fall through to here, and the screen says why instead of nothing happening.
        Binding("space", "screen.refuse_read_only('toggle_step', True)", show=False),
        Binding("n", "screen.refuse_read_only('note', True)", show=False),
        Binding("enter", "screen.refuse_read_only('run_check', True)", show=False),
    ]

    def __init__(
        self,
        runbook: Runbook,
        env: Environment,
        session: RunSession,
        *,
        read_only: bool = False,
        initial_events: Sequence[Event] = (),
        clock: Callable[[], datetime] = utc_now,
        journal_poll_seconds: float = 1.0,
        live: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        environ: Mapping[str, str] = os.environ,
        demo: TroubleSource | None = None,
        handle_signals: bool = False,
    ) -> None:
        super().__init__()
        self.runbook = runbook
        self.env = env
        self.session = session
        self.read_only = read_only
        self.initial_events = tuple(initial_events)
        self.clock = clock
        self.journal_poll_seconds = journal_poll_seconds
        self.live = live
        self.monotonic = monotonic
        self.environ = environ
        self.demo = demo
        self.handle_signals = handle_signals
        self.probe_loop = ProbeLoop()
        self.journal_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self.title = f"cockpit · {runbook.name} · {env.name}"

    def on_mount(self) -> None:
        """Open the cockpit screen."""
        # The log followers are Python threads: with the default 5 ms GIL switch interval a
        # busy follower made every step of a keypress wait up to 5 ms for the UI thread's turn.
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.probe_loop.start()
        if self.handle_signals:
            # SIGTERM and SIGHUP (the SSH session dropped) end the cockpit the way q does: the
            # terminal restored, the probe process and the demo's stack stopped behind it.
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGHUP):  # exit code 128+n, as a shell reports a killed program
                loop.add_signal_handler(signum, partial(self.exit, return_code=128 + signum))
        if self.demo is not None:
            self.demo.on_gone = self.demo_gone
        self.push_screen(CockpitScreen())

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
        """Let a write that is in flight finish before the process goes; stop the probes."""
        self.journal_thread.shutdown(wait=True)
        self.probe_loop.stop()
