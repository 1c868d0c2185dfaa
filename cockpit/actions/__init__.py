"""Actions the release performs: deploy workflows, the plan's commands, notifications."""
