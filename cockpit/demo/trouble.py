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
    def from_json(cls, data: dict) -> "TroubleAction":
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
}
