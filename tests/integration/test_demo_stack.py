"""The demo's stack process for real: what it starts, what its trouble keys do, and that it always cleans up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
import redis

from cockpit.stack.moto_server import MotoServer
from tests.integration.demo_support import alive, listening, ports_in, start_demo, wait_gone
from tests.servers import unavailable


def aws_client(ready, service: str):
    env = ready.environ
    return boto3.client(service, endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def eventually(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"never happened within {timeout:.0f} s: {what}")
        time.sleep(0.2)


def api_deployments(ready) -> list[dict]:
    service = aws_client(ready, "ecs").describe_services(cluster="avnz-payment-cluster", services=["avnz-api"])["services"][0]
    return service["deployments"]


def test_every_server_is_up_and_seeded_like_production(demo):
    _control, ready, progress = demo
    env = ready.environ
    assert set(ports_in(progress)) == {"redis-server", "PostgreSQL", "moto", "CloudWatch percentile proxy", "API and dashboard stand-in", "GitHub (fake)",
                                       "Slack webhooks (fake)"}, progress
    assert redis.Redis.from_url(env["REDIS_URL"], socket_timeout=3).ping()  # with the password in the URL
    assert "connection_limit=10" in env["DATABASE_URL"] and "pool_timeout=20" in env["DATABASE_URL"]
    status, body = get(env["COCKPIT_API_URL"] + "/health")
    assert status == 200 and json.loads(body)["components"]["redis"]["healthy"] is True
    assert all(get(env["COCKPIT_APP_URL"] + path)[0] == 200 for path in ("/vendors/companies", "/momentum/triggers"))
    alarms = aws_client(ready, "cloudwatch").describe_alarms()["MetricAlarms"]
    assert sorted((a["AlarmName"], a["StateValue"]) for a in alarms) == [
        ("avnz-api-5xx-errors", "OK"), ("avnz-db-pool-exhausted", "OK"), ("avnz-redis-connection", "OK")]
    logs = aws_client(ready, "logs")
    assert len(logs.describe_log_streams(logGroupName="/ecs/avnz-api")["logStreams"]) == 2
    redis_lines = logs.filter_log_events(logGroupName="/ecs/avnz-api", filterPattern="Redis", limit=50)["events"]
    momentum = logs.filter_log_events(logGroupName="/ecs/avnz-api", filterPattern="momentum", limit=50)["events"]
    assert len(redis_lines) == 50 and len(momentum) == 50
    # today's deployment of avnz-api:24 rolls out over :23 and completes (the ECS simulator)
    eventually(lambda: [(d["taskDefinition"].rsplit("/", 1)[1], d["rolloutState"]) for d in api_deployments(ready)]
               == [("avnz-api:24", "COMPLETED")], "avnz-api:24 rolled out")


def test_the_log_writer_keeps_writing(demo):
    _control, ready, _progress = demo
    logs = aws_client(ready, "logs")

    def newest() -> int:
        return max(s.get("lastEventTimestamp", 0) for s in logs.describe_log_streams(logGroupName="/ecs/avnz-api")["logStreams"])

    first = newest()
    eventually(lambda: newest() > first, "a newer log event")


def test_redis_stop_and_start(demo):
    control, ready, progress = demo
    port = ports_in(progress)["redis-server"]
    assert "Redis stopped" in control.run("1")
    assert not listening(port)
    health = json.loads(get(ready.environ["COCKPIT_API_URL"] + "/health")[1])
    assert health["status"] == "degraded" and health["components"]["redis"]["healthy"] is False
    assert next(a for a in control.actions if a.key == "1").state == "stopped"
    assert "started again" in control.run("1")
    assert listening(port) and redis.Redis.from_url(ready.environ["REDIS_URL"], socket_timeout=3).ping()


def test_api_slow_then_failing_then_normal(demo):
    control, ready, _progress = demo
    url = ready.environ["COCKPIT_API_URL"]
    control.run("3")
    began = time.monotonic()
    assert get(url + "/health")[0] == 200 and time.monotonic() - began > 1.0
    control.run("3")
    control.run("4")
    assert get(url + "/health")[0] == 500 and get(url + "/momentum/churn")[0] == 500
    assert "back to normal" in control.run("4")
    assert get(url + "/health")[0] == 200


def test_alarm_into_alarm_and_back(demo):
    control, ready, _progress = demo
    cloudwatch = aws_client(ready, "cloudwatch")

    def state() -> str:
        return cloudwatch.describe_alarms(AlarmNames=["avnz-api-5xx-errors"])["MetricAlarms"][0]["StateValue"]

    assert "ALARM" in control.run("5") and state() == "ALARM"
    control.run("5")
    assert state() == "OK"


def test_flood_writes_thousands_of_lines(demo):
    control, ready, _progress = demo
    logs = aws_client(ready, "logs")
    since = int(time.time() * 1000)
    assert "flooding" in control.run("6")
    try:
        eventually(lambda: len(logs.filter_log_events(logGroupName="/ecs/avnz-api", startTime=since, limit=5000)["events"]) >= 2000,
                   "2,000 new lines")
    finally:
        assert "stopped" in control.run("6")


def test_a_broken_deployment_fails_and_stays_failed(demo):
    control, ready, _progress = demo
    eventually(lambda: next(a for a in control.refresh() if a.key == "7").available, "a steady avnz-api")
    message = control.run("7")
    assert "avnz-api:25" in message and "v1.5.0-rc1" in message
    deployments = eventually(lambda: (d := api_deployments(ready)) and d[0]["rolloutState"] == "FAILED" and d, "the rollout FAILED", timeout=45)
    assert "circuit breaker" in deployments[0]["rolloutStateReason"]
    assert [d["status"] for d in deployments] == ["PRIMARY", "ACTIVE"] and deployments[1]["runningCount"] == 2
    assert "not available (avnz-api:25 FAILED)" in control.run("7")  # one broken deployment at a time


def test_an_unknown_key_changes_nothing(demo):
    control, _ready, _progress = demo
    assert control.run("0") == "no trouble key '0'"


# -- Phase B end to end: the bundled runbook's steps, headless, against the demo's fakes and its ECS simulator ----


@pytest.fixture
def demo_run(demo, monkeypatch, tmp_path, capsys):
    """`run(step)`: `cockpit run STEP --yes` with the demo's environment and a copy of the bundled runbook that polls
    GitHub and ECS every 0.5 s (the plan's 5 s make a slow test); (exit code, output)."""
    from cockpit.cli import main
    from cockpit.runbook import bundled_path

    _control, ready, _progress = demo
    for name in MotoServer.foreign_settings(os.environ):
        monkeypatch.delenv(name, raising=False)
    for name, value in ready.environ.items():
        monkeypatch.setenv(name, value)
    runbook = tmp_path / "fast.toml"
    runbook.write_text(bundled_path().read_text().replace("poll_seconds = 5", "poll_seconds = 0.5"))

    def run(step: str, env: str = "staging", verb: str = "run") -> tuple[int, str]:
        """`cockpit run STEP` (production: --confirm production), or with verb="check" `cockpit check` of `env`."""
        confirm = ["--confirm", "production"] if env == "production" else ["--yes"]
        argv = [verb, step, *confirm] if verb == "run" else [verb]
        code = main([*argv, "--runbook", str(runbook), "--env", env, "--state", str(tmp_path / "journal.sqlite3")])
        return code, capsys.readouterr().out

    return run


def service_deployments(ready, name: str) -> list[dict]:
    return aws_client(ready, "ecs").describe_services(cluster="avnz-payment-cluster", services=[name])["services"][0]["deployments"]


def test_its_environment_file_lets_another_shell_reach_the_stack(demo):
    _control, ready, _progress = demo
    path = Path(ready.env_file)
    assert path.parent == Path(ready.dirs[0]) and (path.stat().st_mode & 0o777) == 0o600
    shown = subprocess.run(["bash", "-c", f". {path} && echo $GITHUB_REPOSITORY $COCKPIT_STATE && command -v npx"],
                           capture_output=True, text=True, timeout=10, env={"PATH": "/usr/bin:/bin"})
    assert shown.stdout.split() == ["avnz/payment-platform", ready.environ["COCKPIT_STATE"], str(Path(ready.dirs[0]) / "bin" / "npx")]


def test_the_staging_deploy_dispatches_watches_and_follows_each_rollout_to_completed(demo, demo_run):
    control, ready, _progress = demo
    code, out = demo_run("b-deploy-staging")
    assert code == 0, out
    for service in ("avnz-api", "avnz-admin-dashboard"):
        assert f"rollout of {service}: waiting for a new ECS deployment" in out
        (deployment,) = service_deployments(ready, service)  # the new one, rolled out: the old ones are gone
        assert deployment["rolloutState"] == "COMPLETED"
        assert f"rollout of {service}: {deployment['id']} COMPLETED" in out, out
    assert "queued" in out and "in_progress" in out and "completed/success · 6 s" in out  # watched as it moved, in real time
    assert "passed: run " in out.rstrip().splitlines()[-1]
    control.refresh()
    runs, deploys = control.shown["runs"], control.shown["deploys"]
    assert [line.split()[2:] for line in runs[:2]] == [["deploy-admin-dashboard.yml", "staging", "completed/success"],
                                                       ["deploy-api.yml", "staging", "completed/success"]]
    assert "deployed avnz-admin-dashboard:" in deploys[0] and "deployed avnz-api:" in deploys[1]
    assert ready.environ["GH_TOKEN"] not in out


def test_a_slack_step_reaches_the_fake_webhook_and_the_demo_shows_what_it_got(demo, demo_run):
    control, ready, _progress = demo
    code, out = demo_run("comms-engineering")
    assert code == 0, out
    control.refresh()
    latest = control.shown["slack"][0]
    assert latest["channel"] == "#engineering" and "AVNZ Payment Platform" in latest["text"]
    shown = json.dumps(control.shown)
    webhook = ready.environ["SLACK_WEBHOOK_ENGINEERING"]
    assert webhook.rsplit("/", 1)[1] not in shown and webhook.rsplit("/", 1)[1] not in out  # the secret path is never shown


def test_the_e2e_step_runs_the_demo_npx_against_the_demo_dashboard(demo, demo_run):
    control, _ready, _progress = demo
    code, out = demo_run("b-e2e")
    assert code == 0, out
    assert "[1] Running 5 tests using 1 worker" in out and "✓  1 [chromium] › vendors-companies.spec.ts › Vendor Companies loads" in out
    assert "[1]   5 passed" in out
    assert "every page now answer HTTP 500" in control.run("4")
    try:
        code, out = demo_run("b-e2e")
    finally:
        assert "back to normal" in control.run("4")
    assert code == 1 and "✘  3 [chromium] › momentum-churn.spec.ts › Churn Dashboard loads" in out and "HTTP 500" in out
    assert "0 passed, 5 failed" in out


def test_every_step_with_actions_runs_headless_in_both_environments(demo, demo_run):
    """The steps issue 17 names, as the plan orders them: staging's deploy, its verification (the production gate reads
    it), the E2E run and the heads-ups; then production: the stakeholders' message, the API, its health (the dashboard's
    live gate), the dashboard, the confirmation. Each passes against the demo's fakes and ECS simulator."""
    control, ready, _progress = demo
    for step in ("comms-engineering", "comms-product", "b-deploy-staging", "b-e2e"):
        code, out = demo_run(step)
        assert code == 0, f"{step}: {out}"
    code, out = demo_run("", verb="check")
    assert "b-health-status" in out
    for step in ("c-notify-stakeholders", "c-deploy-api", "c-deploy-dashboard", "comms-confirm"):
        code, out = demo_run(step, env="production")
        assert code == 0, f"{step}: {out}"
        if step.startswith("c-deploy"):
            assert "gate green:" in out and "COMPLETED" in out, out
    control.refresh()
    texts = [m["text"] for m in control.shown["slack"]]
    assert any("Staging verification: 7 of 7 gate checks passed" in t for t in texts), texts
    assert any(t.startswith("Deployment confirmed:") and "live in production" in t for t in texts), texts
    assert [line.split()[2:4] for line in control.shown["runs"][:2]] == [["deploy-admin-dashboard.yml", "production"],
                                                                          ["deploy-api.yml", "production"]]


def test_trouble_keys_fail_the_next_deploy_run_then_the_next_rollout(demo, demo_run):
    control, ready, _progress = demo
    assert "fails" in control.run("8")
    assert next(a for a in control.actions if a.key == "8").state == "armed"
    code, out = demo_run("b-deploy-staging")
    assert code == 1 and "completed/failure" in out and "rollout of" not in out  # nothing deployed, nothing followed
    assert next(a for a in control.refresh() if a.key == "8").state == "runs succeed"  # once only
    assert "fails" in control.run("9")
    code, out = demo_run("b-deploy-staging")
    assert code == 1, out
    last = out.rstrip().splitlines()[-1]
    assert "FAILED: ECS deployment circuit breaker: tasks failed to start." in last and "ECS events:" in last
    assert service_deployments(ready, "avnz-api")[0]["rolloutState"] == "FAILED"
    control.refresh()
    assert control.shown["runs"][0].split()[2] == "deploy-api.yml"  # the step stopped there: the dashboard was not dispatched


def _gone_after(stop, timeout: float = 45.0) -> list[str]:
    control, ready, progress = start_demo()
    pid = control.proc.pid
    try:
        stop(control)
        return wait_gone(ports_in(progress), ready.dirs, [pid], timeout=timeout)
    finally:
        control.stop()


def test_closing_the_pipe_stops_everything_and_removes_its_directories():
    assert _gone_after(lambda control: control.stop()) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_to_the_stack_process_stops_everything(signum):
    assert _gone_after(lambda control: os.kill(control.proc.pid, signum)) == []


def postmaster_pid(ready) -> int:
    """The demo's postmaster, from the pid file in its data directory."""
    pid_file = next(pid for d in ready.dirs for pid in Path(d).glob("data/postmaster.pid"))
    return int(pid_file.read_text().split("\n", 1)[0])


def test_a_signal_in_the_middle_of_a_trouble_action_still_stops_everything():
    """SIGTERM while `! 2` waits for PostgreSQL to stop: the action is cut short, not the clean-up."""
    control, ready, progress = start_demo()
    pid = control.proc.pid
    try:
        if "database_url" in ready.absent:
            unavailable("PostgreSQL is not installed")  # CI=true: a failure, not a skip
        postmaster = postmaster_pid(ready)
        os.kill(postmaster, signal.SIGSTOP)  # pg_ctl stop now waits for it
        try:
            answer = {}
            asking = threading.Thread(target=lambda: answer.update(reply=control.run("2")), daemon=True)
            asking.start()
            time.sleep(1.0)  # the stack process is inside `pg_ctl stop -w`
            assert asking.is_alive(), f"the action did not wait: {answer}"
            os.kill(pid, signal.SIGTERM)
            time.sleep(0.5)
        finally:
            os.kill(postmaster, signal.SIGCONT)
        assert wait_gone(ports_in(progress), ready.dirs, [pid, postmaster], timeout=45) == []
        assert "failed" not in answer.get("reply", "")  # no "failed: Stop: SIGTERM": the signal was not swallowed
    finally:
        control.stop()


def test_a_stack_process_killed_with_sigkill_is_cleaned_up_after_by_the_cockpit():
    """SIGKILL leaves its redis-server and postmaster running (own sessions): the cockpit hears it is gone,
    then stops them by their pid files and removes the directories."""
    control, ready, progress = start_demo()
    gone = threading.Event()
    control.on_gone = gone.set
    try:
        servers = []
        if "redis_url" not in ready.absent:
            servers.append(int(next(Path(ready.dirs[0]).rglob("redis.pid")).read_text()))
        if "database_url" not in ready.absent:
            servers.append(postmaster_pid(ready))
        os.kill(control.proc.pid, signal.SIGKILL)
        assert gone.wait(10), "the cockpit was not told the stack process ended"
        assert all(alive(pid) for pid in servers), "nothing to clean up: the servers died with it"
        report = control.stop()
        assert report["swept"] and len([line for line in report["stopped"] if line.endswith(" stopped")]) == len(servers), report
        assert wait_gone(ports_in(progress), ready.dirs, [control.proc.pid, *servers], timeout=15) == []
    finally:
        control.stop()


def test_a_trouble_key_after_stopping_says_the_stack_is_gone():
    control, _ready, _progress = start_demo()
    control.stop()
    assert control.run("1") == "the demo stack is gone"


PARENT = """
import json, sys, time
from cockpit.demo.control import DemoControl
control = DemoControl()
ready = control.start(lambda text: print(json.dumps({"progress": text}), flush=True))
print(json.dumps({"pid": control.proc.pid, "dirs": ready.dirs}), flush=True)
time.sleep(600)
"""


def test_a_parent_killed_with_sigkill_leaves_nothing_behind():
    """The kernel closes the pipe of a SIGKILLed cockpit: the stack process sees EOF and cleans up."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    progress, started = [], None
    try:
        for raw in parent.stdout:
            message = json.loads(raw)
            if "progress" in message:
                progress.append(message["progress"])
            else:
                started = message
                break
        if started is None:
            unavailable(f"the demo stack could not start; progress: {progress}")
        parent.kill()
        parent.wait(timeout=10)
        assert wait_gone(ports_in(progress), started["dirs"], [started["pid"]], timeout=45) == []
    finally:
        parent.kill()
        parent.wait(timeout=10)


def test_without_redis_server_and_postgres_the_demo_runs_and_says_why(monkeypatch, tmp_path):
    """Their rows say why they are absent; everything else still starts (and still stops)."""
    from cockpit.monitor.backends import build_backends
    from cockpit.runbook import load_runbook

    bare = tmp_path / "bin"
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))  # no redis-server, no initdb (the interpreter is called by path)
    monkeypatch.setenv("COCKPIT_PG_BIN", str(tmp_path / "no-postgres"))
    control, ready, progress = start_demo()
    try:
        assert set(ready.absent) == {"redis_url", "database_url"}
        assert ready.absent["redis_url"].startswith("absent in the demo: redis-server is not installed")
        assert "PostgreSQL is not installed" in ready.absent["database_url"]
        assert "REDIS_URL" not in ready.environ and "DATABASE_URL" not in ready.environ
        assert set(ports_in(progress)) == {"moto", "CloudWatch percentile proxy", "API and dashboard stand-in", "GitHub (fake)", "Slack webhooks (fake)"}
        assert "not available" in control.run("1")
        rds = aws_client(ready, "rds").describe_db_instances(DBInstanceIdentifier="avnz-db")["DBInstances"][0]
        assert rds["DBInstanceStatus"] == "stopped"  # the RDS instance says what the demo's PostgreSQL is: not there
        _status, body = get(ready.environ["COCKPIT_API_URL"] + "/health")
        components = json.loads(body)["components"]
        assert components["redis"] == {"healthy": False, "error": "not configured: " + ready.absent["redis_url"]}, components
        assert components["database"]["error"].startswith("not configured: absent in the demo"), components
        for name in ("REDIS_URL", "DATABASE_URL"):
            monkeypatch.delenv(name, raising=False)
        runbook = load_runbook()
        env = replace(runbook.environments["staging"], absent=ready.absent)
        reasons = {b.name: b.how for b in build_backends(runbook, env) if hasattr(b, "how")}
        assert reasons["redis"] == ready.absent["redis_url"] and reasons["database"] == ready.absent["database_url"]
    finally:
        control.stop()
    assert wait_gone(ports_in(progress), ready.dirs, [control.proc.pid]) == []
