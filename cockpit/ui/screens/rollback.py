"""The rollback modal (`R`): service → revision (with the diff) → typed confirmation → rollout watch.

Everything ECS is read and done by the engine (engine/rollbacks.py): the modal asks
(AskCandidates, AskTaskDefinition, StartRollback) and draws the answers and the progress
the cockpit screen hands it. Read-only cockpits can look at every step but the
confirmation is refused, and say so.
"""

from __future__ import annotations

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
from cockpit.engine.commands import AskCandidates, AskTaskDefinition, StartRollback, StopAfterCurrent
from cockpit.engine.events import RollbackEnded, RolloutProgress, TaskDefinition, short_name
from cockpit.rollback.candidates import Candidates, revision_mark
from cockpit.rollback.diff import describe, diff
from cockpit.rollback.execute import refusal
from cockpit.rollback.plan import Revision, RollbackPlan, same

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp

ALL = "@all"
DETAILED = 30  # revisions whose images and dates the list shows (one describe call each)


def _when(td: TaskDefinition | None, short: bool = False) -> str:
    if td is None or td.registered_at is None:
        return ""
    return f"{td.registered_at:%m-%d %H:%M}" if short else f"registered {td.registered_at:%Y-%m-%d %H:%M} UTC"


class RollbackScreen(ModalScreen[None]):
    """Pick a service and a revision, see the diff, type the confirmation, watch the rollout."""

    BINDINGS = [Binding("escape", "back", "Back")]
    app: CockpitApp

    def __init__(self, active: Callable[[], set[str]]) -> None:
        super().__init__()
        self.active = active  # the services whose rollback the engine is running now
        self.service = ""
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

    # -- asking the engine -------------------------------------------------------------------
    async def _load(self, what: str, ask: Callable[[int], Any]) -> Any:
        """The engine's answer to `ask(request)`; None (and the reason on screen) when there is none."""
        self._status(f"{what}…")
        answer = await self.app.ask(ask)
        if answer.error:
            self._status(answer.error, "bold red")
            return None
        return answer.value

    async def _candidates(self, service: str) -> Candidates | None:
        if service not in self.found:
            found = await self._load(f"reading {service}", lambda r: AskCandidates(r, service))
            if found is None:
                return None
            self.found[service] = found
        return self.found[service]

    async def _td(self, reference: str, quiet: bool = False) -> TaskDefinition | None:
        if reference not in self.tds:
            if quiet:  # the list's details: a failure shows when the revision is highlighted instead
                answer = await self.app.ask(lambda r: AskTaskDefinition(r, reference))
                td = answer.value
            else:
                td = await self._load(f"reading {short_name(reference)}", lambda r: AskTaskDefinition(r, reference))
            if td is None:
                return None
            self.tds[reference] = td
        return self.tds[reference]

    # -- step 1: the service -------------------------------------------------------------
    @on(OptionList.OptionSelected, "#rb-services")
    def _service_chosen(self, event: OptionList.OptionSelected) -> None:
        service = str(event.option.id)
        self.run_worker(self._open_all() if service == ALL else self._open_service(service), exclusive=True, group="rb-load")

    async def _open_service(self, service: str) -> None:
        found = await self._candidates(service)
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
            if await self._td(r.arn, quiet=True) is None:
                return
            revisions.replace_option_prompt(r.arn, self._prompt(found, r))

    @on(OptionList.OptionHighlighted, "#rb-revisions")
    def _revision_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.run_worker(self._show_diff(str(event.option.id)), exclusive=True, group="rb-diff")

    async def _show_diff(self, arn: str) -> None:
        found = self.found[self.service]
        current = await self._td(found.current)
        chosen = await self._td(arn) if current is not None else None
        if current is None or chosen is None:
            return
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
            found = await self._candidates(service)
            if found is None:
                return
            if found.choice is None:
                self._status(f"{service}: no earlier revision to roll back to", "bold red")
                return
            plans.append(RollbackPlan(env.name, env.production, env.ecs_cluster, service, found.current, found.choice.arn,
                                      found.inactive(found.choice.arn)))
        diffs = []
        for p in plans:
            before, after = await self._td(p.from_arn), await self._td(p.to_arn)
            if before is None or after is None:
                return
            diffs.append(diff(before, after))
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
        if self.running or self.active():  # a second enter, or another rollback still being watched
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
        typed_input = self.query_one("#rb-typed", Input)
        typed_input.value, typed_input.disabled = "", True
        self._show("rb-run")
        self._status("sent to the engine: the intent is journaled before ECS is asked")
        self.app.send(StartRollback(tuple(self.plans)))

    # -- step 4: the rollout ----------------------------------------------------------------
    def _say(self, text: str, style: str = "") -> None:
        self.lines.append(Text(one_line(text, 300), style=style))
        self.query_one("#rb-progress", Static).update(Text("\n").join(self.lines[-200:]))
        self._scroll_to_end("#rb-run")  # the newest line (in the end, the verdict) stays in sight

    def _scroll_to_end(self, selector: str) -> None:
        scroll = self.query_one(selector, VerticalScroll)
        self.call_after_refresh(scroll.scroll_end, animate=False)

    def progress(self, event: RolloutProgress) -> None:
        """A line (or the status) of the rollback under way, from the engine."""
        if event.text:
            self._say(event.text, event.style)
        if event.status:
            self._status(event.status)

    def ended(self, event: RollbackEnded) -> None:
        """A service's rollback is over (the cockpit screen notifies it too, in case this modal is closed)."""
        self._say(f"{event.service}: {event.verdict}", "bold green" if event.ok else "bold white on red")
        if event.stopped_rest:
            self._say("stopped: the next service was not touched", "bold red")
        if not event.ok or event.service == self.plans[-1].service:
            self.running = False
            self._status("done · esc closes")

    # -- keys -----------------------------------------------------------------------------
    def action_back(self) -> None:
        """One step back; from the services, or once the rollout is over, close."""
        current = self.query_one("#rb-steps", ContentSwitcher).current
        if current == "rb-confirm" and len(self.plans) == 1:
            self._show("rb-pick")
        elif current in ("rb-pick", "rb-confirm"):
            self._show("rb-services")
        elif current == "rb-run" and self.running:
            # The watch goes on in the engine (its verdict is notified and journaled).
            self.app.send(StopAfterCurrent())  # as before: closing the modal does not start the next service
            self.notify("closing: the rollout under way is still watched; its verdict will be shown and journaled", timeout=8, markup=False)
            self.dismiss(None)
        else:
            self.dismiss(None)
