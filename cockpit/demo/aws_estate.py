"""The demo's AWS estate in moto: the ECS services and their history, the plan's alarms, the RDS instance.

The story it tells: avnz-api ran `avnz-api:23` until today's deployment rolled out
`avnz-api:24` (the rollout is under way when the cockpit opens and completes in seconds,
driven by the stack's ECS simulator), so a rollback has a real "what ran before". The RDS
instance `avnz-db` (postgres) stands for the demo's PostgreSQL: it is stopped and started with it.
The dimension values of the demo's metrics (cockpit.demo.metrics_feed) come from here too.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Literal

from cockpit.stack.aws_seed import seed_alarm
from cockpit.stack.ecs_seed import API, CLUSTER, DASHBOARD, EcsSeed, seed_ecs
from cockpit.stack.moto_server import REGION, MotoServer

API_REVISIONS = 24
API_INACTIVE = (3, 11)
DASHBOARD_REVISIONS = 9
DASHBOARD_INACTIVE = (2,)
BROKEN_TAG = "v1.5.0-rc1"
DB_INSTANCE = "avnz-db"  # the RDS instance standing for the demo's PostgreSQL
REDIS_CLUSTER = "avnz-redis"  # the plan's Terraform cluster id
LOAD_BALANCER = "avnz-demo-alb"
ALARMS = (  # name, namespace, metric, threshold: the plan's three alarms
    ("avnz-api-5xx-errors", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", 5.0),
    ("avnz-redis-connection", "AWS/ElastiCache", "CurrConnections", 0.0),
    ("avnz-db-pool-exhausted", "AVNZ/Api", "DbPoolWaitingRequests", 10.0),
)
OK_REASON = "Threshold Crossed: 1 out of the last 1 datapoints [0.0 ({stamp})] was not greater than the threshold ({threshold}) (minimum 1 datapoint for ALARM -> OK transition)."
ALARM_REASON = "Threshold Crossed: 1 out of the last 1 datapoints [37.0 ({stamp})] was greater than the threshold (5.0) (minimum 1 datapoint for OK -> ALARM transition)."


def moto_client(moto: MotoServer, service: Literal["ecs", "logs", "cloudwatch", "rds"], *, read_timeout: float = 15, attempts: int = 2):
    """A boto3 client talking to `moto` only (never the machine's AWS config), with timeouts."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        service, endpoint_url=moto.url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(connect_timeout=3, read_timeout=read_timeout, retries={"total_max_attempts": attempts}),
    )


