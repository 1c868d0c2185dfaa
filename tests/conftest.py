"""Shared fixtures: a fixed clock and timezone, journals in tmp dirs, app factories."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cockpit.journal import Journal
from cockpit.journal.session import RunSession
from cockpit.runbook import bundled_path, load_runbook
from cockpit.runbook.model import ProbeSettings

os.environ["TZ"] = "UTC"  # screens show local time next to UTC: make it deterministic
time.tzset()
# Apps draw for a truecolor terminal whatever terminal runs the tests: Rich picks 16 colours for TERM=xterm (or none),
# and the cockpit then paints its ANSI colours otherwise (ui/few_colours.py). Tests of 16 colours say so themselves.
os.environ["COLORTERM"] = "truecolor"
for name in ("REDIS_URL", "DATABASE_URL", "COCKPIT_API_URL", "COCKPIT_APP_URL", "COCKPIT_STATE", "AWS_REGION", "AWS_PROFILE", "INTEGRATION_ENCRYPTION_KEY"):
    os.environ.pop(name, None)

FIXED_NOW = datetime(2026, 11, 27, 21, 0, 0, tzinfo=UTC)
WHO = "operator@bastion"


class StepClock:
    """A clock that advances one second per call, from FIXED_NOW: deterministic timestamps."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        return FIXED_NOW + timedelta(seconds=self.calls)


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    """A journal path in a fresh directory."""
    (tmp_path / "state").mkdir()
    return tmp_path / "state" / "journal.sqlite3"


@pytest.fixture
def runbook():
    """The bundled runbook."""
    return load_runbook()


FAST_PROBES = ProbeSettings(
    interval_seconds=0.2, window_minutes=5, connect_timeout_seconds=1, read_timeout_seconds=1, max_backoff_seconds=0.8
)


def live_setup(runbook, env: str = "staging", *, probes: ProbeSettings = FAST_PROBES, **urls: str):
    """(runbook, environment) with fast probe settings and the given URLs (redis_url=..., api_url=...)."""
    environment = replace(runbook.environments[env], **urls)
    runbook = replace(runbook, probes=probes, environments={**runbook.environments, env: environment})
    return runbook, environment


def make_app(
    state_file: Path,
    *,
    env: str = "staging",
    read_only: bool = False,
    new_run: bool = False,
    poll: float = 0.2,
    live=False,
    runbook=None,
    environ=None,
    monotonic=None,
    demo=None,
    fake=False,
    wall=False,
):
    """A CockpitApp on the bundled runbook with a fixed clock and identity.

    `live=False` (the default) watches nothing, so screens that are not about live data
    are deterministic (its engine runs in this loop); `live=True` polls the environment's real backends
    from an engine in a process of its own, as `cockpit` does. `fake=True` puts
    a FakeEngine (tests/ui/fake_engine.py) behind the screen instead of a real one: the test
    replays the events it wants drawn, and reads the commands the screen sent.
    """
    from cockpit.engine.local import LocalEngine
    from cockpit.ui.app import CockpitApp

    runbook = runbook or load_runbook()
    journal = Journal(state_file, read_only=read_only, clock=StepClock())
    session = RunSession(journal, runbook.id, runbook.version, env, WHO, new_run=new_run)
    clocks = {"monotonic": monotonic} if monotonic is not None else {}
    environ = environ if environ is not None else {}
    if fake:
        from tests.ui.fake_engine import FakeEngine

        engine = FakeEngine()
    elif live:  # as `cockpit` runs it: the engine in a process of its own, whose loop only the engine's work can stall
        from cockpit.engine.process import EngineProcess, EngineSpec

        engine = EngineProcess(EngineSpec(runbook, runbook.environments[env], str(state_file), WHO, read_only=read_only,
                                          environ=environ, journal_poll_seconds=poll))
    else:
        engine = LocalEngine(runbook, runbook.environments[env], session, read_only=read_only, live=live, environ=environ,
                             journal_poll_seconds=poll, **clocks)
    app = CockpitApp(
        runbook,
        runbook.environments[env],
        engine,
        read_only=read_only,
        initial_events=session.events_after(0),
        run_id=session.run.id if session.run else None,
        journal_path=str(journal.path),
        clock=lambda: FIXED_NOW,
        live=live,
        demo=demo,
        wall=wall,
        **clocks,
    )
    app.session = session  # the journal the engine writes: tests read what was committed from it
    return app


async def settle(pilot, seconds: float = 30.0):
    """Wait until the screen has no journal write in flight and no check running (the engine answered), then one pause."""
    screen = pilot.app.cockpit
    for _ in range(int(seconds / 0.02)):
        await pilot.app.workers.wait_for_complete()
        if not screen.pending and not screen.checking:
            break
        await pilot.pause(0.02)
    await pilot.pause()


# --- Real servers for integration tests (cockpit/stack/) ---------------------------------
# Each fixture starts its own server on a free loopback port. A server that cannot start
# is a test failure when CI=true and a skip with the reason otherwise (DESIGN, Testing).

from cockpit.stack.http_app import FakeApi  # noqa: E402
from cockpit.stack.postgres_cluster import PostgresCluster  # noqa: E402
from cockpit.stack.redis_server import RedisServer  # noqa: E402
from tests.servers import unavailable  # noqa: E402

