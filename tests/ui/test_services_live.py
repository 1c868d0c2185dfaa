"""The services and feature-flags panes against moto, the journal record of what ran, and the full rollback."""

from __future__ import annotations

from dataclasses import replace

import boto3
from textual.widgets import Input, OptionList, Static

from cockpit.stack.ecs_seed import seed_ecs
from cockpit.ui.screens.rollback import ALL, RollbackScreen
from cockpit.ui.widgets.services_pane import FlagsPane, ServicesPane
from tests.conftest import make_app
from tests.servers.ecs_rollouts import deployment, service, td_arn
from tests.ui.test_live import wait_for
from tests.ui.test_rollback_modal import fast, running


def body(app, cls) -> str:
    return str(app.screen.query_one(cls).body(app.monotonic(), app.clock()))


async def test_services_and_flags_panes_show_ecs(state_file, runbook, aws):
    seed = seed_ecs(boto3.client("ecs"), revisions=12, inactive=(3,))
    rb = replace(runbook, ecs=replace(runbook.ecs, interval_seconds=0.3))
    app = make_app(state_file, runbook=rb, live=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: "avnz-api:12" in body(app, ServicesPane), what="the services pane")
        services = body(app, ServicesPane)
        # moto starts no task: each service is deploying with none running, and the pane says exactly that
        assert "DEPLOY avnz-admin-dashboard:12 0/2 · none running" in services and "PRIMARY" in services and "IN_PROGRESS" in services
        assert "v1.4.12" in services or "sha-" in services  # the image tag
        flags = body(app, FlagsPane)
        assert "avnz-api avnz-api:12 (no task running)" in flags
        assert "ENABLE_MOMENTUM_CHURN      on" in flags and "ENABLE_MOMENTUM_SAVE_FLOWS off" in flags and "ENABLE_MOMENTUM_TRIGGERS   unset" in flags
        everything = services + flags
        assert not [v for v in seed.never_shown if v and v in everything]


async def test_a_completed_deployment_is_journaled_as_what_the_service_ran(state_file, runbook):
    from cockpit.engine.events import ServicesRead
    from cockpit.probes.aws.ecs import service_state
    from tests.conftest import settle

    app = make_app(state_file, runbook=runbook)
    old, new = td_arn("avnz-api", 41), td_arn("avnz-api", 42)
    async with app.run_test(size=(160, 48)) as pilot:
        for td, rollout in ((old, "COMPLETED"), (old, "COMPLETED"), (new, "IN_PROGRESS"), (new, "COMPLETED")):
            raw = service("avnz-api", td, [deployment("ecs-svc/1", td, rollout=rollout)])
            app.engine.engine.take_services(ServicesRead((service_state(raw, "avnz-payment-cluster"),), {}))  # as ECS was read
            await settle(pilot)
        engine = app.engine.engine
        for _ in range(400):  # the journal's read-back reaches the engine's history
            if engine.service_history.get("avnz-api") == [old, new]:
                break
            await pilot.pause(0.05)
        assert engine.service_history["avnz-api"] == [old, new]  # what the rollback picker will be told
    recorded = [(e.step_id, e.payload["task_definition"]) for e in app.session.events_after(0) if e.kind == "service"]
    assert recorded == [("service:avnz-api", old), ("service:avnz-api", new)]


async def test_full_rollback_asks_for_both_names_and_stops_when_the_first_fails(state_file, runbook, aws):
    seed = seed_ecs(boto3.client("ecs"), revisions=12, inactive=(3,))
    app = make_app(state_file, runbook=fast(runbook))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("R")
        screen = app.screen
        assert isinstance(screen, RollbackScreen)
        services = screen.query_one("#rb-services", OptionList)
        services.highlighted = [o.id for o in services.options].index(ALL)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Type 'avnz-api + avnz-admin-dashboard'" in str(screen.query_one("#rb-plan", Static).render()), what="the full plan")
        plan = str(screen.query_one("#rb-plan", Static).render())
        assert plan.index("1. avnz-api") < plan.index("2. avnz-admin-dashboard")
        screen.query_one("#rb-typed", Input).value = "avnz-api + avnz-admin-dashboard"
        await pilot.press("enter")
        await wait_for(pilot, lambda: not screen.running and "done" in str(screen.query_one("#rb-status", Static).render()), what="the verdict")
        progress = str(screen.query_one("#rb-progress", Static).render())
        assert "NOT rolled back (timeout)" in progress and "stopped: the next service was not touched" in progress
    assert running("avnz-api") == "avnz-api:11"  # moto moved it; the rollout never reported COMPLETED
    assert running("avnz-admin-dashboard") == f"avnz-admin-dashboard:{seed.newest('avnz-admin-dashboard')}"
