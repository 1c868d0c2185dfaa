"""Immutable runbook model. Built only by the loader, from validated TOML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cockpit.runbook.dashboards import Dashboard, MetricsSettings
from cockpit.runbook.settings import (  # noqa: F401  # re-exported: the runbook's model is one namespace
    ActionSettings,
    ApprovalSettings,
    CloudWatchSettings,
    EcsSettings,
    GithubSettings,
    ProbeSettings,
)

STEP_KINDS = ("manual", "check", "command", "info")
RISK_LEVELS = ("low", "medium", "high")
CHECK_TYPES = (
    "redis_ping",
    "db_pool_params",
    "env_vars",
    "health",
    "page",
    "threshold",
    "rds_health",
)
BACKENDS = ("redis", "database", "api", "pages")
ACTION_KINDS = ("github_workflow", "command", "slack")
APPROVALS = ("second-operator",)  # the two-person rule: `approval = "second-operator"` (issue 19)
GATED_KINDS = ("github_workflow", "command")  # the actions a gate holds back (issue 17)
# What a threshold can limit: the p99 over the live window (or a burst, for a check).
METRICS = ("api_p99", "dashboard_ttfb", "redis_latency", "database_latency")


@dataclass(frozen=True)
class CheckSpec:
    """What an automated check of a step verifies.

    `health` with `names` requires those /health components to be healthy; `page`
    loads `path` from the dashboard; `threshold` compares a latency with a threshold id;
    `env_vars` requires `names` to be defined (with `services`, also in the current task
    definition of each ECS service of the environment that needs them, as environment or
    secret: names only; which service needs which name is `EnvVar.services`). `rds_health` reads the
    DB instance `instance` (may name the environment's metric values as `{db_instance}`): its status, and
    the pool usage: RDS DatabaseConnections against DATABASE_URL's connection_limit x the running tasks
    of the ECS service `pool_of`.
    """

    type: str
    path: str = ""
    names: tuple[str, ...] = ()
    services: bool = False
    threshold: str = ""
    instance: str = ""
    pool_of: str = ""


@dataclass(frozen=True)
class Action:
    """One thing a step makes cockpit do (issue 17); a step's actions run in order, stopping at the first failure.

    `github_workflow`: dispatch `workflow` (a file name) of `repository` at `ref` with `inputs`, then watch the
    run ('' repository / ref: the runbook's `[github]` ones); `service`, when set, is the ECS service the workflow
    deploys: after a successful run the step waits for that service's new deployment to complete. `command`: `run`, the plan's shell lines as written,
    in `[actions] workdir`, with `env` added to cockpit's environment (values may name the environment's
    `{api_url}`, `{app_url}` or `{environment}`), for at most `timeout_seconds` (None: `[actions]`'s).
    `slack`: `text` to `channel` through its incoming webhook (`SLACK_WEBHOOK_<CHANNEL>`), shown for review
    first. Strings keep their `${VAR}` references: they are resolved when the action runs.
    """

    kind: str
    workflow: str = ""
    repository: str = ""
    ref: str = ""
    inputs: tuple[tuple[str, str], ...] = ()
    service: str = ""
    run: str = ""
    env: tuple[tuple[str, str], ...] = ()
    timeout_seconds: float | None = None
    channel: str = ""
    text: str = ""


@dataclass(frozen=True)
class Step:
    """One line of the checklist."""

    id: str
    title: str
    kind: str
    notes: str = ""
    command: str = ""
    expected: str = ""
    check: CheckSpec | None = None
    actions: tuple[Action, ...] = ()
    gate: tuple[str, ...] = ()  # check steps that must pass before a deploy or command of this step runs
    approval: str = ""  # "second-operator": its actions wait until another operator approves (engine/approvals.py)

    @property
    def gated(self) -> bool:
        """A deploy or a command changes a running system, so a gate holds it; a Slack message only tells people."""
        return any(a.kind in GATED_KINDS for a in self.actions)

    @property
    def tickable(self) -> bool:
        """Info steps are read, not done."""
        return self.kind != "info"


@dataclass(frozen=True)
class Phase:
    """A group of steps with its planned duration and risk."""

    id: str
    title: str
    steps: tuple[Step, ...]
    duration_minutes: int | None = None
    risk: str = ""
    summary: str = ""
    environments: tuple[str, ...] = ()
    contingency: bool = False
    gate: tuple[str, ...] = ()  # check steps that must pass before any gated step of the phase runs (go / no-go)

    def applies_to(self, env: str) -> bool:
        """True when the phase is part of a run in environment `env`."""
        return not self.environments or env in self.environments


@dataclass(frozen=True)
class Environment:
    """Where a run happens: its endpoints, data stores and AWS resources.

    `sources` maps a field name to the environment variables its value came from,
    so an empty field can say which variable to set; `defaulted` lists the fields whose
    value is a `${VAR:-default}` fallback, so a failure there can say so too; `absent`
    says why a field has no value where that is known (the demo without redis-server).

    `aws_account_id` and `github_repository` pin who cockpit may act as here ('' = no pin): an AWS account
    (STS GetCallerIdentity) or GitHub repository other than the pinned one refuses rollbacks and deploys.
    """

    name: str
    label: str
    production: bool
    api_url: str = ""
    app_url: str = ""
    redis_url: str = ""
    database_url: str = ""
    aws_region: str = ""
    aws_profile: str = ""
    ecs_cluster: str = ""
    ecs_services: tuple[str, ...] = ()
    log_groups: tuple[str, ...] = ()
    aws_account_id: str = ""
    github_repository: str = ""
    # [environments.NAME.metrics]: values the dashboards' dimensions and checks name as {key} ('' = not configured);
    # their variables are in `sources` under "metrics.KEY".
    metric_values: tuple[tuple[str, str], ...] = ()
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    defaulted: tuple[str, ...] = field(default=(), compare=False)
    absent: dict[str, str] = field(default_factory=dict, compare=False)  # field → why it has no value (cockpit demo)

    def default_note(self, field_name: str) -> str:
        """' (the runbook's default; set X)' when a field's value is a default, else ''."""
        if field_name not in self.defaulted:
            return ""
        return f" (the runbook's default; set {' or '.join(self.sources.get(field_name, ()))})"

    def missing(self, field_name: str) -> str:
        """Explain how to configure an empty field ('' when it has a value)."""
        if getattr(self, field_name):
            return ""
        if field_name in self.absent:
            return self.absent[field_name]
        names = self.sources.get(field_name, ())
        return f"set {' or '.join(names)}" if names else f"set {field_name} in the runbook"


@dataclass(frozen=True)
class EnvVar:
    """An environment variable the release needs (names only: values are never shown).

    `services` names the ECS services whose task definition must define it; None (the
    key absent) means every service of the environment, () none of them.
    """

    name: str
    status: str = ""
    description: str = ""
    example: str = ""
    services: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Page:
    """A dashboard page that must load."""

    path: str
    title: str
    expected: str = ""


@dataclass(frozen=True)
class Threshold:
    """A performance limit from the plan.

    `traffic`: the id of a dashboard metric with a percentile statistic (`api-p99`: the load
    balancer's TargetResponseTime p99, in ms): the check judges that figure over the last
    `[metrics] recent_minutes` of real traffic, with cockpit's own probe beside it ('' = the probe
    alone judges). Only for metric `api_p99`.
    """

    id: str
    title: str
    metric: str
    limit_ms: float
    action: str = ""
    traffic: str = ""


@dataclass(frozen=True)
class LogQuery:
    """A CloudWatch Logs filter the plan asks operators to watch."""

    id: str
    title: str
    log_group: str
    filter_pattern: str
    window_minutes: int = 60
    command: str = ""


@dataclass(frozen=True)
class Alarm:
    """A CloudWatch alarm to watch."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class RollbackTarget:
    """An ECS service the rollback acts on, in order."""

    service: str
    family: str


@dataclass(frozen=True)
class FeatureFlag:
    """A boolean flag read from a service's environment."""

    name: str
    constant: str = ""
    description: str = ""


@dataclass(frozen=True)
class Contact:
    """Who to call, and how to escalate."""

    role: str
    contact: str
    escalation: str = ""


@dataclass(frozen=True)
class Section:
    """Reference text carried verbatim (appendix, code snippets)."""

    title: str
    text: str = ""
    code: str = ""


@dataclass(frozen=True)
class Runbook:
    """A whole deployment plan."""

    id: str
    name: str
    version: str
    owner: str
    environments: dict[str, Environment]
    phases: tuple[Phase, ...]
    default_env: str = "staging"
    status: str = ""
    created: str = ""
    updated: str = ""
    summary: str = ""
    source: Path | None = None
    required_env: tuple[EnvVar, ...] = ()
    pages: tuple[Page, ...] = ()
    health_path: str = "/health"
    health_components: tuple[str, ...] = ()
    probes: ProbeSettings = field(default_factory=ProbeSettings)
    cloudwatch: CloudWatchSettings = field(default_factory=CloudWatchSettings)
    ecs: EcsSettings = field(default_factory=EcsSettings)
    github: GithubSettings = field(default_factory=GithubSettings)
    actions: ActionSettings = field(default_factory=ActionSettings)
    approval: ApprovalSettings = field(default_factory=ApprovalSettings)
    thresholds: tuple[Threshold, ...] = ()
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    dashboards: tuple[Dashboard, ...] = ()  # the metrics pane: the plan's CloudWatch dashboards ([[dashboards]])
    alarms: tuple[Alarm, ...] = ()
    log_queries: tuple[LogQuery, ...] = ()
    rollback_targets: tuple[RollbackTarget, ...] = ()
    feature_flags: tuple[FeatureFlag, ...] = ()
    feature_flags_note: str = ""
    feature_flags_code: str = ""
    contacts: tuple[Contact, ...] = ()
    appendix: tuple[Section, ...] = ()

    def steps(self) -> list[tuple[Phase, Step]]:
        """Every step with its phase, in order."""
        return [(phase, step) for phase in self.phases for step in phase.steps]

    def threshold(self, threshold_id: str) -> Threshold | None:
        """The threshold with id `threshold_id`, or None."""
        return next((t for t in self.thresholds if t.id == threshold_id), None)

    def step(self, step_id: str) -> Step | None:
        """The step with id `step_id`, or None."""
        return next((s for _, s in self.steps() if s.id == step_id), None)

    def phase_of(self, step_id: str) -> Phase | None:
        """The phase holding the step `step_id`, or None."""
        return next((p for p, s in self.steps() if s.id == step_id), None)

    def gate_of(self, step_id: str) -> tuple[str, ...]:
        """The effective gate of `step_id`: its phase's gate, then its own, each id once, in order."""
        found = next(((p, s) for p, s in self.steps() if s.id == step_id), None)
        return () if found is None else tuple(dict.fromkeys(found[0].gate + found[1].gate))
