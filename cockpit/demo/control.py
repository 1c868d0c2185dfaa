"""The cockpit's side of the demo's stack process: start it, hear it, send it trouble, stop it."""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cockpit.demo.sweep import sweep
from cockpit.demo.trouble import TroubleAction

READY_TIMEOUT = 120.0  # seconds for the whole stack (initdb, moto, seeding) on a slow machine
REPLY_TIMEOUT = 60.0
STOP_TIMEOUT = 45.0


class DemoError(Exception):
    """The demo stack could not start, or stopped under us (one line)."""


@dataclass
class Ready:
    """What the stack process said when it was up."""

    environ: dict[str, str]
    absent: dict[str, str]
    actions: list[TroubleAction] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)  # every directory it made (removed when it stops)
    env_file: str = ""  # its environment as `export` lines, for a headless `cockpit run` from another shell


class DemoControl:
    """One stack process (`cockpit.demo.supervisor`) and the JSON lines to and from it."""

    def __init__(self, argv: list[str] | None = None) -> None:
        self.argv = argv or [sys.executable, "-m", "cockpit.demo.supervisor"]
        self.proc: subprocess.Popen[str] | None = None
        self.actions: list[TroubleAction] = []
        self.shown: dict = {}  # what the demo's fakes got (DemoStack.shown), as of the last reply
        self.stopped: dict | None = None
        self.dirs: list[str] = []  # the stack's directories, from its ready message (for a sweep)
        self.on_gone: Callable[[], None] | None = None  # called (from a thread) if the stack process ends first
        self._inbox: queue.Queue[dict | None] = queue.Queue()
        self._replies: dict[int, queue.Queue] = {}
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._closing = False

    def start(self, progress: Callable[[str], None]) -> Ready:
        """Start the stack process and relay its progress until it is ready; DemoError if it is not."""
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, bufsize=1, start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._read, name="demo-stack-reader", daemon=True).start()
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                message = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise DemoError(f"the demo stack was not ready within {READY_TIMEOUT:.0f} s") from None
            if message is None:
                raise DemoError("the demo stack process ended while starting")
            if "progress" in message:
                progress(str(message["progress"]))
            elif "error" in message:
                raise DemoError(str(message["error"]))
            elif "ready" in message:
                ready = message["ready"]
                self.actions = [TroubleAction.from_json(a) for a in ready.get("actions", [])]
                self.dirs = [str(d) for d in ready.get("dirs", [])]
                return Ready(dict(ready["environ"]), dict(ready.get("absent", {})), list(self.actions), list(self.dirs),
                             str(ready.get("env_file", "")))

    def run(self, key: str) -> str:
        """Ask the stack to do trouble key `key`; its one-line answer (blocks: call from a thread)."""
        ident = next(self._ids)
        box: queue.Queue = queue.Queue(maxsize=1)
        self._replies[ident] = box
        try:
            self._send({"id": ident, "do": key})
            reply = box.get(timeout=REPLY_TIMEOUT)
        except queue.Empty:
            return f"the demo stack did not answer within {REPLY_TIMEOUT:.0f} s"
        except (OSError, ValueError):  # a broken pipe, or one we closed ourselves (stopping)
            return "the demo stack is gone"
        finally:
            self._replies.pop(ident, None)
        if reply is None:
            return "the demo stack is gone"
        self.actions = [TroubleAction.from_json(a) for a in reply.get("actions", [])] or self.actions
        self.shown = dict(reply.get("shown") or {}) or self.shown
        return str(reply.get("message", ""))

    def refresh(self) -> list[TroubleAction]:
        """The trouble keys as they are now (a deployment may have failed meanwhile); blocks."""
        self.run("actions")
        return self.actions

    def stop(self) -> dict | None:
        """Close the pipe (the stack stops everything and removes its directory) and wait; its last report."""
        proc, self._closing = self.proc, True
        if proc is None:
            return None
        assert proc.stdin is not None  # start() opened the pipe
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.terminate()  # SIGTERM: it cleans up too, just without waiting for us
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        deadline = time.monotonic() + 2
        while self.stopped is None and time.monotonic() < deadline:  # the reader may still hold the last line
            time.sleep(0.02)
        if self.stopped is None and self.dirs:  # it died without cleaning up (SIGKILL): we do it
            self.stopped = {"stopped": sweep(self.dirs), "removed": ", ".join(self.dirs), "swept": True}
        return self.stopped

    def _send(self, message: dict) -> None:
        assert self.proc is not None and self.proc.stdin is not None  # start() opened the pipe
        with self._write_lock:
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None  # start() opened the pipe
        for raw in self.proc.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if "reply" in message:
                box = self._replies.get(message["reply"])
                if box is not None:
                    box.put(message)
            elif "stopped" in message:
                self.stopped = message
            else:
                self._inbox.put(message)
        self._inbox.put(None)
        for box in list(self._replies.values()):
            box.put(None)
        if not self._closing and self.on_gone is not None:
            self.on_gone()
