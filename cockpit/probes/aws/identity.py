"""Who the AWS credentials are: STS GetCallerIdentity (needs no permission, so it fails only for a reason worth showing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cockpit.core.text import one_line
from cockpit.probes.aws.errors import classify_aws

WHAT = "STS GetCallerIdentity"


@dataclass(frozen=True)
class CallerIdentity:
    """The account the credentials act in, and the principal's ARN."""

    account: str
    arn: str


def caller_identity(sts: Any) -> CallerIdentity:
    """The caller's identity (blocking: run it in an executor thread). Raises AwsProblem."""
    try:
        answer = sts.get_caller_identity()
    except Exception as exc:  # botocore's, classified into one line an operator can act on
        raise classify_aws(exc, WHAT) from exc
    account, arn = str(answer.get("Account") or ""), str(answer.get("Arn") or "")
    if not account:
        raise classify_aws(ValueError("the answer names no account"), WHAT)
    return CallerIdentity(one_line(account, 40), one_line(arn, 300))
