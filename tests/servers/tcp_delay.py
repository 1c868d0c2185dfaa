"""A TCP proxy on loopback that holds every answer back for `delay` seconds: a slow server, for real.

    proxy = DelayProxy(redis.port, delay=0.015).start()
    url = f"redis://127.0.0.1:{proxy.port}/0"      # every reply comes 15 ms late
    proxy.delay = 0.0                                 # and now it does not

Bytes from the client go through at once; bytes from the server wait `delay` seconds
before they are passed on, so a request/response round trip takes at least `delay`.
"""

from __future__ import annotations

import socket
import threading
import time

from cockpit.stack import free_port


class DelayProxy:
    """Threads: one accepting, two per connection (one each way)."""

    def __init__(self, upstream_port: int, delay: float = 0.0, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.delay = delay
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> DelayProxy:
        """Listen on a free loopback port."""
        self.port = free_port()
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept, name="delay-proxy", daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection (idempotent)."""
        self._stopping.set()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets + ([self._listener] if self._listener else []):
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, delayed: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if delayed and self.delay > 0:
                    time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
