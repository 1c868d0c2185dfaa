"""The pollers in a process of their own, so what they measure is the network, not us.

In a thread, a probe's answer waits for the GIL while the UI paints or handles keys:
typing could make Redis look 100 ms slow. A separate process only shares the CPUs.
Polls come back over a pipe and are handed to `on_poll` from a reader thread.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection

from cockpit.monitor.backends import Unconfigured, build_backends
from cockpit.monitor.loop import use_daemon_executor
from cockpit.monitor.poller import Poller
from cockpit.monitor.readings import Poll
from cockpit.runbook.model import Environment, Runbook

OnPoll = Callable[[Poll, float, "float | None"], None]


def serve(fd: int) -> None:
    """The child's entry point: read (runbook, environment), then poll until the parent goes."""
    conn = Connection(fd)
    runbook, env = conn.recv()
    try:
        asyncio.run(_poll_all(conn, runbook, env))
    except KeyboardInterrupt:
        pass
    os._exit(0)  # no atexit joins: a hung DNS lookup thread must not keep this alive


async def _poll_all(conn, runbook: Runbook, env: Environment) -> None:
    loop = asyncio.get_running_loop()
    use_daemon_executor(loop)
    parent_gone = asyncio.Event()

    def report(poll: Poll, at: float, retry_at: float | None) -> None:
        try:
            conn.send((poll, at, retry_at))
        except (BrokenPipeError, EOFError, OSError):
            parent_gone.set()

    def readable() -> None:  # the parent never writes: readable means it closed its end
        parent_gone.set()

    loop.add_reader(conn.fileno(), readable)
    settings = runbook.probes
    backends = [b for b in build_backends(runbook, env) if not isinstance(b, Unconfigured)]
    pollers = [
        Poller(b, report, max_backoff=settings.max_backoff_seconds, guard_seconds=2 * settings.slowest_seconds + 1.0)
        for b in backends
    ]
    tasks = [asyncio.create_task(p.run()) for p in pollers]
    await parent_gone.wait()
    for task in tasks:
        task.cancel()
    await asyncio.wait_for(asyncio.gather(*(b.close() for b in backends), return_exceptions=True), 2.0)


class ProbeProcess:
    """Starts the polling child and feeds its polls to `on_poll` (from a daemon thread)."""

    def __init__(self, runbook: Runbook, env: Environment, on_poll: OnPoll) -> None:
        self.runbook = runbook
        self.env = env
        self.on_poll = on_poll
        self._conn = None
        self._process = None

    def start(self) -> None:
        """Start the child: a fresh interpreter (forking a threaded process is unsafe), in its
        own session, with no terminal (it must never write on the screen)."""
        ours, theirs = socket.socketpair()
        code = f"from cockpit.monitor.process import serve; serve({theirs.fileno()})"
        self._process = subprocess.Popen(
            [sys.executable, "-c", code],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        theirs.close()
        self._conn = Connection(ours.detach())
        self._conn.send((self.runbook, self.env))
        threading.Thread(target=self._read, name="probe-results", daemon=True).start()

    def _read(self) -> None:
        conn = self._conn
        while True:
            try:
                poll, at, retry_at = conn.recv()
                self.on_poll(poll, at, retry_at)
            except Exception:  # EOF, a pipe shut down mid-message, or a screen already gone
                return

    def stop(self, timeout: float = 2.0) -> None:
        """Shut the pipe down (the child sees it and exits), then make sure it has."""
        if self._conn is not None:
            try:  # shutdown, not close: it also wakes the reader thread blocked in recv()
                socket.socket(fileno=os.dup(self._conn.fileno())).shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._conn.close()
        if self._process is not None:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(1.0)
