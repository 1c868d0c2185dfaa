"""Executor threads that never hold a process up: DNS lookups and AWS calls that hang are abandoned.

The engine (and the rollback picker) run blocking boto3 calls in a `DaemonThreadExecutor`;
`cockpit check` and the rollback's verification `use_daemon_executor` for their DNS lookups.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading


class DaemonThreadExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each call in a daemon thread of its own, and never waits at shutdown.

    The default executor is where asyncio runs `getaddrinfo`. A timeout abandons a slow
    lookup but not its thread, and the default executor's threads are joined at exit:
    a DNS server that does not answer would keep `q` or `cockpit check` waiting.
    """

    def submit(self, fn, /, *args, **kwargs):
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
