"""moto for everything, a script for the rollout: what `cockpit rollback` needs end to end.

moto answers describe_services, list_task_definitions, describe_task_definition and
update_service (and checks the revision exists), but its rollouts never leave IN_PROGRESS
(cockpit/stack/ecs_seed.py). `ScriptedRollout` wraps a real client on moto and, once
update_service has been called, answers describe_services from a script of responses
(tests/servers/ecs_rollouts.py `Rollout` sequences), repeating the last one:

    ecs = ScriptedRollout(boto3.client("ecs"), Rollout(API, old=..., new=...).completes(3))
    monkeypatch.setattr("cockpit.commands.rollback.ecs_client", lambda ctx: ecs)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any


class ScriptedRollout:
    """A boto3 ECS client (moto) whose describe_services follows `script` after update_service.

    Every other call goes to the real client. `calls` lists the operations made, in order
    (snake_case names), for checking what happened before what.
    """

    def __init__(self, client: Any, script: Sequence[dict[str, Any]]) -> None:
        if not script:
            raise ValueError("a rollout script needs at least one describe_services response")
        self.client = client
        self.script = list(script)
        self.updated = False
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if not callable(attribute) or name.startswith("_") or name in ("meta", "exceptions"):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls.append(name)
            return attribute(*args, **kwargs)

        return call

    def update_service(self, **kwargs: Any) -> dict[str, Any]:
        """The real update_service (moto stores the task definition), then the script starts."""
        with self._lock:
            self.calls.append("update_service")
        answer = self.client.update_service(**kwargs)
        self.updated = True
        return answer

    def describe_services(self, **kwargs: Any) -> dict[str, Any]:
        """moto's answer before update_service; the script's next response after it."""
        with self._lock:
            self.calls.append("describe_services")
            if not self.updated:
                scripted = None
            elif len(self.script) > 1:
                scripted = self.script.pop(0)
            else:
                scripted = self.script[0]
        return self.client.describe_services(**kwargs) if scripted is None else scripted
