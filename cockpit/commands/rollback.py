"""`cockpit rollback`: the guarded ECS rollback, headless, with the TUI's guards and journal entries.

The engine does the work in-process (nothing live is started): the journal's record of what
the service ran (`Engine.service_history`), the candidates and the two task definitions
(`Rollbacks.read_candidates` / `read_task_definition`) and the rollback itself
(`Rollbacks.run`, journaled through the engine's journal writer). Its RolloutProgress and
RollbackEnded events are printed as they come.

Exit codes: 0 rolled back (and healthy) or a dry run, 1 failed or refused, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import TextIO

from cockpit.commands.context import Context, UsageError
from cockpit.core.text import one_line
from cockpit.engine.engine import Engine
from cockpit.engine.events import EngineEvent, RollbackEnded, RolloutProgress
from cockpit.engine.local import LocalEngine
from cockpit.journal.session import RunSession
from cockpit.monitor.aws import aws_target
from cockpit.monitor.loop import use_daemon_executor
from cockpit.probes.aws.clients import make_client
from cockpit.probes.aws.ecs import short_name
from cockpit.probes.aws.errors import AwsProblem, classify_aws
from cockpit.rollback.candidates import Candidates
from cockpit.rollback.diff import describe, diff
from cockpit.rollback.execute import Progress, refusal
from cockpit.rollback.plan import RollbackPlan


def ecs_client(ctx: Context):
    """A boto3 ECS client for the environment (timeouts from [cloudwatch]: the same AWS account)."""
    return make_client("ecs", aws_target(ctx.runbook, ctx.env))


def pick_target(found: Candidates, to: int | None) -> str:
    """The ARN to roll back to: revision `to`, else the preselection. UsageError / AwsProblem when there is none."""
    if to is not None:
        revision = found.revision(to)
        if revision is None:
            newest = found.revisions[0].revision if found.revisions else "none"
            raise UsageError(f"--to {to}: no revision {to} of {found.family} (newest: {newest})")
        return revision.arn
    if found.choice is None:
        raise AwsProblem("not_found", f"no earlier revision of {found.family} to roll back to")
    return found.choice.arn


def plan_text(plan: RollbackPlan, found: Candidates, changes: list[str]) -> str:
    """The plan, why this target, and the diff (names only)."""
    lines = ["Rollback plan:"] + [f"  {line}" for line in plan.lines()]
    if found.choice is not None and found.choice.arn == plan.to_arn:
        lines.append(f"  why          {found.choice.why}")
    lines.append(f"Changes from {short_name(plan.from_arn)} to {short_name(plan.to_arn)}:")
    lines += [f"  {line}" for line in changes] or ["  (none: same images, sizes, ports, command and variable names)"]
    return "\n".join(lines)


def progress_lines(p: Progress) -> list[str]:
    """A watch's new ECS events, then where the rollout is."""
    events = [f"  event  {one_line(event.message, 200)}" for event in p.events]
    return [*events, f"  {p.elapsed:5.0f} s  {p.running}/{p.desired} running  rollout {p.rollout or '?'}"]


class Printer:
    """Prints the engine's rollback events as they come; keeps the verdicts."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.ended: list[RollbackEnded] = []

    def __call__(self, batch: list[EngineEvent]) -> None:
        for event in batch:
            if isinstance(event, RolloutProgress) and event.progress is not None:
                print("\n".join(progress_lines(event.progress)), file=self.out, flush=True)
            elif isinstance(event, RollbackEnded):
                self.ended.append(event)
                print(event.verdict, file=self.out, flush=True)


async def read_plan(engine: Engine, args: argparse.Namespace, ctx: Context) -> tuple[RollbackPlan, Candidates, list[str]] | None:
    """The plan, what it was chosen from and the diff's lines; None when the service is not in the cluster.
    Raises AwsProblem (and what building the ECS client raises) and UsageError."""
    env = ctx.env
    if engine.journal is not None:
        await engine.journal.read()  # what the journal saw the service run (Engine.service_history); unreadable: none
    found = await engine.rollbacks.read_candidates(args.service)
    if found.state.missing:
        return None
    target = pick_target(found, args.to)
    plan = RollbackPlan(env.name, env.production, env.ecs_cluster, args.service, found.current, target, found.inactive(target))
    current = await engine.rollbacks.read_task_definition(plan.from_arn)
    chosen = await engine.rollbacks.read_task_definition(plan.to_arn)
    return plan, found, [describe(c) for c in diff(current, chosen)]


async def run_rollback(engine: Engine, plan: RollbackPlan, args: argparse.Namespace) -> None:
    """The engine's rollback of `plan`. Interrupted (Ctrl+C), the watch stops and its outcome is journaled first."""
    running = asyncio.ensure_future(engine.rollbacks.run((plan,), wait=not args.no_wait, timeout=args.timeout, poll=args.poll))
    try:
        await asyncio.shield(running)
    except asyncio.CancelledError:
        engine.stopping.set()  # the watch ends at its next wait: "stopped watching; ECS carries on"
        await running
        raise


async def rollback_in_engine(args: argparse.Namespace, ctx: Context, session: RunSession | None, read_only: bool, out: TextIO) -> int:
    """Plan, show, guard and run in an in-process engine."""
    use_daemon_executor(asyncio.get_running_loop())  # a hung DNS lookup of the health re-check must not delay the exit
    try:
        client = ecs_client(ctx)
    except Exception as exc:  # boto3 while building the client (no region, profile not found)
        print(f"cockpit: {one_line(classify_aws(exc, 'ecs').reason, 300)}", file=out)
        return 1
    printer = Printer(out)
    local = LocalEngine(ctx.runbook, ctx.env, session, read_only=read_only, live=False, environ=os.environ, ecs=lambda: client)
    local.start(printer)
    engine = local.engine
    assert engine is not None
    try:
        try:
            planned = await read_plan(engine, args, ctx)
        except AwsProblem as problem:
            print(f"cockpit: {one_line(problem.reason, 300)}", file=out)
            return 1
        except UsageError:
            raise
        except Exception as exc:
            print(f"cockpit: {one_line(classify_aws(exc, 'ecs').reason, 300)}", file=out)
            return 1
        if planned is None:
            print(f"cockpit: service {args.service} not found in cluster {ctx.env.ecs_cluster}", file=out)
            return 1
        plan, found, changes = planned
        print(plan_text(plan, found, changes), file=out)
        if args.dry_run:
            print("Dry run: nothing changed.", file=out)
            return 0
        refused = refusal(plan, read_only=read_only, typed=args.confirm)
        if refused:
            print(refused, file=out)
            return 1
        await run_rollback(engine, plan, args)
        engine.flush_now()  # the last progress and the verdict
        return 0 if printer.ended and all(e.ok for e in printer.ended) else 1
    finally:
        await local.stop()


def rollback_command(args: argparse.Namespace, ctx: Context, session: RunSession | None, out: TextIO | None = None) -> int:
    """Plan, show, guard, run. `session`: the run in the journal (None when it cannot be read), on a read-only journal
    with --read-only; `out` defaults to sys.stdout."""
    out = out if out is not None else sys.stdout  # looked up per call: a default bound at import outlives a redirected stdout
    env = ctx.env
    if args.service not in env.ecs_services:
        raise UsageError(f"--service {args.service}: not a service of {env.name} ({', '.join(env.ecs_services) or 'none'})")
    if not env.ecs_cluster:
        raise UsageError(f"{env.name} has no ecs_cluster in the runbook")
    read_only = args.read_only or session is None
    return asyncio.run(rollback_in_engine(args, ctx, session, read_only, out))
