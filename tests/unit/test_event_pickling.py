"""Events cross from the engine process to the UI as pickles: what arrives equals what was sent."""

from __future__ import annotations

import pickle
import pickletools

from cockpit.engine.events import TailEvents
from cockpit.probes.aws.logs import LogEvent


def round_trip(value):
    return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def test_log_lines_arrive_as_log_events_equal_to_those_sent():
    sent = TailEvents("api-errors", 3, tuple(LogEvent(1_700_000_000_000 + i, f"ecs/avnz-api/{i % 3}", f"line {i} ✓", f"id-{i}") for i in range(50)), 7)
    got = round_trip(sent)
    assert got == sent
    assert all(type(event) is LogEvent for event in got.events)
    assert (got.events[4].timestamp, got.events[4].stream, got.events[4].message, got.events[4].event_id) == (
        1_700_000_000_004, "ecs/avnz-api/1", "line 4 ✓", "id-4")
    assert (got.query_id, got.generation, got.trimmed) == ("api-errors", 3, 7)


def test_an_empty_batch_round_trips():
    assert round_trip(TailEvents("q", 0, ())) == TailEvents("q", 0, ())


def test_plain_tuples_go_over_the_wire_not_named_tuples():
    # The point of TailEvents.__reduce__: one object built by a call when loading (the batch), not one per event.
    events = tuple(LogEvent(i, "s", "m", str(i)) for i in range(100))
    ops = [op.name for op, _, _ in pickletools.genops(pickle.dumps(TailEvents("q", 0, events), protocol=pickle.HIGHEST_PROTOCOL))]
    assert ops.count("REDUCE") + ops.count("NEWOBJ") + ops.count("NEWOBJ_EX") == 1
