"""Who cockpit acts as, in the header: the engine's IdentityRead drawn as `AWS <account> · GitHub <owner/repo>`,
"AWS unknown" until it is read, compact at 80 columns, a problem marked and in the error style (never hidden)."""

from __future__ import annotations

from textual.widgets import Static

from cockpit.engine.events import IdentityRead
from tests.conftest import make_app
from tests.ui.test_live import wait_for

READ = IdentityRead("123456789012", "arn:aws:iam::123456789012:user/release-bot", "avnz/payments")
MISMATCH = IdentityRead("123456789012", "arn:aws:iam::123456789012:user/release-bot", "avnz/payments",
                        ("AWS account 123456789012 is not production's pinned 222222222222",))


def identity(app) -> Static:
    return app.cockpit.query_one("#identity", Static)


def shown(app) -> str:
    return str(identity(app).render())


async def test_unknown_until_read_then_the_account_and_the_repository(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(160, 48)) as pilot:
        assert shown(app) == "AWS unknown" and not identity(app).has_class("-problem")
        app.engine.replay([READ])
        await pilot.pause()
        assert shown(app) == "AWS 123456789012 · GitHub avnz/payments" and not identity(app).has_class("-problem")
        assert "arn:aws:iam::123456789012:user/release-bot" in str(identity(app).tooltip)
        assert not [n for n in app._notifications if n.title == "identity"]


async def test_compact_at_80_columns_with_the_clock_still_on_screen(state_file):
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(80, 24)) as pilot:
        app.engine.replay([READ])
        await pilot.pause()
        assert shown(app) == "AWS 123456789012 · avnz/payments"
        clock = app.cockpit.query_one("#clock", Static)
        assert clock.region.right <= 80 and identity(app).region.right <= clock.region.x
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert shown(app) == "AWS 123456789012 · GitHub avnz/payments"


async def test_a_problem_is_marked_in_the_error_style_and_notified_once(state_file):
    app = make_app(state_file, env="production", fake=True)
    async with app.run_test(size=(160, 48)) as pilot:
        app.engine.replay([MISMATCH])
        await pilot.pause()
        assert shown(app) == "✗ AWS 123456789012 · GitHub avnz/payments" and identity(app).has_class("-problem")
        assert "is not production's pinned 222222222222" in str(identity(app).tooltip)
        app.engine.replay([MISMATCH])  # the same problem read again: not notified again
        await pilot.pause()
        said = [n for n in app._notifications if n.title == "identity"]
        assert len(said) == 1 and said[0].severity == "error" and "pinned 222222222222" in said[0].message
        app.engine.replay([READ])
        await pilot.pause()
        assert not identity(app).has_class("-problem") and shown(app) == "AWS 123456789012 · GitHub avnz/payments"


async def test_a_failed_check_says_unknown_and_why_and_no_aws_says_not_configured(state_file):
    failed = IdentityRead("", "", "", ("AWS identity check failed: STS GetCallerIdentity: no AWS credentials",))
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(160, 48)) as pilot:
        app.engine.replay([failed])
        await pilot.pause()
        assert shown(app) == "✗ AWS unknown · GitHub not set" and identity(app).has_class("-problem")
        assert "no AWS credentials" in str(identity(app).tooltip)
        app.engine.replay([IdentityRead(github_repository="avnz/payments", aws_configured=False)])
        await pilot.pause()
        assert shown(app) == "AWS not configured · GitHub avnz/payments" and not identity(app).has_class("-problem")


async def test_hostile_identity_text_stays_data(state_file):
    hostile = IdentityRead("123456789012", "arn:aws:iam::123456789012:user/[bold]x\x1b]0;pwned\x07",
                           "[red]evil[/red]/repo\x1b[2J", ("AWS account [b]1[/b] \x1b[31mis not\x1b[0m pinned",))
    app = make_app(state_file, fake=True)
    async with app.run_test(size=(160, 48)) as pilot:
        app.engine.replay([hostile])
        await pilot.pause()
        assert "[red]evil[/red]/repo" in shown(app) and "\x1b" not in shown(app)
        assert "\x1b" not in str(identity(app).tooltip) and "[b]1[/b]" in str(identity(app).tooltip)


async def test_a_live_engine_reads_moto_s_account_into_the_header(state_file, aws):
    app = make_app(state_file, live=True, environ={"GITHUB_REPOSITORY": "avnz/payments"})
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: shown(app) == "AWS 123456789012 · GitHub avnz/payments", what="the identity in the header")
        assert not identity(app).has_class("-problem")


async def test_the_tui_rollback_is_refused_by_a_pin_and_the_guard_s_read_reaches_the_header(state_file, runbook, aws):
    from dataclasses import replace

    import boto3
    from textual.widgets import Input

    from cockpit.stack.ecs_seed import seed_ecs
    from tests.ui.test_rollback_modal import open_service, running

    seed_ecs(boto3.client("ecs"))
    before = running()
    staging = replace(runbook.environments["staging"], aws_account_id="222222222222")
    app = make_app(state_file, runbook=replace(runbook, environments={**runbook.environments, "staging": staging}))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_service(pilot)
        await pilot.press("enter")
        screen.query_one("#rb-typed", Input).value = "avnz-api"
        await pilot.press("enter")
        refusal = "refused: AWS account 123456789012 is not staging's pinned 222222222222: no rollback started"
        await wait_for(pilot, lambda: any(refusal in str(n.message) for n in app._notifications), what="the refusal")
        await wait_for(pilot, lambda: shown(app).startswith("✗ AWS 123456789012"), what="the identity the guard read")
        assert identity(app).has_class("-problem")
    assert running() == before
    assert [e for e in app.session.events_after(0) if e.kind == "rollback"] == []
