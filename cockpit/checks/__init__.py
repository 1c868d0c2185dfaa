"""Automated checks of runbook steps: run a step's check once, with evidence."""
