"""The rollback modal (`R`): service → revision (with the diff) → typed confirmation → rollout watch.

Everything ECS is read and done in daemon threads (quitting never waits for AWS); the
journal is written through the app's journal thread, the intent before `update_service`.
Read-only cockpits can look at every step but the confirmation is refused, and say so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import ContentSwitcher, Input, OptionList, Static
from textual.widgets.option_list import Option

from cockpit.core.text import one_line
from cockpit.monitor.aws import aws_target
from cockpit.monitor.loop import DaemonThreadExecutor
from cockpit.probes.aws.clients import make_client
from cockpit.probes.aws.ecs import TaskDefinition, describe_task_definition, short_name
from cockpit.probes.aws.errors import classify_aws
from cockpit.rollback.candidates import Candidates, load_candidates, revision_mark
from cockpit.rollback.diff import describe, diff
from cockpit.rollback.execute import Outcome, Progress, RollbackRun, refusal
from cockpit.rollback.plan import Revision, RollbackPlan, same
from cockpit.rollback.verify import health_verdict

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp

ALL = "@all"
ACTIVE: set[str] = set()  # services whose rollback is being watched (one at a time per cockpit)
DETAILED = 30  # revisions whose images and dates the list shows (one describe call each)
THREADS = DaemonThreadExecutor()


def _when(td: TaskDefinition | None, short: bool = False) -> str:
    if td is None or td.registered_at is None:
        return ""
    return f"{td.registered_at:%m-%d %H:%M}" if short else f"registered {td.registered_at:%Y-%m-%d %H:%M} UTC"


class RollbackScreen(ModalScreen[None]):
    """Pick a service and a revision, see the diff, type the confirmation, watch the rollout."""

    BINDINGS = [Binding("escape", "back", "Back")]
    app: CockpitApp

    def __init__(self, history: Callable[[], dict[str, list[str]]], on_done: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.history = history  # service → task definitions the journal saw it run, oldest first
        self.on_done = on_done or (lambda: None)
        self.service = ""
        self.runs: list[RollbackRun] = []
        self.client: Any = None
        self.found: dict[str, Candidates] = {}
        self.tds: dict[str, TaskDefinition] = {}
        self.plans: list[RollbackPlan] = []
        self.running = False
        self.lines: list[Text] = []

    # -- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        env = self.app.env
        with Vertical(id="rollback-dialog") as box:
            box.border_title = f"Rollback · {env.name}{' · PRODUCTION' if env.production else ''}"
            if self.app.read_only:
                yield Static(Text("READ-ONLY: this cockpit refuses rollbacks (--read-only). You can look, not act.", style="bold white on red"))
            yield Static("", id="rb-status")
            with ContentSwitcher(initial="rb-services", id="rb-steps"):
                services = [Option(Text(name), id=name) for name in env.ecs_services]
                if len(self._targets()) > 1:
                    services.append(Option(Text("all services, in the plan's order: " + " then ".join(self._targets())), id=ALL))
                yield OptionList(*services, id="rb-services")
                with Horizontal(id="rb-pick"):
                    yield OptionList(id="rb-revisions")
                    with VerticalScroll(id="rb-diff-scroll"):
                        yield Static("", id="rb-diff")
                with VerticalScroll(id="rb-confirm"):
                    yield Static("", id="rb-plan")
                    yield Input(id="rb-typed", placeholder="type the confirmation")
                    yield Static("", id="rb-refused")
                with VerticalScroll(id="rb-run"):
                    yield Static("", id="rb-progress")
            yield Static(Text("enter: choose · esc: back", style="dim"), id="rb-keys")

    def on_mount(self) -> None:
        """Start at the services."""
        self._app = self.app  # threads use it after the modal may be gone
        self._status("choose a service")
        self.query_one("#rb-services").focus()

    def _targets(self) -> list[str]:
        env = self.app.env
        ordered = [t.service for t in self.app.runbook.rollback_targets if t.service in env.ecs_services]
        return ordered or list(env.ecs_services)

    def _status(self, text: str, style: str = "") -> None:
        self.query_one("#rb-status", Static).update(Text(one_line(text, 400), style=style))

    def _show(self, step: str) -> None:
        self.query_one("#rb-steps", ContentSwitcher).current = step
        focus = {"rb-services": "#rb-services", "rb-pick": "#rb-revisions", "rb-confirm": "#rb-typed", "rb-run": "#rb-run"}[step]
        self.query_one(focus).focus()

    # -- blocking work in daemon threads -----------------------------------------------
    async def _blocking(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(THREADS, fn)

    def _client(self) -> Any:
        if self.client is None:
            self.client = make_client("ecs", aws_target(self.app.runbook, self.app.env))
        return self.client

    def _candidates(self, service: str) -> Candidates:
        if service not in self.found:
            seen = self.history().get(service, [])
            self.found[service] = load_candidates(self._client(), self.app.runbook, self.app.env, service, seen)
        return self.found[service]

    def _td(self, reference: str) -> TaskDefinition:
        if reference not in self.tds:
            flags = tuple(f.name for f in self.app.runbook.feature_flags)
            self.tds[reference] = describe_task_definition(self._client(), reference, flags)
        return self.tds[reference]

    async def _load(self, what: str, fn: Callable[[], Any]) -> Any:
        """`fn()` in a thread; None (and the reason on screen) when AWS said no."""
        self._status(f"{what}…")
        try:
            return await self._blocking(fn)
        except Exception as exc:  # AwsProblem, or boto3 while building the client
            self._status(classify_aws(exc, what).reason, "bold red")
            return None

    # -- step 1: the service -------------------------------------------------------------
    @on(OptionList.OptionSelected, "#rb-services")
    def _service_chosen(self, event: OptionList.OptionSelected) -> None:
        service = str(event.option.id)
        self.run_worker(self._open_all() if service == ALL else self._open_service(service), exclusive=True, group="rb-load")

    async def _open_service(self, service: str) -> None:
        found = await self._load(f"reading {service}", lambda: self._candidates(service))
        if found is None:
            return
        if found.state.missing:
            self._status(f"{service} is not a service of {self.app.env.ecs_cluster}", "bold red")
            return
        revisions = self.query_one("#rb-revisions", OptionList)
        revisions.clear_options()
        for r in found.revisions:
            revisions.add_option(Option(self._prompt(found, r), id=r.arn))
        preselect = found.choice.arn if found.choice else found.current
        index = next((i for i, r in enumerate(found.revisions) if r.arn == preselect), 0)
        revisions.highlighted = index
        why = found.choice.why if found.choice else "no earlier revision"
        self._status(f"{service}: {len(found.revisions)} revisions of {found.family}; preselected: {why}", "bold yellow" if found.choice and found.choice.guess else "")
        self.service = service
        self._show("rb-pick")
        self.run_worker(self._fill_details(found), exclusive=True, group="rb-details")

    def _prompt(self, found: Candidates, r: Revision) -> Text:
        """A revision's line: number, status, image tags and registration time once read, and its role."""
        td = self.tds.get(r.arn)
        mark = revision_mark(found, r)
        details = f" {', '.join(td.image_tags)} {_when(td, short=True)}" if td else ""
        return Text.assemble(f"{r.revision:>4} ", (f"{r.status:<8}", "dim" if r.status == "INACTIVE" else ""), details, (mark, "bold"))

    async def _fill_details(self, found: Candidates) -> None:
        """Read the newest revisions one by one (ECS has no batch call) and show their images and dates."""
        revisions = self.query_one("#rb-revisions", OptionList)
        for r in found.revisions[:DETAILED]:
            if await self._blocking(lambda a=r.arn: self._td_or_none(a)) is None:
                return
            revisions.replace_option_prompt(r.arn, self._prompt(found, r))

    def _td_or_none(self, reference: str) -> TaskDefinition | None:
        try:
            return self._td(reference)
        except Exception:  # noqa: BLE001 - shown when the revision is highlighted instead
            return None

    @on(OptionList.OptionHighlighted, "#rb-revisions")
    def _revision_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.run_worker(self._show_diff(str(event.option.id)), exclusive=True, group="rb-diff")

    async def _show_diff(self, arn: str) -> None:
        found = self.found[self.service]
        pair = await self._load(f"reading {short_name(arn)}", lambda: (self._td(found.current), self._td(arn)))
        if pair is None:
            return
        current, chosen = pair
        text = Text()
        text.append(f"{chosen.name}  {chosen.status}  {_when(chosen)}\n", style="bold")
        text.append(f"images: {', '.join(c.image for c in chosen.containers)}\n")
        if found.choice is not None and same(arn, found.choice.arn):
            text.append(f"preselected: {found.choice.why}\n", style="bold yellow" if found.choice.guess else "bold")
        if same(arn, found.current):
            text.append("\nthis is what runs now\n", style="bold")
        else:
            text.append(f"\nfrom {current.name} to {chosen.name}:\n", style="bold")
            changes = [describe(c) for c in diff(current, chosen)]
            text.append("\n".join(changes) if changes else "no difference in images, sizes, ports, command or variable names", style="" if changes else "dim")
            text.append("\n\n(variable and secret values are never shown)", style="dim")
        self.query_one("#rb-diff", Static).update(text)
        self._status(f"{self.service}: enter on a revision to roll back to it")

    @on(OptionList.OptionSelected, "#rb-revisions")
    def _revision_chosen(self, event: OptionList.OptionSelected) -> None:
        found = self.found[self.service]
        env = self.app.env
        plan = RollbackPlan(env.name, env.production, env.ecs_cluster, self.service, found.current, str(event.option.id),
                            found.inactive(str(event.option.id)))
        known = plan.from_arn in self.tds and plan.to_arn in self.tds  # read for the diff panel already
        self._confirm([plan], [diff(self.tds[plan.from_arn], self.tds[plan.to_arn])] if known else None)

    async def _open_all(self) -> None:
        plans = []
        env = self.app.env
        for service in self._targets():
            found = await self._load(f"reading {service}", lambda s=service: self._candidates(s))
            if found is None:
                return
            if found.choice is None:
                self._status(f"{service}: no earlier revision to roll back to", "bold red")
                return
            plans.append(RollbackPlan(env.name, env.production, env.ecs_cluster, service, found.current, found.choice.arn,
                                      found.inactive(found.choice.arn)))
        diffs = await self._load("reading task definitions", lambda: [diff(self._td(p.from_arn), self._td(p.to_arn)) for p in plans])
        if diffs is not None:
            self._confirm(plans, diffs)

    # -- step 3: the confirmation ----------------------------------------------------------
    def confirmation(self) -> str:
        """What must be typed for the plans on show."""
        if len(self.plans) == 1:
            return self.plans[0].confirmation
        words = " + ".join(p.service for p in self.plans)
        return f"{self.app.env.name}/{words}" if self.app.env.production else words

    def _confirm(self, plans: list[RollbackPlan], diffs: list | None = None) -> None:
        self.plans = plans
        text = Text()
        for i, plan in enumerate(plans):
            if len(plans) > 1:
                text.append(f"{i + 1}. {plan.service}" + (" (then, only if it worked, the next)" if i + 1 < len(plans) else "") + "\n", style="bold")
            text.append("\n".join(plan.lines()) + "\n")
            found = self.found.get(plan.service)
            if found and found.choice and same(found.choice.arn, plan.to_arn):
                text.append(f"why          {found.choice.why}\n", style="yellow" if found.choice.guess else "dim")
            for change in (diffs[i] if diffs else []):
                text.append(f"  {describe(change)}\n", style="dim")
            text.append("\n")
        refused = refusal(plans[0], read_only=self.app.read_only, typed=self.confirmation())
        if refused and "confirmation" not in refused:
            text.append(refused + "\n", style="bold red")
        text.append(f"Type {self.confirmation()!r} and press enter to roll back; esc goes back.", style="bold")
        self.query_one("#rb-plan", Static).update(text)
        typed = self.query_one("#rb-typed", Input)
        typed.value = ""
        typed.disabled = bool(refused and "confirmation" not in refused)
        self.query_one("#rb-refused", Static).update("")
        self._status("check the plan, then type the confirmation")
        self._show("rb-confirm")

    @on(Input.Submitted, "#rb-typed")
    def _typed(self, event: Input.Submitted) -> None:
        if self.running or ACTIVE:  # a second enter, or another rollback still being watched
            return
        typed = event.value.strip()
        problems = [refusal(p, read_only=self.app.read_only, typed=p.confirmation) for p in self.plans]
        problem = next((p for p in problems if p), "")
        if not problem and typed != self.confirmation():
            problem = f"refused: the confirmation must be exactly {self.confirmation()!r}"
        if problem:
            self.query_one("#rb-refused", Static).update(Text(problem, style="bold red"))
            self._scroll_to_end("#rb-confirm")  # at 80x24 the refusal is below the input: bring it in
            return
        self.running = True
        ACTIVE.update(p.service for p in self.plans)
        typed_input = self.query_one("#rb-typed", Input)
        typed_input.value, typed_input.disabled = "", True
        self._show("rb-run")
        self.run_worker(self._run_all(), group="rb-run", exclusive=True)

    # -- step 4: the rollout ----------------------------------------------------------------
    def _say(self, text: str, style: str = "") -> None:
        self.lines.append(Text(one_line(text, 300), style=style))
        self.query_one("#rb-progress", Static).update(Text("\n").join(self.lines[-200:]))
        self._scroll_to_end("#rb-run")  # the newest line (in the end, the verdict) stays in sight

    def _scroll_to_end(self, selector: str) -> None:
        scroll = self.query_one(selector, VerticalScroll)
        self.call_after_refresh(scroll.scroll_end, animate=False)

    def _progress(self, p: Progress) -> None:
        if not self.is_attached:  # the modal was closed: the watch goes on, nothing to draw
            return
        for event in p.events:
            self._app.call_from_thread(self._say, f"  event  {event.message}", "dim")
        self._app.call_from_thread(self._status, f"{p.elapsed:.0f} s · {p.running}/{p.desired} running · rollout {p.rollout or '?'}")

    def _record(self, step_id: str, kind: str, payload: dict) -> Any:
        """Journal through the engine and wait for the commit (called from the rollback thread)."""
        return self._app.call_from_thread(self._app.record_and_wait, step_id, kind, payload)

    def _job(self, run: RollbackRun) -> Outcome:
        """One service's rollback, in a daemon thread; its verdict is notified even if the modal is gone."""
        runbook, env, app = self._app.runbook, self._app.env, self._app
        try:
            outcome = run.run(verify=lambda: health_verdict(runbook, env, app.environ))
        except Exception as exc:  # the journal refused a write, or the watch broke: see the journal and ECS
            sent = "the update was sent, " if run.known_events or run.deployment else ""
            outcome = Outcome("error", f"{sent}stopped by an error: {one_line(str(exc), 200)}; check ECS and the journal")
        finally:
            ACTIVE.discard(run.plan.service)
        app.call_from_thread(app.notify, f"{run.plan.service}: {outcome.verdict}", title="rollback",
                             severity="information" if outcome.ok else "error", timeout=20, markup=False)
        return outcome

    async def _run_all(self) -> None:
        runbook = self.app.runbook
        for plan in self.plans:
            self._say(f"{plan.service}: {short_name(plan.from_arn)} → {short_name(plan.to_arn)}", "bold")
            run = RollbackRun(self._client(), plan, self._record, timeout=runbook.ecs.rollout_timeout_seconds,
                              poll=runbook.ecs.rollout_poll_seconds, progress=self._progress)
            self.runs.append(run)
            outcome: Outcome = await self._blocking(lambda r=run: self._job(r))
            self._say(f"{plan.service}: {outcome.verdict}", "bold green" if outcome.ok else "bold white on red")
            if not outcome.ok:
                if plan is not self.plans[-1]:
                    self._say("stopped: the next service was not touched", "bold red")
                break
        self.running = False
        ACTIVE.difference_update(p.service for p in self.plans)
        self._status("done · esc closes")
        self.on_done()

    # -- keys -----------------------------------------------------------------------------
    def action_back(self) -> None:
        """One step back; from the services, or once the rollout is over, close."""
        current = self.query_one("#rb-steps", ContentSwitcher).current
        if current == "rb-confirm" and len(self.plans) == 1:
            self._show("rb-pick")
        elif current in ("rb-pick", "rb-confirm"):
            self._show("rb-services")
        elif current == "rb-run" and self.running:
            # The watch of the service under way goes on in its thread (its verdict is notified and
            # journaled); a full rollback does not go on to the next service.
            self.notify("closing: the rollout under way is still watched; its verdict will be shown and journaled", timeout=8, markup=False)
            self.dismiss(None)
        else:
            self.dismiss(None)
