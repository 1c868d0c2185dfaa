"""`send_message` against a real local HTTP server standing in for Slack's incoming webhook."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from cockpit.actions.slack import MAX_ATTEMPTS, SlackConfigError, SlackOutcome, Webhook, retry_after_seconds, send_message, webhook_for
from cockpit.stack import free_port
from cockpit.stack.fake_slack import WEBHOOK_PATH, FakeSlack

SECRET_PARTS = (WEBHOOK_PATH, "xoxwebhooksecret0000000000", "B0RELEASE/")


class FakeTime:
    """An injectable clock and sleep: waiting out a rate limit takes no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    try:
        yield server
    finally:
        server.stop()


def _hook(slack: FakeSlack) -> Webhook:
    return webhook_for("#engineering", {"SLACK_WEBHOOK_ENGINEERING": slack.webhook_url()})


async def _send(slack: FakeSlack, text: str = "Staging deploy done", fake: FakeTime | None = None, **kwargs) -> SlackOutcome:
    fake = fake or FakeTime()
    return await send_message(_hook(slack), text, sleep=fake.sleep, clock=fake.clock, **kwargs)


def _assert_no_secret(*texts: str) -> None:
    for text in texts:
        for part in SECRET_PARTS:
            assert part not in text


async def test_200_ok_is_sent_and_the_body_is_the_text(slack: FakeSlack) -> None:
    outcome = await _send(slack, "Phase B: staging deploy *passed* ✓")
    assert outcome == SlackOutcome("sent", "#engineering", 200, "ok", 1, "posted to #engineering") and outcome.sent
    [request] = slack.received
    assert request.path == WEBHOOK_PATH and request.headers["content-type"].startswith("application/json")
    assert request.json() == {"text": "Phase B: staging deploy *passed* ✓"}


async def test_a_shared_client_is_used_and_left_open(slack: FakeSlack) -> None:
    async with httpx.AsyncClient() as client:
        first = await _send(slack, "one", client=client)
        second = await _send(slack, "two", client=client)
        assert not client.is_closed
    assert first.sent and second.sent and [r.json() for r in slack.received] == [{"text": "one"}, {"text": "two"}]


async def test_429_waits_retry_after_then_sends(slack: FakeSlack) -> None:
    slack.reply(429, "rate_limited", retry_after=7)
    fake = FakeTime()
    outcome = await _send(slack, fake=fake)
    assert outcome.state == "sent" and outcome.attempts == 2 and fake.sleeps == [7.0]
    assert [r.json() for r in slack.received] == [{"text": "Staging deploy done"}] * 2


async def test_429_without_retry_after_waits_a_second(slack: FakeSlack) -> None:
    slack.reply(429, "rate_limited")
    fake = FakeTime()
    assert (await _send(slack, fake=fake)).sent and fake.sleeps == [1.0]


async def test_429_is_retried_only_within_the_deadline(slack: FakeSlack) -> None:
    slack.reply(429, "rate_limited", retry_after=3, times=10)
    fake = FakeTime()
    outcome = await _send(slack, fake=fake, deadline=10)
    assert fake.sleeps == [3.0, 3.0, 3.0] and len(slack.received) == 4
    assert outcome.state == "failed" and outcome.status == 429 and outcome.attempts == 4 and outcome.response == "rate_limited"
    assert "rate limited" in outcome.detail and "10 s deadline" in outcome.detail


async def test_a_retry_after_past_the_deadline_is_not_waited_for(slack: FakeSlack) -> None:
    slack.reply(429, "rate_limited", retry_after=120)
    fake = FakeTime()
    outcome = await _send(slack, fake=fake, deadline=60)
    assert outcome.state == "failed" and fake.sleeps == [] and len(slack.received) == 1


async def test_attempts_are_bounded_even_without_waits(slack: FakeSlack) -> None:
    slack.reply(429, "rate_limited", retry_after=0, times=20)
    outcome = await _send(slack)
    assert outcome.state == "failed" and outcome.attempts == MAX_ATTEMPTS and len(slack.received) == MAX_ATTEMPTS


@pytest.mark.parametrize(("status", "body"), [(500, "rollup_error"), (404, "no_service"), (400, "invalid_payload"), (410, "channel_is_archived")])
async def test_other_statuses_fail_with_slacks_answer_and_are_not_retried(slack: FakeSlack, status: int, body: str) -> None:
    slack.reply(status, body)
    outcome = await _send(slack)
    assert outcome.state == "failed" and outcome.status == status and outcome.response == body and outcome.attempts == 1
    assert outcome.detail == f"Slack refused it: HTTP {status} {body}" and len(slack.received) == 1


