"""The engine: the one background mechanism behind the screen (no Textual here).

It owns every source of a run (Redis, PostgreSQL, /health, pages, log followers, alarms,
ECS services, checks, the journal writer and the verdict) on one asyncio loop, and talks
to the UI through one contract: `events.EngineEvent` out (coalesced into small batches,
at most ~10 a second), `commands.Command` in. `local.LocalEngine` runs it in the caller's
loop (tests, headless verbs); `process.EngineProcess` runs it in a process of its own,
which is what the TUI uses.
"""
