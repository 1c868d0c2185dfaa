"""An environment's metric values in the `{key}` placeholders of dashboards and checks (`[environments.NAME.metrics]`)."""

from __future__ import annotations

from cockpit.runbook.dashboards import PLACEHOLDER, placeholders
from cockpit.runbook.model import Environment


def resolve(text: str, env: Environment) -> tuple[str, str]:
    """`text` with each `{key}` replaced by the environment's metric value: (text, '') or ('', why not):
    'not configured: set COCKPIT_LOAD_BALANCER' names the variable when the value came from one."""
    values = dict(env.metric_values)
    for key in placeholders(text):
        if not values.get(key):
            names = env.sources.get(f"metrics.{key}", ())
            how = f"set {' or '.join(names)}" if names else f"set metrics.{key} in environments.{env.name}"
            return "", f"not configured: {how}"
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text), ""
