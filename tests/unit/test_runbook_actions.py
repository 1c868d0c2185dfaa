"""Steps' actions and the [github] / [actions] settings: loaded as written, every mistake named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.runbook import load_runbook, validate_file
from cockpit.runbook.model import Action, ActionSettings, GithubSettings
from cockpit.runbook.templates import fill, placeholders, unknown_placeholders

BASE = """\
[runbook]
id = "t"
name = "Test"
version = "1"
owner = "me"

[environments.staging]

[[phases]]
id = "p1"
title = "Phase one"

[[phases.steps]]
id = "s1"
title = "Deploy"
kind = "command"

[[phases.steps.actions]]
kind = "github_workflow"
workflow = "deploy-api.yml"
inputs = { environment = "staging" }

[[phases.steps.actions]]
kind = "command"
run = "cd app\\nnpx playwright test"
env = { BASE_URL = "{app_url}" }
timeout_seconds = 600

[[phases.steps]]
id = "s2"
title = "Tell them"
kind = "manual"

[[phases.steps.actions]]
kind = "slack"
channel = "#deployments"
text = "{runbook} is live in {environment} ({who})"
"""
# Lines of BASE: 18 first action, 19 kind, 20 workflow, 21 inputs; 23 second action,
# 24 kind, 25 run, 26 env, 27 timeout; 32 kind of s2; 34 slack action, 35 kind, 36 channel, 37 text.
ECS = 'ecs_services = ["avnz-api", "avnz-admin-dashboard"]\n'
WITH_ECS = BASE.replace("[environments.staging]\n", "[environments.staging]\n" + ECS, 1)  # every line below moves one down



def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rb.toml"
    path.write_text(text)
    return path


def problems_for(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> tuple[Path, list[str]]:
    path = write(tmp_path, text)
    return path, validate_file(path, environ={} if environ is None else environ)


def test_actions_and_settings_load_as_written(tmp_path):
    runbook = load_runbook(write(tmp_path, BASE), environ={"GITHUB_REPOSITORY": "acme/app"})
    deploy, tell = runbook.step("s1"), runbook.step("s2")
    assert deploy is not None and tell is not None
    assert deploy.actions == (
        Action(kind="github_workflow", workflow="deploy-api.yml", inputs=(("environment", "staging"),)),
        Action(kind="command", run="cd app\nnpx playwright test", env=(("BASE_URL", "{app_url}"),), timeout_seconds=600.0),
    )
    assert tell.actions == (Action(kind="slack", channel="#deployments", text="{runbook} is live in {environment} ({who})"),)
    assert runbook.github == GithubSettings() and runbook.actions == ActionSettings()  # absent tables: the model's defaults
    assert runbook.github.repository == "${GITHUB_REPOSITORY}"  # kept: resolved when an action runs


def test_settings_are_read_and_keep_their_references(tmp_path):
    text = BASE + """
[github]
repository = "${REPO:-acme/app}"
api_url = "https://ghe.example/api/v3"
ref = "release"
poll_seconds = 10

