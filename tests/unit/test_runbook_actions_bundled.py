"""The bundled runbook's actions (issue 17's steps, both services, both environments) and how `runbook show` lists them."""

from __future__ import annotations

from cockpit.runbook import load_runbook
from cockpit.runbook.model import Action, ActionSettings, GithubSettings
from cockpit.runbook.outline import action_line, outline
from cockpit.runbook.templates import SLACK_TEXT_PLACEHOLDERS, fill, placeholders

RUNBOOK = load_runbook(environ={})
PHASE_OF = {step.id: phase for phase, step in RUNBOOK.steps()}


def actions(step_id: str) -> tuple[Action, ...]:
    step = RUNBOOK.step(step_id)
    assert step is not None, step_id
    return step.actions


def deploys(step_id: str) -> list[tuple[str, dict[str, str]]]:
    return [(a.workflow, dict(a.inputs)) for a in actions(step_id) if a.kind == "github_workflow"]


def test_exactly_the_issues_steps_have_actions():
    with_actions = {step.id: [a.kind for a in step.actions] for _, step in RUNBOOK.steps() if step.actions}
    assert with_actions == {
        "comms-engineering": ["slack"],
        "comms-product": ["slack"],
        "b-deploy-staging": ["github_workflow", "github_workflow"],
        "b-e2e": ["command"],
        "c-notify-stakeholders": ["slack"],
        "c-deploy-api": ["github_workflow"],
        "c-deploy-dashboard": ["github_workflow"],
        "comms-confirm": ["slack"],
    }


def test_both_services_are_deployed_in_both_environments_as_the_plan_says():
    assert deploys("b-deploy-staging") == [
        ("deploy-api.yml", {"environment": "staging"}),
        ("deploy-admin-dashboard.yml", {"environment": "staging"}),
    ]
    assert deploys("c-deploy-api") == [("deploy-api.yml", {"environment": "production"})]
    assert deploys("c-deploy-dashboard") == [("deploy-admin-dashboard.yml", {"environment": "production"})]
    # each deploy runs only in the environment its inputs name
    for step_id, env in (("b-deploy-staging", "staging"), ("c-deploy-api", "production"), ("c-deploy-dashboard", "production")):
        assert PHASE_OF[step_id].environments == (env,)
        assert all(a.repository == "" and a.ref == "" for a in actions(step_id))  # the [github] ones


def test_every_deploy_names_the_ecs_service_its_workflow_deploys():
    services = {"deploy-api.yml": "avnz-api", "deploy-admin-dashboard.yml": "avnz-admin-dashboard"}
    for step_id in ("b-deploy-staging", "c-deploy-api", "c-deploy-dashboard"):
        for action in actions(step_id):
            assert action.service == services[action.workflow], (step_id, action.workflow)
            env = RUNBOOK.environments[PHASE_OF[step_id].environments[0]]
            assert action.service in env.ecs_services


def test_deploy_steps_keep_the_plans_command_for_display():
    step = RUNBOOK.step("b-deploy-staging")
    assert step is not None and "gh workflow run deploy-api.yml -f environment=staging" in step.command
    for step_id, (workflow, inputs) in (("c-deploy-api", deploys("c-deploy-api")[0]), ("c-deploy-dashboard", deploys("c-deploy-dashboard")[0])):
        shown = RUNBOOK.step(step_id)
        assert shown is not None and shown.command == f"gh workflow run {workflow} -f environment={inputs['environment']}"


def test_e2e_takes_the_base_url_from_the_environment():
    (e2e,) = actions("b-e2e")
    assert e2e.run == "cd apps/admin-dashboard\nnpx playwright test"
    assert dict(e2e.env) == {"PLAYWRIGHT_BASE_URL": "{app_url}"}
    assert e2e.timeout_seconds is not None and 300 <= e2e.timeout_seconds < RUNBOOK.actions.command_timeout_seconds
    step = RUNBOOK.step("b-e2e")
    assert step is not None and "PLAYWRIGHT_BASE_URL=https://staging.app.avnz.io npx playwright test" in step.command


def test_slack_messages_go_to_the_plans_channels_with_known_placeholders():
    channels = {sid: actions(sid)[0].channel for sid in ("comms-engineering", "comms-product", "c-notify-stakeholders", "comms-confirm")}
    assert channels == {
        "comms-engineering": "#engineering",
        "comms-product": "#product",
        "c-notify-stakeholders": "#deployments",
        "comms-confirm": "#deployments",
    }
    for step_id in channels:
        text = actions(step_id)[0].text
        assert "{runbook}" in text and set(placeholders(text)) <= set(SLACK_TEXT_PLACEHOLDERS)
    filled = fill(actions("comms-confirm")[0].text, {"runbook": "AVNZ 1.0", "environment": "production", "checks": "21 passed", "who": "ana"})
    assert filled == "Deployment confirmed: AVNZ 1.0 is live in production. Verification: 21 passed. Run by ana."


def test_settings_are_the_models_defaults_written_out():
    assert RUNBOOK.github == GithubSettings()
    assert RUNBOOK.actions == ActionSettings()


def test_show_lists_each_action_on_one_line_under_its_step():
    lines = outline(RUNBOOK).splitlines()
    at = lines.index(next(line for line in lines if "b-deploy-staging" in line))
    assert lines[at + 1 : at + 3] == [
        "        -> github_workflow deploy-api.yml@${COCKPIT_DEPLOY_REF:-main} (environment=staging), then ECS avnz-api",
        "        -> github_workflow deploy-admin-dashboard.yml@${COCKPIT_DEPLOY_REF:-main} (environment=staging), then ECS avnz-admin-dashboard",
    ]
    assert "b-health-status" in lines[at + 3]
    at = lines.index(next(line for line in lines if "b-e2e" in line))
    assert lines[at + 1] == "        -> command         cd apps/admin-dashboard  (+1 more line)"
    at = lines.index(next(line for line in lines if "c-deploy-dashboard" in line))
    assert lines[at + 1] == "        -> github_workflow deploy-admin-dashboard.yml@${COCKPIT_DEPLOY_REF:-main} (environment=production), then ECS avnz-admin-dashboard"
    assert sum(1 for line in lines if line.startswith("        -> slack           #")) == 4
    assert sum(1 for line in lines if "->" in line) == 9 + 1  # nine actions and the legend


def test_action_line_shows_an_actions_own_repository_and_ref():
    workflow = Action(kind="github_workflow", workflow="ci.yml", repository="acme/app", ref="v2", inputs=(("a", "1"), ("b", "2")))
    assert action_line(workflow, RUNBOOK) == "github_workflow acme/app: ci.yml@v2 (a=1, b=2)"
    assert action_line(Action(kind="github_workflow", workflow="ci.yml"), RUNBOOK) == "github_workflow ci.yml@${COCKPIT_DEPLOY_REF:-main}"
    assert action_line(Action(kind="command", run="\nmake\nmake test\nmake lint"), RUNBOOK) == "command         make  (+2 more lines)"
    assert action_line(Action(kind="command", run="true"), RUNBOOK) == "command         true"
    assert action_line(Action(kind="slack", channel="#ops", text="hi"), RUNBOOK) == "slack           #ops"
