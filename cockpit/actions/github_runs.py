"""A workflow run as data: frozen snapshots parsed from GitHub's JSON, pure and defensive.

Names and statuses come from outside: they are cut to one sanitized line here; the UI still
renders them as text, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from cockpit.actions.github_config import GitHubError
from cockpit.core.text import one_line


@dataclass(frozen=True)
class RunRef:
    """A workflow run: its id, API URL and web page."""

    run_id: int
    html_url: str
    run_url: str


@dataclass(frozen=True)
class StepState:
    """One step of a job."""

    name: str
    status: str
    conclusion: str | None


@dataclass(frozen=True)
class JobState:
    """One job of the run and its steps."""

    name: str
    status: str
    conclusion: str | None
    steps: tuple[StepState, ...]


@dataclass(frozen=True)
class RunSnapshot:
    """One observation of a run.

    `status`: queued, in_progress, completed, ... ("unknown" before the first answer);
    `conclusion`: success, failure, cancelled, ... once completed; `elapsed_seconds`: from the
    run's start to now (to its last update once completed); `rate_limit_remaining` /
    `rate_limit_reset` (epoch seconds): GitHub's budget left; `problem`: why this observation
    repeats the last state ("" when it is fresh), e.g. a rate-limit wait or a network error.
    """

    run_id: int
    status: str
    conclusion: str | None
    jobs: tuple[JobState, ...]
    elapsed_seconds: float
    html_url: str
    rate_limit_remaining: int | None
    rate_limit_reset: int | None
    problem: str = ""

    @property
    def completed(self) -> bool:
        """The run has finished (whatever its conclusion)."""
        return self.status == "completed"

    @property
    def succeeded(self) -> bool:
        """Completed with conclusion success."""
        return self.completed and self.conclusion == "success"


def _text(value: Any, limit: int = 120) -> str:
    return one_line(str(value), limit) if value is not None else ""


def _optional(value: Any) -> str | None:
    return _text(value, 40) or None


def _time(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _ref_of(item: Any) -> RunRef | None:
    if not isinstance(item, dict):
        return None
    run_id = item.get("id", item.get("workflow_run_id"))
    if not isinstance(run_id, int) or isinstance(run_id, bool) or run_id <= 0:
        return None
    return RunRef(run_id, _text(item.get("html_url"), 300), _text(item.get("url", item.get("run_url")), 300))


def run_ref_from_details(resp: httpx.Response) -> RunRef | None:
    """The run a 200 dispatch answer names (`workflow_run_id`, `run_url`, `html_url`); None when it names none."""
    try:
        data = resp.json()
    except ValueError:
        return None
    if not isinstance(data, dict) or "workflow_run_id" not in data:
        return None
    return _ref_of(data)


def newest_run(listing: Any, ref: str) -> RunRef | None:
    """The newest run of a `GET .../runs` listing, preferring runs on `ref` (by branch or tag name) when any are."""
    runs = listing.get("workflow_runs") if isinstance(listing, dict) else None
    if not isinstance(runs, list):
        raise GitHubError("GitHub sent a run listing without workflow_runs")
    runs = [run for run in runs if _ref_of(run) is not None]
    short = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
    on_ref = [run for run in runs if run.get("head_branch") == short]
    candidates = on_ref or runs
    if not candidates:
        return None
    newest = max(candidates, key=lambda run: (str(run.get("created_at", "")), run["id"]))
    return _ref_of(newest)


def _steps(job: dict[str, Any]) -> tuple[StepState, ...]:
    steps = job.get("steps")
    if not isinstance(steps, list):
        return ()
    return tuple(StepState(_text(s.get("name")), _text(s.get("status"), 40), _optional(s.get("conclusion")))
                 for s in steps if isinstance(s, dict))


def snapshot_of(run_id: int, run: Any, jobs: Any, now: datetime, remaining: int | None, reset: int | None) -> RunSnapshot:
    """A RunSnapshot from the run's JSON and its jobs' JSON, observed at `now`. Raises GitHubError on a malformed answer."""
    if not isinstance(run, dict) or not isinstance(run.get("status"), str):
        raise GitHubError(f"GitHub sent a malformed run {run_id}")
    job_list = jobs.get("jobs") if isinstance(jobs, dict) else None
    if not isinstance(job_list, list):
        raise GitHubError(f"GitHub sent malformed jobs for run {run_id}")
    status = _text(run["status"], 40)
    started = _time(run.get("run_started_at") or run.get("created_at"))
    end = _time(run.get("updated_at")) if status == "completed" else now
    elapsed = max(0.0, (end - started).total_seconds()) if started is not None and end is not None else 0.0
    job_states = tuple(JobState(_text(j.get("name")), _text(j.get("status"), 40), _optional(j.get("conclusion")), _steps(j))
                       for j in job_list if isinstance(j, dict))
    return RunSnapshot(run_id, status, _optional(run.get("conclusion")), job_states, elapsed, _text(run.get("html_url"), 300),
                       remaining, reset)
