"""The rollback layer's pure parts: the plan and its confirmation, the names-only diff, the
last stable revision, refusals and outcomes (cockpit/rollback/{plan,diff,execute,candidates})."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cockpit.journal.progress import SERVICE, SERVICE_PREFIX, TICK
from cockpit.probes.aws.ecs import Container, Deployment, ServiceState, TaskDefinition, task_definition
from cockpit.rollback.candidates import Candidates, family_of
from cockpit.rollback.diff import Change, describe, diff
from cockpit.rollback.execute import COMPLETED, ECS_ROLLED_BACK, ERROR, FAILED, REFUSED, STARTED, TIMEOUT, Outcome, refusal
from cockpit.rollback.plan import Choice, Revision, RollbackPlan, current_arn, last_stable, same
from cockpit.runbook import load_runbook
from cockpit.stack import ecs_seed
from cockpit.stack.ecs_seed import API, api_changes, api_container
from tests.servers.ecs_rollouts import td_arn

FAMILY = API
N = 155
CHANGES = api_changes(N)


def arn(revision: int, family: str = FAMILY) -> str:
    return td_arn(family, revision)


def api_td(revision: int, *, container: dict | None = None, cpu: str = "512", memory: str | None = None) -> TaskDefinition:
    """avnz-api:<revision> of the seed, through the probe (names only), as describe_task_definition gives it."""
    container = container if container is not None else api_container(revision, N)
    memory = memory or ("2048" if revision >= CHANGES["memory_changed"] else "1024")
    raw = {"taskDefinitionArn": arn(revision), "family": FAMILY, "revision": revision, "status": "ACTIVE",
           "cpu": cpu, "memory": memory, "containerDefinitions": [container]}
    return task_definition(raw)


def texts(changes: list[Change]) -> list[str]:
    return [describe(c) for c in changes]


def never_shown() -> tuple[str, ...]:
    """The seed's values that must never appear (secret ARNs, the Redis URL and password, env values)."""
    return (*(ecs_seed.REDIS_URL, ecs_seed.DATABASE_URL_FROM, ecs_seed.ENCRYPTION_KEY_FROM, ecs_seed.STRIPE_LEGACY_FROM,
              ecs_seed.SESSION_SECRET_FROM), ecs_seed.REDIS_PASSWORD, ecs_seed.NODE_ENV, ecs_seed.LOG_LEVEL,
            ecs_seed.API_BASE_URL, ecs_seed.BLACKLIST_VALUE, ecs_seed.DASHBOARD_SESSION_TTL)


# -- the plan ------------------------------------------------------------------------------


def plan(environment: str = "staging", production: bool = False, *, frm: int = 155, to: int = 150) -> RollbackPlan:
    return RollbackPlan(environment, production, "avnz-payment-cluster", FAMILY, arn(frm), arn(to))


def test_confirmation_is_the_service_name_and_in_production_also_the_environment():
    assert plan().confirmation == "avnz-api"
    assert plan("production", True).confirmation == "production/avnz-api"
    # a production environment by any name is named in the confirmation
    assert plan("prod-eu", True).confirmation == "prod-eu/avnz-api"


def test_lines_say_exactly_what_will_happen():
    lines = plan().lines()
    assert lines == [
        "environment  staging",
        "cluster      avnz-payment-cluster",
        "service      avnz-api",
        f"from         {arn(155)}",
        f"to           {arn(150)}",
        "call         ecs update-service --cluster avnz-payment-cluster --service avnz-api --task-definition avnz-api:150",
    ]
    assert plan("production", True).lines()[0] == "environment  production (PRODUCTION)"


def test_payload_is_the_plan():
    assert plan().payload() == {"environment": "staging", "cluster": "avnz-payment-cluster", "service": "avnz-api",
                                "from": arn(155), "to": arn(150)}


def test_same_compares_arns_and_family_revision():
    assert same(arn(150), "avnz-api:150")
    assert same("avnz-api:150", arn(150))
    assert not same(arn(150), arn(15))
    assert not same(arn(150), "avnz-api-worker:150")


# -- the diff ------------------------------------------------------------------------------


def test_no_changes_between_equal_revisions():
    assert diff(api_td(101), replace(api_td(101), arn=arn(102), revision=102)) == []


