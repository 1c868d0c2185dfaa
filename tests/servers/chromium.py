"""A headless Chromium (Debian's package, /usr/bin/chromium) driven over the Chrome DevTools Protocol, for the
browser tests of `cockpit serve --wall`.

A small CDP client on aiohttp's websocket (textual-serve's own dependency): navigate, evaluate, wait for a
condition, press keys, take a screenshot. Every call has a timeout.

Reading the terminal: textual-serve's page draws xterm.js on a canvas (WebGL or 2D), so the DOM holds no text.
A conditional breakpoint that never pauses (`(window.__cockpitTerminal = this.terminal, false)`) on the line of
textual.js that writes the app's bytes into the terminal hands the page's own xterm.js Terminal to the test, whose
buffer is exactly what the canvas shows.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import aiohttp

from tests.servers import unavailable

CHROMIUM = "/usr/bin/chromium"
TIMEOUT = aiohttp.ClientTimeout(total=10)
# Where textual.js writes a session's bytes into xterm.js (`this` is its terminal wrapper there).
WRITE_ANCHOR = "this.bufferedBytes+=t.length"
CAPTURE = "(window.__cockpitTerminal = this.terminal, false)"
SCREEN_TEXT = """(() => {
  const term = window.__cockpitTerminal;
  if (!term) return null;
  const buffer = term.buffer.active, rows = [];
  for (let y = 0; y < term.rows; y++) { const line = buffer.getLine(buffer.viewportY + y); rows.push(line ? line.translateToString(true) : ""); }
  return rows.join("\\n");
})()"""


class Chromium:
    """One headless Chromium with one page, closed by `close()` (or `async with`)."""

    def __init__(self) -> None:
        if not os.access(CHROMIUM, os.X_OK):
            unavailable(f"{CHROMIUM} not installed (apt-get install chromium)")
        self.profile = Path(tempfile.mkdtemp(prefix="cockpit-chromium-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.session: aiohttp.ClientSession | None = None
        self.socket: aiohttp.ClientWebSocketResponse | None = None
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Chromium:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Launch Chromium on a DevTools port of its choosing and attach to its page."""
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "--window-size=1600,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        port = await asyncio.wait_for(asyncio.to_thread(self._devtools_port), 30)
        self.session = aiohttp.ClientSession(timeout=TIMEOUT)
        async with self.session.get(f"http://127.0.0.1:{port}/json/list") as response:
            pages = [t for t in await response.json() if t["type"] == "page"]
        self.socket = await self.session.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        self.reader = asyncio.create_task(self._read())
        await self.call("Page.enable")
        await self.call("Runtime.enable")
        await self.call("Debugger.enable")

    def _devtools_port(self) -> int:
        """The port from Chromium's `DevTools listening on ws://127.0.0.1:PORT/...` line."""
        assert self.process is not None and self.process.stderr is not None
        for raw in self.process.stderr:
            match = re.search(rb"DevTools listening on ws://[^:]+:(\d+)/", raw)
            if match:
                # Keep draining its stderr, so a chatty Chromium never blocks on a full pipe.
                threading.Thread(target=self.process.stderr.read, daemon=True).start()
                return int(match.group(1))
        raise RuntimeError(f"chromium exited ({self.process.wait()}) without a DevTools port")

    async def _read(self) -> None:
        assert self.socket is not None
        async for message in self.socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = message.json()
            future = self.pending.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)
        for future in self.pending.values():
            future.set_exception(ConnectionError("chromium's DevTools socket closed"))

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One CDP command; its result (an error reply raises)."""
        assert self.socket is not None
        ident = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        await self.socket.send_json({"id": ident, "method": method, "params": params})
        reply = await asyncio.wait_for(future, 15)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def open_terminal_page(self, url: str, script: str) -> None:
        """Navigate to a textual-serve page, with its terminal handed over (module docstring); `script`: textual.js's text."""
        index = script.index(WRITE_ANCHOR)
        line = script.count("\n", 0, index)
        start = script.rfind("\n", 0, index) + 1
        column = len(script[start:index].encode("utf-16-le")) // 2  # DevTools counts UTF-16 code units, not code points
        await self.call("Debugger.setBreakpointByUrl", urlRegex=r".*/static/js/textual\.js$", lineNumber=line,
                        columnNumber=column, condition=CAPTURE)
        await self.call("Page.navigate", url=url)

    async def screen_text(self) -> str | None:
        """The terminal's rows as text (None before the page has drawn anything)."""
        return await self.evaluate(SCREEN_TEXT)

    async def wait_for_text(self, needle: str | re.Pattern[str], timeout: float) -> str:
        """Wait until the terminal shows `needle`; the screen then. On timeout: AssertionError with the last screen."""
        loop = asyncio.get_running_loop()
        deadline, screen = loop.time() + timeout, None
        while True:
            screen = await self.screen_text()
            if screen is not None and (needle.search(screen) if isinstance(needle, re.Pattern) else needle in screen):
                return screen
            if loop.time() > deadline:
                raise AssertionError(f"the page did not show {needle!r} within {timeout} s; it showed:\n{screen}")
            await asyncio.sleep(0.05)  # polling interval of the condition, not a wait for time to pass

    async def press(self, text: str) -> None:
        """Type `text` into the focused terminal, a key at a time (`\\r` is Enter, `\\x1b` Escape)."""
        await self.evaluate("window.__cockpitTerminal && window.__cockpitTerminal.focus()")
        names = {"\r": ("Enter", 13), "\x1b": ("Escape", 27), "\t": ("Tab", 9), " ": (" ", 32)}
        for char in text:
            key, code = names.get(char, (char, ord(char.upper())))
            params: dict[str, Any] = {"key": key, "windowsVirtualKeyCode": code}
            if char.isprintable() or char == "\r":
                params["text"] = char
            await self.call("Input.dispatchKeyEvent", type="keyDown", **params)
            await self.call("Input.dispatchKeyEvent", type="keyUp", key=key, windowsVirtualKeyCode=code)

    async def screenshot(self, path: Path) -> Path:
        """Save a PNG of the page to `path`."""
        result = await self.call("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(result["data"]))
        return path

    async def close(self) -> None:
        """Stop Chromium and remove its profile."""
        if self.socket is not None:
            await self.socket.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)
        if self.session is not None:
            await self.session.close()
        if self.process is not None:
            self.process.terminate()
            try:
                await asyncio.wait_for(asyncio.to_thread(self.process.wait), 10)
            except TimeoutError:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
