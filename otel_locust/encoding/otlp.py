"""Hand-written protobuf encoding of OTLP ``ExportTraceServiceRequest`` (opentelemetry-proto v1).

Why by hand: the SDK's span objects plus its encoder manage about 100 complex agent traces per CPU-second; the
load generator must do several times that. Encoding here appends ready-made byte chunks to a list and computes
every length prefix arithmetically, so each payload byte (the big message JSON) is copied once, in the final
``b"".join``. Keys, static attributes and other constant pieces are encoded once and cached.

Correctness is checked in the tests by decoding the output with the official ``opentelemetry-proto`` classes.
Field numbers below come from ``opentelemetry/proto/trace/v1/trace.proto`` and ``common/v1/common.proto``.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from functools import lru_cache

# Span.SpanKind
KIND_INTERNAL, KIND_SERVER, KIND_CLIENT = 1, 2, 3
# Status.StatusCode
STATUS_OK, STATUS_ERROR = 1, 2

_pack_fixed64 = struct.Struct("<Q").pack
_pack_double = struct.Struct("<d").pack


def _encode_varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL_VARINTS = [_encode_varint(i) for i in range(1 << 14)]


def varint(n: int) -> bytes:
    """Base-128 varint; values below 16384 come from a table."""
    if 0 <= n < 16384:
        return _SMALL_VARINTS[n]
    return _encode_varint(n)


def varint_len(n: int) -> int:
    if n < 128:
        return 1
    if n < 16384:
        return 2
    return len(_encode_varint(n))


def length_delimited(tag: int, payload: bytes) -> bytes:
    """A whole length-delimited field (``tag`` is the pre-shifted key byte) around ``payload``."""
    return bytes((tag,)) + varint(len(payload)) + payload


# -- attributes (KeyValue inside Span.attributes = field 9, tag 0x4A) --------------------------------------


@lru_cache(maxsize=4096)
def _key(key: str) -> bytes:
    """KeyValue.key field, encoded."""
    raw = key.encode()
    return b"\x0a" + varint(len(raw)) + raw


def _kv(key: str, any_value: bytes, field_tag: bytes = b"\x4a") -> bytes:
    body = _key(key) + b"\x12" + varint(len(any_value)) + any_value
    return field_tag + varint(len(body)) + body


def attr_str(key: str, value: str | bytes, field_tag: bytes = b"\x4a") -> bytes:
    """A string attribute as a complete repeated-field entry (for short values)."""
    raw = value.encode() if isinstance(value, str) else value
    return _kv(key, b"\x0a" + varint(len(raw)) + raw, field_tag)


def attr_int(key: str, value: int, field_tag: bytes = b"\x4a") -> bytes:
    return _kv(key, b"\x18" + varint(value), field_tag)


def attr_double(key: str, value: float, field_tag: bytes = b"\x4a") -> bytes:
    return _kv(key, b"\x21" + _pack_double(value), field_tag)


def attr_bool(key: str, value: bool, field_tag: bytes = b"\x4a") -> bytes:
    return _kv(key, b"\x10" + (b"\x01" if value else b"\x00"), field_tag)


def attr_str_array(key: str, values: Sequence[str], field_tag: bytes = b"\x4a") -> bytes:
    items = b"".join(length_delimited(0x0A, b"\x0a" + varint(len(v.encode())) + v.encode()) for v in values)
    return _kv(key, length_delimited(0x2A, items), field_tag)


def attr_str_pieces(out: list[bytes], key: str, pieces: Sequence[bytes], size: int) -> int:
    """Append a string attribute whose value is the concatenation of ``pieces`` (``size`` bytes in all).

    The pieces are appended as they are, never joined here; returns the number of bytes appended.
    """
    return keyed_str_pieces(out, _key(key) + b"\x12", pieces, size)


def keyed_str_pieces(out: list[bytes], kv: bytes, pieces: Sequence[bytes], size: int) -> int:
    """:func:`attr_str_pieces` with the key already encoded: ``kv`` is its ``KeyValue.key`` field and the value's
    tag (callers that write one key many times encode it once)."""
    any_len = 1 + varint_len(size) + size
    head = b"".join(
        (b"\x4a", varint(len(kv) + varint_len(any_len) + any_len), kv, varint(any_len), b"\x0a", varint(size))
    )
    out.append(head)
    out.extend(pieces)
    return len(head) + size


# -- spans -----------------------------------------------------------------------------------------------


def span_name(name: str) -> bytes:
    """Span.name field (5)."""
    return length_delimited(0x2A, name.encode())


def span_head(
    trace_id: bytes, span_id: bytes, parent_id: bytes | None, name_field: bytes, kind: int, start_ns: int, end_ns: int
) -> bytes:
    """The fixed fields of a Span: ids, name, kind, times, flags (sampled)."""
    head = b"\x0a\x10" + trace_id + b"\x12\x08" + span_id
    if parent_id is not None:
        head += b"\x22\x08" + parent_id
    return (
        head
        + name_field
        + b"\x30"
        + _SMALL_VARINTS[kind]
        + b"\x39"
        + _pack_fixed64(start_ns)
        + b"\x41"
        + _pack_fixed64(end_ns)
        + b"\x85\x01\x01\x01\x00\x00"
    )


def span_status(code: int, message: str = "") -> bytes:
    """Span.status field (15)."""
    body = (length_delimited(0x12, message.encode()) if message else b"") + b"\x18" + varint(code)
    return length_delimited(0x7A, body)


def span_event(name: str, time_ns: int, attributes: bytes) -> bytes:
    """Span.events field (11); ``attributes`` are entries made with ``field_tag=b"\\x1a"``."""
    body = b"\x09" + _pack_fixed64(time_ns) + length_delimited(0x12, name.encode()) + attributes
    return length_delimited(0x5A, body)


def wrap_span(chunks: list[bytes], size: int) -> list[bytes]:
    """Prefix a span's chunks with the ScopeSpans.spans field header (2)."""
    chunks.insert(0, b"\x12" + varint(size))
    return chunks


