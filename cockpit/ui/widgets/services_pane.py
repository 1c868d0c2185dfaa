"""The services pane (one line per ECS service, problems first: which revision serves, what ECS is
moving to, then deployments and events) and the feature flags pane (the runbook's declared flags
as the serving revision sets them). Both read each service through monitor/rollout.py.

A deploy step's rollout (DeployRollout) marks its service's row, `deploy b-deploy-staging:
IN_PROGRESS`: the operator sees which deployment the step caused without correlating by eye.
While the pane's own read lists that deployment, the mark shows the state ECS reports there
(fresher than the engine's last follow-up event, and true even after the step stopped watching)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from cockpit.core.text import one_line
from cockpit.engine.events import DeployRollout, RollbackElsewhere, ServicesFailed, ServicesRead, ServiceState, TaskDefinition, short_name
from cockpit.monitor.rollout import DEPLOYING, FAILED, FAILING, MISSING, OK, ROLLING_BACK, SCALED_TO_ZERO, SHORT, ServiceHealth, service_health
from cockpit.monitor.verdict import Answered, ServicesSeen
from cockpit.rollback.plan import same
from cockpit.runbook import Environment, Runbook
from cockpit.ui.widgets.fold import Refits, block, detailed, fit, fold, rows_for

ROLLOUT_STYLES = {"COMPLETED": "green", "FAILED": "bold white on red", "IN_PROGRESS": "bold yellow"}
MARK_STYLES = {**ROLLOUT_STYLES, "UNKNOWN": "yellow"}
MARK_ROOM = 8  # cells of figures the summary needs at least beside the whole mark
EVENTS_SHOWN = 3
WORDS = {OK: "OK", DEPLOYING: "DEPLOY", SHORT: "SHORT", SCALED_TO_ZERO: "ZERO", FAILING: "FAILING", FAILED: "FAILED",
         ROLLING_BACK: "ROLLBACK", MISSING: "MISSING"}
SERVICE_STYLES = {OK: "bold green", DEPLOYING: "bold yellow", SHORT: "bold yellow", SCALED_TO_ZERO: "bold yellow",
                  FAILING: "bold white on red", FAILED: "bold white on red", ROLLING_BACK: "bold white on red", MISSING: "bold magenta"}
RANK = {"FAILED": 3, "ROLLBACK": 3, "MISSING": 3, "FAILING": 3, "SHORT": 2, "ZERO": 2, "DEPLOY": 1, "unknown": 1, "OK": 0}


class EcsPane(Refits, VerticalScroll, can_focus=True):
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

    def _status(self, now: float) -> tuple[str, str]:
        """(short status for the border, its style)."""
        if self.failure is not None:
            left = max(0.0, self.failure.retry_in - (now - self.failed_at))
            word = "throttled" if self.failure.throttled else "cannot read ECS"
            return f"{word}, retrying in {left:.0f} s", "yellow" if self.failure.throttled else "bold red"
        if self.read_at is not None:
            return f"read {now - self.read_at:.0f} s ago", "dim"
        if not self.env.ecs_cluster or not self.env.ecs_services:
            return "no ECS cluster or services in this environment", "dim"
        return ("reading…" if self.live else "not connected to ECS"), "dim"

    def _failure_text(self) -> Text:
        if self.failure is None:
            return Text()
        return Text(one_line(self.failure.reason, 300) + "\n", style="yellow" if self.failure.throttled else "red")

    def healths(self) -> list[ServiceHealth]:
        """Each watched service's verdict, problems first (empty before the first read)."""
        found = [service_health(state) for state in self.read.services] if self.read else []
        return sorted(found, key=lambda h: -h.severity)

    def seen(self, interval: float, grace: float = 0.0) -> ServicesSeen:
        """What the verdict needs: each service's health and when ECS was read."""
        return ServicesSeen(tuple(self.healths()), Answered(self.read_at, interval, self.failure.reason if self.failure else "", grace))

    def body(self, now: float, wall: datetime, width: int = 200, rows: int = 0) -> Text:
        """The pane's text, fitted to `width` and folded into `rows` (0: the status line first, no fold)."""
        raise NotImplementedError

    def show(self, now: float, wall: datetime) -> None:
        """Repaint when the text changed; the status goes in the border."""
        status, _ = self._status(now)
        self.border_subtitle = status
        region = self.scrollable_content_region
        text = self.body(now, wall, region.width or 36, rows_for(self) or -1)
        self._shown_at = (now, wall)
        if text != self._text:
            self._text = text
            self.query_one(".ecs-body", Static).update(text)

    def _td(self, reference: str) -> TaskDefinition | None:
        return self.read.task_definitions.get(reference) if self.read else None


