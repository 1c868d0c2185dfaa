"""Validation reports every problem as FILE:LINE: message, and never raises."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cockpit.runbook import RunbookError, bundled_path, load_runbook, validate_file
from cockpit.runbook.interpolate import InterpolationError, interpolate

MINIMAL = """\
[runbook]
id = "t"
name = "Test"
version = "1"
owner = "me"

[environments.staging]
api_url = "${API:-http://localhost:1}"

[environments.production]

[[phases]]
id = "p1"
title = "Phase one"

[[phases.steps]]
id = "s1"
title = "Step one"
kind = "manual"

[[phases.steps]]
id = "s2"
title = "Step two"
kind = "info"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rb.toml"
    path.write_text(text)
    return path


def problems_for(tmp_path: Path, text: str) -> list[str]:
    return validate_file(write(tmp_path, text), environ={})


def test_bundled_runbook_is_valid():
    assert validate_file(bundled_path()) == []


def test_minimal_runbook_is_valid(tmp_path):
    assert problems_for(tmp_path, MINIMAL) == []


@pytest.mark.parametrize(
    "old, new, line, fragment",
    [
        ('kind = "manual"', 'kind = "manul"', 19, "unknown step kind 'manul'"),
        ('title = "Step one"', 'title = "Step one"\ncolour = "red"', 19, "phases[0].steps[0].colour: unknown key"),
        ('owner = "me"', 'owner = "me"\nownr = "x"', 6, "runbook.ownr: unknown key"),
        ('api_url = "${API:-http://localhost:1}"', 'api_url = 5', 8, "expected a string, got an integer"),
        ('api_url = "${API:-http://localhost:1}"', 'apiurl = "x"', 8, "environments.staging.apiurl: unknown key"),
        ('id = "s2"', 'id = "s1"', 22, "duplicate step id 's1'"),
        ('title = "Phase one"', 'title = "Phase one"\nenvironments = ["prod"]', 15, "undefined environment 'prod'"),
        ('owner = "me"', 'owner = "me"\ndefault_env = "qa"', 6, "undefined environment 'qa'"),
        ('api_url = "${API:-http://localhost:1}"', 'api_url = "${API"', 8, "malformed reference"),
        ('title = "Phase one"', 'title = "Phase one"\nduration_minutes = "30"', 15, "expected an integer, got a string"),
        ('title = "Phase one"', 'title = "Phase one"\ncontingency = 1', 15, "expected true or false"),
        ('name = "Test"\n', "", 1, "runbook.name: missing (required)"),
        ('kind = "manual"', 'kind = "check"', 19, "kind 'check' needs a check"),
        ('kind = "manual"', 'kind = "check"\ncheck = { type = "page" }', 20, "type 'page' needs path"),
        ('kind = "manual"', 'kind = "check"\ncheck = { type = "pong" }', 20, "unknown value 'pong'"),
        ('id = "s1"', 'id = "s1"\nid = "s3"', 18, "TOML syntax"),
        ('[[phases.steps]]\nid = "s2"', '[[phases.steps]\nid = "s2"', 21, "TOML syntax"),
    ],
)
def test_each_problem_names_its_line(tmp_path, old, new, line, fragment):
    assert old in MINIMAL
    path = write(tmp_path, MINIMAL.replace(old, new, 1))
    problems = validate_file(path, environ={})
    assert problems, "expected a problem"
    assert any(p.startswith(f"{path}:{line}: ") and fragment in p for p in problems), problems


def test_all_problems_are_reported_in_line_order(tmp_path):
    text = MINIMAL.replace('kind = "manual"', 'kind = "nope"').replace('id = "s2"', 'id = "s1"')
    text = text.replace('owner = "me"', 'owner = "me"\nextra = 1')
    problems = problems_for(tmp_path, text)
    lines = [int(p.split(":")[1]) for p in problems]
    assert len(problems) == 2  # shape problems first; rules run once the shape is right
    assert lines == sorted(lines)


def test_unreadable_and_non_utf8_files(tmp_path):
    missing = tmp_path / "missing.toml"
    assert validate_file(missing) == [f"{missing}:1: cannot read: No such file or directory"]
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b'[runbook]\nid = "\xff"\n')
    assert validate_file(binary) == [f"{binary}:2: not valid UTF-8 (byte 16)"]
    assert validate_file(tmp_path)[0].startswith(f"{tmp_path}:1: cannot read")


def test_load_raises_with_every_problem(tmp_path):
    path = write(tmp_path, MINIMAL.replace('kind = "manual"', 'kind = "x"'))
    with pytest.raises(RunbookError) as info:
        load_runbook(path, environ={})
    assert info.value.problems and info.value.problems[0].startswith(f"{path}:19:")


