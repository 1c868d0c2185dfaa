"""`cockpit check` against real servers: all pass (again and again), a slow or stopped Redis fails,
a database that refuses fails, a hanging API stays bounded, every result is journaled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import boto3
import pytest

from cockpit.cli import main
from cockpit.journal import Journal
from cockpit.runbook import bundled_path
from cockpit.stack.ecs_seed import seed_ecs
from tests.servers.tcp_delay import DelayProxy

THRESHOLD_STEPS = ("post-api-p99", "post-dashboard-ttfb", "post-redis-latency")


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    """Every `cockpit check` here journals into this test's own file, never the user's state directory."""
    path = tmp_path / "journal.sqlite3"
    monkeypatch.setenv("COCKPIT_STATE", str(path))
    return path


@pytest.fixture
def healthy_env(monkeypatch, redis_server, postgres, fake_api, aws):
    seed_ecs(boto3.client("ecs"))  # the API's task definition defines the release's names; the dashboard's does not need them
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("DATABASE_URL", postgres.prisma_url)
    monkeypatch.setenv("INTEGRATION_ENCRYPTION_KEY", "k" * 32)
    monkeypatch.setenv("COCKPIT_API_URL", fake_api.url)
    monkeypatch.setenv("COCKPIT_APP_URL", fake_api.url)
    return fake_api


ENV_EVIDENCE = (
    "set: REDIS_URL, DATABASE_URL, INTEGRATION_ENCRYPTION_KEY; task definitions: avnz-api (avnz-api:155): all defined; "
    "avnz-admin-dashboard (avnz-admin-dashboard:12): needs none of these (names only, values are never shown)"
)


def run_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["check", "--json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def fair(check: dict) -> bool:
    """A pass, or a latency threshold cockpit could not measure because cockpit itself stalled (a loaded machine:
    CI runs beside CPU hogs). Never a fail against healthy servers."""
    busy = "cockpit was too busy to measure" in check["evidence"] or "cockpit's own stalls left" in check["evidence"]
    return check["status"] == "pass" or (check["status"] == "inconclusive" and check["id"] in THRESHOLD_STEPS and busy)


def test_all_checks_pass_against_healthy_servers(capsys, healthy_env, postgres):
    code, report = run_json(capsys)
    by_id = {c["id"]: c for c in report["checks"]}
    # post-api-p99 is judged on the load balancer's traffic, which this environment does not name: no verdict, never a pass
    assert [c["id"] for c in report["checks"] if not fair(c)] == ["post-api-p99"], report["checks"]
    assert code == 1 and report["counts"]["fail"] == 0 and by_id["post-api-p99"]["status"] == "inconclusive"
    assert by_id["post-api-p99"]["evidence"].startswith("load balancer p99 unknown: not configured")
    assert len(by_id) == 19  # every check step of a staging run (contingency plans not included)
    assert by_id["a-redis-ping"]["evidence"].startswith("PONG in ")
    pool = by_id["a-db-pool"]["evidence"]
    assert pool.startswith("connection_limit=10 pool_timeout=20 · connected as cockpit · ") and "(max_connections " in pool
    assert by_id["a-env-vars"]["evidence"] == ENV_EVIDENCE
    assert "redis healthy, database healthy" in by_id["b-redis-healthy"]["evidence"]
    redis = by_id["post-redis-latency"]["evidence"]
    assert redis.startswith("p99 ") and " ms over 200 PINGs " in redis
    assert by_id["post-redis-latency"]["status"] != "pass" or " ms over 200 PINGs < 10 ms limit" in redis
    assert "5 warm-up not counted" in redis and "Redis's own time " in redis and "µs per PING" in redis
    assert " ms over 100 requests to /health " in by_id["post-api-p99"]["evidence"]
    ttfb = by_id["post-dashboard-ttfb"]
    assert " ms over 20 page loads (TTFB) " in ttfb["evidence"]
    assert ttfb["status"] != "pass" or " ms over 20 page loads (TTFB) < 1000 ms limit" in ttfb["evidence"]
    assert all(c["latency_ms"] is not None for c in report["checks"] if c["type"] != "env_vars" and c["id"] != "post-api-p99")
    text = json.dumps(report)
    assert postgres.password not in text and "k" * 32 not in text  # secrets never printed


def test_the_latency_thresholds_pass_run_after_run(capsys, healthy_env):
    # Measured one at a time on a warm connection, an idle loopback Redis/API passes every time
    # (on main, next to the other checks, post-redis-latency failed 6 to 10 runs of 10).
    for _ in range(5):
        code, report = run_json(capsys)
        judged = [c for c in report["checks"] if c["id"] in THRESHOLD_STEPS]
        # post-api-p99 has no load balancer here (inconclusive); its probe, beside, passes like the others.
        # Never a fail: on a machine loaded past cockpit's own budget the honest answer is "too busy to measure"
        assert judged[0]["status"] == "inconclusive" and all(fair(c) for c in judged[1:]), judged
        assert "cockpit's probe: p99 " in judged[0]["evidence"] and " ms over 100 requests to /health < 500 ms limit" in judged[0]["evidence"]


def test_a_redis_slower_than_the_limit_fails_post_redis_latency(capsys, healthy_env, redis_server, monkeypatch):
    proxy = DelayProxy(redis_server.port, delay=0.015).start()  # every reply 15 ms late: over the plan's 10 ms
    try:
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{proxy.port}/0")
        code, report = run_json(capsys, "--only", "post-redis-latency")
    finally:
        proxy.stop()
    (check,) = report["checks"]
    assert code == 1 and check["status"] == "fail", check
    assert check["evidence"].startswith("p99 ") and " ms over 200 PINGs > 10 ms limit: Check Redis instance" in check["evidence"]
    assert check["latency_ms"] > 10
    # Redis itself is fast: its own figure says the time went elsewhere
    assert "Redis's own time " in check["evidence"]


def test_a_database_latency_threshold_is_judged_with_the_servers_own_figure(capsys, healthy_env, tmp_path):
    # The bundled plan has no database threshold; a runbook of another team may
    text = bundled_path().read_text().replace(
        'check = { type = "threshold", threshold = "redis-latency" }\n',
        'check = { type = "threshold", threshold = "redis-latency" }\n\n[[phases.steps]]\nid = "post-db-latency"\n'
        'title = "Database latency"\nkind = "check"\ncheck = { type = "threshold", threshold = "db-latency" }\n', 1,
    ) + '\n[[thresholds]]\nid = "db-latency"\ntitle = "Database latency"\nmetric = "database_latency"\nlimit_ms = 50\n'
    path = tmp_path / "db.toml"
    path.write_text(text)
    code, report = run_json(capsys, "--runbook", str(path), "--only", "post-db-latency")
    (check,) = report["checks"]
    assert code == 0 and check["status"] == "pass", check
    assert " ms over 200 SELECT 1 < 50 ms limit" in check["evidence"]
    assert "PostgreSQL's own time " in check["evidence"] and "ms per SELECT 1 (EXPLAIN ANALYZE: planning + execution)" in check["evidence"]


def test_a_wrong_database_password_fails_the_pool_check(capsys, healthy_env, postgres, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", postgres.url_with(password="not-the-password") + "?connection_limit=10&pool_timeout=10")
    code, report = run_json(capsys, "--only", "a-db-pool")
    (check,) = report["checks"]
    assert code == 1 and check["status"] == "fail"
    assert check["evidence"] == (
        f"connection_limit=10 pool_timeout=10 · cannot connect: authentication failed: wrong password for user 'cockpit' "
        f"(127.0.0.1:{postgres.port}), or no such user"
    )
    assert "not-the-password" not in json.dumps(report)


def test_a_refused_port_fails_the_pool_check(capsys, healthy_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:wrong@127.0.0.1:1/avnz?connection_limit=10&pool_timeout=10")
    code, report = run_json(capsys, "--only", "a-db-pool")
    (check,) = report["checks"]
    assert code == 1 and check["evidence"] == "connection_limit=10 pool_timeout=10 · cannot connect: connection refused: 127.0.0.1:1"


@pytest.mark.parametrize("password", ["p@ss", "p#ss", "p/ss", "12/ss", "p?ss", "pa%ss"])
def test_an_unencoded_password_says_the_url_does_not_parse(capsys, healthy_env, postgres, monkeypatch, password):
    monkeypatch.setenv("DATABASE_URL", f"postgresql://cockpit:{password}Zq9x@127.0.0.1:{postgres.port}/avnz?connection_limit=10&pool_timeout=10")
    code, report = run_json(capsys, "--only", "a-db-pool")
    (check,) = report["checks"]
    assert code == 1 and check["status"] == "fail"
    assert check["evidence"].startswith("DATABASE_URL does not parse: percent-encode the user name and password (@ as %40")
    assert "Zq9x" not in json.dumps(report)  # no piece of the password, however it was split


def test_env_vars_asks_each_service_only_for_what_it_needs(capsys, healthy_env, monkeypatch):
    # seed_ecs: the dashboard's task definition defines none of the API's three names; the API's defines them all
    code, report = run_json(capsys, "--only", "a-env-vars")
    (check,) = report["checks"]
    assert code == 0 and check["evidence"] == ENV_EVIDENCE
    ecs = boto3.client("ecs")
    bare = ecs.register_task_definition(family="avnz-api", containerDefinitions=[{"name": "api", "image": "x", "memory": 512}])
    ecs.update_service(cluster="avnz-payment-cluster", service="avnz-api", taskDefinition=bare["taskDefinition"]["taskDefinitionArn"])
    code, report = run_json(capsys, "--only", "a-env-vars")
    (check,) = report["checks"]
    assert code == 1 and "avnz-api (avnz-api:156): missing REDIS_URL, DATABASE_URL, INTEGRATION_ENCRYPTION_KEY" in check["evidence"]
    assert "avnz-admin-dashboard (avnz-admin-dashboard:12): needs none of these" in check["evidence"]


def test_a_headless_check_journals_every_result_and_ticks_nothing(capsys, healthy_env, state):
    code, report = run_json(capsys, "--only", "a-redis-ping", "a-db-pool", "post-redis-latency")
    assert code == 0
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    steps = {s["id"]: s for s in status["steps"]}
    for row in report["checks"]:
        check = steps[row["id"]]["check"]
        assert (check["status"], check["evidence"], check["latency_ms"]) == (row["status"], row["evidence"], row["latency_ms"])
        assert steps[row["id"]]["status"] == "open"  # journaled, never ticked: a tick is the operator's
    journal = Journal(state, read_only=True)
    try:
        (run,) = journal.runs()
        assert [(e.step_id, e.kind) for e in journal.events(run.id)] == [
            ("a-redis-ping", "check"), ("a-db-pool", "check"), ("post-redis-latency", "check")
        ]
    finally:
        journal.close()


def test_a_journal_that_cannot_be_written_is_one_line_on_stderr(capsys, healthy_env, state, tmp_path):
    state.write_text("not a journal, just a text file\n")
    code = main(["check", "--only", "a-db-pool"])
    captured = capsys.readouterr()
    assert code == 0 and captured.out.splitlines()[-1] == "1 check in staging: all passed"
    assert captured.err.count("\n") == 1 and captured.err.startswith(f"cockpit: results not journaled: state file {state}")
    # --read-only journals nothing, and says nothing about it
    other = tmp_path / "ro.sqlite3"
    assert main(["check", "--read-only", "--state", str(other), "--only", "a-db-pool"]) == 0
    assert not other.exists() and capsys.readouterr().err == ""


def test_a_stopped_redis_fails_with_a_clear_reason(capsys, healthy_env, redis_fault, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_fault.url)
    redis_fault.stop()
    code, report = run_json(capsys)
    by_id = {c["id"]: c for c in report["checks"]}
    assert code == 1 and not report["passed"]
    assert by_id["a-redis-ping"] == {
        "id": "a-redis-ping",
        "title": "Verify Redis Availability",
        "type": "redis_ping",
        "status": "fail",
        "evidence": f"connection refused: 127.0.0.1:{redis_fault.port}",
        "latency_ms": None,
    }
    assert by_id["post-redis-latency"]["status"] == "fail"
    assert by_id["a-db-pool"]["status"] == "pass" and by_id["b-health-status"]["status"] == "pass"


def test_a_hanging_api_is_bounded_by_the_slowest_timeout_not_the_sum(capsys, healthy_env, fast_runbook):
    healthy_env.health_mode = "hang"
    started = time.monotonic()
    code, report = run_json(capsys, "--runbook", str(fast_runbook))
    elapsed = time.monotonic() - started
    hanging = [c for c in report["checks"] if c["type"] == "health" or c["id"] == "post-api-p99"]
    assert code == 1 and len(hanging) == 4
    *health, p99 = hanging
    assert all(c["status"] == "fail" and c["evidence"].startswith("timed out") for c in health), health
    # judged on the load balancer (not configured here: no verdict); its probe, beside, timed out
    assert p99["status"] == "inconclusive" and p99["evidence"].endswith(f"cockpit's probe: timed out: 127.0.0.1:{healthy_env.port}"), p99
    # Three distinct health checks wait on the hanging API (two steps share one): concurrent, they
    # take one bound (2.5 s), not three. Then the three thresholds, one at a time, each within
    # its bound: the API's gives up at the first request's 1 s read timeout.
    assert elapsed < 2.5 + 3 * 2.5, elapsed


def test_an_api_slower_than_the_budget_allows_is_judged_on_what_fit(capsys, healthy_env, fast_runbook):
    healthy_env.health_mode = "slow"
    healthy_env.slow_seconds = 0.15  # 101 requests would take 15 s; the check has 1.5 s
    code, report = run_json(capsys, "--runbook", str(fast_runbook), "--only", "post-api-p99")
    (check,) = report["checks"]
    assert code == 1 and check["status"] == "inconclusive", check  # no load balancer named here: the probe is only beside
    assert "cockpit's probe: p99 " in check["evidence"] and "requests to /health (all that fit in 1.4 s) < 500 ms limit" in check["evidence"]


def test_a_dns_lookup_that_hangs_does_not_hold_the_exit(tmp_path, fast_runbook):
    # getaddrinfo runs in a thread; a timeout abandons it, and the exit must not wait for it
    script = tmp_path / "slow_dns.py"
    script.write_text(
        "import socket, sys, time\n"
        "real = socket.getaddrinfo\n"
        "socket.getaddrinfo = lambda host, *a, **k: time.sleep(30) if host == 'slow.test' else real(host, *a, **k)\n"
        "from cockpit.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = {**os.environ, "REDIS_URL": "redis://slow.test:6379/0"}
    done = subprocess.run(
        [sys.executable, str(script), "check", "--runbook", str(fast_runbook), "--only", "a-redis-ping"],
        capture_output=True, text=True, env=env, timeout=15,  # would take 30 s if the exit waited
    )
    assert done.returncode == 1 and "timed out: slow.test:6379" in done.stdout


def test_only_and_table_output(capsys, healthy_env):
    code = main(["check", "--only", "a-db-pool", "a-env-vars"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].startswith("PASS  a-db-pool ") and out[0].endswith("Database Connection Pool Verification")
    assert out[1].startswith("      connection_limit=10 pool_timeout=20 · connected as cockpit · ")
    assert out[2].startswith("PASS  a-env-vars ") and out[-1] == "2 checks in staging: all passed"


def test_bad_input_is_exit_2(capsys):
    assert main(["check", "--only", "no-such-step"]) == 2
    assert capsys.readouterr().err.strip() == "cockpit: --only no-such-step: no such step in avnz-phase-1-4"
    assert main(["check", "--env", "moon"]) == 2
