"""The runbook's settings tables (`[probes]`, `[cloudwatch]`, `[ecs]`, `[approval]`, `[github]`, `[actions]`): how
cockpit reaches the systems, with the defaults a runbook that leaves them out gets."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProbeSettings:
    """How the live panes and checks reach the backends (`[probes]` in the runbook).

    `intervals` overrides `interval_seconds` per backend (redis, database, api, pages).
    After a failure a backend is retried later and later, up to `max_backoff_seconds`.
    """

    interval_seconds: float = 2.0
    window_minutes: float = 5.0
    connect_timeout_seconds: float = 3.0
    read_timeout_seconds: float = 5.0
    max_backoff_seconds: float = 30.0
    intervals: dict[str, float] = field(default_factory=dict, compare=False)

    def interval(self, backend: str) -> float:
        """Seconds between two polls of `backend`."""
        return float(self.intervals.get(backend, self.interval_seconds))

    @property
    def slowest_seconds(self) -> float:
        """The longest one probe may take: connect plus read timeout."""
        return self.connect_timeout_seconds + self.read_timeout_seconds


@dataclass(frozen=True)
class CloudWatchSettings:
    """How the logs and alarms panes reach CloudWatch (`[cloudwatch]` in the runbook).

    Every log tab polls every `logs_interval_seconds`, re-reading the last
    `overlap_seconds` so events CloudWatch ingests late are not missed. All tabs share
    one budget of `requests_per_second` (CloudWatch Logs throttles per account and
    region). Each tab keeps the newest `buffer_lines` events.
    """

    logs_interval_seconds: float = 2.0
    alarms_interval_seconds: float = 15.0
    requests_per_second: float = 5.0
    overlap_seconds: float = 10.0
    buffer_lines: int = 20_000
    connect_timeout_seconds: float = 3.0
    read_timeout_seconds: float = 10.0
    max_backoff_seconds: float = 60.0


@dataclass(frozen=True)
class EcsSettings:
    """How the services pane and the rollback reach ECS (`[ecs]` in the runbook)."""

    interval_seconds: float = 10.0  # services pane polls
    rollout_timeout_seconds: float = 600.0  # a rollback's rollout is followed this long
    rollout_poll_seconds: float = 5.0


@dataclass(frozen=True)
class ApprovalSettings:
    """The two-person rule (`[approval]`): how long an approval counts, and whether rollbacks need one."""

    expires_minutes: float = 15.0
    rollbacks: str = ""  # "second-operator": every rollback waits for another operator's approval


@dataclass(frozen=True)
class GithubSettings:
    """Where the `github_workflow` actions go (`[github]`); `${VAR}` references resolved when an action runs."""

    repository: str = "${GITHUB_REPOSITORY}"
    api_url: str = "${GITHUB_API_URL:-https://api.github.com}"
    ref: str = "${COCKPIT_DEPLOY_REF:-main}"
    poll_seconds: float = 5.0


@dataclass(frozen=True)
class ActionSettings:
    """How `command` actions run (`[actions]`)."""

    workdir: str = "${COCKPIT_WORKDIR:-.}"
    command_timeout_seconds: float = 1800.0
    stop_grace_seconds: float = 5.0
