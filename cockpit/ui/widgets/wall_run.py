"""The run on the wall view, from the release report of the journal's committed events: phase progress
with elapsed against planned time, the last verdict of every check, and the last few actions (who, when).

The report (cockpit/report) is the one place that reads phases, checks and actions out of the journal;
these boxes only lay its figures out for a big screen, with the time now.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from cockpit.checks.result import FAIL, INCONCLUSIVE, PASS
from cockpit.core.text import one_line
from cockpit.report.model import PhaseReport, Report, StepReport
from cockpit.ui.clock import minutes, parse_ts
from cockpit.ui.widgets.fold import fold
from cockpit.ui.widgets.wall_box import WallBox, age_text, age_words, dimmed, one_row

BAR = 10  # cells of a phase's progress bar
CHECK_STALE_SECONDS = 15 * 60  # a check passed this long ago says little about now: its row is dimmed (still shown)
ACTIONS_SHOWN = 5
PHASE_WORDS = {"done": ("DONE", "bold green"), "in progress": ("NOW", "bold black on yellow"),
               "not started": ("NEXT", ""), "not applicable": ("N/A", "dim")}
CHECK_WORDS = {PASS: ("PASS", "bold green"), FAIL: ("FAIL", "bold white on red"), INCONCLUSIVE: ("INCONCL", "bold black on yellow")}
CHECK_RANK = {FAIL: 3, INCONCLUSIVE: 2, "": 1, PASS: 0}
OUTCOME_STYLES = {"passed": "bold green", "failed": "bold white on red", "unknown": "bold black on yellow", "completed": "bold green"}


def seconds_since(stamp: str, now: datetime) -> float | None:
    """Seconds from a journal time to `now` (None: no time)."""
    moment = parse_ts(stamp)
    return None if moment is None else (now - moment).total_seconds()


def elapsed(phase: PhaseReport, now: datetime) -> float | None:
    """A phase's time so far: its first to last event once done, its first event to now while under way."""
    if phase.status == "in progress":
        return seconds_since(phase.started_at, now)
    return phase.actual_seconds


def progress_bar(done: int, total: int, cells: int = BAR) -> str:
    """`██████░░░░`: the share of a phase's steps done in `cells` cells (no colour needed to read it)."""
    full = round(cells * done / total) if total else 0
    return "█" * full + "░" * (cells - full)


