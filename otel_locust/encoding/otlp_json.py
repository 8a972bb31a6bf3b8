"""OTLP/JSON: re-encode an OTLP protobuf ``ExportTraceServiceRequest`` body as the OTLP JSON mapping.

Why a re-encoder of the protobuf bytes, not a second encoder: the instrumentation builds each span from cached
protobuf chunks (dialects, framework profiles, splitting and batching all work on those bytes); a JSON twin of
all that would double the code every new attribute touches. The exporter hands transports protobuf bodies, so
``http/json`` re-encodes each body once, on the way out, and the default ``http/protobuf`` path pays nothing.
Why by hand, not ``google.protobuf.json_format``: that mapping writes ids as base64 (OTLP wants hex) and would
load the protobuf runtime into the Locust process (measured to slow generation by about 20%); this walker is
a table of field numbers and is measured faster than ``FromString`` + ``MessageToDict`` (tests/test_otlp_json.py
prints both, and the protobuf encoding's own speed: JSON costs several times more CPU than protobuf).

The mapping (opentelemetry-proto ``docs/specification.md``, "JSON Protobuf Encoding"): field names in
lowerCamelCase, ``traceId``/``spanId``/``parentSpanId`` as hex strings, other bytes as base64, 64-bit integers
as decimal strings, enums as integers, ``AnyValue`` as ``{"stringValue": ...}``. Field numbers come from
``opentelemetry/proto/{collector/trace,trace,common,resource}/v1/*.proto``. Unknown fields are skipped.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from typing import Any

from otel_locust.encoding.otlp import read_varint

# field kinds
MSG, STR, HEX, B64, U64, I64, U32, ENUM, F32, DBL, BOOL = range(11)

_unpack_fixed64 = struct.Struct("<Q").unpack_from
_unpack_fixed32 = struct.Struct("<I").unpack_from
_unpack_double = struct.Struct("<d").unpack_from

Field = tuple[str, int, bool, str]  # json name, kind, repeated, message type (MSG only)
SCHEMA: dict[str, dict[int, Field]] = {
    "ExportTraceServiceRequest": {1: ("resourceSpans", MSG, True, "ResourceSpans")},
    "ResourceSpans": {
        1: ("resource", MSG, False, "Resource"),
        2: ("scopeSpans", MSG, True, "ScopeSpans"),
        3: ("schemaUrl", STR, False, ""),
    },
    "Resource": {
        1: ("attributes", MSG, True, "KeyValue"),
        2: ("droppedAttributesCount", U32, False, ""),
        3: ("entityRefs", MSG, True, "EntityRef"),
    },
    "EntityRef": {
        1: ("schemaUrl", STR, False, ""),
        2: ("type", STR, False, ""),
        3: ("idKeys", STR, True, ""),
        4: ("descriptionKeys", STR, True, ""),
    },
    "ScopeSpans": {
        1: ("scope", MSG, False, "InstrumentationScope"),
        2: ("spans", MSG, True, "Span"),
        3: ("schemaUrl", STR, False, ""),
    },
    "InstrumentationScope": {
        1: ("name", STR, False, ""),
        2: ("version", STR, False, ""),
        3: ("attributes", MSG, True, "KeyValue"),
        4: ("droppedAttributesCount", U32, False, ""),
    },
    "Span": {
        1: ("traceId", HEX, False, ""),
        2: ("spanId", HEX, False, ""),
        3: ("traceState", STR, False, ""),
        4: ("parentSpanId", HEX, False, ""),
        16: ("flags", F32, False, ""),
        5: ("name", STR, False, ""),
        6: ("kind", ENUM, False, ""),
        7: ("startTimeUnixNano", U64, False, ""),
        8: ("endTimeUnixNano", U64, False, ""),
        9: ("attributes", MSG, True, "KeyValue"),
        10: ("droppedAttributesCount", U32, False, ""),
        11: ("events", MSG, True, "Event"),
        12: ("droppedEventsCount", U32, False, ""),
        13: ("links", MSG, True, "Link"),
        14: ("droppedLinksCount", U32, False, ""),
        15: ("status", MSG, False, "Status"),
    },
    "Event": {
        1: ("timeUnixNano", U64, False, ""),
        2: ("name", STR, False, ""),
        3: ("attributes", MSG, True, "KeyValue"),
        4: ("droppedAttributesCount", U32, False, ""),
    },
    "Link": {
        1: ("traceId", HEX, False, ""),
        2: ("spanId", HEX, False, ""),
        3: ("traceState", STR, False, ""),
        4: ("attributes", MSG, True, "KeyValue"),
        5: ("droppedAttributesCount", U32, False, ""),
        6: ("flags", F32, False, ""),
    },
    "Status": {2: ("message", STR, False, ""), 3: ("code", ENUM, False, "")},
    "KeyValue": {1: ("key", STR, False, ""), 2: ("value", MSG, False, "AnyValue")},
    "AnyValue": {
        1: ("stringValue", STR, False, ""),
        2: ("boolValue", BOOL, False, ""),
        3: ("intValue", I64, False, ""),
        4: ("doubleValue", DBL, False, ""),
        5: ("arrayValue", MSG, False, "ArrayValue"),
        6: ("kvlistValue", MSG, False, "KeyValueList"),
        7: ("bytesValue", B64, False, ""),
    },
    "ArrayValue": {1: ("values", MSG, True, "AnyValue")},
    "KeyValueList": {1: ("values", MSG, True, "KeyValue")},
}
ID_FIELDS = ("traceId", "spanId", "parentSpanId")


class JsonMappingError(ValueError):
    """The body is not a well-formed protobuf message of the expected type."""


def _double(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _scalar(kind: int, value: int) -> Any:
    """A varint field's JSON value."""
    if kind == I64:
        return str(value - (1 << 64) if value >= 1 << 63 else value)
    if kind == BOOL:
        return value != 0
    if kind == U64:
        return str(value)
    return value  # U32, ENUM