[actions]
workdir = "${HOME}/src/app"
command_timeout_seconds = 900
stop_grace_seconds = 0
"""
    runbook = load_runbook(write(tmp_path, text), environ={"HOME": "/root"})
    assert runbook.github == GithubSettings("${REPO:-acme/app}", "https://ghe.example/api/v3", "release", 10.0)
    assert runbook.actions == ActionSettings("${HOME}/src/app", 900.0, 0.0)
    assert isinstance(runbook.github.poll_seconds, float) and isinstance(runbook.actions.command_timeout_seconds, float)


def test_the_base_runbook_is_valid(tmp_path):
    assert problems_for(tmp_path, BASE)[1] == []


@pytest.mark.parametrize(
    "old, new, line, message",
    [
        # the kind
        ('kind = "github_workflow"', 'kind = "webhook"', 19,
         "phases[0].steps[0].actions[0].kind: unknown action kind 'webhook' (one of: github_workflow, command, slack)"),
        ('kind = "github_workflow"\n', "", 18, "phases[0].steps[0].actions[0].kind: missing (required)"),
        # fields of another kind, or of none
        ('run = "cd app', 'channel = "#eng"\nrun = "cd app', 25,
         "phases[0].steps[0].actions[1].channel: not a field of a command action (its fields: run, env, timeout_seconds)"),
        ('workflow = "deploy-api.yml"', 'workflow = "deploy-api.yml"\ntext = "hi"', 21,
         "phases[0].steps[0].actions[0].text: not a field of a github_workflow action (its fields: workflow, repository, ref, inputs, service)"),
        ('channel = "#deployments"', 'channel = "#deployments"\nrun = "echo"', 37,
         "phases[0].steps[1].actions[0].run: not a field of a slack action (its fields: channel, text)"),
        ('workflow = "deploy-api.yml"', 'workflow = "deploy-api.yml"\nbranch = "main"', 21,
         "phases[0].steps[0].actions[0].branch: unknown key (known here: kind, workflow, repository, ref, inputs, service, run, env, "
         "timeout_seconds, channel, text)"),
        # required fields
        ('workflow = "deploy-api.yml"\n', "", 18, "phases[0].steps[0].actions[0]: a github_workflow action needs workflow"),
        ('workflow = "deploy-api.yml"', 'workflow = " "', 20, "phases[0].steps[0].actions[0]: a github_workflow action needs workflow"),
        ('run = "cd app\\nnpx playwright test"\n', "", 23, "phases[0].steps[0].actions[1]: a command action needs run"),
        ('channel = "#deployments"\n', "", 34, "phases[0].steps[1].actions[0]: a slack action needs channel"),
        ('text = "{runbook} is live in {environment} ({who})"', 'text = ""', 37, "phases[0].steps[1].actions[0]: a slack action needs text"),
        # inputs and env are tables of strings
        ('inputs = { environment = "staging" }', 'inputs = { environment = "staging", dry_run = true }', 21,
         "phases[0].steps[0].actions[0].inputs.dry_run: expected a string, got a boolean"),
        ('inputs = { environment = "staging" }', 'inputs = "environment=staging"', 21,
         "phases[0].steps[0].actions[0].inputs: expected a table, got a string"),
        ('env = { BASE_URL = "{app_url}" }', 'env = { RETRIES = 3 }', 26,
         "phases[0].steps[0].actions[1].env.RETRIES: expected a string, got an integer"),
        # malformed ${...} anywhere in an action
        ('workflow = "deploy-api.yml"', 'workflow = "${WORKFLOW"', 20,
         "phases[0].steps[0].actions[0].workflow: malformed reference '${WORKFLOW': use ${VAR} or ${VAR:-default}"),
        ('inputs = { environment = "staging" }', 'inputs = { environment = "${ENV:-staging" }', 21,
         "phases[0].steps[0].actions[0].inputs.environment: malformed reference '${ENV:-staging': use ${VAR} or ${VAR:-default}"),
        ('run = "cd app', 'run = "cd ${1-app}', 25,
         "phases[0].steps[0].actions[1].run: malformed reference '${1-app}': use ${VAR} or ${VAR:-default}"),
        ('env = { BASE_URL = "{app_url}" }', 'env = { BASE_URL = "${APP" }', 26,
         "phases[0].steps[0].actions[1].env.BASE_URL: malformed reference '${APP': use ${VAR} or ${VAR:-default}"),
        ('text = "{runbook}', 'text = "${X {runbook}', 37,
         "phases[0].steps[1].actions[0].text: malformed reference '${X': use ${VAR} or ${VAR:-default}"),
        # placeholders
        ('env = { BASE_URL = "{app_url}" }', 'env = { BASE_URL = "{app}/{api_url}", MODE = "{who}" }', 26,
         "phases[0].steps[0].actions[1].env.BASE_URL: unknown placeholder {app} (a command's env may use {api_url}, {app_url}, {environment})"),
        ('env = { BASE_URL = "{app_url}" }', 'env = { BASE_URL = "{app_url}", MODE = "{who}" }', 26,
         "phases[0].steps[0].actions[1].env.MODE: unknown placeholder {who} (a command's env may use {api_url}, {app_url}, {environment})"),
        ('text = "{runbook}', 'text = "{runbok} {env} {runbook}', 37,
         "phases[0].steps[1].actions[0].text: unknown placeholder {runbok}, {env} (a slack text may use {api_url}, {app_url}, "
         "{environment}, {runbook}, {phase}, {step}, {who}, {checks}, {gate})"),
        # channel
        ('channel = "#deployments"', 'channel = "deployments"', 36,
         "phases[0].steps[1].actions[0].channel: 'deployments' must start with '#' (like #deployments)"),
        ('channel = "#deployments"', 'channel = "#--"', 36, "phases[0].steps[1].actions[0].channel: '#--' names no channel (like #deployments)"),
        # timeouts
        ("timeout_seconds = 600", "timeout_seconds = 0", 27, "phases[0].steps[0].actions[1].timeout_seconds: must be greater than 0, got 0"),
        ("timeout_seconds = 600", "timeout_seconds = -5.5", 27, "phases[0].steps[0].actions[1].timeout_seconds: must be greater than 0, got -5.5"),
        ("timeout_seconds = 600", 'timeout_seconds = "10m"', 27, "phases[0].steps[0].actions[1].timeout_seconds: expected a number, got a string"),
        # no actions on an info step
        ('kind = "manual"', 'kind = "info"', 34,
         "phases[0].steps[1]: an info step takes no actions (make it manual, check or command)"),
    ],
)
def test_each_action_problem_names_its_line(tmp_path, old, new, line, message):
    assert old in BASE
    path, problems = problems_for(tmp_path, BASE.replace(old, new, 1))
    assert f"{path}:{line}: {message}" in problems, problems


@pytest.mark.parametrize(
    "old, new, line, message",
    [
        ('inputs = { environment = "staging" }', 'inputs = { environment = "staging" }\nservice = "avnz-web"', 23,
         "phases[0].steps[0].actions[0].service: 'avnz-web' is not one of environment staging's ecs_services (avnz-api, avnz-admin-dashboard)"),
        ('inputs = { environment = "staging" }', 'inputs = { environment = "staging" }\nservice = " "', 23,
         "phases[0].steps[0].actions[0].service: names no service (leave it out, or name the ECS service the workflow deploys)"),
        ('timeout_seconds = 600', 'timeout_seconds = 600\nservice = "avnz-api"', 29,
         "phases[0].steps[0].actions[1].service: not a field of a command action (its fields: run, env, timeout_seconds)"),
    ],
)
def test_a_workflows_service_must_be_one_its_environments_watch(tmp_path, old, new, line, message):
    """A workflow's ECS service: one the environment watches, on a workflow only."""
    assert old in WITH_ECS
    path, problems = problems_for(tmp_path, WITH_ECS.replace(old, new, 1))
    assert f"{path}:{line}: {message}" in problems, problems


