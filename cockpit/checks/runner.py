"""Run the automated checks of runbook steps against one environment.

Identical check specs run once per runner (the plan checks the same page in three
phases). Every check is bounded by the runbook's connect + read timeout, and
`run_steps` runs them concurrently, so a whole run takes as long as the slowest one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import httpx

from cockpit.checks.result import CheckResult, failed, passed
from cockpit.core.latency import percentile
from cockpit.monitor.aws import aws_target
from cockpit.monitor.backends import health_url
from cockpit.probes.aws.clients import make_client
from cockpit.probes.aws.ecs import describe_services, describe_task_definition
from cockpit.probes.aws.errors import classify_aws
from cockpit.probes.errors import ProbeError, classify
from cockpit.probes.http import HealthProbe, PageProbe, new_client
from cockpit.probes.pool_params import pool_params
from cockpit.probes.postgres import PostgresProbe
from cockpit.probes.redis import RedisProbe
from cockpit.runbook.model import CheckSpec, Environment, Runbook, Step

BURST = 20  # samples behind a threshold check's p99
MIN_SAMPLES = 5  # fewer than this when the time is up: no verdict on a p99
PAGE_ROUNDS = 3


class CheckRunner:
    """Runs check specs for `env`; `environ` is where env_vars checks look (names only)."""

    def __init__(self, runbook: Runbook, env: Environment, environ: Mapping[str, str]) -> None:
        self.runbook = runbook
        self.env = env
        self.environ = environ
        self.settings = runbook.probes
        self._client: httpx.AsyncClient | None = None
        self._running: dict[CheckSpec, asyncio.Task[CheckResult]] = {}

    @property
    def bound_seconds(self) -> float:
        """The longest one check may take."""
        return self.settings.slowest_seconds + 0.5

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = new_client(self.settings.connect_timeout_seconds, self.settings.read_timeout_seconds)
        return self._client

    async def run(self, spec: CheckSpec) -> CheckResult:
        """The result of `spec` (shared with any identical spec of this runner)."""
        task = self._running.get(spec)
        if task is None:
            task = self._running[spec] = asyncio.ensure_future(self._bounded(spec))
        return await asyncio.shield(task)

    async def run_steps(self, steps: Sequence[Step]) -> dict[str, CheckResult]:
        """Every step's check, concurrently: step id → result."""
        results = await asyncio.gather(*(self.run(step.check) for step in steps))
        return {step.id: result for step, result in zip(steps, results)}

    async def _bounded(self, spec: CheckSpec) -> CheckResult:
        try:
            async with asyncio.timeout(self.bound_seconds):
                return await self._dispatch(spec)
        except TimeoutError:
            return failed(f"timed out after {self.bound_seconds:g} s")
        except ProbeError as exc:
            return failed(exc.reason + self._default_note(spec))
        except Exception as exc:  # a check must end in a result, never a traceback
            return failed(classify(exc, spec.type).reason)

    async def _dispatch(self, spec: CheckSpec) -> CheckResult:
        handler = {
            "redis_ping": self._redis_ping,
            "db_pool_params": self._db_pool_params,
            "env_vars": self._env_vars,
            "health": self._health,
            "page": self._page,
            "threshold": self._threshold,
        }[spec.type]
        return await handler(spec)

    def _default_note(self, spec: CheckSpec) -> str:
        """Say so when a failing check went to a host the runbook only guessed."""
        metric = self.runbook.threshold(spec.threshold).metric if spec.type == "threshold" else ""
        if spec.type == "health" or metric == "api_p99":
            return self.env.default_note("api_url")
        if spec.type == "page" or metric == "dashboard_ttfb":
            return self.env.default_note("app_url")
        return ""

    def _require(self, field: str) -> str:
        value = getattr(self.env, field)
        if not value:
            raise ProbeError("config", f"not configured: {self.env.missing(field)}")
        return value

    # -- one check per type ----------------------------------------------------------
    async def _redis_ping(self, spec: CheckSpec) -> CheckResult:
        probe = RedisProbe(self._require("redis_url"), self.settings.connect_timeout_seconds, self.settings.read_timeout_seconds)
        try:
            sample = await probe.sample(with_info=True)
        finally:
            await probe.close()
        info = sample.info
        return passed(f"PONG in {sample.latency_ms:.2f} ms · redis {info.version} {info.role}", sample.latency_ms)

    async def _db_pool_params(self, spec: CheckSpec) -> CheckResult:
        params = pool_params(self._require("database_url"))
        if params.ok:
            return passed(f"{params.evidence()} in DATABASE_URL")
        return failed("; ".join(params.problems) + f" (found: {params.evidence()})")

    async def _env_vars(self, spec: CheckSpec) -> CheckResult:
        missing = [name for name in spec.names if not self.environ.get(name)]
        local = f"not set: {', '.join(missing)}" if missing else f"set: {', '.join(spec.names)}"
        if not (spec.services and self.env.ecs_cluster and self.env.ecs_services):
            return (failed if missing else passed)(f"{local} (values are never shown)")
        try:
            lacking = await asyncio.get_running_loop().run_in_executor(None, self._service_env_names, spec.names)
        except Exception as exc:  # AwsProblem, or boto3 while building its client
            return failed(f"{local}; task definitions not read: {classify_aws(exc, 'ecs').reason} (values are never shown)")
        tds = "; ".join(f"{svc} ({td}): " + (f"missing {', '.join(gone)}" if gone else "all defined") for svc, td, gone in lacking)
        ok = not missing and not any(gone for _, _, gone in lacking)
        return (passed if ok else failed)(f"{local}; task definitions: {tds} (names only, values are never shown)")

    def _service_env_names(self, names: Sequence[str]) -> list[tuple[str, str, list[str]]]:
        """(service, family:revision, names its current task definition lacks) per ECS service. Blocking."""
        client = make_client("ecs", aws_target(self.runbook, self.env))
        out = []
        for state in describe_services(client, self.env.ecs_cluster, self.env.ecs_services):
            if state.missing:
                out.append((state.name, "not found", list(names)))
                continue
            td = describe_task_definition(client, state.task_definition or (state.primary.task_definition if state.primary else ""))
            out.append((state.name, td.name, [n for n in names if not td.defines(n)]))
        return out

    async def _health(self, spec: CheckSpec) -> CheckResult:
        self._require("api_url")
        sample = await HealthProbe(health_url(self.runbook, self.env), self._http()).sample()
        parts = ", ".join(f"{c.name} {'healthy' if c.healthy else 'UNHEALTHY' if c.healthy is False else '?'}" for c in sample.components)
        evidence = f"HTTP {sample.status_code} in {sample.latency_ms:.0f} ms · status {sample.overall or '?'} · {parts or 'no components'}"
        by_name = {c.name: c for c in sample.components}
        if spec.names:
            bad = [n for n in spec.names if n not in by_name or by_name[n].healthy is not True]
            if bad:
                why = [f"{n} {'not reported' if n not in by_name else 'unhealthy'}{': ' + by_name[n].detail if n in by_name and by_name[n].detail else ''}" for n in bad]
                return failed("; ".join(why) + f" · {evidence}", sample.latency_ms)
            return passed(evidence, sample.latency_ms)
        if not sample.components:
            return failed(f"no component status · {evidence}", sample.latency_ms)
        if sample.state != "healthy":
            return failed(f"{sample.state} · {evidence}", sample.latency_ms)
        return passed(evidence, sample.latency_ms)

    async def _page(self, spec: CheckSpec) -> CheckResult:
        sample = await PageProbe(self._require("app_url"), spec.path, self._http()).sample()
        evidence = f"{sample.outcome} · TTFB {sample.ttfb_ms:.0f} ms"
        return (passed if sample.loads else failed)(evidence, sample.ttfb_ms)

    # -- thresholds: a burst of samples, then its p99 against the limit -----------------
    async def _threshold(self, spec: CheckSpec) -> CheckResult:
        threshold = self.runbook.threshold(spec.threshold)
        samples: list[float] = []
        budget = max(1.0, self.bound_seconds - 1.0)  # a check ends within its bound, whatever the burst
        cut = ""
        try:
            async with asyncio.timeout(budget):
                what = await self._burst(threshold.metric, samples)
        except TimeoutError:
            if len(samples) < MIN_SAMPLES:
                return failed(f"timed out after {budget:g} s with {len(samples)} samples")
            what, cut = "samples", f" (all that fit in {budget:g} s)"
        p99 = percentile(samples, 0.99)
        verdict = f"p99 {p99:.2f} ms over {len(samples)} {what}{cut}"
        if p99 > threshold.limit_ms:
            return failed(f"{verdict} > {threshold.limit_ms:g} ms limit: {threshold.action or 'over the limit'}", p99)
        return passed(f"{verdict} < {threshold.limit_ms:g} ms limit", p99)

    async def _burst(self, metric: str, samples: list[float]) -> str:
        s = self.settings
        if metric == "redis_latency":
            probe = RedisProbe(self._require("redis_url"), s.connect_timeout_seconds, s.read_timeout_seconds)
            await _collect(probe, samples, BURST)
            return "PINGs"
        if metric == "database_latency":
            probe = PostgresProbe(self._require("database_url"), s.connect_timeout_seconds, s.read_timeout_seconds)
            await _collect(probe, samples, BURST)
            return "SELECT 1"
        if metric == "api_p99":
            self._require("api_url")
            probe = HealthProbe(health_url(self.runbook, self.env), self._http())
            await probe.sample()  # warm-up, not counted: it pays for connecting and client setup
            for _ in range(BURST):
                samples.append((await probe.sample()).latency_ms)
            return "requests to /health"
        base = self._require("app_url")
        probes = [PageProbe(base, page.path, self._http()) for page in self.runbook.pages]
        await asyncio.gather(*(p.sample() for p in probes))  # warm-up, not counted
        for _ in range(PAGE_ROUNDS):
            for sample in await asyncio.gather(*(p.sample() for p in probes)):
                samples.append(sample.ttfb_ms)
        return "page loads (TTFB)"

    async def aclose(self) -> None:
        """Close the shared HTTP client."""
        for task in self._running.values():
            task.cancel()
        if self._client is not None:
            await self._client.aclose()


async def _collect(probe: RedisProbe | PostgresProbe, samples: list[float], count: int) -> None:
    try:
        for _ in range(count):
            samples.append((await probe.sample()).latency_ms)
    finally:
        await probe.close()


def checked_steps(runbook: Runbook, env_name: str, only: Sequence[str] = ()) -> list[Step]:
    """The check steps of a run in `env_name` (contingency plans only when named in `only`)."""
    steps = []
    for phase, step in runbook.steps():
        if step.check is None:
            continue
        if only:
            if step.id in only:
                steps.append(step)
        elif phase.applies_to(env_name) and not phase.contingency:
            steps.append(step)
    return steps
