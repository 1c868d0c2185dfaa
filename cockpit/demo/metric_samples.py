"""What the demo's CloudWatch metrics say for a stretch of time, given how the demo stands (pure, no I/O).

The bundled runbook's four dashboards read these series, with the dimensions the demo gives
the cockpit (COCKPIT_LOAD_BALANCER, COCKPIT_API_TARGET_GROUP, COCKPIT_REDIS_CLUSTER,
COCKPIT_DB_INSTANCE):
- AWS/ApplicationELB (LoadBalancer + TargetGroup): TargetResponseTime as one raw sample per
  request (`Values` + `Counts`, so a percentile proxy can compute p99 from them), RequestCount
  (also LoadBalancer alone, as ELB reports it), and HTTPCode_Target_5XX_Count only for a stretch
  that had a 5xx (as ELB reports it: a calm demo has none; failing pages and the 5xx alarm do);
- AWS/ElastiCache (CacheClusterId): CurrConnections, EngineCPUUtilization;
- AWS/RDS (DBInstanceIdentifier): DatabaseConnections, below the pool's capacity
  (connection_limit x running avnz-api tasks) unless the pool is pressed.
`Conditions` is the demo's state that moves them (the trouble keys); `datums()` turns a
stretch of time under those conditions into PutMetricData datums.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

ELB, ELASTICACHE, RDS = "AWS/ApplicationELB", "AWS/ElastiCache", "AWS/RDS"
MAX_VALUES = 150  # PutMetricData takes at most 150 distinct values per datum
REQUESTS_PER_MINUTE = 120.0  # the API's traffic, normally (moto keeps every sample: a modest rate keeps reads quick)
ALARM_5XX_PER_MINUTE = 37.0  # the 5xx alarm's reason says 37 (cockpit.demo.aws_estate.ALARM_REASON)
SLOW_SECONDS = 1.2  # as the stand-in API's slow mode (cockpit.demo.stack.SLOW_SECONDS)


@dataclass(frozen=True)
class Estate:
    """The dimension values: the API's load balancer and target group (ARN suffixes), the Redis cluster, the DB instance."""

    load_balancer: str
    target_group: str
    redis_cluster: str
    db_instance: str


@dataclass(frozen=True)
class Conditions:
    """How the demo stands, as far as its metrics go (see the trouble keys)."""

    traffic: bool = True  # False: no requests reach the load balancer
    api_mode: str = "normal"  # normal | slow | failing (HTTP 500)
    errors_alarm: bool = False  # avnz-api-5xx-errors forced into ALARM: the 5xx it speaks of
    redis_up: bool = True
    database_up: bool = True  # PostgreSQL running and the RDS instance available
    pool_pressed: bool = False  # the API's pool near exhaustion
    tasks: int = 2  # running avnz-api tasks
    connection_limit: int = 10  # per task (DATABASE_URL's connection_limit)

    @property
    def pool_capacity(self) -> int:
        """connection_limit x running tasks: the most connections the API's pools can hold."""
        return self.connection_limit * max(self.tasks, 0)


def datums(conditions: Conditions, estate: Estate, start: float, seconds: float, rng: random.Random) -> list[tuple[str, dict]]:
    """(namespace, PutMetricData datum) for the `seconds` from `start` (epoch; all inside one minute), stamped at `start`."""
    stamp = datetime.fromtimestamp(start, UTC)
    balancer = _dims(LoadBalancer=estate.load_balancer, TargetGroup=estate.target_group)
    found: list[tuple[str, dict]] = []
    requests = _poisson(rng, _rate(start) * seconds / 60) if conditions.traffic else 0
    if requests:  # no requests: no RequestCount and no TargetResponseTime at all (a gap, as ELB reports it)
        found.append((ELB, _datum("RequestCount", balancer, stamp, "Count", value=float(requests))))
        # the load balancer's own count too (no TargetGroup): the denominator of its ELB 5xx rate
        found.append((ELB, _datum("RequestCount", _dims(LoadBalancer=estate.load_balancer), stamp, "Count", value=float(requests))))
        times = [response_time(conditions.api_mode, rng) for _ in range(requests)]
        found += [(ELB, datum) for datum in _samples("TargetResponseTime", balancer, stamp, "Seconds", times)]
        failed = _failed(conditions, requests, seconds, rng)
        if failed:
            found.append((ELB, _datum("HTTPCode_Target_5XX_Count", balancer, stamp, "Count", value=float(failed))))
    cache = _dims(CacheClusterId=estate.redis_cluster)
    if conditions.redis_up:
        found.append((ELASTICACHE, _datum("CurrConnections", cache, stamp, "Count", value=float(redis_connections(conditions, rng)))))
        found.append((ELASTICACHE, _datum("EngineCPUUtilization", cache, stamp, "Percent", value=redis_cpu(conditions, requests, seconds, rng))))
    else:  # the API's clients lost their connections; an engine that is down reports no CPU
        found.append((ELASTICACHE, _datum("CurrConnections", cache, stamp, "Count", value=0.0)))
    if conditions.database_up:  # a stopped DB instance reports nothing
        database = _dims(DBInstanceIdentifier=estate.db_instance)
        found.append((RDS, _datum("DatabaseConnections", database, stamp, "Count", value=float(db_connections(conditions, rng)))))
    return found