# -- envelope --------------------------------------------------------------------------------------------


def resource(attributes: bytes) -> bytes:
    """ResourceSpans.resource field (1) from attribute entries made with ``field_tag=b"\\x0a"``."""
    return length_delimited(0x0A, attributes)


def scope(name: str, version: str) -> bytes:
    """ScopeSpans.scope field (1)."""
    return length_delimited(0x0A, length_delimited(0x0A, name.encode()) + length_delimited(0x12, version.encode()))


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint at ``pos`` and the position after it."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(tag byte, field start, payload start, field end) of each length-delimited field in data[start:end]."""
    found, pos = [], start
    while pos < end:
        field_start, tag = pos, data[pos]
        length, payload = read_varint(data, pos + 1)
        found.append((tag, field_start, payload, payload + length))
        pos = payload + length
    return found


def rejected_spans(body: bytes) -> int:
    """``partial_success.rejected_spans`` of an ExportTraceServiceResponse body (0 when absent or unreadable).

    Read by hand: importing the protobuf runtime into the Locust process was measured to slow trace
    generation by about 20% (the sink and the tests decode with it; the generator never needs to).
    """
    try:
        for tag, _, payload, end in _fields(body, 0, len(body)):
            if tag != 0x0A:  # ExportTraceServiceResponse.partial_success
                continue
            pos = payload
            while pos < end:
                key, pos = read_varint(body, pos)
                field, wire_type = key >> 3, key & 7
                if wire_type == 0:
                    value, pos = read_varint(body, pos)
                    if field == 1:  # PartialSuccess.rejected_spans
                        return max(0, value if value < 1 << 63 else 0)
                elif wire_type == 2:
                    length, pos = read_varint(body, pos)
                    pos += length
                else:
                    return 0
    except IndexError:
        return 0
    return 0


def split_spans(body: bytes) -> list[bytes]:
    """The span fields of an ExportTraceServiceRequest made by :func:`export_request`, each a complete
    ``ScopeSpans.spans`` entry ready to be packed again (used only to split a request refused as too large)."""
    spans = []
    for _, _, rs_payload, rs_end in _fields(body, 0, len(body)):
        for tag, _, ss_payload, ss_end in _fields(body, rs_payload, rs_end):
            if tag == 0x12:  # ResourceSpans.scope_spans
                spans += [
                    body[f_start:f_end] for t, f_start, _, f_end in _fields(body, ss_payload, ss_end) if t == 0x12
                ]  # ScopeSpans.spans
    return spans


def export_request(resource_field: bytes, scope_field: bytes, spans: Sequence[list[bytes]], spans_size: int) -> bytes:
    """An ExportTraceServiceRequest with one ResourceSpans and one ScopeSpans holding ``spans``.

    ``spans`` are chunk lists already wrapped by :func:`wrap_span`; ``spans_size`` is their total length.
    """
    scope_spans_len = len(scope_field) + spans_size
    resource_spans_len = len(resource_field) + 1 + varint_len(scope_spans_len) + scope_spans_len
    out = [b"\x0a" + varint(resource_spans_len) + resource_field + b"\x12" + varint(scope_spans_len) + scope_field]
    for chunks in spans:
        out.extend(chunks)
    return b"".join(out)
