"""`cockpit demo`: start the local stack in its own process, open the cockpit on it, stop it all."""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from cockpit.commands.context import UsageError, load, state_path
from cockpit.demo.control import DemoControl, DemoError, Ready
from cockpit.stack.moto_server import MotoServer

FIELDS = {"redis_url": "REDIS_URL", "database_url": "DATABASE_URL"}


def demo_command(args: argparse.Namespace) -> int:
    """Start the stack, run the TUI against it, stop the stack; the TUI's exit code (1: no stack)."""
    if importlib.util.find_spec("moto") is None:
        raise UsageError("cockpit demo needs its extra: pip install 'cockpit[demo]' (moto, for CloudWatch and ECS)")
    if getattr(args, "state", None):
        kept = state_path(args.state)
        if not isinstance(kept, Path):  # a shared journal holds real runs: stand-in ticks must never join one
            raise UsageError("cockpit demo writes its journal only to a new file, not to a shared journal (name a file with --state)")
        if kept.exists():  # its ticks come from a stand-in stack: they must never join a real run
            raise UsageError(f"cockpit demo writes its journal only to a new file: {kept} exists (name another with --state)")
    else:
        os.environ.pop("COCKPIT_STATE", None)  # the demo's journal lives (and dies) with its stack
    load(args)  # a bad --runbook or --env is bad input before anything starts
    say("cockpit demo: starting a local stack on loopback ports (nothing reaches AWS or your servers)")
    control = DemoControl()
    try:
        ready = control.start(lambda text: say(f"  {text}"))
        say(f"  files in {', '.join(ready.dirs)} (removed when the demo ends)")
        if ready.env_file and getattr(args, "state", None):
            point_at_state(Path(ready.env_file), state_path(args.state))  # the journal this screen writes, not the stack's
        if ready.env_file:
            say(f"  run a step's actions from another shell: . {ready.env_file} && cockpit run b-deploy-staging --yes")
        say("  ready: opening the cockpit; press ! for trouble, ? for help, q to quit")
        return _run(args, ready, control)
    except DemoError as error:
        say(f"cockpit demo: {error}", sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        say("cockpit demo: stopping the local stack ...")
        report = control.stop()
        if report and report.get("swept"):
            say(f"  the stack process had died without cleaning up; done for it: {'; '.join(report['stopped']) or 'nothing was left'}")
        elif report:
            say(f"  stopped: {', '.join(report.get('stopped', []))}; removed {report.get('removed', '')}")
        else:
            say("  the stack process ended before it was ready, without a report; if it was killed, "
                "look for /tmp/cockpit-demo-* and /tmp/cockpit-pg-* and the servers in them")


def point_at_state(env_file: Path, state: object) -> None:
    """Make `demo.env`'s COCKPIT_STATE name `state` (the demo's --state): a headless verb run from another shell must
    write to the journal the screen reads, not to the stack's own file that this demo never opens."""
    lines = env_file.read_text().splitlines()
    kept = [line for line in lines if not line.startswith("export COCKPIT_STATE=")]
    env_file.write_text("\n".join([*kept, f"export COCKPIT_STATE={shlex.quote(str(Path(str(state)).resolve()))}"]) + "\n")


def say(text: str, stream=None) -> None:
    """A line on the terminal, if there still is one (after SIGHUP there is not: carry on stopping)."""
    try:
        print(text, file=stream or sys.stdout, flush=True)
    except (OSError, ValueError):
        pass


def _run(args: argparse.Namespace, ready: Ready, control: DemoControl) -> int:
    from cockpit.ui.launch import open_tui

    for name in MotoServer.foreign_settings(os.environ):  # the demo's calls go to its moto and nowhere else
        os.environ.pop(name, None)
    for name in FIELDS.values():
        os.environ.pop(name, None)  # an absent server must not fall back to the machine's own
    environ = dict(ready.environ)
    if getattr(args, "state", None):
        environ.pop("COCKPIT_STATE")  # the user's journal, kept after the demo
    os.environ.update(environ)
    ctx = load(args)
    ctx = replace(ctx, env=replace(ctx.env, absent=dict(ready.absent)))
    return open_tui(ctx, read_only=args.read_only, new_run=False, demo=control, wall=getattr(args, "wall", False))
