"""The life of a local HTTP server on loopback, shared by the fakes (API, GitHub, Slack) and the tests' AWS proxy.

Why it is more than `ThreadingHTTPServer`: tests stop a server and start it again on the
same port to make a real fault (a refused connection, then a recovery). The clients keep
connections alive, so `stop()` must cut every kept-alive connection too, or a client keeps
talking to a server that is gone; and a handler that hangs or holds an answer back waits on
`_stopping`, so a stop ends it at once instead of after its timeout.

    class FakeThing(LoopbackServer):
        thread_name = "fake-thing"                 # threads are named fake-thing-PORT
        def _handler(self): return _handler_for(self)   # a LoopbackHandler subclass
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackServer:
    """One ThreadingHTTPServer on 127.0.0.1:<free port> (the same port again after `stop()`), serving in a daemon thread."""

    thread_name = "loopback"

    def __init__(self) -> None:
        self.port = 0
        self._stopping = threading.Event()  # set while stopping: hanging handlers wait on it
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        """Listen (port 0: the kernel picks, no race; else the same port again) and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self.port), self._handler(), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                                        name=f"{self.thread_name}-{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening, end hanging handlers early, cut kept-alive connections. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            (self._connections.add if alive else self._connections.discard)(conn)


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 overflows when a check run opens a dozen connections at
    # once; the kernel then drops SYNs and the client retries after 1 s: a fake 1 s TTFB.
    request_queue_size = 128
    daemon_threads = True
    allow_reuse_address = True  # restart on the same port despite TIME_WAIT

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: LoopbackServer) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out or hung up mid-response is routine in fault tests, not a traceback


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, like the real services; its connection is tracked so `stop()` can cut it."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms on Linux), which no real server does.
    disable_nagle_algorithm = True
    timeout = 10  # idle keep-alive connections do not pin a thread forever

    def setup(self) -> None:
        super().setup()
        self._owner()._track(self.connection, True)

    def finish(self) -> None:
        self._owner()._track(self.connection, False)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no request lines on stderr

    def _owner(self) -> LoopbackServer:
        server = self.server
        assert isinstance(server, _Server)
        return server.owner
