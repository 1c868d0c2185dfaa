"""Open the TUI on a loaded context: the journal, the run, the app (for `cockpit` and `cockpit demo`; Textual loads only here)."""

from __future__ import annotations

import os

from cockpit.commands.context import Context, UsageError, open_journal
from cockpit.journal import JournalError
from cockpit.journal.opening import describe


def open_tui(ctx: Context, *, read_only: bool, new_run: bool, demo=None, wall: bool = False) -> int:
    """Run the cockpit until it quits; its exit code. `demo`: the demo's trouble keys (DemoControl); `wall`: the wall
    view, read-only (the journal and the engine too, not only the screen)."""
    read_only = read_only or wall
    from cockpit.journal.session import RunSession

    journal = open_journal(ctx.state_path, read_only=read_only)
    try:
        session = RunSession(journal, ctx.runbook.id, ctx.runbook.version, ctx.env.name, ctx.who, new_run=new_run)
        initial = session.events_after(0)
    except JournalError as exc:
        journal.close()
        raise UsageError(str(exc)) from exc
    run = session.run
    run_id = run.id if run else None
    journal.close()  # from here on the journal is the engine's
    from cockpit.engine.process import EngineProcess, EngineSpec
    from cockpit.ui.app import CockpitApp

    spec = EngineSpec(ctx.runbook, ctx.env, str(ctx.state_path), ctx.who, read_only=read_only, environ=dict(os.environ),
                      cwd=os.getcwd(), run=run)
    app = CockpitApp(ctx.runbook, ctx.env, EngineProcess(spec), read_only=read_only, initial_events=initial, run_id=run_id,
                     journal_path=describe(ctx.state_path), demo=demo, handle_signals=True, wall=wall)
    app.run()
    return app.return_code or 0
