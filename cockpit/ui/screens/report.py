"""The release report of the run on screen (`r`): read it, save it as Markdown or JSON.

The report is built by the pure builder (cockpit/report/) from the committed events the cockpit
screen holds, and shown as plain text: the Markdown source, never rendered (outside text in it is
escaped already, and shown as data either way). A save runs in a thread (`asyncio.to_thread`) so a
slow disk never holds the screen; the path written, or the one line saying why not, is shown, and a
failed save loses nothing: the report stays on screen to save elsewhere.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from cockpit.commands.report import render, report_file_name, write_atomic
from cockpit.report import Report, to_markdown
from cockpit.ui.widgets.keys_bar import KeysBar


class ReportScreen(Screen[None]):
    """The report as text in a scrollable view; `s` saves Markdown, `j` JSON, into `directory` (default: the current one)."""

    BINDINGS = [
        Binding("s", "save('md')", "Save Markdown"),
        Binding("j", "save('json')", "Save JSON"),
        Binding("escape,q", "close", "Close"),
    ]

    def __init__(self, report: Report, directory: Path | None = None) -> None:
        super().__init__()
        self.report = report
        self.markdown = to_markdown(report)
        self.directory = directory or Path.cwd()
        self.saved: dict[str, Path] = {}  # format → the path last written
        self.saving: set[str] = set()

    def compose(self) -> ComposeResult:
        r = self.report
        where = f"run #{r.run_id}" if r.run_id is not None else "no run yet"
        head = Text(f" Release report · {r.runbook_id} · ", style="bold")
        head.append(r.environment.upper() if r.production else r.environment, style="bold reverse red" if r.production else "bold")
        head.append(f" · {where} · {r.status}")
        yield Static(head, id="report-head")
        with VerticalScroll(id="report-scroll"):
            yield Static(Text(self.markdown), id="report-body")
        yield Static(Text(f"s: save as {self.path('md').name}   j: save as JSON   esc: close", style="dim"), id="report-status")
        yield KeysBar()

    def on_mount(self) -> None:
        self.query_one("#report-scroll").focus()

    def path(self, fmt: str) -> Path:
        """Where a save in `fmt` goes."""
        return self.directory / report_file_name(self.report, fmt)

    async def action_save(self, fmt: str) -> None:
        """Write the report as `fmt` (md / json) off the event loop; say where, or why not."""
        if fmt in self.saving:
            return
        self.saving.add(fmt)
        target = self.path(fmt)
        status = self.query_one("#report-status", Static)
        status.update(Text(f"saving {target} …"))
        try:
            text = self.markdown if fmt == "md" else render(self.report, fmt)
            existed = target.exists()
            written = await asyncio.to_thread(write_atomic, target, text)
        except OSError as exc:
            line = f"NOT saved: cannot write {target}: {exc.strerror or exc}"
            status.update(Text(line, style="bold red"))
            self.notify(line, title="report", severity="error", timeout=15, markup=False)
            return
        finally:
            self.saving.discard(fmt)
        self.saved[fmt] = written
        line = f"{'replaced' if existed else 'written'}: {written}"
        status.update(Text(line, style="bold green"))
        self.notify(line, title="report", timeout=8, markup=False)

    def action_close(self) -> None:
        """Back to the cockpit."""
        self.dismiss(None)
