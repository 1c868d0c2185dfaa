"""Run the automated checks of runbook steps against one environment.

Identical check specs run once per runner (the plan checks the same page in three
phases). Every check is bounded by the runbook's connect + read timeout.

`run_steps` runs the checks that only ask "does it answer" concurrently, then the
latency thresholds one at a time: a latency measured while cockpit is busy with other
checks measures cockpit (seen: Redis p99 19.5 ms next to the other checks, 0.3 ms
alone). Threshold checks of every runner on one event loop take turns (the TUI makes
a runner per `enter`), and each watches cockpit's own loop while it measures: a p99
over the limit that cockpit's stalls explain is `inconclusive`, not a fail. A threshold with
`traffic` (post-api-p99) is judged on the load balancer's own p99 over the recent minutes
(cockpit.checks.traffic), the probe's burst beside it; `rds_health` reads the DB instance and
the pool's use (cockpit.checks.rds_health).
"""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import unquote, urlsplit

import httpx

from cockpit.checks.bursts import Burst, HealthBurst, PagesBurst, PostgresBurst, RedisBurst
from cockpit.checks.lag import LoopLag
from cockpit.checks.rds_health import rds_health
from cockpit.checks.result import INCONCLUSIVE, CheckResult, failed, inconclusive, passed
from cockpit.checks.traffic import judge_traffic, recent_traffic
from cockpit.checks.verdict import Timed, Verdict, judge
from cockpit.monitor.aws import aws_target
from cockpit.monitor.backends import health_url
from cockpit.probes.aws.clients import make_client
from cockpit.probes.aws.ecs import describe_services, describe_task_definition, short_name
from cockpit.probes.aws.errors import classify_aws
from cockpit.probes.errors import AUTH, ProbeError, classify
from cockpit.probes.http import HealthProbe, PageProbe, new_client
from cockpit.probes.pool_params import pool_params, url_problem
from cockpit.probes.postgres import PostgresProbe
from cockpit.probes.redis import RedisProbe
from cockpit.runbook.model import CheckSpec, Environment, Runbook, Step, Threshold

MIN_SAMPLES = 5  # fewer than this when the time is up: no verdict on a p99
ATTEMPTS = 3  # bursts a threshold check takes at most while cockpit's own stalls leave them inconclusive

_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _measuring_turn() -> asyncio.Lock:
    """The lock threshold checks on this event loop take turns with."""
    loop = asyncio.get_running_loop()
    lock = _TURNS.get(loop)
    if lock is None:
        lock = _TURNS[loop] = asyncio.Lock()
    return lock


