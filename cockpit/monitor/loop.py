"""An event loop in a thread of its own, for the checks `enter` runs.

The pollers do not use it: they run in the probe process (process.py), because a thread
shares the GIL with the UI and a busy screen would inflate what it measures. A check
is a one-off, so a thread is enough to keep its network waits off the UI's loop.
`DaemonThreadExecutor` is shared by both: DNS lookups that hang are abandoned.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class DaemonThreadExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each call in a daemon thread of its own, and never waits at shutdown.

    The default executor is where asyncio runs `getaddrinfo`. A timeout abandons a slow
    lookup but not its thread, and the default executor's threads are joined at exit:
    a DNS server that does not answer would keep `q` or `cockpit check` waiting.
    """

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as exc:
                    future.set_exception(exc)

        threading.Thread(target=run, name="probe-blocking", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: the threads are daemons."""


def use_daemon_executor(loop: asyncio.AbstractEventLoop) -> None:
    """Make `loop` run blocking calls (DNS lookups) in abandonable daemon threads."""
    loop.set_default_executor(DaemonThreadExecutor(max_workers=1))


class ProbeLoop:
    """An asyncio loop running in a daemon thread; coroutines are submitted to it."""

    def __init__(self, name: str = "probes") -> None:
        self.loop = asyncio.new_event_loop()
        use_daemon_executor(self.loop)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> ProbeLoop:
        """Start the thread (once)."""
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run `coro` on the probe loop; the future is safe to wait on from any thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` from another event loop (the UI's) while it runs on the probe loop."""
        return await asyncio.wrap_future(self.submit(coro))

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the loop and wait for the thread (a daemon: it cannot keep the process alive)."""
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
        if not self._thread.is_alive() and not self.loop.is_closed():
            self.loop.close()
