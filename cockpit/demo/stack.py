"""The demo's local stack: the test suite's servers (`cockpit.stack`), seeded like production.

redis-server (with a password, so masking shows), PostgreSQL (the plan's pool settings
in DATABASE_URL), moto with the ECS rollout simulator (cluster, both services, their
revisions, the three alarms, `/ecs/avnz-api` with a live log writer), the stand-in
API and dashboard, whose /health reports the demo's real Redis and PostgreSQL, and
Phase B's fakes (`cockpit.demo.deploys`: GitHub whose deploy runs start ECS deployments,
Slack's webhooks, a checkout with `npx`), and a feed of the plan's dashboards' CloudWatch metrics
(`cockpit.demo.metrics_feed`) that follows the trouble keys. A server
whose binary is missing is left out and `absent` says why. Runs in the demo's stack
process (`cockpit.demo.supervisor`), never in the TUI's.
"""

from __future__ import annotations

import secrets
import shlex
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from cockpit.demo import aws_estate
from cockpit.demo.aws_estate import DB_INSTANCE
from cockpit.demo.deploys import DemoDeploys
from cockpit.demo.log_writer import FLOOD_PER_SECOND, FLOOD_SECONDS, LogWriter
from cockpit.demo.loglines import Weather
from cockpit.demo.metric_samples import Conditions, Estate
from cockpit.demo.metrics_feed import MetricsFeed
from cockpit.demo.trouble import KEYS, TroubleAction
from cockpit.probes.pool_params import pool_params
from cockpit.stack import error_line
from cockpit.stack.cloudwatch_percentiles import PercentileProxy
from cockpit.stack.http_app import FakeApi
from cockpit.stack.moto_server import MotoServer
from cockpit.stack.postgres_cluster import PostgresCluster
from cockpit.stack.redis_server import RedisServer

SLOW_SECONDS = 1.2  # over the plan's API p99 (500 ms) and dashboard TTFB (1000 ms) limits
START_TIMEOUT = 120.0


