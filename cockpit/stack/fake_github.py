"""A fake GitHub REST API on 127.0.0.1: workflow dispatch, runs, jobs, ETags, rate limits, faults.

Scenarios are plain attributes, set any time:

    gh = FakeGitHub(token="ghp_x").start()              # prefix="/api/v3" serves like GitHub Enterprise
    gh.dispatch_mode = "details"      # 200 + workflow_run_id | "no_details" (204) | "reject_field" (422 naming
                                      # return_run_details, 204 without it) | "hang" (creates the run, answers after hang_seconds)
    gh.stages = ["queued", "in_progress", "completed:success"]   # what a new run goes through
    gh.advance_per_poll = True        # each poll (the GET of a run's jobs) moves it one stage on after answering; else gh.advance(run_id)
    gh.hidden_listings = 2            # the first 2 run listings do not show dispatched runs yet (GitHub's lag)
    gh.seconds_per_stage = 3.0        # runs move on by themselves, a stage every 3 s of real time (the demo)
    gh.next_stages = ["queued", "completed:failure"]   # the next new run only goes through these
    gh.on_completed = lambda run: ...  # called (in the thread that moved it) when a run reaches its last stage
    gh.fault(429, headers={"Retry-After": "7"}, times=1)   # the next matching request gets this instead
    gh.posts()                        # the dispatch POSTs, recorded (Authorization is never recorded)
    gh.answers                        # (path, status) of every answer: a 304 shows here

Every answer carries x-ratelimit-remaining (5000, minus one per answer that is not a 304) and
x-ratelimit-reset; GETs of runs and jobs carry an ETag, and If-None-Match with it gets a 304.
A request whose bearer token is not `token` gets 401.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from cockpit.stack.loopback import LoopbackHandler, LoopbackServer

RATE_LIMIT = 5000
RATE_RESET = 1_900_000_000  # a fixed epoch: tests inject their own clock
STEP_NAMES = ("Set up job", "Deploy", "Complete job")


@dataclass(frozen=True)
class Recorded:
    """One request as the fake saw it (headers lower-cased, Authorization left out)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class _Fault:
    status: int
    headers: dict[str, str]
    body: Any
    times: int
    method: str | None
    path_contains: str


@dataclass
class FakeRun:
    """A run the fake made: it goes through `stages` ("queued", "in_progress", "completed:<conclusion>")."""

    run_id: int
    workflow: str
    ref: str
    inputs: dict[str, str]
    actor: str
    created_at: datetime
    stages: list[str]
    stage: int = 0
    dispatched: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    stage_since: float = field(default_factory=time.monotonic)  # when it reached its stage

    @property
    def status(self) -> str:
        return self.stages[self.stage].partition(":")[0]

    @property
    def conclusion(self) -> str | None:
        return self.stages[self.stage].partition(":")[2] or None