def test_image_change_same_repository_names_both_tags():
    (change,) = diff(api_td(153), api_td(150))  # the same sizes, command and names
    line = describe(change)
    assert line.startswith("api image")
    assert "v1.4.153" in line and "v1.4.150" in line and line.index("v1.4.153") < line.index("v1.4.150")
    assert "→" in line


def test_image_change_to_a_commit_tag():
    (change,) = diff(api_td(148), api_td(147))  # 147 = 7 * 21: a sha- tag
    assert "v1.4.148" in describe(change) and "sha-" in describe(change)


def test_image_change_to_another_repository_shows_both_images():
    other = api_container(150, N) | {"image": "ghcr.io/avnz/api:v1.4.150"}
    (change,) = diff(api_td(150), api_td(150, container=other))
    line = describe(change)
    assert ecs_seed.api_image(150) in line and "ghcr.io/avnz/api:v1.4.150" in line


def test_image_change_by_digest():
    digest = "sha256:" + "ab" * 32
    pinned = api_container(150, N) | {"image": f"{ecs_seed.REGISTRY}/avnz-api@{digest}"}
    (change,) = diff(api_td(150), api_td(150, container=pinned))
    assert "v1.4.150" in describe(change) and "sha256:abab" in describe(change)


def container_change(**fields) -> list[str]:
    base = api_container(150, N)
    return texts(diff(api_td(150), api_td(150, container=base | fields)))


def test_container_cpu_change():
    base = api_container(150, N)
    assert texts(diff(api_td(150, container=base | {"cpu": 128}), api_td(150, container=base | {"cpu": 256}))) == ["api cpu: 128 → 256"]
    assert container_change(cpu=256) == ["api cpu: + 256"]  # none given before


def test_container_memory_change():
    assert container_change(memory=4096) == ["api memory: 2048 → 4096"]


def test_task_cpu_and_memory_change():
    assert texts(diff(api_td(150), api_td(150, cpu="1024", memory="4096"))) == ["task cpu: 512 → 1024", "task memory: 2048 → 4096"]


def test_memory_doubling_across_the_seed():
    before, after = CHANGES["memory_changed"] - 1, CHANGES["memory_changed"]
    lines = texts(diff(api_td(after), api_td(before)))
    assert "task memory: 2048 → 1024" in lines and "api memory: 2048 → 1024" in lines


def test_port_mappings_change():
    lines = container_change(portMappings=[{"containerPort": 3000, "protocol": "tcp"}, {"containerPort": 9229, "protocol": "tcp"}])
    assert lines == ["api ports: 3000/tcp → 3000/tcp, 9229/tcp"]
    assert container_change(portMappings=[{"containerPort": 8080, "protocol": "tcp", "hostPort": 80}]) == ["api ports: 3000/tcp → 8080/tcp→80"]


def test_command_change():
    before, after = CHANGES["command_changed"] - 1, CHANGES["command_changed"]
    lines = texts(diff(api_td(after), api_td(before)))
    assert "api command: node --enable-source-maps dist/main.js → node dist/main.js" in lines


def test_env_added_and_removed_by_name_only():
    added = CHANGES["env_added"]
    back = texts(diff(api_td(added), api_td(added - 1)))  # rolling back drops REDIS_TOKEN_BLACKLIST
    forward = texts(diff(api_td(added - 1), api_td(added)))
    assert "api env: − REDIS_TOKEN_BLACKLIST" in back
    assert "api env: + REDIS_TOKEN_BLACKLIST" in forward
    for line in back + forward:
        assert ecs_seed.BLACKLIST_VALUE not in line


def test_secret_added_and_removed_by_name_only():
    gone = CHANGES["secret_removed"]
    back = texts(diff(api_td(gone), api_td(gone - 1)))  # rolling back brings STRIPE_LEGACY_KEY back
    forward = texts(diff(api_td(gone - 1), api_td(gone)))
    assert "api secret: + STRIPE_LEGACY_KEY" in back
    assert "api secret: − STRIPE_LEGACY_KEY" in forward
    for line in back + forward:
        assert ecs_seed.STRIPE_LEGACY_FROM not in line and "stripe-legacy" not in line


