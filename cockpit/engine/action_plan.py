"""What a step's actions will do, resolved when they run: the strings, the secrets, the refusals.

`prepare` turns a step's `Action`s into `Prepared` ones: `${VAR}` references resolved with
the engine's environ, `[github]` defaults, the environment's placeholders, the GitHub token
(`resolve_token`) and each Slack channel's webhook (`webhook_for`). A `Prepared` holds the
secrets and never leaves the engine; what it shows (`PlanItem`: the journal's `what` and the
lines of a dry run) holds none: URLs without the webhook's path, the token by its source only.

A command's `run` is not interpolated: bash expands its `${VAR}`s itself, with the same
environment (a line may set a variable a later line reads, which cockpit cannot know).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cockpit.actions.github import GitHubConfigError, GitHubToken, WorkflowConfig, resolve_token
from cockpit.actions.slack import SlackConfigError, Webhook, webhook_for
from cockpit.core.redact import redact_secrets
from cockpit.core.text import one_line
from cockpit.runbook import Environment, Runbook
from cockpit.runbook.interpolate import InterpolationError, interpolate
from cockpit.runbook.model import Action, Step
from cockpit.runbook.templates import fill

COMMAND_PLACEHOLDERS = ("api_url", "app_url", "environment")
SLACK_PLACEHOLDERS = ("environment", "runbook", "phase", "who", "step", "checks", "gate")


@dataclass(frozen=True)
class PlanItem:
    """One action as shown and journaled: `what` (journal-safe), `lines` (a dry run's text), `problem` ('' when runnable)."""

    index: int
    kind: str
    what: dict[str, Any]
    lines: tuple[str, ...]
    problem: str = ""


def problem_lines(items: Iterable[PlanItem]) -> tuple[str, ...]:
    """Why the actions cannot run, one line per action that cannot: 'action 2 (slack): SLACK_WEBHOOK_X is not set'."""
    return tuple(f"action {i.index + 1} ({i.kind}): {i.problem}" for i in items if i.problem)


@dataclass(frozen=True)
class ActionPlan:
    """A step's actions as they would run now in `environment` (no secret in it: safe to print and pickle)."""

    step_id: str
    title: str
    environment: str
    production: bool
    items: tuple[PlanItem, ...]

    @property
    def problems(self) -> tuple[str, ...]:
        """Why it cannot run, one line per action that cannot."""
        return problem_lines(self.items)

    def text(self) -> str:
        """The plan for a person: each action and exactly what it sends."""
        head = f"Step {self.step_id}: {one_line(self.title, 100)} ({self.environment}{', PRODUCTION' if self.production else ''})"
        lines = [head]
        for item in self.items:
            lines.append(f"  {item.index + 1}. {item.kind}")
            lines += [f"       {line}" for line in item.lines]
            if item.problem:
                lines.append(f"       cannot run: {item.problem}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Prepared:
    """One action ready to run (holds secrets: never emitted, journaled or pickled)."""

    item: PlanItem
    action: Action
    workflow: WorkflowConfig | None = None
    token: GitHubToken | None = field(default=None, repr=False)
    webhook: Webhook | None = field(default=None, repr=False)
    text: str = ""
    script: str = ""
    cwd: str = ""
    env: dict[str, str] = field(default_factory=dict, repr=False)
    timeout: float | None = None


class Resolver:
    """Resolves one step's strings for one run: environ, environment, who."""

    def __init__(self, runbook: Runbook, env: Environment, environ: Mapping[str, str], who: str,
                 run_values: Mapping[str, str] | None = None) -> None:
        self.runbook, self.env, self.environ, self.who = runbook, env, environ, who
        self.run_values = run_values or {}  # placeholders only the desk knows: {checks}, {gate}

    def var(self, value: str) -> str:
        """`value` with its `${VAR}` references resolved (InterpolationError when malformed)."""
        return interpolate(value, self.environ)[0]

    def placeholders(self, value: str, names: tuple[str, ...], step: Step) -> str:
        phase = next((p.title for p, s in self.runbook.steps() if s.id == step.id), "")
        known = {"api_url": self.env.api_url, "app_url": self.env.app_url, "environment": self.env.name,
                 "runbook": f"{self.runbook.name} v{self.runbook.version}", "phase": phase, "who": self.who, "step": step.title, **self.run_values}
        return fill(value, {name: known[name] for name in names if name in known})  # one pass: a value is never re-read


async def prepare(runbook: Runbook, env: Environment, step: Step, environ: Mapping[str, str], who: str, *,
                  timeout: float | None = None, run_values: Mapping[str, str] | None = None) -> list[Prepared]:
    """Every action of `step` resolved (a problem noted on the item, never raised). `timeout` overrides the commands';
    `run_values` fills the placeholders only the run knows ({checks}, {gate})."""
    resolver = Resolver(runbook, env, environ, who, run_values)
    prepared = []
    for index, action in enumerate(step.actions):
        try:
            if action.kind == "github_workflow":
                prepared.append(await _github(resolver, index, action))
            elif action.kind == "command":
                prepared.append(_command(resolver, index, action, step, timeout))
            elif action.kind == "slack":
                prepared.append(_slack(resolver, index, action, step))
            else:
                prepared.append(Prepared(PlanItem(index, action.kind, {}, (), f"unknown action kind {action.kind!r}"), action))
        except (InterpolationError, GitHubConfigError, SlackConfigError) as exc:
            prepared.append(Prepared(PlanItem(index, action.kind, {}, (), one_line(str(exc), 240)), action))
    return prepared


def plan_of(step: Step, env: Environment, prepared: list[Prepared]) -> ActionPlan:
    """The printable plan of prepared actions."""
    return ActionPlan(step.id, step.title, env.name, env.production, tuple(p.item for p in prepared))


async def _github(r: Resolver, index: int, action: Action) -> Prepared:
    settings = r.runbook.github
    repository = r.var(action.repository or settings.repository).strip()
    ref = r.var(action.ref or settings.ref).strip()
    api_url = r.var(settings.api_url).strip() or "https://api.github.com"
    inputs = {name: r.var(value) for name, value in action.inputs}
    what = {"workflow": action.workflow, "repository": repository, "ref": ref, "inputs": inputs, "api_url": api_url}
    lines = (f"POST {api_url.rstrip('/')}/repos/{repository or '?'}/actions/workflows/{action.workflow}/dispatches",
             f"ref {ref or '?'} · inputs {' '.join(f'{k}={v}' for k, v in inputs.items()) or '(none)'}",
             f"then watch the run every {settings.poll_seconds:g} s until it completes",
             *([f"then wait for {action.service}'s new ECS deployment to complete"] if action.service else []))
    if not repository:
        return _refused(index, action, what, lines, "no GitHub repository: set GITHUB_REPOSITORY (or [github] repository)")
    try:
        config = WorkflowConfig(repository, action.workflow, ref, inputs, api_url)
    except GitHubConfigError as exc:
        return _refused(index, action, what, lines, str(exc))
    try:
        token = await resolve_token(config.api_url, r.environ)
    except GitHubConfigError as exc:
        return _refused(index, action, what, lines, str(exc))
    return Prepared(PlanItem(index, action.kind, what, (*lines, f"token from {token.source}")), action, workflow=config, token=token)


def _command(r: Resolver, index: int, action: Action, step: Step, timeout: float | None) -> Prepared:
    settings = r.runbook.actions
    cwd = os.path.abspath(os.path.expanduser(r.var(settings.workdir).strip() or "."))
    added = {name: r.placeholders(r.var(value), COMMAND_PLACEHOLDERS, step) for name, value in action.env}
    seconds = timeout if timeout is not None else action.timeout_seconds if action.timeout_seconds is not None else settings.command_timeout_seconds
    shown_env = {name: redact_secrets(value) for name, value in added.items()}
    what = {"run": action.run, "workdir": cwd, "env": shown_env, "timeout_seconds": seconds}
    lines = (f"bash in {cwd} (timeout {seconds:g} s)", *(f"env {k}={v}" for k, v in shown_env.items()),
             *(f"| {line}" for line in action.run.splitlines()))
    if not action.run.strip():
        return _refused(index, action, what, lines, "the action has no `run` lines")
    env = {**r.environ, **added}
    return Prepared(PlanItem(index, action.kind, what, lines), action, script=action.run, cwd=cwd, env=env, timeout=seconds)


def _slack(r: Resolver, index: int, action: Action, step: Step) -> Prepared:
    channel = r.var(action.channel).strip()
    text = r.placeholders(r.var(action.text), SLACK_PLACEHOLDERS, step)
    what = {"channel": channel, "text": text}
    lines = [f"POST to #{channel.removeprefix('#')}'s incoming webhook", *(f"> {line}" for line in text.splitlines())]
    try:
        webhook = webhook_for(channel, r.environ)
    except SlackConfigError as exc:
        return _refused(index, action, what, tuple(lines), str(exc))
    parts = urlsplit(webhook.url)
    lines[0] = f"POST {parts.scheme}://{parts.netloc.rpartition('@')[2]}/*** (the webhook in {webhook.variable}) for {webhook.channel}"
    if not text.strip():
        return _refused(index, action, what, tuple(lines), "the message is empty")
    return Prepared(PlanItem(index, action.kind, {**what, "webhook": webhook.variable}, tuple(lines)), action, webhook=webhook, text=text)


def _refused(index: int, action: Action, what: dict[str, Any], lines: tuple[str, ...], problem: str) -> Prepared:
    return Prepared(PlanItem(index, action.kind, what, lines, one_line(problem, 240)), action)
