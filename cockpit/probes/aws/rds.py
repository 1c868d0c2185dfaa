"""RDS: one DB instance as DescribeDBInstances reports it. Blocking (boto3): run it in an executor thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cockpit.core.logline import clean_message
from cockpit.probes.aws.errors import NOT_FOUND, AwsProblem, classify_aws

AVAILABLE = "available"


@dataclass(frozen=True)
class DbInstance:
    """A DB instance: its id, status (available, stopped, storage-full, ...), class and engine, as RDS says them."""

    identifier: str
    status: str
    instance_class: str = ""
    engine: str = ""
    engine_version: str = ""

    @property
    def available(self) -> bool:
        """True when RDS says the instance is `available` (every other status is not)."""
        return self.status == AVAILABLE

    def describe(self) -> str:
        """`avnz-db available (db.t3.medium, postgres 15.4)`."""
        kind = ", ".join(p for p in (self.instance_class, f"{self.engine} {self.engine_version}".strip()) if p)
        return f"{self.identifier} {self.status or 'status unknown'}" + (f" ({kind})" if kind else "")


def _text(value: Any, limit: int = 80) -> str:
    return clean_message(str(value or ""), limit)


def describe_db_instance(client: Any, identifier: str) -> DbInstance:
    """The instance `identifier`; raises AwsProblem (kind NOT_FOUND when RDS has no such instance)."""
    try:
        found = client.describe_db_instances(DBInstanceIdentifier=identifier).get("DBInstances") or []
    except Exception as exc:
        problem = classify_aws(exc, f"RDS instance {identifier}")
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code in ("DBInstanceNotFound", "DBInstanceNotFoundFault"):
            raise AwsProblem(NOT_FOUND, problem.reason) from exc
        raise problem from exc
    if not found:
        raise AwsProblem(NOT_FOUND, f"RDS instance {identifier}: not found")
    raw = found[0]
    return DbInstance(
        identifier=_text(raw.get("DBInstanceIdentifier") or identifier),
        status=_text(raw.get("DBInstanceStatus")),
        instance_class=_text(raw.get("DBInstanceClass")),
        engine=_text(raw.get("Engine")),
        engine_version=_text(raw.get("EngineVersion")),
    )