def test_a_variable_whose_value_changes_is_not_a_change():
    container = api_container(150, N)
    changed = container | {"environment": [e | {"value": "debug-verbose"} if e["name"] == "LOG_LEVEL" else e for e in container["environment"]]}
    assert diff(api_td(150), api_td(150, container=changed)) == []


def test_container_added_and_removed():
    sidecar = {"name": "xray", "image": "amazon/aws-xray-daemon:3.3.7", "environment": [{"name": "AWS_XRAY_TOKEN", "value": "tok-123"}]}
    one = api_td(150)
    two = replace(one, containers=one.containers + task_definition({"containerDefinitions": [sidecar]}).containers)
    assert texts(diff(one, two)) == ["container: + xray"]
    assert texts(diff(two, one)) == ["container: − xray"]
    assert not any("tok-123" in line for line in texts(diff(one, two)))


def test_whole_rollback_diff_lists_every_kind_and_no_value():
    lines = texts(diff(api_td(155), api_td(95)))
    assert "task memory: 2048 → 1024" in lines
    assert "api memory: 2048 → 1024" in lines
    assert "api command: node --enable-source-maps dist/main.js → node dist/main.js" in lines
    assert "api env: − REDIS_TOKEN_BLACKLIST" in lines
    assert "api secret: + STRIPE_LEGACY_KEY" in lines
    assert any(line.startswith("api image") for line in lines)
    joined = "\n".join(lines)
    for value in never_shown():
        assert value not in joined


def test_describe_each_shape():
    assert describe(Change("api image", "a:1", "a:2")) == "api image: a:1 → a:2"
    assert describe(Change("api env", "", "NEW_FLAG")) == "api env: + NEW_FLAG"
    assert describe(Change("api secret", "OLD_KEY", "")) == "api secret: − OLD_KEY"


# -- the last stable revision -----------------------------------------------------------


def revisions(newest: int = 155, inactive: tuple[int, ...] = ()) -> tuple[Revision, ...]:
    return tuple(Revision(n, arn(n), "INACTIVE" if n in inactive else "ACTIVE") for n in range(newest, 0, -1))


def svc(*deployments: Deployment, task_definition: str | None = None) -> ServiceState:
    primary = next((d for d in deployments if d.status == "PRIMARY"), None)
    td = task_definition if task_definition is not None else (primary.task_definition if primary else "")
    return ServiceState(FAMILY, "avnz-payment-cluster", task_definition=td, desired=2, deployments=deployments)


def dep(id: str, revision: int, status: str = "PRIMARY", rollout: str = "COMPLETED", running: int = 2) -> Deployment:
    return Deployment(id, status, arn(revision), rollout=rollout, desired=2, running=running)


def test_last_stable_is_the_draining_deployment_not_n_minus_1():
    state = svc(dep("ecs-svc/NEW", 155, rollout="IN_PROGRESS", running=1), dep("ecs-svc/OLD", 148, "ACTIVE", running=1))
    choice = last_stable(state, revisions(), [arn(150)])  # the deployment beats the journal
    assert choice is not None and choice.arn == arn(148) and not choice.guess
    assert "still serving" in choice.why and "1 running" in choice.why


def test_last_stable_from_the_journal_when_nothing_drains():
    state = svc(dep("ecs-svc/NEW", 155))
    seen = [arn(140), arn(148), arn(155), arn(155)]  # oldest first; the current one last (maybe many times)
    choice = last_stable(state, revisions(), seen)
    assert choice == Choice(arn(148), "ran before the current deployment (recorded in the journal)")


def test_last_stable_journal_record_as_family_revision():
    state = svc(dep("ecs-svc/NEW", 155), task_definition="avnz-api:155")  # moto keeps what it was given
    choice = last_stable(state, revisions(), ["avnz-api:151", "avnz-api:155"])
    assert choice is not None and same(choice.arn, arn(151))


def test_last_stable_guess_is_newest_older_active_revision():
    state = svc(dep("ecs-svc/NEW", 150))
    choice = last_stable(state, revisions(inactive=(149,)), [])
    assert choice is not None and choice.arn == arn(148) and choice.guess  # 149 is INACTIVE; 151+ are newer
    assert "guess" in choice.why