class FakeGitHub(LoopbackServer):
    """ThreadingHTTPServer in a daemon thread; see the module docstring."""

    thread_name = "fake-github"

    def __init__(self, token: str = "ghp_fake_token", login: str = "release-bot", prefix: str = "") -> None:
        super().__init__()
        self.token = token
        self.login = login
        self.prefix = prefix.rstrip("/")
        self.dispatch_mode = "details"
        self.hang_seconds = 30.0
        self.stages = ["queued", "in_progress", "completed:success"]
        self.advance_per_poll = False
        self.hidden_listings = 0
        self.seconds_per_stage = 0.0
        self.next_stages: list[str] | None = None
        self.on_completed: Callable[[FakeRun], None] | None = None
        self.user_status = 200
        self.clock = lambda: datetime.now(UTC)
        self.runs: dict[int, FakeRun] = {}
        self.recorded: list[Recorded] = []
        self.answers: list[tuple[str, int]] = []  # (path, status) of every answer, oldest first
        self._faults: list[_Fault] = []
        self._next_id = 9000
        self._remaining = RATE_LIMIT
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The API base (with the Enterprise prefix when there is one): use it as GITHUB_API_URL."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    # -- scenario ----------------------------------------------------------------------

    def fault(self, status: int, *, headers: dict[str, str] | None = None, body: Any = None, times: int = 1,
              method: str | None = None, path_contains: str = "") -> None:
        """The next `times` requests (of `method`, whose path contains `path_contains`) get this answer instead."""
        with self._lock:
            self._faults.append(_Fault(status, dict(headers or {}), body if body is not None else {"message": f"fault {status}"},
                                       times, method, path_contains))

    def add_run(self, workflow: str = "deploy-api.yml", ref: str = "main", actor: str | None = None, created_at: datetime | None = None) -> FakeRun:
        """A run made without a dispatch (another operator's, an older one)."""
        with self._lock:
            return self._new_run(workflow, ref, {}, actor or self.login, created_at)

    def advance(self, run_id: int, stages: int = 1) -> None:
        """Move a run on by `stages` (it stays at its last stage); `on_completed` hears a run that just completed."""
        with self._lock:
            run = self.runs[run_id]
            before, run.stage = run.stage, min(len(run.stages) - 1, run.stage + stages)
            if run.stage != before:
                run.stage_since = time.monotonic()
            completed = run.stage != before and run.status == "completed"
        if completed and self.on_completed is not None:
            self.on_completed(run)

    def _tick(self) -> None:
        """Runs move on in real time (`seconds_per_stage`), until the server stops."""
        while not self._stopping.wait(0.1):
            if self.seconds_per_stage <= 0:
                continue
            now = time.monotonic()
            with self._lock:
                due = [r.run_id for r in self.runs.values() if r.stage < len(r.stages) - 1 and now - r.stage_since >= self.seconds_per_stage]
            for run_id in due:
                self.advance(run_id)

    def run_states(self) -> list[tuple[int, str, dict[str, str], str, str | None]]:
        """(run id, workflow, inputs, status, conclusion) of every run, oldest first (runs move on in another thread)."""
        with self._lock:
            return [(r.run_id, r.workflow, dict(r.inputs), r.status, r.conclusion) for r in sorted(self.runs.values(), key=lambda r: r.run_id)]

    def requests(self, method: str | None = None, path_contains: str = "") -> list[Recorded]:
        """Recorded requests, oldest first, filtered."""
        with self._lock:
            return [r for r in self.recorded if (method is None or r.method == method) and path_contains in r.path]

    def posts(self) -> list[Recorded]:
        """The dispatch POSTs."""
        return self.requests("POST", "/dispatches")

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        """Listen on a free port (the kernel's choice) and serve in a daemon thread; runs move on in another (`_tick`)."""
        if self._server is None:
            super().start()
            threading.Thread(target=self._tick, daemon=True, name=f"fake-github-clock-{self.port}").start()
        return self

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    # -- behaviour (called by the handler, under no lock unless said) ---------------------

    def _new_run(self, workflow: str, ref: str, inputs: dict[str, str], actor: str, created_at: datetime | None = None) -> FakeRun:
        self._next_id += 1
        stages, self.next_stages = list(self.next_stages or self.stages), None
        run = FakeRun(self._next_id, workflow, ref, inputs, actor, created_at or self.clock(), stages)
        self.runs[run.run_id] = run
        return run

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and (fault.method in (None, method)) and fault.path_contains in path:
                    fault.times -= 1
                    return fault
        return None

    def _rate_headers(self, counted: bool) -> dict[str, str]:
        with self._lock:
            if counted:
                self._remaining = max(0, self._remaining - 1)
            return {"x-ratelimit-limit": str(RATE_LIMIT), "x-ratelimit-remaining": str(self._remaining), "x-ratelimit-reset": str(RATE_RESET)}

    def _run_json(self, run: FakeRun) -> dict[str, Any]:
        # 30 s per distinct stage (a stage listed twice answers the same document, and ETag, twice); with a real-time
        # clock (`seconds_per_stage`), that many seconds: the demo's elapsed times are the ones a newcomer waited
        per_stage = self.seconds_per_stage or 30
        stamp = (run.created_at + timedelta(seconds=per_stage * run.stages.index(run.stages[run.stage]))).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"id": run.run_id, "name": run.workflow, "event": "workflow_dispatch", "head_branch": run.ref,
                "status": run.status, "conclusion": run.conclusion, "actor": {"login": run.actor},
                "created_at": run.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "run_started_at": run.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "updated_at": stamp, "url": f"{self.url}/repos/o/r/actions/runs/{run.run_id}",
                "html_url": f"https://github.example/o/r/actions/runs/{run.run_id}", **run.extra}

    def _jobs_json(self, run: FakeRun) -> dict[str, Any]:
        if run.status == "queued":
            return {"total_count": 1, "jobs": [{"name": "deploy", "status": "queued", "conclusion": None, "steps": []}]}
        done = run.status == "completed"
        steps = []
        for number, name in enumerate(STEP_NAMES, 1):
            finished = done or number == 1
            steps.append({"number": number, "name": name, "status": "completed" if finished else ("in_progress" if number == 2 else "queued"),
                          "conclusion": (run.conclusion if done and number == 2 else "success") if finished else None})
        return {"total_count": 1, "jobs": [{"name": "deploy", "status": run.status, "conclusion": run.conclusion, "steps": steps}]}

    def _listing(self, workflow: str, query: dict[str, str]) -> dict[str, Any]:
        since = query.get("created", "").removeprefix(">=")
        floor = datetime.fromisoformat(since) if since else None
        with self._lock:
            hide = self.hidden_listings > 0
            self.hidden_listings = max(0, self.hidden_listings - 1)
            runs = [r for r in self.runs.values() if r.workflow == workflow and ("actor" not in query or r.actor == query["actor"])
                    and (floor is None or r.created_at >= floor) and not (hide and r.dispatched)]
            runs.sort(key=lambda r: (r.created_at, r.run_id), reverse=True)
            return {"total_count": len(runs), "workflow_runs": [self._run_json(r) for r in runs]}


