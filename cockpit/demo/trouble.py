"""The demo's trouble keys: what each one breaks (or mends), as the TUI lists them.

Pure data, shared by the demo's stack process (which acts) and the TUI (which shows
and sends them), so the help, the trouble menu and the stack agree on every key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class TroubleAction:
    """One trouble key: `label` says what pressing it does now, `state` how things are."""

    key: str
    name: str
    label: str
    state: str
    available: bool = True

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> TroubleAction:
        return cls(str(data["key"]), str(data["name"]), str(data["label"]), str(data["state"]), bool(data.get("available", True)))


# key → name; the stack makes the labels from its state (see DemoStack.actions).
KEYS = {
    "1": "redis",
    "2": "database",
    "3": "api-slow",
    "4": "api-failing",
    "5": "alarm",
    "6": "flood",
    "7": "deploy-broken",
    "8": "deploy-run-fails",
    "9": "rollout-fails",
    "t": "no-traffic",
    "p": "pool",
}

# name → what the key does, whatever the state (the help shows these: they never go stale;
# the menu under ! shows each key's label and state as they are now).
WHAT = {
    "redis": "stop / start Redis (its CurrConnections fall to 0)",
    "database": "stop / start PostgreSQL (and the RDS instance avnz-db: its metrics stop)",
    "api-slow": "API and pages slow (1.2 s a request; the load balancer's response times too) / normal",
    "api-failing": "API and pages failing (HTTP 500; the load balancer's 5XX count too) / normal",
    "alarm": "avnz-api-5xx-errors into ALARM (with the 5XX it speaks of, ~37 a minute) / back to OK",
    "flood": "flood the logs (2,000 lines a second, for 2 minutes) / stop",
    "deploy-broken": "avnz-api: deploy a broken image (its rollout FAILS; roll back with R)",
    "deploy-run-fails": "the next deploy run at the fake GitHub fails (b-deploy-staging fails)",
    "rollout-fails": "the next deploy's ECS rollout fails (the step fails with ECS's events)",
    "no-traffic": "no requests reach the API (its RequestCount and TargetResponseTime stop: gaps) / traffic again",
    "pool": "avnz-db's connections near the pool's capacity (connection_limit x avnz-api tasks) / normal",
}
