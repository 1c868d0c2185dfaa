"""`run_command` with real bash subprocesses: streaming, exit codes, timeout, stop, the process group, cleaning.

No test sleeps: a script that must still be running blocks on a FIFO the test controls,
and the test waits for the line that says it got there.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import pytest

from cockpit.actions.command import CommandOutcome, LineSplitter, run_command

WAIT = 20.0  # upper bound for a condition a test waits on; never reached when all is well


def _env(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8", **extra}


class Lines:
    """An `on_line` that records lines and lets a test wait for one matching a pattern."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._changed = asyncio.Event()

    def __call__(self, line: str) -> None:
        self.seen.append(line)
        self._changed.set()

    async def wait_for(self, pattern: str) -> re.Match[str]:
        async with asyncio.timeout(WAIT):
            while True:
                for line in self.seen:
                    if match := re.search(pattern, line):
                        return match
                self._changed.clear()
                await self._changed.wait()


async def _run(script: str, cwd: Path, lines: Lines | None = None, stop: asyncio.Event | None = None, **kwargs) -> CommandOutcome:
    kwargs.setdefault("timeout", WAIT)
    kwargs.setdefault("env", _env())
    return await run_command(script, cwd=cwd, on_line=lines if lines is not None else Lines(), stop=stop or asyncio.Event(), **kwargs)


def _running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


async def test_lines_arrive_while_the_process_still_runs(tmp_path: Path) -> None:
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    lines = Lines()
    task = asyncio.create_task(_run(f'echo first; read -r word < "{fifo}"; echo "second $word"', tmp_path, lines))
    await lines.wait_for("^first$")
    assert not task.done() and lines.seen == ["first"]
    await asyncio.to_thread(fifo.write_text, "go\n")  # opens when bash opens it for reading
    outcome = await task
    assert outcome.passed and outcome.exit_code == 0 and outcome.signal is None
    assert lines.seen == ["first", "second go"] and outcome.tail == ("first", "second go") and outcome.lines == 2


@pytest.mark.parametrize(("script", "code"), [("true", 0), ("exit 1", 1), ("no-such-command-cockpit-17", 127)])
async def test_exit_code_decides(tmp_path: Path, script: str, code: int) -> None:
    outcome = await _run(script, tmp_path)
    assert outcome.exit_code == code and outcome.passed is (code == 0)
    assert not outcome.timed_out and not outcome.stopped and outcome.error is None
    assert outcome.summary().startswith(f"exit {code} after ")


async def test_a_failed_line_ends_the_script_and_a_failed_pipe_fails(tmp_path: Path) -> None:
    lines = Lines()
    outcome = await _run("cd does-not-exist\necho ran-in-the-wrong-place", tmp_path, lines)
    assert outcome.exit_code == 1 and "ran-in-the-wrong-place" not in lines.seen
    assert any("does-not-exist" in line for line in lines.seen)  # bash's message, from stderr
    assert (await _run("false | cat", tmp_path)).exit_code == 1


async def test_runs_in_cwd_with_exactly_env_stdin_empty_stderr_merged(tmp_path: Path) -> None:
    lines = Lines()
    outcome = await _run('pwd; echo "$STAGE ${HOME:-nohome}"; echo oops >&2; cat; echo after-stdin', tmp_path, lines, env=_env(STAGE="staging"))
    assert outcome.passed
    assert lines.seen == [str(tmp_path), "staging nohome", "oops", "after-stdin"]


async def test_timeout_ends_the_group(tmp_path: Path) -> None:
    lines = Lines()
    outcome = await _run("echo started; sleep 300", tmp_path, lines, timeout=0.5)
    assert outcome.timed_out and not outcome.stopped and not outcome.passed
    assert outcome.exit_code is None and outcome.signal == signal.SIGTERM
    assert lines.seen == ["started"] and outcome.summary().startswith("killed by SIGTERM (timed out)")


async def test_stop_ends_the_group_and_its_grandchildren(tmp_path: Path) -> None:
    lines = Lines()
    stop = asyncio.Event()
    script = 'sleep 300 & echo "child $!"; (sleep 300 & echo "grandchild $!"; wait) & echo ready; wait'
    task = asyncio.create_task(_run(script, tmp_path, lines, stop))
    await lines.wait_for("^ready$")
    child = int((await lines.wait_for(r"^child (\d+)$"))[1])
    grandchild = int((await lines.wait_for(r"^grandchild (\d+)$"))[1])
    assert _running(child) and _running(grandchild)
    stop.set()
    outcome = await task
    assert outcome.stopped and not outcome.timed_out and outcome.signal == signal.SIGTERM and outcome.exit_code is None
    assert not _running(child) and not _running(grandchild)


async def test_a_group_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    lines = Lines()
    stop = asyncio.Event()
    # '' ignores TERM in bash and in every child it starts (an ignored signal stays ignored across exec).
    task = asyncio.create_task(_run("trap '' TERM; sleep 300 & echo \"child $!\"; echo ready; wait", tmp_path, lines, stop, grace=0.2))
    child = int((await lines.wait_for(r"^child (\d+)$"))[1])
    await lines.wait_for("^ready$")
    stop.set()
    outcome = await task
    assert outcome.stopped and outcome.signal == signal.SIGKILL and outcome.exit_code is None
    assert not _running(child)


