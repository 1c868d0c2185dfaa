# ruff: noqa: F811 (the fixtures imported from test_run_actions are parameters here)
"""`cockpit run` through the engine's desk against the other answers GitHub and Slack give: a dispatch accepted
without details (204) or refused for the new field (422), a run that fails, a wrong token; Slack throttling (429 with
Retry-After) and failing (500). The fixtures and helpers are test_run_actions'."""

from __future__ import annotations

import pytest

from tests.integration.test_run_actions import (  # noqa: F401 (fixtures)
    DEPLOY,
    NOTIFY,
    actions_of,
    assert_no_secret,
    github,
    run,
    setup,
    slack,
    ticks,
)


@pytest.mark.parametrize(("mode", "posts"), [("no_details", 1), ("reject_field", 2)])
def test_a_dispatch_without_run_details_finds_its_run_by_listing_and_is_never_sent_again(capsys, setup, github, mode, posts):
    github.dispatch_mode = mode
    setup.use(b_deploy_staging=(DEPLOY,))
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes")
    assert code == 0, out + err
    sent = [post.body for post in github.posts()]
    assert len(sent) == posts and sent[0]["return_run_details"] is True
    assert mode == "no_details" or "return_run_details" not in sent[1]  # the 422 named the field: once more without it
    (run_id,) = github.runs
    outcome = actions_of(setup, "b-deploy-staging")[1]
    assert outcome["ok"] is True and outcome["run_id"] == run_id and outcome["posts"] == posts and outcome["dispatch"] == "started"
    assert f"accepted without run details; found run {run_id}" in out
    assert_no_secret(setup, out, err)


def test_a_failed_run_fails_the_step_with_its_conclusion_and_link_and_ticks_nothing(capsys, setup, github):
    github.stages = ["queued", "in_progress", "completed:failure"]
    setup.use(b_deploy_staging=(DEPLOY, NOTIFY))
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes")
    assert code == 1
    (run_id,) = github.runs
    outcome = actions_of(setup, "b-deploy-staging")[1]
    assert outcome["ok"] is False and outcome["conclusion"] == "failure"
    assert f"run {run_id} failure" in out and f"actions/runs/{run_id}" in out
    assert ticks(setup, "b-deploy-staging") == [] and len(actions_of(setup, "b-deploy-staging")) == 2  # Slack not sent


def test_a_wrong_token_is_a_refused_dispatch_not_an_unknown_one(capsys, setup, github, monkeypatch):
    monkeypatch.setenv("GH_TOKEN", "ghp_wrong0123456789abcdefABCDEFabcdefgh")
    setup.use(b_deploy_staging=(DEPLOY,))
    code, out, err = run(capsys, setup, "b-deploy-staging", "--yes")
    assert code == 1 and "401" in out
    outcome = actions_of(setup, "b-deploy-staging")[1]
    assert outcome["ok"] is False and outcome["unknown"] is False and outcome["dispatch"] == "refused"
    assert github.runs == {}
    assert "ghp_wrong" not in out + err


def test_slack_throttling_is_waited_out_and_sent_once(capsys, setup, slack):
    slack.reply(429, "rate_limited", retry_after=0.2)
    setup.use(b_navigation=(NOTIFY,))
    code, out, err = run(capsys, setup, "b-navigation", "--yes")
    assert code == 0, out + err
    outcome = actions_of(setup, "b-navigation")[1]
    assert outcome["state"] == "sent" and outcome["attempts"] == 2 and outcome["status"] == 200
    assert len(slack.received) == 2  # the throttled attempt and the one Slack took


def test_slack_failing_fails_the_step_with_slacks_answer(capsys, setup, slack):
    slack.reply(500, "internal_error")
    setup.use(b_navigation=(NOTIFY,))
    code, out, err = run(capsys, setup, "b-navigation", "--yes")
    assert code == 1
    outcome = actions_of(setup, "b-navigation")[1]
    assert outcome["state"] == "failed" and outcome["status"] == 500 and "internal_error" in outcome["response"]
    assert ticks(setup, "b-navigation") == []
    assert_no_secret(setup, out, err)
