"""From the runbook's dashboards to GetMetricData queries, and from what CloudWatch returned to the lines drawn.

Pure, no I/O: the engine reads the queries (probes/aws/metrics.py) and hands the datapoints back.
Each line gets one point per minute of the window, None where there is no value: CloudWatch
reports most metrics only while there is something to measure (no requests is no latency, not
0 ms), so a missing datapoint is a gap unless the runbook says the metric is one CloudWatch's
docs say is left out when it is 0 (`missing = "zero"`). Only complete minutes are drawn and judged:
those that ended REPORT_DELAY or more before the read. The newer ones are left out, with or without
a value: CloudWatch may still be reporting them (the current minute has not even ended), so a value
there is a part of the minute (a partial sum of 5xx over a partial RequestCount is no rate) and a
missing one says nothing about requests. Every read at the same time judges the same minutes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cockpit.monitor.metric_views import REPORT_DELAY, MetricView, Point, complete_until
from cockpit.probes.aws.metrics import PERIOD, Datapoints, MetricQuery
from cockpit.probes.pool_params import pool_params, url_problem
from cockpit.runbook.dashboards import Dashboard, MetricSpec
from cockpit.runbook.metric_values import resolve
from cockpit.runbook.model import Environment

UNREADABLE = ("InternalError", "Forbidden")  # CloudWatch's status for a query it could not answer at all


@dataclass(frozen=True)
class PlannedLine:
    """One dashboard line and where its data comes from: indexes into `MetricsPlan.queries` (None: not read)."""

    dashboard: Dashboard
    spec: MetricSpec
    query: int | None = None
    per: int | None = None
    problem: str = ""  # why it is not read ('not configured: set COCKPIT_LOAD_BALANCER')


@dataclass(frozen=True)
class MetricsPlan:
    """Every line of the runbook's dashboards, and the distinct queries one read asks for."""

    lines: tuple[PlannedLine, ...]
    queries: tuple[MetricQuery, ...]


def plan_reads(dashboards: Sequence[Dashboard], env: Environment) -> MetricsPlan:
    """The queries of every line of `dashboards` in `env` (each metric and its `per` metric; identical queries
    once). A line whose `{key}` has no value in `env` is not read: it says which variable to set."""
    queries: dict[MetricQuery, int] = {}
    lines = []
    for board in dashboards:
        for spec in board.metrics:
            dimensions, problem = _dimensions(spec, env)
            if problem:
                lines.append(PlannedLine(board, spec, problem=problem))
                continue
            query = queries.setdefault(MetricQuery(spec.namespace, spec.metric, dimensions, spec.statistic), len(queries))
            per = None
            if spec.per:
                per = queries.setdefault(MetricQuery(spec.namespace, spec.per, dimensions, spec.per_statistic), len(queries))
            lines.append(PlannedLine(board, spec, query, per))
    return MetricsPlan(tuple(lines), tuple(queries))


def _dimensions(spec: MetricSpec, env: Environment) -> tuple[tuple[tuple[str, str], ...], str]:
    out = []
    for name, text in spec.dimensions:
        value, problem = resolve(text, env)
        if problem:
            return (), problem
        out.append((name, value))
    return tuple(out), ""


def pool_capacity(env: Environment, service: str, running: Mapping[str, int] | None) -> tuple[int | None, str]:
    """(connections the pool of `service` may open, '') or (None, 'pool capacity unknown: why'): DATABASE_URL's
    connection_limit (per task: Prisma's pool is per process) times the service's running tasks from the latest ECS read."""
    url = env.database_url
    limit = pool_params(url).connection_limit if url else ""
    why = ""
    if not url:
        why = f"no database URL ({env.missing('database_url')})"
    elif url_problem(url):
        why = url_problem(url)
    elif not limit:
        why = "DATABASE_URL has no connection_limit"
    elif not (limit.isascii() and limit.isdigit()) or int(limit) < 1:
        why = f"DATABASE_URL's connection_limit={limit[:20]!r} is not a whole number above 0"
    elif not env.ecs_cluster or service not in env.ecs_services:
        why = f"{service} is not an ECS service of {env.name}"
    elif running is None:
        why = "ECS not read yet"
    elif service not in running:
        why = f"ECS did not describe {service}"
    elif running[service] < 1:
        why = f"{service} has no running task"
    if why:
        return None, f"pool capacity unknown: {why}"
    assert running is not None
    return int(limit) * running[service], ""


