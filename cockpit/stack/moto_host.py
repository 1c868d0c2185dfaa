"""moto's server in this process, with cockpit's control endpoints and optional ECS simulator.

    python -m cockpit.stack.moto_host --host 127.0.0.1 --port P [--simulate-ecs] [--ecs-step-seconds S]

`MotoServer` (moto_server.py) runs this as a subprocess. It serves moto's own WSGI app (as
`moto_server` does) behind a small middleware answering `/cockpit-sim/...` itself:
- `GET /cockpit-sim/` → 200 `{"simulate_ecs": bool, "ecs_step_seconds": float | null}`;
- `POST /cockpit-sim/fail-next` with `{"cluster", "service", "region"?}` → 200 `{"ok": true}`,
  404 for an unknown service, 400 for a bad body, 409 without `--simulate-ecs`.
Without `--simulate-ecs` every other request reaches moto untouched. With it, see ecs_sim.py.

It exits at once on SIGTERM, SIGINT or SIGHUP, and when its stdin is a pipe that reaches
EOF: the parent died (even by SIGKILL) or closed it, so no moto outlives its owner.
Nothing but moto's and werkzeug's request log is written (to stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import stat
import sys
import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

CONTROL_PREFIX = "/cockpit-sim"
ECS_TARGET = "AmazonEC2ContainerServiceV20141113."
DEFAULT_REGION = "us-east-1"
CREDENTIAL_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


def _exit_now(*_args: Any) -> None:
    """Leave at once: moto holds nothing worth a graceful shutdown, and threads must not keep us alive."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


def exit_with_parent() -> None:
    """Exit on SIGTERM/SIGINT/SIGHUP, and when stdin is a pipe that reaches EOF (the parent is gone)."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _exit_now)
    try:
        watch = stat.S_ISFIFO(os.fstat(0).st_mode) or stat.S_ISSOCK(os.fstat(0).st_mode)
    except OSError:
        watch = False
    if watch:  # not a terminal or /dev/null: those would mean "wait for Ctrl-D" or "exit at once"

        def wait_for_eof() -> None:
            while os.read(0, 4096):
                pass
            _exit_now()

        threading.Thread(target=wait_for_eof, name="stdin-eof", daemon=True).start()


class CockpitMiddleware:
    """moto's WSGI app, plus `/cockpit-sim/` and (with a simulator) ECS requests under its lock."""

    def __init__(self, moto_app, simulator=None) -> None:
        self.moto_app = moto_app
        self.simulator = simulator

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return self._control(environ, start_response, path[len(CONTROL_PREFIX):].strip("/"))
        if self.simulator is None:
            return self.moto_app(environ, start_response)
        is_reset = path.rstrip("/") == "/moto-api/reset"
        if is_reset or environ.get("HTTP_X_AMZ_TARGET", "").startswith(ECS_TARGET):
            # moto's objects change only under the simulator's lock; the body is rendered
            # inside it, so a describe_services answer is never half a step.
            with self.simulator.lock:
                result = self.moto_app(environ, start_response)
                try:
                    body = list(result)
                finally:
                    getattr(result, "close", lambda: None)()
                if is_reset:
                    self.simulator.forget()
            return body
        return self.moto_app(environ, start_response)

    def _control(self, environ, start_response, action: str):
        method = environ.get("REQUEST_METHOD", "GET")
        if action == "" and method == "GET":
            step = self.simulator.step_seconds if self.simulator is not None else None
            return _json(start_response, 200, {"simulate_ecs": self.simulator is not None, "ecs_step_seconds": step})
        if action == "fail-next" and method == "POST":
            return self._fail_next(environ, start_response)
        return _json(start_response, 404, {"error": f"no {method} {CONTROL_PREFIX}/{action}"})

    def _fail_next(self, environ, start_response):
        if self.simulator is None:
            return _json(start_response, 409, {"error": "the ECS simulator is off (start the host with --simulate-ecs)"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            cluster, service = str(body["cluster"]), str(body["service"])
        except (ValueError, KeyError, TypeError) as error:
            return _json(start_response, 400, {"error": f"want a JSON object with cluster and service: {error}"})
        region = str(body.get("region") or _request_region(environ))
        if not self.simulator.fail_next(cluster, service, region):
            return _json(start_response, 404, {"error": f"no service {service} in cluster {cluster} ({region})"})
        return _json(start_response, 200, {"ok": True})


def _request_region(environ) -> str:
    """The region of a SigV4-signed request (its credential scope), else us-east-1."""
    found = CREDENTIAL_REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else DEFAULT_REGION


def _json(start_response, status: int, payload: dict[str, Any]):
    body = json.dumps(payload).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 409: "Conflict"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def build_app(simulate_ecs: bool, ecs_step_seconds: float = 1.0):
    """The WSGI app the host serves; with `simulate_ecs`, also installs and starts the ECS simulator."""
    simulator = None
    if simulate_ecs:
        from cockpit.stack.ecs_sim import EcsSimulator

        simulator = EcsSimulator(ecs_step_seconds)
        simulator.install()
        simulator.start()
    return CockpitMiddleware(DomainDispatcherApplication(create_backend_app), simulator)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, then serve until a signal or stdin's EOF."""
    parser = argparse.ArgumentParser(prog="python -m cockpit.stack.moto_host", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--simulate-ecs", action="store_true", help="roll ECS deployments forward like ECS does")
    parser.add_argument("--ecs-step-seconds", type=float, default=1.0, help="seconds between two steps of a rollout")
    args = parser.parse_args(argv)
    if args.ecs_step_seconds <= 0:
        parser.error("--ecs-step-seconds must be positive")

    exit_with_parent()
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto_server does: some services build URLs from it
    server = make_server(args.host, args.port, build_app(args.simulate_ecs, args.ecs_step_seconds),
                         threaded=True, request_handler=MotoRequestHandler)
    print(f"moto host on http://{args.host}:{server.port} (simulate_ecs={args.simulate_ecs})", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
