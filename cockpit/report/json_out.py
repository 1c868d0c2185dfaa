"""The report as JSON for tooling: `{"schema": "cockpit.report/1", ...}`, plain strings, times ISO-8601 UTC."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from cockpit.report.model import Report

SCHEMA = "cockpit.report/1"


def report_dict(report: Report) -> dict[str, Any]:
    """The report as plain data (what `to_json` writes)."""
    body = asdict(report)
    for phase, data in zip(report.phases, body["phases"]):
        data["over_plan"] = phase.over_plan
    for person in body["participants"]:
        person["did"] = dict(person["did"])
    run = {"id": body.pop("run_id"), "started_at": body.pop("started_at") or None, "started_by": body.pop("started_by") or None}
    head = {"schema": SCHEMA, "runbook": {"id": body.pop("runbook_id"), "name": body.pop("runbook_name"), "version": body.pop("runbook_version")},
            "environment": {"name": body.pop("environment"), "label": body.pop("environment_label"), "production": body.pop("production")},
            "run": run, "generated_at": body.pop("generated_at"), "status": body.pop("status"),
            "progress": {"done": body.pop("done"), "total": body.pop("total")}}
    return {**head, **body}


def to_json(report: Report) -> str:
    """The report as indented JSON (json.dumps escapes what needs escaping; the text was cleaned already)."""
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