def _handler_for(gh: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("latin-1")
            path = parts.path
            headers = {k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"}
            with gh._lock:
                gh.recorded.append(Recorded(method, path, dict(parse_qsl(parts.query)), headers, body))
            if not path.startswith(gh.prefix + "/"):
                return self._json(404, {"message": "Not Found"})
            path = path[len(gh.prefix):]
            fault = gh._take_fault(method, path)
            if fault is not None:
                return self._json(fault.status, fault.body, fault.headers)
            if self.headers.get("Authorization") != f"Bearer {gh.token}":
                return self._json(401, {"message": "Bad credentials"})
            self._route(method, path.strip("/").split("/"), dict(parse_qsl(parts.query)), body)

        def _route(self, method: str, seg: list[str], query: dict[str, str], body: Any) -> None:
            if method == "GET" and seg == ["user"]:
                return self._json(gh.user_status, {"login": gh.login} if gh.user_status == 200 else {"message": "Resource not accessible by integration"})
            if len(seg) == 7 and seg[0] == "repos" and seg[3:5] == ["actions", "workflows"]:
                if method == "POST" and seg[6] == "dispatches":
                    return self._dispatch(seg[5], body)
                if method == "GET" and seg[6] == "runs":
                    return self._json(200, gh._listing(seg[5], query))
            if method == "GET" and len(seg) >= 6 and seg[0] == "repos" and seg[3:5] == ["actions", "runs"] and seg[5].isdigit():
                run = gh.runs.get(int(seg[5]))
                if run is not None and len(seg) == 6:
                    return self._conditional(gh._run_json(run), None)
                if run is not None and seg[6:] == ["jobs"]:  # a poll reads the run, then its jobs: then it moves on
                    return self._conditional(gh._jobs_json(run), run)
            return self._json(404, {"message": "Not Found"})

        def _dispatch(self, workflow: str, body: Any) -> None:
            if not isinstance(body, dict) or not isinstance(body.get("ref"), str):
                return self._json(422, {"message": "Invalid request: ref is required"})
            mode = gh.dispatch_mode
            if mode == "reject_field" and "return_run_details" in body:
                return self._json(422, {"message": "Invalid request.\n\n\"return_run_details\" is not a permitted key."})
            with gh._lock:
                run = gh._new_run(workflow, body["ref"], dict(body.get("inputs") or {}), gh.login)
                run.dispatched = True
            if mode == "hang":
                if gh._stopping.wait(gh.hang_seconds):
                    self.close_connection = True
                    return None
            if mode == "details" and body.get("return_run_details") is True:
                return self._json(200, {"workflow_run_id": run.run_id, "run_url": gh._run_json(run)["url"], "html_url": gh._run_json(run)["html_url"]})
            return self._send(204, b"", {})

        def _conditional(self, doc: dict[str, Any], advancing: FakeRun | None) -> None:
            payload = json.dumps(doc, sort_keys=True).encode()
            etag = '"' + hashlib.sha1(payload).hexdigest() + '"'
            if advancing is not None and gh.advance_per_poll:
                gh.advance(advancing.run_id)
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", {"ETag": etag, **gh._rate_headers(counted=False)})
            return self._send(200, payload, {"ETag": etag, "Content-Type": "application/json", **gh._rate_headers(counted=True)})

        def _json(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
            extra = {**gh._rate_headers(counted=True), "Content-Type": "application/json", **(headers or {})}
            self._send(status, json.dumps(doc).encode(), extra)

        def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
            with gh._lock:
                gh.answers.append((urlsplit(self.path).path, status))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304 and status != 204:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload and status not in (204, 304):
                self.wfile.write(payload)

    return Handler