def test_fuzzed_runbooks_never_raise(tmp_path):
    source = bundled_path().read_text()
    rng = random.Random(20261127)
    lines = source.splitlines()
    path = tmp_path / "fuzz.toml"
    junk = ["[", "]", "=", '"', "'''", "{", "}", "[[phases]]", "x = 1", "\x00", "é", "\n", "steps", "."]
    for _ in range(300):
        mutated = list(lines)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(mutated))
            choice = rng.random()
            if choice < 0.3:
                del mutated[i]
            elif choice < 0.6:
                j = rng.randrange(len(mutated[i]) + 1)
                mutated[i] = mutated[i][:j] + rng.choice(junk) + mutated[i][j:]
            else:
                mutated.insert(i, rng.choice(lines))
        path.write_text("\n".join(mutated))
        for problem in validate_file(path, environ={}):
            assert problem.startswith(f"{path}:") and problem.split(":")[1].isdigit()


def test_interpolation():
    assert interpolate("${A:-http://x}/${B}", {"B": "b"}) == ("http://x/b", ("A", "B"))
    assert interpolate("${A:-d}", {"A": ""}) == ("d", ("A",))
    assert interpolate("${A}", {}) == ("", ("A",))
    assert interpolate("plain $HOME", {}) == ("plain $HOME", ())
    with pytest.raises(InterpolationError):
        interpolate("${A", {})


def test_environment_names_the_variable_to_set():
    runbook = load_runbook(environ={"COCKPIT_API_URL": "http://127.0.0.1:9"})
    staging = runbook.environments["staging"]
    assert staging.api_url == "http://127.0.0.1:9"
    assert staging.app_url == "https://staging.app.avnz.io"
    assert staging.redis_url == "" and staging.missing("redis_url") == "set REDIS_URL"
    assert runbook.environments["production"].production is True


def test_cloudwatch_settings_are_read_and_must_be_positive(tmp_path):
    bundled = load_runbook()
    assert (bundled.cloudwatch.logs_interval_seconds, bundled.cloudwatch.buffer_lines) == (2.0, 20000)
    text = bundled_path().read_text().replace("requests_per_second = 5", "requests_per_second = 0", 1)
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    with pytest.raises(RunbookError) as info:
        load_runbook(bad)
    assert "cloudwatch.requests_per_second: must be greater than 0, got 0" in str(info.value)


def test_log_query_ids_are_plain_names(tmp_path):
    # They name the logs pane's tabs and widgets: "redis errors" or "5xx" once crashed the TUI.
    text = bundled_path().read_text().replace('id = "redis"\ntitle = "Check for Redis', 'id = "redis errors"\ntitle = "Check for Redis', 1)
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    with pytest.raises(RunbookError) as info:
        load_runbook(bad)
    assert "log_queries[0].id: 'redis errors' may hold only letters, digits, '-' and '_'" in str(info.value)
    load_runbook(bad.write_text(text.replace('"redis errors"', '"5xx"')) and bad)  # digits first are fine


def test_required_env_says_which_services_need_it(tmp_path):
    bundled = load_runbook()
    by_name = {v.name: v.services for v in bundled.required_env}
    # The plan asks them of the API's task definition only (Appendix: aws_ecs_task_definition "api")
    assert by_name == {"REDIS_URL": ("avnz-api",), "DATABASE_URL": ("avnz-api",), "INTEGRATION_ENCRYPTION_KEY": ("avnz-api",)}
    text = MINIMAL.replace("[environments.production]", 'ecs_services = ["api", "web"]\n\n[environments.production]')
    text += '\n[[required_env]]\nname = "A"\n\n[[required_env]]\nname = "B"\nservices = []\n\n[[required_env]]\nname = "C"\nservices = ["web"]\n'
    runbook = load_runbook(write(tmp_path, text), environ={})
    assert [(v.name, v.services) for v in runbook.required_env] == [("A", None), ("B", ()), ("C", ("web",))]  # None: every service


def test_an_unknown_service_in_required_env_names_its_line(tmp_path):
    text = bundled_path().read_text().replace('services = ["avnz-api"]', 'services = ["avnz-api", "avnz-apl"]', 1)
    path = write(tmp_path, text)
    line = text[: text.index('"avnz-apl"')].count("\n") + 1
    assert validate_file(path, environ={}) == [
        f"{path}:{line}: required_env[0].services: service 'avnz-apl' is in no environment's ecs_services (known: avnz-admin-dashboard, avnz-api)"
    ]
    text = bundled_path().read_text().replace('services = ["avnz-api"]', 'services = "avnz-api"', 1)
    (problem,) = validate_file(write(tmp_path, text), environ={})
    assert f":{line}: required_env[0].services: expected an array, got a string" in problem