def test_a_workflows_service_loads_and_is_valid_in_its_environments_services(tmp_path):
    text = WITH_ECS.replace('inputs = { environment = "staging" }', 'inputs = { environment = "staging" }\nservice = "avnz-api"', 1)
    runbook = load_runbook(write(tmp_path, text.replace(ECS, "")), environ={})  # no ecs_services anywhere: any name (not followed)
    step = runbook.step("s1")
    assert step is not None and step.actions[0].service == "avnz-api"
    assert problems_for(tmp_path, text)[1] == []  # staging watches avnz-api
    # an environment outside the phase's is not asked
    other = text.replace("[[phases]]", '[environments.qa]\necs_services = ["avnz-web"]\n\n[[phases]]', 1)
    other = other.replace('title = "Phase one"', 'title = "Phase one"\nenvironments = ["staging"]', 1)
    assert problems_for(tmp_path, other)[1] == []
    path, problems = problems_for(tmp_path, other.replace('environments = ["staging"]', 'environments = ["staging", "qa"]'))
    assert any("'avnz-api' is not one of environment qa's ecs_services (avnz-web)" in p for p in problems), problems


def test_an_info_step_is_named_once_however_many_actions_it_has(tmp_path):
    text = BASE.replace('kind = "command"\n', 'kind = "info"\n', 1)
    path, problems = problems_for(tmp_path, text)
    assert problems == [f"{path}:18: phases[0].steps[0]: an info step takes no actions (make it manual, check or command)"]


