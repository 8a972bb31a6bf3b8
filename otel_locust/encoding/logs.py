"""Hand-written protobuf encoding of OTLP ``ExportLogsServiceRequest`` (opentelemetry-proto v1), as
:mod:`otel_locust.encoding.otlp` does for spans, and for the same reason: the SDK's log objects cost far more.

Field numbers come from ``opentelemetry/proto/logs/v1/logs.proto``: LogsData/ExportLogsServiceRequest
``resource_logs`` = 1; ResourceLogs ``resource`` = 1, ``scope_logs`` = 2; ScopeLogs ``scope`` = 1,
``log_records`` = 2; LogRecord ``time_unix_nano`` = 1 (fixed64), ``severity_number`` = 2, ``severity_text`` = 3,
``body`` = 5, ``attributes`` = 6, ``flags`` = 8 (fixed32), ``trace_id`` = 9, ``span_id`` = 10,
``observed_time_unix_nano`` = 11 (fixed64), ``event_name`` = 12. AnyValue (``common.proto``): string 1, bool 2,
int 3, double 4, array 5 (ArrayValue.values = 1), kvlist 6 (KeyValueList.values = 1), bytes 7.
The tests decode the output with the official classes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from otel_locust.encoding.otlp import length_delimited, varint, varint_len

_pack_fixed64 = struct.Struct("<Q").pack
_pack_double = struct.Struct("<d").pack
#: LogRecord.attributes (6) as a field tag, for ``otlp.attr_*(..., field_tag=ATTRIBUTE)``
ATTRIBUTE = b"\x32"
SEVERITY_INFO = 9


def any_value(value: Any) -> bytes:
    """An AnyValue message for a JSON-like value (maps become kvlists, lists arrays), as SDKs encode dicts."""
    if isinstance(value, str):
        return length_delimited(0x0A, value.encode())
    if isinstance(value, bool):
        return b"\x10" + (b"\x01" if value else b"\x00")
    if isinstance(value, int):
        return b"\x18" + varint(value)
    if isinstance(value, float):
        return b"\x21" + _pack_double(value)
    if isinstance(value, dict):
        return length_delimited(0x32, b"".join(key_value(str(k), v, b"\x0a") for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return length_delimited(0x2A, b"".join(length_delimited(0x0A, any_value(v)) for v in value))
    return b""  # null: an empty AnyValue


def key_value(key: str, value: Any, field_tag: bytes = ATTRIBUTE) -> bytes:
    """A KeyValue entry for a JSON-like value (see :func:`any_value`)."""
    return key_any_value(key.encode(), any_value(value), field_tag)


def key_any_value(key: bytes, inner: bytes, field_tag: bytes = ATTRIBUTE) -> bytes:
    """A KeyValue entry for an already-encoded AnyValue ``inner`` (values encoded once and reused)."""
    body = b"\x0a" + varint(len(key)) + key + b"\x12" + varint(len(inner)) + inner
    return field_tag + varint(len(body)) + body


def key_value_array(key: str, elements: Sequence[bytes], field_tag: bytes = ATTRIBUTE) -> bytes:
    """A KeyValue whose value is an array of already-encoded elements (each ``ArrayValue.values`` entry, i.e.
    tag 0x0a + length + AnyValue), so elements can be encoded once and reused."""
    raw = key.encode()
    size = sum(map(len, elements))
    array = b"\x2a" + varint(size)  # AnyValue.array_value
    inner_len = len(array) + size
    head = b"\x0a" + varint(len(raw)) + raw + b"\x12" + varint(inner_len) + array
    return b"".join((field_tag, varint(len(head) + size), head, *elements))


def log_record(
    time_ns: int,
    trace_id: bytes,
    span_id: bytes,
    event_name: str,
    attributes: Sequence[bytes],
    body: bytes = b"",
    severity: int = SEVERITY_INFO,
) -> bytes:
    """A complete ``ScopeLogs.log_records`` entry; ``attributes`` are entries tagged :data:`ATTRIBUTE`,
    ``body`` an encoded AnyValue (empty: no body, as ADK sends)."""
    head = (
        b"\x09"
        + _pack_fixed64(time_ns)
        + b"\x10"
        + varint(severity)
        + b"\x45\x01\x00\x00\x00"
        + b"\x4a\x10"
        + trace_id
        + b"\x52\x08"
        + span_id
        + b"\x59"
        + _pack_fixed64(time_ns)
        + length_delimited(0x62, event_name.encode())
    )
    if body:
        head += length_delimited(0x2A, body)
    size = len(head) + sum(map(len, attributes))
    return b"\x12" + varint(size) + head + b"".join(attributes)


def export_request(resource_field: bytes, scope_field: bytes, records: Sequence[bytes]) -> bytes:
    """An ExportLogsServiceRequest with one ResourceLogs and one ScopeLogs holding ``records``
    (entries made by :func:`log_record`). ``resource_field``/``scope_field`` are the same fields the span
    encoder uses (ResourceLogs.resource and ScopeLogs.scope have the same numbers as their span twins)."""
    size = sum(map(len, records))
    scope_logs_len = len(scope_field) + size
    resource_logs_len = len(resource_field) + 1 + varint_len(scope_logs_len) + scope_logs_len
    return b"".join(
        (b"\x0a", varint(resource_logs_len), resource_field, b"\x12", varint(scope_logs_len), scope_field, *records)
    )


def split_records(body: bytes) -> list[bytes]:
    """The log record fields of a request made by :func:`export_request` (to split one refused as too large)."""
    from otel_locust.encoding.otlp import _fields

    records = []
    for _, _, rl_payload, rl_end in _fields(body, 0, len(body)):
        for tag, _, sl_payload, sl_end in _fields(body, rl_payload, rl_end):
            if tag == 0x12:  # ResourceLogs.scope_logs
                records += [body[start:end] for t, start, _, end in _fields(body, sl_payload, sl_end) if t == 0x12]
    return records
