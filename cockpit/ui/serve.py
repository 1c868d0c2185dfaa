"""`cockpit serve --wall`: the wall view in a browser, through textual-serve, for the war room's TV.

textual-serve's Server starts one process per browser session from a shell command. That command is built here,
once, from the serving operator's own arguments: the wall view (`cockpit --wall`, read-only: its screen, its engine
and its journal) on the given runbook, environment and journal. Nothing a browser sends reaches it: the page's query
string only sets a font size and a terminal size, and its key presses go to the wall view, which changes nothing.

The journal's location goes to the sessions through COCKPIT_STATE, never on the command line: a shared journal's
URL may carry a password, and the command is shown by `ps`; the banner printed here names it masked.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
# The page tells the browser where its websocket is from --host: "every address" is not one a browser can reach.
WILDCARDS = frozenset({"0.0.0.0", "::", "", "*"})
DEFAULT_PORT = 8000
OPEN_WARNING = ("warning: serving on {host}, not loopback: the page has no login of its own; anyone who reaches "
                "{host}:{port} sees the wall. Put it behind the network's access control.")


@dataclass(frozen=True)
class WallSession:
    """What every browser session runs: fixed when `cockpit serve` starts, never taken from a request."""

    runbook: Path | None  # None: the bundled runbook
    env: str
    state: str  # a journal file or a database URL (passed in the environment, see module docstring)
    python: str = sys.executable

    def command(self) -> str:
        """The shell command textual-serve runs per session: `python -m cockpit --wall --env ENV [--runbook FILE]`."""
        argv = [self.python, "-m", "cockpit", "--wall", "--env", self.env]
        if self.runbook is not None:
            argv += ["--runbook", str(self.runbook.resolve())]
        return shlex.join(argv)


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost): only this machine reaches it."""
    return host in LOOPBACK or host.startswith("127.")


def _server_class() -> type:
    """textual-serve's Server with cockpit's banner (loaded late: aiohttp is only imported when serving)."""
    from textual_serve.server import Server

    class WallServer(Server):
        """The wall view's server, without textual-serve's banner (printed before it listens, naming the command)."""

        async def on_startup(self, app: Any) -> None:
            """Nothing: `_serve` says where it serves once it listens."""

    return WallServer


LINK = re.compile(rb'<link[^>]*href="https?://([^/"]*)[^"]*"[^>]*>\s*')  # a stylesheet and the host it comes from


async def _no_outside_requests(request: Any, handler: Callable[[Any], Any]) -> Any:
    """aiohttp middleware: the page asks nothing of another host. textual-serve's page loads a web font from
    fonts.googleapis.com; the TV in a war room is often on a network without the internet (the page would wait on it)
    and should not tell anyone outside that it is up. Without it the page uses the browser's monospace font."""
    response = await handler(request)
    body = getattr(response, "body", None)
    if getattr(response, "content_type", "") == "text/html" and isinstance(body, bytes):
        ours = request.host.encode()
        response.body = LINK.sub(lambda m: m[0] if m[1] == ours else b"", body)
    return response


async def _serve(server: Any, host: str, port: int, stop: asyncio.Event, banner: str) -> None:
    """Run the web app until `stop` is set, then close every session (each wall process is told to quit)."""
    from aiohttp import web

    app = await server._make_app()
    app.middlewares.append(web.middleware(_no_outside_requests))
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        print(banner, flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def serve_wall(session: WallSession, host: str, port: int, *, banner_state: str,
               announce: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> int:
    """Serve the wall view on http://HOST:PORT/ until Ctrl-C or SIGTERM; its exit code (0, or 2 if it cannot listen).

    `banner_state`: the journal as it may be shown (a URL's password masked).
    """
    if not is_loopback(host):
        announce(OPEN_WARNING.format(host=host, port=port))
    os.environ["COCKPIT_STATE"] = session.state  # the sessions inherit it (see module docstring)
    shown = f"[{host}]" if ":" in host else host
    banner = f"cockpit: serving the wall view ({session.env}, journal {banner_state}) on http://{shown}:{port}/ · Ctrl-C stops"
    server = _server_class()(session.command(), host=host, port=port, title="cockpit wall")
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        loop.run_until_complete(_serve(server, host, port, stop, banner))
    except OSError as exc:
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        announce(f"cockpit: cannot listen on {host}:{port}: {reason}")
        return 2
    finally:
        loop.close()
    return 0
