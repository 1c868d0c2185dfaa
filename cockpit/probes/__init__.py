"""Backends the cockpit watches: Redis, PostgreSQL, HTTP (no Textual here)."""
