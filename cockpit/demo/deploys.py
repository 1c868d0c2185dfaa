"""The demo's Phase B: a fake GitHub whose deploy runs start ECS deployments, a fake Slack, and a checkout with `npx`.

The test suite's fakes (`cockpit.stack.fake_github`, `fake_slack`) on loopback ports, so a
newcomer sees a step's actions end to end with nothing leaving the machine:
- GitHub: a dispatched run goes queued → in_progress → completed over a few seconds of real
  time; a successful `deploy-api.yml` / `deploy-admin-dashboard.yml` run then does what the real
  workflow does at its end: registers a new revision of its service on a new image and deploys
  it, and the demo's ECS simulator rolls it out (IN_PROGRESS → COMPLETED), which the step follows;
- Slack: one incoming webhook per channel of the bundled runbook; what it received is shown in
  the demo's trouble menu (`!`), where the demo already shows its own state (the demo's control,
  not a source of the run: the engine stays unaware of it);
- a checkout (`COCKPIT_WORKDIR`) with `apps/admin-dashboard` and a `bin/npx` on PATH that plays
  `npx playwright test` against the demo's dashboard stand-in (cockpit/demo/npx.py).
Two trouble keys make the next deploy run fail at GitHub, or the next deploy's rollout fail in ECS.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cockpit.core.text import one_line
from cockpit.stack import error_line
from cockpit.stack.fake_github import FakeGitHub, FakeRun
from cockpit.stack.fake_slack import FakeSlack

REPOSITORY = "avnz/payment-platform"
LOGIN = "demo-operator"
SECONDS_PER_STAGE = 3.0  # queued → in_progress → completed: a run takes ~6 s
SERVICES = {"deploy-api.yml": "avnz-api", "deploy-admin-dashboard.yml": "avnz-admin-dashboard"}
CHANNELS = ("deployments", "engineering", "product")  # the bundled runbook's: SLACK_WEBHOOK_<NAME>
SHOWN = 5  # Slack messages and runs in the trouble menu
NPX = '#!/bin/sh\n# the demo\'s npx (cockpit/demo/npx.py): `npx playwright test` against the demo\'s dashboard\nexec "{python}" -m cockpit.demo.npx "$@"\n'


@dataclass(frozen=True)
class Heard:
    """One message the fake webhook received: its channel (never the webhook's secret path) and text."""

    at: str
    channel: str
    text: str

    def to_json(self) -> dict:
        return {"at": self.at, "channel": self.channel, "text": self.text}


class DemoDeploys:
    """The fakes, the hook from a finished deploy run into ECS, and the checkout; see the module docstring."""

    def __init__(self, workdir: Path, deploy: Callable[[str, str, bool], str], progress: Callable[[str], None]) -> None:
        self.workdir = workdir
        self.deploy = deploy  # (service, image tag, fail) → 'family:revision' (AwsEstate.deploy_service)
        self.progress = progress
        self.token = "ghp_demo" + secrets.token_hex(16)
        self.github = FakeGitHub(token=self.token, login=LOGIN)
        self.github.seconds_per_stage = SECONDS_PER_STAGE
        self.github.on_completed = self._completed
        self.slack = FakeSlack()
        self.paths = {name: f"/services/T0DEMO/B0{name.upper()}/{secrets.token_urlsafe(18)}" for name in CHANNELS}
        self.next_rollout_fails = False
        self.deployed: list[str] = []  # one line per deploy run that reached ECS (or could not)
        self._lock = threading.Lock()

    def start(self) -> None:
        self.github.start()
        self.slack.start()
        checkout = self.workdir / "checkout"
        (checkout / "apps" / "admin-dashboard").mkdir(parents=True, exist_ok=True)
        (checkout / "apps" / "admin-dashboard" / "package.json").write_text(json.dumps({"name": "admin-dashboard", "private": True}))
        bin_dir = self.workdir / "bin"
        bin_dir.mkdir(exist_ok=True)
        npx = bin_dir / "npx"
        npx.write_text(NPX.format(python=sys.executable))
        npx.chmod(0o755)
        self.progress(f"GitHub (fake) up on {self.github.url} ({REPOSITORY})")
        self.progress(f"Slack webhooks (fake) up on {self.slack.url} (#{', #'.join(CHANNELS)})")

    def stop(self) -> None:
        self.github.stop()
        self.slack.stop()

    def environ(self) -> dict[str, str]:
        """What the runbook's actions read: the fakes, a demo token, the checkout and its npx."""
        env = {"GITHUB_API_URL": self.github.url, "GITHUB_REPOSITORY": REPOSITORY, "GH_TOKEN": self.token,
               "COCKPIT_WORKDIR": str(self.workdir / "checkout"),
               "PATH": f"{self.workdir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.update({f"SLACK_WEBHOOK_{name.upper()}": self.slack.webhook_url(path) for name, path in self.paths.items()})
        return env

    # -- what the demo shows ----------------------------------------------------------------

    def heard(self) -> list[Heard]:
        """The last messages the fake webhook received, newest first."""
        channels = {path: f"#{name}" for name, path in self.paths.items()}
        found = []
        for received in self.slack.received[-SHOWN:]:
            try:
                body = received.json()
            except ValueError:
                body = None
            text = str(body.get("text", "")) if isinstance(body, dict) else "(not a JSON message)"
            found.append(Heard(f"{received.at:%H:%M:%S}", channels.get(received.path, "an unknown webhook"), one_line(text, 400)))
        return found[::-1]

    def runs(self) -> list[str]:
        """The last runs the fake GitHub made, newest first, one line each."""
        lines = [f"run {run_id} {workflow} {inputs.get('environment', '')} {status}" + (f"/{conclusion}" if conclusion else "")
                 for run_id, workflow, inputs, status, conclusion in self.github.run_states()[-SHOWN:]]
        return lines[::-1]

    # -- trouble ----------------------------------------------------------------------------

    def fail_next_run(self) -> str:
        self.github.next_stages = ["queued", "in_progress", "completed:failure"]
        return "the next workflow run dispatched to the fake GitHub fails (conclusion failure): its step fails, nothing is deployed"

    def fail_next_rollout(self) -> str:
        self.next_rollout_fails = True
        return "the next deploy run's ECS deployment fails (its tasks never pass their health checks): its step fails with ECS's events"

    # -- a run finished ---------------------------------------------------------------------

    def _completed(self, run: FakeRun) -> None:
        """In the fake's clock thread: a successful deploy run deploys its service (in a thread: boto3 blocks)."""
        service = SERVICES.get(run.workflow)
        if service is None or run.conclusion != "success":
            return
        with self._lock:
            fail, self.next_rollout_fails = self.next_rollout_fails, False
        threading.Thread(target=self._deploy, args=(run, service, fail), name=f"demo-deploy-{run.run_id}", daemon=True).start()

    def _deploy(self, run: FakeRun, service: str, fail: bool) -> None:
        tag = f"sha-{run.run_id:07x}"
        try:
            name = self.deploy(service, tag, fail)
            line = f"{datetime.now(UTC):%H:%M:%S} run {run.run_id} deployed {name} ({tag})" + (" — doomed to fail" if fail else "")
        except Exception as error:  # noqa: BLE001 - moto gone or refusing: the step's follow-up will say none appeared
            line = f"run {run.run_id}: deploying {service} failed: {error_line(error)}"
        with self._lock:
            self.deployed.append(line)
