"""The moto host: its ECS rollout simulator, its control endpoint, and that it never outlives its parent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cockpit.stack.ecs_seed import API, CLUSTER, DASHBOARD, seed_ecs
from cockpit.stack.moto_server import MotoServer
from tests.servers import unavailable

CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=3, read_timeout=10)
STEP = 0.2
DEADLINE = 20.0  # seconds to wait for a rollout of a few steps, even on a loaded CI machine


def ecs_client(server: MotoServer):
    return boto3.session.Session().client(
        "ecs", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing", config=CONFIG
    )


def started(server: MotoServer) -> MotoServer:
    try:
        return server.start()
    except (RuntimeError, OSError) as error:
        unavailable(f"the moto host could not start: {error}")


@pytest.fixture(scope="module")
def sim_server(tmp_path_factory):
    """A moto host of this module's own with the ECS simulator, stepping every 0.2 s."""
    server = MotoServer(tmp_path_factory.mktemp("moto-sim"), simulate_ecs=True, ecs_step_seconds=STEP)
    try:
        yield started(server)
    finally:
        server.stop()


@pytest.fixture
def estate(sim_server):
    """(server, ecs client, seed) on a wiped simulator: avnz-api 1-6 (2 inactive), the dashboard 1-3."""
    sim_server.reset()
    ecs = ecs_client(sim_server)
    seed = seed_ecs(ecs, revisions=6, inactive=(2,), dashboard_revisions=3, dashboard_inactive=(), decoy=False)
    return sim_server, ecs, seed


def describe(ecs, service: str = API) -> dict:
    return ecs.describe_services(cluster=CLUSTER, services=[service])["services"][0]


def wait_for(ecs, predicate, service: str = API, what: str = "") -> dict:
    """The service as soon as `predicate(service)` holds; fails after DEADLINE with the last state seen."""
    deadline = time.monotonic() + DEADLINE
    while True:
        seen = describe(ecs, service)
        if predicate(seen):
            return seen
        if time.monotonic() > deadline:
            pytest.fail(f"{service}: {what} not reached; deployments {seen['deployments']}")
        time.sleep(STEP / 4)


def primary(service: dict) -> dict:
    return next(d for d in service["deployments"] if d["status"] == "PRIMARY")


def settled(service: dict) -> bool:
    return primary(service)["rolloutState"] == "COMPLETED"


def messages(service: dict) -> list[str]:
    return [event["message"] for event in service["events"]]


# -- the simulator -----------------------------------------------------------------------


def test_seeded_services_reach_steady_state(estate):
    _server, ecs, seed = estate

    for name in (API, DASHBOARD):
        service = wait_for(ecs, settled, name, "COMPLETED")
        deployment = primary(service)

        assert len(service["deployments"]) == 1
        assert (service["runningCount"], service["pendingCount"], service["desiredCount"]) == (2, 0, 2)
        assert (deployment["runningCount"], deployment["pendingCount"]) == (2, 0)
        assert deployment["rolloutStateReason"] == f"ECS deployment {deployment['id']} completed."
        assert service["taskDefinition"] == deployment["taskDefinition"] == seed.services[name]
        assert messages(service)[:2] == [
            f"(service {name}) has reached a steady state.",
            f"(service {name}) (deployment {deployment['id']}) deployment completed.",
        ]
        assert sum(m.startswith(f"(service {name}) has started 1 tasks: (task ") for m in messages(service)) == 2
        ids = [event["id"] for event in service["events"]]
        assert len(ids) == len(set(ids))
        assert all(event["createdAt"].tzinfo is not None for event in service["events"])


def test_update_to_an_older_revision_rolls_out(estate):
    _server, ecs, seed = estate
    before = primary(wait_for(ecs, settled, what="seed COMPLETED"))

    updated = ecs.update_service(cluster=CLUSTER, service=API, taskDefinition=f"{API}:4")["service"]
    new = primary(updated)

    assert new["id"] != before["id"] and new["id"].startswith("ecs-svc/") and new["id"][8:].isdigit()
    assert new["taskDefinition"] == updated["taskDefinition"] == seed.arn(API, 4)  # the full ARN, as ECS reports it
    assert (new["rolloutState"], new["runningCount"], new["pendingCount"]) == ("IN_PROGRESS", 0, 2)
    assert new["rolloutStateReason"] == f"ECS deployment {new['id']} in progress."
    assert [(d["status"], d["id"], d["runningCount"]) for d in updated["deployments"][1:]] == [("ACTIVE", before["id"], 2)]

    done = wait_for(ecs, lambda s: primary(s)["id"] == new["id"] and settled(s), what="the new deployment COMPLETED")
    assert [d["id"] for d in done["deployments"]] == [new["id"]]
    assert (done["runningCount"], done["pendingCount"], done["taskDefinition"]) == (2, 0, seed.arn(API, 4))
    rollout = messages(done)[: messages(done).index(f"(service {API}) (deployment {before['id']}) deployment completed.")]
    assert rollout[:2] == [f"(service {API}) has reached a steady state.", f"(service {API}) (deployment {new['id']}) deployment completed."]
    assert sum("has started 1 tasks" in m for m in rollout) == 2
    assert sum("has stopped 1 running tasks" in m for m in rollout) == 2
    assert sum("registered 1 targets in (target-group arn:aws:elasticloadbalancing:" in m for m in rollout) == 2


def test_inactive_revision_is_refused(estate):
    _server, ecs, seed = estate
    before = wait_for(ecs, settled, what="seed COMPLETED")

    with pytest.raises(ClientError) as refused:
        ecs.update_service(cluster=CLUSTER, service=API, taskDefinition=seed.arn(API, 2))

    assert (refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]) == ("ClientException", "TaskDefinition is inactive")
    after = describe(ecs)
    assert after["deployments"] == before["deployments"] and after["taskDefinition"] == seed.services[API]