def _ago(at: datetime | None, wall: datetime) -> str:
    if at is None:
        return "     "
    return f"{at.astimezone(UTC):%H:%M}"


class ServicesPane(EcsPane):
    """One line per ECS service (problems first: what serves, what ECS moves to), then the details."""

    def __init__(self, title: str, runbook: Runbook, env: Environment, *, live: bool, id: str) -> None:
        super().__init__(title, runbook, env, live=live, id=id)
        self.marks: dict[str, DeployRollout] = {}  # service → the last rollout a deploy step reported on it
        self.elsewhere: dict[str, RollbackElsewhere] = {}  # service → another operator's rollback of it under way

    def apply(self, report: object, now: float) -> None:
        """Take a report of the services watcher, a deploy step's rollout, or another operator's rollback."""
        if isinstance(report, DeployRollout):
            self.marks[report.service] = report
        elif isinstance(report, RollbackElsewhere):
            if report.who:
                self.elsewhere[report.service] = report
            else:
                self.elsewhere.pop(report.service, None)
        else:
            super().apply(report, now)

    def mark_state(self, mark: DeployRollout) -> str:
        """The marked deployment's rolloutState: as the pane's read lists it when it does, else as the step said."""
        state = next((s for s in self.read.services if s.name == mark.service), None) if self.read else None
        found = next((d for d in state.deployments if d.id == mark.deployment_id), None) if state and mark.deployment_id else None
        return found.rollout if found is not None and found.rollout else mark.state

    def marked(self, line: Text, service: str, width: int, build: Callable[[int], Text], bare: Callable[[int], Text], need: int) -> Text:
        """`line` with the service's deploy mark after it, all within `width` cells. Where the whole mark does not fit
        beside the summary (`build(room)`), the figures go first (`bare(room)`: the word and the name, `need` cells),
        then the word "deploy", then the step's name: never the service's name nor the state (the focused pane's
        details show the mark whole)."""
        mark = self.marks.get(service)
        if mark is None:
            return line
        state = self.mark_state(mark)
        tiers = ((f" · deploy {mark.step_id}: ", build, need + MARK_ROOM), (f" · deploy {mark.step_id}: ", bare, need),
                 (f" · {mark.step_id}: ", bare, need))
        words, out = " · deploy ", bare(max(1, width - cell_len(" · deploy " + state)))
        for w, make, least in tiers:
            room = width - cell_len(w + state)
            made = make(max(1, room)) if room >= least else None
            if made is not None and (make is bare or service in made.plain):  # a summary that cut the name is not taken
                words, out = w, made
                break
        out.append(words)
        out.append(state, style=MARK_STYLES.get(state, "yellow"))
        out.truncate(width, overflow="ellipsis")  # a pane narrower than the word, the name and the state
        return out

    def _tags(self, reference: str) -> str:
        """' v1.4.24': the image tags of a revision once its task definition is read ('' before)."""
        td = self._td(reference)
        return f" {', '.join(td.image_tags)}" if td else ""

    def _revision(self, reference: str) -> str:
        """'avnz-api:24 v1.4.24': a revision and its image tags."""
        return short_name(reference) + self._tags(reference)

    def _rev(self, reference: str, service: str) -> str:
        """':25' for the service's own family (the name says it), else ' family:25'."""
        name = short_name(reference)
        family, _, number = name.rpartition(":")
        return f":{number}" if family == service else f" {name}"

    def summary_line(self, h: ServiceHealth, width: int, word_width: int = 8) -> Text:
        """`FAILED avnz-api:25 failed · :24 serves 2/2`, fitted to `width`: the tags go first, then
        words, and the service name is cut (with an ellipsis) before any figure."""
        line = Text(f"{WORDS[h.state]:<{word_width}} ", style=SERVICE_STYLES[h.state])
        rev = lambda ref: self._rev(ref, h.name)  # noqa: E731
        serving = f"{rev(h.serving).strip()} {h.serving_running}/{h.desired}" if h.serving else "none running"
        if h.state == MISSING:
            rests = [f" not found ({h.reason})", " not found"]
        elif h.state in (FAILED, ROLLING_BACK):
            rests = [f"{rev(h.failed)} failed · {serving.replace(' ', ' serves ', 1) if h.serving else serving}",
                     f"{rev(h.failed)} failed, {serving}", f"{rev(h.failed)}✗ {serving}"]
        elif h.state == FAILING:
            rests = [f"{rev(h.target)} {h.target_running}/{h.desired}, {h.failed_tasks} failed · {serving}",
                     f"{rev(h.target)} {h.failed_tasks} failed, {serving}"]
        elif h.state == DEPLOYING and not same(h.serving, h.target):
            rests = [f"{rev(h.target)} {h.target_running}/{h.desired} · {serving.replace(' ', ' serves ', 1) if h.serving else serving}",
                     f" →{rev(h.target).strip()} {h.target_running}/{h.desired}, {serving}"]
        else:
            rests = [f"{rev(h.target)}{self._tags(h.target)} {h.target_running}/{h.desired}", f"{rev(h.target)} {h.target_running}/{h.desired}"]
        room = width - line.cell_len
        rest = next((r for r in rests if cell_len(h.name) + cell_len(r) <= room), rests[-1])
        line.append(fit(fit(h.name, max(1, room - cell_len(rest))) + rest, room))
        return line

    def _details(self, out: Text, state: ServiceState, wall: datetime) -> None:
        if state.missing:
            out.append(f"{state.name}: NOT FOUND in {state.cluster}\n", style="bold magenta")
            return
        out.append(state.name, style="bold")
        out.append(f"  {state.running}/{state.desired} running" + (f" · {state.pending} pending" if state.pending else "") + "\n")
        mark = self.marks.get(state.name)
        other = self.elsewhere.get(state.name)
        if other is not None:
            out.append(f"  rollback by {other.who} since {other.since}: under way in their cockpit (journaled)\n", style="bold yellow")
        for d in state.deployments:
            out.append(f"  {d.status:<8} {self._revision(d.task_definition)} ")
            out.append(f"{d.rollout or '?'}", style=ROLLOUT_STYLES.get(d.rollout, "dim"))
            out.append(f" {d.running}/{d.desired}" + (f" · {d.failed} failed" if d.failed else ""))
            out.append(f" ← {mark.step_id}\n" if mark is not None and mark.deployment_id == d.id else "\n")
        if mark is not None:
            out.append(f"  deploy {mark.step_id}: ")
            out.append(self.mark_state(mark), style=MARK_STYLES.get(self.mark_state(mark), "yellow"))
            out.append(f" · {one_line(mark.text, 300)}\n", style="dim")
            if d.rollout == "FAILED" and d.reason:
                out.append(f"    {one_line(d.reason, 300)}\n", style="red")
        for event in state.events[:EVENTS_SHOWN]:
            out.append(f"  {_ago(event.at, wall)} {one_line(event.message, 300)}\n", style="dim")

    def lines(self, width: int) -> tuple[list[Text], list[str]]:
        """The summary lines and their states, problems first."""
        if self.read is None:
            names = []
            for name in self.env.ecs_services:
                only = lambda room, n=name: Text(fit(n, room))  # noqa: E731
                names.append(self.marked_line(name, width, only, only, cell_len(name)))
            return names, ["unknown"] * len(self.env.ecs_services)
        healths = self.healths()
        word_width = max((len(WORDS[h.state]) for h in healths), default=2)
        lines = []
        for h in healths:
            summary = lambda room, h=h: self.summary_line(h, room, word_width)  # noqa: E731
            # The revision that serves stays beside a mark (which one runs), when it is the one deployed; a failing or
            # moving service's figures need more room than a bare line has: its word says it, the details show them.
            rev = self._rev(h.target, h.name) if h.target and h.serving and same(h.serving, h.target) else ""
            bare = lambda room, h=h, rev=rev: Text(f"{WORDS[h.state]:<{word_width}} ", style=SERVICE_STYLES[h.state]) + Text(  # noqa: E731
                fit(h.name, max(1, room - word_width - 1 - cell_len(rev))) + rev)
            lines.append(self.marked_line(h.name, width, summary, bare, word_width + 1 + cell_len(h.name + rev)))
        return lines, [WORDS[h.state] for h in healths]

    def marked_line(self, service: str, width: int, build: Callable[[int], Text], bare: Callable[[int], Text], need: int) -> Text:
        """The service's line with its deploy mark (`marked`); while another operator rolls it back, instead of the mark
        ` · ROLLBACK by WHO since HH:MM UTC`, in shorter forms where that does not fit (the figures give up room for it,
        never the service's name: at the narrowest the tag is one `↺`; the details say it whole, and the mark)."""
        other = self.elsewhere.get(service)
        if other is None:
            return self.marked(build(width), service, width, build, bare, need)
        for tag in (f" · ROLLBACK by {other.who} since {other.since}", f" · ROLLBACK by {other.who}", f" · ↺ {other.who}"):
            room = width - cell_len(tag)
            line = build(room) if room >= need else None  # the rollback under way outranks a deploy's mark (details keep it)
            if line is not None and service in line.plain:  # a tag that cut the name away is not taken
                line.append(tag, style="bold yellow")
                return line
        line = build(max(1, width - 2))
        line.append(" ↺", style="bold yellow")
        return line
        line = build(width)
        line.truncate(max(1, width - 2))
        line.append(" ↺", style="bold yellow")
        return line

    def body(self, now: float, wall: datetime, width: int = 200, rows: int = 0) -> Text:
        status, style = self._status(now)
        out = Text(status + "\n", style=style) if rows == 0 else Text()
        lines, states = self.lines(width)
        if self.failure is not None and rows:
            lines.insert(0, Text(fit("UNREAD   " + status, width), style=style))
            states.insert(0, "unknown")
        out.append_text(block(fold(lines, max(rows, 0), states, RANK)))
        if rows == 0 or detailed(self):
            out.append_text(self._failure_text())
            if self.read is not None:
                by_name = {s.name: s for s in self.read.services}
                for h in self.healths():
                    self._details(out, by_name[h.name], wall)
            out.append("R: roll back a service\n", style="dim")
        out.rstrip()
        return out


