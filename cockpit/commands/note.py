"""`cockpit note STEP-ID TEXT`: a note on a step from a script or a teammate's shell, without the TUI.

The same journal and the same rules as the TUI's n: the text is one line without control characters (newlines
become spaces), at most NOTE_LIMIT characters; a step of a phase that does not run in the environment takes no
note (the TUI greys it out); --read-only journals nothing. Exit 0 journaled, 1 refused or not journaled,
2 bad input (an unknown step, an empty or too long text, a journal that cannot be opened).
"""

from __future__ import annotations

import argparse

from cockpit.commands.context import Context, UsageError
from cockpit.commands.tick import find_step, journaled, on_run, record, refuse
from cockpit.core.text import strip_control
from cockpit.journal import StepState
from cockpit.journal.progress import NOTE
from cockpit.journal.session import RunSession
from cockpit.journal.step_rules import NOTE_LIMIT, not_applicable


def note_text(raw: str) -> str:
    """The note as journaled: one line, control characters dropped; a UsageError when empty or too long."""
    text = " ".join(strip_control(raw, keep_newlines=False).split())
    if not text:
        raise UsageError("the note is empty")
    if len(text) > NOTE_LIMIT:
        raise UsageError(f"the note is {len(text)} characters long: at most {NOTE_LIMIT}")
    return text


def note_command(args: argparse.Namespace, ctx: Context) -> int:
    """Journal `args.text` as a note on `args.step` (see the module docstring); the exit code."""
    phase, step = find_step(ctx, args.step)
    text = note_text(args.text)
    if args.read_only:
        return refuse("--read-only changes nothing")
    why = not_applicable(step, phase, ctx.env.name)
    if why:
        return refuse(why)

    def act(session: RunSession, states: dict[str, StepState]) -> int:
        event = record(session, step.id, NOTE, {"text": text})
        if event is None:
            return 1
        print(journaled(f"noted on {step.id}", event))
        return 0

    return on_run(ctx, act)
