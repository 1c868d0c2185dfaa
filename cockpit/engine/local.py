"""The engine in the caller's own asyncio loop: tests, and headless verbs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, TypedDict, Unpack

from cockpit.engine.commands import Command
from cockpit.engine.engine import Engine
from cockpit.engine.handle import Receive
from cockpit.journal.session import RunSession
from cockpit.runbook import Environment, Runbook


class EngineOptions(TypedDict, total=False):
    """`Engine`'s keyword arguments (each optional: the engine's own defaults apply)."""

    read_only: bool
    live: bool
    environ: Mapping[str, str]
    monotonic: Callable[[], float]
    journal_poll_seconds: float
    flush_seconds: float
    ready: Callable[[], bool]
    ecs: Callable[[], Any]


class LocalEngine:
    """An `Engine` built from `Engine`'s arguments (without its `send`) and run as a task of the running loop."""

    def __init__(self, runbook: Runbook, env: Environment, session: RunSession | None, **options: Unpack[EngineOptions]) -> None:
        self._runbook, self._env, self._session, self._options = runbook, env, session, options
        self.engine: Engine | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, receive: Receive) -> None:
        """Start the engine as a task of the running loop."""
        self.engine = Engine(self._runbook, self._env, self._session, receive, **self._options)
        self.engine.loop = asyncio.get_running_loop()  # events from executor threads are taken before the task first runs
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