def derive_views(plan: MetricsPlan, data: Sequence[Datapoints], start: float, minutes: int, env: Environment,
                 running: Mapping[str, int] | None, read_at: float | None = None) -> tuple[MetricView, ...]:
    """Every line of `plan` over the `minutes` minutes from epoch second `start`, from `data` (one Datapoints per
    query of the plan, same order). `running`: each ECS service's running tasks as last read (None: not read).
    `read_at` (epoch seconds): the minutes not complete at that time are left out (None: every minute is complete)."""
    minute_starts = [start + PERIOD * i for i in range(minutes)]
    by_minute = [_by_minute(d) for d in data]
    out = []
    for line in plan.lines:
        spec = line.spec
        blank = MetricView(spec.id, line.dashboard.title, spec.title, spec.unit, spec.threshold, (), gap=spec.gap_reason)
        if line.query is None:
            out.append(_with(blank, problem=line.problem))
            continue
        used = [data[i] for i in (line.query, line.per) if i is not None]
        unreadable = next((d for d in used if d.status in UNREADABLE), None)
        if unreadable is not None:
            out.append(_with(blank, problem=f"CloudWatch: {unreadable.status}" + (f": {unreadable.message}" if unreadable.message else "")))
            continue
        capacity = None
        if spec.pool_of:
            capacity, why = pool_capacity(env, spec.pool_of, running)
            if capacity is None:
                out.append(_with(blank, problem=why))
                continue
        values = _values(spec, by_minute[line.query], by_minute[line.per] if line.per is not None else None, minute_starts, capacity,
                         read_at)
        points = _complete(tuple(zip(minute_starts, values)), read_at)
        out.append(_with(blank, points=points, note=_note(used)))
    return tuple(out)


def _complete(points: tuple[Point, ...], read_at: float | None) -> tuple[Point, ...]:
    """`points` without the minutes CloudWatch may still report at `read_at`, whether or not they hold a value yet."""
    if read_at is None:
        return points
    until = complete_until(read_at)
    return tuple(p for p in points if p[0] + PERIOD <= until)


def _by_minute(data: Datapoints) -> dict[float, float]:
    return {float(int(at // PERIOD) * PERIOD): value for at, value in data.points}


def _values(spec: MetricSpec, found: dict[float, float], per: dict[float, float] | None, minutes: Sequence[float],
            capacity: int | None, read_at: float | None) -> list[float | None]:
    values: list[float | None] = []
    for i, minute in enumerate(minutes):
        value = found.get(minute)
        if per is not None:
            total = per.get(minute)
            if not total:  # no requests that minute (or 0): 0 of 0 is no rate, whatever `missing_per` says
                values.append(None)
                continue
            if value is None and spec.missing == "zero":
                value = 0.0  # the count is left out when 0, and there were requests: 0 of them failed
            values.append(None if value is None else 100.0 * value / total * spec.scale)
            continue
        settled = i < len(minutes) - 1 if read_at is None else minute + PERIOD + REPORT_DELAY <= read_at
        if value is None and spec.missing == "zero" and settled:
            value = 0.0  # not a minute CloudWatch may still publish (the one under way, or just ended)
        if value is not None and capacity is not None:
            value = 100.0 * value / capacity
        values.append(None if value is None else value * spec.scale)
    return values


def _note(used: Sequence[Datapoints]) -> str:
    """What CloudWatch said of a query it answered only in part, or with messages ('' when Complete and silent)."""
    said = [f"{d.status}{': ' + d.message if d.message else ''}" for d in used if d.status != "Complete" or d.message]
    return f"CloudWatch: {'; '.join(said)}" if said else ""


def _with(view: MetricView, *, points: tuple[Point, ...] = (), problem: str = "", note: str = "") -> MetricView:
    newest = next(((at, v) for at, v in reversed(points) if v is not None), None)
    return MetricView(view.id, view.dashboard, view.title, view.unit, view.threshold, points, gap=view.gap,
                      latest=newest[1] if newest else None, latest_at=newest[0] if newest else None, problem=problem, note=note)
