"""The engine in a process of its own, which is what the TUI runs.

Why a process: log followers parsing megabyte pages and pollers timing round trips in the
UI's process hold the GIL, delay keys by hundreds of ms under a log flood, and skew the
latencies they measure (bench/README.md). The child is a fresh interpreter (forking a
threaded process is unsafe) in its own session with no terminal; `-P` and cwd "/" keep
modules of the operator's current directory out of it. Parent and child talk over a
socketpair in length-prefixed pickles: the spec first, then commands one way and event
batches the other.

Lifecycle: when the UI goes (quit, crash, SIGKILL) its end of the socket closes and the
child stops (the journal's last write finished, then a bounded grace, then a hard exit).
When the child dies, the UI is told at once (EngineProblem, down) and it is started again
after RESTART_SECONDS (longer if it keeps dying); the journal is durable, nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from cockpit.engine.commands import Command
from cockpit.engine.events import EngineProblem
from cockpit.engine.handle import Receive
from cockpit.journal.store import Run
from cockpit.runbook import Environment, Runbook

HEADER = struct.Struct("!I")
RESTART_SECONDS = 1.0  # the first restart; doubled per death in a row, up to MAX_RESTART_SECONDS
MAX_RESTART_SECONDS = 30.0
BACKLOG_BYTES = 1 << 20  # batches the UI has not read yet beyond this: the engine holds the next ones (they merge)
EXIT_GRACE_SECONDS = 3.0  # the child's budget to finish its last journal write and close its clients


@dataclass(frozen=True)
class EngineSpec:
    """Everything the child needs to build the engine (picklable)."""

    runbook: Runbook
    env: Environment
    state_path: str
    who: str
    read_only: bool = False
    live: bool = True
    environ: Mapping[str, str] = field(default_factory=dict)
    journal_poll_seconds: float = 1.0
    cwd: str = ""  # the operator's directory: relative paths (a command's workdir, `.` by default) mean what they say
    run: Run | None = None  # the run the UI opened: an engine (re)started while a shared journal's server is away works on it


def frame(value: Any) -> bytes:
    """`value` as one length-prefixed pickle."""
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body)) + body


async def read_frame(reader: asyncio.StreamReader) -> Any:
    """The next value; IncompleteReadError at the end."""
    size = HEADER.unpack(await reader.readexactly(HEADER.size))[0]
    return pickle.loads(await reader.readexactly(size))


# -- the child ------------------------------------------------------------------------------
def serve(fd: int) -> None:
    """The child's entry point: read the spec, run the engine until the parent goes, exit."""
    try:
        asyncio.run(_serve(fd))
    except BaseException as exc:  # noqa: BLE001 - reported through stderr, then exit
        if not isinstance(exc, KeyboardInterrupt | SystemExit | asyncio.IncompleteReadError):
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
    os._exit(0)  # no atexit joins: a hung DNS lookup or AWS call in a thread must not keep this alive


def _hard_exit_after(seconds: float) -> None:
    """Whatever a library does while stopping, the process is gone `seconds` from now."""
    timer = threading.Timer(seconds, os._exit, args=(0,))
    timer.daemon = True
    timer.start()


async def _serve(fd: int) -> None:
    from cockpit.engine.engine import Engine
    from cockpit.journal.opening import open_store
    from cockpit.journal.session import RunSession

    reader, writer = await asyncio.open_connection(sock=socket.socket(fileno=fd))
    spec: EngineSpec = await read_frame(reader)
    if spec.cwd:  # started in "/" (see the module docstring); -P keeps this directory's modules out of sys.path
        with contextlib.suppress(OSError):  # gone since the UI started: "/" stays, and a plan shows its workdir in full
            os.chdir(spec.cwd)
    # Not create_dirs: `cockpit` made the journal; an engine that starts after its UI died (the demo's directory
    # already removed) must not bring the directory back.
    journal = open_store(spec.state_path, read_only=spec.read_only, create_dirs=False, spool=True)  # a shared journal's spool
    session = RunSession(journal, spec.runbook.id, spec.runbook.version, spec.env.name, spec.who, known_run=spec.run)

    def send(batch: list) -> None:
        if not writer.is_closing():
            writer.write(frame(batch))

    def ready() -> bool:  # backpressure: a UI busy drawing reads slower than a flood arrives; memory stays bounded
        return writer.transport.get_write_buffer_size() < BACKLOG_BYTES

    engine = Engine(spec.runbook, spec.env, session, send, read_only=spec.read_only, live=spec.live,
                    environ=spec.environ, journal_poll_seconds=spec.journal_poll_seconds, ready=ready)
    loop = asyncio.get_running_loop()
    running = loop.create_task(engine.run(), name="engine")
    listening = loop.create_task(_commands(reader, engine), name="commands")
    for signum in (signal.SIGTERM, signal.SIGHUP):  # stopped from outside: as when the UI goes
        loop.add_signal_handler(signum, listening.cancel)
    try:
        await listening
    except asyncio.CancelledError:
        pass
    finally:
        _hard_exit_after(EXIT_GRACE_SECONDS)
        running.cancel()
        try:
            await running
        except asyncio.CancelledError:
            pass
        journal.close()


