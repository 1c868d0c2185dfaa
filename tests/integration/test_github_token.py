"""The GitHub token (environment, else a real `gh auth token` subprocess), the config's checks, and the token never leaking."""

from __future__ import annotations

import logging
import pickle
import shutil
import stat
from pathlib import Path

import pytest

from cockpit.actions.github import GitHubConfigError, GitHubError, GitHubToken, GitHubWorkflows, WorkflowConfig, resolve_token
from cockpit.stack import free_port
from cockpit.stack.fake_github import FakeGitHub
from tests.integration.github_support import TOKEN, Sleeps, workflows


def fake_gh(tmp_path: Path, body: str) -> dict[str, str]:
    """An environment whose PATH holds only a `gh` script with `body`; it writes its arguments to bin/args."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "gh"
    script.write_text(f'#!/bin/sh\necho "$@" > "{bin_dir}/args"\n{body}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {"PATH": str(bin_dir)}


async def test_gh_token_wins_over_github_token() -> None:
    token = await resolve_token(environ={"GH_TOKEN": "ghp_one", "GITHUB_TOKEN": "ghp_two"})
    assert (token.reveal(), token.source) == ("ghp_one", "GH_TOKEN")
    token = await resolve_token(environ={"GH_TOKEN": " ", "GITHUB_TOKEN": "ghp_two\n"})
    assert (token.reveal(), token.source) == ("ghp_two", "GITHUB_TOKEN")


async def test_gh_auth_token_is_asked_for_the_api_host(tmp_path: Path) -> None:
    env = fake_gh(tmp_path, "echo gho_from_gh")

    token = await resolve_token("https://ghe.example.com/api/v3", env)

    assert token.reveal() == "gho_from_gh" and token.source == "gh auth token (ghe.example.com)"
    assert (tmp_path / "bin" / "args").read_text().split() == ["auth", "token", "--hostname", "ghe.example.com"]
    await resolve_token(environ=env)
    assert (tmp_path / "bin" / "args").read_text().split() == ["auth", "token", "--hostname", "github.com"]


async def test_gh_not_logged_in_is_one_line(tmp_path: Path) -> None:
    env = fake_gh(tmp_path, 'echo "no oauth token found for github.com\nrun gh auth login" >&2; exit 1')
    with pytest.raises(GitHubConfigError, match=r"^no GitHub token: `gh auth token --hostname github.com` failed: no oauth token found for github.com run gh auth login$"):
        await resolve_token(environ=env)


async def test_gh_that_hangs_is_cut_off(tmp_path: Path) -> None:
    env = fake_gh(tmp_path, f"exec {shutil.which('sleep')} 30")
    with pytest.raises(GitHubConfigError, match=r"^no GitHub token: `gh auth token` did not answer within 0.3 s$"):
        await resolve_token(environ=env, timeout=0.3)


async def test_no_token_and_no_gh(tmp_path: Path) -> None:
    with pytest.raises(GitHubConfigError, match="^no GitHub token: set GH_TOKEN or GITHUB_TOKEN, or install gh and run `gh auth login`$"):
        await resolve_token(environ={"PATH": str(tmp_path)})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"repository": "payments"}, "repository must be owner/name, not 'payments'"),
    ({"repository": "a/b/c"}, "repository must be owner/name, not 'a/b/c'"),
    ({"workflow": "../x.yml"}, "workflow must be a file name like deploy-api.yml or an id, not '../x.yml'"),
    ({"ref": ""}, "ref must be a branch or tag name, not ''"),
    ({"ref": "main\x1b[2J"}, "ref must be a branch or tag name, not 'main\\x1b[2J'"),
    ({"inputs": {"environment": 1}}, "workflow inputs must map names to strings"),
    ({"inputs": {f"k{i}": "v" for i in range(26)}}, "a workflow takes at most 25 inputs, not 26"),
    ({"api_url": "ftp://x"}, "GITHUB_API_URL must be an http(s) URL like https://api.github.com, not 'ftp://x'"),
    ({"api_url": "https://me:pw@ghe.example/api/v3"}, "GITHUB_API_URL must be an http(s) URL like https://api.github.com, not 'https://me:***@ghe.example/api/v3'"),
])
def test_bad_config_is_a_one_line_error(kwargs: dict, message: str) -> None:
    fields = {"repository": "avnz/payments", "workflow": "deploy-api.yml", "ref": "main", **kwargs}
    with pytest.raises(GitHubConfigError) as err:
        WorkflowConfig(**fields)
    assert str(err.value) == message and isinstance(err.value, ValueError)


def test_config_from_the_environment() -> None:
    env = {"GITHUB_REPOSITORY": "avnz/payments", "GITHUB_API_URL": "https://ghe.example.com/api/v3/"}
    config = WorkflowConfig.from_env("deploy-admin-dashboard.yml", "main", {"environment": "production"}, environ=env)
    assert (config.repository, config.api_url) == ("avnz/payments", "https://ghe.example.com/api/v3")
    assert WorkflowConfig.from_env("d.yml", "main", environ={"GITHUB_REPOSITORY": "a/b"}).api_url == "https://api.github.com"
    assert WorkflowConfig.from_env("d.yml", "main", repository="x/y", environ=env).repository == "x/y"
    with pytest.raises(GitHubConfigError, match="^no GitHub repository: give owner/name or set GITHUB_REPOSITORY$"):
        WorkflowConfig.from_env("d.yml", "main", environ={})


def test_a_malformed_token_is_refused_without_showing_it() -> None:
    with pytest.raises(GitHubConfigError, match="^the GitHub token from GH_TOKEN is empty or malformed$"):
        GitHubToken("ghp_abc def", "GH_TOKEN")


async def test_the_token_never_appears_in_errors_outcomes_reprs_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log every request at DEBUG
    sleeps = Sleeps()
    texts: list[str] = []

    def keep(thing: object) -> None:
        texts.extend((str(thing), repr(thing)))

    with FakeGitHub(token=TOKEN) as github:
        async with workflows(github.url, sleeps, timeout=0.5) as gh:
            keep(gh.config)
            keep(vars(gh))
            keep(gh._token)
            for status in (401, 403, 404, 422, 429):  # a server that echoes the token in its message
                github.fault(status, body={"message": f"token {TOKEN} refused; Authorization: Bearer {TOKEN}"}, method="POST")
                with pytest.raises(GitHubError) as err:
                    await gh.dispatch()
                keep(err.value)
            github.fault(500, body={"message": TOKEN}, method="POST")
            keep(await gh.dispatch())
            github.dispatch_mode = "hang"
            keep(await gh.dispatch())
            github.fault(403, body={"message": f"Bearer {TOKEN}"}, path_contains="/runs/")
            with pytest.raises(GitHubError) as err:
                await gh.observe(next(iter(github.runs)))
            keep(err.value)
            assert pickle.loads(pickle.dumps(await gh.find_run(github.clock()))) is not None
    async with workflows(f"http://127.0.0.1:{free_port()}", sleeps) as gh:
        with pytest.raises(GitHubError) as err:
            await gh.dispatch()
        keep(err.value)

    assert len(texts) == 24 and all(TOKEN not in text for text in texts)
    assert TOKEN not in caplog.text and "HTTP Request: POST" in caplog.text
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(GitHubToken(TOKEN, "GH_TOKEN"))
    assert isinstance(gh, GitHubWorkflows)
