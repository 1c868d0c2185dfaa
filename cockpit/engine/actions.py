"""The action desk: a step's actions (GitHub workflow, command, Slack) run in the engine, guarded and journaled.

`run_step` decides before anything is sent: a step already running here is refused (who and
what), a read-only engine refuses every action, production needs the environment's name as
confirmation, an earlier intent without an outcome (a cockpit that died in between) is
"outcome unknown" and blocks the step until the operator forces it (journaled as
acknowledged), another operator's intent still without an outcome is in progress there and refuses
the step naming who and since when (engine/in_progress.py: never forced; stale after the action's
limit, then unknown), a step with `approval = "second-operator"` waits for another operator's approval
(engine/approval_desk.py: a request journaled, nothing sent), and missing config (repository, token, webhook) is a one-line refusal naming
what to set. A gated step (a deploy or a command) whose gate is not green is refused with
the failing checks named (engine/gates.py), unless the operator gives a reason: that override
is journaled before anything is sent. Then each action in order: its intent is committed to the journal before its
first request (nothing is sent unless it was), it runs on the engine's loop (one long-lived
httpx client for GitHub and Slack), its outcome is journaled after; the first failure stops
the rest. All passed: the step is ticked with the evidence. No payload or event holds a
secret: the token and webhook URLs stay in `Prepared` (engine/action_plan.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import httpx

from cockpit.actions.github import RunRef
from cockpit.core.text import one_line
from cockpit.engine.action_exec import Done, Follow, find_run, run_one
from cockpit.engine.action_lines import Lines
from cockpit.engine.action_plan import ActionPlan, Prepared, plan_of, prepare, problem_lines
from cockpit.engine.approval_desk import ApprovalDesk
from cockpit.engine.deploy_follow import DeployFollow
from cockpit.engine.events import ActionEnded, ActionPreview, ActionProgress, Answer, EngineEvent
from cockpit.engine.gates import CheckSteps, GateReport, evaluate, gate_summary
from cockpit.engine.identity import Identity
from cockpit.engine.in_progress import Elsewhere, since_text, unknown_text
from cockpit.engine.journal import JournalWriter
from cockpit.engine.message_values import checks_summary
from cockpit.engine.open_intents import OpenIntents
from cockpit.journal import Event, StepState, default_who
from cockpit.journal.progress import ACTION, OVERRIDE, TICK
from cockpit.journal.store import Claim
from cockpit.runbook import Environment, Runbook

SHUTDOWN_EXTRA = 2.0  # seconds beyond the stop grace an action gets to journal its outcome when the engine stops


@dataclass
class Running:
    """A step whose actions run here: who asked, what runs now, and its stop switch."""

    who: str
    what: str
    stop: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class StepResult:
    """How `run_step` ended: the actions' outcomes (journal-safe), or why nothing ran (`refused`)."""

    step_id: str
    ok: bool
    evidence: str
    refused: bool = False
    unknown: bool = False
    actions: tuple[dict[str, Any], ...] = ()
    gate: GateReport | None = None  # as evaluated for this run (None: not reached)
    override: str = ""  # the reason the gate was overridden with ('' when it was green or refused)

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step_id, "ok": self.ok, "refused": self.refused, "unknown": self.unknown,
                "evidence": self.evidence, "actions": list(self.actions),
                "gate": self.gate.to_dict() if self.gate is not None else None, "override": self.override or None}


