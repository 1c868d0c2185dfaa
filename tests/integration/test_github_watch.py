"""Watching a workflow run until it completes: snapshots, conditional polls, rate limits, errors (real HTTP, fake GitHub)."""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator, Iterator

import pytest

from cockpit.actions.github import GitHubError, GitHubWorkflows, RunSnapshot
from cockpit.stack.fake_github import RATE_LIMIT, FakeGitHub
from tests.integration.github_support import NOW, TOKEN, Sleeps, workflows


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as server:
        server.clock = lambda: NOW
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(github: FakeGitHub, sleeps: Sleeps) -> AsyncIterator[GitHubWorkflows]:
    async with workflows(github.url, sleeps) as gh:
        yield gh


async def watch_all(gh: GitHubWorkflows, run_id: int, interval: float = 7.0) -> list[RunSnapshot]:
    return [snap async for snap in gh.watch(run_id, interval=interval)]


async def test_a_run_is_watched_from_queued_to_success(github: FakeGitHub, client: GitHubWorkflows, sleeps: Sleeps) -> None:
    github.stages = ["queued", "in_progress", "in_progress", "completed:success"]
    github.advance_per_poll = True
    run = github.add_run()

    snaps = await watch_all(client, run.run_id)

    assert [s.status for s in snaps] == ["queued", "in_progress", "in_progress", "completed"]
    assert sleeps.waits == [7.0, 7.0, 7.0]  # the interval between polls, none after the end
    last = snaps[-1]
    assert last.completed and last.succeeded and last.conclusion == "success" and last.problem == ""
    assert last.html_url == f"https://github.example/o/r/actions/runs/{run.run_id}"
    assert last.elapsed_seconds == 90.0  # run_started_at to the last update, once completed
    assert (f"/repos/avnz/payments/actions/runs/{run.run_id}", 304) in github.answers  # the repeated in_progress
    assert snaps[0].elapsed_seconds == (NOW - run.created_at).total_seconds()
    (job,) = last.jobs
    assert (job.name, job.status, job.conclusion) == ("deploy", "completed", "success")
    assert [(s.name, s.conclusion) for s in job.steps] == [("Set up job", "success"), ("Deploy", "success"), ("Complete job", "success")]
    running = snaps[1].jobs[0]
    assert [(s.status, s.conclusion) for s in running.steps] == [("completed", "success"), ("in_progress", None), ("queued", None)]
    assert snaps[0].jobs[0].steps == ()
    assert all(s.rate_limit_reset is not None for s in snaps)
    assert snaps[-1].rate_limit_remaining is not None and snaps[-1].rate_limit_remaining < RATE_LIMIT
    assert pickle.loads(pickle.dumps(last)) == last  # engine events cross to the UI as pickles


async def test_a_failed_run_ends_the_watch_with_its_conclusion(github: FakeGitHub, client: GitHubWorkflows) -> None:
    github.stages = ["in_progress", "completed:failure"]
    github.advance_per_poll = True

    snaps = await watch_all(client, github.add_run().run_id)

    last = snaps[-1]
    assert last.completed and not last.succeeded and last.conclusion == "failure"
    deploy = last.jobs[0].steps[1]
    assert (deploy.name, deploy.status, deploy.conclusion) == ("Deploy", "completed", "failure")


async def test_polls_are_conditional_and_a_304_keeps_the_last_state(github: FakeGitHub, client: GitHubWorkflows) -> None:
    github.stages = ["in_progress", "completed:success"]
    run = github.add_run()

    first = await client.observe(run.run_id)
    remaining = client.rate_remaining
    second = await client.observe(run.run_id)  # nothing changed: both GETs answer 304

    run_gets = github.requests("GET", f"/runs/{run.run_id}")
    assert len(run_gets) == 4
    assert "if-none-match" not in run_gets[0].headers and "if-none-match" not in run_gets[1].headers
    assert run_gets[2].headers["if-none-match"].startswith('"') and run_gets[3].headers["if-none-match"].startswith('"')
    assert second == first and second.status == "in_progress"
    assert client.rate_remaining == remaining  # a 304 costs no rate limit, and the snapshot says so

    github.advance(run.run_id)
    third = await client.observe(run.run_id)
    assert third.status == "completed" and third.succeeded


