"""cockpit/probes/aws/ecs.py against a real moto server, and scripted rollouts with botocore's Stubber.

moto 5.2.5 answers list_task_definitions in one page, starts no deployment on update_service
and drops deploymentConfiguration and events (cockpit/stack/ecs_seed.py lists what was
measured): pagination, rollouts, circuit breakers and event messages come from the Stubber
helpers of tests/servers/ecs_rollouts.py.
"""

from __future__ import annotations

import dataclasses
import random
import unicodedata
from collections.abc import Iterator
from datetime import datetime

import pytest

from cockpit.probes.aws import ecs
from cockpit.probes.aws.clients import AwsTarget, make_client
from cockpit.probes.aws.errors import INVALID, NOT_FOUND, THROTTLED, AwsProblem
from cockpit.stack import ecs_seed
from cockpit.stack.ecs_seed import API, DASHBOARD, DECOY, seed_ecs
from tests.servers.ecs_rollouts import (
    CIRCUIT_BREAKER_REASON,
    CLUSTER,
    NEW_ID,
    OLD_ID,
    ROLLBACK_ID,
    Rollout,
    deployment,
    describe_services_response,
    event,
    service,
    stub_describe_services,
    stub_task_definition_pages,
    stub_update_service,
    stubbed_ecs,
    td_arn,
)

FLAGS = ("ENABLE_MOMENTUM_CHURN", "ENABLE_MOMENTUM_SAVE_FLOWS", "ENABLE_MOMENTUM_TRIGGERS")


