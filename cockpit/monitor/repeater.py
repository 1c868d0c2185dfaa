"""A daemon thread that repeats a blocking job (boto3 calls) until stopped.

Daemon, not a Textual thread worker: quitting must never wait for an AWS call in flight
(up to connect + read timeout); the process simply exits under it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Repeater:
    """Runs `body(stop)` in a daemon thread named `name`; `stop()` asks it to end."""

    def __init__(self, name: str, body: Callable[[threading.Event], None]) -> None:
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self._thread = threading.Thread(target=body, args=(self.stop_event,), name=name, daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end at its next wait (it is not joined)."""
        self.stop_event.set()
        self.wake_event.set()

    def wake(self) -> None:
        """Cut the current wait short (new work is waiting)."""
        self.wake_event.set()

    def sleep(self, seconds: float) -> bool:
        """Wait `seconds`, or less when woken; False when stopped."""
        self.wake_event.wait(max(0.0, seconds))
        self.wake_event.clear()
        return not self.stop_event.is_set()

    @property
    def alive(self) -> bool:
        """True while the thread runs."""
        return self._thread.is_alive()