def test_last_stable_none():
    assert last_stable(svc(dep("ecs-svc/NEW", 1)), revisions(), []) is None  # nothing older
    assert last_stable(svc(dep("ecs-svc/NEW", 3)), revisions(inactive=(1, 2)), []) is None  # only INACTIVE older
    assert last_stable(svc(dep("ecs-svc/NEW", 5)), (), [arn(5)]) is None  # the journal saw only the current one


def test_last_stable_ignores_a_failed_deployment():
    """While the circuit breaker rolls back, the ACTIVE deployment is the FAILED one: never 'stable'."""
    state = svc(dep("ecs-svc/ROLLBACK", 150, rollout="IN_PROGRESS", running=0),
                dep("ecs-svc/NEW", 155, "ACTIVE", rollout="FAILED", running=0))
    choice = last_stable(state, revisions(), [arn(150)])
    assert choice is not None and choice.arn == arn(149) and choice.guess  # the journal's 150 is what runs again
    older = svc(dep("ecs-svc/ROLLBACK", 150, rollout="IN_PROGRESS"), dep("ecs-svc/NEW", 155, "ACTIVE", rollout="FAILED"),
                dep("ecs-svc/OLD", 146, "ACTIVE", rollout="COMPLETED", running=1))
    assert last_stable(older, revisions(), []) == Choice(arn(146), "ran before the current deployment (still serving: 1 running)")


def test_current_arn_prefers_the_service_then_the_primary():
    assert current_arn(svc(dep("a", 150), task_definition=arn(151))) == arn(151)
    assert current_arn(svc(dep("a", 150), task_definition="")) == arn(150)
    assert current_arn(ServiceState(FAMILY, "c")) == ""


async def test_the_engines_service_history_keeps_only_each_services_records_oldest_first(state_file):
    """What the rollback picker (and `cockpit rollback`) take as what ran before: the engine's reading of the journal."""
    from cockpit.engine.engine import Engine
    from cockpit.journal import Journal
    from cockpit.journal.session import RunSession

    runbook = load_runbook()
    journal = Journal(state_file)
    try:
        session = RunSession(journal, runbook.id, runbook.version, "staging", "op")
        session.record(SERVICE_PREFIX + FAMILY, SERVICE, {"task_definition": arn(148)})
        session.record(SERVICE_PREFIX + "avnz-admin-dashboard", SERVICE, {"task_definition": arn(12, "avnz-admin-dashboard")})
        session.record(SERVICE_PREFIX + FAMILY, TICK, {"task_definition": arn(1)})
        session.record(SERVICE_PREFIX + FAMILY, SERVICE, {"task_definition": arn(155)})
        engine = Engine(runbook, runbook.environments["staging"], session, lambda batch: None, live=False)
        assert engine.journal is not None and await engine.journal.read()
        engine.journal.close()
    finally:
        journal.close()
    assert engine.service_history == {FAMILY: [arn(148), arn(155)], "avnz-admin-dashboard": [arn(12, "avnz-admin-dashboard")]}


def test_family_from_the_runbook_else_the_running_revision():
    runbook = load_runbook()
    assert family_of(runbook, "avnz-api", "whatever:3") == "avnz-api"
    assert family_of(runbook, "billing", arn(7, "billing-svc")) == "billing-svc"


def test_candidates_revision_lookup():
    found = Candidates(svc(dep("a", 155)), FAMILY, revisions(), arn(155), None)
    assert found.revision(150) == Revision(150, arn(150), "ACTIVE")
    assert found.revision(999) is None


# -- refusals ------------------------------------------------------------------------------


def test_refused_in_read_only_even_when_confirmed():
    text = refusal(plan(), read_only=True, typed="avnz-api")
    assert text.startswith("refused") and "read-only" in text


def test_refused_when_already_on_the_target():
    text = refusal(plan(frm=150, to=150), read_only=False, typed="avnz-api")
    assert text == "refused: avnz-api already runs avnz-api:150"


@pytest.mark.parametrize("typed", [None, "", "avnz", "AVNZ-API", "staging/avnz-api", "avnz-admin-dashboard"])
def test_refused_without_the_exact_confirmation(typed):
    assert refusal(plan(), read_only=False, typed=typed) == "refused: the confirmation must be exactly 'avnz-api'"


