"""The engine in the caller's own asyncio loop: tests, and headless verbs."""

from __future__ import annotations

import asyncio
from typing import Any

from cockpit.engine.commands import Command
from cockpit.engine.engine import Engine
from cockpit.engine.handle import Receive


class LocalEngine:
    """An `Engine` built from `args`/`kwargs` (without its `send`) and run as a task of the running loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._args, self._kwargs = args, kwargs
        self.engine: Engine | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, receive: Receive) -> None:
        """Start the engine as a task of the running loop."""
        self.engine = Engine(*self._args, send=receive, **self._kwargs)
        self._task = asyncio.get_running_loop().create_task(self.engine.run(), name="engine")

    def send(self, command: Command) -> None:
        """Hand `command` to the engine."""
        if self.engine is not None:
            self.engine.handle(command)

    async def stop(self) -> None:
        """Cancel the engine and wait for its shutdown."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