class DemoStack:
    """Start, break, mend and stop the demo's servers; `progress` hears each step."""

    def __init__(self, workdir: Path, progress: Callable[[str], None] = lambda _text: None) -> None:
        self.workdir = workdir
        self.progress = progress
        self.redis = RedisServer(workdir / "redis", password=secrets.token_urlsafe(12))
        self.postgres = PostgresCluster(workdir / "postgres", use_template=False)
        self.moto = MotoServer(workdir / "moto", simulate_ecs=True)
        self.percentiles: PercentileProxy | None = None  # CloudWatch's p50/p99, which moto cannot compute
        self.api = FakeApi()
        self.api.slow_seconds = SLOW_SECONDS
        self.api.components = self._components
        self.absent: dict[str, str] = {}  # runbook field → why the demo has no such server
        self.api_mode = "normal"
        self.alarm_firing = False
        self.aws: aws_estate.AwsEstate | None = None
        self.logs: LogWriter | None = None
        self.metrics: MetricsFeed | None = None
        self.metric_env: dict[str, str] = {}  # COCKPIT_LOAD_BALANCER etc.: the metrics' dimension values
        self.traffic = True  # False: no requests reach the API's load balancer (its metrics stop)
        self.pool_pressed = False  # True: the API's pool near exhaustion (DatabaseConnections)
        self.deploys = DemoDeploys(workdir, self._deploy_service, progress)
        self._lock = threading.Lock()  # one trouble action at a time

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start everything at once; a missing redis-server or PostgreSQL is noted, anything else raises."""
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="demo-start") as pool:
            jobs = [
                pool.submit(self._start_optional, "redis_url", "redis-server", self.redis.start,
                            lambda: f"redis-server up on 127.0.0.1:{self.redis.port}"),
                pool.submit(self._start_optional, "database_url", "PostgreSQL", self.postgres.start,
                            lambda: f"PostgreSQL up on 127.0.0.1:{self.postgres.port} (database avnz, role cockpit)"),
                pool.submit(self._start_aws),
                pool.submit(self._start_api),
                pool.submit(self.deploys.start),
            ]
            deadline = time.monotonic() + START_TIMEOUT
            while not all(job.done() for job in jobs):  # short waits: a signal's handler runs in between
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the stack did not start within {START_TIMEOUT:.0f} s")
                wait(jobs, timeout=0.2)
            for job in jobs:
                job.result()
        self._start_metrics()  # last: its history follows how Redis and PostgreSQL stand now

    def stop(self) -> list[str]:
        """Stop everything (idempotent, each part even when another fails); what was stopped."""
        stopped = []
        for name, stop in (("metrics feed", self.metrics.stop if self.metrics else None),
                           ("log writer", self.logs.stop if self.logs else None), ("API and dashboard", self.api.stop),
                           ("GitHub and Slack fakes", self.deploys.stop),
                           ("percentile proxy", self.percentiles.stop if self.percentiles else None),
                           ("moto", self.moto.stop), ("redis-server", self.redis.stop), ("PostgreSQL", self.postgres.close)):
            if stop is None:
                continue
            try:
                stop()
                stopped.append(name)
            except Exception as error:  # noqa: BLE001 - the others must still stop
                stopped.append(f"{name} (stop failed: {error})")
        return stopped

    def _start_optional(self, field: str, what: str, start: Callable[[], object], done: Callable[[], str]) -> None:
        began = time.monotonic()
        try:
            start()
        except RuntimeError as error:
            reason = error_line(error)
            self.absent[field] = f"absent in the demo: {reason}"
            self.progress(f"{what} not started: {reason}")
            return
        self.progress(f"{done()} ({time.monotonic() - began:.1f} s)")

    def _start_aws(self) -> None:
        began = time.monotonic()
        self.moto.start()
        self.progress(f"moto up on {self.moto.url} ({time.monotonic() - began:.1f} s)")
        self.percentiles = PercentileProxy(self.moto.url).start()
        self.progress(f"CloudWatch percentile proxy up on {self.percentiles.url} (moto's CloudWatch, with the p50/p99 moto cannot compute)")
        self.aws = aws_estate.AwsEstate(self.moto)
        self.aws.seed(self.progress)
        self.logs = LogWriter(self.aws.logs, self._weather).start()
        self.progress(f"log writer: {self.logs.written:,} lines of history in /ecs/avnz-api, ~4 new a second")
        self.aws.deploy_current(self.progress)
        self.progress(f"AWS seeded ({time.monotonic() - began:.1f} s)")

    def _start_metrics(self) -> None:
        """The RDS instance follows PostgreSQL (stopped when it is absent); then the metrics feed, history first."""
        assert self.aws is not None  # _start_aws raised otherwise
        if not self.postgres.running:
            self.aws.set_db_running(False)
        self.metric_env = self.aws.metric_values()
        estate = Estate(self.metric_env["COCKPIT_LOAD_BALANCER"], self.metric_env["COCKPIT_API_TARGET_GROUP"],
                        self.metric_env["COCKPIT_REDIS_CLUSTER"], self.metric_env["COCKPIT_DB_INSTANCE"])
        began = time.monotonic()
        self.metrics = MetricsFeed(self._metrics_endpoint(), estate, self._conditions).start()
        if self.metrics.problem:
            self.progress(f"metrics feed: its history was not written ({self.metrics.problem}); it tries again every 10 s")
        else:
            self.progress(f"metrics: {self.metrics.history_minutes} minutes of history in CloudWatch for the load balancer, "
                          f"{estate.redis_cluster} and {estate.db_instance}, new samples every {self.metrics.tick:.0f} s "
                          f"({time.monotonic() - began:.1f} s)")

    def _metrics_endpoint(self) -> str:
        """Where CloudWatch is, for the feed and the cockpit: the percentile proxy in front of moto."""
        assert self.percentiles is not None  # _start_aws raised otherwise
        return self.percentiles.url

    def _conditions(self) -> Conditions:
        """How the demo stands for its metrics (in the feed's thread: the running tasks come from ECS, with a timeout)."""
        assert self.aws is not None  # the feed starts after AWS
        limit = pool_params(self.postgres.prisma_url).connection_limit
        return Conditions(traffic=self.traffic, api_mode=self.api_mode, errors_alarm=self.alarm_firing, redis_up=self.redis.running,
                          database_up=self.postgres.running, pool_pressed=self.pool_pressed, tasks=self.aws.running_tasks(),
                          connection_limit=int(limit) if limit.isdigit() else 0)

    def _start_api(self) -> None:
        self.api.start()
        self.progress(f"API and dashboard stand-in up on {self.api.url}")

    # -- what the TUI needs --------------------------------------------------------------

    def environ(self) -> dict[str, str]:
        """The environment the cockpit runs with: the runbook's variables pointed at this stack."""
        env = {
            "COCKPIT_API_URL": self.api.url,
            "COCKPIT_APP_URL": self.api.url,
            "INTEGRATION_ENCRYPTION_KEY": secrets.token_hex(32),
            "COCKPIT_STATE": str(self.workdir / "journal.sqlite3"),
            **self.moto.env(),
            # CloudWatch alone through the percentile proxy (botocore's service-specific endpoint variable)
            **({"AWS_ENDPOINT_URL_CLOUDWATCH": self.percentiles.url} if self.percentiles else {}),
            **self.metric_env,
            **self.deploys.environ(),
        }
        if "redis_url" not in self.absent:
            env["REDIS_URL"] = self.redis.url
        if "database_url" not in self.absent:
            env["DATABASE_URL"] = self.postgres.prisma_url
        return env

    def write_env_file(self) -> Path:
        """`demo.env` (0600, in the demo's directory): the environment above as `export` lines, so another shell can
        drive the demo's run headless (`. demo.env && cockpit run b-deploy-staging --yes`). Its token and webhooks
        are the demo's fakes' (nothing outside the machine accepts them); the file goes with the directory."""
        path = self.workdir / "demo.env"
        lines = [f"export {name}={shlex.quote(value)}" for name, value in sorted(self.environ().items())]
        path.touch(mode=0o600)
        path.write_text("# cockpit demo: its stack's environment (removed when the demo ends)\n" + "\n".join(lines) + "\n")
        return path

    def _weather(self) -> Weather:
        return Weather(self.redis.running, f"127.0.0.1:{self.redis.port}", self.postgres.running, self.api_mode)

    def _components(self) -> dict[str, dict]:
        """What the API's /health says about its own Redis and database: the demo's real ones."""
        absent = {"redis": self.absent.get("redis_url"), "database": self.absent.get("database_url")}
        reached = {"redis": lambda: _reach("redis", self.redis.port, b"PING\r\n"), "database": lambda: _reach("database", self.postgres.port)}
        return {name: {"healthy": False, "error": f"not configured: {absent[name]}"} if absent[name] else reach()
                for name, reach in reached.items()}

    # -- trouble -----------------------------------------------------------------------

    def actions(self) -> list[TroubleAction]:
        """Every trouble key with what pressing it does now."""
        redis, pg = self.redis.running, self.postgres.running
        try:
            failing = self.aws.deploying_broken() if self.aws else ""
        except Exception as error:  # noqa: BLE001 - moto not answering: say so, offer nothing
            failing = f"unknown ({error_line(error)})"
        rows = {
            "redis": ("Redis: start it again" if not redis else "Redis: stop it", "running" if redis else "stopped", "redis_url" not in self.absent),
            "database": (f"PostgreSQL and RDS {DB_INSTANCE}: start them again" if not pg else f"PostgreSQL and RDS {DB_INSTANCE}: stop them",
                         "running" if pg else "stopped", "database_url" not in self.absent),
            "api-slow": ("API: back to normal" if self.api_mode == "slow" else f"API: slow ({SLOW_SECONDS:.1f} s a request)", self.api_mode, True),
            "api-failing": ("API: back to normal" if self.api_mode == "failing" else "API: failing (HTTP 500)", self.api_mode, True),
            "alarm": ("avnz-api-5xx-errors: back to OK" if self.alarm_firing else "avnz-api-5xx-errors: into ALARM", "ALARM" if self.alarm_firing else "OK", self.aws is not None),
            "flood": ("logs: stop the flood" if self.logs and self.logs.flood else f"logs: flood ({FLOOD_PER_SECOND:,} lines a second for {FLOOD_SECONDS:.0f} s)", "flooding" if self.logs and self.logs.flood else "normal", self.logs is not None),
            "deploy-broken": ("avnz-api: deploy a broken image (rollout FAILED)", failing or "steady", self.aws is not None and not failing),
            "deploy-run-fails": ("GitHub: the next deploy run fails", "armed" if self.deploys.github.next_stages else "runs succeed", True),
            "rollout-fails": ("ECS: the next deploy's rollout fails", "armed" if self.deploys.next_rollout_fails else "rollouts complete",
                              self.aws is not None),
            "no-traffic": ("API traffic: back to normal" if not self.traffic else "API traffic: none (no requests reach the load balancer)",
                           self._traffic_state(), self.metrics is not None),
            "pool": (f"{DB_INSTANCE}: pool back to normal" if self.pool_pressed else f"{DB_INSTANCE}: pool near exhaustion (88-98% in use)",
                     "near exhaustion" if self.pool_pressed else "normal", self.metrics is not None and "database_url" not in self.absent),
        }
        return [TroubleAction(key, name, *rows[name]) for key, name in KEYS.items()]

    def trouble(self, key: str) -> str:
        """Do what key `key` does now; a one-line account of it."""
        name = KEYS.get(key)
        if name is None:
            return f"no trouble key {key!r}"
        action = next(a for a in self.actions() if a.key == key)
        if not action.available:
            return f"{action.label}: not available ({action.state})"
        with self._lock:
            return getattr(self, "_" + name.replace("-", "_"))()

    def _redis(self) -> str:
        if self.redis.running:
            self.redis.stop()
            return "Redis stopped: the redis row goes DOWN, /health turns degraded, the Redis log tab fills with errors"
        self.redis.start()
        return "Redis started again on the same port"

    def _database(self) -> str:
        if self.postgres.running:
            self.postgres.stop()
            return f"PostgreSQL stopped: the database row goes DOWN and /health turns degraded; {self._rds(False)}"
        self.postgres.start()
        return f"PostgreSQL started again on the same port; {self._rds(True)}"

    def _rds(self, running: bool) -> str:
        """The RDS instance follows PostgreSQL: its status now, or why it could not follow."""
        if self.aws is None:
            return f"RDS {DB_INSTANCE}: AWS (moto) is not up"
        try:
            status = self.aws.set_db_running(running)
        except Exception as error:  # noqa: BLE001 - PostgreSQL did change: say what did not
            return f"RDS {DB_INSTANCE} not {'started' if running else 'stopped'}: {error_line(error)}"
        return f"RDS {DB_INSTANCE} {status}" + ("" if running else " (it reports no DatabaseConnections)")

    def _no_traffic(self) -> str:
        self.traffic = not self.traffic
        if self.traffic:
            return "API traffic back: RequestCount and TargetResponseTime come back from this minute on"
        return "no requests reach the API: from this minute on RequestCount and TargetResponseTime have no datapoints (gaps)"

    def _pool(self) -> str:
        self.pool_pressed = not self.pool_pressed
        if self.pool_pressed:
            return f"{DB_INSTANCE}'s DatabaseConnections rise to 88-98% of the pool (connection_limit x running avnz-api tasks)"
        return f"{DB_INSTANCE}'s pool back to normal (~35% in use)"

    def _traffic_state(self) -> str:
        state = "requests flowing" if self.traffic else "no requests"
        problem = self.metrics.problem if self.metrics else ""
        return f"{state} · metrics feed: {problem}" if problem else state

    def _api_slow(self) -> str:
        return self._api("slow", f"API and pages now take {SLOW_SECONDS:.1f} s: watch the latency pane cross the limits")

    def _api_failing(self) -> str:
        return self._api("failing", "API /health and every page now answer HTTP 500")

    def _api(self, mode: str, message: str) -> str:
        self.api_mode = "normal" if self.api_mode == mode else mode
        health, pages = {"normal": ("healthy", "ok"), "slow": ("slow", "slow"), "failing": ("error500", "error500")}[self.api_mode]
        self.api.health_mode = health
        self.api.pages = {path: pages for path in self.api.pages}
        return message if self.api_mode == mode else "API back to normal"

    def _alarm(self) -> str:
        firing = not self.alarm_firing
        assert self.aws is not None  # the key is offered once AWS is up (actions())
        self.aws.set_5xx_alarm(firing)
        self.alarm_firing = firing  # only once moto has it: a failed call leaves the key's state true
        state = "ALARM" if firing else "OK"
        return f"avnz-api-5xx-errors set to {state}: the alarms pane shows it at its next read (every 15 s)"

    def _flood(self) -> str:
        assert self.logs is not None  # the key is offered once the log writer runs (actions())
        if self.logs.flood:
            self.logs.stop_flood()
            return "log flood stopped"
        self.logs.start_flood()
        return f"logs flooding at {FLOOD_PER_SECOND:,} lines a second for {FLOOD_SECONDS:.0f} s (or until ! 6 again)"

    def _deploy_run_fails(self) -> str:
        return self.deploys.fail_next_run()

    def _rollout_fails(self) -> str:
        return self.deploys.fail_next_rollout()

    def _deploy_service(self, service: str, tag: str, fail: bool) -> str:
        """A deploy run of the fake GitHub finished: what its workflow would do in ECS (AwsEstate.deploy_service)."""
        if self.aws is None:
            raise RuntimeError("AWS (moto) is not up")
        return self.aws.deploy_service(service, tag, fail=fail)

    def shown(self) -> dict:
        """What the demo shows of its fakes in the trouble menu: the last Slack messages, runs and deploys."""
        return {"slack": [h.to_json() for h in self.deploys.heard()], "runs": self.deploys.runs(), "deploys": self.deploys.deployed[-5:][::-1]}

    def _deploy_broken(self) -> str:
        assert self.aws is not None  # the key is offered once AWS is up (actions())
        return self.aws.deploy_broken()


def _reach(name: str, port: int, hello: bytes = b"") -> dict:
    """A /health component: can the API reach 127.0.0.1:port (and get an answer to `hello`)?"""
    began = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3) as sock:
            if hello:
                sock.sendall(hello)
                if not sock.recv(16):
                    raise ConnectionResetError("connection closed")
    except OSError as error:
        return {"healthy": False, "error": f"{name} 127.0.0.1:{port}: {error.strerror or error}"}
    return {"healthy": True, "latency_ms": round((time.perf_counter() - began) * 1000, 2)}
