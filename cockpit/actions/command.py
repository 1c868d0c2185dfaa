"""Run a step's shell lines as written, streaming their output, and say how it ended.

`run_command` runs the script with `bash --noprofile --norc -e -o pipefail -c SCRIPT`:

- `-e` (errexit): the plan's blocks are sequences where each line assumes the one before it
  worked (`cd apps/admin-dashboard` then `npx playwright test`; two `gh workflow run` lines).
  Without it a failed `cd` runs the tests in the wrong directory, and the exit code is the
  last line's alone, so a failed first deploy hides behind a successful second one. A
  command whose failure is expected is written `cmd || true`, as in CI.
- `-o pipefail`: `deploy | tee deploy.log` must fail when the deploy fails, not pass
  because `tee` did.
- no `-u`: plans use optional variables; no profile or rc file: the step's environment is
  exactly `env`. (bash still sources `$BASH_ENV` if `env` has it: the caller decides `env`.)
- stdin is /dev/null: nobody can answer a prompt (`npx` asking to install), so it gets EOF
  at once instead of hanging until the timeout.

The script runs in a new session (`start_new_session=True`), so its process group holds
everything it starts. A timeout or `stop` sends SIGTERM to the group, then SIGKILL to
whatever is left after `grace` seconds. When bash exits by itself, members it left behind
(`server &`) are ended the same way: a step leaves nothing running. A process that put
itself in another session (`setsid`, some daemons) escapes the group; its hold on the
output pipe is let go of `grace` seconds after bash ends.

Output (stdout and stderr merged in one pipe, so their order is kept) is read in chunks
as it comes and cut into lines: every line goes through `clean_message` (controls made
visible, secrets masked, exactly as log lines) before `on_line` and the tail. A line
longer than `max_line_bytes` keeps its head and ends in `… [cut: N bytes]`; its rest is
never buffered. A last line without a newline is delivered at EOF. The process's time is
never spent on the event loop: the pipe is read by the loop's selector and liveness
checks run in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cockpit.core.logline import clean_message

BASH_ARGS = ("--noprofile", "--norc", "-e", "-o", "pipefail", "-c")
MAX_LINE_BYTES = 16384
"""Bytes kept of one output line (the rest is counted, not kept)."""

_READ_CHUNK = 65536
_POLL_SECONDS = 0.02  # how often a stopping group is looked at
_KILL_WAIT = 5.0  # after SIGKILL the kernel ends a process at once, unless it is stuck in a disk wait


@dataclass(frozen=True)
class CommandOutcome:
    """How a command ended: the evidence a step keeps.

    `exit_code` is bash's exit status when it exited by itself (0 passed, 127 a command
    not found, 128+N a child killed by signal N); None when bash itself was ended by a
    signal (`signal` says which: SIGTERM from a stop or timeout, SIGKILL after the grace,
    or one from outside) or never started (`error` says why, in one line). `timed_out`
    and `stopped` say who ended it. `tail` holds the last cleaned lines, `lines` how many
    there were in all.
    """

    exit_code: int | None
    signal: int | None
    duration: float
    timed_out: bool
    stopped: bool
    lines: int
    tail: tuple[str, ...]
    error: str | None = None

    @property
    def passed(self) -> bool:
        """True only when bash ran to its end by itself and exited 0."""
        return self.exit_code == 0 and not self.timed_out and not self.stopped and self.error is None

    def summary(self) -> str:
        """One line for a step's detail and the journal, e.g. `exit 1 after 3.2 s, 40 lines`."""
        if self.error is not None:
            return f"not run: {self.error}"
        end = f"exit {self.exit_code}" if self.exit_code is not None else f"killed by {_signal_name(self.signal)}"
        why = " (timed out)" if self.timed_out else " (stopped)" if self.stopped else ""
        return f"{end}{why} after {self.duration:.1f} s, {self.lines} line{'' if self.lines == 1 else 's'}"