async def test_what_the_script_leaves_running_is_ended_when_it_exits(tmp_path: Path) -> None:
    lines = Lines()
    outcome = await _run('sleep 300 & echo "left $!"', tmp_path, lines, grace=0.5)
    assert outcome.passed and outcome.exit_code == 0
    assert not _running(int((await lines.wait_for(r"^left (\d+)$"))[1]))


async def test_secrets_are_masked_in_on_line_and_the_tail(tmp_path: Path) -> None:
    lines = Lines()
    script = "echo key AKIAIOSFODNN7EXAMPLE; echo 'Authorization: Bearer eyJhbGciOi.secret-part'; echo postgresql://app:hunter2@db/app"
    outcome = await _run(script, tmp_path, lines)
    for shown in (lines.seen, list(outcome.tail)):
        text = "\n".join(shown)
        assert "IOSFODNN7EXAMPLE" not in text and "secret-part" not in text and "hunter2" not in text
        assert "AKIA****************" in text and "Bearer ***" in text and "app:***@db" in text


async def test_control_and_escape_sequences_are_made_inert(tmp_path: Path) -> None:
    lines = Lines()
    outcome = await _run(r"printf 'a\033]0;PWNED\007b\033[2Jc\r\n'; printf 'bell\a\302\233x \377\n'", tmp_path, lines)
    assert outcome.passed
    assert lines.seen == ["a␛]0;PWNED␇b␛[2Jc", "bell␇\\x9bx \ufffd"]  # U+009B (8-bit CSI) shown as text, a byte that is not UTF-8 as U+FFFD
    assert not any(ch in "".join(lines.seen) for ch in "\x1b\x07\r\x9b")


async def test_the_tail_is_bounded_and_every_line_counted(tmp_path: Path) -> None:
    lines = Lines()
    outcome = await _run("seq 1 5000", tmp_path, lines, tail_lines=10)
    assert outcome.lines == 5000 and len(lines.seen) == 5000
    assert outcome.tail == tuple(str(n) for n in range(4991, 5001))


async def test_a_long_line_is_cut_and_a_last_line_without_newline_kept(tmp_path: Path) -> None:
    lines = Lines()
    outcome = await _run("head -c 100000 /dev/zero | tr '\\0' x; echo; printf 'no newline'", tmp_path, lines, max_line_bytes=1000)
    assert outcome.passed and outcome.lines == 2
    assert lines.seen[0] == "x" * 1000 + "… [cut: 100000 bytes]"
    assert lines.seen[1] == "no newline"


@pytest.mark.parametrize("where", ["missing", "file"])
async def test_a_missing_working_directory_is_a_one_line_error(tmp_path: Path, where: str) -> None:
    cwd = tmp_path / "apps" / "admin-dashboard"
    if where == "file":
        cwd.parent.mkdir()
        cwd.write_text("")
    outcome = await _run("echo never", tmp_path / "apps" / "admin-dashboard")
    assert outcome.error is not None and "\n" not in outcome.error and str(cwd) in outcome.error
    assert outcome.exit_code is None and outcome.lines == 0 and not outcome.passed
    assert outcome.summary() == f"not run: {outcome.error}"


async def test_no_bash_on_the_path_is_a_one_line_error(tmp_path: Path) -> None:
    outcome = await _run("echo never", tmp_path, env={"PATH": str(tmp_path)})
    assert outcome.error == "bash not found on the command's PATH" and not outcome.passed


async def test_cancelling_the_caller_kills_the_group(tmp_path: Path) -> None:
    lines = Lines()
    task = asyncio.create_task(_run('sleep 300 & echo "child $!"; wait', tmp_path, lines))
    child = int((await lines.wait_for(r"^child (\d+)$"))[1])
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(WAIT):  # SIGKILL was sent; the kernel ends the process right after
        while _running(child):
            await asyncio.sleep(0.01)


async def test_the_loop_keeps_running_during_a_flood(tmp_path: Path) -> None:
    ticks = 0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    outcome = await _run("seq 1 200000", tmp_path)
    done.set()
    await ticker
    assert outcome.lines == 200000 and ticks > 10


def test_splitter_holds_partial_lines_across_chunks() -> None:
    splitter = LineSplitter(8)
    assert splitter.feed(b"ab") == [] and splitter.feed(b"c\nde") == ["abc"]
    assert splitter.feed(b"fghijklmn\n\n") == ["defghijk… [cut: 11 bytes]", ""]
    assert splitter.feed(b"\xe2\x82") == [] and splitter.feed(b"\xac\n") == ["€"]
    assert splitter.flush() == []


def test_bad_numbers_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        asyncio.run(_run("true", tmp_path, timeout=0))


async def test_an_exception_in_on_line_ends_the_run_and_the_group(tmp_path: Path) -> None:
    seen: list[str] = []

    def on_line(line: str) -> None:
        seen.append(line)
        if line.startswith("child "):
            raise RuntimeError("the consumer broke")

    with pytest.raises(RuntimeError, match="the consumer broke"):
        await run_command('sleep 300 & echo "child $!"; wait', cwd=tmp_path, env=_env(), timeout=WAIT, on_line=on_line, stop=asyncio.Event())
    child = int(seen[0].split()[1])
    async with asyncio.timeout(WAIT):
        while _running(child):
            await asyncio.sleep(0.01)
