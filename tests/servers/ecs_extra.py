"""Small ECS changes on top of seed_ecs for tests that need one particular state."""

from __future__ import annotations

from cockpit.stack.ecs_seed import SECRETS_ARN, dashboard_container

NAMES = ("REDIS_URL", "DATABASE_URL", "INTEGRATION_ENCRYPTION_KEY")


def dashboard_with_release_names(client, cluster: str = "avnz-payment-cluster") -> str:
    """Register a dashboard revision that also defines the release's three names (as secrets)
    and point the service at it; returns its 'family:revision'."""
    container = dashboard_container(99)
    container["secrets"] = container["secrets"] + [{"name": n, "valueFrom": f"{SECRETS_ARN}:avnz/{n.lower()}"} for n in NAMES]
    td = client.register_task_definition(family="avnz-admin-dashboard", containerDefinitions=[container], cpu="256", memory="512")["taskDefinition"]
    client.update_service(cluster=cluster, service="avnz-admin-dashboard", taskDefinition=td["taskDefinitionArn"])
    return f"{td['family']}:{td['revision']}"
