"""Redis: PING latency over one long-lived connection, and the INFO essentials."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from cockpit.probes.errors import TIMEOUT, TLS, ProbeError, check_url, classify, endpoint, url_secrets


@dataclass(frozen=True)
class RedisInfo:
    """What an operator checks in `redis-cli info`."""

    version: str
    role: str
    connected_clients: int
    used_memory_human: str


@dataclass(frozen=True)
class RedisSample:
    """One PING round trip (milliseconds), with INFO when it was asked for."""

    latency_ms: float
    info: RedisInfo | None = None


class RedisProbe:
    """PINGs one Redis over a single long-lived connection (reconnects after a loss).

    The client does no retries of its own: the poller decides when to try again, so
    a failure is reported at once and a latency is always one real round trip.
    """

    def __init__(self, url: str, connect_timeout: float = 3.0, read_timeout: float = 5.0) -> None:
        parts = check_url(url, "the Redis URL", ("redis", "rediss"))
        self.url = url
        self.where = endpoint(url)
        self.tls = parts.scheme == "rediss"
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._secrets = url_secrets(parts)
        self._client: aioredis.Redis | None = None

    def _connect_client(self) -> aioredis.Redis:
        if self._client is None:
            self._client = aioredis.Redis.from_url(
                self.url,
                socket_connect_timeout=self.connect_timeout,
                socket_timeout=self.read_timeout,
                retry=Retry(NoBackoff(), 0),
                single_connection_client=True,
                decode_responses=True,
            )
        return self._client

    async def _ensure_connected(self) -> aioredis.Redis:
        client = self._connect_client()
        await client.initialize()
        assert client.connection is not None  # initialize() opens the single connection
        await client.connection.connect()  # a no-op when up: PING then times only itself
        return client

    async def sample(self, with_info: bool = False) -> RedisSample:
        """PING once (and INFO when `with_info`); raise ProbeError on any failure."""
        try:
            async with asyncio.timeout(self.connect_timeout + self.read_timeout):
                client = await self._ensure_connected()
        except Exception as exc:
            await self._drop()
            raise self._connect_error(exc) from None
        try:
            async with asyncio.timeout(self.read_timeout):
                started = time.perf_counter()
                await client.ping()
                latency_ms = (time.perf_counter() - started) * 1000
                info = await self._info(client) if with_info else None
        except Exception as exc:
            await self._drop()
            raise classify(exc, self.where, self._secrets) from None
        return RedisSample(latency_ms, info)

    async def command_stats(self, command: str) -> tuple[int, int] | None:
        """(calls, microseconds) the server has spent on `command` since it started (`INFO commandstats`).

        None when the server does not report the command (no call yet, or INFO filtered).
        """
        try:
            async with asyncio.timeout(self.connect_timeout + self.read_timeout):
                client = await self._ensure_connected()
                stats = await client.info("commandstats")
        except Exception as exc:
            await self._drop()
            raise classify(exc, self.where, self._secrets) from None
        entry = stats.get(f"cmdstat_{command.lower()}")
        if not isinstance(entry, dict) or "calls" not in entry or "usec" not in entry:
            return None
        return int(entry["calls"]), int(entry["usec"])

    def _connect_error(self, exc: Exception) -> ProbeError:
        error = classify(exc, self.where, self._secrets)
        if self.tls and error.kind == TIMEOUT:  # a plain-text port never answers a TLS hello
            return ProbeError(TLS, f"timed out connecting over TLS: {self.where} (rediss:// to a plain-text port?)")
        return error

    async def _info(self, client: aioredis.Redis) -> RedisInfo:
        server = await client.info("server")
        replication = await client.info("replication")
        clients = await client.info("clients")
        memory = await client.info("memory")
        return RedisInfo(
            version=str(server.get("redis_version", "?")),
            role=str(replication.get("role", "?")),
            connected_clients=int(clients.get("connected_clients", 0)),
            used_memory_human=str(memory.get("used_memory_human", "?")),
        )

    async def _drop(self) -> None:
        """Forget a connection in an unknown state; the next sample reconnects."""
        client, self._client = self._client, None
        if client is not None:
            try:
                await asyncio.wait_for(client.aclose(), 1.0)
            except Exception:
                pass  # closing a dead connection can fail; it is gone either way

    async def close(self) -> None:
        """Close the connection."""
        await self._drop()
