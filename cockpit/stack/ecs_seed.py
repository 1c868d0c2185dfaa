"""Put an ECS estate like the seed plan's into moto: cluster, task-definition families, services.

    seed = seed_ecs(boto3.client("ecs"))                     # 155 avnz-api revisions, both services
    seed = seed_ecs(ecs, revisions=6, inactive=(2,), services={"avnz-api": 5})

What `seed_ecs` makes (the values are in the returned `EcsSeed`):
- cluster `avnz-payment-cluster`;
- family `avnz-api`: `revisions` revisions (155 by default, past a 100-item page), those in
  `inactive` deregistered. Images `123456789012.dkr.ecr.eu-west-1.amazonaws.com/avnz-api:v1.4.<n>`,
  every 7th one `...:sha-<7 hex>`. Port 3000. Environment REDIS_URL (a URL with a password),
  NODE_ENV, ENABLE_MOMENTUM_CHURN=true, ENABLE_MOMENTUM_SAVE_FLOWS=false, LOG_LEVEL, API_BASE_URL
  (ENABLE_MOMENTUM_TRIGGERS is never set); secrets DATABASE_URL and INTEGRATION_ENCRYPTION_KEY
  as Secrets Manager `valueFrom` ARNs. Across revisions (see the `*_FROM` constants, scaled
  to `revisions`): STRIPE_LEGACY_KEY (a secret) is dropped, the command gains
  `--enable-source-maps`, memory goes 1024 → 2048, REDIS_TOKEN_BLACKLIST appears in the
  last two revisions;
- family `avnz-admin-dashboard`: `dashboard_revisions` revisions, port 8080, `dashboard_inactive`
  deregistered;
- family `avnz-api-worker`: a decoy with the same prefix (revisions 1-4, 3 inactive);
- services `avnz-api` and `avnz-admin-dashboard` (`services`: name → revision, None = the
  newest), desired 2, with a circuit breaker (moto 5.2.5 drops deploymentConfiguration).

moto 5.2.5 and ECS (measured, see also cockpit/stack/moto_server.py):
- `list_task_definitions` returns every match in one page: `maxResults` is ignored, no
  `nextToken` is ever sent, and an unknown `nextToken` is accepted; `sort` is ignored
  (revisions come oldest first). `familyPrefix` is an exact family match (`avnz` finds
  nothing), so a decoy family never shows up in moto; real ECS pages do need filtering.
- without `status`, only ACTIVE revisions are listed; deregistered ones are INACTIVE, still
  described by `describe_task_definition` (status INACTIVE, no `deregisteredAt`).
- `registeredAt` is never set; containers get `cpu: 0` when none is given; `hostPort` is only
  returned when given.
- `create_service` and `describe_services` leave out `deploymentConfiguration` (no circuit
  breaker is ever reported) and `events` is always []. The one deployment is PRIMARY and
  IN_PROGRESS with 0 running (unless the *server's* MOTO_ECS_SERVICE_RUNNING is set).
- `update_service` stores the `taskDefinition` string it was given (an ARN stays an ARN,
  `family:rev` stays `family:rev`) after checking that it exists, even INACTIVE (ECS refuses
  INACTIVE ones); it starts no deployment: the PRIMARY one keeps the old ARN and IN_PROGRESS.
- `create_service` checks `networkConfiguration` subnets against moto's EC2 (a made-up
  subnet is InvalidParameterException), so the seed leaves networkConfiguration out.
- a deleted service is still described, with status INACTIVE; an unknown one is a
  `failures` entry (reason MISSING); an unknown cluster is ClusterNotFoundException; an
  unknown revision is ClientException 'Unable to describe task definition.' (as on ECS).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CLUSTER = "avnz-payment-cluster"
API = "avnz-api"
DASHBOARD = "avnz-admin-dashboard"
DECOY = "avnz-api-worker"
ACCOUNT = "123456789012"
REGISTRY = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
SECRETS_ARN = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret"

DEFAULT_INACTIVE = (3, 17, 42, 99, 150)
DEFAULT_DASHBOARD_INACTIVE = (2, 5)
DECOY_REVISIONS = 4
DECOY_INACTIVE = (3,)

# Values that must never reach a screen, the journal or a repr (the probe keeps names only).
REDIS_PASSWORD = "s3cr3t-redis"
REDIS_URL = f"redis://default:{REDIS_PASSWORD}@avnz-cache.x1y2z3.ng.0001.euw1.cache.amazonaws.com:6379"
DATABASE_URL_FROM = f"{SECRETS_ARN}:avnz/prod/database-url-Qw3rTy"
ENCRYPTION_KEY_FROM = f"{SECRETS_ARN}:avnz/prod/integration-encryption-key-Zx9Vb2"
STRIPE_LEGACY_FROM = f"{SECRETS_ARN}:avnz/prod/stripe-legacy-key-Lk8Mn4"
SESSION_SECRET_FROM = f"{SECRETS_ARN}:avnz/prod/dashboard-session-Pp0Oo9"
NODE_ENV = "production"
LOG_LEVEL = "info-structured"
API_BASE_URL = "https://api.internal.avnz.example:3000/v1"
BLACKLIST_VALUE = "redis-blacklist-enabled"
DASHBOARD_SESSION_TTL = "session-ttl-43200s"


def api_changes(revisions: int) -> dict[str, int]:
    """The first revision of each change in an `avnz-api` family of `revisions` revisions.

    For 155: the STRIPE_LEGACY_KEY secret is gone from 100, the command changes at 120,
    memory doubles at 140, REDIS_TOKEN_BLACKLIST is set from 154.
    """
    def at(fraction: float) -> int:
        return max(2, min(revisions, round(revisions * fraction)))

    return {
        "secret_removed": at(100 / 155),
        "command_changed": at(120 / 155),
        "memory_changed": at(140 / 155),
        "env_added": max(2, revisions - 1),
    }


def api_image(revision: int) -> str:
    """The image of `avnz-api:<revision>`: a version tag, or a commit tag for every 7th one."""
    if revision % 7 == 0:
        return f"{REGISTRY}/{API}:sha-{hashlib.sha1(str(revision).encode()).hexdigest()[:7]}"
    return f"{REGISTRY}/{API}:v1.4.{revision}"


def dashboard_image(revision: int) -> str:
    """The image of `avnz-admin-dashboard:<revision>`."""
    return f"{REGISTRY}/{DASHBOARD}:v2.1.{revision}"


@dataclass(frozen=True)
class EcsSeed:
    """What `seed_ecs` made. ARNs are moto's (`arn:aws:ecs:<region>:123456789012:task-definition/...`)."""

    cluster: str
    cluster_arn: str
    revisions: dict[str, tuple[int, ...]]  # family → every revision, oldest first
    inactive: dict[str, tuple[int, ...]]  # family → the deregistered revisions
    arns: dict[str, str]  # 'family:revision' → ARN
    services: dict[str, str]  # service → the ARN it runs
    changes: dict[str, int]  # avnz-api: first revision of each change (see api_changes)
    secret_values: tuple[str, ...]  # secret valueFrom ARNs and secret-bearing values
    env_values: tuple[str, ...]  # every environment value that is not a plain true/false
    images: dict[str, str] = field(default_factory=dict)  # 'family:revision' → image

    def arn(self, family: str, revision: int) -> str:
        return self.arns[f"{family}:{revision}"]

    def active(self, family: str) -> tuple[int, ...]:
        """The ACTIVE revisions of `family`, oldest first."""
        return tuple(r for r in self.revisions[family] if r not in self.inactive[family])

    def newest(self, family: str) -> int:
        return self.revisions[family][-1]

    def listing(self, family: str) -> list[tuple[int, str, str]]:
        """(revision, arn, status) of every revision of `family`, newest first (what list_revisions returns)."""
        return [
            (r, self.arn(family, r), "INACTIVE" if r in self.inactive[family] else "ACTIVE")
            for r in reversed(self.revisions[family])
        ]

    @property
    def never_shown(self) -> tuple[str, ...]:
        """Every value a probe must drop: secrets, the Redis password, environment values."""
        return (*self.secret_values, REDIS_PASSWORD, *self.env_values)


