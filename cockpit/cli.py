"""Command line: the TUI by default, and headless verbs for scripts.

Exit codes: 0 success, 1 a check or action failed or a rule refused (tick, note), 2 bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from cockpit import __version__
from cockpit.commands.context import WHO_LIMIT, UsageError, load, open_journal, state_path
from cockpit.journal import JournalError
from cockpit.journal.step_rules import NOTE_LIMIT


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _common(parser: argparse.ArgumentParser, suppress: bool,
            state_help: str = "journal file, or a postgresql:// URL for a shared journal (default: $COCKPIT_STATE, else the user state dir)",
            state_metavar: str = "PATH|URL") -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--runbook", metavar="FILE", default=default, help="runbook TOML (default: the bundled AVNZ Phase 1-4 plan)")
    parser.add_argument("--env", metavar="NAME", default=default, help="environment of the runbook (default: its default_env, staging)")
    parser.add_argument("--state", metavar=state_metavar, default=default, help=state_help)
    parser.add_argument(
        "--read-only", action="store_true", default=argparse.SUPPRESS if suppress else False,
        help="change nothing: no ticks, notes or actions; the journal is only read",
    )


def _who(parser: argparse.ArgumentParser, suppress: bool) -> None:
    parser.add_argument("--who", metavar="NAME", default=argparse.SUPPRESS if suppress else None,
                        help=f"who the journal records as doing it (default: user@host; one line, at most {WHO_LIMIT} characters)")


def _step_verb(verbs, name: str, text: str, description: str) -> argparse.ArgumentParser:
    sub = verbs.add_parser(name, help=text, description=description)
    _common(sub, suppress=True)
    _who(sub, suppress=True)
    sub.add_argument("step", metavar="STEP-ID", help="a step of the runbook (cockpit runbook show)")
    return sub


def build_parser() -> argparse.ArgumentParser:
    """The whole command line (documented by --help)."""
    parser = _Parser(prog="cockpit", description="A terminal cockpit for release day. With no verb: open the TUI.")
    parser.add_argument("--version", action="version", version=f"cockpit {__version__}")
    _common(parser, suppress=False)
    _who(parser, suppress=False)
    parser.add_argument("--new-run", action="store_true", help="start a fresh run instead of resuming the last one")
    parser.add_argument("--wall", action="store_true",
                        help="the wall view for a big screen (200x50 and up): where the run stands, every alarm and service, "
                        "the age of every figure; read-only (implies --read-only)")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)

    runbook = verbs.add_parser("runbook", help="validate or show a runbook")
    runbook_verbs = runbook.add_subparsers(dest="runbook_verb", metavar="ACTION", required=True, parser_class=_Parser)
    for name, text in (("validate", "check a runbook: exit 0, or FILE:LINE: problem lines and exit 2"), ("show", "print a readable outline")):
        sub = runbook_verbs.add_parser(name, help=text, description=text)
        sub.add_argument("file", nargs="?", metavar="FILE", help="runbook TOML (default: the bundled one)")

    status = verbs.add_parser("status", help="the current run's steps with status, who and when")
    _common(status, suppress=True)
    status.add_argument("--json", action="store_true", help="print JSON")

    check = verbs.add_parser(
        "check", help="run every automated check once; exit 0 all pass, 1 any fails or is inconclusive",
        description="Run the automated checks of the run's steps once: those that ask whether something answers "
        "concurrently, then the latency thresholds one at a time. Every result is journaled in the run (--state); "
        "--read-only journals nothing. Exit 0 when all pass, 1 when any fails or is inconclusive (cockpit itself was "
        "too busy to measure), 2 on bad input.",
    )
    _common(check, suppress=True)
    _who(check, suppress=True)
    check.add_argument("--json", action="store_true", help="print JSON")
    check.add_argument("--only", nargs="+", metavar="ID", default=[], help="only these step ids (contingency steps too)")

    rollback = verbs.add_parser(
        "rollback", help="roll an ECS service back to an earlier task definition (guarded, journaled)",
        description="Roll SERVICE back to --to REVISION (default: the last stable one, what ran before the current "
        "deployment). Prints the plan and the diff; changes nothing without --confirm equal to the service name "
        "(production: production/SERVICE); refused with --read-only. Exit 0 done, 1 failed or refused, 2 bad input.",
    )
    _common(rollback, suppress=True)
    _who(rollback, suppress=True)
    rollback.add_argument("--service", required=True, metavar="SVC", help="an ECS service of the environment")
    rollback.add_argument("--to", type=int, metavar="REVISION", help="the revision number to roll back to")
    rollback.add_argument("--confirm", metavar="TEXT", help="the service name (production: production/SERVICE), as the TUI asks")
    rollback.add_argument("--dry-run", action="store_true", help="print the plan and the diff; change nothing")
    rollback.add_argument("--no-wait", action="store_true", help="do not follow the rollout")
    rollback.add_argument("--timeout", type=float, default=None, metavar="S", help="give up watching after S seconds (default: the runbook's, 600)")
    rollback.add_argument("--poll", type=float, default=None, help=argparse.SUPPRESS)  # tests: faster than the runbook's

    run = verbs.add_parser(
        "run", help="run a step's actions (deploy workflow, command, Slack message): guarded, journaled",
        description="Run the actions of STEP in order, stopping at the first failure. Prints the plan first (URLs without "
        "secrets, workflow, ref, inputs, the Slack text, the shell lines and working directory) and sends nothing without "
        "--yes or --confirm (production: --confirm production; --yes alone is refused there) or with --dry-run. Each "
        "action's intent and outcome are journaled; all passed ticks the step. Refused with --read-only. Exit 0 passed, "
        "1 failed, refused or not confirmed, 2 bad input. A deploy or command whose gate is not green is refused with the "
        "failing checks named, unless --override REASON.",
    )
    _common(run, suppress=True)
    _who(run, suppress=True)
    run.add_argument("step", metavar="STEP-ID", help="a step with actions (cockpit runbook show)")
    confirm = run.add_mutually_exclusive_group()
    confirm.add_argument("--yes", action="store_true", help="send it (not enough in production)")
    confirm.add_argument("--confirm", metavar="TEXT", help="the environment's name, as the TUI asks (required in production)")
    run.add_argument("--dry-run", action="store_true", help="print exactly what would be sent; send nothing")
    run.add_argument("--json", action="store_true", help="print one JSON document at the end (no progress lines)")
    run.add_argument("--timeout", type=float, default=None, metavar="S",
                     help="a command's timeout and the longest a workflow run is watched (default: the runbook's)")
    run.add_argument("--force", action="store_true",
                     help="run although an earlier run's outcome is unknown (after looking it up); journaled")
    run.add_argument("--override", metavar="REASON", default=None,
                     help="run although the step's gate (go / no-go) is not green; the reason is journaled as an override")

    approve = verbs.add_parser(
        "approve", help="approve another operator's request to run a step that needs a second operator",
        description="The two-person rule: a step with approval = \"second-operator\" is not sent until another operator "
        "(a different --who) approves the request its run journaled. The approval is journaled, counts for the runbook's "
        "[approval] expires_minutes (default 15) and for one run, which the requester starts again. One's own request "
        "cannot be approved; --read-only approves nothing. Exit 0 approved, 1 refused, 2 bad input.",
    )
    _common(approve, suppress=True)
    _who(approve, suppress=True)
    approve.add_argument("step", metavar="STEP-ID", help="the step whose request waits, or rollback:SERVICE for a rollback")

    tick = _step_verb(
        verbs, "tick", "tick a step (or --untick it) without the TUI: the TUI's rules, journaled",
        "Tick STEP in the run's journal (--state), as the TUI's space does, for scripts and for a teammate without the "
        "TUI open. A check step is ticked only when its last check passed (its evidence goes with the tick); otherwise "
        "it is refused with the reason unless --override REASON, journaled as an override. Info steps and steps of a "
        "phase that does not run in the environment are refused; --read-only journals nothing. Prints one line: what "
        "was journaled (step, who, run, when) or, on stderr, why not. Exit 0 journaled, 1 refused or not journaled, "
        "2 bad input.",
    )
    tick.add_argument("--untick", action="store_true", help="untick the step instead")
    tick.add_argument("--override", metavar="REASON", default=None,
                      help="tick a check step whose last check did not pass (or that was never checked); the reason is journaled")
    note = _step_verb(
        verbs, "note", "journal a note on a step without the TUI",
        "Journal TEXT as a note on STEP in the run's journal (--state), as the TUI's n does: one line (newlines become "
        f"spaces, control characters are dropped), at most {NOTE_LIMIT} characters. Steps of a phase that does not run in the "
        "environment are refused; --read-only journals nothing. Prints one line: what was journaled (step, who, run, "
        "when) or, on stderr, why not. Exit 0 journaled, 1 refused or not journaled, 2 bad input.",
    )
    note.add_argument("text", metavar="TEXT", help="the note (quote it)")

    demo = verbs.add_parser(
        "demo", help="the whole cockpit against a local stack it starts and stops (needs cockpit[demo])",
        description="Start redis-server, PostgreSQL, moto (CloudWatch Logs, CloudWatch, ECS) and a stand-in API on "
        "loopback ports, seeded like the plan's production, and open the cockpit on them. Press ! for trouble keys. "
        "Everything it started stops when it exits (q, Ctrl-C, SIGTERM, SIGHUP, a crash); the journal is thrown away "
        "unless --state names a new file to keep it in.",
    )
    _common(demo, suppress=True, state_help="keep the demo's journal in PATH, a new file (default: thrown away with the stack)",
            state_metavar="PATH")
    demo.add_argument("--wall", action="store_true", default=argparse.SUPPRESS, help="open the wall view on the demo (read-only)")

    report = verbs.add_parser(
        "report", help="the release report of a run (Markdown or JSON): timeline, phases against the plan, who, what is open or failed",
        description="Write the release report of a run: its timeline (ticks, notes, checks with their evidence, actions and "
        "rollbacks with outcomes and links, alarm transitions), each phase's time against the plan, who took part, and what "
        "was left open or failed. GitHub-flavoured Markdown that pastes as is into release notes and tickets, or JSON for "
        "tools. Secrets are masked; text from logs and APIs is escaped. The journal is only read. Exit 0 printed or written, "
        "2 bad input (no such run, a run of another runbook, a file that cannot be written).",
    )
    _common(report, suppress=True)
    report.add_argument("--run", type=int, metavar="ID", default=None,
                        help="the run (cockpit runs lists them; default: the latest of the runbook in the environment)")
    report.add_argument("--format", choices=("md", "json"), default="md", help="md (GitHub-flavoured Markdown, the default) or json")
    report.add_argument("--out", metavar="FILE", default=None,
                        help="write to FILE instead of printing: through a temporary file and a rename, replacing FILE if it exists")

    serve = verbs.add_parser(
        "serve", help="serve the wall view to browsers (the war room's TV), read-only",
        description="Serve the wall view (cockpit --wall) as a web page through textual-serve: every browser gets its own "
        "read-only wall view of the runbook, environment and journal given here; nothing a browser sends changes that or "
        "reaches a writable cockpit. Binds to loopback unless --host names another address: then the page has no login "
        "of its own, so put it behind the network's access control. Ctrl-C stops it. Exit 0 stopped, 2 bad input or the "
        "port cannot be listened on.",
    )
    _common(serve, suppress=True)
    serve.add_argument("--wall", action="store_true", required=True, help="the wall view (the only view served: read-only)")
    serve.add_argument("--host", default="127.0.0.1", metavar="ADDR", help="address to listen on, and that the page names to the browser (default: 127.0.0.1, this machine only; not 0.0.0.0)")
    serve.add_argument("--port", type=int, default=8000, metavar="N", help="port to listen on (default: 8000)")

    runs = verbs.add_parser("runs", help="list the runs in the journal")
    _common(runs, suppress=True)
    runs.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _runbook_verb(args: argparse.Namespace) -> int:
    from cockpit.runbook import bundled_path, load_runbook, validate_file
    from cockpit.runbook.outline import outline

    path = Path(args.file) if args.file else bundled_path()
    problems = validate_file(path)
    if problems:
        print("\n".join(problems), file=sys.stderr if args.runbook_verb == "show" else sys.stdout)
        return 2
    if args.runbook_verb == "show":
        print(outline(load_runbook(path)))
    else:
        print(f"{path}: ok")
    return 0


def _status_verb(args: argparse.Namespace) -> int:
    from cockpit.commands.status import format_status, status_json, status_report

    ctx = load(args)
    journal = open_journal(ctx.state_path, read_only=True)
    try:
        report = status_report(ctx.runbook, ctx.env, journal, ctx.who)
    except JournalError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        journal.close()
    print(status_json(report) if args.json else format_status(report))
    return 0


def _runs_verb(args: argparse.Namespace) -> int:
    from cockpit.commands.status import format_runs, runs_table

    journal = open_journal(state_path(args.state, must_exist=True), read_only=True)
    try:
        rows = runs_table(journal)
    except JournalError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        journal.close()
    print(json.dumps(rows, indent=2) if args.json else format_runs(rows))
    return 0


def _report_verb(args: argparse.Namespace) -> int:
    from cockpit.commands.report import report_command

    return report_command(args, load(args))


def _check_verb(args: argparse.Namespace) -> int:
    from cockpit.commands.check import check_command

    ctx = load(args)
    read_only = getattr(args, "read_only", False)
    text, code, warning = check_command(ctx.runbook, ctx.env, args.only, args.json, None if read_only else ctx.state_path, ctx.who)
    if warning:
        print(warning, file=sys.stderr)
    print(text)
    return code


def _rollback_verb(args: argparse.Namespace) -> int:
    from cockpit.commands.rollback import rollback_command
    from cockpit.journal.session import RunSession

    ctx = load(args)
    if args.timeout is None:
        args.timeout = ctx.runbook.ecs.rollout_timeout_seconds
    if args.poll is None:
        args.poll = ctx.runbook.ecs.rollout_poll_seconds
    if args.timeout <= 0 or args.poll <= 0:
        raise UsageError("--timeout and --poll must be greater than 0")
    journal = open_journal(ctx.state_path, read_only=args.read_only)
    try:
        try:
            session: RunSession | None = RunSession(journal, ctx.runbook.id, ctx.runbook.version, ctx.env.name, ctx.who)
        except JournalError:
            if not args.read_only:
                raise
            session = None  # read-only: no history from a run made with another runbook version; the other sources decide
        return rollback_command(args, ctx, session)
    except JournalError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        journal.close()


def _run_verb(args: argparse.Namespace) -> int:
    from cockpit.commands.run import check_args, run_command
    from cockpit.journal.session import RunSession

    ctx = load(args)
    check_args(args, ctx)  # bad input first: exit 2 before the journal is opened
    journal = open_journal(ctx.state_path, read_only=args.read_only)
    try:
        try:
            session: RunSession | None = RunSession(journal, ctx.runbook.id, ctx.runbook.version, ctx.env.name, ctx.who)
        except JournalError:
            if not args.read_only:
                raise
            session = None
        return run_command(args, ctx, session)
    except JournalError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        journal.close()


def _approve_verb(args: argparse.Namespace) -> int:
    from cockpit.commands.approve import approve_command, check_args
    from cockpit.journal.session import RunSession

    ctx = load(args)
    check_args(args, ctx)
    journal = open_journal(ctx.state_path, read_only=args.read_only)
    try:
        session = RunSession(journal, ctx.runbook.id, ctx.runbook.version, ctx.env.name, ctx.who)
        return approve_command(args, ctx, session)
    except JournalError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        journal.close()


def _tick_verb(args: argparse.Namespace) -> int:
    from cockpit.commands.tick import tick_command

    return tick_command(args, load(args))


def _note_verb(args: argparse.Namespace) -> int:
    from cockpit.commands.note import note_command

    return note_command(args, load(args))


def _tui(args: argparse.Namespace) -> int:
    from cockpit.ui.launch import open_tui

    if args.wall and args.new_run:
        raise UsageError("--wall shows the current run and changes nothing: it cannot start one (--new-run)")
    return open_tui(load(args), read_only=args.read_only or args.wall, new_run=args.new_run, wall=args.wall)


def _serve_verb(args: argparse.Namespace) -> int:
    from cockpit.core.redact import mask_url
    from cockpit.ui.serve import WILDCARDS, WallSession, serve_wall

    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: a port is 1 to 65535")
    if args.host in WILDCARDS:
        raise UsageError(f"--host {args.host!r} is every address, but the page must name the one the TV reaches: give that address")
    ctx = load(args)
    open_journal(ctx.state_path, read_only=True).close()  # a journal that cannot be read: one line now, not one per browser
    session = WallSession(Path(args.runbook) if args.runbook else None, ctx.env.name, str(ctx.state_path))
    return serve_wall(session, args.host, args.port, banner_state=mask_url(str(ctx.state_path)))


def _demo_verb(args: argparse.Namespace) -> int:
    from cockpit.demo.command import demo_command

    return demo_command(args)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cockpit` console script."""
    args = build_parser().parse_args(argv)
    handlers = {"runbook": _runbook_verb, "status": _status_verb, "runs": _runs_verb, "check": _check_verb, "rollback": _rollback_verb, "run": _run_verb, "demo": _demo_verb, "report": _report_verb,
                "tick": _tick_verb, "note": _note_verb, "approve": _approve_verb, "serve": _serve_verb, None: _tui}
    try:
        return handlers[args.verb](args)
    except UsageError as exc:
        print(f"cockpit: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
