"""The demo's stack process: starts the local stack, takes trouble commands, and always cleans up.

    python -m cockpit.demo.supervisor        (started by `cockpit demo`, never by hand)

It talks JSON lines: on stdout `{"progress": text}` while starting, then `{"ready": ...}`
(the environment for the cockpit, what is absent, its directories, the trouble keys) or `{"error": text}`;
then for each `{"id": n, "do": key}` read on stdin a `{"reply": n, "message": ...,
"actions": [...], "shown": {...}}` (`"do": "actions"` only asks for the keys' states and what the fakes got:
`DemoStack.shown`); last `{"stopped": [...], "removed": dir}`.

Everything it started stops and its temporary directory is removed when stdin closes
(the cockpit quit, crashed or was killed, even with SIGKILL: the kernel closes the pipe),
on SIGTERM, SIGHUP or SIGINT, or when starting fails. It runs in its own session, so
a Ctrl-C meant for the terminal reaches the cockpit, which then closes the pipe.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from cockpit.demo.stack import DemoStack
from cockpit.stack import error_line

REFRESH = "actions"  # not a trouble key: just the keys' current states


class Stop(BaseException):
    """A signal asked the stack process to stop (a BaseException: no `except Exception` may swallow it)."""


class Channel:
    """JSON lines to the cockpit, one writer at a time; a closed pipe is ignored (we are stopping)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def send(self, **message) -> None:
        with self.lock:
            try:
                self.stream.write(json.dumps(message) + "\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass


def _on_signal(signum, _frame) -> None:
    for other in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):  # a second signal, of any kind, must not cut the clean-up short
        signal.signal(other, signal.SIG_IGN)
    raise Stop(signal.Signals(signum).name)


def lines_of(stream) -> Iterator[str]:
    """The lines of `stream`, read by a daemon thread; the main thread wakes every 0.2 s.

    A signal is often delivered to another thread (the API's, the log writer's). Python
    runs its handler only when the main thread next executes bytecode, so a main thread
    blocked in `read()` would not see SIGTERM until the next command. Waiting on a queue
    with a timeout keeps it running.
    """
    inbox: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for raw in stream:
            inbox.put(raw)
        inbox.put(None)

    threading.Thread(target=read, name="demo-commands", daemon=True).start()
    while True:
        try:
            raw = inbox.get(timeout=0.2)
        except queue.Empty:
            continue
        if raw is None:
            return
        yield raw


def serve(stack: DemoStack, channel: Channel, commands) -> None:
    """Answer trouble commands until `commands` ends (the cockpit closed the pipe)."""
    for raw in lines_of(commands):
        try:
            request = json.loads(raw)
            key, ident = str(request["do"]), request["id"]
        except (ValueError, KeyError, TypeError):
            continue  # not from our cockpit: nothing to answer
        try:
            message = "" if key == REFRESH else stack.trouble(key)
        except Exception as error:  # noqa: BLE001 - a failed trouble action is news, not a crash
            message = f"failed: {type(error).__name__}: {error_line(error)}"
        try:
            actions = [a.to_json() for a in stack.actions()]
        except Exception as error:  # noqa: BLE001 - moto down: the keys are unknown, the stack still stops cleanly
            actions, message = [], f"{message} (the keys' states are unknown: {type(error).__name__}: {error_line(error)})".lstrip()
        channel.send(reply=ident, message=message, actions=actions, shown=stack.shown())


REMOVE_FOR = 8.0  # seconds: the engine's exit grace (3 s) and its hard exit, with room on a loaded machine


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="cockpit-demo-"))
    log = open(workdir / "stack.log", "w")  # noqa: SIM115 - open until the directory goes
    os.dup2(log.fileno(), 2)  # tracebacks of libraries go here, never onto the cockpit's screen
    channel = Channel(sys.stdout)
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _on_signal)
    stack = DemoStack(workdir, lambda text: channel.send(progress=text))
    try:
        try:
            stack.start()
        except Exception as error:  # noqa: BLE001 - reported, then everything is stopped
            channel.send(error=f"the demo stack could not start: {error_line(error)}")
            return 1
        channel.send(ready={"environ": stack.environ(), "absent": stack.absent, "dirs": dirs_of(stack), "env_file": str(stack.write_env_file()),
                            "actions": [a.to_json() for a in stack.actions()]})
        serve(stack, channel, sys.stdin)
        return 0
    except Stop:
        return 0
    finally:
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
        dirs = dirs_of(stack)
        stopped = stack.stop()
        log.close()
        remove_dir(workdir)
        channel.send(stopped=stopped, removed=", ".join(d for d in dirs if not os.path.exists(d)))


def remove_dir(directory: Path, outwait: float = REMOVE_FOR) -> None:
    """Remove `directory`, again while a late writer fills it: the engine of a cockpit killed outright keeps its journal
    (in this directory) open for its exit grace and may create a file between rmtree's unlinks and its rmdir, which
    then fails and leaves the directory behind (seen once in CI under load). Once gone it stays gone: the engine never
    creates the directory (create_dirs=False)."""
    deadline = time.monotonic() + outwait
    shutil.rmtree(directory, ignore_errors=True)
    while directory.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
        shutil.rmtree(directory, ignore_errors=True)


def dirs_of(stack: DemoStack) -> list[str]:
    """Every directory the stack made: its own, and PostgreSQL's (a 0755 mkdtemp of its own; see cockpit.stack)."""
    return [str(stack.workdir)] + ([str(stack.postgres.base)] if stack.postgres.base else [])


if __name__ == "__main__":
    sys.exit(main())
