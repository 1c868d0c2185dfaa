"""The release report of a run: what was done, by whom, when, and what is left open or failed (pure: no I/O).

`build_report` reads a run's committed journal events against its runbook; `to_markdown` and `to_json`
write it for release notes, tickets and tools. Every text from outside (evidence, notes, reasons, API
answers) is cleaned on the way in: secrets masked, control and escape sequences stripped.
"""

from cockpit.report.build import build_report
from cockpit.report.json_out import SCHEMA, to_json
from cockpit.report.markdown import to_markdown
from cockpit.report.model import Report

__all__ = ["SCHEMA", "Report", "build_report", "to_json", "to_markdown"]
