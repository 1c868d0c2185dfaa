"""`cockpit check`: every automated check once, as a table or JSON, each result journaled.

The engine runs the checks in-process (`Engine.check_steps`, the TUI's code path, with no
poller started): the checks that ask whether something answers run concurrently; the
latency thresholds run after them, one at a time (see cockpit.checks.runner). Every result
goes into the run's journal through the engine's journal writer, as the TUI writes it (a
CHECK event with status, evidence and latency): never a tick, which stays the operator's.
A journal that cannot be opened or written is one line on stderr; the results are still
printed and the exit code is the same.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from typing import Any

from cockpit.checks.result import FAIL, INCONCLUSIVE, PASS, CheckResult
from cockpit.checks.runner import checked_steps
from cockpit.commands.context import UsageError
from cockpit.core.text import one_line
from cockpit.engine.events import EngineEvent, JournalWritten
from cockpit.engine.local import LocalEngine
from cockpit.journal import JournalError, default_who
from cockpit.journal.opening import JournalStore, StateLocation, open_store
from cockpit.journal.session import RunSession
from cockpit.monitor.loop import use_daemon_executor
from cockpit.runbook import Environment, Runbook


def select_steps(runbook: Runbook, env: Environment, only: Sequence[str]) -> list:
    """The steps to check; an --only id that is unknown or has no check is a UsageError."""
    for step_id in only:
        step = runbook.step(step_id)
        if step is None:
            raise UsageError(f"--only {step_id}: no such step in {runbook.id}")
        if step.check is None:
            raise UsageError(f"--only {step_id}: step has no automated check (it is {step.kind})")
    steps = checked_steps(runbook, env.name, only)
    if not steps:
        raise UsageError(f"no automated checks in the {env.name} run of {runbook.id}")
    return steps


def report(steps: list, results: dict[str, CheckResult]) -> list[dict[str, Any]]:
    """One dict per check, in runbook order."""
    rows = []
    for step in steps:
        result = results[step.id]
        rows.append({"id": step.id, "title": step.title, "type": step.check.type, **result.to_payload()})
    return rows


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many checks passed, failed and were inconclusive."""
    return {status: sum(r["status"] == status for r in rows) for status in (PASS, FAIL, INCONCLUSIVE)}


def summary(rows: list[dict[str, Any]], env: Environment) -> str:
    """`19 checks in staging: all passed`, or how many failed and, apart, how many were inconclusive."""
    n = counts(rows)
    checks = f"{len(rows)} check{'' if len(rows) == 1 else 's'} in {env.name}"
    if n[PASS] == len(rows):
        return f"{checks}: all passed"
    parts = [f"{n[FAIL]} failed"] if n[FAIL] else []
    if n[INCONCLUSIVE]:
        parts.append(f"{n[INCONCLUSIVE]} inconclusive (not passed: no verdict, the evidence says why)")
    return f"{checks}: {n[PASS]} passed, " + ", ".join(parts)


def format_table(rows: list[dict[str, Any]], env: Environment) -> str:
    """Per check: status, id, latency and title, then its evidence indented; a summary last."""
    width = max(len(r["id"]) for r in rows)
    status_width = max(4, *(len(r["status"]) for r in rows))
    lines = []
    for r in rows:
        latency = f"{r['latency_ms']:9.2f} ms" if r.get("latency_ms") is not None else " " * 12
        lines.append(f"{r['status'].upper():<{status_width}}  {r['id']:<{width}}  {latency}  {one_line(r['title'], 60)}")
        lines.append(f"      {one_line(r['evidence'], 400)}")
    lines.append(summary(rows, env))
    return "\n".join(lines)


def open_run(runbook: Runbook, env: Environment, state_path: StateLocation, who: str = "") -> tuple[JournalStore | None, RunSession | None, str]:
    """The journal and run to record results in, as `who` ('': user@host), or (None, None, why they cannot be)."""
    try:
        journal = open_store(state_path)
    except (JournalError, OSError) as exc:
        return None, None, str(exc)
    try:
        return journal, RunSession(journal, runbook.id, runbook.version, env.name, who or default_who()), ""
    except (JournalError, OSError) as exc:  # e.g. the run was made with another runbook version
        journal.close()
        return None, None, str(exc)


async def run_checks(runbook: Runbook, env: Environment, steps: list, state_path: StateLocation | None,
                     who: str = "") -> tuple[dict[str, CheckResult], str]:
    """Step id → result, by the engine (in-process, nothing live), and why results were not journaled ('' when they were
    or `state_path` is None)."""
    use_daemon_executor(asyncio.get_running_loop())  # a hung DNS lookup must not delay the exit
    journal, session, problem = open_run(runbook, env, state_path, who) if state_path is not None else (None, None, "")
    problems = [problem] if problem else []

    def receive(batch: list[EngineEvent]) -> None:
        problems.extend(e.error for e in batch if isinstance(e, JournalWritten) and e.error)

    local = LocalEngine(runbook, env, session, read_only=session is None, live=False, environ=os.environ)
    local.start(receive)
    try:
        assert local.engine is not None
        results = await local.engine.check_steps([step.id for step in steps], tick=False)
    finally:
        await local.stop()  # the last events, then the journal writer's last write
        if journal is not None:
            journal.close()
    return results, problems[0] if problems else ""


def check_command(
    runbook: Runbook, env: Environment, only: Sequence[str], as_json: bool, state_path: StateLocation | None = None, who: str = ""
) -> tuple[str, int, str]:
    """The text to print, the exit code (0 all pass, else 1) and a warning for stderr ('' when none).

    With `state_path` every result is journaled in the run there, as `who` ('': user@host), before anything is printed.
    """
    steps = select_steps(runbook, env, only)
    results, problem = asyncio.run(run_checks(runbook, env, steps, state_path, who))
    warning = f"cockpit: results not journaled: {one_line(problem, 300)}" if problem else ""
    rows = report(steps, results)
    code = 0 if all(r["status"] == PASS for r in rows) else 1
    if as_json:
        document = {"environment": env.name, "runbook": runbook.id, "passed": code == 0, "counts": counts(rows), "checks": rows}
        text = json.dumps(document, indent=2)
    else:
        text = format_table(rows, env)
    return text, code, warning