def test_fail_next_trips_the_circuit_breaker_then_a_rollback_completes(estate):
    server, ecs, seed = estate
    good = primary(wait_for(ecs, settled, what="seed COMPLETED"))

    server.fail_next_deployment(CLUSTER, API)
    broken = primary(ecs.update_service(cluster=CLUSTER, service=API, taskDefinition=seed.arn(API, 5))["service"])
    failed = wait_for(ecs, lambda s: primary(s)["rolloutState"] == "FAILED", what="FAILED")

    deployment = primary(failed)
    assert deployment["id"] == broken["id"] and deployment["runningCount"] == 0 and deployment["failedTasks"] >= 1
    assert deployment["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert [(d["status"], d["id"], d["runningCount"]) for d in failed["deployments"][1:]] == [("ACTIVE", good["id"], 2)]
    assert failed["runningCount"] == 2
    assert messages(failed)[0] == f"(service {API}) (deployment {broken['id']}) deployment failed: tasks failed to start."
    assert any(m.endswith("failed container health checks.") for m in messages(failed))
    time.sleep(STEP * 3)
    assert describe(ecs)["deployments"] == failed["deployments"]  # a failed rollout stays as it is

    rollback = primary(ecs.update_service(cluster=CLUSTER, service=API, taskDefinition=seed.arn(API, 6))["service"])
    done = wait_for(ecs, lambda s: primary(s)["id"] == rollback["id"] and settled(s), what="the rollback COMPLETED")

    assert [d["id"] for d in done["deployments"]] == [rollback["id"]]
    assert (done["runningCount"], done["taskDefinition"]) == (2, seed.arn(API, 6))


def test_fail_next_of_an_unknown_service_is_a_404(estate):
    server, _ecs, _seed = estate

    with pytest.raises(RuntimeError, match="404"):
        server.fail_next_deployment(CLUSTER, "no-such-service")
    with pytest.raises(RuntimeError, match="404"):
        server.fail_next_deployment(CLUSTER, API, region="eu-west-1")


def test_control_endpoint_says_the_simulator_is_on(sim_server):
    with urllib.request.urlopen(f"{sim_server.url}/cockpit-sim/", timeout=5) as answer:
        assert json.loads(answer.read()) == {"simulate_ecs": True, "ecs_step_seconds": STEP}


def test_reset_wipes_the_simulated_estate_and_it_goes_on(estate):
    server, ecs, _seed = estate
    wait_for(ecs, settled, what="seed COMPLETED")

    server.reset()
    assert ecs.list_clusters()["clusterArns"] == []
    seed = seed_ecs(ecs, revisions=3, inactive=(), dashboard_revisions=1, dashboard_inactive=(), decoy=False)

    assert wait_for(ecs, settled, what="COMPLETED after a reset")["taskDefinition"] == seed.services[API]


# -- moto unchanged without the simulator (the shared fixture) ---------------------------


def test_plain_moto_starts_no_deployment_and_refuses_fail_next(aws):
    ecs = ecs_client(aws)
    seed = seed_ecs(ecs, revisions=3, inactive=(2,), dashboard_revisions=1, dashboard_inactive=(), decoy=False)
    before = describe(ecs)

    after = ecs.update_service(cluster=CLUSTER, service=API, taskDefinition=f"{API}:2")["service"]  # INACTIVE: moto takes it

    assert after["taskDefinition"] == f"{API}:2"  # stored as given, not as an ARN
    assert after["deployments"] == before["deployments"]
    assert [(d["rolloutState"], d["runningCount"], d["taskDefinition"]) for d in after["deployments"]] == [("IN_PROGRESS", 0, seed.services[API])]
    assert after["events"] == []
    with pytest.raises(RuntimeError, match="409"):
        aws.fail_next_deployment(CLUSTER, API)
    with urllib.request.urlopen(f"{aws.url}/cockpit-sim/", timeout=5) as answer:
        assert json.loads(answer.read())["simulate_ecs"] is False
    with pytest.raises(urllib.error.HTTPError) as unknown:
        urllib.request.urlopen(f"{aws.url}/cockpit-sim/nope", timeout=5)
    assert unknown.value.code == 404


# -- the host never outlives its parent ----------------------------------------------------


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie nobody reaped yet counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("how", ["stdin closed", "SIGTERM"])
def test_host_exits_when_stdin_closes_or_on_sigterm(tmp_path, how):
    server = started(MotoServer(tmp_path))
    proc = server._proc
    try:
        if how == "stdin closed":
            proc.stdin.close()
        else:
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        assert proc.returncode == 0
    finally:
        server.stop()


def test_host_exits_when_its_parent_is_killed(tmp_path):
    parent_code = (
        "import sys, time\n"
        "from cockpit.stack.moto_server import MotoServer\n"
        "server = MotoServer(sys.argv[1]).start()\n"
        "print(server._proc.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        line = parent.stdout.readline()
        if not line.strip().isdigit():
            unavailable(f"the parent could not start a moto host: {line!r}")
        host = int(line)
        assert alive(host)

        parent.kill()  # SIGKILL: no atexit, no stop()
        parent.wait(timeout=10)

        assert wait_gone(host), f"moto host {host} outlived its parent"
    finally:
        parent.kill()
        parent.wait()
        if "host" in locals() and alive(host):
            os.kill(host, signal.SIGKILL)  # this test's own orphan, by pid