def test_production_needs_the_environment_in_the_confirmation():
    prod = plan("production", True)
    assert refusal(prod, read_only=False, typed="avnz-api") == "refused: the confirmation must be exactly 'production/avnz-api'"
    assert refusal(prod, read_only=False, typed="production/avnz-api") == ""


def test_allowed_when_confirmed():
    assert refusal(plan(), read_only=False, typed="avnz-api") == ""
    assert refusal(plan(), read_only=False, typed="  avnz-api\n") == ""  # a pasted newline is not a different name


# -- outcomes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outcome, ok, verdict",
    [
        (Outcome(COMPLETED, "ecs-svc/NEW COMPLETED, 2/2 running"), True, "rolled back (ecs-svc/NEW COMPLETED, 2/2 running)"),
        (Outcome(COMPLETED, "done", healthy=True, health="3 health checks passed"), True, "rolled back and healthy: 3 health checks passed"),
        (Outcome(COMPLETED, "done", healthy=False, health="1 of 3 health checks failed: api-health: 503"), False,
         "rolled back and NOT healthy: 1 of 3 health checks failed: api-health: 503"),
        (Outcome(STARTED, "deployment ecs-svc/NEW under way"), True, "rollback started, not watched: deployment ecs-svc/NEW under way"),
        (Outcome(FAILED, "tasks failed to start"), False, "NOT rolled back (failed): tasks failed to start"),
        (Outcome(ECS_ROLLED_BACK, "circuit breaker"), False, "NOT rolled back (rolled back by ECS): circuit breaker"),
        (Outcome(TIMEOUT, "not finished after 600 s"), False, "NOT rolled back (timeout): not finished after 600 s"),
        (Outcome(ERROR, "AccessDenied"), False, "NOT rolled back (error): AccessDenied"),
        (Outcome(REFUSED, "typed the wrong name"), False, "NOT rolled back (refused): typed the wrong name"),
    ],
)
def test_outcome_verdict_and_ok(outcome, ok, verdict):
    assert outcome.ok is ok
    assert outcome.verdict == verdict


def test_no_value_reaches_a_task_definition_snapshot():
    td = api_td(99)
    blob = repr(td) + repr(td.containers)
    for value in never_shown():
        assert value not in blob
    assert isinstance(td.containers[0], Container)


def test_an_inactive_revision_is_never_preselected_and_is_refused():
    from cockpit.probes.aws.ecs import Deployment, ServiceState
    from cockpit.rollback.execute import refusal
    from cockpit.rollback.plan import Revision, RollbackPlan, last_stable

    arn = "arn:aws:ecs:us-east-1:1:task-definition/avnz-api:{}".format
    revisions = [Revision(5, arn(5), "ACTIVE"), Revision(4, arn(4), "INACTIVE"), Revision(3, arn(3), "ACTIVE")]
    draining = ServiceState("avnz-api", "c", arn(5), deployments=(
        Deployment("new", "PRIMARY", arn(5), "IN_PROGRESS"), Deployment("old", "ACTIVE", arn(4), "COMPLETED")))
    choice = last_stable(draining, revisions, journal_history=[arn(4)])
    assert choice is not None and choice.arn == arn(3) and choice.guess
    plan = RollbackPlan("staging", False, "c", "avnz-api", arn(5), arn(4), to_inactive=True)
    assert "INACTIVE" in refusal(plan, read_only=False, typed="avnz-api")


def test_command_arguments_never_show_secret_values():
    from cockpit.probes.aws.ecs import task_definition

    raw = {"taskDefinitionArn": "arn:aws:ecs:r:1:task-definition/avnz-api:7", "family": "avnz-api", "revision": 7,
           "containerDefinitions": [{"name": "api", "image": "x/avnz-api:v1",
                                     "command": ["node", "server.js", "--db-password", "hunter2", "--api-key=abc123",
                                                 "sh -c 'INTEGRATION_ENCRYPTION_KEY=9f8e7d6c node'"],
                                     "secrets": [{"name": "INTEGRATION_ENCRYPTION_KEY", "valueFrom": "arn:secret"}]}]}
    command = " ".join(task_definition(raw).containers[0].command)
    assert "hunter2" not in command and "abc123" not in command and "9f8e7d6c" not in command
    assert "--db-password ***" in command and "INTEGRATION_ENCRYPTION_KEY=***" in command
