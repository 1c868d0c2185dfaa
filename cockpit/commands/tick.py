"""`cockpit tick STEP-ID`: tick (or --untick) a step from a script or a teammate's shell, without the TUI.

The same journal and the same rules as the TUI's space (cockpit.journal.step_rules): a check step is ticked on the
evidence of its last check when it passed, otherwise refused with the reason unless --override REASON is given,
which the tick carries as an override; info steps and steps of a phase that does not run in the environment are
refused; --read-only journals nothing. Exit 0 journaled (the commit returned), 1 refused by a rule or not journaled,
2 bad input (an unknown step, a journal that cannot be opened).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from cockpit.commands.context import Context, UsageError, open_journal
from cockpit.core.text import one_line
from cockpit.journal import Event, JournalError, StepState, fold
from cockpit.journal.session import RunSession
from cockpit.journal.step_rules import REASON_LIMIT, decide_tick
from cockpit.runbook import Phase, Step


def find_step(ctx: Context, step_id: str) -> tuple[Phase, Step]:
    """The phase and step named `step_id`, or a UsageError naming the runbook."""
    for phase, step in ctx.runbook.steps():
        if step.id == step_id:
            return phase, step
    raise UsageError(f"no step {one_line(step_id, 80)!r} in {ctx.runbook.id} (cockpit runbook show lists them)")


def refuse(why: str) -> int:
    """One line on stderr saying why nothing was journaled; exit code 1."""
    print(f"cockpit: refused: {one_line(why, 500)}: nothing journaled", file=sys.stderr)
    return 1


def journaled(what: str, event: Event) -> str:
    """`ticked pre-docs · by alice@laptop · run #3 · 2026-12-07T13:40:00.000Z`: the line a verb prints once committed."""
    return f"{what} · by {one_line(event.who, 120)} · run #{event.run_id} · {event.at}"


def on_run(ctx: Context, act: Callable[[RunSession, dict[str, StepState]], int]) -> int:
    """Open the journal and the run (the latest of the runbook in the environment; the first event starts one) and
    call `act` with it and what the journal says about every step. A journal that cannot be opened is a UsageError."""
    journal = open_journal(ctx.state_path, read_only=False)
    try:
        try:
            session = RunSession(journal, ctx.runbook.id, ctx.runbook.version, ctx.env.name, ctx.who)
            states = fold(session.events_after(0))
        except JournalError as exc:
            raise UsageError(str(exc)) from exc
        return act(session, states)
    finally:
        journal.close()


def record(session: RunSession, step_id: str, kind: str, payload: dict) -> Event | None:
    """Commit one event; None (with the reason on stderr) when the journal did not take it."""
    try:
        return session.record(step_id, kind, payload)
    except Exception as exc:  # JournalError, or the database's own (sqlite3.Error): the step stays as it was, as in the TUI
        print(f"cockpit: NOT journaled: {one_line(str(exc), 500)}", file=sys.stderr)
        return None


def tick_command(args: argparse.Namespace, ctx: Context) -> int:
    """Tick or untick `args.step` (see the module docstring); the exit code."""
    phase, step = find_step(ctx, args.step)
    override = args.override
    if override is not None:
        if args.untick:
            raise UsageError("--override is a reason to tick a check step: an untick needs none")
        override = one_line(override, REASON_LIMIT)
        if not override:
            raise UsageError("--override needs a reason (journaled with the tick)")
    if args.read_only:
        return refuse("--read-only changes nothing")

    def act(session: RunSession, states: dict[str, StepState]) -> int:
        decision = decide_tick(step, phase, ctx.env.name, states.get(step.id, StepState()), not args.untick, override or "")
        if not decision.kind:
            hint = f": run `cockpit check --only {step.id}`, or tick it anyway with --override REASON" if decision.needs_reason else ""
            return refuse(decision.refused + hint)
        event = record(session, step.id, decision.kind, decision.payload)
        if event is None:
            return 1
        if "evidence" in decision.payload:
            what = f"ticked {step.id} on the evidence of its passing check ({one_line(decision.payload['evidence'], 200)})"
        elif "override" in decision.payload:
            what = f"ticked {step.id} by OVERRIDE ({one_line(decision.payload['override'], 200)})"
        else:
            what = f"{'unticked' if args.untick else 'ticked'} {step.id}"
        print(journaled(what, event))
        return 0

    return on_run(ctx, act)