class CheckRunner:
    """Runs check specs for `env`; `environ` is where env_vars checks look (names only)."""

    def __init__(
        self,
        runbook: Runbook,
        env: Environment,
        environ: Mapping[str, str],
        *,
        clock: Callable[[], float] = time.perf_counter,
        lag_monitor: Callable[[], LoopLag] | None = None,
    ) -> None:
        self.runbook = runbook
        self.env = env
        self.environ = environ
        self.clock = clock  # times samples and cockpit's own loop lag, on one clock
        self.lag_monitor = lag_monitor or (lambda: LoopLag(clock=clock))  # tests inject the lag
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
        """Every step's check: step id → result, in the order of `steps`.

        The other checks first, concurrently; then the latency thresholds, one at a time,
        with nothing else of this run competing for the event loop.
        """
        answers = [s for s in steps if check_of(s).type != "threshold"]
        results = dict(zip((s.id for s in answers), await asyncio.gather(*(self.run(check_of(s)) for s in answers))))
        for step in steps:
            if check_of(step).type == "threshold":
                results[step.id] = await self.run(check_of(step))
        return {step.id: results[step.id] for step in steps}

    async def _bounded(self, spec: CheckSpec) -> CheckResult:
        if spec.type == "threshold":
            async with _measuring_turn():  # waiting for the turn is not part of the check's bound
                return await self._guarded(spec)
        return await self._guarded(spec)

    async def _guarded(self, spec: CheckSpec) -> CheckResult:
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
            "rds_health": self._rds_health,
        }[spec.type]
        return await handler(spec)

    def _default_note(self, spec: CheckSpec) -> str:
        """Say so when a failing check went to a host the runbook only guessed."""
        metric = self._named_threshold(spec).metric if spec.type == "threshold" else ""
        if spec.type == "health" or metric == "api_p99":
            return self.env.default_note("api_url")
        if spec.type == "page" or metric == "dashboard_ttfb":
            return self.env.default_note("app_url")
        return ""

    def _named_threshold(self, spec: CheckSpec) -> Threshold:
        threshold = self.runbook.threshold(spec.threshold)
        assert threshold is not None  # the loader refuses a check naming an undefined threshold
        return threshold

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
        assert info is not None  # asked for with_info
        return passed(f"PONG in {sample.latency_ms:.2f} ms · redis {info.version} {info.role}", sample.latency_ms)

    async def _db_pool_params(self, spec: CheckSpec) -> CheckResult:
        """The pool parameters are present and sane, and the database takes a connection."""
        url = self._require("database_url")
        problem = url_problem(url)
        if problem:
            return failed(problem)
        params = pool_params(url)
        found = params.evidence() if params.ok else "; ".join(params.problems) + f" (found: {params.evidence()})"
        probe = PostgresProbe(url, self.settings.connect_timeout_seconds, self.settings.read_timeout_seconds)
        try:
            sample = await probe.sample(with_stats=True)
        except ProbeError as exc:
            return failed(f"{found} · cannot connect: {_connect_reason(exc, url, probe.where)}")
        finally:
            await probe.close()
        stats = sample.stats
        assert stats is not None
        use = f"connected as {stats.user} · {stats.connections}/{stats.max_connections} connections in use (max_connections {stats.max_connections})"
        if not params.ok:
            return failed(f"{found} · {use}", sample.latency_ms)
        if int(params.connection_limit) > stats.max_connections:
            return failed(f"{found}: connection_limit is more than the server's max_connections {stats.max_connections} · {use}", sample.latency_ms)
        return passed(f"{found} · {use}", sample.latency_ms)

    async def _env_vars(self, spec: CheckSpec) -> CheckResult:
        """`names` set here, and defined in the task definition of each ECS service that needs them."""
        missing = [name for name in spec.names if not self.environ.get(name)]
        local = f"not set: {', '.join(missing)}" if missing else f"set: {', '.join(spec.names)}"
        if not (spec.services and self.env.ecs_cluster and self.env.ecs_services):
            return (failed if missing else passed)(f"{local} (values are never shown)")
        needs = self._needs(spec.names)
        try:
            found = await asyncio.get_running_loop().run_in_executor(None, self._service_env_names, needs)
        except Exception as exc:  # AwsProblem, or boto3 while building its client
            return failed(f"{local}; task definitions not read: {classify_aws(exc, 'ecs').reason} (values are never shown)")
        tds = "; ".join(f"{svc} ({td}): {_service_verdict(needs[svc], gone, spec.names)}" for svc, td, gone in found)
        ok = not missing and not any(gone for _, _, gone in found)
        return (passed if ok else failed)(f"{local}; task definitions: {tds} (names only, values are never shown)")

    def _needs(self, names: Sequence[str]) -> dict[str, list[str]]:
        """ECS service → the names its task definition must define (`services` of `[[required_env]]`; none: every service)."""
        declared = {var.name: var.services for var in self.runbook.required_env}
        return {
            svc: [n for n in names if (services := declared.get(n)) is None or svc in services]
            for svc in self.env.ecs_services
        }

    def _service_env_names(self, needs: Mapping[str, Sequence[str]]) -> list[tuple[str, str, list[str]]]:
        """(service, family:revision, needed names its current task definition lacks) per ECS service. Blocking."""
        client = make_client("ecs", aws_target(self.runbook, self.env))
        out = []
        for state in describe_services(client, self.env.ecs_cluster, self.env.ecs_services):
            wanted = list(needs.get(state.name, ()))
            current = state.task_definition or (state.primary.task_definition if state.primary else "")
            if state.missing:
                out.append((state.name, "not found", wanted))
            elif not wanted:  # nothing to look for: its name from the service is enough
                out.append((state.name, short_name(current) or "no task definition", []))
            else:
                td = describe_task_definition(client, current)
                out.append((state.name, td.name, [n for n in wanted if not td.defines(n)]))
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

    async def _rds_health(self, spec: CheckSpec) -> CheckResult:
        return await rds_health(self.runbook, self.env, spec, max(0.5, self.bound_seconds - 1.0))

    async def _page(self, spec: CheckSpec) -> CheckResult:
        sample = await PageProbe(self._require("app_url"), spec.path, self._http()).sample()
        evidence = f"{sample.outcome} · TTFB {sample.ttfb_ms:.0f} ms"
        return (passed if sample.loads else failed)(evidence, sample.ttfb_ms)

    # -- thresholds: a warmed burst of samples, its p99 against the limit, cockpit's lag watched --
    async def _threshold(self, spec: CheckSpec) -> CheckResult:
        """The probe's burst judged against the limit; with `traffic`, the load balancer's p99 judges
        and the burst goes beside it (see cockpit.checks.traffic)."""
        threshold = self._named_threshold(spec)
        if not threshold.traffic:
            return await self._probe_verdict(threshold, max(1.0, self.bound_seconds - 1.0))  # within the bound, whatever the burst
        started = time.monotonic()
        traffic, why = await recent_traffic(self.runbook, self.env, threshold, self.bound_seconds / 2)
        left = math.floor((self.bound_seconds - 1.0 - (time.monotonic() - started)) * 10) / 10  # "fit in 1.4 s", not 1.4987
        try:
            probe = await self._probe_verdict(threshold, max(0.5, left))
        except ProbeError as exc:
            probe = failed(exc.reason + self.env.default_note("api_url"))
        except Exception as exc:  # the probe's failure is evidence beside the load balancer's figure, not the verdict
            probe = failed(classify(exc, "api").reason)
        return judge_traffic(traffic, why, threshold.limit_ms, threshold.action, probe.evidence)

    async def _probe_verdict(self, threshold: Threshold, budget: float) -> CheckResult:
        """A burst on a warm connection, judged by `judge`; measured again (up to ATTEMPTS times,
        within `budget`) while cockpit's own stalls leave it inconclusive."""
        burst = self._burst(threshold.metric)
        samples: list[Timed] = []
        lag = self.lag_monitor()
        disturbed: list[Verdict] = []  # complete bursts that cockpit's stalls left inconclusive
        cut = server = ""

        def verdict_now() -> Verdict:
            return judge(
                samples, lag.stalls, threshold.limit_ms, target=burst.target, what=burst.what, cut=cut,
                action=threshold.action, lag_max_ms=lag.max_ms,
            )

        try:
            async with asyncio.timeout(budget):
                await burst.warm()
                while True:
                    samples, lag = [], self.lag_monitor()
                    await burst.before()
                    async with lag:
                        while len(samples) < burst.target:
                            start = self.clock()
                            ms = await burst.sample()
                            samples.append(Timed(start, self.clock(), ms))
                    if verdict_now().status != INCONCLUSIVE or len(disturbed) + 1 >= ATTEMPTS:
                        break
                    disturbed.append(verdict_now())
                server = await burst.server_note()
        except TimeoutError:
            if len(samples) < burst.target:
                cut = f" (all that fit in {budget:g} s)"
        finally:
            await burst.close()
        if cut and disturbed:  # time ran out while measuring again: the last complete burst stands
            last = disturbed.pop()
            return CheckResult(last.status, f"{last.text} · measured again, but time ran out{_again(disturbed)}", last.p99_ms)
        if len(samples) < MIN_SAMPLES:
            slow = [t.ms for t in samples if t.ms > threshold.limit_ms]
            if slow or not samples:
                return failed(f"timed out after {budget:g} s with {len(samples)} samples")
            return inconclusive(f"only {len(samples)} {burst.what} fit in {budget:g} s, all under the {threshold.limit_ms:g} ms limit: too few to judge")
        verdict = verdict_now()
        notes = ([server] if server else []) + [f"{burst.warmup} warm-up not counted"]
        return CheckResult(verdict.status, f"{verdict.text} · {' · '.join(notes)}{_again(disturbed)}", verdict.p99_ms)

    def _burst(self, metric: str) -> Burst:
        s = self.settings
        if metric == "redis_latency":
            return RedisBurst(RedisProbe(self._require("redis_url"), s.connect_timeout_seconds, s.read_timeout_seconds))
        if metric == "database_latency":
            return PostgresBurst(PostgresProbe(self._require("database_url"), s.connect_timeout_seconds, s.read_timeout_seconds))
        if metric == "api_p99":
            self._require("api_url")
            return HealthBurst(health_url(self.runbook, self.env), self._http())
        base = self._require("app_url")
        if not self.runbook.pages:
            raise ProbeError("config", "the runbook lists no dashboard pages to time")
        return PagesBurst(base, [page.path for page in self.runbook.pages], self._http())

    async def aclose(self) -> None:
        """Close the shared HTTP client."""
        for task in self._running.values():
            task.cancel()
        if self._client is not None:
            await self._client.aclose()


