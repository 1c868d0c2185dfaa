"""CPU to parse FilterLogEvents answers: botocore's stock parser against orjson and msgspec.

Builds real 1 MB answers with the bench's fake endpoint generator (`bench.fake_logs_endpoint`,
~2,700 API log lines per page, 3 % hostile), then parses each page `--repeat` times per
method and reports CPU ms per 10,000 events (`time.process_time`, best of `--rounds`):

- `stock`: what boto3 does for `client.filter_log_events` (botocore's JSON parser: `json.loads`
  plus the model walk over every member of every event);
- `stock-json-only`: `json.loads` alone (the floor of the stock path without the walk);
- `orjson-hook`: cockpit's path (`cockpit.probes.aws.fastparse`): botocore's parser with the
  `before-parse` handler, so orjson decodes and botocore adds only ResponseMetadata;
- `orjson`: `orjson.loads` alone;
- `msgspec-dict`, `msgspec-struct`: `msgspec.json.decode` untyped, and into Structs of the
  fields cockpit reads (only when msgspec is installed: it is not a dependency).

Also checks that every method returns the same events as the stock parser.
Run: `.venv/bin/python -m bench.parse_filter_log_events [--pages 4] [--repeat 5]`.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import botocore.session
from botocore.parsers import create_parser

from bench.fake_logs_endpoint import EventLog
from cockpit.probes.aws import fastparse

try:  # not a dependency: compared when installed
    import msgspec

    class Event(msgspec.Struct):
        logStreamName: str = ""
        timestamp: int = 0
        message: str = ""
        ingestionTime: int = 0
        eventId: str = ""

    class Page(msgspec.Struct):
        events: list[Event] = []
        nextToken: str | None = None
except ImportError:
    msgspec = None


def pages(count: int) -> list[bytes]:
    """`count` full FilterLogEvents bodies (~1 MB, all events, no filter) from the fake's generator."""
    log = EventLog(rate=10_000, streams=8, keep_seconds=3600, hostile=0.03, delay=(0.2, 3.0))
    past = int(time.time() * 1000) - 600_000  # ingested long ago: every event is visible
    for i in range(0, 2_800 * count + 100, 1000):  # generated without the thread, 1,000 events per 100 ms
        log.batches.append(log._batch(1000, past + i // 10, past + i // 10 + 100))
    log.started.set()
    bodies, token = [], None
    for _ in range(count):
        body, token = log.page(0, "", token, 10_000)
        bodies.append(body.encode())
        if not token:
            break
    return bodies


def stock_parser() -> tuple[Any, Any]:
    model = botocore.session.get_session().get_service_model("logs")
    return create_parser(model.resolved_protocol if hasattr(model, "resolved_protocol") else model.protocol), \
        model.operation_model("FilterLogEvents").output_shape


def response(body: bytes) -> dict:
    return {"body": body, "headers": {"x-amzn-requestid": "r", "content-type": "application/x-amz-json-1.1"},
            "status_code": 200, "context": {}}


def methods() -> dict:
    parser, shape = stock_parser()

    def stock(body: bytes) -> list:
        return parser.parse(response(body), shape)["events"]

    def hooked(body: bytes) -> list:
        resp, custom = response(body), {}
        fastparse._before_parse(response_dict=resp, customized_response_dict=custom)
        parsed = parser.parse(resp, shape)
        parsed.update(custom)
        return parsed["events"]

    import orjson
    found = {"stock": stock, "stock-json-only": lambda b: json.loads(b)["events"], "orjson-hook": hooked,
             "orjson": lambda b: orjson.loads(b)["events"]}
    if msgspec is None:
        return found
    untyped, typed = msgspec.json.Decoder(), msgspec.json.Decoder(Page)
    found["msgspec-dict"] = lambda b: untyped.decode(b)["events"]
    found["msgspec-struct"] = lambda b: [msgspec.structs.asdict(e) for e in typed.decode(b).events]
    found["msgspec-struct-no-dict"] = lambda b: typed.decode(b).events
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.parse_filter_log_events", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="one page, once: does it still run and agree with stock? (no timing judged)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.pages, args.repeat, args.rounds = 1, 1, 1
    bodies = pages(args.pages)
    events = sum(len(json.loads(b)["events"]) for b in bodies)
    size = sum(len(b) for b in bodies)
    print(f"{len(bodies)} pages, {events:,} events, {size / 1e6:.2f} MB ({size / events:.0f} B/event)", flush=True)
    found = methods()
    differs = False
    reference = [found["stock"](b) for b in bodies]
    for name, method in found.items():
        if name == "msgspec-struct-no-dict":
            same = all(len(method(b)) == len(r) for b, r in zip(bodies, reference))
        else:
            same = all(method(b) == r for b, r in zip(bodies, reference))
        best = float("inf")
        for _ in range(args.rounds):
            start = time.process_time()
            for _ in range(args.repeat):
                for body in bodies:
                    method(body)
            best = min(best, time.process_time() - start)
        per_10k = best * 1000 / (events * args.repeat) * 10_000
        print(f"  {name:24s} {per_10k:7.1f} ms CPU per 10,000 events  {'same events as stock' if same else 'DIFFERENT from stock'}")
        differs = differs or not same
    return 1 if differs else 0  # a parser that disagrees with botocore's is a broken bench (or a broken parser)


if __name__ == "__main__":
    raise SystemExit(main())
