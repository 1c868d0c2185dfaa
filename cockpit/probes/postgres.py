"""PostgreSQL: autocommit `SELECT 1` latency over one long-lived connection."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import psycopg

from cockpit.probes.errors import classify, endpoint
from cockpit.probes.pool_params import libpq_url

_STATS = """
SELECT current_setting('server_version'),
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
       current_setting('max_connections')::int
"""


@dataclass(frozen=True)
class PostgresStats:
    """Server version and connection use."""

    server_version: str
    connections: int
    max_connections: int


@dataclass(frozen=True)
class PostgresSample:
    """One `SELECT 1` round trip (milliseconds), with stats when they were asked for."""

    latency_ms: float
    stats: PostgresStats | None = None


class PostgresProbe:
    """Runs `SELECT 1` on a long-lived autocommit connection; reconnects after a loss."""

    def __init__(self, url: str, connect_timeout: float = 3.0, read_timeout: float = 5.0) -> None:
        self.conninfo = libpq_url(url)
        self.where = endpoint(self.conninfo) if "://" in url else "database"
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        password = urlsplit(url).password if "://" in url else None
        self._secrets = (unquote(password or ""), password or "")
        self._conn: psycopg.AsyncConnection | None = None

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed:
            async with asyncio.timeout(self.connect_timeout):
                self._conn = await psycopg.AsyncConnection.connect(
                    self.conninfo,
                    autocommit=True,
                    connect_timeout=max(1, int(self.connect_timeout)),
                    prepare_threshold=None,
                    application_name="cockpit",
                )
        return self._conn

    async def sample(self, with_stats: bool = False) -> PostgresSample:
        """`SELECT 1` once (and the stats when `with_stats`); raise ProbeError on failure."""
        try:
            conn = await self._connection()
            async with asyncio.timeout(self.read_timeout):
                started = time.perf_counter()
                await conn.execute("SELECT 1")
                latency_ms = (time.perf_counter() - started) * 1000
                stats = await self._stats(conn) if with_stats else None
        except Exception as exc:
            await self._drop()
            raise classify(exc, self.where, self._secrets) from None
        return PostgresSample(latency_ms, stats)

    async def _stats(self, conn: psycopg.AsyncConnection) -> PostgresStats:
        cursor = await conn.execute(_STATS)
        version, connections, max_connections = await cursor.fetchone()
        return PostgresStats(str(version), int(connections), int(max_connections))

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            try:
                await asyncio.wait_for(conn.close(), 1.0)
            except Exception:
                pass  # a broken connection may fail to close; it is dropped either way

    async def close(self) -> None:
        """Close the connection."""
        await self._drop()
