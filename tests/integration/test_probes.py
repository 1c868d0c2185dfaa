"""Probes against real servers: redis-server, PostgreSQL 15 and the fake API/dashboard."""

from __future__ import annotations

import os
import signal
import time

import pytest

from cockpit.probes.errors import AUTH, BAD_JSON, CONFIG, HTTP_5XX, LOST, REFUSED, TIMEOUT, TLS, ProbeError
from cockpit.probes.http import HealthProbe, PageProbe, new_client
from cockpit.probes.postgres import PostgresProbe
from cockpit.probes.redis import RedisProbe
from tests.conftest import REDIS_ACL_USER, REDIS_AUTH_PASSWORD


async def failure(probe) -> ProbeError:
    with pytest.raises(ProbeError) as caught:
        await probe.sample()
    return caught.value


# -- Redis ---------------------------------------------------------------------------------
async def test_redis_ping_and_info(redis_server):
    probe = RedisProbe(redis_server.url, 1, 1)
    try:
        sample = await probe.sample(with_info=True)
        assert 0 < sample.latency_ms < 1000
        assert sample.info.role == "master" and sample.info.version.count(".") == 2
        assert sample.info.connected_clients >= 1 and sample.info.used_memory_human
        assert (await probe.sample()).info is None  # INFO only when asked
    finally:
        await probe.close()


@pytest.mark.parametrize("who", ["password", "acl-user"])
async def test_redis_auth_with_a_password_or_a_user(redis_auth_server, who):
    url = redis_auth_server.url_with(user=None, password=REDIS_AUTH_PASSWORD) if who == "password" else redis_auth_server.url
    probe = RedisProbe(url, 1, 1)
    try:
        assert (await probe.sample()).latency_ms > 0
    finally:
        await probe.close()


async def test_redis_wrong_password_is_an_auth_failure_without_the_password(redis_auth_server):
    probe = RedisProbe(redis_auth_server.url_with(user=REDIS_ACL_USER[0], password="not-the-s3cret"), 1, 1)
    error = await failure(probe)
    assert error.kind == AUTH and "not-the-s3cret" not in error.reason
    error = await failure(RedisProbe(redis_auth_server.url_with(user=None, password=None), 1, 1))
    assert error.kind == AUTH and "wants a password" in error.reason


async def test_redis_stopped_then_back_without_a_new_probe(redis_fault):
    probe = RedisProbe(redis_fault.url, 1, 1)
    try:
        await probe.sample()
        redis_fault.stop()
        assert (await failure(probe)).reason == f"connection lost: 127.0.0.1:{redis_fault.port}"
        error = await failure(probe)
        assert error.kind == REFUSED and error.reason == f"connection refused: 127.0.0.1:{redis_fault.port}"
        redis_fault.restart()
        assert (await probe.sample()).latency_ms > 0  # the same probe reconnects
    finally:
        await probe.close()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("default:Sup3rSecret@cache.internal:6379", "the Redis URL must start with redis:// or rediss://"),
        ("redis://user:pa/ss#word@cache.internal:6379/0", "the Redis URL is not a valid URL (percent-encode @ : / # in the password)"),
    ],
)
def test_a_bad_redis_url_is_named_never_echoed(url, reason):
    with pytest.raises(ProbeError) as caught:
        RedisProbe(url)
    assert caught.value.kind == CONFIG and caught.value.reason == reason


async def test_rediss_to_a_plain_text_port_is_a_tls_error(redis_server):
    error = await failure(RedisProbe(redis_server.url.replace("redis://", "rediss://"), 1, 1))
    assert error.kind == TLS and str(redis_server.port) in error.reason


async def test_redis_that_hangs_times_out(redis_fault):
    probe = RedisProbe(redis_fault.url, 0.5, 0.5)
    try:
        await probe.sample()
        redis_fault.freeze()
        assert (await failure(probe)).kind == TIMEOUT
    finally:
        redis_fault.thaw()
        await probe.close()


# -- PostgreSQL ------------------------------------------------------------------------------
async def test_postgres_select_1_over_the_prisma_url(postgres):
    probe = PostgresProbe(postgres.prisma_url, 2, 2)  # connection_limit/pool_timeout are stripped
    try:
        sample = await probe.sample(with_stats=True)
        assert sample.latency_ms > 0
        assert sample.stats.server_version.startswith("15.")
        assert 1 <= sample.stats.connections <= sample.stats.max_connections == 30
    finally:
        await probe.close()