def strings(value: object) -> Iterator[str]:
    """Every string inside a probe result (dataclass fields, tuples, dict keys and values), as str()."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from strings(getattr(value, f.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif value is not None:
        yield str(value)


def inert(text: str) -> bool:
    """No control or format character (ESC, BEL, CR, LF, bidi overrides...): safe on a terminal."""
    return not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in text)


@pytest.fixture
def ecs_client(aws):
    """A cockpit-configured ECS client (one attempt, timeouts) on the wiped moto server."""
    return make_client("ecs", AwsTarget())


# -- task definitions ---------------------------------------------------------------------


def test_every_revision_newest_first_with_status_and_no_decoy_family(ecs_client):
    seed = seed_ecs(ecs_client)
    revisions = ecs.list_revisions(ecs_client, API)
    assert len(revisions) == 155 and revisions == seed.listing(API)
    assert [r for r, _arn, _status in revisions] == list(range(155, 0, -1))
    assert {r for r, _arn, status in revisions if status == "INACTIVE"} == {3, 17, 42, 99, 150}
    assert all("task-definition/avnz-api:" in arn for _r, arn, _s in revisions)  # no avnz-api-worker
    assert ecs.list_revisions(ecs_client, DASHBOARD) == seed.listing(DASHBOARD)
    assert [r for r, _a, _s in ecs.list_revisions(ecs_client, DECOY)] == [4, 3, 2, 1]
    assert ecs.list_revisions(ecs_client, "avnz") == []
    # Why the Stubber test below exists: moto answers in one page whatever maxResults says.
    page = ecs_client.list_task_definitions(familyPrefix=API, status="ACTIVE", maxResults=100)
    assert len(page["taskDefinitionArns"]) == 150 and "nextToken" not in page


def test_every_page_is_read_and_other_families_on_a_page_are_dropped():
    """Real ECS pages: 100 ARNs and a nextToken; the order is not ours, a longer family may slip in."""
    client, stubber = stubbed_ecs()
    statuses = {r: ("INACTIVE" if r in (3, 17, 42, 99, 150) else "ACTIVE") for r in range(1, 156)}
    active = [td_arn(API, r) for r, s in statuses.items() if s == "ACTIVE"] + [td_arn(DECOY, r) for r in (1, 2, 160)]
    random.Random(7).shuffle(active)
    inactive = [td_arn(API, r) for r, s in statuses.items() if s == "INACTIVE"] + [td_arn(DECOY, 3)]
    tokens = stub_task_definition_pages(stubber, API, "ACTIVE", active, page_size=100)
    tokens += stub_task_definition_pages(stubber, API, "INACTIVE", inactive, page_size=2)
    with stubber:
        revisions = ecs.list_revisions(client, API)
    stubber.assert_no_pending_responses()
    assert len(tokens) == 1 + 2  # 153 ACTIVE ARNs in 2 pages, 6 INACTIVE ones in 3
    assert revisions == [(r, td_arn(API, r), statuses[r]) for r in range(155, 0, -1)]


def test_a_page_that_fails_is_a_problem_not_a_short_list():
    client, stubber = stubbed_ecs()
    stubber.add_response("list_task_definitions", {"taskDefinitionArns": [td_arn(API, r) for r in range(1, 101)], "nextToken": "t1"})
    stubber.add_client_error("list_task_definitions", "ThrottlingException", "Rate exceeded", http_status_code=400)
    with stubber, pytest.raises(AwsProblem) as info:
        ecs.list_revisions(client, API)
    assert info.value.kind == THROTTLED and info.value.transient and "task definitions of avnz-api" in info.value.reason


def test_a_task_definition_is_reduced_to_names_and_declared_flags(ecs_client):
    seed = seed_ecs(ecs_client, revisions=10, inactive=(4,))
    changes = seed.changes  # for 10 revisions: secret dropped at 6, command at 8, memory at 9, env var at 9
    newest = ecs.describe_task_definition(ecs_client, "avnz-api:10", FLAGS)
    old = ecs.describe_task_definition(ecs_client, seed.arn(API, 4), FLAGS)
    for td in (newest, old):
        text = repr(td)
        leaves = list(strings(td))
        for value in seed.never_shown:
            assert value not in text and not any(value in leaf for leaf in leaves), value
        assert "true" not in text and "false" not in text  # flag values are on/off/unset, not the raw ones
        assert td.flags == {"ENABLE_MOMENTUM_CHURN": "on", "ENABLE_MOMENTUM_SAVE_FLOWS": "off", "ENABLE_MOMENTUM_TRIGGERS": "unset"}
        assert td.registered_at is None  # moto never sets registeredAt
        (api,) = td.containers
        assert api.name == "api" and api.ports == ("3000/tcp",)
        assert "REDIS_URL" in api.env_names and "NODE_ENV" in api.env_names and "ENABLE_MOMENTUM_TRIGGERS" not in api.env_names
        assert {"DATABASE_URL", "INTEGRATION_ENCRYPTION_KEY"} <= set(api.secret_names)

    assert (newest.name, newest.status, old.name, old.status) == ("avnz-api:10", "ACTIVE", "avnz-api:4", "INACTIVE")
    assert newest.arn == seed.arn(API, 10) and newest.family == API and newest.revision == 10
    assert newest.image_tags == ("v1.4.10",) and newest.containers[0].image == seed.images["avnz-api:10"]
    # What changed between them, by name only.
    assert old.defines("STRIPE_LEGACY_KEY") and not newest.defines("STRIPE_LEGACY_KEY") and changes["secret_removed"] <= 10
    assert newest.defines("REDIS_TOKEN_BLACKLIST") and not old.defines("REDIS_TOKEN_BLACKLIST")
    assert old.containers[0].command == ("node", "dist/main.js")
    assert newest.containers[0].command == ("node", "--enable-source-maps", "dist/main.js")
    assert (old.memory, newest.memory, old.containers[0].memory, newest.containers[0].memory) == ("1024", "2048", 1024, 2048)
    # No flags asked for: none read.
    assert ecs.describe_task_definition(ecs_client, "avnz-api:10").flags == {}

    dashboard = ecs.describe_task_definition(ecs_client, f"{DASHBOARD}:{seed.newest(DASHBOARD)}", FLAGS)
    assert dashboard.containers[0].ports == ("8080/tcp",) and dashboard.containers[0].secret_names == ("SESSION_SECRET",)
    assert set(dashboard.flags.values()) == {"unset"}
    assert not any(value in repr(dashboard) for value in seed.never_shown)


@pytest.mark.parametrize(
    ("value", "shown"),
    [("true", "on"), ("TRUE", "on"), (" 1 ", "on"), ("yes", "on"), ("false", "off"), ("0", "off"), ("", "off"), ("maybe", "unset")],
)
def test_flag_values_read_as_on_off_unset(value, shown):
    raw = {"taskDefinitionArn": td_arn(API, 7), "family": API, "revision": 7,
           "containerDefinitions": [{"name": "api", "image": "x/avnz-api:v1", "environment": [
               {"name": "ENABLE_MOMENTUM_TRIGGERS", "value": value}, {"name": "SOME_TOKEN", "value": "tok-do-not-show"}]}]}
    td = ecs.task_definition(raw, FLAGS)
    assert td.flags["ENABLE_MOMENTUM_TRIGGERS"] == shown and td.flags["ENABLE_MOMENTUM_CHURN"] == "unset"
    assert "SOME_TOKEN" not in td.flags and "tok-do-not-show" not in repr(td)


def test_a_flag_kept_in_a_secret_is_set_without_a_value():
    raw = {"taskDefinitionArn": td_arn(API, 7), "family": API, "revision": 7, "containerDefinitions": [
        {"name": "api", "image": "x/avnz-api:v1", "secrets": [{"name": "ENABLE_MOMENTUM_CHURN", "valueFrom": "arn:aws:ssm:eu-west-1:1:parameter/flag"}]}]}
    td = ecs.task_definition(raw, FLAGS)
    assert td.flags["ENABLE_MOMENTUM_CHURN"] == "set (secret)" and "parameter/flag" not in repr(td)


def test_an_unknown_revision_is_a_problem_that_names_it(ecs_client):
    seed_ecs(ecs_client, revisions=3, services={})
    with pytest.raises(AwsProblem) as info:
        ecs.describe_task_definition(ecs_client, "avnz-api:999")
    # ECS (and moto) say ClientException 'Unable to describe task definition.' (HTTP 400).
    assert info.value.kind == INVALID and not info.value.transient
    assert "avnz-api:999" in info.value.reason and "Unable to describe task definition" in info.value.reason


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/avnz-api:v1.4.155", "v1.4.155"),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/avnz-api:sha-3f2a9c1", "sha-3f2a9c1"),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/avnz-api@sha256:" + "ab" * 32, "sha256:abababababab"),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/avnz-api", "latest"),
        ("avnz-api", "latest"),
        ("node:20-alpine", "20-alpine"),
        ("registry.local:5000/team/avnz-api", "latest"),  # a registry's port is no tag
        ("registry.local:5000/team/avnz-api:v2", "v2"),
        # Both: the digest is what runs (a re-pushed tag would hide the change), so it wins.
        ("registry.local:5000/avnz-api:v1.4.3@sha256:" + "cd" * 32, "sha256:cdcdcdcdcdcd"),
    ],
)
def test_image_tag(image, tag):
    assert ecs.Container("api", image).image_tag == tag


def test_hostile_strings_in_a_task_definition_come_out_inert(ecs_client):
    ecs_client.register_task_definition(family=API, containerDefinitions=[{
        "name": "api", "memory": 512,
        "image": "x/avnz-api:v1.4.1\x1b]0;pwned\x07\x1b[2J\u202egnp.exe",
        "command": ["node", "-e", "console.log('\x1b[31mred')"],
        "environment": [{"name": "EVIL\x1b[5m", "value": "x"}, {"name": "ENABLE_MOMENTUM_CHURN", "value": "true\x1b[0m"}],
    }])
    td = ecs.describe_task_definition(ecs_client, "avnz-api:1", FLAGS)
    assert all(inert(text) for text in strings(td)), repr(td)
    api = td.containers[0]
    assert api.image.startswith("x/avnz-api:v1.4.1") and "pwned" in api.image  # made visible, not dropped
    assert inert(api.image_tag) and api.image_tag.startswith("v1.4.1")
    assert td.flags["ENABLE_MOMENTUM_CHURN"] == "unset"  # 'true<ESC>[0m' is no boolean


# -- services -----------------------------------------------------------------------------


def test_services_in_the_order_asked_and_a_missing_one(ecs_client):
    seed = seed_ecs(ecs_client, revisions=5, inactive=(2,), services={API: 5, DASHBOARD: 11})
    states = ecs.describe_services(ecs_client, CLUSTER, [DASHBOARD, "avnz-payments-worker", API])
    assert [(s.name, s.missing) for s in states] == [(DASHBOARD, False), ("avnz-payments-worker", True), (API, False)]
    dashboard, missing, api = states
    assert api.task_definition == seed.arn(API, 5) and dashboard.task_definition == seed.arn(DASHBOARD, 11)
    assert api.cluster == CLUSTER and api.desired == 2 and api.primary is not None
    assert api.primary.task_definition == seed.arn(API, 5) and api.primary.rollout == "IN_PROGRESS"  # moto's only deployment
    assert (missing.task_definition, missing.deployments, missing.cluster) == ("", (), CLUSTER)
    # moto drops deploymentConfiguration and events: the circuit breaker and messages are Stubber-tested below.
    assert api.events == () and api.circuit_breaker is False


def test_a_deleted_service_is_missing(ecs_client):
    """ECS keeps describing a deleted service (status INACTIVE) for a while: it is not there to roll back."""
    seed_ecs(ecs_client, revisions=3, inactive=())
    ecs_client.update_service(cluster=CLUSTER, service=DASHBOARD, desiredCount=0)
    ecs_client.delete_service(cluster=CLUSTER, service=DASHBOARD)
    assert ecs_client.describe_services(cluster=CLUSTER, services=[DASHBOARD])["services"][0]["status"] == "INACTIVE"
    api, dashboard = ecs.describe_services(ecs_client, CLUSTER, [API, DASHBOARD])
    assert not api.missing and api.status == "ACTIVE"
    assert dashboard.missing and dashboard.status == "INACTIVE"


def test_update_service_moves_the_service(ecs_client):
    seed = seed_ecs(ecs_client, revisions=8, inactive=(3,))
    target = seed.arn(API, 6)
    state = ecs.update_service(ecs_client, CLUSTER, API, target)
    assert state.name == API and state.task_definition == target
    api, dashboard = ecs.describe_services(ecs_client, CLUSTER, [API, DASHBOARD])
    assert api.task_definition == target and ecs.short_name(api.task_definition) == "avnz-api:6"
    assert dashboard.task_definition == seed.services[DASHBOARD]  # the other service did not move
    # moto starts no deployment: the only one still runs the old ARN, IN_PROGRESS (DESIGN, moto gaps).
    assert [d.task_definition for d in api.deployments] == [seed.arn(API, 8)]
    # moto stores the reference as given: family:revision stays family:revision.
    ecs.update_service(ecs_client, CLUSTER, API, "avnz-api:7")
    (api,) = ecs.describe_services(ecs_client, CLUSTER, [API])
    assert api.task_definition == "avnz-api:7" and ecs.revision_of(api.task_definition) == 7


def test_update_service_of_an_unknown_service_or_revision_changes_nothing(ecs_client):
    seed = seed_ecs(ecs_client, revisions=4, inactive=())
    with pytest.raises(AwsProblem) as info:
        ecs.update_service(ecs_client, CLUSTER, "avnz-payments-worker", seed.arn(API, 2))
    assert info.value.kind == NOT_FOUND and "avnz-payments-worker" in info.value.reason
    with pytest.raises(AwsProblem) as info:
        ecs.update_service(ecs_client, CLUSTER, API, td_arn(API, 99))
    assert not info.value.transient
    (api,) = ecs.describe_services(ecs_client, CLUSTER, [API])
    assert api.task_definition == seed.arn(API, 4)


def test_an_unknown_cluster_is_not_found(ecs_client):
    seed_ecs(ecs_client, revisions=2, inactive=())
    with pytest.raises(AwsProblem) as info:
        ecs.describe_services(ecs_client, "avnz-payment-cluster-typo", [API])
    assert info.value.kind == NOT_FOUND and not info.value.transient
    assert "ClusterNotFoundException" in info.value.reason and "avnz-payment-cluster-typo" in info.value.reason


def test_throttling_is_a_transient_problem_and_is_not_retried_behind_our_back(aws_faults):
    client = make_client("ecs", AwsTarget())  # after aws_faults: AWS_ENDPOINT_URL is the proxy
    seed = seed_ecs(client, revisions=3, inactive=())
    aws_faults.fail("DescribeServices", "ThrottlingException", "Rate exceeded", times=1)
    with pytest.raises(AwsProblem) as info:
        ecs.describe_services(client, CLUSTER, [API])
    assert info.value.kind == THROTTLED and info.value.transient and "Rate exceeded" in info.value.reason
    assert aws_faults.requests("DescribeServices") == 1
    assert ecs.describe_services(client, CLUSTER, [API])[0].task_definition == seed.arn(API, 3)  # the next call goes through

    aws_faults.fail("UpdateService", "ThrottlingException", "Rate exceeded", times=1)
    with pytest.raises(AwsProblem) as info:
        ecs.update_service(client, CLUSTER, API, seed.arn(API, 2))
    assert info.value.kind == THROTTLED and aws_faults.requests("UpdateService") == 1
    assert ecs.describe_services(client, CLUSTER, [API])[0].task_definition == seed.arn(API, 3)  # not moved

    aws_faults.fail("ListTaskDefinitions", "ThrottlingException", "Rate exceeded", times=1)
    with pytest.raises(AwsProblem) as info:
        ecs.list_revisions(client, API)
    assert info.value.kind == THROTTLED


# -- rollouts (Stubber) -------------------------------------------------------------------


def rollout() -> Rollout:
    return Rollout(API, old=td_arn(API, 155), new=td_arn(API, 149))


def watch(responses: list[dict]) -> list[ecs.ServiceState]:
    """describe_services once per scripted response, through the probe."""
    client, stubber = stubbed_ecs()
    stub_describe_services(stubber, responses)
    with stubber:
        states = [ecs.describe_services(client, CLUSTER, [API])[0] for _ in responses]
    stubber.assert_no_pending_responses()
    return states


def test_update_service_reports_the_new_primary_deployment():
    client, stubber = stubbed_ecs()
    plan = rollout()
    stub_update_service(stubber, plan, recheck=False)
    with stubber:
        state = ecs.update_service(client, CLUSTER, API, plan.new)
    stubber.assert_no_pending_responses()
    assert state.task_definition == plan.new and state.circuit_breaker
    assert (state.primary.id, state.primary.task_definition, state.primary.rollout) == (NEW_ID, plan.new, "IN_PROGRESS")
    assert [(d.id, d.status) for d in state.deployments] == [(NEW_ID, "PRIMARY"), (OLD_ID, "ACTIVE")]


def test_a_rollout_that_completes():
    states = watch(rollout().completes(steps=3))
    assert [s.primary.rollout for s in states] == ["IN_PROGRESS", "IN_PROGRESS", "COMPLETED"]
    assert {s.primary.id for s in states} == {NEW_ID}
    assert [s.primary.running for s in states] == [0, 1, 2]
    done = states[-1]
    assert [d.id for d in done.deployments] == [NEW_ID] and done.running == 2
    assert "deployment completed" in done.events[1].message and done.events[0].at > done.events[-1].at  # newest first


def test_a_rollout_that_fails_on_the_circuit_breaker():
    states = watch(rollout().fails(steps=2))
    assert [s.primary.rollout for s in states] == ["IN_PROGRESS", "FAILED"]
    failed = states[-1].primary
    assert failed.id == NEW_ID and failed.reason == CIRCUIT_BREAKER_REASON and failed.failed == 4
    assert [d.status for d in states[-1].deployments] == ["PRIMARY", "ACTIVE"]


def test_a_circuit_breaker_rollback_puts_a_new_primary_on_the_old_revision():
    plan = rollout()
    states = watch(plan.rolls_back(steps=4))
    assert [(s.primary.id, s.primary.rollout) for s in states] == [
        (NEW_ID, "IN_PROGRESS"), (NEW_ID, "IN_PROGRESS"), (ROLLBACK_ID, "IN_PROGRESS"), (ROLLBACK_ID, "COMPLETED")]
    rolling, done = states[2], states[3]
    for state, status in ((rolling, "ACTIVE"), (done, "INACTIVE")):
        ours = next(d for d in state.deployments if d.id == NEW_ID)
        assert (ours.status, ours.rollout, ours.reason) == (status, "FAILED", CIRCUIT_BREAKER_REASON)
        assert state.primary.task_definition == plan.old and state.task_definition == plan.old
    assert any("rolling back" in e.message for e in done.events)


def test_a_rollout_that_never_finishes():
    states = watch(rollout().stalls(times=4))
    assert all(s.primary.id == NEW_ID and s.primary.rollout == "IN_PROGRESS" and s.primary.running == 0 for s in states)
    assert len({e.id for s in states for e in s.events}) == 4 + 1  # one new event per poll, plus the old steady state


def test_only_the_newest_events_are_kept():
    plan = rollout()
    plan.extra_events = [event(f"(service avnz-api) old news {k}", id=f"old-{k}", at=datetime(2026, 11, 1, k)) for k in range(20, 0, -1)]
    (state,) = watch([plan.in_progress(3)])
    assert len(state.events) == ecs.EVENTS_KEPT
    assert state.events[4].id == "old-20"
    assert [e.id for e in state.events[:4]] == ["ev-start-3", "ev-start-2", "ev-start-1", "ev-steady-before"]


def test_hostile_event_messages_and_reasons_come_out_inert_and_redacted():
    hostile = "\x1b[31m(service avnz-api) task failed\x1b[0m\r\n\x1b]52;c;cGF5bG9hZA==\x07 redis://default:s3cr3t-redis@cache:6379 \u202e"
    response = describe_services_response(service(
        API, td_arn(API, 149),
        [deployment(NEW_ID, td_arn(API, 149), rollout="FAILED", reason=hostile)],
        events=[event(hostile, id="ev-1"), event("(service avnz-api) has reached a steady state.", id="ev-0")],
    ))
    (state,) = watch([response])
    texts = [state.events[0].message, state.primary.reason]
    assert all(inert(text) for text in texts) and all(inert(text) for text in strings(state))
    assert all("task failed" in text and "s3cr3t-redis" not in text for text in texts)
    assert state.events[1].message == "(service avnz-api) has reached a steady state."  # plain text untouched


def test_a_missing_service_in_a_stubbed_answer():
    client, stubber = stubbed_ecs()
    stub_describe_services(stubber, [describe_services_response(service(API, td_arn(API, 1), [deployment(OLD_ID, td_arn(API, 1))]),
                                                                missing=["avnz-payments-worker"])])
    draining = service(DASHBOARD, td_arn(DASHBOARD, 1), [deployment(OLD_ID, td_arn(DASHBOARD, 1))], status="DRAINING")
    stub_describe_services(stubber, [describe_services_response(draining)])
    with stubber:
        api, worker = ecs.describe_services(client, CLUSTER, [API, "avnz-payments-worker"])
        (dashboard,) = ecs.describe_services(client, CLUSTER, [DASHBOARD])
    assert not api.missing and worker.missing and worker.status == ""
    assert dashboard.missing and dashboard.status == "DRAINING"  # being deleted: nothing to roll back


def test_the_seed_plan_values_never_leak_through_a_seeded_estate(ecs_client):
    """Sanity of the seed itself: it really holds the secrets the other tests say are dropped."""
    seed = seed_ecs(ecs_client, revisions=2, inactive=(), services={})
    raw = ecs_client.describe_task_definition(taskDefinition="avnz-api:2")["taskDefinition"]
    text = repr(raw)
    assert ecs_seed.REDIS_PASSWORD in text and ecs_seed.DATABASE_URL_FROM in text and "ENABLE_MOMENTUM_TRIGGERS" not in text
    assert not any(v in repr(ecs.task_definition(raw, FLAGS)) for v in seed.never_shown)
