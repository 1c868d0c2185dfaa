"""CloudWatch on the cockpit screen: a follower thread per log query, one alarm watcher.

All log tabs share one boto3 client and one request budget (CloudWatch Logs throttles
per account and region); the alarms have their own client. Threads report through
typed messages posted to the screen; nothing here touches a widget.
"""

from __future__ import annotations

from textual.widget import Widget

from cockpit.core.ratelimit import RequestBudget
from cockpit.monitor.alarm_watch import AlarmWatch
from cockpit.monitor.aws import aws_target
from cockpit.monitor.log_tail import LogTail
from cockpit.probes.aws.clients import LazyClient
from cockpit.runbook import Environment, Runbook
from cockpit.ui.messages import AlarmReport, LogReport


class CloudWatchFeed:
    """Starts and stops the followers for `node` (the cockpit screen); nothing when not `live`."""

    def __init__(self, node: Widget, runbook: Runbook, env: Environment, *, live: bool) -> None:
        self.node = node
        self.tails: dict[str, LogTail] = {}
        self.alarms: AlarmWatch | None = None
        if not live:
            return
        cw = runbook.cloudwatch
        target = aws_target(runbook, env)
        if runbook.log_queries:
            logs, budget = LazyClient("logs", target), RequestBudget(cw.requests_per_second)
            for query in runbook.log_queries:
                self.tails[query.id] = LogTail(query, logs, budget, cw, self._log_report)
        if runbook.alarms:
            names = tuple(a.name for a in runbook.alarms)
            self.alarms = AlarmWatch(names, LazyClient("cloudwatch", target), cw, self._alarm_report)

    def _log_report(self, report: object) -> None:
        self.node.post_message(LogReport(report))

    def _alarm_report(self, report: object) -> None:
        self.node.post_message(AlarmReport(report))

    def start(self) -> None:
        """Start every follower."""
        for tail in self.tails.values():
            tail.start()
        if self.alarms is not None:
            self.alarms.start()

    def request_pattern(self, query_id: str, pattern: str) -> None:
        """Ask tab `query_id`'s follower to switch pattern."""
        tail = self.tails.get(query_id)
        if tail is not None:
            tail.request_pattern(pattern)

    def stop(self) -> None:
        """Ask every follower to stop (daemon threads: nothing waits for them)."""
        for tail in self.tails.values():
            tail.stop()
        if self.alarms is not None:
            self.alarms.stop()
