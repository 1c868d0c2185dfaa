"""An environment's identity pins (`aws_account_id`, `github_repository`): loaded with `${VAR}`, malformed ones
named with their line."""

from __future__ import annotations

from pathlib import Path

from cockpit.runbook import load_runbook, validate_file

BASE = """\
[runbook]
id = "t"
name = "Test"
version = "1"
owner = "me"

[environments.staging]

[environments.production]
production = true
aws_account_id = "{account}"
github_repository = "{repository}"

[[phases]]
id = "p1"
title = "Phase one"

[[phases.steps]]
id = "s1"
title = "Deploy"
kind = "manual"
"""
# Lines of BASE: 11 aws_account_id, 12 github_repository.


def write(tmp_path: Path, account: str = "123456789012", repository: str = "avnz/payments") -> Path:
    path = tmp_path / "rb.toml"
    path.write_text(BASE.format(account=account, repository=repository))
    return path


def test_pins_load_as_written_and_default_to_no_pin(tmp_path):
    runbook = load_runbook(write(tmp_path), environ={})
    production = runbook.environments["production"]
    assert (production.aws_account_id, production.github_repository) == ("123456789012", "avnz/payments")
    staging = runbook.environments["staging"]
    assert (staging.aws_account_id, staging.github_repository) == ("", "")


def test_pins_take_variables_and_an_unset_one_is_no_pin(tmp_path):
    path = write(tmp_path, "${PROD_ACCOUNT}", "${PROD_REPO:-avnz/payments}")
    runbook = load_runbook(path, environ={"PROD_ACCOUNT": "210987654321"})
    production = runbook.environments["production"]
    assert (production.aws_account_id, production.github_repository) == ("210987654321", "avnz/payments")
    assert production.sources["aws_account_id"] == ("PROD_ACCOUNT",)
    assert load_runbook(path, environ={}).environments["production"].aws_account_id == ""


def test_an_account_id_must_be_twelve_digits(tmp_path):
    for bad in ("12345678901", "1234567890123", "12345678901a", "arn:aws:iam::123456789012:root"):
        problems = validate_file(write(tmp_path, account=bad), environ={})
        assert problems == [f"{tmp_path / 'rb.toml'}:11: environments.production.aws_account_id: {bad!r} is not valid: "
                            "an AWS account id is 12 digits, like 123456789012"]


def test_an_account_id_from_a_variable_is_checked_after_interpolation(tmp_path):
    path = write(tmp_path, account="${PROD_ACCOUNT}")
    assert validate_file(path, environ={"PROD_ACCOUNT": "123456789012"}) == []
    (problem,) = validate_file(path, environ={"PROD_ACCOUNT": "prod"})
    assert problem.endswith(":11: environments.production.aws_account_id: 'prod' is not valid: an AWS account id is 12 digits, "
                            "like 123456789012")


def test_a_repository_must_be_owner_slash_name(tmp_path):
    for bad in ("payments", "avnz/payments/extra", "/payments", "avnz/", "avnz payments/x", "https://github.com/avnz/payments"):
        problems = validate_file(write(tmp_path, repository=bad), environ={})
        assert problems == [f"{tmp_path / 'rb.toml'}:12: environments.production.github_repository: {bad!r} is not valid: "
                            "a GitHub repository is owner/name, like avnz/payments"]
    for good in ("avnz/payments", "Avnz-Org/pay.ments_2", "a/b"):
        assert validate_file(write(tmp_path, repository=good), environ={}) == []


def test_a_malformed_reference_in_a_pin_is_reported_once(tmp_path):
    problems = validate_file(write(tmp_path, account="${PROD_ACCOUNT"), environ={})
    assert len(problems) == 1 and ":11: environments.production.aws_account_id: malformed reference" in problems[0]


def test_a_pin_of_the_wrong_type_is_a_shape_error(tmp_path):
    path = tmp_path / "rb.toml"
    path.write_text(BASE.format(account="x", repository="a/b").replace('aws_account_id = "x"', "aws_account_id = 123456789012"))
    (problem,) = validate_file(path, environ={})
    assert problem.endswith(":11: environments.production.aws_account_id: expected a string, got an integer")


def test_runbook_show_lists_the_pins_of_the_environments_that_have_them(tmp_path):
    from cockpit.runbook.outline import outline

    text = outline(load_runbook(write(tmp_path), environ={}))
    assert "    pinned        aws_account_id 123456789012, github_repository avnz/payments" in text
    assert text.count("pinned ") == 1  # staging pins nothing