def api_container(revision: int, revisions: int) -> dict[str, Any]:
    """The container definition of `avnz-api:<revision>` in a family of `revisions`."""
    changes = api_changes(revisions)
    environment = [
        {"name": "NODE_ENV", "value": NODE_ENV},
        {"name": "REDIS_URL", "value": REDIS_URL},
        {"name": "ENABLE_MOMENTUM_CHURN", "value": "true"},
        {"name": "ENABLE_MOMENTUM_SAVE_FLOWS", "value": "false"},
        {"name": "LOG_LEVEL", "value": LOG_LEVEL},
        {"name": "API_BASE_URL", "value": API_BASE_URL},
    ]
    if revision >= changes["env_added"]:
        environment.append({"name": "REDIS_TOKEN_BLACKLIST", "value": BLACKLIST_VALUE})
    secrets = [
        {"name": "DATABASE_URL", "valueFrom": DATABASE_URL_FROM},
        {"name": "INTEGRATION_ENCRYPTION_KEY", "valueFrom": ENCRYPTION_KEY_FROM},
    ]
    if revision < changes["secret_removed"]:
        secrets.append({"name": "STRIPE_LEGACY_KEY", "valueFrom": STRIPE_LEGACY_FROM})
    command = ["node", "--enable-source-maps", "dist/main.js"] if revision >= changes["command_changed"] else ["node", "dist/main.js"]
    return {
        "name": "api",
        "image": api_image(revision),
        "essential": True,
        "memory": 2048 if revision >= changes["memory_changed"] else 1024,
        "portMappings": [{"containerPort": 3000, "protocol": "tcp"}],
        "command": command,
        "environment": environment,
        "secrets": secrets,
    }


