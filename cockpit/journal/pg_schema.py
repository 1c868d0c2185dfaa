"""The PostgreSQL journal's schema: its own `cockpit` schema, versioned in `cockpit.meta`.

The tables live in a schema of their own so that a journal kept in the application's
database (DATABASE_URL) never meets the application's own `runs` or `events` tables.
"""

from __future__ import annotations

SCHEMA_VERSION = 2  # 2: events carry the client's event key (idempotent appends, the spool's replay)
APPLICATION = "cockpit journal"  # cockpit.meta's `application` row: marks the schema as ours

# pg_advisory_xact_lock keys (two int4): "Ckpt" (the SQLite application id) and what the lock serialises.
LOCK_APP = 0x436B7074
LOCK_SCHEMA = 1  # creating or migrating the schema (two cockpits starting at once on a fresh database)
LOCK_APPEND = 2  # appending: ids are handed out in commit order (see PgJournal.append)

# The doorbell (pg_doorbell.py): every append NOTIFYs this channel in its own transaction, so the
# notification goes out at COMMIT, never for an event that was rolled back. Payload "RUN_ID:EVENT_ID".
CHANNEL = "cockpit_journal"
NOTIFY = "SELECT pg_notify(%s, %s)"
# What the doorbell says of itself (here, not in pg_doorbell.py: the engine compares them without loading psycopg).
LISTENING = "listening"  # the doorbell works: events arrive on their notification
POLLING = "polling"  # LISTEN/NOTIFY does not work here: the follower polls, for good
RECONNECTING = "reconnecting"  # the doorbell's connection is down: the follower polls until it is back

CREATE = """
CREATE SCHEMA IF NOT EXISTS cockpit;
CREATE TABLE IF NOT EXISTS cockpit.meta (
    key text PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE IF NOT EXISTS cockpit.runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    runbook_id text NOT NULL,
    runbook_version text NOT NULL,
    environment text NOT NULL,
    started_at text NOT NULL,
    started_by text NOT NULL
);
CREATE TABLE IF NOT EXISTS cockpit.events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES cockpit.runs(id),
    at text NOT NULL,
    who text NOT NULL,
    runbook_id text NOT NULL,
    runbook_version text NOT NULL,
    environment text NOT NULL,
    step_id text NOT NULL,
    kind text NOT NULL,
    payload text NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_run ON cockpit.events (run_id, id);
CREATE INDEX IF NOT EXISTS runs_by_key ON cockpit.runs (runbook_id, environment, id);
CREATE OR REPLACE FUNCTION cockpit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only';
END
$$;
DROP TRIGGER IF EXISTS events_no_change ON cockpit.events;
CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON cockpit.events
    FOR EACH ROW EXECUTE FUNCTION cockpit.refuse_change();
DROP TRIGGER IF EXISTS events_no_truncate ON cockpit.events;
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON cockpit.events
    FOR EACH STATEMENT EXECUTE FUNCTION cockpit.refuse_change();
"""

# Version 2, on a fresh journal and on a version 1 one alike (run after CREATE, under the schema lock): each event
# may carry the key its cockpit gave it when it was made; an append of a key already there adds nothing. Events
# of version 1 keep a NULL key (a unique index lets NULLs be). ADD COLUMN rewrites no row: the append-only
# triggers (UPDATE, DELETE) do not fire.
MIGRATE = """
ALTER TABLE cockpit.events ADD COLUMN IF NOT EXISTS event_key text;
CREATE UNIQUE INDEX IF NOT EXISTS events_by_key ON cockpit.events (event_key);
"""

# (schema present, meta present, application, version); NULLs when absent. Never fails on a fresh database.
IDENTITY = """
SELECT to_regnamespace('cockpit') IS NOT NULL,
       to_regclass('cockpit.meta') IS NOT NULL
"""
META = "SELECT key, value FROM cockpit.meta WHERE key IN ('application', 'schema_version')"
WRITE_META = (
    "INSERT INTO cockpit.meta (key, value) VALUES ('application', %s), ('schema_version', %s)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
