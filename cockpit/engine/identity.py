"""Who cockpit acts as, and the one identity guard that rollbacks and deploys ask before they send anything.

The AWS account comes from STS GetCallerIdentity (boto3 in an executor thread, one client built
once with the runbook's AWS timeouts; `AWS_ENDPOINT_URL` is honoured like every AWS read); the
GitHub repository is the runbook's `[github] repository` resolved with the engine's environ (as
the workflow actions resolve it). Every read goes out as an IdentityRead for the header. A live
engine reads at start and every IDENTITY_EVERY seconds (sooner, backing off, after a failure);
a guard reads again when the last read failed or is older than MAX_AGE, so a rollback or a deploy
is never let through on an identity nobody has looked at for a while.

What is refused (`refuse_rollback`, `refuse_deploy`: one line, '' when allowed):
- a rollback, when the AWS identity check failed or the account is not the environment's pinned one;
- a workflow dispatch, when its repository is not the pinned one, or when the environment pins
  `aws_account_id` and the AWS check failed or does not match. An environment that uses no AWS at
  all is not refused on AWS grounds (there is nothing to check); the header says so.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cockpit.engine.events import EngineEvent, IdentityRead
from cockpit.engine.schedule import Every
from cockpit.probes.aws.errors import classify_aws
from cockpit.probes.aws.identity import WHAT, CallerIdentity, caller_identity
from cockpit.runbook import Environment, Runbook
from cockpit.runbook.interpolate import InterpolationError, interpolate

MAX_AGE = 60.0  # seconds: a guard reads the identity again when the last read is older
IDENTITY_EVERY = 300.0  # seconds between a live engine's reads (the header's account)
RETRY_MAX = 60.0  # seconds: the longest wait before a failed read is tried again

Blocking = Callable[..., Awaitable[Any]]


def uses_aws(runbook: Runbook, env: Environment) -> bool:
    """True when the environment reads or changes anything in AWS (or pins an account)."""
    return bool(env.aws_account_id.strip() or env.aws_region or env.aws_profile or env.ecs_cluster or env.log_groups
                or runbook.alarms or runbook.log_queries)


def same_repository(a: str, b: str) -> bool:
    """GitHub names are case-insensitive: `AVNZ/Payments` is `avnz/payments`."""
    return a.strip().lower() == b.strip().lower()


@dataclass(frozen=True)
class Checked:
    """One identity read: the event sent, the AWS problems among its problems, and when (monotonic)."""

    event: IdentityRead
    aws_problems: tuple[str, ...]
    failed: bool  # the STS call failed (retried sooner, never reused by a guard)
    transient: bool
    at: float


class Identity:
    """The identity of one environment's engine (see the module docstring)."""

    def __init__(self, runbook: Runbook, env: Environment, environ: Any, sts: Callable[[], Any], *, blocking: Blocking,
                 emit: Callable[[EngineEvent], None], monotonic: Callable[[], float] = time.monotonic,
                 max_age: float = MAX_AGE) -> None:
        self.runbook, self.env, self.environ = runbook, env, environ
        self.sts = sts  # the STS client (built on first use; blocking)
        self.blocking, self.emit, self.monotonic = blocking, emit, monotonic
        self.max_age = max_age
        self.last: Checked | None = None
        self._lock = asyncio.Lock()  # one read at a time: the live loop and a guard share it

    @property
    def pinned_account(self) -> str:
        return self.env.aws_account_id.strip()

    @property
    def pinned_repository(self) -> str:
        return self.env.github_repository.strip()

    def repository(self) -> str:
        """The runbook's `[github] repository`, resolved ('' when unset or malformed)."""
        try:
            return interpolate(self.runbook.github.repository, self.environ)[0].strip()
        except InterpolationError:
            return ""

    def repository_problem(self, repository: str) -> str:
        """`GitHub repository a/b is not production's pinned c/d`, or '' (no pin, no repository, or the same)."""
        pin = self.pinned_repository
        if not pin or not repository or same_repository(repository, pin):
            return ""
        return f"GitHub repository {repository} is not {self.env.name}'s pinned {pin}"

    async def _read_aws(self) -> tuple[CallerIdentity | None, str, bool]:
        """(who, why it failed, whether retrying soon may help)."""
        try:
            return await self.blocking(lambda: caller_identity(self.sts())), "", False
        except Exception as exc:  # AwsProblem, or boto3 while building the client (no region, profile not found)
            problem = classify_aws(exc, WHAT)
            return None, f"AWS identity check failed: {problem.reason}", problem.transient

    async def _read(self) -> Checked:
        repository = self.repository()
        github = [p for p in (self.repository_problem(repository),) if p]
        if not uses_aws(self.runbook, self.env):
            event = IdentityRead(github_repository=repository, problems=tuple(github), aws_configured=False)
            checked = Checked(event, (), False, False, self.monotonic())
        else:
            who, failure, transient = await self._read_aws()
            aws = [failure] if failure else []
            pin = self.pinned_account
            if who is not None and pin and who.account != pin:
                aws.append(f"AWS account {who.account} is not {self.env.name}'s pinned {pin}")
            event = IdentityRead(who.account if who else "", who.arn if who else "", repository, tuple(aws + github))
            checked = Checked(event, tuple(aws), who is None, transient, self.monotonic())
        self.last = checked
        self.emit(checked.event)
        return checked

    def verdict_lines(self) -> tuple[tuple[bool, str], ...]:
        """The last read's problems for the verdict, (wrong, text): a mismatch with a pin is wrong; a failed STS call
        only leaves the identity unknown."""
        if self.last is None:
            return ()
        failure = self.last.aws_problems[0] if self.last.failed and self.last.aws_problems else None
        return tuple((text != failure, text) for text in self.last.event.problems)

    async def read(self) -> Checked:
        """Read the identity now, and send it."""
        async with self._lock:
            return await self._read()

    async def fresh(self) -> Checked:
        """The last read when it succeeded less than `max_age` seconds ago; else a new one."""
        async with self._lock:
            last = self.last
            if last is not None and not last.failed and self.monotonic() - last.at < self.max_age:
                return last
            return await self._read()

    async def refuse_rollback(self) -> str:
        """Why a rollback may not start ('' when it may): the AWS identity check failed or mismatches the pin."""
        checked = await self.fresh()
        return f"refused: {'; '.join(checked.aws_problems)}: no rollback started" if checked.aws_problems else ""

    async def deploy_problems(self, repositories: Sequence[str]) -> tuple[str, ...]:
        """Why workflows of `repositories` may not be dispatched, one line each (none when they may; see the module
        docstring)."""
        problems = tuple(dict.fromkeys(p for p in map(self.repository_problem, repositories) if p))
        return problems + ((await self.fresh()).aws_problems if self.pinned_account else ())

    async def refuse_deploy(self, repositories: Sequence[str]) -> str:
        """`deploy_problems` as one refusal line ('' when they may be dispatched)."""
        problems = await self.deploy_problems(repositories)
        return f"refused: {'; '.join(problems)}: nothing sent" if problems else ""

    async def run(self) -> None:
        """A live engine's reads, until cancelled (once only when the environment uses no AWS: nothing changes)."""
        if not uses_aws(self.runbook, self.env):
            await self.read()
            return
        every = Every(IDENTITY_EVERY, RETRY_MAX)

        async def once() -> float:
            checked = await self.read()
            return every.next_delay(checked.failed, checked.transient)

        await every.run(once)
