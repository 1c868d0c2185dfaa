"""A real moto server (moto 5.2.5) on a free loopback port: CloudWatch Logs, CloudWatch and ECS for boto3.

The subprocess is `python -m cockpit.stack.moto_host` (moto's own server app, in a host of
ours): it exits when its stdin pipe closes, so even a `kill -9` of this process leaves no
moto behind. boto3 finds it through the environment (`env()`): `AWS_ENDPOINT_URL` and
dummy credentials. One server serves every service and every region; `reset()` wipes all
of its state.

`MotoServer(..., simulate_ecs=True)` turns on the host's ECS simulator (ecs_sim.py):
`update_service` starts a deployment that rolls forward one task per `ecs_step_seconds`
to COMPLETED, with service events, and `fail_next_deployment()` makes a service's next
(or current) rollout fail by the circuit breaker. Without it, ECS is moto's as below.

moto differs from AWS in ways tests must know (measured with moto 5.2.5, botocore 1.44.8):
- `filter_log_events` returns events stream by stream (streams in creation order, each
  sorted by timestamp) unless the request says `interleaved=True`; AWS always interleaves.
- `eventId`s are a counter over the server's life ("0", "1", ...), not reset by `reset()`.
- filter patterns: plain terms (all words as substrings) and one quoted phrase work; any
  pattern starting with something else (`?a ?b`, `{ $.x = 1 }`, `[...]`, `-x`) matches
  every event, and no pattern is ever rejected as invalid (use AwsFaultProxy for that).
- `logStreamNamePrefix` of `filter_log_events` is ignored (every stream is searched).
- `put_log_events` silently drops events older than 14 days or over 2 hours ahead of the
  *real* clock (`rejectedLogEventsInfo`), so seed with timestamps near `time.time()`.
- ECS (details in ecs_seed.py): `update_service` starts no deployment, the one PRIMARY
  deployment stays IN_PROGRESS with 0 running, `events` is always [], an INACTIVE task
  definition is accepted; `list_task_definitions` ignores `sort` and `maxResults`.
  The simulator fills the deployment, events and INACTIVE gaps, nothing else.
"""

from __future__ import annotations

import atexit
import http.client
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO

from cockpit.stack import free_port, log_tail, wait_until_closed

START_TIMEOUT = 20.0
REGION = "us-east-1"
FOREIGN_AWS_SETTINGS = frozenset({"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS",
                                  "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_CA_BUNDLE"})


class MotoServer:
    """One moto host subprocess logging to `tmp_dir/moto.log`.

    `start()` waits until it answers HTTP; `stop()` is idempotent (and runs at exit);
    `reset()` wipes every service's state; `env()` is what boto3 needs to reach it;
    `fail_next_deployment()` needs `simulate_ecs=True`.
    """

    def __init__(self, tmp_dir: Path | str, *, simulate_ecs: bool = False, ecs_step_seconds: float = 1.0) -> None:
        self.tmp_dir = Path(tmp_dir)
        self.simulate_ecs = simulate_ecs
        self.ecs_step_seconds = ecs_step_seconds
        self.port = 0
        self.log_path = self.tmp_dir / "moto.log"
        self._proc: subprocess.Popen | None = None
        self._log: BinaryIO | None = None
        atexit.register(self.stop)

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @staticmethod
    def foreign_settings(environ) -> list[str]:
        """The machine's AWS variables in `environ` that `env()` does not override but that would
        still send calls elsewhere or change them (profiles, tokens, retries, per-service endpoints):
        whoever points boto3 at this moto removes these first."""
        return [name for name in environ if name in FOREIGN_AWS_SETTINGS or name.startswith("AWS_ENDPOINT_URL_")]

    def env(self) -> dict[str, str]:
        """Environment for boto3: endpoint, dummy keys, region; no config files from the machine."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,  # what botocore 1.44 reads
            "AWS_REGION": REGION,  # what other SDKs (and maybe our code) read
            # A developer's ~/.aws must not change retries, region or endpoints under test.
            "AWS_CONFIG_FILE": str(self.tmp_dir / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.tmp_dir / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> MotoServer:
        """Start on a free port and wait until it answers `GET /moto-api/`."""
        if self.running:
            return self
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):
            self.port = free_port()
            self._spawn()
            if self._wait_ready():
                return self
            if "Address already in use" not in log_tail(self.log_path, 10):
                break  # another free port only helps when we lost the race for this one
        exited = self._proc is not None and self._proc.poll() is not None
        self.stop()
        what = "exited" if exited else f"did not answer within {START_TIMEOUT:.0f} s"
        raise RuntimeError(f"moto on port {self.port} {what} ({' '.join(self.command())}); log tail:\n{log_tail(self.log_path)}")

    def command(self) -> list[str]:
        """The host's command line for the current port."""
        command = [sys.executable, "-m", "cockpit.stack.moto_host", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.simulate_ecs:
            command += ["--simulate-ecs", "--ecs-step-seconds", str(self.ecs_step_seconds)]
        return command

    def stop(self) -> None:
        """Close its stdin, SIGTERM and wait (SIGKILL after 10 s); a no-op when not running."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        self._close_stdin(proc)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            wait_until_closed(self.port)
        self._log_file_close()

    def reset(self) -> None:
        """Wipe all state of all services (`POST /moto-api/reset`)."""
        status, body = self._request("POST", "/moto-api/reset", timeout=10)
        if status != 200:
            raise RuntimeError(f"moto reset answered {status}: {body[:200]!r}")

    def fail_next_deployment(self, cluster: str, service: str, region: str = REGION) -> None:
        """Make the service's current IN_PROGRESS deployment, or else its next one, fail (ECS simulator).

        Raises RuntimeError with the host's answer when it is not 200 (404: no such
        service; 409: the server runs without `simulate_ecs`).
        """
        payload = json.dumps({"cluster": cluster, "service": service, "region": region}).encode()
        status, body = self._request("POST", "/cockpit-sim/fail-next", timeout=10, body=payload)
        if status != 200:
            raise RuntimeError(f"moto fail-next for {service} in {cluster} ({region}) answered {status}: {body[:300].decode(errors='replace')}")

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- internals ---------------------------------------------------------------------

    def _spawn(self) -> None:
        if self._proc is not None:
            self._close_stdin(self._proc)  # an earlier attempt that exited
        self._log_file_close()
        self._log = open(self.log_path, "wb")  # a fresh log per start: the tail explains *this* start
        try:
            self._proc = subprocess.Popen(
                self.command(),
                # Kept open and never written: the host exits at its EOF, i.e. when we close
                # it in stop() or when this process dies in any way.
                stdin=subprocess.PIPE,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal must not reach it before teardown
            )
        except OSError:
            self._log_file_close()
            raise

    @staticmethod
    def _close_stdin(proc: subprocess.Popen) -> None:
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def _log_file_close(self) -> None:
        log, self._log = self._log, None
        if log is not None:
            log.close()

    def _wait_ready(self) -> bool:
        proc = self._proc
        assert proc is not None, "_spawn() started it"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                status, _ = self._request("GET", "/moto-api/", timeout=1.0)
                if status == 200:
                    return True
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        return False

    def _request(self, method: str, path: str, timeout: float, body: bytes | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()