async def test_a_hostile_answer_is_cleaned_and_cut(slack: FakeSlack) -> None:
    slack.reply(500, "\x1b]0;PWNED\x07\x1b[2J" + "x" * 20000)
    outcome = await _send(slack)
    assert outcome.state == "failed" and "\x1b" not in outcome.response and "\x07" not in outcome.response
    assert outcome.response.startswith("␛]0;PWNED␇␛[2J") and len(outcome.response) < 400 and "… [cut:" in outcome.response


async def test_no_answer_in_time_is_unknown_and_never_sent_again(slack: FakeSlack) -> None:
    slack.hang()
    outcome = await _send(slack, timeout=0.3)
    assert outcome.state == "unknown" and outcome.status is None and outcome.attempts == 1
    assert "may have been posted" in outcome.detail and "not sent again" in outcome.detail
    assert len(slack.received) == 1


async def test_a_connection_lost_after_sending_is_unknown(slack: FakeSlack) -> None:
    slack.drop()
    outcome = await _send(slack)
    assert outcome.state == "unknown" and "may have been posted" in outcome.detail and len(slack.received) == 1


async def test_a_refused_connection_failed_and_sent_nothing() -> None:
    webhook = webhook_for("#engineering", {"SLACK_WEBHOOK_ENGINEERING": f"http://127.0.0.1:{free_port()}{WEBHOOK_PATH}"})
    outcome = await send_message(webhook, "hello", timeout=2)
    assert outcome.state == "failed" and outcome.detail.startswith("not sent: cannot connect to 127.0.0.1")


async def test_an_empty_message_is_not_sent(slack: FakeSlack) -> None:
    outcome = await _send(slack, "  \n")
    assert outcome.state == "failed" and outcome.attempts == 0 and slack.received == []


async def test_the_webhook_url_is_in_no_outcome_repr_error_or_log_line(slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    hook = _hook(slack)
    outcomes = [await _send(slack)]
    slack.reply(500, f"bad hook {WEBHOOK_PATH}")  # even when Slack's answer quotes it back
    outcomes.append(await _send(slack))
    slack.hang()
    outcomes.append(await _send(slack, timeout=0.2))
    slack.drop()
    outcomes.append(await _send(slack))
    slack.stop()
    outcomes.append(await _send(slack, timeout=1))
    assert [o.state for o in outcomes] == ["sent", "failed", "unknown", "unknown", "failed"]
    errors = []
    for env in ({}, {"SLACK_WEBHOOK_ENGINEERING": f"ftp://hooks.example{WEBHOOK_PATH}"}):
        with pytest.raises(SlackConfigError) as raised:
            webhook_for("#engineering", env)
        errors.append(str(raised.value))
    assert any("HTTP Request: POST" in record.getMessage() for record in caplog.records)  # httpx did log the request
    _assert_no_secret(repr(hook), str(hook), caplog.text, *(repr(o) for o in outcomes), *(o.detail for o in outcomes), *errors)
    assert hook.url == slack.webhook_url()


@pytest.mark.parametrize(("channel", "variable"), [
    ("#engineering", "SLACK_WEBHOOK_ENGINEERING"),
    ("deployments", "SLACK_WEBHOOK_DEPLOYMENTS"),
    ("#product-team", "SLACK_WEBHOOK_PRODUCT_TEAM"),
    ("#release.alerts 2", "SLACK_WEBHOOK_RELEASE_ALERTS_2"),
])
def test_webhook_for_maps_the_channel_to_its_variable(channel: str, variable: str) -> None:
    hook = webhook_for(channel, {variable: " https://hooks.slack.com/services/T/B/x "})
    assert hook.variable == variable and hook.url == "https://hooks.slack.com/services/T/B/x"
    assert hook.channel == "#" + channel.removeprefix("#")


def test_webhook_for_names_the_missing_variable_in_one_line() -> None:
    with pytest.raises(SlackConfigError, match=r"^SLACK_WEBHOOK_ENGINEERING is not set: it holds the Slack webhook URL for #engineering$"):
        webhook_for("#engineering", {"SLACK_WEBHOOK_PRODUCT": "https://hooks.slack.com/services/T/B/x"})
    with pytest.raises(SlackConfigError, match="^SLACK_WEBHOOK_ENGINEERING does not hold an http"):
        webhook_for("#engineering", {"SLACK_WEBHOOK_ENGINEERING": "hooks.slack.com/services/T/B/x"})
    with pytest.raises(SlackConfigError, match="not a Slack channel name"):
        webhook_for("#", {})


def test_retry_after_reads_seconds_and_dates() -> None:
    now = datetime(2026, 11, 27, 21, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0 and retry_after_seconds(" 1.5 ") == 1.5 and retry_after_seconds("-3") == 0.0
    assert retry_after_seconds(None) == 1.0 and retry_after_seconds("soon") == 1.0 and retry_after_seconds("nan") == 1.0
    assert retry_after_seconds("Fri, 27 Nov 2026 21:00:30 GMT", now=lambda: now) == 30.0