def dashboard_container(revision: int) -> dict[str, Any]:
    """The container definition of `avnz-admin-dashboard:<revision>`."""
    return {
        "name": "dashboard",
        "image": dashboard_image(revision),
        "essential": True,
        "memory": 512,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "environment": [
            {"name": "NODE_ENV", "value": NODE_ENV},
            {"name": "API_BASE_URL", "value": API_BASE_URL},
            {"name": "SESSION_TTL", "value": DASHBOARD_SESSION_TTL},
        ],
        "secrets": [{"name": "SESSION_SECRET", "valueFrom": SESSION_SECRET_FROM}],
    }


def _register(client, family: str, container: dict[str, Any], cpu: str, memory: str) -> dict[str, Any]:
    return client.register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu=cpu,
        memory=memory,
        executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/avnz-ecs-execution",
        containerDefinitions=[container],
    )["taskDefinition"]


def seed_ecs(
    client,
    *,
    revisions: int = 155,
    inactive: Iterable[int] = DEFAULT_INACTIVE,
    dashboard_revisions: int = 12,
    dashboard_inactive: Iterable[int] = DEFAULT_DASHBOARD_INACTIVE,
    services: Mapping[str, int | None] | None = None,
    decoy: bool = True,
    cluster: str = CLUSTER,
) -> EcsSeed:
    """Create the cluster, the families and the services (into a wiped moto); see the module docstring.

    `inactive` revisions beyond `revisions` are ignored. `services` maps a service name
    (= its family) to the revision it runs (None: the newest); default both on their newest.
    Takes about 1 s for 155 revisions.
    """
    if revisions < 2 or dashboard_revisions < 1:
        raise ValueError("avnz-api needs at least 2 revisions, the dashboard 1")
    cluster_arn = client.create_cluster(clusterName=cluster)["cluster"]["clusterArn"]
    arns: dict[str, str] = {}
    images: dict[str, str] = {}
    all_revisions: dict[str, tuple[int, ...]] = {}
    gone: dict[str, tuple[int, ...]] = {}
    changes = api_changes(revisions)

    plan = [
        (API, revisions, inactive, lambda r: api_container(r, revisions),
         lambda r: ("512", "2048" if r >= changes["memory_changed"] else "1024")),
        (DASHBOARD, dashboard_revisions, dashboard_inactive, dashboard_container, lambda r: ("256", "512")),
    ]
    if decoy:
        plan.append((DECOY, DECOY_REVISIONS, DECOY_INACTIVE,
                     lambda r: {"name": "worker", "image": f"{REGISTRY}/{DECOY}:v0.9.{r}", "essential": True, "memory": 512},
                     lambda r: ("256", "512")))
    for family, count, dropped, container, size in plan:
        for revision in range(1, count + 1):
            cpu, memory = size(revision)
            made = _register(client, family, container(revision), cpu, memory)
            if made["revision"] != revision:
                raise RuntimeError(f"{family}: moto registered revision {made['revision']}, expected {revision} (was moto reset?)")
            arns[f"{family}:{revision}"] = made["taskDefinitionArn"]
            images[f"{family}:{revision}"] = made["containerDefinitions"][0]["image"]
        dropped = tuple(sorted({r for r in dropped if 1 <= r <= count}))
        for revision in dropped:
            client.deregister_task_definition(taskDefinition=arns[f"{family}:{revision}"])
        all_revisions[family] = tuple(range(1, count + 1))
        gone[family] = dropped

    chosen = {API: None, DASHBOARD: None} if services is None else dict(services)
    running: dict[str, str] = {}
    for service, wanted in chosen.items():
        revision = all_revisions[service][-1] if wanted is None else wanted
        arn = arns[f"{service}:{revision}"]
        client.create_service(
            cluster=cluster,
            serviceName=service,
            taskDefinition=arn,
            desiredCount=2,
            launchType="FARGATE",
            deploymentConfiguration={
                # rollback off: a FAILED rollout waits for a person, as the ECS simulator plays it (cockpit.stack.ecs_sim)
                "deploymentCircuitBreaker": {"enable": True, "rollback": False},
                "maximumPercent": 200,
                "minimumHealthyPercent": 100,
            },
        )
        running[service] = arn

    return EcsSeed(
        cluster=cluster,
        cluster_arn=cluster_arn,
        revisions=all_revisions,
        inactive=gone,
        arns=arns,
        services=running,
        changes=changes,
        secret_values=(REDIS_URL, DATABASE_URL_FROM, ENCRYPTION_KEY_FROM, STRIPE_LEGACY_FROM, SESSION_SECRET_FROM),
        env_values=(NODE_ENV, LOG_LEVEL, API_BASE_URL, BLACKLIST_VALUE, DASHBOARD_SESSION_TTL),
        images=images,
    )
