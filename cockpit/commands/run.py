"""`cockpit run STEP-ID`: a step's actions, headless, with the TUI's guards and journal entries.

The engine's action desk does the work in-process (`LocalEngine(..., live=False)`, nothing
live started): `Actions.plan` says what would be sent (printed first, always), and
`Actions.run_step` guards, journals and runs. Nothing is sent without `--yes` or `--confirm`
(production: `--confirm production`; `--yes` alone is refused there), nor with `--dry-run`.
Progress lines (a command's output, a workflow watch) are printed as they come; `--json`
prints one document at the end instead. A deploy or command whose gate (go / no-go) is not
green is refused with the failing checks named, unless `--override REASON` is given (the
override is journaled before anything is sent); a dry run, or a run not confirmed, prints the
gate's state with the plan.

Exit codes: 0 passed (or a dry run of a runnable plan), 1 failed, refused or not confirmed, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any, TextIO

from cockpit.commands.context import Context, UsageError
from cockpit.engine.action_plan import ActionPlan
from cockpit.engine.actions import StepResult
from cockpit.engine.engine import Engine
from cockpit.engine.events import ActionEnded, ActionProgress, EngineEvent, JournalWritten
from cockpit.engine.gates import GateReport
from cockpit.engine.local import LocalEngine
from cockpit.journal.session import RunSession
from cockpit.monitor.loop import use_daemon_executor


def check_args(args: argparse.Namespace, ctx: Context) -> None:
    """UsageError for an unknown step, a step without actions, or bad flags."""
    step = ctx.runbook.step(args.step)
    if step is None:
        raise UsageError(f"{args.step}: no such step in {ctx.runbook.id}")
    if not step.actions:
        raise UsageError(f"{args.step}: the step has no actions (it is {step.kind}; see cockpit runbook show)")
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError("--timeout must be greater than 0")


def confirmation(args: argparse.Namespace, ctx: Context) -> tuple[str, str]:
    """(what the desk gets as confirmation, why nothing may be sent: '' when it may)."""
    env = ctx.env
    how = f"--confirm {env.name}" if env.production else f"--yes (or --confirm {env.name})"
    if args.confirm is not None:
        if args.confirm != env.name:
            return "", f"refused: --confirm must be the environment's name, {env.name}"
        return args.confirm, ""
    if args.yes:
        if env.production:
            return "", f"refused: {env.name} is production: --yes is not enough, add --confirm {env.name}"
        return env.name, ""
    return "", f"Nothing sent: review the plan, then run it with {how}."


class Printer:
    """Prints the desk's progress as it comes (not with --json); keeps the lines for the JSON document."""

    def __init__(self, out: TextIO, quiet: bool) -> None:
        self.out, self.quiet = out, quiet
        self.progress: list[str] = []
        self.journal_errors: list[str] = []

    def __call__(self, batch: list[EngineEvent]) -> None:
        for event in batch:
            if isinstance(event, ActionProgress):
                prefix = f"  [{event.index + 1}] " if event.index >= 0 else "  "
                for line in event.text.splitlines():
                    self.say(prefix + line)
            elif isinstance(event, JournalWritten) and event.error:
                self.journal_errors.append(event.error)
                self.say(f"cockpit: journal: {event.error}")
            elif isinstance(event, ActionEnded) and event.unknown:
                self.say(event.evidence)

    def say(self, line: str) -> None:
        self.progress.append(line)
        if not self.quiet:
            print(line, file=self.out, flush=True)


async def run_in_engine(engine: Engine, args: argparse.Namespace, confirm: str) -> StepResult:
    """The desk's run of the step. Interrupted (Ctrl+C): the action is stopped and its outcome journaled first."""
    running = asyncio.ensure_future(engine.actions.run_step(args.step, confirm, args.force, timeout=args.timeout,
                                                            override=args.override or ""))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        engine.actions.stop(args.step)
        await running
        raise


async def identity_problems(engine: Engine, args: argparse.Namespace) -> tuple[str, ...]:
    """Why the identity guard would refuse the step's workflow dispatches (engine/identity.py), for a dry run to say."""
    return await engine.actions.identity_problems(await engine.actions.prepare(args.step, args.timeout))


def document(ctx: Context, plan: ActionPlan, gate: GateReport | None, result: StepResult | None, note: str,
             printer: Printer) -> dict[str, Any]:
    """The --json document. `gate`: as evaluated for the run (or for the review, when nothing was run)."""
    gate = result.gate if result is not None and result.gate is not None else gate
    return {"step": plan.step_id, "environment": ctx.env.name, "production": ctx.env.production,
            "plan": [{"index": i.index, "kind": i.kind, "what": i.what, "problem": i.problem} for i in plan.items],
            "gate": gate.to_dict() if gate is not None else None,
            "sent": result is not None and not result.refused, "note": note,
            "result": result.to_dict() if result is not None else None, "progress": printer.progress}


def gate_text(gate: GateReport) -> str:
    """The gate's state under the plan: green or not, then each check's line."""
    if gate.green:
        head = f"Gate: green ({len(gate.lines)} check{'s' if len(gate.lines) != 1 else ''} passed)"
    else:
        head = f"Gate: NOT green ({len(gate.failing)} of {len(gate.lines)} checks): refused unless --override REASON is given"
    return "\n".join([head] + [f"  {'ok ' if line.ok else 'NO '} {line.text}" for line in gate.lines])


async def run_step(args: argparse.Namespace, ctx: Context, session: RunSession | None, read_only: bool, out: TextIO) -> int:
    """Plan, show, guard and run in an in-process engine."""
    use_daemon_executor(asyncio.get_running_loop())
    printer = Printer(out, args.json)
    local = LocalEngine(ctx.runbook, ctx.env, session, read_only=read_only, live=False, environ=os.environ)
    local.start(printer)
    engine = local.engine
    assert engine is not None
    result: StepResult | None = None
    gate: GateReport | None = None
    try:
        plan = await engine.actions.plan(args.step, args.timeout)
        assert plan is not None
        if not args.json:
            print(plan.text(), file=out, flush=True)
        confirm, note = confirmation(args, ctx)
        if args.dry_run or note:  # nothing is sent: the gate is shown for the review (the run evaluates it again, now)
            gate = await engine.actions.gate_report(args.step)
            if gate.lines and not args.json:
                print(gate_text(gate), file=out, flush=True)
        if args.dry_run:
            refusals = list(plan.problems) + list(await identity_problems(engine, args))
            refusals += [] if gate is None or gate.green or (args.override or "").strip() else [f"the gate of {args.step} is not green"]
            note = "Dry run: nothing sent." + (" It would be refused: " + "; ".join(refusals) if refusals else "")
            code = 1 if refusals else 0
        elif note:
            code = 1
        else:
            result = await run_in_engine(engine, args, confirm)
            engine.flush_now()
            note = ("passed: " if result.ok else "" if result.refused else "failed: ") + result.evidence
            code = 0 if result.ok else 1
    finally:
        await local.stop()
    if args.json:
        print(json.dumps(document(ctx, plan, gate, result, note, printer), indent=2), file=out)
    else:
        print(note, file=out)
    return code


def run_command(args: argparse.Namespace, ctx: Context, session: RunSession | None, out: TextIO | None = None) -> int:
    """Check the input, then plan, show, guard, run. `session`: the run in the journal (None when it cannot be read,
    with --read-only); `out` defaults to sys.stdout."""
    out = out if out is not None else sys.stdout
    check_args(args, ctx)
    read_only = args.read_only or session is None
    return asyncio.run(run_step(args, ctx, session, read_only, out))
