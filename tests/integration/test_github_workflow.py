"""GitHub workflow dispatch, against a real local HTTP fake of the REST API (cockpit/stack/fake_github.py).

The dispatch is the dangerous half: a second POST is a second deploy. Each test counts the POSTs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest

from cockpit.actions.github import CLOCK_SKEW, GitHubError, GitHubRateLimited, GitHubWorkflows
from cockpit.stack import free_port
from cockpit.stack.fake_github import FakeGitHub
from tests.integration.github_support import NOW, TOKEN, Sleeps, workflows


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    server = FakeGitHub(token=TOKEN).start()
    server.clock = lambda: NOW
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(github: FakeGitHub, sleeps: Sleeps) -> AsyncIterator[GitHubWorkflows]:
    async with workflows(github.url, sleeps) as gh:
        yield gh


def only_run(github: FakeGitHub) -> int:
    (run_id,) = github.runs
    return run_id


async def test_200_with_details_starts_the_run_in_one_post(github: FakeGitHub, client: GitHubWorkflows) -> None:
    outcome = await client.dispatch()

    assert outcome.state == "started" and outcome.posts == 1
    assert outcome.run is not None and outcome.run.run_id == only_run(github)
    assert outcome.run.html_url.endswith(f"/actions/runs/{outcome.run.run_id}")
    (post,) = github.posts()
    assert post.path == "/repos/avnz/payments/actions/workflows/deploy-api.yml/dispatches"
    assert post.body == {"ref": "main", "inputs": {"environment": "staging"}, "return_run_details": True}
    assert post.headers["accept"] == "application/vnd.github+json" and post.headers["x-github-api-version"] == "2022-11-28"
    assert "authorization" not in post.headers  # the fake never records it; the token did authorize the POST (no 401)
    assert github.requests("GET") == []  # no listing needed


async def test_204_is_never_resent_and_the_run_is_found_by_listing(github: FakeGitHub, client: GitHubWorkflows, sleeps: Sleeps) -> None:
    github.dispatch_mode = "no_details"
    github.hidden_listings = 2  # GitHub lists a new run a few seconds late
    github.add_run(actor="someone-else")  # another operator's run of the same workflow, same second: not ours

    outcome = await client.dispatch()

    assert outcome.state == "started" and outcome.run is not None
    assert outcome.run.run_id == max(github.runs) and github.runs[outcome.run.run_id].dispatched
    assert len(github.posts()) == 1
    listings = github.requests("GET", "/runs")
    assert len(listings) == 3 and sleeps.waits == [5.0, 5.0]
    expected_since = (NOW - CLOCK_SKEW).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listings[0].path == "/repos/avnz/payments/actions/workflows/deploy-api.yml/runs"
    assert listings[0].query == {"event": "workflow_dispatch", "actor": "release-bot", "created": f">={expected_since}", "per_page": "30"}
    assert len(github.requests("GET", "/user")) == 1


async def test_204_and_no_run_listed_yet_is_accepted_without_a_second_post(github: FakeGitHub, client: GitHubWorkflows) -> None:
    github.dispatch_mode = "no_details"
    github.hidden_listings = 100

    outcome = await client.dispatch()

    assert outcome.state == "accepted" and outcome.run is None and "find the run" in outcome.detail
    assert len(github.posts()) == 1 and len(github.requests("GET", "/runs")) == 6
    github.hidden_listings = 0
    run = await client.find_run(outcome.requested_at, attempts=1)
    assert run is not None and run.run_id == only_run(github) and len(github.posts()) == 1


async def test_422_for_the_details_field_is_sent_once_more_without_it(github: FakeGitHub, client: GitHubWorkflows) -> None:
    github.dispatch_mode = "reject_field"

    outcome = await client.dispatch()

    first, second = github.posts()
    assert first.body["return_run_details"] is True
    assert second.body == {"ref": "main", "inputs": {"environment": "staging"}}
    assert outcome.state == "started" and outcome.posts == 2
    assert outcome.run is not None and outcome.run.run_id == only_run(github)


async def test_422_for_another_reason_is_refused_and_not_resent(github: FakeGitHub, client: GitHubWorkflows) -> None:
    github.fault(422, body={"message": 'Unexpected inputs provided: ["environmnet"]'}, method="POST")

    with pytest.raises(GitHubError) as err:
        await client.dispatch()

    assert err.value.status == 422 and "Unexpected inputs provided" in str(err.value) and "\n" not in str(err.value)
    assert len(github.posts()) == 1


async def test_a_timeout_after_sending_is_unknown_and_never_resent(github: FakeGitHub, sleeps: Sleeps) -> None:
    github.dispatch_mode = "hang"  # GitHub acts on it; the answer never comes back in time

    async with workflows(github.url, sleeps, timeout=0.5) as gh:
        outcome = await gh.dispatch()
        assert outcome.state == "unknown" and outcome.run is None and outcome.posts == 1
        assert outcome.detail.startswith("unknown: the dispatch may have been accepted — find the run")
        assert "ReadTimeout" in outcome.detail
        run = await gh.find_run(outcome.requested_at)  # what the caller offers: look it up, never repeat it

    assert run is not None and run.run_id == only_run(github)
    assert len(github.posts()) == 1


async def test_a_server_error_after_sending_is_unknown_and_never_resent(github: FakeGitHub, client: GitHubWorkflows) -> None:
    github.fault(502, body={"message": "Bad gateway"}, method="POST", times=5)

    outcome = await client.dispatch()

    assert outcome.state == "unknown" and "502" in outcome.detail and len(github.posts()) == 1


async def test_a_refused_connection_raises_nothing_sent(sleeps: Sleeps) -> None:
    async with workflows(f"http://127.0.0.1:{free_port()}", sleeps) as gh:
        with pytest.raises(GitHubError, match="^dispatch not sent, nothing started: cannot reach 127.0.0.1:"):
            await gh.dispatch()


async def test_a_rate_limited_dispatch_is_refused_not_waited_out_and_resent(github: FakeGitHub, client: GitHubWorkflows, sleeps: Sleeps) -> None:
    github.fault(403, headers={"Retry-After": "30"}, body={"message": "You have exceeded a secondary rate limit"}, method="POST")

    with pytest.raises(GitHubRateLimited) as err:
        await client.dispatch()

    assert err.value.wait == 30.0 and "nothing started" in str(err.value)
    assert len(github.posts()) == 1 and sleeps.waits == []


@pytest.mark.parametrize(("status", "words"), [(401, "bad or expired token"), (403, "forbidden"), (404, "not found")])
async def test_401_403_404_on_dispatch_are_one_line_errors_without_the_token(github: FakeGitHub, client: GitHubWorkflows, status: int, words: str) -> None:
    github.fault(status, body={"message": f"Denied for {TOKEN}\nsee https://docs.github.com"}, method="POST")

    with pytest.raises(GitHubError) as err:
        await client.dispatch()

    text = str(err.value)
    assert err.value.status == status and text.startswith(f"GitHub {status} on POST /repos/avnz/payments/") and words in text
    assert "\n" not in text and TOKEN not in text and TOKEN not in repr(err.value)
    assert len(github.posts()) == 1


async def test_a_wrong_token_gets_401_from_the_server(github: FakeGitHub, sleeps: Sleeps) -> None:
    async with workflows(github.url, sleeps, token="ghp_wrong") as gh:
        with pytest.raises(GitHubError, match="^GitHub 401 on POST .*bad or expired token — Bad credentials$"):
            await gh.dispatch()


async def test_an_app_token_without_user_access_lists_runs_of_any_actor(github: FakeGitHub, client: GitHubWorkflows) -> None:
    github.dispatch_mode = "no_details"
    github.user_status = 403  # "Resource not accessible by integration"

    outcome = await client.dispatch()

    assert outcome.state == "started" and outcome.run is not None and outcome.run.run_id == only_run(github)
    assert "actor" not in github.requests("GET", "/runs")[0].query


async def test_github_enterprise_api_prefix(sleeps: Sleeps) -> None:
    with FakeGitHub(token=TOKEN, prefix="/api/v3") as ghe:
        ghe.clock = lambda: NOW
        ghe.dispatch_mode = "no_details"
        ghe.stages = ["in_progress", "completed:success"]
        ghe.advance_per_poll = True
        async with workflows(ghe.url, sleeps) as gh:
            outcome = await gh.dispatch()
            assert outcome.run is not None
            snaps = [snap async for snap in gh.watch(outcome.run.run_id, interval=5)]
        assert snaps[-1].succeeded
        assert {r.path.split("/")[1:3] == ["api", "v3"] for r in ghe.recorded} == {True}


async def test_a_shared_client_is_used_and_left_open(github: FakeGitHub, sleeps: Sleeps) -> None:
    async with httpx.AsyncClient() as shared:
        async with workflows(github.url, sleeps, client=shared) as gh:
            assert (await gh.dispatch()).state == "started"
        assert not shared.is_closed
        assert "authorization" not in {k.lower() for k in shared.headers}  # the token goes per request


async def test_find_run_prefers_the_ref_and_the_newest(github: FakeGitHub, client: GitHubWorkflows) -> None:
    older = github.add_run(created_at=NOW - timedelta(seconds=20))
    newer_other_branch = github.add_run(ref="hotfix", created_at=NOW)
    newest = github.add_run(created_at=NOW - timedelta(seconds=5))
    github.add_run(created_at=NOW - timedelta(hours=1))  # before the request: not listed

    run = await client.find_run(NOW)

    assert run is not None and run.run_id == newest.run_id
    assert older.run_id < newest.run_id and newer_other_branch.run_id < newest.run_id
