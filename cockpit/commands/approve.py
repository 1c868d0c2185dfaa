"""`cockpit approve STEP-ID`: a second operator approves the request waiting on a step with `approval = "second-operator"`.

The engine's approval desk decides (engine/approval_desk.py, in-process, nothing live started):
only a fresh request of another `who` can be approved; the approval is journaled and counts for
`[approval] expires_minutes`, for one run, which the requester starts again (`cockpit run`). A rollback
(with `[approval] rollbacks = "second-operator"`) is approved as `rollback:SERVICE`.
Refused with --read-only. Exit 0 approved, 1 refused, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import TextIO

from cockpit.commands.context import Context, UsageError
from cockpit.core.text import one_line
from cockpit.engine.local import LocalEngine
from cockpit.journal.progress import ROLLBACK_PREFIX
from cockpit.journal.session import RunSession


def check_args(args: argparse.Namespace, ctx: Context) -> None:
    """UsageError for an unknown step (or `rollback:SERVICE` of a service the environment does not have)."""
    if args.step.startswith(ROLLBACK_PREFIX):
        service = args.step[len(ROLLBACK_PREFIX):]
        if service not in ctx.env.ecs_services:
            raise UsageError(f"{one_line(args.step, 80)}: {one_line(service, 60)!r} is not a service of {ctx.env.name}")
    elif ctx.runbook.step(args.step) is None:
        raise UsageError(f"{one_line(args.step, 80)}: no such step in {ctx.runbook.id}")


async def approve_in_engine(args: argparse.Namespace, ctx: Context, session: RunSession | None, read_only: bool) -> tuple[bool, str]:
    """The desk's decision, journaled when it approves."""
    local = LocalEngine(ctx.runbook, ctx.env, session, read_only=read_only, live=False, environ=os.environ)
    local.start(lambda batch: None)
    try:
        assert local.engine is not None
        return await local.engine.actions.approvals.approve(args.step, ctx.who)
    finally:
        await local.stop()


def approve_command(args: argparse.Namespace, ctx: Context, session: RunSession | None, out: TextIO | None = None) -> int:
    """Approve, print one line, exit 0; or say why not (exit 1)."""
    out = out if out is not None else sys.stdout
    check_args(args, ctx)
    ok, text = asyncio.run(approve_in_engine(args, ctx, session, args.read_only or session is None))
    print(text if ok else f"refused: {text}", file=out)
    return 0 if ok else 1
