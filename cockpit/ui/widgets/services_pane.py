"""The services pane (each ECS service: task definition, images, counts, deployments, events)
and the feature flags pane (the runbook's declared flags in each service's task definition)."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from cockpit.core.text import one_line
from cockpit.monitor.services_watch import ServicesFailed, ServicesRead
from cockpit.probes.aws.ecs import ServiceState, TaskDefinition, short_name
from cockpit.runbook import Environment, Runbook

ROLLOUT_STYLES = {"COMPLETED": "green", "FAILED": "bold white on red", "IN_PROGRESS": "bold yellow"}
EVENTS_SHOWN = 3


class EcsPane(VerticalScroll, can_focus=True):
    """A titled pane fed by the services watcher; subclasses say what they draw."""

    def __init__(self, title: str, runbook: Runbook, env: Environment, *, live: bool, id: str) -> None:
        super().__init__(id=id, classes="pane")
        self.border_title = title
        self.runbook = runbook
        self.env = env
        self.live = live
        self.read: ServicesRead | None = None
        self.read_at: float | None = None
        self.failure: ServicesFailed | None = None
        self.failed_at = 0.0
        self._text: Text | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="ecs-body")

    def apply(self, report: object, now: float) -> None:
        """Take a report of the services watcher."""
        if isinstance(report, ServicesRead):
            self.read, self.read_at, self.failure = report, now, None
        elif isinstance(report, ServicesFailed):
            self.failure, self.failed_at = report, now

    def _status(self, now: float) -> Text:
        if self.failure is not None:
            left = max(0.0, self.failure.retry_in - (now - self.failed_at))
            word = "throttled" if self.failure.throttled else "cannot read ECS"
            return Text(f"{word}, retrying in {left:.0f} s: {one_line(self.failure.reason, 300)}\n", style="yellow" if self.failure.throttled else "red")
        if self.read_at is not None:
            return Text(f"read {now - self.read_at:.0f} s ago · cluster {self.env.ecs_cluster}\n", style="dim")
        if not self.env.ecs_cluster or not self.env.ecs_services:
            return Text("no ECS cluster or services in this environment\n", style="dim")
        return Text("reading…\n" if self.live else "not connected to ECS\n", style="dim")

    def body(self, now: float, wall: datetime) -> Text:
        """The pane's text (subclasses)."""
        raise NotImplementedError

    def show(self, now: float, wall: datetime) -> None:
        """Repaint when the text changed."""
        text = self.body(now, wall)
        if text != self._text:
            self._text = text
            self.query_one(".ecs-body", Static).update(text)

    def _td(self, reference: str) -> TaskDefinition | None:
        return self.read.task_definitions.get(reference) if self.read else None


def _ago(at: datetime | None, wall: datetime) -> str:
    if at is None:
        return "     "
    return f"{at.astimezone(timezone.utc):%H:%M}"


class ServicesPane(EcsPane):
    """Each ECS service of the environment."""

    def _service(self, out: Text, state: ServiceState, wall: datetime) -> None:
        if state.missing:
            out.append(f"{state.name}  NOT FOUND in {state.cluster}\n", style="bold magenta")
            return
        td = self._td(state.task_definition)
        out.append(state.name, style="bold")
        out.append(f"  {short_name(state.task_definition)}")
        if td is not None:
            out.append(f"  {', '.join(td.image_tags)}", style="cyan")
        out.append(f"  {state.running}/{state.desired} running" + (f" · {state.pending} pending" if state.pending else "") + "\n")
        for d in state.deployments:
            out.append(f"  {d.status:<8} {short_name(d.task_definition):<24} ")
            out.append(f"{d.rollout or '?':<11}", style=ROLLOUT_STYLES.get(d.rollout, "dim"))
            out.append(f" {d.running}/{d.desired}" + (f" · {d.failed} failed" if d.failed else "") + "\n")
            if d.rollout == "FAILED" and d.reason:
                out.append(f"           {one_line(d.reason, 200)}\n", style="red")
        for event in state.events[:EVENTS_SHOWN]:
            out.append(f"  {_ago(event.at, wall)} {one_line(event.message, 160)}\n", style="dim")

    def body(self, now: float, wall: datetime) -> Text:
        out = self._status(now)
        if self.read is None:
            for name in self.env.ecs_services:
                out.append(f"{name}\n")
            out.append("R: roll back a service\n", style="dim")
            return out
        for state in self.read.services:
            self._service(out, state, wall)
        out.append("R: roll back a service\n", style="dim")
        return out


FLAG_STYLES = {"on": "bold green", "off": "bold", "unset": "dim"}


class FlagsPane(EcsPane):
    """The runbook's declared boolean flags, as each service's current task definition sets them."""

    def body(self, now: float, wall: datetime) -> Text:
        out = Text()
        flags = [f.name for f in self.runbook.feature_flags]
        if not flags:
            return Text("The runbook declares no feature flags.", style="dim")
        if self.read is None:
            out.append_text(self._status(now))
        width = max(len(f) for f in flags)
        for state in self.read.services if self.read else ():
            td = self._td(state.task_definition)
            out.append(f"{state.name}", style="bold")
            out.append(f"  {short_name(state.task_definition)}\n" if td else "  (task definition not read)\n", style="dim")
            for flag in flags:
                value = td.flags.get(flag, "unset") if td else "?"
                out.append(f"  {flag:<{width}} ")
                out.append(f"{value}\n", style=FLAG_STYLES.get(value, "dim"))
        return out