FLAG_STYLES = {"on": "bold green", "off": "bold", "unset": "dim"}


class FlagsPane(EcsPane):
    """The runbook's declared boolean flags, as the revision that SERVES each service sets them.

    While a deployment is under way or failed, the flags shown are those of the tasks that
    answer requests, and the line says which revision ECS is moving to.
    """

    def body(self, now: float, wall: datetime, width: int = 200, rows: int = 0) -> Text:
        out = Text()
        flags = [f.name for f in self.runbook.feature_flags]
        if not flags:
            return Text("The runbook declares no feature flags.", style="dim")
        if self.read is None:
            status, style = self._status(now)
            return Text(status + "\n", style=style) + self._failure_text()
        name_width = max(len(f) for f in flags)
        lines: list[Text] = []
        counted: list[Text] = []  # one line per service, when there is no room for every flag
        for h in self.healths():
            reference = h.serving or h.target
            td = self._td(reference)
            head = Text(h.name, style="bold")
            where = f" {short_name(reference)}" + ("" if h.serving else " (no task running)") if td else " (task definition not read)"
            if h.serving and not same(h.serving, h.target):
                where += f" · {short_name(h.target)} {WORDS[h.state]}"
            head.append(fit(where, max(1, width - head.cell_len)), style=SERVICE_STYLES[h.state] if h.state != OK else "dim")
            lines.append(head)
            values = [td.flags.get(flag, "unset") if td else "?" for flag in flags]
            for flag, value in zip(flags, values):
                value_room = max(len(value), 5) + 1
                line = Text(f"  {fit(flag, max(4, width - 2 - value_room)):<{max(0, min(name_width, width - 2 - value_room))}} ")
                line.append(value, style=FLAG_STYLES.get(value, "dim"))
                lines.append(line)
            tally = " ".join(f"{values.count(v)} {v}" for v in ("on", "off", "unset", "?", "set (secret)") if values.count(v))
            short = Text(short_name(reference) if td else h.name, style="bold")
            short.append(f" {tally}")
            counted.append(Text(fit(short.plain, width), style="") if short.cell_len > width else short)
        if 0 < rows < len(lines) and len(counted) <= rows:
            lines = counted
        out.append_text(block(fold(lines, max(rows, 0), [""] * len(lines), RANK)))
        return out