def test_inline_actions_are_checked_too(tmp_path):
    text = BASE.replace('kind = "manual"\n', 'kind = "manual"\nactions = [{ kind = "slack", channel = "ops", text = "hi" }]\n', 1)
    text = text[: text.index("[[phases.steps.actions]]\nkind = \"slack\"")]
    path, problems = problems_for(tmp_path, text)
    assert problems == [f"{path}:33: phases[0].steps[1].actions[0].channel: 'ops' must start with '#' (like #deployments)"]


SETTINGS = """
[github]
repository = "${GITHUB_REPOSITORY}"
api_url = "${GITHUB_API_URL:-https://api.github.com}"
ref = "${COCKPIT_DEPLOY_REF:-main}"
poll_seconds = 5

[actions]
workdir = "${COCKPIT_WORKDIR:-.}"
command_timeout_seconds = 1800
stop_grace_seconds = 5
"""
# Lines of BASE + SETTINGS: 39 [github], 40 repository, 41 api_url, 42 ref, 43 poll;
# 45 [actions], 46 workdir, 47 command_timeout_seconds, 48 stop_grace_seconds.


@pytest.mark.parametrize(
    "old, new, line, message",
    [
        ('repository = "${GITHUB_REPOSITORY}"', 'repository = "$GITHUB_REPOSITORY}/${"', 40,
         "github.repository: malformed reference '${': use ${VAR} or ${VAR:-default}"),
        ('api_url = "${GITHUB_API_URL:-', 'api_url = "${GITHUB-API-URL:-', 41, "github.api_url: malformed reference '${GITHUB-API-URL:-https://api.github.com}'"),
        ('ref = "${COCKPIT_DEPLOY_REF:-main}"', 'ref = "${COCKPIT_DEPLOY_REF:-main"', 42, "github.ref: malformed reference"),
        ("poll_seconds = 5", "poll_seconds = 0", 43, "github.poll_seconds: must be greater than 0, got 0"),
        ("poll_seconds = 5", "poll_seconds = true", 43, "github.poll_seconds: expected a number, got a boolean"),
        ("poll_seconds = 5", "poll_seconds = 5\ntoken = \"ghp_x\"", 44, "github.token: unknown key (known here: repository, api_url, ref, poll_seconds)"),
        ('workdir = "${COCKPIT_WORKDIR:-.}"', 'workdir = "${COCKPIT WORKDIR}"', 46, "actions.workdir: malformed reference '${COCKPIT'"),
        ("command_timeout_seconds = 1800", "command_timeout_seconds = -1", 47, "actions.command_timeout_seconds: must be greater than 0, got -1"),
        ("stop_grace_seconds = 5", "stop_grace_seconds = -1", 48, "actions.stop_grace_seconds: must be 0 or more, got -1"),
    ],
)
def test_each_settings_problem_names_its_line(tmp_path, old, new, line, message):
    text = BASE + SETTINGS
    assert old in text
    path, problems = problems_for(tmp_path, text.replace(old, new, 1))
    assert any(p.startswith(f"{path}:{line}: {message}") for p in problems), problems


def test_settings_with_the_defaults_written_out_are_valid(tmp_path):
    assert problems_for(tmp_path, BASE + SETTINGS)[1] == []


def test_placeholders_are_plain_names_in_braces():
    assert placeholders("{app_url}/x ${APP_URL} {a b} { x } {{env}} {1x}") == ["app_url", "env"]
    assert unknown_placeholders("{who} {whom} {whom}", {"who": ""}) == ["whom"]
    assert fill('{who} deployed to {environment}: {"json": 1} ${VAR} {other}', {"who": "ana", "environment": "staging"}) == (
        'ana deployed to staging: {"json": 1} ${VAR} {other}'
    )
