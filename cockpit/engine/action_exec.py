"""Run one prepared action with the primitives of cockpit.actions and say how it ended (`Done`).

The desk (engine/actions.py) guards, journals and reports; this module only performs. Each
kind ends in a `Done`: `ok`, a one-line `evidence` (what ticks the step), `fields` for the
journal's outcome (no secret: run URL and conclusion, exit code, duration and a bounded tail,
Slack's status and answer), and `unknown` when the request went out and no answer came back.
A workflow whose action names a `service` is followed into ECS after its run succeeded
(`Follow`, engine/deploy_follow.py): the step's outcome is then the deployment's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from cockpit.actions.command import run_command
from cockpit.actions.github import GitHubError, GitHubWorkflows, RunRef, RunSnapshot
from cockpit.actions.slack import send_message
from cockpit.core.text import one_line
from cockpit.engine.action_plan import Prepared

TAIL_LINES = 40  # of a command's output, in the journal


@dataclass(frozen=True)
class Done:
    """How one action ended."""

    ok: bool
    evidence: str
    fields: dict[str, Any] = field(default_factory=dict)
    unknown: bool = False


# (prepared action, dispatch time, stop, say): the Done of the ECS deployment a successful run caused
Follow = Callable[[Prepared, datetime, asyncio.Event, Callable[[str], None]], Awaitable[Done]]


def stoppable_sleep(stop: asyncio.Event) -> Callable[[float], Any]:
    """A sleep that returns early when `stop` is set (a watch's waits end at a StopAction)."""
    async def sleep(seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
    return sleep


async def run_one(p: Prepared, client: httpx.AsyncClient, stop: asyncio.Event, line: Callable[[str], None],
                  say: Callable[[str], None], *, poll: float, watch_timeout: float | None, grace: float,
                  follow: Follow | None = None) -> Done:
    """Perform `p`; `line` gets a command's output lines, `say` a watch's snapshots. `follow`: a workflow's ECS rollout."""
    kind = p.item.kind
    if kind == "command":
        return await _command(p, stop, line, grace)
    if kind == "slack":
        return await _slack(p, client)
    done = await _github(p, client, stop, say, poll, watch_timeout)
    if not (done.ok and p.action.service):
        return done
    if follow is None:
        return Done(True, f"{done.evidence}; rollout of {p.action.service} not followed: no ECS client here",
                    {**done.fields, "rollout_state": "not followed"})
    after = await follow(p, datetime.fromisoformat(done.fields["requested_at"]), stop, say)
    return Done(after.ok, f"{done.evidence}; {after.evidence}", {**done.fields, **after.fields}, after.unknown)


async def _command(p: Prepared, stop: asyncio.Event, line: Callable[[str], None], grace: float) -> Done:
    outcome = await run_command(p.script, cwd=p.cwd, env=p.env, timeout=p.timeout, on_line=line, stop=stop, grace=grace,
                                tail_lines=TAIL_LINES)
    fields: dict[str, Any] = {"exit_code": outcome.exit_code, "signal": outcome.signal, "duration_seconds": round(outcome.duration, 3),
              "timed_out": outcome.timed_out, "stopped": outcome.stopped, "lines": outcome.lines, "tail": list(outcome.tail)}
    if outcome.error:
        fields["error"] = outcome.error
    return Done(outcome.passed, f"command {outcome.summary()}", fields)


async def _slack(p: Prepared, client: httpx.AsyncClient) -> Done:
    assert p.webhook is not None
    outcome = await send_message(p.webhook, p.text, client=client)
    fields = {"state": outcome.state, "status": outcome.status, "response": outcome.response, "attempts": outcome.attempts}
    answer = f"HTTP {outcome.status} {outcome.response}".strip() if outcome.status is not None else "no answer"
    return Done(outcome.sent, f"slack {outcome.channel}: {outcome.detail} ({answer})", fields, unknown=outcome.state == "unknown")


def snapshot_line(snap: RunSnapshot) -> str:
    """One watch observation: status, conclusion, elapsed, jobs, rate limit left."""
    jobs = ", ".join(f"{j.name}: {j.conclusion or j.status}" + next((f" ({s.name})" for s in j.steps if s.status == "in_progress"), "")
                     for j in snap.jobs)
    state = snap.status + (f"/{snap.conclusion}" if snap.conclusion else "")
    rate = f" · rate limit {snap.rate_limit_remaining} left" if snap.rate_limit_remaining is not None else ""
    problem = f" · {snap.problem}" if snap.problem else ""
    return one_line(f"run {snap.run_id} {state} · {snap.elapsed_seconds:.0f} s · {jobs or 'no jobs yet'}{rate}{problem}", 300)


async def _github(p: Prepared, client: httpx.AsyncClient, stop: asyncio.Event, say: Callable[[str], None], poll: float,
                  watch_timeout: float | None) -> Done:
    assert p.workflow is not None and p.token is not None
    gh = GitHubWorkflows(p.workflow, p.token, client=client, sleep=stoppable_sleep(stop), find_interval=poll)
    try:
        dispatched = await gh.dispatch()
    except GitHubError as exc:  # refused, or never sent: nothing started
        return Done(False, f"dispatch refused: {exc}", {"dispatch": "refused", "status": exc.status, "detail": str(exc)})
    fields: dict[str, Any] = {"dispatch": dispatched.state, "posts": dispatched.posts, "requested_at": dispatched.requested_at.isoformat()}
    if dispatched.run is None:
        fields["detail"] = dispatched.detail
        return Done(False, f"dispatch {dispatched.detail}", fields, unknown=True)
    run = dispatched.run
    fields.update(run_id=run.run_id, html_url=run.html_url, run_url=run.run_url)
    how = "" if dispatched.detail == f"started run {run.run_id}" else f" ({dispatched.detail}, {dispatched.posts} POST{'s' * (dispatched.posts > 1)})"
    say(f"dispatched: run {run.run_id} {run.html_url}{how}")
    return await _watch(gh, run, fields, stop, say, poll, watch_timeout)


async def _watch(gh: GitHubWorkflows, run: RunRef, fields: dict[str, Any], stop: asyncio.Event, say: Callable[[str], None],
                 poll: float, watch_timeout: float | None) -> Done:
    last: RunSnapshot | None = None
    goes_on = f"the run goes on at GitHub: {run.html_url}"
    try:
        async with asyncio.timeout(watch_timeout):
            async for snap in gh.watch(run.run_id, interval=poll):
                last = snap
                say(snapshot_line(snap))
                if stop.is_set() and not snap.completed:
                    fields.update(status=snap.status, watched="stopped")
                    return Done(False, f"stopped watching run {run.run_id}; {goes_on}", fields, unknown=True)
    except TimeoutError:
        fields.update(status=last.status if last else "unknown", watched="timed out")
        return Done(False, f"stopped watching run {run.run_id} after {watch_timeout:g} s; {goes_on}", fields, unknown=True)
    except GitHubError as exc:
        fields.update(status=last.status if last else "unknown", watched="failed", detail=str(exc))
        return Done(False, f"watching run {run.run_id} failed: {exc}; {goes_on}", fields, unknown=True)
    assert last is not None
    fields.update(status=last.status, conclusion=last.conclusion, elapsed_seconds=round(last.elapsed_seconds, 1),
                  jobs=[f"{j.name}: {j.conclusion or j.status}" for j in last.jobs])
    return Done(last.succeeded, f"run {run.run_id} {last.conclusion or last.status} after {last.elapsed_seconds:.0f} s: {run.html_url}", fields)


async def find_run(p: Prepared, client: httpx.AsyncClient, since: Any, poll: float) -> RunRef | None:
    """The run a dispatch whose outcome is unknown started, if GitHub lists one (sends no dispatch)."""
    assert p.workflow is not None and p.token is not None
    gh = GitHubWorkflows(p.workflow, p.token, client=client, find_interval=poll)
    return await gh.find_run(since, attempts=1)
