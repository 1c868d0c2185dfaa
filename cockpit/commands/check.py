"""`cockpit check`: every automated check once, as a table or JSON, each result journaled.

The checks that ask whether something answers run concurrently; the latency thresholds
run after them, one at a time (see cockpit.checks.runner). Every result goes into the
run's journal as the TUI writes it (a CHECK event with status, evidence and latency):
never a tick, which stays the operator's. A journal that cannot be written is one line
on stderr; the results are still printed and the exit code is the same.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cockpit.checks.result import FAIL, INCONCLUSIVE, PASS, CheckResult
from cockpit.checks.runner import CheckRunner, checked_steps
from cockpit.commands.context import UsageError
from cockpit.core.text import one_line
from cockpit.journal import Journal, JournalError, default_who
from cockpit.journal.progress import CHECK
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


async def run_checks(runbook: Runbook, env: Environment, steps: list, environ: Mapping[str, str]) -> dict[str, CheckResult]:
    """Step id → result, all at once."""
    use_daemon_executor(asyncio.get_running_loop())  # a hung DNS lookup must not delay the exit
    runner = CheckRunner(runbook, env, environ)
    try:
        return await runner.run_steps(steps)
    finally:
        await runner.aclose()


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
        parts.append(f"{n[INCONCLUSIVE]} inconclusive (not passed: cockpit was too busy to measure, run again)")
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


def journal_results(runbook: Runbook, env: Environment, state_path: Path, steps: list, results: dict[str, CheckResult]) -> None:
    """Append a CHECK event per result to the run's journal (the payload the TUI writes); raises JournalError."""
    journal = Journal(state_path)
    try:
        session = RunSession(journal, runbook.id, runbook.version, env.name, default_who())
        for step in steps:
            session.record(step.id, CHECK, results[step.id].to_payload())
    finally:
        journal.close()


def check_command(
    runbook: Runbook, env: Environment, only: Sequence[str], as_json: bool, state_path: Path | None = None
) -> tuple[str, int, str]:
    """The text to print, the exit code (0 all pass, else 1) and a warning for stderr ('' when none).

    With `state_path` every result is journaled in the run there before anything is printed.
    """
    steps = select_steps(runbook, env, only)
    results = asyncio.run(run_checks(runbook, env, steps, os.environ))
    warning = ""
    if state_path is not None:
        try:
            journal_results(runbook, env, state_path, steps, results)
        except (JournalError, OSError) as exc:
            warning = f"cockpit: results not journaled: {one_line(str(exc), 300)}"
    rows = report(steps, results)
    code = 0 if all(r["status"] == PASS for r in rows) else 1
    if as_json:
        document = {"environment": env.name, "runbook": runbook.id, "passed": code == 0, "counts": counts(rows), "checks": rows}
        text = json.dumps(document, indent=2)
    else:
        text = format_table(rows, env)
    return text, code, warning