async def _commands(reader: asyncio.StreamReader, engine: Any) -> None:
    """Hand every command to the engine until the UI closes its end."""
    try:
        while True:
            command: Command = await read_frame(reader)
            engine.handle(command)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # the UI is gone


# -- the parent -----------------------------------------------------------------------------
class EngineProcess:
    """Starts the engine's process, restarts it when it dies, and relays commands and batches."""

    def __init__(self, spec: EngineSpec) -> None:
        self.spec = spec
        self.receive: Receive | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._stderr: IO[bytes] | None = None
        self._reading: asyncio.Task[None] | None = None
        self._stopping = False
        self._waiting: list[Command] = []  # sent while the engine was down: delivered when it is back
        self.deaths = 0  # in a row: a restart that delivers a batch resets it

    def start(self, receive: Receive) -> None:
        """Start the child (from the UI's running loop)."""
        self.receive = receive
        self._stopping = False
        self._reading = asyncio.get_running_loop().create_task(self._run(), name="engine-process")

    async def _run(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            self._stderr = tempfile.TemporaryFile()
            code = f"from cockpit.engine.process import serve; serve({theirs.fileno()})"
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-c", code], pass_fds=[theirs.fileno()], cwd="/",
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr, start_new_session=True,
            )
        except Exception as exc:
            ours.close()
            self._gone(f"engine could not start: {type(exc).__name__}: {exc}")
            return
        finally:
            theirs.close()
        reader, self.writer = await asyncio.open_connection(sock=ours)
        self.writer.write(frame(self.spec))
        for command in self._waiting:  # pressed while it was down: nothing the operator did is lost
            self.writer.write(frame(command))
        self._waiting.clear()
        try:
            while True:
                batch = await read_frame(reader)
                self.deaths = 0
                if self.receive is not None:
                    self.receive(batch)
        except (asyncio.IncompleteReadError, ConnectionError, pickle.UnpicklingError):
            pass
        self.writer.close()
        self.writer = None
        if not self._stopping:
            self._gone(await asyncio.get_running_loop().run_in_executor(None, self._why_gone))

    def _gone(self, reason: str) -> None:
        """Say the engine is down, and start it again a little later."""
        self.deaths += 1
        delay = min(MAX_RESTART_SECONDS, RESTART_SECONDS * 2 ** (self.deaths - 1))
        if self.receive is not None:
            self.receive([EngineProblem(f"{reason}; restarting in {delay:.0f} s", down=True)])
        asyncio.get_running_loop().call_later(delay, self._restart)

    def _restart(self) -> None:
        if not self._stopping:
            self._reading = asyncio.get_running_loop().create_task(self._run(), name="engine-process")

    def _why_gone(self) -> str:
        code = None
        if self.process is not None:
            try:
                code = self.process.wait(1.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
        tail = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            lines = self._stderr.read().decode(errors="replace").strip().splitlines()
            tail = lines[-1][-200:] if lines else ""
            self._stderr.close()
            self._stderr = None
        return f"engine exited (code {code})" + (f": {tail}" if tail else "")

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self.process.pid if self.process is not None and self.process.poll() is None else None

    def send(self, command: Command) -> None:
        """Relay `command`; while the engine is down it waits, and goes to the next one started."""
        if self.writer is not None and not self.writer.is_closing():
            self.writer.write(frame(command))
        else:
            self._waiting.append(command)

    async def stop(self) -> None:
        """Close our end (the child finishes its journal write and exits), and make sure it has."""
        self._stopping = True
        if self.writer is not None:
            self.writer.close()
        if self._reading is not None:
            self._reading.cancel()
        process = self.process
        if process is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._reap, process)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    @staticmethod
    def _reap(process: subprocess.Popen[bytes]) -> None:
        try:
            process.wait(EXIT_GRACE_SECONDS + 0.5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(1.0)
