"""A certain end on SIGTERM and SIGHUP: the cockpit quits as `q` does, and is gone within a grace whatever
a library does on the way out.

Why not asyncio's signal handlers: they run in the event loop, and the loop can be stuck. After a
terminal closed (an SSH session dropped, tmux's server killed), Textual's writer thread died on the
first failed write; its queue of 30 filled, and the main thread blocked for ever in `Queue.put`
(LinuxDriver → WriterThread), so the handler never ran and the process stayed. Here the signals
are blocked in every thread (before any starts) and one thread waits for them with `sigwait`: it
arms a hard exit after EXIT_GRACE_SECONDS, then asks the app to quit. The journal is the engine's
(another process): it sees our end of the socket close and finishes its write first.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

SIGNALS = {signal.SIGTERM, signal.SIGHUP}
EXIT_GRACE_SECONDS = 5.0


def block_exit_signals() -> None:
    """Block SIGTERM and SIGHUP in this thread and every thread started after it (call before any)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)


def unblock_exit_signals() -> None:
    """Undo `block_exit_signals` (a child process inherits the mask across exec)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)


def watch_exit_signals(quit_app: Callable[[int], None], grace: float = EXIT_GRACE_SECONDS) -> threading.Thread:
    """Start the thread that waits for SIGTERM/SIGHUP: then a hard exit in `grace` s (code 128+n), and `quit_app(code)`."""
    def wait() -> None:
        signum = signal.sigwait(SIGNALS)
        code = 128 + signum  # as a shell reports a program ended by a signal
        timer = threading.Timer(grace, os._exit, args=(code,))
        timer.daemon = True
        timer.start()
        quit_app(code)

    thread = threading.Thread(target=wait, name="exit-signals", daemon=True)
    thread.start()
    return thread
