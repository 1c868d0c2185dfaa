"""The journal: committed events, resume, version guard, read-only, bad files.

Tests taking `journal_location` run once per store: SQLite, then PostgreSQL (a fresh database).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from cockpit.journal import Journal, JournalError, fold
from cockpit.journal.opening import open_store
from cockpit.journal.session import RunSession
from tests.conftest import WHO, StepClock

KEY = ("rb", "1.0", "staging")


def session(path, version="1.0", env="staging", **kw) -> RunSession:
    return RunSession(open_store(path, clock=StepClock(), read_only=kw.pop("read_only", False)), "rb", version, env, WHO, **kw)


def test_first_event_creates_the_run_and_reopening_resumes_it(journal_location):
    first = session(journal_location)
    assert first.run is None
    tick = first.record("s1", "tick")
    first.record("s1", "note", {"text": "looked fine"})
    first.journal.close()
    again = session(journal_location)
    assert again.run is not None and again.run.id == tick.run_id
    states = fold(again.events_after(0))
    assert states["s1"].done and states["s1"].by == WHO
    assert [n.text for n in states["s1"].notes] == ["looked fine"]


def test_event_carries_who_when_runbook_environment(journal_location):
    event = session(journal_location).record("s1", "tick")
    assert (event.who, event.runbook_id, event.runbook_version, event.environment) == (WHO, "rb", "1.0", "staging")
    assert event.at == "2026-11-27T21:00:02.000Z"  # run creation took the first clock reading


def test_environments_have_separate_runs(journal_location):
    session(journal_location).record("s1", "tick")
    prod = session(journal_location, env="production")
    assert prod.run is None and prod.events_after(0) == []


def test_new_run_starts_fresh(journal_location):
    old = session(journal_location)
    old.record("s1", "tick")
    fresh = session(journal_location, new_run=True)
    assert fresh.run.id != old.run.id
    assert fresh.events_after(0) == []
    assert session(journal_location).run.id == fresh.run.id


def test_untick_and_order(journal_location):
    s = session(journal_location)
    for kind in ("tick", "untick", "tick", "untick"):
        s.record("s1", kind)
    state = fold(s.events_after(0))["s1"]
    assert not state.done and state.by == WHO


def test_other_runbook_version_is_refused_with_a_way_out(journal_location):
    session(journal_location).record("s1", "tick")
    with pytest.raises(JournalError, match="version 1.0, this runbook is version 2.0: use --new-run"):
        session(journal_location, version="2.0")
    assert session(journal_location, version="2.0", new_run=True).run.runbook_version == "2.0"


def test_read_only_never_writes(state_file):
    session(state_file).record("s1", "tick")
    Journal(state_file).close()
    digest = hashlib.sha256(state_file.read_bytes()).hexdigest()
    ro = session(state_file, read_only=True)
    assert fold(ro.events_after(0))["s1"].done
    with pytest.raises(JournalError, match="read-only"):
        ro.record("s1", "untick")
    with pytest.raises(JournalError, match="--new-run"):
        session(state_file, read_only=True, new_run=True)
    ro.journal.close()
    assert hashlib.sha256(state_file.read_bytes()).hexdigest() == digest


def test_read_only_sees_but_never_records(journal_location):
    writer = session(journal_location)
    writer.record("s1", "tick")
    ro = session(journal_location, read_only=True)
    assert fold(ro.events_after(0))["s1"].done
    with pytest.raises(JournalError, match="read-only"):
        ro.record("s1", "untick")
    with pytest.raises(JournalError, match="--new-run"):
        session(journal_location, read_only=True, new_run=True)
    assert [e.kind for e in writer.events_after(0)] == ["tick"]
    assert len(writer.journal.runs()) == 1


def test_runs_and_event_counts(journal_location):
    s = session(journal_location)
    s.record("s1", "tick")
    s.record("s2", "tick")
    other = session(journal_location, env="production")
    other.record("s1", "note", {"text": "ünïcode ✓ and a \x00 byte"})
    journal = s.journal
    assert [(r.environment, r.started_by) for r in journal.runs()] == [("staging", WHO), ("production", WHO)]
    counts = journal.event_counts()
    assert counts[s.run.id] == (2, "2026-11-27T21:00:03.000Z") and counts[other.run.id][0] == 1
    assert other.events_after(0)[0].payload == {"text": "ünïcode ✓ and a \x00 byte"}
    assert [e.step_id for e in journal.events(s.run.id, after_id=s.events_after(0)[0].id)] == ["s2"]


def test_read_only_without_a_file_creates_nothing_and_sees_it_appear(tmp_path):
    path = tmp_path / "later.sqlite3"
    watcher = session(path, read_only=True)
    assert watcher.events_after(0) == [] and not path.exists()
    session(path).record("s1", "tick")
    assert [e.step_id for e in watcher.events_after(0)] == ["s1"]


def test_events_are_append_only(state_file):
    s = session(state_file)
    s.record("s1", "tick")
    conn = sqlite3.connect(state_file)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM events")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE events SET kind = 'untick'")


def test_wal_and_full_sync(state_file):
    j = Journal(state_file)
    assert j._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert j._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_bad_state_files(tmp_path):
    junk = tmp_path / "junk"
    junk.write_text("not sqlite " * 100)
    with pytest.raises(JournalError, match="is not a cockpit journal"):
        Journal(junk)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(JournalError, match="another program's SQLite file"):
        Journal(other)
    with pytest.raises(JournalError, match="is not a file"):
        Journal(tmp_path)


def test_newer_schema_is_refused(state_file):
    Journal(state_file).close()
    conn = sqlite3.connect(state_file)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(JournalError, match="newer cockpit"):
        Journal(state_file)


def test_locked_state_file_is_a_clear_error_and_loses_nothing(state_file):
    s = session(state_file)
    s.record("s1", "tick")
    blocker = sqlite3.connect(state_file, isolation_level=None, timeout=0.1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(JournalError, match="locked by another process"):
            s.record("s2", "tick")
    finally:
        blocker.execute("ROLLBACK")
    assert [e.step_id for e in s.events_after(0)] == ["s1"]
    s.record("s2", "tick")
    assert [e.step_id for e in s.events_after(0)] == ["s1", "s2"]


def test_unwritable_directory(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    with pytest.raises(JournalError, match="cannot create the state directory"):
        Journal(blocked / "sub" / "journal.sqlite3")


def test_empty_file_is_not_a_journal_for_readers(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(JournalError, match="is empty or not a database"):
        Journal(empty, read_only=True)


def test_read_only_advice_fits_read_only(journal_location):
    session(journal_location).record("s1", "tick")
    with pytest.raises(JournalError, match="open it with version 1.0 of the runbook"):
        session(journal_location, version="2.0", read_only=True)


def test_a_journal_that_cannot_be_written_is_refused_at_open(state_file, monkeypatch):
    session(state_file).record("s1", "tick")
    real_connect = sqlite3.connect

    def read_only_connect(target, *args, **kwargs):  # what SQLite does with a write-protected file
        return real_connect(Path(target).absolute().as_uri() + "?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only_connect)
    with pytest.raises(JournalError, match="cannot be written .*--read-only"):
        Journal(state_file)


def test_read_only_reader_without_write_access_to_the_directory(state_file, tmp_path):
    writer = session(state_file)
    writer.record("s1", "tick")
    writer.journal.close()  # the last writer closes: no -wal/-shm files remain
    assert not Path(str(state_file) + "-shm").exists()
    view = tmp_path / "ro-view"
    view.mkdir()
    if os.geteuid() == 0:  # root ignores permissions: look through a read-only bind mount
        mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(state_file.parent), str(view)], capture_output=True)
        if mounted.returncode != 0:
            pytest.skip(f"cannot make a read-only bind mount here: {mounted.stderr.decode().strip()}")
        cleanup = ["umount", str(view)]
    else:
        view.rmdir()
        view = state_file.parent
        os.chmod(view, 0o555)
        cleanup = ["chmod", "755", str(view)]
    try:
        reader = session(view / state_file.name, read_only=True)
        assert [e.step_id for e in reader.events_after(0)] == ["s1"]
        reader.journal.close()
    finally:
        done = subprocess.run(cleanup, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def test_a_journal_that_may_not_create_its_directory_says_it_is_gone(tmp_path):
    import pytest

    from cockpit.journal import Journal, JournalError

    with pytest.raises(JournalError, match="is gone"):
        Journal(tmp_path / "removed" / "journal.sqlite3", create_dirs=False)
    assert not (tmp_path / "removed").exists()  # the engine of a demo whose directory was removed brings nothing back
