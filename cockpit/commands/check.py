"""`cockpit check`: every automated check once, concurrently, as a table or JSON."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from cockpit.checks.result import CheckResult
from cockpit.checks.runner import CheckRunner, checked_steps
from cockpit.commands.context import UsageError
from cockpit.core.text import one_line
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


def format_table(rows: list[dict[str, Any]], env: Environment) -> str:
    """Per check: status, id, latency and title, then its evidence indented; a summary last."""
    width = max(len(r["id"]) for r in rows)
    lines = []
    for r in rows:
        latency = f"{r['latency_ms']:9.2f} ms" if r.get("latency_ms") is not None else " " * 12
        lines.append(f"{r['status'].upper():<4}  {r['id']:<{width}}  {latency}  {one_line(r['title'], 60)}")
        lines.append(f"      {one_line(r['evidence'], 200)}")
    failures = sum(r["status"] != "pass" for r in rows)
    verdict = "all passed" if not failures else f"{failures} failed"
    lines.append(f"{len(rows)} checks in {env.name}: {verdict}")
    return "\n".join(lines)


def check_command(runbook: Runbook, env: Environment, only: Sequence[str], as_json: bool) -> tuple[str, int]:
    """The text to print and the exit code (0 all pass, 1 any fails)."""
    steps = select_steps(runbook, env, only)
    results = asyncio.run(run_checks(runbook, env, steps, os.environ))
    rows = report(steps, results)
    code = 0 if all(r["status"] == "pass" for r in rows) else 1
    if as_json:
        text = json.dumps({"environment": env.name, "runbook": runbook.id, "passed": code == 0, "checks": rows}, indent=2)
    else:
        text = format_table(rows, env)
    return text, code