async def test_postgres_wrong_password(postgres):
    error = await failure(PostgresProbe(postgres.url_with(password="Wr0ng-p@ss"), 2, 2))
    assert error.kind == AUTH and "password authentication failed" in error.reason
    assert "Wr0ng" not in error.reason and postgres.password not in error.reason


async def test_postgres_stopped_then_back(postgres_fault):
    probe = PostgresProbe(postgres_fault.url, 2, 2)
    try:
        await probe.sample()
        postgres_fault.stop()
        error = await failure(probe)
        assert error.kind == LOST and postgres_fault.password not in error.reason
        assert (await failure(probe)).kind == REFUSED  # the reconnect attempt is refused
        postgres_fault.restart()
        assert (await probe.sample()).latency_ms > 0
    finally:
        await probe.close()


async def test_a_hung_postgres_session_times_out_on_time(postgres):
    probe = PostgresProbe(postgres.url, 2, 0.5)
    try:
        await probe.sample()
        backend = probe._conn.info.backend_pid  # this session's server process
        os.kill(backend, signal.SIGSTOP)
        try:
            started = time.monotonic()
            error = await failure(probe)
            waited = time.monotonic() - started
        finally:
            os.kill(backend, signal.SIGCONT)
        assert error.kind == TIMEOUT and error.reason == f"timed out: 127.0.0.1:{postgres.port}"
        assert waited < 3.0, waited  # not psycopg's 5 s cancel plus 5 s terminate
        assert (await probe.sample()).latency_ms > 0  # a new session
    finally:
        await probe.close()


# -- HTTP ------------------------------------------------------------------------------------
async def test_health_modes(fake_api):
    client = new_client(1, 1)
    probe = HealthProbe(fake_api.url + "/health", client)
    try:
        sample = await probe.sample()
        assert sample.state == "healthy" and {c.name for c in sample.components} == {"redis", "database"}
        fake_api.health_mode = "degraded"
        degraded = await probe.sample()
        assert degraded.state == "degraded" and any(c.healthy is False for c in degraded.components)
        fake_api.health_mode = "malformed"
        assert (await failure(probe)).kind == BAD_JSON
        fake_api.health_mode = "error500"
        error = await failure(probe)
        assert error.kind == HTTP_5XX and error.reason == "HTTP 500 from /health"
        fake_api.health_mode = "error503"  # a 503 listing components is a (down) sample
        unavailable = await probe.sample()
        assert unavailable.status_code == 503 and unavailable.state == "down"
        assert [(c.name, c.healthy, c.detail) for c in unavailable.components] == [("redis", True, ""), ("database", False, "pool exhausted")]
        fake_api.health_mode = "huge"
        error = await failure(probe)
        assert error.kind == BAD_JSON and "over 1 MiB" in error.reason
        fake_api.health_mode = "hostile"
        hostile = await probe.sample()
        assert len(hostile.components) == 50  # capped
        first = hostile.components[0]
        assert first.name == "redis" and first.detail == "[/] [bold]boom red"  # no escapes left
        fake_api.health_mode = "hang"
        assert (await failure(probe)).kind == TIMEOUT
    finally:
        await client.aclose()


async def test_pages(fake_api):
    client = new_client(1, 1)
    try:
        ok = await PageProbe(fake_api.url, "/vendors/companies", client).sample()
        assert ok.loads and ok.status_code == 200 and ok.redirects == 0 and 0 < ok.ttfb_ms <= ok.total_ms
        fake_api.pages["/vendors/products"] = "missing"
        missing = await PageProbe(fake_api.url, "/vendors/products", client).sample()
        assert not missing.loads and missing.status_code == 404
        fake_api.pages["/momentum/churn"] = "redirect"
        moved = await PageProbe(fake_api.url, "/momentum/churn", client).sample()
        assert moved.loads and moved.redirects == 1 and moved.location.endswith("/login?next=[/momentum/churn]")
        fake_api.pages["/momentum/triggers"] = "slow"
        fake_api.slow_seconds = 0.3
        slow = await PageProbe(fake_api.url, "/momentum/triggers", client).sample()
        assert slow.loads and slow.ttfb_ms >= 250
    finally:
        await client.aclose()


async def test_nothing_listening(fake_api):
    port = fake_api.port
    fake_api.stop()
    client = new_client(1, 1)
    try:
        error = await failure(HealthProbe(f"http://127.0.0.1:{port}/health", client))
        assert error.kind == REFUSED and error.reason == f"connection refused: 127.0.0.1:{port}"
    finally:
        await client.aclose()
