"""The real-server fixtures work: they answer, their URLs carry the right credentials, faults are real."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit

import pytest

from cockpit.stack.http_app import DASHBOARD_PATHS, FakeApi
from cockpit.stack.postgres_cluster import PostgresCluster
from cockpit.stack.redis_server import RedisServer
from tests.integration.demo_support import alive
from tests.servers import unavailable


def require(module: str):
    """Import a client library the test needs: a failure in CI, a skip elsewhere."""
    try:
        return importlib.import_module(module)
    except ImportError:
        unavailable(f"python package {module!r} is not installed")


@pytest.fixture
def redis_installed() -> None:
    """For tests that build their own RedisServer: the same skip/fail rule as the fixtures."""
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed (Debian: apt-get install redis-server)")


def redis_cmd(port: int, *commands: str, timeout: float = 2.0) -> list[bytes]:
    """Send inline commands on one raw connection; one reply line each."""
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        stream = sock.makefile("rb")
        for command in commands:
            sock.sendall(command.encode() + b"\r\n")
            replies.append(stream.readline().rstrip(b"\r\n"))
    return replies


def inline_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def get(url: str, timeout: float = 2.0) -> tuple[int, str, bytes]:
    """(status, final URL, body) of a GET, following redirects; HTTP errors are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.url, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.url, error.read()


# --- the CI rule -------------------------------------------------------------------------


def test_an_unavailable_server_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no redis"):
        unavailable("no redis")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no redis.*CI=true"):
        unavailable("no redis")


# --- redis -------------------------------------------------------------------------------


def test_redis_answers_ping_without_auth(redis_server):
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert redis_cmd(redis_server.port, "PING") == [b"+PONG"]


def test_redis_auth_default_password_and_acl_user(redis_auth_server):
    server = redis_auth_server
    name, secret = server.user
    assert redis_cmd(server.port, "PING")[0].startswith(b"-NOAUTH")
    assert redis_cmd(server.port, f"AUTH {inline_quote(server.password)}", "PING") == [b"+OK", b"+PONG"]
    assert redis_cmd(server.port, f"AUTH {name} {inline_quote(secret)}", "PING") == [b"+OK", b"+PONG"]
    assert redis_cmd(server.port, f"AUTH {name} wrong")[0].startswith(b"-WRONGPASS")
    # The URL carries the ACL user, percent-encoded; the other forms for other tests.
    parts = urlsplit(server.url)
    assert (unquote(parts.username), unquote(parts.password), parts.port) == (name, secret, server.port)
    assert "@" not in parts.password and "/" not in parts.password
    assert unquote(urlsplit(server.url_with(user=None, password=server.password)).password) == server.password
    assert server.url_with(password="wrong").startswith(f"redis://{name}:wrong@127.0.0.1:")


def test_redis_py_understands_the_percent_encoded_urls(redis_auth_server):
    redis = require("redis")
    for url in (redis_auth_server.url, redis_auth_server.url_with(user=None, password=redis_auth_server.password)):
        client = redis.Redis.from_url(url, socket_timeout=2)
        try:
            assert client.ping() is True
        finally:
            client.close()
    client = redis.Redis.from_url(redis_auth_server.url_with(password="wrong"), socket_timeout=2)
    with pytest.raises(redis.AuthenticationError):
        client.ping()
    client.close()


def test_redis_user_only_turns_the_default_user_off(tmp_path, redis_installed):
    with RedisServer(tmp_path, user=("probe", "s3cret")) as server:
        assert server.url == f"redis://probe:s3cret@127.0.0.1:{server.port}/0"
        assert redis_cmd(server.port, "PING")[0].startswith(b"-NOAUTH")
        assert redis_cmd(server.port, "AUTH probe s3cret", "PING") == [b"+OK", b"+PONG"]