def phase_row(phase: PhaseReport, now: datetime, width: int) -> Text:
    """`NOW   Phase B: Staging Deployment  ████░░░░░░ 4/10   52m of 45m planned OVER`."""
    word, style = PHASE_WORDS.get(phase.status, (phase.status.upper(), ""))
    spent = elapsed(phase, now)
    over = phase.planned_minutes is not None and spent is not None and spent > phase.planned_minutes * 60
    if phase.planned_minutes:
        words = f"{minutes(spent)} of {phase.planned_minutes}m planned" if spent is not None else f"{phase.planned_minutes}m planned"
    else:
        words = f"{minutes(spent)} elapsed" if spent is not None else ""
    timing = Text(words, style="bold white on red" if over else "")  # a light word on red: readable under NO_COLOR too
    if over:
        timing.append(" OVER", style="bold white on red")
    bar = progress_bar(phase.done, phase.total, BAR if width >= 80 else BAR // 2)  # a narrow box leaves the title its room
    counts = Text(f" {bar} {phase.done}/{phase.total}" if phase.total else "", style="bold")
    title = Text(one_line(phase.title, 200), style="bold" if phase.status == "in progress" else "")
    room = width - 6 - 1 - counts.cell_len - (timing.cell_len + 2 if timing.cell_len else 0)  # the counts and the time stay whole
    if title.cell_len > room:
        title.truncate(max(4, room), overflow="ellipsis")
    return one_row([Text(f"{word:<5} ", style=style), title, Text(" "), counts], width, timing)


class ReportBox(WallBox):
    """A wall box drawn from the run's report as of a moment: `report_rows` once the journal has been read."""

    def __init__(self, title: str, **kwargs) -> None:
        super().__init__(title, **kwargs)
        self.report: Report | None = None
        self.now: datetime | None = None

    def show(self, report: Report, now: datetime) -> None:
        """Draw `report` as of `now`."""
        self.report, self.now = report, now
        self.redraw()

    def rows(self, width: int) -> list[Text]:
        if self.report is None or self.now is None:
            return [Text("reading the journal…", style="dim")]
        return self.report_rows(self.report, self.now, width)

    def report_rows(self, report: Report, now: datetime, width: int) -> list[Text]:
        """The box's rows for `report` as of `now`, each fitted to `width` cells."""
        raise NotImplementedError


def shown_phases(report: Report) -> list[PhaseReport]:
    """The run's phases the wall shows: this environment's, contingency plans only once something happened in them."""
    return [p for p in report.phases if p.status != "not applicable" and (not p.contingency or p.started_at)]


class WallPhases(ReportBox):
    """Each phase of the run: done, under way or next, its steps done, and its time against the plan."""

    def __init__(self, **kwargs) -> None:
        super().__init__("Phases", **kwargs)

    def report_rows(self, report: Report, now: datetime, width: int) -> list[Text]:
        return [phase_row(p, now, width) for p in shown_phases(report)]


def check_steps(report: Report) -> list[tuple[str, StepReport]]:
    """(phase title, step) of every check step of the run, worst last verdict first (failed, inconclusive, never run, passed)."""
    found = [(p.title, s) for p in shown_phases(report) for s in p.steps if s.kind == "check" or s.check is not None]
    return sorted(found, key=lambda item: -CHECK_RANK.get(item[1].check.status if item[1].check else "", 1))


def check_word(status: str) -> tuple[str, str]:
    """(the word, its style) of a check's last verdict; an unknown status says itself, in the warning style."""
    return CHECK_WORDS.get(status, (status.upper()[:8], "bold yellow"))


def check_row(step: StepReport, now: datetime, width: int) -> Text:
    """`FAIL    a-redis-ping  timed out after 2 s…   by op@host · 47 s old` (dimmed when old)."""
    check = step.check
    if check is None:
        return one_row([Text(f"{'NOT RUN':<8}", style="bold"), Text(f"{step.id}  "), Text(one_line(step.title, 200), style="dim")], width)
    word, style = check_word(check.status)
    age = seconds_since(check.at, now)
    stale = age is not None and age > CHECK_STALE_SECONDS
    parts = [Text(f"{word:<8}", style=style), Text(f"{step.id}  ", style="bold"), Text(one_line(check.evidence or step.title, 300))]
    tail = Text(f"by {one_line(check.by, 40)} · ") + age_text(age, stale)  # who and when stay whole: the evidence is cut first
    if width - 8 - len(step.id) - 2 - tail.cell_len < 10:  # a narrow box: the step's id and the age before who ran it
        tail = age_text(age, stale)
    line = one_row(parts, width, tail)
    return dimmed(line) if stale else line


class WallChecks(ReportBox):
    """The last verdict of every check step, worst first, with its evidence, who ran it and its age."""

    def __init__(self, **kwargs) -> None:
        super().__init__("Checks", **kwargs)

    def report_rows(self, report: Report, now: datetime, width: int) -> list[Text]:
        steps = check_steps(report)
        if not steps:
            return [Text("no check steps in this run", style="dim")]
        lines = [check_row(step, now, width) for _, step in steps]
        states = [step.check.status if step.check else "" for _, step in steps]
        return fold(lines, self.size.height, states, CHECK_RANK)  # a short screen: `+N more (worst: fail)`, never cut unsaid


def full_check_lines(report: Report, now: datetime) -> list[Text]:
    """Every check step's last verdict with its whole evidence, who and when (the wall's detail)."""
    lines = []
    for _, step in check_steps(report):
        check = step.check
        if check is None:
            lines.append(Text(f"NOT RUN  {step.id}  {one_line(step.title, 300)}"))
            continue
        word, style = check_word(check.status)
        lines.append(Text.assemble((f"{word:<8} ", style), (f"{step.id}  ", "bold"), one_line(check.evidence or step.title, 4000),
                                   f" · by {one_line(check.by, 120)} · {age_words(seconds_since(check.at, now))}"))
    return lines


def action_rows(report: Report, now: datetime, width: int) -> list[Text]:
    """The last ACTIONS_SHOWN actions and rollbacks, newest first: outcome, what, who, when and how long ago."""
    entries = [(a.started_at, a.status, f"{a.step_id} {a.kind} {a.target}", a.by) for a in report.actions]
    entries += [(r.started_at, r.status, f"rollback {r.service} {r.from_revision} → {r.to_revision}", r.by) for r in report.rollbacks]
    entries.sort(key=lambda e: e[0], reverse=True)
    rows = []
    for at, status, what, by in entries[:ACTIONS_SHOWN]:
        moment = parse_ts(at)
        when = Text(f"{moment:%H:%M:%S}Z · {age_words(seconds_since(at, now))}" if moment else "time unknown")
        parts = [Text(f"{one_line(status, 12).upper():<10}", style=OUTCOME_STYLES.get(status, "bold yellow")),
                 Text(one_line(what, 200), style="bold"), Text(f" · by {one_line(by, 60)}")]
        rows.append(one_row(parts, width, when))
    return rows or [Text("no actions in this run yet", style="dim")]


class WallActions(ReportBox):
    """The last few actions of the run (deploys, commands, messages, rollbacks): outcome, who and when."""

    def __init__(self, **kwargs) -> None:
        super().__init__("Last actions", **kwargs)

    def report_rows(self, report: Report, now: datetime, width: int) -> list[Text]:
        return action_rows(report, now, width)
