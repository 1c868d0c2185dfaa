"""`cockpit rollback`: the guarded ECS rollback, headless, with the TUI's guards and journal entries.

Exit codes: 0 rolled back (and healthy) or a dry run, 1 failed or refused, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from cockpit.commands.context import Context, UsageError
from cockpit.core.text import one_line
from cockpit.journal import Journal, JournalError
from cockpit.journal.session import RunSession
from cockpit.monitor.aws import aws_target
from cockpit.probes.aws.clients import make_client
from cockpit.probes.aws.ecs import describe_task_definition, short_name
from cockpit.probes.aws.errors import AwsProblem, classify_aws
from cockpit.rollback.candidates import Candidates, history, load_candidates
from cockpit.rollback.diff import describe, diff
from cockpit.rollback.execute import Progress, RollbackRun, refusal
from cockpit.rollback.plan import RollbackPlan
from cockpit.rollback.verify import health_verdict


def ecs_client(ctx: Context):
    """A boto3 ECS client for the environment (timeouts from [cloudwatch]: the same AWS account)."""
    return make_client("ecs", aws_target(ctx.runbook, ctx.env))


def journal_history(ctx: Context, session: RunSession | None, service: str) -> list[str]:
    """What the journal saw `service` run (see `history`). Read-only reads it too (a session of its own):
    the plan shown must be the one a writable cockpit would carry out."""
    if session is not None:
        return history(session.events_after(0), service)
    try:
        journal = Journal(ctx.state_path, read_only=True)
    except JournalError:
        return []  # unreadable: the other sources decide
    try:
        return history(RunSession(journal, ctx.runbook.id, ctx.runbook.version, ctx.env.name, "").events_after(0), service)
    except JournalError:  # e.g. the run was made with another runbook version
        return []
    finally:
        journal.close()


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


def rollback_command(args: argparse.Namespace, ctx: Context, session: RunSession | None, out: TextIO | None = None) -> int:
    """Plan, show, guard, run. `session` is None when the journal is read-only; `out` defaults to sys.stdout."""
    out = out if out is not None else sys.stdout  # looked up per call: a default bound at import outlives a redirected stdout
    env = ctx.env
    if args.service not in env.ecs_services:
        raise UsageError(f"--service {args.service}: not a service of {env.name} ({', '.join(env.ecs_services) or 'none'})")
    if not env.ecs_cluster:
        raise UsageError(f"{env.name} has no ecs_cluster in the runbook")
    try:
        client = ecs_client(ctx)
        found = load_candidates(client, ctx.runbook, env, args.service, journal_history(ctx, session, args.service))
        if found.state.missing:
            print(f"cockpit: service {args.service} not found in cluster {env.ecs_cluster}", file=out)
            return 1
        target = pick_target(found, args.to)
        plan = RollbackPlan(env.name, env.production, env.ecs_cluster, args.service, found.current, target, found.inactive(target))
        current = describe_task_definition(client, plan.from_arn)
        chosen = describe_task_definition(client, plan.to_arn)
    except AwsProblem as problem:
        print(f"cockpit: {one_line(problem.reason, 300)}", file=out)
        return 1
    except UsageError:
        raise
    except Exception as exc:  # boto3 while building the client (no region, profile not found)
        print(f"cockpit: {one_line(classify_aws(exc, 'ecs').reason, 300)}", file=out)
        return 1
    print(plan_text(plan, found, [describe(c) for c in diff(current, chosen)]), file=out)
    if args.dry_run:
        print("Dry run: nothing changed.", file=out)
        return 0
    refused = refusal(plan, read_only=args.read_only or session is None, typed=args.confirm)
    if refused:
        print(refused, file=out)
        return 1
    assert session is not None  # refusal() refuses without a writable journal

    def progress(p: Progress) -> None:
        for event in p.events:
            print(f"  event  {one_line(event.message, 200)}", file=out)
        print(f"  {p.elapsed:5.0f} s  {p.running}/{p.desired} running  rollout {p.rollout or '?'}", file=out, flush=True)

    run = RollbackRun(client, plan, session.record, timeout=args.timeout, poll=args.poll, progress=progress)
    outcome = run.run(wait=not args.no_wait, verify=lambda: health_verdict(ctx.runbook, env, os.environ))
    print(outcome.verdict, file=out)
    return 0 if outcome.ok else 1
