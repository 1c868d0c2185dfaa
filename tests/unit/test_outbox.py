"""engine/outbox.py: how the engine's events are coalesced into one small batch per flush."""

from __future__ import annotations

from cockpit.checks.result import CheckResult
from cockpit.engine.events import (
    AlarmsFailed,
    AlarmsRead,
    CheckDone,
    EngineProblem,
    HealthRead,
    JournalRead,
    JournalWritten,
    PatternOutcome,
    ServicesFailed,
    ServicesRead,
    TailEvents,
    TailStatus,
    VerdictChanged,
)
from cockpit.engine.outbox import Outbox
from cockpit.monitor.verdict import Verdict
from cockpit.probes.aws.alarms import AlarmState
from cockpit.probes.aws.logs import LogEvent


def events(*numbers: int) -> tuple[LogEvent, ...]:
    return tuple(LogEvent(n, "ecs/avnz-api/aaaa1111", f"line {n}", str(n)) for n in numbers)


def filled(cap: int, *items) -> Outbox:
    outbox = Outbox(cap)
    for item in items:
        outbox.put(item)
    return outbox


def test_a_newer_snapshot_replaces_the_pending_one_of_its_kind():
    first, newest = HealthRead((), (), at=1.0), HealthRead((), (), at=2.0)
    alarms = [AlarmsRead((AlarmState("a", "OK"),)), AlarmsFailed("throttled", True, 2.0), AlarmsRead((AlarmState("a", "ALARM"),))]
    services = [ServicesRead((), {}), ServicesFailed("AccessDenied", False, 30.0)]
    verdicts = [VerdictChanged(Verdict()), VerdictChanged(Verdict(watching=False))]
    outbox = filled(10, first, *alarms, *services, *verdicts, newest)
    batch = outbox.take()
    assert sorted(batch, key=repr) == sorted([newest, alarms[-1], services[-1], verdicts[-1]], key=repr)
    assert len(batch) == 4


def test_each_tab_has_its_own_status_slot():
    a1, b1, a2 = TailStatus("api", "loading"), TailStatus("redis", "following"), TailStatus("api", "throttled", "Rate exceeded", 4.0)
    assert filled(10, a1, b1, a2).take() == [a2, b1]


def test_a_tabs_lines_of_one_generation_merge_in_order():
    batch = filled(10, TailEvents("api", 0, events(1, 2)), TailEvents("api", 0, events(3), trimmed=1), TailEvents("api", 0, events(4))).take()
    assert batch == [TailEvents("api", 0, events(1, 2, 3, 4), trimmed=1)]


def test_merged_lines_are_capped_and_the_excess_counted_as_trimmed():
    batch = filled(3, TailEvents("api", 0, events(1, 2)), TailEvents("api", 0, events(3, 4, 5), trimmed=2)).take()
    assert batch == [TailEvents("api", 0, events(3, 4, 5), trimmed=2 + 2)]  # the newest 3; 2 dropped here, 2 before


def test_a_single_batch_over_the_cap_is_capped_too():
    assert filled(2, TailEvents("api", 0, events(1, 2, 3))).take() == [TailEvents("api", 0, events(2, 3), trimmed=1)]


def test_lines_of_other_tabs_or_a_new_generation_are_not_merged():
    pattern = PatternOutcome("api", "ERROR", 1)
    batch = filled(10, TailEvents("api", 0, events(1)), TailEvents("redis", 0, events(2)), pattern,
                   TailEvents("api", 1, events(3)), TailEvents("api", 1, events(4))).take()
    assert batch == [TailEvents("api", 0, events(1)), TailEvents("redis", 0, events(2)), pattern, TailEvents("api", 1, events(3, 4))]


def test_journal_check_and_engine_events_are_all_kept_in_order():
    kept = [JournalWritten("A1", "tick", None), CheckDone("A2", CheckResult("pass", "PONG")), JournalWritten("A1", "untick", None, "disk full"),
            JournalRead(()), EngineProblem("engine restarted"), PatternOutcome("api", "{ $.x = ", 0, "Invalid filter pattern")]
    health = [HealthRead((), (), at=1.0), HealthRead((), (), at=2.0)]
    batch = filled(10, kept[0], health[0], *kept[1:4], health[1], *kept[4:]).take()
    assert [e for e in batch if not isinstance(e, HealthRead)] == kept
    assert [e for e in batch if isinstance(e, HealthRead)] == [health[1]]


def test_take_empties_the_outbox_and_starts_merging_afresh():
    outbox = filled(10, HealthRead((), (), at=1.0), TailEvents("api", 0, events(1)), TailStatus("api", "following"))
    assert len(outbox) == 3
    first = outbox.take()
    assert len(outbox) == 0 and outbox.take() == []
    outbox.put(TailEvents("api", 0, events(2)))
    outbox.put(HealthRead((), (), at=2.0))
    assert outbox.take() == [TailEvents("api", 0, events(2)), HealthRead((), (), at=2.0)]
    assert first[1] == TailEvents("api", 0, events(1))  # a batch already taken is never changed
