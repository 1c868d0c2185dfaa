"""`FilterLogEvents` answers parsed by orjson instead of botocore's per-field model walk.

botocore parses a JSON 1.1 answer in two steps: `json.loads` of the whole body, then a
walk of every member of every event against the service model (`_handle_structure`,
`_parse_shape`), which for `FilterLogEvents` changes nothing: every member is a string
or an integer already. On 1 MB pages that walk cost more than the decoding itself
(bench/README.md, "fast parsing"). `install(client)` registers a `before-parse` handler
on the client's own event system that, for a successful (2xx) `FilterLogEvents` answer
only, decodes the body with orjson, hands botocore the members of the output shape
(`events`, `searchedLogStreams`, `nextToken`) as its customized response, and an empty
body to walk. Everything else stays botocore's: credentials, signing, endpoints,
retries, the `ResponseMetadata` (status, headers, request id) and every error answer
(>= 300 is never touched, so throttling, AccessDenied, ... classify exactly as before).
A body that orjson cannot decode into an object is left alone too: botocore then does
with it what it always did (for a malformed 200 that is an answer without events).

The result is the dict botocore would have returned (a null member is dropped, as
botocore does: moto answers `"nextToken": null` at the end), except that inside an
event, members not in the model or null would be kept rather than dropped (AWS and moto
send none).
"""

from __future__ import annotations

from typing import Any

EVENT = "before-parse.cloudwatch-logs.FilterLogEvents"
UNIQUE_ID = "cockpit-fast-filter-log-events"
MEMBERS = ("events", "searchedLogStreams", "nextToken")  # the output shape of FilterLogEvents

try:  # orjson is a dependency; without it (a broken install) botocore parses as before
    import orjson

    _loads: Any = orjson.loads
    _DecodeError: Any = orjson.JSONDecodeError
except ImportError:  # pragma: no cover - exercised only without orjson
    _loads = None
    _DecodeError = ValueError


def parse_filter_log_events(body: bytes) -> dict[str, Any] | None:
    """The output members of a FilterLogEvents body, or None when it is not a JSON object."""
    if _loads is None or not body:
        return None
    try:
        decoded = _loads(body)
    except _DecodeError:
        return None
    if not isinstance(decoded, dict):
        return None
    return {name: value for name in MEMBERS if (value := decoded.get(name)) is not None}  # botocore drops nulls


def _before_parse(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    if not 200 <= int(response_dict.get("status_code") or 0) < 300:
        return  # errors: botocore's own parsing and classification, untouched
    body = response_dict.get("body")
    if not isinstance(body, bytes | bytearray):
        return
    parsed = parse_filter_log_events(bytes(body))
    if parsed is None:
        return  # not a JSON object: botocore decides, as before
    customized_response_dict.update(parsed)
    response_dict["body"] = b""  # botocore walks an empty answer and adds ResponseMetadata


def install(client: Any) -> bool:
    """Parse this client's FilterLogEvents answers with orjson (idempotent); False when it cannot."""
    events = getattr(getattr(client, "meta", None), "events", None)
    if _loads is None or events is None:
        return False
    events.register(EVENT, _before_parse, unique_id=UNIQUE_ID)
    return True


__all__ = ["EVENT", "install", "parse_filter_log_events"]
