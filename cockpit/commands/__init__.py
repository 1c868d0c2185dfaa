"""Headless verbs of the command line (no Textual)."""