def test_redis_stop_refuses_and_restart_comes_back_on_the_same_port(redis_fault):
    port = redis_fault.port
    assert redis_cmd(port, "SET k v") == [b"+OK"]
    redis_fault.stop()
    redis_fault.stop()  # idempotent
    with pytest.raises(ConnectionRefusedError):
        redis_cmd(port, "PING")
    redis_fault.restart()
    assert redis_fault.port == port
    assert redis_cmd(port, "PING", "GET k") == [b"+PONG", b"$-1"]  # no persistence: a fresh server


def test_a_frozen_redis_accepts_but_never_answers(redis_fault):
    redis_fault.freeze()
    with pytest.raises(TimeoutError):
        redis_cmd(redis_fault.port, "PING", timeout=0.3)
    redis_fault.thaw()
    assert redis_cmd(redis_fault.port, "PING") == [b"+PONG"]


def test_a_redis_that_cannot_start_says_why(tmp_path, redis_installed):
    server = RedisServer(tmp_path, user=("bad name", "x"))
    with pytest.raises(RuntimeError, match="Spaces not allowed in ACL usernames"):
        server.start()
    assert not server.running


# --- postgres ----------------------------------------------------------------------------


def test_postgres_percent_encoded_url_connects_as_cockpit_to_avnz(postgres):
    psycopg = require("psycopg")
    assert postgres.url == f"postgresql://cockpit:p%40ss%3Aw%2Frd%251@127.0.0.1:{postgres.port}/avnz"
    assert unquote(urlsplit(postgres.url).password) == postgres.password == "p@ss:w/rd%1"
    with psycopg.connect(postgres.url, connect_timeout=5) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == ("cockpit", "avnz")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(postgres.url_with(password="wrong"), connect_timeout=5)


def test_postgres_prisma_url_has_the_pool_parameters_libpq_rejects(postgres):
    psycopg = require("psycopg")
    assert postgres.prisma_url == postgres.url + "?connection_limit=10&pool_timeout=20"
    with pytest.raises(psycopg.ProgrammingError, match="invalid URI query parameter"):
        psycopg.connect(postgres.prisma_url)


def test_postgres_stop_refuses_and_restart_keeps_port_and_data(postgres_fault):
    psycopg = require("psycopg")
    port = postgres_fault.port
    with psycopg.connect(postgres_fault.url, connect_timeout=5) as conn:
        conn.execute("CREATE TABLE ticks (step text)")
        conn.execute("INSERT INTO ticks VALUES ('A2')")
    postgres_fault.stop()
    postgres_fault.stop()  # idempotent
    with pytest.raises(psycopg.OperationalError, match="refused"):
        psycopg.connect(postgres_fault.url, connect_timeout=5)
    postgres_fault.restart()
    assert postgres_fault.port == port
    with psycopg.connect(postgres_fault.url, connect_timeout=5) as conn:
        assert conn.execute("SELECT step FROM ticks").fetchall() == [("A2",)]


def test_a_frozen_postgres_accepts_but_never_answers(postgres_fault):
    ssl_request = struct.pack("!ii", 8, 80877103)  # the first bytes any libpq client sends
    postgres_fault.freeze()
    with socket.create_connection(("127.0.0.1", postgres_fault.port), timeout=0.3) as sock:
        sock.sendall(ssl_request)
        with pytest.raises(TimeoutError):
            sock.recv(1)
    postgres_fault.thaw()
    with socket.create_connection(("127.0.0.1", postgres_fault.port), timeout=2) as sock:
        sock.sendall(ssl_request)
        assert sock.recv(1) in (b"N", b"S")


# --- the fake API and dashboard ----------------------------------------------------------


def started_cluster(tmp_path) -> PostgresCluster:
    cluster = PostgresCluster(tmp_path)
    try:
        return cluster.start()
    except RuntimeError as error:
        unavailable(f"PostgreSQL could not start: {error}")