class LineSplitter:
    """Cut a byte stream into cleaned display lines, holding at most `max_line_bytes` of a line."""

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self._max = max_line_bytes
        self._head = bytearray()
        self._dropped = 0

    def feed(self, chunk: bytes) -> list[str]:
        """The lines `chunk` completes (the part after its last newline waits for more)."""
        *complete, rest = chunk.split(b"\n")
        lines = []
        for piece in complete:
            self._keep(piece)
            lines.append(self._finish())
        self._keep(rest)
        return lines

    def flush(self) -> list[str]:
        """The last line when the stream ended without a newline."""
        return [self._finish()] if self._head or self._dropped else []

    def _keep(self, piece: bytes) -> None:
        room = self._max - len(self._head)
        if len(piece) <= room:
            self._head += piece
        else:
            self._head += piece[:max(room, 0)]
            self._dropped += len(piece) - max(room, 0)

    def _finish(self) -> str:
        line = clean_message(self._head.decode("utf-8", "replace"), self._max)
        if self._dropped:
            line = f"{line}… [cut: {len(self._head) + self._dropped} bytes]"
        self._head = bytearray()
        self._dropped = 0
        return line


async def run_command(
    script: str,
    *,
    cwd: str | os.PathLike[str],
    env: Mapping[str, str],
    timeout: float | None,
    on_line: Callable[[str], object],
    stop: asyncio.Event,
    grace: float = 5.0,
    tail_lines: int = 200,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> CommandOutcome:
    """Run `script` with bash in `cwd` with exactly `env`; see the module docstring.

    Each output line, cleaned, goes to `on_line` (called on the event loop, as it comes) and
    to the outcome's tail of at most `tail_lines`. `timeout` (seconds, None for none) and
    `stop` end the process group: SIGTERM, then SIGKILL after `grace` seconds. A missing
    `cwd` or bash gives an outcome with `error` set, not an exception. If the caller is
    cancelled, the group is SIGKILLed before the cancellation goes on.
    """
    _check_numbers(timeout, grace, tail_lines, max_line_bytes)
    started = time.monotonic()
    problem = _cannot_start(Path(cwd), env)
    if problem is not None:
        return _not_run(problem, started)
    read_fd, write_fd = os.pipe()
    try:
        proc = await asyncio.create_subprocess_exec(
            "bash", *BASH_ARGS, script, cwd=cwd, env=dict(env),
            stdin=subprocess.DEVNULL, stdout=write_fd, stderr=write_fd, start_new_session=True,
        )
    except OSError as exc:
        os.close(read_fd)
        return _not_run(f"cannot start bash in {_shown(cwd)}: {exc.strerror or exc}", started)
    finally:
        os.close(write_fd)  # the children hold their copies: EOF comes when the last one closes it
    run = _Run(proc, on_line, tail_lines, max_line_bytes)
    try:
        await run.open_pipe(read_fd)
        timed_out, stopped = await run.until_end(timeout, stop, grace)
    except BaseException:
        _signal_group(proc.pid, signal.SIGKILL)
        with contextlib.suppress(BaseException):  # reap bash (a moment after SIGKILL), even while being cancelled
            await asyncio.shield(asyncio.wait_for(proc.wait(), _KILL_WAIT))
        raise
    finally:
        run.close_pipe()
    code = proc.returncode
    return CommandOutcome(
        exit_code=code if code is not None and code >= 0 else None,
        signal=-code if code is not None and code < 0 else None,
        duration=time.monotonic() - started,
        timed_out=timed_out,
        stopped=stopped,
        lines=run.lines,
        tail=tuple(run.tail),
    )


class _Run:
    """One running script: its output pipe, line count and tail."""

    def __init__(self, proc: asyncio.subprocess.Process, on_line: Callable[[str], object], tail_lines: int, max_line_bytes: int) -> None:
        self.proc = proc
        self.on_line = on_line
        self.lines = 0
        self.tail: deque[str] = deque(maxlen=tail_lines)
        self._splitter = LineSplitter(max_line_bytes)
        self._transport: asyncio.ReadTransport | None = None
        self._reader: asyncio.Task[None] | None = None

    async def open_pipe(self, read_fd: int) -> None:
        stream = asyncio.StreamReader(limit=_READ_CHUNK)
        loop = asyncio.get_running_loop()
        pipe = os.fdopen(read_fd, "rb", buffering=0)
        self._transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), pipe)
        self._reader = asyncio.create_task(self._read(stream))

    def close_pipe(self) -> None:
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
        if self._transport is not None:
            self._transport.close()

    async def until_end(self, timeout: float | None, stop: asyncio.Event, grace: float) -> tuple[bool, bool]:
        """Wait for bash to exit, the timeout or `stop`; end the group; read the output to its end."""
        assert self._reader is not None
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        exited = asyncio.ensure_future(self.proc.wait())
        stopping = asyncio.ensure_future(stop.wait())
        timed_out = False
        try:
            while not exited.done() and not stopping.done():
                left = None if deadline is None else deadline - loop.time()
                if left is not None and left <= 0:
                    timed_out = True
                    break
                # The reader is waited on too, so an exception raised by on_line stops the run at once.
                reading = set() if self._reader.done() else {self._reader}
                await asyncio.wait({exited, stopping, *reading}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
                if self._reader.done():
                    self._reader.result()
        except BaseException:
            exited.cancel()
            raise
        finally:
            stopping.cancel()
        stopped = not timed_out and not exited.done()
        if not exited.done() or await asyncio.to_thread(_group_alive, self.proc.pid):
            await _end_group(self.proc.pid, grace)
        await exited
        # Whatever still holds the pipe after the group is gone left the session: stop reading it.
        await asyncio.wait({self._reader}, timeout=grace)
        if self._reader.done():
            self._reader.result()  # an exception raised by on_line goes to the caller
        return timed_out, stopped

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(_READ_CHUNK):
            self._deliver(self._splitter.feed(chunk))
        self._deliver(self._splitter.flush())

    def _deliver(self, lines: list[str]) -> None:
        for line in lines:
            self.lines += 1
            self.tail.append(line)
            self.on_line(line)


async def _end_group(pgid: int, grace: float) -> None:
    """SIGTERM to the group; SIGKILL to what is left after `grace` seconds; wait until it is gone."""
    _signal_group(pgid, signal.SIGTERM)
    if not await _wait_group_gone(pgid, grace):
        _signal_group(pgid, signal.SIGKILL)
        await _wait_group_gone(pgid, _KILL_WAIT)


async def _wait_group_gone(pgid: int, seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while await asyncio.to_thread(_group_alive, pgid):
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(_POLL_SECONDS)
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # gone already; a setuid member we may not signal is left to the kernel's own rules


def _group_alive(pgid: int) -> bool:
    """True while a process of group `pgid` is not yet a zombie.

    `killpg(pgid, 0)` also counts zombies (an orphan waits for init to reap it, and a
    container's init may never do so), so on Linux /proc says which members still run.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True
    for entry in entries:
        if entry.isdigit() and _running_member(entry, pgid):
            return True
    return False


def _running_member(pid: str, pgid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return False
    return len(fields) > 2 and fields[2] == str(pgid).encode() and fields[0] not in (b"Z", b"X")


def _cannot_start(cwd: Path, env: Mapping[str, str]) -> str | None:
    if not cwd.exists():
        return f"working directory {_shown(cwd)} does not exist"
    if not cwd.is_dir():
        return f"working directory {_shown(cwd)} is not a directory"
    if shutil.which("bash", path=env.get("PATH", os.defpath)) is None:
        return "bash not found on the command's PATH"
    return None


def _check_numbers(timeout: float | None, grace: float, tail_lines: int, max_line_bytes: int) -> None:
    if timeout is not None and not timeout > 0:
        raise ValueError(f"command timeout must be a positive number of seconds, not {timeout!r}")
    if not grace >= 0:
        raise ValueError(f"grace must be zero or more seconds, not {grace!r}")
    if tail_lines < 0 or max_line_bytes < 1:
        raise ValueError(f"tail_lines must be >= 0 and max_line_bytes >= 1, not {tail_lines!r} and {max_line_bytes!r}")


def _not_run(problem: str, started: float) -> CommandOutcome:
    return CommandOutcome(None, None, time.monotonic() - started, False, False, 0, (), error=problem)


def _shown(path: str | os.PathLike[str]) -> str:
    return clean_message(os.fspath(path), 300)


def _signal_name(number: int | None) -> str:
    try:
        return signal.Signals(number).name if number is not None else "a signal"
    except ValueError:
        return f"signal {number}"
