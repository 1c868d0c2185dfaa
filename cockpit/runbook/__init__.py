"""The deployment plan as data: model, TOML loader and validator, bundled plans."""

from cockpit.runbook.loader import RunbookError, bundled_path, load_runbook, validate_file
from cockpit.runbook.model import Environment, Phase, Runbook, Step

__all__ = [
    "Environment",
    "Phase",
    "Runbook",
    "RunbookError",
    "Step",
    "bundled_path",
    "load_runbook",
    "validate_file",
]
