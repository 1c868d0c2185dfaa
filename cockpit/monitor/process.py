"""The pollers in a process of their own, so what they measure is the network, not us.

In a thread, a probe's answer waits for the GIL while the UI paints or handles keys:
typing could make Redis look 100 ms slow. A separate process only shares the CPUs.
Polls come back over a socketpair and are handed to `on_poll` from a reader thread;
the parent stamps their arrival on its own clock. If the child dies, `on_exit` says
why (its exit code and the end of its stderr) and the owner may `start()` it again.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

from cockpit.monitor.backends import Unconfigured, build_backends
from cockpit.monitor.loop import use_daemon_executor
from cockpit.monitor.poller import Poller
from cockpit.monitor.readings import Poll
from cockpit.runbook.model import Environment, Runbook

OnPoll = Callable[[Poll, "float | None"], None]  # (poll, seconds until the retry while failing)
OnExit = Callable[[str], None]  # why the child is gone
CLOSE_SECONDS = 0.5  # the child's budget for closing its clients; the parent waits a little longer


def serve(fd: int) -> None:
    """The child's entry point: read (runbook, environment), then poll until the parent goes."""
    try:
        conn = Connection(fd)
        runbook, env = conn.recv()
        asyncio.run(_poll_all(conn, runbook, env))
    except BaseException as exc:  # noqa: BLE001 - reported through stderr, then exit
        if not isinstance(exc, (KeyboardInterrupt, EOFError, SystemExit)):
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
    finally:
        os._exit(0)  # no atexit joins: a hung DNS lookup thread must not keep this alive


async def _poll_all(conn: Connection, runbook: Runbook, env: Environment) -> None:
    loop = asyncio.get_running_loop()
    use_daemon_executor(loop)
    parent_gone = asyncio.Event()
    fd = conn.fileno()

    def report(poll: Poll, at: float, retry_at: float | None) -> None:
        try:
            conn.send((poll, None if retry_at is None else retry_at - at))
        except (BrokenPipeError, EOFError, OSError):
            parent_gone.set()

    def readable() -> None:  # the parent never writes: readable means it closed its end
        loop.remove_reader(fd)  # a closed socket stays readable: once is enough
        parent_gone.set()

    loop.add_reader(fd, readable)
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
    try:
        await asyncio.wait_for(asyncio.gather(*(b.close() for b in backends), return_exceptions=True), CLOSE_SECONDS)
    except TimeoutError:
        pass  # dead connections: the process is leaving anyway


class ProbeProcess:
    """Starts the polling child and feeds its polls to `on_poll` (from a daemon thread)."""

    def __init__(self, runbook: Runbook, env: Environment, on_poll: OnPoll, on_exit: OnExit) -> None:
        self.runbook = runbook
        self.env = env
        self.on_poll = on_poll
        self.on_exit = on_exit
        self._conn: Connection | None = None
        self._process: subprocess.Popen | None = None
        self._stderr = None
        self._reader: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        """Start the child: a fresh interpreter (forking a threaded process is unsafe), in its
        own session, with no terminal (it must never write on the screen). `-P` and cwd "/"
        keep modules in the operator's current directory out of it. Failure goes to on_exit."""
        self._stopping = False
        ours, theirs = socket.socketpair()
        try:
            self._stderr = tempfile.TemporaryFile()
            code = f"from cockpit.monitor.process import serve; serve({theirs.fileno()})"
            self._process = subprocess.Popen(
                [sys.executable, "-P", "-c", code],
                pass_fds=[theirs.fileno()],
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                start_new_session=True,
            )
            self._conn = Connection(ours.detach())
            self._conn.send((self.runbook, self.env))
        except Exception as exc:
            ours.close()
            self.on_exit(f"probe process could not start: {type(exc).__name__}: {exc}")
            return
        finally:
            theirs.close()
        self._reader = threading.Thread(target=self._read, name="probe-results", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        conn = self._conn
        while True:
            try:
                poll, retry_in = conn.recv()
            except Exception:  # EOF: the child is gone, or stop() shut the pipe down
                break
            try:
                self.on_poll(poll, retry_in)
            except Exception:
                return  # the screen is gone
        if not self._stopping:
            self.on_exit(self._why_gone())

    def _why_gone(self) -> str:
        code = None
        if self._process is not None:
            try:
                code = self._process.wait(1.0)
            except subprocess.TimeoutExpired:
                self._process.kill()
        tail = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            lines = self._stderr.read().decode(errors="replace").strip().splitlines()
            tail = lines[-1] if lines else ""
        return f"probe process exited (code {code})" + (f": {tail}" if tail else "")

    def stop(self) -> None:
        """Shut the pipe down (the child sees it and exits), then make sure it has."""
        self._stopping = True
        if self._conn is not None:
            try:  # shutdown, not close: it also wakes the reader thread blocked in recv()
                with socket.socket(fileno=os.dup(self._conn.fileno())) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            if self._reader is not None:
                self._reader.join(0.5)
            self._conn.close()
            self._conn = None
        if self._process is not None:
            deadline = time.monotonic() + CLOSE_SECONDS + 0.3
            try:
                self._process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(1.0)
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