class Actions:
    """The action desk of one environment (see the module docstring)."""

    def __init__(self, runbook: Runbook, env: Environment, environ: Mapping[str, str], *, read_only: bool,
                 journal: JournalWriter | None, emit: Callable[[EngineEvent], None], identity: Identity,
                 run_checks: CheckSteps | None = None, follow: DeployFollow | None = None) -> None:
        self.runbook, self.env, self.environ = runbook, env, environ
        self.identity = identity  # who a workflow dispatch acts as: a pin it does not match refuses it
        self.run_checks = run_checks  # the engine's check_steps(ids, tick=False): a gate's live checks
        self.follow = follow  # a workflow's ECS rollout after its run (engine/deploy_follow.py)
        self.read_only = read_only
        self.journal = journal
        self.emit = emit
        self.running: dict[str, Running] = {}
        self.intents = OpenIntents(runbook, emit, lambda: self.who, self.running)  # intents without an outcome yet
        self.approvals = ApprovalDesk(runbook, env, journal, emit, read_only=read_only)  # the two-person rule
        self.tasks: set[asyncio.Task[Any]] = set()
        self._client: httpx.AsyncClient | None = None

    @property
    def who(self) -> str:
        return self.journal.session.who if self.journal is not None else default_who()

    def client(self) -> httpx.AsyncClient:
        """The long-lived client for GitHub and Slack (made in the loop on first use)."""
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        return self._client

    # -- the journal's view ------------------------------------------------------------------
    def seen(self, events: list[Event]) -> None:
        """Committed events: approval events to the approval desk, action intents and outcomes to `intents`."""
        self.approvals.seen(events)
        self.intents.seen(events)

    def busy_elsewhere(self, step_id: str) -> Elsewhere | None:
        """Another operator's action of `step_id` in progress (as the journal read so far shows), if any."""
        return self.intents.busy_elsewhere(step_id)

    def unknown(self, step_id: str) -> list[Event]:
        """The intents of `step_id` whose outcome was never journaled (another operator's still in progress excluded)."""
        return self.intents.unknown(step_id)

    # -- planning ---------------------------------------------------------------------------
    async def prepare(self, step_id: str, timeout: float | None = None) -> list[Prepared]:
        step = self.runbook.step(step_id)
        if step is None:
            return []
        return await prepare(self.runbook, self.env, step, self.environ, self.who, timeout=timeout,
                             run_values=await self.message_values(step_id))

    async def message_values(self, step_id: str) -> dict[str, str]:
        """{checks} and {gate} for the step's Slack texts (the gate is evaluated only when a text names it)."""
        step = self.runbook.step(step_id)
        texts = [a.text for a in step.actions if a.kind == "slack"] if step is not None else []
        if not texts:
            return {}
        values = {"checks": checks_summary(self.runbook, self.env, self.journal.states if self.journal else {})}
        if any("{gate}" in text for text in texts):
            read_run = self.journal.read_latest if self.journal is not None else None
            values["gate"] = gate_summary(await evaluate(self.runbook, self.env, step_id, self.run_checks, read_run, held_only=False))
        return values

    async def plan(self, step_id: str, timeout: float | None = None) -> ActionPlan | None:
        """What the step's actions would send now (None for an unknown step). Sends nothing."""
        step = self.runbook.step(step_id)
        return None if step is None else plan_of(step, self.env, await self.prepare(step_id, timeout))

    async def find_run(self, step_id: str) -> RunRef | None:
        """For a workflow dispatch of `step_id` whose outcome is unknown: the run GitHub lists since its intent, if any."""
        for intent in self.unknown(step_id):
            if intent.payload.get("kind") != "github_workflow":
                continue
            prepared = await self.prepare(step_id)
            index = int(intent.payload.get("index", 0))
            if index < len(prepared) and prepared[index].workflow is not None:
                since = datetime.fromisoformat(intent.at.replace("Z", "+00:00"))
                return await find_run(prepared[index], self.client(), since, self.runbook.github.poll_seconds)
        return None

    # -- running ----------------------------------------------------------------------------
    async def gate_report(self, step_id: str) -> GateReport:
        """`step_id`'s gate evaluated now: this environment's checks run live, other environments' read from the journal."""
        read_run = self.journal.read_latest if self.journal is not None else None
        return await evaluate(self.runbook, self.env, step_id, self.run_checks, read_run)

    async def gate(self, step_id: str) -> tuple[str, ...]:
        """The failing checks of `step_id`'s gate, one line each (empty: green, or no gate)."""
        return (await self.gate_report(step_id)).failing

    async def preview(self, step_id: str) -> ActionPreview:
        """What RunActions would do now, its gate and any unknown outcome (AskActionPlan). Sends nothing."""
        step = self.runbook.step(step_id)
        if step is None or not step.actions:
            why = f"{step_id} {'has no actions' if step else 'is not a step of this runbook'}"
            return ActionPreview(step_id, step.title if step else "", self.env.name, self.env.production, "", problems=(why,))
        await self.read_journal()
        prepared = await self.prepare(step_id)
        plan = plan_of(step, self.env, prepared)
        identity = await self.identity_problems(prepared)  # the identity guard RunActions would meet, said up front
        busy = self.busy_elsewhere(step_id)
        elsewhere_line = (f"{step_id} is {busy.text()}: wait for its outcome",) if busy is not None else ()
        return ActionPreview(step_id, step.title, self.env.name, self.env.production, plan.text(),
                             problems=elsewhere_line + plan.problems + identity,
                             gate=await self.gate(step_id), unknown=tuple(unknown_text(e) for e in self.unknown(step_id)))

    async def answer_plan(self, request: int, step_id: str) -> None:
        try:
            self.emit(Answer(request, await self.preview(step_id)))
        except Exception as exc:  # the picker waits on this answer: it must come
            self.emit(Answer(request, error=f"{type(exc).__name__}: {one_line(str(exc), 200)}"))

    async def answer_lookup(self, request: int, step_id: str) -> None:
        """AskRunLookup: one line saying what GitHub lists for the unknown dispatch of `step_id`."""
        try:
            await self.read_journal()
            if not any(e.payload.get("kind") == "github_workflow" for e in self.unknown(step_id)):
                self.emit(Answer(request, f"{step_id}: no workflow dispatch with an unknown outcome to look up"))
                return
            run = await self.find_run(step_id)
            text = (f"GitHub lists run {run.run_id} since the intent: {run.html_url}" if run is not None
                    else "GitHub lists no run of that workflow since the intent: the dispatch most likely did not start one")
            self.emit(Answer(request, text))
        except Exception as exc:
            self.emit(Answer(request, error=f"the lookup failed: {type(exc).__name__}: {one_line(str(exc), 200)}"))

    async def read_journal(self) -> None:
        if self.journal is not None:
            await self.journal.read()

    def start(self, step_id: str, confirmation: str = "", force: bool = False, override: str = "") -> None:
        """`run_step` as a task of the desk (RunActions)."""
        task = asyncio.get_running_loop().create_task(self.run_step(step_id, confirmation, force, override=override),
                                                      name=f"action {step_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def stop(self, step_id: str) -> bool:
        """StopAction: False when nothing of `step_id` runs here."""
        running = self.running.get(step_id)
        if running is not None:
            running.stop.set()
            self.emit(ActionProgress(step_id, -1, f"stop asked ({running.what}): a command is ended (SIGTERM, then SIGKILL); "
                                                   "a workflow is no longer watched, its run goes on at GitHub"))
        return running is not None

    def refuse(self, step_id: str, reason: str, *, unknown: bool = False, gate: GateReport | None = None) -> StepResult:
        self.emit(ActionEnded(step_id, False, reason, unknown=unknown, refused=not unknown))
        return StepResult(step_id, False, reason, refused=True, unknown=unknown, gate=gate)

    async def run_step(self, step_id: str, confirmation: str = "", force: bool = False, *, timeout: float | None = None,
                       override: str = "") -> StepResult:
        """Guard, then run the actions of `step_id` in order (see the module docstring). `timeout` overrides the commands'
        timeout and bounds a workflow watch."""
        step = self.runbook.step(step_id)
        if step is None or not step.actions:
            return self.refuse(step_id, f"refused: {step_id} {'has no actions' if step else 'is not a step of this runbook'}")
        busy = self.running.get(step_id)
        if busy is not None:
            return self.refuse(step_id, f"refused: {busy.who} is running {step_id} here ({busy.what}); wait for it or stop it")
        if self.read_only or self.journal is None:
            why = "read-only" if self.read_only else "no journal to record it in"
            return self.refuse(step_id, f"refused: {why}: no action is run, nothing is sent")
        if self.env.production and confirmation != self.env.name:
            return self.refuse(step_id, f"refused: {self.env.name} is production: type its name ({self.env.name}) to confirm")
        running = self.running[step_id] = Running(self.who, "preparing")
        try:
            return await self._guarded(step_id, force, timeout, running, override)
        finally:
            self.running.pop(step_id, None)

    async def _guarded(self, step_id: str, force: bool, timeout: float | None, running: Running, override: str) -> StepResult:
        assert self.journal is not None
        await self.journal.read()  # an intent a cockpit that died left behind, another cockpit's run
        busy = self.busy_elsewhere(step_id)
        if busy is not None:  # never forced: it is not unknown, it is under way
            return self._refuse_busy(step_id, busy)
        # What was decided on this read holds only if no other operator's action on the step is journaled after it:
        # every write below that lets the run through claims the step (store.Claim), so of two operators starting
        # the step at once one is told who was first, and nothing of theirs is sent twice.
        claim = Claim(self.journal.last_event_id, ACTION)
        self.journal.lost_to = None
        unknown = self.unknown(step_id)
        if unknown and not force:
            return self.refuse(step_id, unknown_text(unknown[0]) + "; look it up, then run again with force", unknown=True)
        prepared = await self.prepare(step_id, timeout)
        problems = problem_lines(p.item for p in prepared)
        if problems:
            return self.refuse(step_id, "refused: " + "; ".join(problems))
        refused = await self.identity_refusal(prepared)
        if refused:
            return self.refuse(step_id, refused)
        waiting, approval = await self.approvals.gate(step_id, self.who, [p.item.what for p in prepared])
        if waiting:
            return self.refuse(step_id, waiting)
        running.what = "checking its gate"
        gate = await self.gate_report(step_id)
        refusal, reason = await self._pass_gate(step_id, gate, override, claim)
        if not refusal:  # after the gate: a refused run keeps its approval
            refusal = await self.approvals.use(step_id, approval, self.who, claim)
        for intent in unknown if not refusal else ():
            if await self.journal.record(step_id, ACTION, {"phase": "acknowledged", "intent": intent.id, "who": self.who},
                                         claim=claim) is None:
                refusal = "refused: the journal did not take the acknowledgement: nothing sent"
        if refusal:
            return await self._refuse_lost(step_id, refusal, gate)
        result = await self._run_all(step_id, prepared, timeout, running, claim)
        return replace(result, gate=gate, override=reason)

    def _refuse_busy(self, step_id: str, busy: Elsewhere) -> StepResult:
        result = self.refuse(step_id, f"refused: {step_id} is {busy.text()}: wait for its outcome")
        self.emit(self.intents.busy_progress(busy))  # the step still shows the other operator's run, not this refusal
        return result

    async def _refuse_lost(self, step_id: str, why: str, gate: GateReport | None = None) -> StepResult:
        """Refuse a run whose journal write was not taken: when its claim was lost, naming who was first (still in
        progress, or already done by the time this is said), else `why`."""
        assert self.journal is not None
        rival = self.journal.lost_to
        await self.journal.read()
        busy = self.busy_elsewhere(step_id)
        if busy is not None:
            return self._refuse_busy(step_id, busy)
        if rival is not None:
            why = f"refused: {step_id} was started first by {rival.who} at {since_text(rival.at)}: nothing sent; look at its outcome"
        return self.refuse(step_id, why, gate=gate)

    async def _pass_gate(self, step_id: str, report: GateReport, override: str, claim: Claim) -> tuple[str, str]:
        """('', '') when the gate is green; ('', reason) when it is not and the operator's reason overrides it (the
        override journaled first); (why it is refused, '') otherwise."""
        assert self.journal is not None
        if report.green:
            if report.lines:
                self.emit(ActionProgress(step_id, -1, "gate green:\n" + "\n".join("  " + line.text for line in report.lines)))
            return "", ""
        failing = "; ".join(report.failing)
        reason = one_line(override, 1000)
        if not reason:  # a blank reason is no reason
            return f"refused: the gate of {step_id} is not green: {failing}; to run anyway, give a reason (--override REASON)", ""
        if await self.journal.record(step_id, OVERRIDE, {"gate": list(report.failing), "reason": reason, "who": self.who},
                                     claim=claim) is None:
            return "refused: the journal did not take the override: nothing sent", ""
        self.emit(ActionProgress(step_id, -1, f"gate not green, overridden by {self.who}: {reason} (not green: {failing})"))
        return "", reason

    async def identity_refusal(self, prepared: list[Prepared]) -> str:
        """Why the step's workflow dispatches may not go out as whom they would (engine/identity.py), '' when they may."""
        repositories = [p.workflow.repository for p in prepared if p.workflow is not None]
        return await self.identity.refuse_deploy(repositories) if repositories else ""

    async def identity_problems(self, prepared: list[Prepared]) -> tuple[str, ...]:
        """`identity_refusal`'s reasons, one line each (a preview or a dry run lists them with the plan's problems)."""
        repositories = [p.workflow.repository for p in prepared if p.workflow is not None]
        return await self.identity.deploy_problems(repositories) if repositories else ()

    async def _run_all(self, step_id: str, prepared: list[Prepared], timeout: float | None, running: Running,
                       claim: Claim) -> StepResult:
        assert self.journal is not None
        outcomes: list[dict[str, Any]] = []
        done = Done(True, "")
        for p in prepared:
            if running.stop.is_set():
                done = Done(False, f"stopped before action {p.item.index + 1}")
                break
            running.what = f"action {p.item.index + 1}/{len(prepared)} ({p.item.kind})"
            intent = await self.journal.record(step_id, ACTION, {"phase": "intent", "index": p.item.index, "kind": p.item.kind,
                                                                 "what": p.item.what, "environment": self.env.name, "who": self.who},
                                               claim=claim)
            if intent is None and self.journal.lost_to is not None and not outcomes:
                return await self._refuse_lost(step_id, "")
            if intent is None:
                done = Done(False, f"action {p.item.index + 1}: the journal did not take its intent: nothing sent")
                break
            done = await self._one(step_id, p, timeout, running)
            outcome = {"phase": "outcome", "intent": intent.id, "index": p.item.index, "kind": p.item.kind, "ok": done.ok,
                       "evidence": done.evidence, "unknown": done.unknown, **done.fields}
            outcomes.append({"index": p.item.index, "kind": p.item.kind, "what": p.item.what, "ok": done.ok,
                             "evidence": done.evidence, "unknown": done.unknown, **done.fields})
            if await self.journal.record(step_id, ACTION, outcome) is None:
                done = Done(False, f"{done.evidence}; its outcome could not be journaled", unknown=True)
            if not done.ok:
                break
        ok = done.ok and len(outcomes) == len(prepared)
        evidence = "; ".join(o["evidence"] for o in outcomes) if ok else done.evidence
        if ok and not self.journal.states.get(step_id, StepState()).done:
            await self.journal.record(step_id, TICK, {"evidence": one_line(evidence, 1000)})
        self.emit(ActionEnded(step_id, ok, evidence, unknown=done.unknown))
        return StepResult(step_id, ok, evidence, unknown=done.unknown, actions=tuple(outcomes))

    async def _one(self, step_id: str, p: Prepared, timeout: float | None, running: Running) -> Done:
        lines = Lines(step_id, p.item.index, self.emit)
        say = lambda text: self.emit(ActionProgress(step_id, p.item.index, text))  # noqa: E731
        settings = self.runbook.actions
        try:
            return await run_one(p, self.client(), running.stop, lines.add, say, poll=self.runbook.github.poll_seconds,
                                 watch_timeout=timeout, grace=settings.stop_grace_seconds, follow=self._follow(step_id, timeout))
        except Exception as exc:  # a bug must not read as a pass, nor vanish; what was sent is unknown
            return Done(False, f"action {p.item.index + 1} crashed: {type(exc).__name__}: {one_line(str(exc), 200)}", unknown=True)
        finally:
            lines.flush()

    def _follow(self, step_id: str, timeout: float | None) -> Follow | None:
        """The follow-up of `step_id`'s workflows (None without an ECS desk); `timeout` bounds it as it bounds the watch."""
        desk = self.follow
        if desk is None:
            return None
        return lambda p, since, stop, say: desk.follow(step_id, p, since, stop, say, timeout)

    async def shutdown(self) -> None:
        """Stop what runs (its outcome is journaled within the stop grace), then close the client."""
        for running in self.running.values():
            running.stop.set()
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=self.runbook.actions.stop_grace_seconds + SHUTDOWN_EXTRA)
        for task in self.tasks:
            task.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
