"""What the UI holds of the engine: start it, send it commands, stop it (`EngineHandle`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from cockpit.engine.commands import Command
from cockpit.engine.events import EngineEvent

Receive = Callable[[list[EngineEvent]], None]  # called in the UI's loop with each batch


class EngineHandle(Protocol):
    """An engine as the UI sees it: LocalEngine, EngineProcess, or a test's recording."""

    def start(self, receive: Receive) -> None:
        """Start (in the caller's running loop); batches of events go to `receive`."""

    def send(self, command: Command) -> None:
        """Ask something of the engine (never blocks)."""

    async def stop(self) -> None:
        """Stop it: sources closed, the journal's last write finished."""
