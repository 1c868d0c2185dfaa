"""PostgreSQL: autocommit `SELECT 1` latency over one long-lived connection."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from dataclasses import dataclass

import psycopg

from cockpit.probes.errors import CONFIG, TIMEOUT, ProbeError, check_url, classify, endpoint, url_secrets
from cockpit.probes.pool_params import libpq_url, url_problem

_STATS = """
SELECT current_setting('server_version'),
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
       current_setting('max_connections')::int,
       current_user
"""
# The server's own time for the probe's query: planning plus execution, no network, no client.
_SERVER_TIME = "EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1"


@dataclass(frozen=True)
class PostgresStats:
    """Server version and connection use."""

    server_version: str
    connections: int
    max_connections: int
    user: str = ""


@dataclass(frozen=True)
class PostgresSample:
    """One `SELECT 1` round trip (milliseconds), with stats when they were asked for."""

    latency_ms: float
    stats: PostgresStats | None = None


class PostgresProbe:
    """Runs `SELECT 1` on a long-lived autocommit connection; reconnects after a loss.

    A query that outlives the read timeout is not cancelled the polite way: psycopg would
    then wait on the (hung) server for the cancel, then for a terminate, 10 s in all.
    The socket is shut down instead, the query fails at once, the connection is dropped.
    """

    def __init__(self, url: str, connect_timeout: float = 3.0, read_timeout: float = 5.0) -> None:
        problem = url_problem(url, "the database URL")
        if problem:  # before libpq reads it: a misread password can end up in its error message
            raise ProbeError(CONFIG, problem)
        self.conninfo = libpq_url(url)
        if "://" in url:
            parts = check_url(url, "the database URL", ("postgresql", "postgres"))
            self.where, self._secrets = endpoint(self.conninfo), url_secrets(parts)
        else:  # a keyword DSN: libpq parses it, and its messages name no password
            self.where, self._secrets = "database", ()
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._conn: psycopg.AsyncConnection | None = None

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed:
            async with asyncio.timeout(self.connect_timeout):
                self._conn = await psycopg.AsyncConnection.connect(
                    self.conninfo,
                    autocommit=True,
                    connect_timeout=max(2, int(self.connect_timeout)),  # libpq's own floor is 2 s
                    prepare_threshold=None,
                    application_name="cockpit",
                )
        return self._conn

    async def sample(self, with_stats: bool = False) -> PostgresSample:
        """`SELECT 1` once (and the stats when `with_stats`); raise ProbeError on failure."""
        try:
            conn = await self._connection()
            query = asyncio.ensure_future(self._query(conn, with_stats))
            try:
                done, _ = await asyncio.wait({query}, timeout=self.read_timeout)
            except asyncio.CancelledError:
                _sever(conn)
                query.add_done_callback(_forget)
                raise
            if not done:
                _sever(conn)
                query.add_done_callback(_forget)  # it fails now; its error is this timeout
                await asyncio.wait({query}, timeout=1.0)
                raise ProbeError(TIMEOUT, f"timed out: {self.where}")
            return query.result()
        except Exception as exc:
            await self._drop()
            raise classify(exc, self.where, self._secrets) from None

    @staticmethod
    async def _query(conn: psycopg.AsyncConnection, with_stats: bool) -> PostgresSample:
        started = time.perf_counter()
        await conn.execute("SELECT 1")
        latency_ms = (time.perf_counter() - started) * 1000
        if not with_stats:
            return PostgresSample(latency_ms)
        cursor = await conn.execute(_STATS)
        row = await cursor.fetchone()
        assert row is not None  # a SELECT without FROM returns one row
        version, connections, max_connections, user = row
        return PostgresSample(latency_ms, PostgresStats(str(version), int(connections), int(max_connections), str(user)))

    async def server_time_ms(self) -> float:
        """The server's own planning + execution time of `SELECT 1` (EXPLAIN ANALYZE), in ms."""
        try:
            conn = await self._connection()
            async with asyncio.timeout(self.read_timeout):
                cursor = await conn.execute(_SERVER_TIME)
                row = await cursor.fetchone()
                assert row is not None  # EXPLAIN returns one row
                (plan,) = row
            document = (json.loads(plan) if isinstance(plan, str) else plan)[0]
            return float(document["Planning Time"]) + float(document["Execution Time"])
        except Exception as exc:
            await self._drop()
            raise classify(exc, self.where, self._secrets) from None

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            _sever(conn)
            try:
                await asyncio.wait_for(conn.close(), 1.0)
            except Exception:
                pass  # a broken connection may fail to close; it is dropped either way

    async def close(self) -> None:
        """Close the connection."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            try:
                await asyncio.wait_for(conn.close(), 1.0)
            except Exception:
                _sever(conn)


def _forget(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()


def _sever(conn: psycopg.AsyncConnection) -> None:
    """Shut the connection's socket down: whatever waits on it fails now."""
    try:
        fd = conn.pgconn.socket
        sock = socket.socket(fileno=os.dup(fd))
    except Exception:
        return  # already closed
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()
