"""`cockpit report`: the release report of a run (Markdown or JSON), printed or written to a file.

The journal is only read (a missing one is not created). `--out` is written atomically: a temporary
file in the same directory, then renamed over the path named, so a reader never sees half a report and
a failed write leaves what was there.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from pathlib import Path

from cockpit.commands.context import Context, UsageError, open_journal
from cockpit.journal import JournalError, Run
from cockpit.journal.opening import JournalStore, describe
from cockpit.journal.store import utc_now
from cockpit.report import Report, build_report, to_json, to_markdown


def report_file_name(report: Report, fmt: str) -> str:
    """`cockpit-report-<runbook id>-<env>-run<ID>.md` (or .json): the name the TUI offers."""
    return f"cockpit-report-{report.runbook_id}-{report.environment}-run{report.run_id if report.run_id is not None else 'none'}.{fmt}"


def render(report: Report, fmt: str) -> str:
    """The report as `md` or `json` text."""
    return to_json(report) if fmt == "json" else to_markdown(report)


def write_atomic(path: Path, text: str) -> Path:
    """Write `text` to `path` through a temporary file in the same directory and a rename; the path written.

    An existing file at `path` is replaced (its permissions kept); OSError says why not, and then nothing changed.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise IsADirectoryError(21, "is a directory", str(path))
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return path


def _pick_run(journal: JournalStore, ctx: Context, run_id: int | None) -> Run:
    """The run asked for (`--run`), else the latest of the runbook in the environment; UsageError when there is none."""
    runbook, env = ctx.runbook, ctx.env
    if run_id is None:
        run = journal.latest_run(runbook.id, env.name)
        if run is None:
            raise UsageError(f"no run of {runbook.id} in {env.name} in {describe(ctx.state_path)} (cockpit runs lists them)")
    else:
        run = next((r for r in journal.runs() if r.id == run_id), None)
        if run is None:
            raise UsageError(f"no run #{run_id} in {describe(ctx.state_path)} (cockpit runs lists them)")
        if run.runbook_id != runbook.id:
            raise UsageError(f"run #{run_id} is a run of {run.runbook_id}, not of {runbook.id}: name its runbook with --runbook")
        if run.environment != env.name:
            raise UsageError(f"run #{run_id} is a {run.environment} run, not {env.name}: use --env {run.environment}")
    if run.runbook_version != runbook.version:
        raise UsageError(f"run #{run.id} was made with version {run.runbook_version} of {runbook.id}, this runbook is version "
                         f"{runbook.version}: report it with that version of the runbook")
    return run


def run_environment(args: argparse.Namespace, ctx: Context) -> Context:
    """With --run and no --env: the run's own environment (what anyone asking for run #N means)."""
    if args.run is None or args.env:
        return ctx
    journal = open_journal(ctx.state_path, read_only=True)
    try:
        run = next((r for r in journal.runs() if r.id == args.run), None)
    except JournalError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        journal.close()
    if run is not None and run.runbook_id == ctx.runbook.id and run.environment in ctx.runbook.environments:
        return Context(ctx.runbook, ctx.runbook.environments[run.environment], ctx.state_path, ctx.who)
    return ctx


def report_command(args: argparse.Namespace, ctx: Context) -> int:
    """Build the report and print it or write it to --out; 0, or UsageError (exit 2) with one line."""
    out = Path(args.out).expanduser() if args.out else None
    journal_file = ctx.state_path if isinstance(ctx.state_path, Path) else None  # a database URL is no file to overwrite
    if out is not None and out.exists() and journal_file is not None and journal_file.exists() and out.samefile(journal_file):
        raise UsageError(f"--out {out} is the journal itself: name another file")
    if out is not None and not out.parent.is_dir():
        raise UsageError(f"cannot write the report to {out}: the directory {out.parent} does not exist")
    ctx = run_environment(args, ctx)
    journal = open_journal(ctx.state_path, read_only=True)
    try:
        run = _pick_run(journal, ctx, args.run)
        events = journal.events(run.id)
    except JournalError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        journal.close()
    text = render(build_report(ctx.runbook, ctx.env, run, events, utc_now()), args.format)
    if out is None:
        print(text, end="")
        return 0
    try:
        written = write_atomic(out, text)
    except OSError as exc:
        raise UsageError(f"cannot write the report to {out}: {exc.strerror or exc}") from exc
    print(f"report of run #{run.id} ({ctx.env.name}, {args.format}) written to {written}")
    return 0
