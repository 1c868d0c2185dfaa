"""A certain end on SIGTERM and SIGHUP: the cockpit quits as `q` does, and is gone within a grace whatever
a library does on the way out.

Why not asyncio's signal handlers: their callbacks run in the event loop, and the loop can be
stuck. After a terminal closed (an SSH session dropped, tmux's server killed), Textual's writer
thread can die on a failed write; its queue of 30 fills and the main thread blocks in
`Queue.put` (LinuxDriver → WriterThread), so a loop callback never runs and the process stays
(seen once in the field, and by the benches). A plain Python handler runs in the main thread
even while it waits on a lock; it arms a hard exit after EXIT_GRACE_SECONDS, then asks the app to
quit. The journal is the engine's (another process): it sees our end of the socket close and
finishes its write first.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGHUP)
EXIT_GRACE_SECONDS = 5.0


def handle_exit_signals(quit_app: Callable[[int], None], grace: float = EXIT_GRACE_SECONDS) -> None:
    """On SIGTERM/SIGHUP: a hard exit in `grace` s (code 128+n, as a shell reports it), and `quit_app(code)` now."""
    armed: list[threading.Timer] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        code = 128 + signum
        if not armed:
            timer = threading.Timer(grace, os._exit, args=(code,))
            timer.daemon = True
            timer.start()
            armed.append(timer)
        quit_app(code)

    for signum in SIGNALS:
        signal.signal(signum, handler)
