"""The services and flags panes and the rollback on the cockpit screen.

A service whose PRIMARY deployment is COMPLETED on a task definition the journal has not
recorded for it gets a `service` event: that record is how the picker knows what ran
before a deployment, even after the old deployment is gone.
"""

from __future__ import annotations

from typing import Any

from cockpit.journal import Event
from cockpit.journal.progress import SERVICE, SERVICE_PREFIX
from cockpit.monitor.aws import aws_target
from cockpit.monitor.services_watch import ServicesRead, ServicesWatch
from cockpit.probes.aws.clients import LazyClient
from cockpit.rollback.plan import same
from cockpit.ui.messages import ServicesReport
from cockpit.ui.screens.rollback import RollbackScreen
from cockpit.ui.widgets.services_pane import FlagsPane, ServicesPane


class EcsPanes:
    """Mixed into CockpitScreen (uses its journal writes, clocks and layout helpers)."""

    services_watch: ServicesWatch | None = None
    service_history: dict[str, list[str]]  # from committed journal events
    service_written: dict[str, str]  # the last task definition journaled (or being journaled) per service

    def start_ecs(self: Any) -> None:
        """Poll the environment's ECS services (when live and configured)."""
        app, env = self.app, self.app.env
        if not (app.live and env.ecs_cluster and env.ecs_services):
            return
        cw = app.runbook.cloudwatch
        client = LazyClient("ecs", aws_target(app.runbook, env))
        flags = tuple(f.name for f in app.runbook.feature_flags)
        self.services_watch = ServicesWatch(env.ecs_cluster, tuple(env.ecs_services), flags, client, app.runbook.ecs,
                                            lambda report: self.post_message(ServicesReport(report)), cw.max_backoff_seconds)
        self.services_watch.start()

    def stop_ecs(self: Any) -> None:
        """Stop polling."""
        if self.services_watch is not None:
            self.services_watch.stop()

    def note_service_events(self: Any, events: list[Event]) -> None:
        """Remember what the journal saw each service run."""
        for event in events:
            if event.kind == SERVICE and event.step_id.startswith(SERVICE_PREFIX):
                self.service_history.setdefault(event.step_id[len(SERVICE_PREFIX):], []).append(str(event.payload.get("task_definition", "")))

    def render_ecs(self: Any, now: float) -> None:
        """The panes on screen, as of now."""
        for pane_id, cls in (("services-pane", ServicesPane), ("flags-pane", FlagsPane)):
            if self._on_screen(pane_id):
                self.query_one(cls).show(now, self.app.clock())

    def on_services_report(self: Any, message: ServicesReport) -> None:
        """Services read (or not): show, and journal a newly completed task definition."""
        now = self.app.monotonic()
        for cls in (ServicesPane, FlagsPane):
            self.query_one(cls).apply(message.report, now)
        self.render_ecs(now)
        self.show_verdict()
        if isinstance(message.report, ServicesRead) and not self.app.read_only:
            for state in message.report.services:
                primary = state.primary
                if primary is None or primary.rollout != "COMPLETED":
                    continue
                seen = self.service_history.get(state.name, [])
                last = self.service_written.get(state.name) or (seen[-1] if seen else "")
                if not last or not same(last, primary.task_definition):
                    self.service_written[state.name] = primary.task_definition  # the history gets it once committed
                    self._write(SERVICE_PREFIX + state.name, SERVICE, {"task_definition": primary.task_definition})

    def action_rollback(self: Any) -> None:
        """The guarded rollback (R)."""
        env = self.app.env
        if not (env.ecs_cluster and env.ecs_services):
            self.notify(f"{env.name} has no ECS cluster or services in the runbook: nothing to roll back", timeout=5, markup=False)
            return
        from cockpit.ui.screens.rollback import ACTIVE

        if ACTIVE:
            self.notify(f"a rollback of {', '.join(sorted(ACTIVE))} is still being watched: wait for its verdict", timeout=6, markup=False)
            return
        watch = self.services_watch
        self.app.push_screen(RollbackScreen(lambda: {k: list(v) for k, v in self.service_history.items()},
                                            on_done=watch.refresh if watch else None))