def pieces(start: float, end: float, step: int = 60) -> Iterator[tuple[float, float]]:
    """[start, end) cut at multiples of `step` seconds (minute boundaries): (piece start, its seconds), so each piece
    is stamped inside its minute."""
    while start < end:
        boundary = (math.floor(start / step) + 1) * step
        stop = min(boundary, end)
        yield start, stop - start
        start = stop


def response_time(mode: str, rng: random.Random) -> float:
    """One request's TargetResponseTime in seconds: p50 ~45 ms, p99 ~200 ms with a tail; slow adds SLOW_SECONDS;
    failing answers fast (an HTTP 500 takes ~10 ms)."""
    if mode == "failing":
        return rng.lognormvariate(-4.6, 0.4)
    normal = rng.lognormvariate(-1.85, 0.4) if rng.random() < 0.025 else rng.lognormvariate(-3.1, 0.45)
    return normal + SLOW_SECONDS if mode == "slow" else normal


def redis_connections(conditions: Conditions, rng: random.Random) -> int:
    """Each API task's clients (a few each), and the workers' one or two; idle clients stay connected."""
    return max(conditions.tasks, 0) * 5 + rng.randint(1, 3)


def redis_cpu(conditions: Conditions, requests: int, seconds: float, rng: random.Random) -> float:
    """A few percent, with the traffic."""
    per_minute = requests * 60 / seconds if seconds > 0 else 0.0
    return round(1.2 + 4.0 * per_minute / REQUESTS_PER_MINUTE + rng.uniform(-0.4, 0.4), 2)


def db_connections(conditions: Conditions, rng: random.Random) -> int:
    """Connections the API's pools hold: ~30-40% of capacity, idle ~10-15% without traffic, more while requests are slow
    (they hold theirs longer), 88-98% when pressed; never more than the capacity."""
    capacity = conditions.pool_capacity
    if conditions.pool_pressed:
        share = rng.uniform(0.88, 0.98)
    elif not conditions.traffic:
        share = rng.uniform(0.10, 0.15)
    elif conditions.api_mode == "slow":
        share = rng.uniform(0.55, 0.65)
    else:
        share = rng.uniform(0.30, 0.40)
    return min(capacity, round(capacity * share))


def value_counts(values: list[float], places: int = 3) -> list[tuple[list[float], list[float]]]:
    """`values` as (Values, Counts) pairs of at most MAX_VALUES distinct values each (to the millisecond), ascending."""
    counted = sorted(Counter(round(max(v, 10 ** -places), places) for v in values).items())
    return [([v for v, _ in counted[i:i + MAX_VALUES]], [float(c) for _, c in counted[i:i + MAX_VALUES]])
            for i in range(0, len(counted), MAX_VALUES)]


def _samples(name: str, dims: list[dict], stamp: datetime, unit: str, values: list[float]) -> list[dict]:
    return [{**_datum(name, dims, stamp, unit), "Values": chunk, "Counts": counts} for chunk, counts in value_counts(values)]


def _failed(conditions: Conditions, requests: int, seconds: float, rng: random.Random) -> int:
    if conditions.api_mode == "failing":
        return requests  # every page and /health answer HTTP 500
    if conditions.errors_alarm:
        return min(requests, _poisson(rng, ALARM_5XX_PER_MINUTE * seconds / 60))
    return 0  # a calm demo has no 5xx: the plan's threshold is "any increase in 5xx errors"


def _rate(at: float) -> float:
    """Requests a minute: the usual rate with a slow swell (a 40-minute cycle), so the charts are not flat."""
    return REQUESTS_PER_MINUTE * (1 + 0.2 * math.sin(at / 2400 * 2 * math.pi))


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, a normal approximation for large ones)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _dims(**values: str) -> list[dict]:
    return [{"Name": name, "Value": value} for name, value in values.items()]


def _datum(name: str, dims: list[dict], stamp: datetime, unit: str, *, value: float | None = None) -> dict:
    datum = {"MetricName": name, "Dimensions": dims, "Timestamp": stamp, "Unit": unit}
    if value is not None:
        datum["Value"] = value
    return datum
