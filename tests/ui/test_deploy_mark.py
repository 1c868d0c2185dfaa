"""The Services pane marks the ECS deployment a deploy step caused (DeployRollout), on the service's one row."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len

from cockpit.engine.events import DeployRollout, ServicesRead
from cockpit.probes.aws.ecs import service_state
from cockpit.ui.widgets.services_pane import ServicesPane
from tests.conftest import make_app
from tests.servers.ecs_rollouts import CLUSTER, deployment, service, td_arn
from tests.ui.fake_engine import replay
from tests.ui.live_data import NOW
from tests.ui.screen_truth import feed_world
from tests.ui.test_verdict_screens import shown_lines

STEP = "b-deploy-staging"


def api_deploying(rollout: str) -> ServicesRead:
    """avnz-api moving from :24 (ecs-svc/24) to :25 (ecs-svc/25, `rollout`); the dashboard steady."""
    old, new, dash = td_arn("avnz-api", 24), td_arn("avnz-api", 25), td_arn("avnz-admin-dashboard", 9)
    ours = deployment("ecs-svc/25", new, rollout=rollout, running=2 if rollout == "COMPLETED" else 0, failed=2 if rollout == "FAILED" else 0,
                      reason="ECS deployment circuit breaker: tasks failed to start." if rollout == "FAILED" else None)
    api = service("avnz-api", new, [ours] + ([] if rollout == "COMPLETED" else [deployment("ecs-svc/24", old, status="ACTIVE", rollout="COMPLETED", running=2)]))
    board = service("avnz-admin-dashboard", dash, [deployment("ecs-svc/9", dash, rollout="COMPLETED", running=2)], running=2)
    return ServicesRead(tuple(service_state(raw, CLUSTER) for raw in (api, board)), {})


def mark(state: str, deployment_id: str = "ecs-svc/25", text: str = "") -> DeployRollout:
    return DeployRollout(STEP, "avnz-api", deployment_id, state, text or f"{deployment_id} {state}")


def api_line(app) -> str:
    pane = app.screen.query_one(ServicesPane)
    shown = shown_lines(pane, ".ecs-body")
    lines = [line for line in shown if "avnz-api" in line and "PRIMARY" not in line]
    assert len(lines) == 1, shown  # one row per service: the mark never adds or wraps a line
    assert cell_len(lines[0]) <= pane.scrollable_content_region.width
    return lines[0]


def marked(line: str, state: str) -> bool:
    """The row ends in the mark: `deploy STEP: STATE` where there is room, `STEP: STATE` or `deploy STATE` where not."""
    return line.endswith((f" · deploy {STEP}: {state}", f" · {STEP}: {state}", f" · deploy {state}")) and re.search(r" avnz-api(:\d+)? · ", line) is not None


@pytest.mark.parametrize("size", [(120, 40), (200, 50)], ids=["120x40", "200x50"])
async def test_the_deploy_steps_rollout_is_marked_on_its_services_row(state_file, size):
    app = make_app(state_file, monotonic=lambda: NOW, fake=True)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot)
        assert "deploy" not in api_line(app)
        await replay(pilot, [mark("UNKNOWN", "", "waiting for a new ECS deployment (created since 21:00:00 UTC)")])
        assert marked(api_line(app), "UNKNOWN")
        await replay(pilot, [api_deploying("IN_PROGRESS"), mark("IN_PROGRESS")])
        assert marked(api_line(app), "IN_PROGRESS") and api_line(app).startswith("DEPLOY")
        await replay(pilot, [api_deploying("FAILED"), mark("FAILED")])
        assert marked(api_line(app), "FAILED") and api_line(app).startswith("FAILED")
        if size[0] >= 200:  # a 46-cell pane: room for the step's name
            assert api_line(app) == f"FAILED avnz-api · {STEP}: FAILED"
        pane = app.screen.query_one(ServicesPane)
        body = pane.body(NOW, app.clock(), pane.scrollable_content_region.width, 0)
        at = body.plain.index(f"deploy {STEP}: FAILED") + len(f"deploy {STEP}: ")  # the details' line
        assert any(s.start <= at < s.end and str(s.style) == "bold white on red" for s in body.spans)  # the error style
        assert "ecs-svc/25" not in api_line(app) and f"← {STEP}" in body.plain  # the details name the deployment


async def test_the_mark_shows_what_ecs_reports_for_that_deployment(state_file):
    """The engine stopped following (UNKNOWN), ECS carried on: the pane's read of that deployment says COMPLETED."""
    app = make_app(state_file, monotonic=lambda: NOW, fake=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await feed_world(pilot)
        await replay(pilot, [mark("UNKNOWN", text="stopped following ecs-svc/25; ECS carries on"), api_deploying("COMPLETED")])
        assert marked(api_line(app), "COMPLETED")
        assert re.search(r"^OK +avnz-api:25\b", api_line(app)), api_line(app)  # the revision that now serves stays beside the mark
        await replay(pilot, [mark("UNKNOWN", "ecs-svc/99")])  # a deployment the read does not list: the step's word stands
        assert marked(api_line(app), "UNKNOWN")


async def test_each_width_keeps_the_name_and_the_state_on_one_line(state_file):
    app = make_app(state_file, monotonic=lambda: NOW, fake=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await feed_world(pilot)
        await replay(pilot, [api_deploying("FAILED"), mark("FAILED")])
        pane = app.screen.query_one(ServicesPane)
        rows = {width: pane.lines(width)[0][0] for width in (80, 57, 46, 36, 31, 20, 12)}
    for width, row in rows.items():
        assert row.cell_len <= width and "\n" not in row.plain, (width, row.plain)
    assert rows[80].plain.startswith("FAILED avnz-api:25 failed · :24 serves 2/2") and rows[80].plain.endswith(f" · deploy {STEP}: FAILED")
    assert rows[57].plain == f"FAILED avnz-api · deploy {STEP}: FAILED"  # the figures went first
    assert rows[46].plain == f"FAILED avnz-api · {STEP}: FAILED"
    assert rows[36].plain == rows[31].plain == "FAILED avnz-api · deploy FAILED"
    assert rows[20].plain.startswith("FAILED") and rows[20].plain.endswith("…")  # cut, and says so


@pytest.mark.parametrize("size", [(120, 40), (200, 50)], ids=["120x40", "200x50"])
async def test_another_operators_rollback_is_on_its_services_row_with_who_until_it_ends(state_file, size):
    from cockpit.engine.events import RollbackElsewhere

    app = make_app(state_file, monotonic=lambda: NOW, fake=True)
    async with app.run_test(size=size) as pilot:
        await feed_world(pilot)
        assert "ROLLBACK" not in api_line(app)
        await replay(pilot, [RollbackElsewhere("avnz-api", "bob@bastion", "15:04 UTC")])
        line = api_line(app)
        assert line.endswith((" · ROLLBACK by bob@bastion since 15:04 UTC", " · ROLLBACK by bob@bastion", " · ↺ bob@bastion")), line
        assert "avnz-api" in line  # the tag takes room from the figures, never the name
        if size[0] >= 200:
            assert "ROLLBACK by bob@bastion" in line
        await replay(pilot, [mark("IN_PROGRESS")])  # the rollback under way outranks a deploy's mark on the row
        assert "bob@bastion" in api_line(app) and "deploy" not in api_line(app)
        await replay(pilot, [RollbackElsewhere("avnz-api")])
        assert "bob@bastion" not in api_line(app) and "↺" not in api_line(app) and marked(api_line(app), "IN_PROGRESS")