async def test_retry_after_is_honoured_and_reported(github: FakeGitHub, client: GitHubWorkflows, sleeps: Sleeps) -> None:
    github.stages = ["in_progress", "completed:success"]
    github.advance_per_poll = True
    run = github.add_run()
    github.fault(429, headers={"Retry-After": "17"}, body={"message": "You have exceeded a secondary rate limit."}, method="GET",
                 path_contains="/actions/runs/")

    snaps = await watch_all(client, run.run_id, interval=5.0)

    assert snaps[0].status == "unknown" and "rate limit" in snaps[0].problem and "17 s" in snaps[0].problem
    assert sleeps.waits[0] == 17.0
    assert [s.status for s in snaps[1:]] == ["in_progress", "completed"] and snaps[-1].problem == ""


async def test_a_secondary_limit_in_the_middle_repeats_the_last_state(github: FakeGitHub, client: GitHubWorkflows, sleeps: Sleeps) -> None:
    github.stages = ["in_progress", "completed:success"]
    run = github.add_run()
    watch = client.watch(run.run_id, interval=5.0)
    first = await anext(watch)
    github.fault(403, headers={"Retry-After": "61"}, body={"message": "You have exceeded a secondary rate limit."}, path_contains="/runs/")
    limited = await anext(watch)
    github.advance(run.run_id)
    rest = [snap async for snap in watch]

    assert limited.status == first.status == "in_progress" and limited.jobs == first.jobs and "rate limit" in limited.problem
    assert sleeps.waits == [5.0, 61.0] and rest[-1].succeeded


async def test_an_exhausted_primary_limit_waits_until_the_reset(github: FakeGitHub, client: GitHubWorkflows, sleeps: Sleeps) -> None:
    github.stages = ["completed:success"]
    run = github.add_run()
    reset = int(NOW.timestamp()) + 300
    github.fault(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
                 body={"message": "API rate limit exceeded for user ID 1."}, path_contains="/runs/")

    snaps = await watch_all(client, run.run_id)

    assert sleeps.waits == [301.0]
    assert snaps[0].rate_limit_remaining == 0 and snaps[0].rate_limit_reset == reset
    assert snaps[-1].succeeded


async def test_network_trouble_and_5xx_back_off_then_recover(github: FakeGitHub, client: GitHubWorkflows, sleeps: Sleeps) -> None:
    github.stages = ["completed:success"]
    run = github.add_run()
    github.fault(502, body={"message": "Server Error"}, times=2, path_contains="/runs/")

    snaps = await watch_all(client, run.run_id, interval=5.0)

    assert [bool(s.problem) for s in snaps] == [True, True, False] and "GitHub 502" in snaps[0].problem
    assert len(sleeps.waits) == 2 and all(5.0 <= w <= 60.0 for w in sleeps.waits)
    assert snaps[-1].succeeded


async def test_endless_5xx_gives_up_after_max_failures(github: FakeGitHub, client: GitHubWorkflows) -> None:
    run = github.add_run()
    github.fault(503, times=100, path_contains="/runs/")

    with pytest.raises(GitHubError, match="^GitHub 503 on GET"):
        async for _ in client.watch(run.run_id, max_failures=3):
            pass


@pytest.mark.parametrize(("status", "words"), [(401, "bad or expired token"), (403, "forbidden"), (404, "not found")])
async def test_401_403_404_while_watching_raise_one_line(github: FakeGitHub, client: GitHubWorkflows, status: int, words: str) -> None:
    run = github.add_run()
    github.fault(status, body={"message": f"no: {TOKEN}"}, path_contains="/runs/")

    with pytest.raises(GitHubError) as err:
        async for _ in client.watch(run.run_id):
            pass

    text = str(err.value)
    assert err.value.status == status and words in text and "\n" not in text and TOKEN not in text


async def test_an_unknown_run_is_a_404(client: GitHubWorkflows) -> None:
    with pytest.raises(GitHubError, match=r"^GitHub 404 on GET /repos/avnz/payments/actions/runs/4242: not found .* — Not Found$"):
        await client.observe(4242)


async def test_malformed_json_is_a_clear_error(github: FakeGitHub, client: GitHubWorkflows) -> None:
    run = github.add_run()
    github.fault(200, body=["not", "a", "run"], path_contains="/runs/")

    with pytest.raises(GitHubError, match=f"^GitHub sent a malformed run {run.run_id}$"):
        await client.observe(run.run_id)