class AwsEstate:
    """boto3 clients on the demo's moto, and the changes the trouble keys make there."""

    def __init__(self, moto: MotoServer) -> None:
        self.moto = moto
        self.ecs = moto_client(moto, "ecs")
        self.logs = moto_client(moto, "logs")
        self.cloudwatch = moto_client(moto, "cloudwatch")
        self.rds = moto_client(moto, "rds")
        self.ecs_quick = moto_client(moto, "ecs", read_timeout=5, attempts=1)  # the metrics feed's: its stop waits for it
        self.seeded: EcsSeed | None = None

    def seed(self, progress: Callable[[str], None]) -> None:
        """Task definitions, services (avnz-api on :23 for now), the three alarms in OK."""
        self.seeded = seed_ecs(
            self.ecs, revisions=API_REVISIONS, inactive=API_INACTIVE, dashboard_revisions=DASHBOARD_REVISIONS,
            dashboard_inactive=DASHBOARD_INACTIVE, services={API: API_REVISIONS - 1, DASHBOARD: None}, decoy=False,
        )
        for name, namespace, metric, threshold in ALARMS:
            seed_alarm(self.cloudwatch, name, "OK", OK_REASON.format(stamp=_stamp(), threshold=threshold),
                       namespace=namespace, metric=metric, threshold=threshold)
        self.rds.create_db_instance(
            DBInstanceIdentifier=DB_INSTANCE, Engine="postgres", EngineVersion="15.4", DBInstanceClass="db.t3.medium",
            AllocatedStorage=20, MasterUsername="avnz", MasterUserPassword=uuid.uuid4().hex, DBName="avnz",
        )
        progress(f"ECS: cluster {CLUSTER}, {API} ({API_REVISIONS} revisions), {DASHBOARD} ({DASHBOARD_REVISIONS}); 3 alarms; "
                 f"RDS {DB_INSTANCE} (postgres)")

    def metric_values(self) -> dict[str, str]:
        """The dimension values the demo's metrics carry, as the cockpit's environment names them. The target group
        is the one the ECS simulator's service events name (cockpit.stack.ecs_sim: stable per service ARN)."""
        service_arn = self._service(API)["serviceArn"]
        cluster_arn = self.seeded.cluster_arn if self.seeded else CLUSTER
        return {
            "COCKPIT_LOAD_BALANCER": f"app/{LOAD_BALANCER}/{uuid.uuid5(uuid.NAMESPACE_URL, cluster_arn).hex[:16]}",
            "COCKPIT_API_TARGET_GROUP": f"targetgroup/{API}/{uuid.uuid5(uuid.NAMESPACE_URL, service_arn).hex[:16]}",
            "COCKPIT_REDIS_CLUSTER": REDIS_CLUSTER,
            "COCKPIT_DB_INSTANCE": DB_INSTANCE,
        }

    def running_tasks(self) -> int:
        """avnz-api's running tasks (every deployment's: during a rollout, old and new), on the quick client."""
        service = self.ecs_quick.describe_services(cluster=CLUSTER, services=[API])["services"][0]
        return int(service.get("runningCount", 0))

    def db_status(self) -> str:
        """The RDS instance's status (available, stopped, ...)."""
        return str(self.rds.describe_db_instances(DBInstanceIdentifier=DB_INSTANCE)["DBInstances"][0]["DBInstanceStatus"])

    def set_db_running(self, running: bool) -> str:
        """Start or stop the RDS instance (moto: at once); its status after, or what it already was."""
        status = self.db_status()
        if running and status == "stopped":
            return str(self.rds.start_db_instance(DBInstanceIdentifier=DB_INSTANCE)["DBInstance"]["DBInstanceStatus"])
        if not running and status == "available":
            return str(self.rds.stop_db_instance(DBInstanceIdentifier=DB_INSTANCE)["DBInstance"]["DBInstanceStatus"])
        return status

    def deploy_current(self, progress: Callable[[str], None], timeout: float = 30.0) -> None:
        """Let avnz-api:23 reach steady state, then start today's deployment of avnz-api:24."""
        deadline = time.monotonic() + timeout
        while self._primary(API).get("rolloutState") != "COMPLETED":
            if time.monotonic() > deadline:
                raise RuntimeError(f"{API}:{API_REVISIONS - 1} did not reach a steady state in moto within {timeout:.0f} s")
            time.sleep(0.2)
        assert self.seeded is not None, "seed() comes first"
        self.ecs.update_service(cluster=CLUSTER, service=API, taskDefinition=self.seeded.arn(API, API_REVISIONS))
        progress(f"{API}: deploying {API}:{API_REVISIONS} (it was on :{API_REVISIONS - 1})")

    def set_5xx_alarm(self, firing: bool) -> None:
        name, threshold = ALARMS[0][0], ALARMS[0][3]
        if firing:
            self.cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason=ALARM_REASON.format(stamp=_stamp()))
        else:
            self.cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason=OK_REASON.format(stamp=_stamp(), threshold=threshold))

    def deploying_broken(self) -> str:
        """'' when avnz-api is steady, else the state of its newest deployment (IN_PROGRESS, FAILED)."""
        primary = self._primary(API)
        state = primary.get("rolloutState", "")
        if state == "COMPLETED" and len(self._service(API).get("deployments", [])) == 1:
            return ""
        return f"{primary.get('taskDefinition', '?').rsplit('/', 1)[-1]} {state or 'unknown'}"

    def deploy_broken(self) -> str:
        """Register a new avnz-api revision with an image that will not start, and deploy it."""
        name = self._deploy_image(API, BROKEN_TAG, fail=True)
        return f"{API}: deploying {name} ({BROKEN_TAG}); its tasks fail and ECS marks the rollout FAILED in ~10 s: then roll back with R"

    def deploy_service(self, service: str, tag: str, *, fail: bool = False) -> str:
        """What a deploy workflow does at its end: a new revision of `service` on image `tag`, deployed (a new ECS
        deployment, rolled out by the simulator; `fail`: its tasks never pass their health checks). Its 'family:revision'."""
        return self._deploy_image(service, tag, fail=fail)

    def _deploy_image(self, service: str, tag: str, *, fail: bool) -> str:
        current = self._service(service)["taskDefinition"]
        definition = self.ecs.describe_task_definition(taskDefinition=current)["taskDefinition"]
        container = dict(definition["containerDefinitions"][0])
        container["image"] = container["image"].rsplit(":", 1)[0] + f":{tag}"
        made = self.ecs.register_task_definition(
            family=definition["family"], networkMode=definition.get("networkMode", "awsvpc"),
            requiresCompatibilities=definition.get("requiresCompatibilities", ["FARGATE"]), cpu=definition.get("cpu", "512"),
            memory=definition.get("memory", "1024"), executionRoleArn=definition.get("executionRoleArn", ""),
            containerDefinitions=[container],
        )["taskDefinition"]
        self.ecs.update_service(cluster=CLUSTER, service=service, taskDefinition=made["taskDefinitionArn"])
        if fail:  # doomed once it is IN_PROGRESS (its first tick is a second away): a refused update dooms nothing
            self.moto.fail_next_deployment(CLUSTER, service, REGION)
        return f"{made['family']}:{made['revision']}"

    def _service(self, name: str) -> dict:
        return self.ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0]

    def _primary(self, name: str) -> dict:
        deployments = self._service(name).get("deployments", [])
        return next((d for d in deployments if d.get("status") == "PRIMARY"), {})


def _stamp() -> str:
    """A CloudWatch-style datapoint time, e.g. 28/11/26 05:14:00."""
    return time.strftime("%d/%m/%y %H:%M:00", time.gmtime())