def _message(data: bytes, pos: int, end: int, schema: dict[int, Field]) -> dict[str, Any]:
    """The JSON object of the message in ``data[pos:end]``."""
    out: dict[str, Any] = {}
    while pos < end:
        key = data[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = read_varint(data, pos)
        wire_type, spec = key & 7, schema.get(key >> 3)
        if wire_type == 2:
            length = data[pos]
            if length < 0x80:
                pos += 1
            else:
                length, pos = read_varint(data, pos)
            stop = pos + length
            if stop > end:
                raise JsonMappingError("a length runs past the end of its message")
            if spec is not None:
                name, kind, repeated, sub = spec
                if kind == MSG:
                    value: Any = _message(data, pos, stop, SCHEMA[sub])
                elif kind == STR:
                    value = data[pos:stop].decode()
                elif kind == HEX:
                    value = data[pos:stop].hex()
                else:
                    value = base64.b64encode(data[pos:stop]).decode()
                if repeated:
                    out.setdefault(name, []).append(value)
                else:
                    out[name] = value
            pos = stop
        elif wire_type == 0:
            raw, pos = read_varint(data, pos)
            if spec is not None:
                out[spec[0]] = _scalar(spec[1], raw)
        elif wire_type == 1:
            if spec is not None:
                kind = spec[1]
                out[spec[0]] = (
                    _double(_unpack_double(data, pos)[0]) if kind == DBL else str(_unpack_fixed64(data, pos)[0])
                )
            pos += 8
        elif wire_type == 5:
            if spec is not None:
                out[spec[0]] = _unpack_fixed32(data, pos)[0]
            pos += 4
        else:
            raise JsonMappingError(f"unsupported wire type {wire_type}")
    if pos != end:
        raise JsonMappingError("a field runs past the end of its message")
    return out


def to_dict(body: bytes, message: str = "ExportTraceServiceRequest") -> dict[str, Any]:
    """The OTLP JSON object of a protobuf ``message`` body."""
    try:
        return _message(body, 0, len(body), SCHEMA[message])
    except (IndexError, struct.error) as exc:
        raise JsonMappingError(f"truncated protobuf body: {exc}") from None


def to_json(body: bytes) -> bytes:
    """An ``ExportTraceServiceRequest`` protobuf body as OTLP/JSON bytes (UTF-8, compact)."""
    return json.dumps(to_dict(body), ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def rejected_spans(body: bytes) -> int:
    """``partialSuccess.rejectedSpans`` of an OTLP/JSON ``ExportTraceServiceResponse`` (0 when absent or
    unreadable; a receiver may also answer an empty body or protobuf)."""
    try:
        partial = json.loads(body).get("partialSuccess") or {}
        return max(0, int(partial.get("rejectedSpans") or 0))
    except (ValueError, AttributeError, TypeError):
        return 0


def ids_to_base64(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite the hex ids of an OTLP/JSON trace request as base64, in place, so the proto3 JSON parser
    (``google.protobuf.json_format``), which reads bytes as base64, decodes the same ids. Returns ``document``."""
    for resource_spans in document.get("resourceSpans", ()):
        for scope_spans in resource_spans.get("scopeSpans", ()):
            for span in scope_spans.get("spans", ()):
                _ids_to_base64(span)
                for link in span.get("links", ()):
                    _ids_to_base64(link)
    return document


def _ids_to_base64(entry: dict[str, Any]) -> None:
    for key in ID_FIELDS:
        value = entry.get(key)
        if value:
            entry[key] = base64.b64encode(bytes.fromhex(value)).decode()
