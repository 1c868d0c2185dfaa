"""A command's output lines on their way to the screen: batched, so a chatty command does not flood the UI."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from cockpit.engine.events import ActionProgress, EngineEvent

LINES_EVERY = 0.1  # seconds: a command's output lines go out in one ActionProgress at most this often
MAX_LINES = 200  # per ActionProgress (the rest is counted)


class Lines:
    """A command's output lines, sent as one ActionProgress every LINES_EVERY seconds at most."""

    def __init__(self, step_id: str, index: int, emit: Callable[[EngineEvent], None]) -> None:
        self.step_id, self.index, self.emit = step_id, index, emit
        self.pending: list[str] = []
        self.dropped = 0
        self.timer: asyncio.TimerHandle | None = None

    def add(self, line: str) -> None:
        if len(self.pending) < MAX_LINES:
            self.pending.append(line)
        else:
            self.dropped += 1
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(LINES_EVERY, self.flush)

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.dropped:
            self.pending.append(f"… {self.dropped} more lines (the journal keeps the tail)")
        if self.pending:
            self.emit(ActionProgress(self.step_id, self.index, "\n".join(self.pending)))
        self.pending, self.dropped = [], 0