def test_a_postgres_whose_start_was_not_seen_to_finish_is_still_stopped(tmp_path):
    """pg_ctl timed out or a signal cut start() short: the postmaster runs, we never learnt its pid."""
    cluster = started_cluster(tmp_path)
    postmaster, base = cluster._pid, cluster.base
    cluster._pid = None  # what an interrupted start() leaves
    cluster.close()
    assert not alive(postmaster)
    assert not base.exists()


def test_a_stale_postgres_pid_file_is_not_taken_for_a_server(tmp_path):
    """After a crash the pid file stays; its pid may now be anyone's: stop() must not signal it."""
    cluster = started_cluster(tmp_path)
    try:
        pid_file = cluster.data_dir / "postmaster.pid"
        saved = pid_file.read_text()
        cluster.stop()
        pid_file.write_text(f"{os.getpid()}\n" + saved.split("\n", 1)[1])  # this test's own pid, as if recycled
        cluster.stop()  # must not touch this process
        assert cluster._pid is None
    finally:
        cluster.close()


def test_fake_api_health_modes(fake_api):
    status, _, body = get(f"{fake_api.url}/health")
    assert status == 200 and json.loads(body)["components"]["redis"] == {"healthy": True, "latency_ms": 1}
    fake_api.health_mode = "degraded"
    health = json.loads(get(f"{fake_api.url}/health")[2])
    assert health["status"] == "degraded" and health["components"]["redis"]["healthy"] is False
    assert isinstance(health["components"]["redis"]["error"], str)
    fake_api.health_mode = "malformed"
    status, _, body = get(f"{fake_api.url}/health")
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    fake_api.health_mode = "error500"
    status, _, body = get(f"{fake_api.url}/health")
    assert status == 500 and "error" in json.loads(body)
    assert fake_api.hits["/health"] == 4


def test_fake_api_hang_times_the_client_out_and_stop_is_still_fast(fake_api):
    fake_api.health_mode = "hang"
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        get(f"{fake_api.url}/health", timeout=0.2)
    outcome = []

    def hanging_client() -> None:
        try:
            outcome.append(get(f"{fake_api.url}/health", timeout=30))
        except Exception as error:  # the server cut the connection: what a client should see
            outcome.append(error)

    client = threading.Thread(target=hanging_client, daemon=True)
    client.start()
    time.sleep(0.1)
    started = time.monotonic()
    fake_api.stop()
    client.join(timeout=2)
    assert time.monotonic() - started < 2 and isinstance(outcome[0], OSError)
    fake_api.hang_seconds = 0.05
    fake_api.start()
    assert get(f"{fake_api.url}/health")[0] == 200  # a hang shorter than the timeout is just slow


def test_fake_api_pages(fake_api):
    assert set(fake_api.pages) == set(DASHBOARD_PATHS)
    assert all(get(fake_api.url + path)[0] == 200 for path in DASHBOARD_PATHS)
    fake_api.slow_seconds = 0.05
    fake_api.pages.update({
        "/vendors/companies": "missing",
        "/vendors/products": "slow",
        "/momentum/churn": "redirect",
        "/momentum/save-flows": "error500",
    })
    assert get(fake_api.url + "/vendors/companies")[0] == 404
    assert get(fake_api.url + "/vendors/products")[0] == 200
    status, final_url, _ = get(fake_api.url + "/momentum/churn")
    assert (status, final_url) == (200, fake_api.url + "/login?next=[/momentum/churn]")
    assert get(fake_api.url + "/momentum/save-flows")[0] == 500
    assert get(fake_api.url + "/no/such/page")[0] == 404
    assert fake_api.hits["/momentum/churn"] == 2 and fake_api.hits["/login"] == 1


def test_fake_api_stop_refuses_and_start_reuses_the_port():
    api = FakeApi().start()
    port = api.port
    api.stop()
    api.stop()  # idempotent
    with pytest.raises(urllib.error.URLError):
        get(f"{api.url}/health")
    with api:
        assert api.port == port and get(f"{api.url}/health")[0] == 200