def _again(disturbed: Sequence[Verdict]) -> str:
    """Say that earlier bursts were measured and set aside, and why."""
    if not disturbed:
        return ""
    n = len(disturbed)
    return f" · {n} earlier burst{'s' if n > 1 else ''} set aside: cockpit's own stalls left {'them' if n > 1 else 'it'} inconclusive (p99 {', '.join(f'{v.p99_ms:.2f}' for v in disturbed)} ms)"


def _connect_reason(exc: ProbeError, url: str, where: str) -> str:
    """libpq's long wording of a refused password, cut to what the operator needs (the user, never the password)."""
    if exc.kind == AUTH and "password authentication failed" in exc.reason:
        user = unquote(urlsplit(url).username or "") if "://" in url else ""
        return f"authentication failed: wrong password for user {user!r} ({where}), or no such user" if user else exc.reason
    return exc.reason


def _service_verdict(needs: Sequence[str], gone: Sequence[str], names: Sequence[str]) -> str:
    """What one service's task definition says about the names it needs."""
    if not needs:
        return "needs none of these"
    if gone:
        return f"missing {', '.join(gone)}"
    return "all defined" if list(needs) == list(names) else f"{', '.join(needs)} defined (all it needs)"


def check_of(step: Step) -> CheckSpec:
    """The check of a step that has one (every step `checked_steps` returns)."""
    assert step.check is not None, f"step {step.id} has no check"
    return step.check


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