REDIS_AUTH_PASSWORD = "r3d!s p@ss:w/rd%"  # the default user's password (needs percent-encoding)
REDIS_ACL_USER = ("cockpit", "acl:p@ss/w%rd")  # (name, password) of the ACL user


def _started(server, what: str):
    """`server.start()`, or fail/skip (per CI) with the reason it could not start."""
    try:
        return server.start()
    except (RuntimeError, OSError) as error:
        unavailable(f"{what} could not start: {error}")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A shared redis-server without auth (`.url`, `.port`). Do not stop it: use `redis_fault`."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        yield _started(server, "redis-server")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_auth_server(tmp_path_factory):
    """A shared redis-server with `requirepass` (`.password`) and an ACL user (`.user`); `.url` uses the ACL user."""
    server = RedisServer(tmp_path_factory.mktemp("redis-auth"), password=REDIS_AUTH_PASSWORD, user=REDIS_ACL_USER)
    try:
        yield _started(server, "redis-server")
    finally:
        server.stop()


@pytest.fixture
def redis_fault(tmp_path):
    """A redis-server of this test's own, without auth, to `stop()`, `restart()`, `freeze()`/`thaw()`."""
    server = RedisServer(tmp_path / "redis")
    try:
        yield _started(server, "redis-server")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A shared PostgreSQL 15 cluster: `.url` (role cockpit, database avnz), `.prisma_url`. Do not stop it."""
    cluster = PostgresCluster(tmp_path_factory.mktemp("postgres"))
    try:
        yield _started(cluster, "PostgreSQL 15")
    finally:
        cluster.close()


@pytest.fixture
def postgres_fault(tmp_path):
    """A PostgreSQL cluster of this test's own, to `stop()`, `restart()`, `freeze()`/`thaw()`."""
    cluster = PostgresCluster(tmp_path / "postgres")
    try:
        yield _started(cluster, "PostgreSQL 15")
    finally:
        cluster.close()


@pytest.fixture
def pg_database(postgres):
    """A fresh database on the shared cluster, owned by role cockpit: its URL (dropped after the test)."""
    import uuid

    import psycopg

    name = f"journal_{uuid.uuid4().hex[:12]}"
    admin = dict(host=str(postgres.socket_dir), port=postgres.port, user="postgres", dbname="postgres", autocommit=True, connect_timeout=5)
    with psycopg.connect(**admin) as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER {postgres.user}")
    try:
        yield postgres.url_with(database=name)
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_location(request, state_file):
    """Where a test's journal lives, once per store: a fresh SQLite path, then a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return state_file
    return request.getfixturevalue("pg_database")


@pytest.fixture
def fake_api():
    """A fresh FakeApi (API `/health` + dashboard pages) at `.url`, all healthy; set its modes freely."""
    api = FakeApi()
    try:
        yield _started(api, "the fake API")
    finally:
        api.stop()


# --- AWS (moto) for CloudWatch Logs, CloudWatch and ECS ----------------------------------
# boto3 reaches moto through the environment, so create clients *inside* the test, after
# these fixtures have set it. botocore retries throttling and timeouts by itself (standard
# mode: 3 attempts, with backoff); pass `Config(retries={"total_max_attempts": 1})` to see
# each fault once.

from cockpit.stack.moto_server import MotoServer  # noqa: E402
from tests.servers.aws_proxy import AwsFaultProxy  # noqa: E402


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    """One shared moto_server for the session (`.url`, `.env()`). Use `aws`: it resets it per test."""
    server = MotoServer(tmp_path_factory.mktemp("moto"))
    try:
        yield _started(server, "moto_server")
    finally:
        server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch):
    """The shared moto server, wiped, with boto3's environment pointing at it; yields the MotoServer."""
    moto_server.reset()
    for name in MotoServer.foreign_settings(os.environ):
        monkeypatch.delenv(name, raising=False)  # a per-service endpoint would bypass moto
    for name, value in moto_server.env().items():
        monkeypatch.setenv(name, value)
    yield moto_server


@pytest.fixture
def aws_faults(aws, monkeypatch):
    """An AwsFaultProxy in front of the wiped moto server, as `AWS_ENDPOINT_URL`: `.fail()`, `.delay()`, `.requests()`."""
    proxy = AwsFaultProxy(aws.url)
    try:
        _started(proxy, "the AWS fault proxy")
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture(scope="module")
def demo():
    """A demo stack process for the module's tests: (DemoControl, Ready, progress lines)."""
    from tests.integration.demo_support import start_demo

    control, ready, progress = start_demo()
    try:
        yield control, ready, progress
    finally:
        control.stop()


@pytest.fixture
def fast_runbook(tmp_path):
    """The bundled runbook with 1 s connect and read timeouts."""
    text = bundled_path().read_text()
    text = text.replace("connect_timeout_seconds = 3", "connect_timeout_seconds = 1").replace("read_timeout_seconds = 5", "read_timeout_seconds = 1")
    path = tmp_path / "fast.toml"
    path.write_text(text)
    return path


def verdict_line(app) -> str:
    """The verdict line under the header, as plain text."""
    from cockpit.ui.widgets.verdict_bar import VerdictBar

    return str(app.screen.query_one(VerdictBar).render())
