"""Value writers that profiles name in their data: per-span values, blocks of attributes, events and logs.

Every writer takes the trace's :class:`Ctx` and a layout :class:`~.layout.Node`. Content conversions (message JSON
to OpenInference's flattened keys, Strands' content blocks, LangChain's serialized messages, OTLP maps) are cached
twice: per trace by message identity (a message joins an agent's history once and is then sent again by every
later model call), and across traces by content in :class:`Shared` (messages are built from pool entries, so the
same content recurs in later traces; only the per-trace call ids differ, and those are masked with fixed-length
markers and filled back in, which keeps every protobuf length prefix valid).
"""

from __future__ import annotations

import datetime as _dt
import json
import json.encoder
import math
import random
import re
from collections.abc import Callable
from typing import Any

from otel_locust.encoding import logs as otlp_logs
from otel_locust.encoding import otlp
from otel_locust.encoding.dialects import messages, tool_definitions
from otel_locust.encoding.otlp import _pack_fixed64, varint
from otel_locust.encoding.profiles.layout import Node
from otel_locust.encoding.usage import usage_extras
from otel_locust.engine.trace import PlannedSpan, PlannedTrace


def _no_default(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _json_encoder(item_separator: str, key_separator: str) -> Callable[[Any], str]:
    """``json.dumps`` with these separators, through one C encoder made once (``json.dumps`` builds a new one
    per call, which costs more than encoding a small message). Same output: ASCII, no key sorting, NaN allowed."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the standard encoder
        return json.JSONEncoder(separators=(item_separator, key_separator)).encode
    encoder = make(
        None,  # no circular-reference check (values here are fresh trees)
        _no_default,
        json.encoder.encode_basestring_ascii,
        None,
        key_separator,
        item_separator,
        False,
        False,
        True,
    )

    def dumps(value: Any) -> str:
        return "".join(encoder(value, 0))

    return dumps


dumps = _json_encoder(",", ":")  #: ``json.dumps(value, separators=(",", ":"))``
dumps_spaced = _json_encoder(", ", ": ")  #: ``json.dumps(value)``
_scan: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009 (untyped)


def loads(document: bytes) -> Any:
    """``json.loads`` of a UTF-8 document without leading whitespace (the planner's messages), skipping the
    encoding detection and the decoder's wrapper."""
    return _scan(document.decode("utf-8", "surrogatepass"), 0)[0]


_CALL_ID = re.compile(rb"call_[0-9a-f]{24}")
_CALL_ID_SPLIT = re.compile(b"(" + _CALL_ID.pattern + b")")  #: (a group: the split keeps the ids)
_MARKS = [b"call_" + b"Q" * 22 + b"%02d" % n for n in range(100)]  #: same length as a planner call id
RUN_MARK = b"R" * 36  #: where a fresh uuid goes (LangChain's per-message run id)


class Shared:
    """Conversions kept across traces; bounded (oldest out first), so memory stays flat however many distinct
    messages a long run sees. A message's conversions are one entry, keyed by its masked content (see
    :meth:`Ctx.converted`): a dict of the formats it was converted to. The limit counts conversions (each
    format of a message, each other value), as when every format was an entry of its own."""

    __slots__ = ("count", "limit", "table")

    def __init__(self, limit: int = 30_000) -> None:
        self.limit = limit
        self.table: dict[Any, Any] = {}
        self.count = 0  #: conversions held: the formats in message entries, plus one per other entry

    def get(self, key: Any) -> Any:
        return self.table.get(key)

    def put(self, key: Any, value: Any) -> Any:
        table = self.table
        if key in table:
            self.count -= _weight(table.pop(key))
        weight = _weight(value)
        while table and (self.count + weight > self.limit or len(table) >= self.limit):
            self._evict()
        table[key] = value
        self.count += weight
        return value

    def grew(self, key: Any, entry: dict[Any, Any]) -> None:
        """One more format in the message entry ``entry`` (if it is still the one kept under ``key``)."""
        if self.table.get(key) is entry:
            self.count += 1
            while self.count > self.limit and self.table:
                self._evict()

    def _evict(self) -> None:
        table = self.table
        self.count -= _weight(table.pop(next(iter(table))))


def _weight(value: Any) -> int:
    return len(value) if type(value) is dict else 1


def mask(message: bytes) -> tuple[bytes, list[bytes]]:
    """The message with its call ids replaced by fixed markers (the cross-trace key), and the ids in order.
    One split in C (text, id, text, id, ..., text): the ids are every other piece, swapped for the markers."""
    if b"call_" not in message:  # (most messages: no regular expression scan)
        return message, []
    pieces = _CALL_ID_SPLIT.split(message)
    ids = pieces[1::2]
    if not ids or len(ids) > len(_MARKS):
        return message, []
    pieces[1::2] = _MARKS[: len(ids)]
    return b"".join(pieces), ids


def fill(template: bytes, ids: list[bytes]) -> bytes:
    """A cached conversion with this trace's call ids put back (by their 24-character tails, so derived forms
    such as the Agents SDK's ``fc_`` item ids are filled as well)."""
    for n, real in enumerate(ids):
        template = template.replace(_MARKS[n][5:], real[5:])
    return template


class Ctx:
    """Per-trace state: the trace, id source, and the caches of converted messages."""

    __slots__ = (
        "base",
        "cache",
        "events",
        "ids",
        "log_records",
        "nodes",
        "previous",
        "shared",
        "span_ids",
        "trace",
        "trace_id",
        "uuids",
    )

    def __init__(
        self,
        trace: PlannedTrace,
        nodes: list[Node],
        ids: random.Random,
        base: int,
        trace_id: bytes,
        span_ids: list[bytes],
        shared: Shared | None = None,
    ) -> None:
        self.trace, self.nodes, self.ids, self.base = trace, nodes, ids, base
        self.trace_id, self.span_ids = trace_id, span_ids
        self.shared = shared if shared is not None else Shared()
        self.cache: dict[Any, Any] = {}
        self.events: dict[int, tuple[bytes, bytes, bytes, int]] = {}  #: id(message) -> its Strands event pieces
        self.log_records: list[bytes] = []
        self.uuids: dict[Any, str] = {}
        self.previous: dict[int, tuple[int, int]] = {}  # id(agent) -> (input tokens of its last call, calls)

    def uuid(self, key: Any = None) -> str:
        """A random uuid string; the same for the same ``key`` within the trace."""
        if key is not None and key in self.uuids:
            return self.uuids[key]
        # the hex digits of 128 random bits, the 13th and 17th replaced by the version and variant
        digits = "%032x" % self.ids.getrandbits(128)  # noqa: UP031
        value = f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-a{digits[17:20]}-{digits[20:]}"
        if key is not None:
            self.uuids[key] = value
        return value

    def converted(self, kind: Any, message: bytes, build: Callable[[Ctx, dict[str, Any]], bytes]) -> bytes:
        """``build``'s conversion of ``message``, once per trace and, by content, once across traces.

        Per trace, a message has one record (found by its id; the record keeps the message, so the id is not
        reused during the trace): its masked content and call ids, its parsed form (made on the first cross-trace
        miss, for every format), its entry in :class:`Shared` (the templates of every format, looked up once
        per trace) and the conversions made for this trace."""
        record = self.cache.get(id(message))
        if record is None:
            masked, ids = mask(message)
            templates = self.shared.table.get(masked)
            if templates is None:
                templates = self.shared.put(masked, {})
            record = self.cache[id(message)] = [masked, ids, message, None, templates, {}]
        else:
            found: bytes | None = record[5].get(kind)
            if found is not None:
                return found
        template = record[4].get(kind)
        if template is None:
            data = record[3]
            if data is None:
                data = record[3] = loads(record[0])
            template = record[4][kind] = build(self, data)
            self.shared.grew(record[0], record[4])
        found = fill(template, record[1]) if record[1] else template
        if RUN_MARK in found:
            found = found.replace(RUN_MARK, self.uuid().encode())
        record[5][kind] = found
        return found

    def output(self, span: PlannedSpan) -> bytes:
        """The model call's output message, the same object for the same span (the caches key on identity)."""
        key = ("o", id(span))
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = output_message(span)
        return found

    def parsed(self, message: bytes) -> dict[str, Any]:
        key = ("p", id(message))
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = loads(message)
        return found

    def usage(self, span: PlannedSpan) -> tuple[int, int, int]:
        """Cache and reasoning tokens of a model call, computed once per span."""
        key = ("u", id(span))
        found = self.cache.get(key)
        if found is None:
            agent = id(span.agent)
            previous, calls = self.previous.get(agent, (0, 0))
            found = self.cache[key] = usage_extras(span, previous, calls)
            self.previous[agent] = (span.input_tokens, calls + 1)
        return found

    def iso(self, offset: int) -> str:
        return iso_utc((self.base + offset) / 1e9)


_SECONDS: dict[float, str] = {}


def iso_utc(timestamp: float) -> str:
    """``datetime.fromtimestamp(timestamp, UTC).isoformat()``, with the whole seconds formatted once: the same
    rounding (microseconds, half to even, as CPython's ``fromtimestamp``) and the same text (no fraction when the
    microseconds are 0)."""
    fraction, whole = math.modf(timestamp)
    micro = round(fraction * 1e6)
    if micro >= 1_000_000:
        micro -= 1_000_000
        whole += 1.0
    elif micro < 0:
        micro += 1_000_000
        whole -= 1.0
    head = _SECONDS.get(whole)
    if head is None:
        if len(_SECONDS) >= 4096:
            _SECONDS.clear()
        head = _SECONDS[whole] = _dt.datetime.fromtimestamp(whole, _dt.UTC).isoformat()[:19]
    return f"{head}.{micro:06d}+00:00" if micro else head + "+00:00"


# -- message conversions --------------------------------------------------------------------------------------


def _parts_text(parts: list[dict[str, Any]]) -> str:
    return "".join([p.get("content", "") for p in parts if p.get("type") == "text"])


_ARGUMENTS: dict[int, tuple[dict[str, Any], str]] = {}


def _args(part: dict[str, Any]) -> str:
    """A tool call's arguments as JSON text: once per parsed part (see :func:`_response`)."""
    found = _ARGUMENTS.get(id(part))
    if found is None or found[0] is not part:
        if len(_ARGUMENTS) >= 256:
            _ARGUMENTS.clear()
        found = _ARGUMENTS[id(part)] = (part, dumps(part.get("arguments", {})))
    return found[1]


_RESPONSES: dict[int, tuple[dict[str, Any], str]] = {}


def _response(part: dict[str, Any]) -> str:
    """A tool response as text (a JSON value re-encoded compactly): once per parsed part, however many formats
    the message is converted to (the entry keeps the part, so its id is not reused while it is there)."""
    value = part.get("response", "")
    if isinstance(value, str):
        return value
    found = _RESPONSES.get(id(part))
    if found is None or found[0] is not part:
        if len(_RESPONSES) >= 256:
            _RESPONSES.clear()
        found = _RESPONSES[id(part)] = (part, dumps(value))
    return found[1]


def output_message(span: PlannedSpan) -> bytes:
    return b'{"role":"assistant","parts":[' + span.output + b"]}"


_SYSTEMS: dict[bytes, bytes] = {}


def input_list_system(span: PlannedSpan) -> bytes:
    """The model call's system message (one object per prompt)."""
    system = _SYSTEMS.get(span.system)
    if system is None:
        if len(_SYSTEMS) > 4096:
            _SYSTEMS.clear()
        system = _SYSTEMS[span.system] = b'{"role":"system","parts":[{"type":"text","content":' + span.system + b"}]}"
    return system


def input_list(span: PlannedSpan) -> list[bytes]:
    """The model call's input messages, system first (as the frameworks send them)."""
    return [input_list_system(span), *span.history]


def flattened(ctx: Ctx, prefix: str, index: int, message: bytes, names: bool = False, contents: bool = False) -> bytes:
    """OpenInference's ``{prefix}.{index}.message.*`` keys for one message, encoded once per trace (``names``:
    LangChain's ``message.name``; ``contents``: the Agents SDK's ``message.contents.N`` copy of the text)."""
    key = (prefix, index, names, contents, id(message))  # (a message keeps its index in every later call)
    found: bytes | None = ctx.cache.get(key)
    if found is None:
        kind, build, marker = _flat_kind(prefix, len(str(index)), names, contents)
        found = ctx.cache[key] = ctx.converted(kind, message, build).replace(marker, b".%d." % index)
    return found


_INDEX_MARK = "#" * 6  #: where the message's index goes in its keys (same width, so lengths stay valid)
_FLAT_KINDS: dict[tuple[str, int, bool, bool], tuple[Any, Callable[[Ctx, dict[str, Any]], bytes], bytes]] = {}


def _flat_kind(
    prefix: str, digits: int, names: bool, contents: bool
) -> tuple[Any, Callable[[Ctx, dict[str, Any]], bytes], bytes]:
    """The conversion kind of flattened keys with an index of ``digits`` digits, its builder and the index
    marker to replace, made once (not per message)."""
    kind = (prefix, digits, names, contents)
    found = _FLAT_KINDS.get(kind)
    if found is None:
        mark = _INDEX_MARK[:digits]
        keys = _FlatKeys(prefix, mark)

        def build(ctx: Ctx, data: dict[str, Any]) -> bytes:
            return _flattened(keys, data, names, contents)

        found = _FLAT_KINDS[kind] = (kind, build, b"." + mark.encode() + b".")
    return found


def _flattened(keys: _FlatKeys, data: dict[str, Any], names: bool, contents: bool) -> bytes:
    role, parts = data.get("role", "user"), data.get("parts", [])
    out = [_attr(keys.role, role)]
    text = _parts_text(parts)
    calls = [p for p in parts if p.get("type") == "tool_call"]
    results = [p for p in parts if p.get("type") == "tool_call_response"]
    if names and role in ("assistant", "tool"):
        out.append(_attr(keys.name, calls[0]["name"] if calls else "tool"))
    if text:
        out.append(_attr(keys.content, text))
        if contents:
            out += (keys.contents_type, _attr(keys.contents_text, text))
    for n, call in enumerate(calls):
        call_id, name, arguments = keys.call(n)
        out += (_attr(call_id, call.get("id", "")), _attr(name, call.get("name", "")), _attr(arguments, _args(call)))
    for result in results[:1]:
        out += (_attr(keys.content, _response(result)), _attr(keys.tool_call_id, result.get("id", "")))
    return b"".join(out)


def _kv_head(key: str) -> bytes:
    """A key's ``KeyValue.key`` field and the value's field tag (what precedes the value's length)."""
    return otlp._key(key) + b"\x12"


def _attr(kv: bytes, value: str) -> bytes:
    """``otlp.attr_str(key, value)`` with the key encoded once (``kv``: :func:`_kv_head`)."""
    raw = value.encode()
    size_prefix = varint(len(raw))
    any_len = 1 + len(size_prefix) + len(raw)
    any_prefix = varint(any_len)
    return b"".join((b"\x4a", varint(len(kv) + len(any_prefix) + any_len), kv, any_prefix, b"\x0a", size_prefix, raw))


class _FlatKeys:
    """The encoded keys of OpenInference's flattened message attributes under one prefix and index marker,
    made once per key shape (not per message)."""

    __slots__ = ("base", "calls", "content", "contents_text", "contents_type", "name", "role", "tool_call_id")

    def __init__(self, prefix: str, mark: str) -> None:
        base = self.base = f"{prefix}.{mark}.message."
        self.role, self.name = _kv_head(base + "role"), _kv_head(base + "name")
        self.content, self.tool_call_id = _kv_head(base + "content"), _kv_head(base + "tool_call_id")
        self.contents_type = otlp.attr_str(base + "contents.0.message_content.type", "text")
        self.contents_text = _kv_head(base + "contents.0.message_content.text")
        self.calls: list[tuple[bytes, bytes, bytes]] = []

    def call(self, n: int) -> tuple[bytes, bytes, bytes]:
        """The id, function name and arguments keys of the message's ``n``-th tool call."""
        while len(self.calls) <= n:
            call_base = f"{self.base}tool_calls.{len(self.calls)}.tool_call."
            self.calls.append(
                (
                    _kv_head(call_base + "id"),
                    _kv_head(call_base + "function.name"),
                    _kv_head(call_base + "function.arguments"),
                )
            )
        return self.calls[n]


def chat_item(ctx: Ctx, message: bytes) -> bytes:
    """One message as an OpenAI input item (what ``input.value`` holds for the Agents SDK)."""
    return ctx.converted("c", message, _chat_item)


def _chat_item(ctx: Ctx, data: dict[str, Any]) -> bytes:
    parts, items = data.get("parts", []), []
    for part in parts:
        if part.get("type") == "tool_call":
            items.append(
                {
                    "arguments": _args(part),
                    "call_id": part.get("id"),
                    "name": part.get("name"),
                    "type": "function_call",
                    "id": "fc_" + str(part.get("id", ""))[5:],
                    "status": "completed",
                }
            )
        elif part.get("type") == "tool_call_response":
            items.append({"call_id": part.get("id"), "output": _response(part), "type": "function_call_output"})
    if not items:
        items.append({"content": _parts_text(parts), "role": data.get("role", "user")})
    return dumps(items)[1:-1].encode()


def lc_message(ctx: Ctx, message: bytes) -> bytes:
    """One message as LangChain serializes it (``lc`` constructor form), for LangGraph's values."""
    return ctx.converted("l", message, _lc_message)


_LC_KINDS = {"system": "SystemMessage", "assistant": "AIMessage", "tool": "ToolMessage"}
_LC_RUN_ID = ',"id":"run--' + RUN_MARK.decode() + '"'


def _lc_head(kind: str) -> str:
    return '{"lc":1,"type":"constructor","id":["langchain","schema","messages","' + kind + '"],"kwargs":{"content":'


_LC_HEADS = {kind: _lc_head(kind) for kind in (*_LC_KINDS.values(), "HumanMessage")}


def _lc_message(ctx: Ctx, data: dict[str, Any]) -> bytes:
    """``dumps({"lc": 1, "type": "constructor", "id": [...], "kwargs": {...}})``, written as text around the
    values (which are encoded as ``dumps`` would): content, type, id, then tool calls and their response
    metadata, then a tool result's ``tool_call_id`` and status."""
    role, parts = data.get("role", "user"), data.get("parts", [])
    kind = _LC_KINDS.get(role, "HumanMessage")
    content: Any = _parts_text(parts)
    tail = ""
    calls = [p for p in parts if p.get("type") == "tool_call"]
    if calls:
        tool_calls = [
            {"name": c.get("name"), "args": c.get("arguments", {}), "id": c.get("id"), "type": "tool_call"}
            for c in calls
        ]
        tail = (
            ',"tool_calls":'
            + dumps(tool_calls)
            + ',"response_metadata":{"finish_reason":"tool_calls","model_provider":"openai"}'
        )
    result_id: Any = None
    has_result = False
    for result in parts:
        if result.get("type") == "tool_call_response":
            content, result_id, has_result = _response(result), result.get("id"), True
    if has_result:
        tail += ',"tool_call_id":' + _json_value(result_id) + ',"status":"success"'
    type_name = kind[:-7].lower() or "human"
    return (_LC_HEADS[kind] + _json_value(content) + ',"type":"' + type_name + '"' + _LC_RUN_ID + tail + "}}").encode()


def _json_value(value: Any) -> str:
    """``dumps(value)``, a string escaped directly."""
    return _escape(value) if type(value) is str else dumps(value)


def bedrock_blocks(ctx: Ctx, message: bytes) -> bytes:
    """One message's content as Strands' (Bedrock-style) content blocks, a JSON string."""
    return ctx.converted("b", message, lambda c, data: _bedrock_blocks(data).encode())


def _bedrock_blocks(data: dict[str, Any]) -> str:
    blocks: list[dict[str, Any]] = []
    for part in data.get("parts", []):
        kind = part.get("type")
        if kind == "text":
            blocks.append({"text": part.get("content", "")})
        elif kind == "tool_call":
            blocks.append(
                {"toolUse": {"toolUseId": part.get("id"), "name": part.get("name"), "input": part.get("arguments", {})}}
            )
        elif kind == "tool_call_response":
            blocks.append(
                {
                    "toolResult": {
                        "toolUseId": part.get("id"),
                        "status": "success",
                        "content": [{"text": _response(part)}],
                    }
                }
            )
    return dumps_spaced(blocks)


_ROLE_EVENT = {
    "user": "gen_ai.user.message",
    "assistant": "gen_ai.assistant.message",
    "tool": "gen_ai.tool.message",
    "system": "gen_ai.system.message",
}


_ROLE_NAMES = {
    b'{"role":"' + role.encode() + b'"': otlp.length_delimited(0x12, name.encode())
    for role, name in _ROLE_EVENT.items()
}
_CONTENT_KEY = otlp._key("content")


def role_event(ctx: Ctx, message: bytes) -> bytes:
    """Strands' per-message span event without its timestamp (see :func:`timed_event`): the event name for the
    message's role and its content blocks (:func:`bedrock_blocks`, so a model call's output and the same message
    in a later history share one conversion)."""
    name = _ROLE_NAMES.get(message[: message.find(b'"', 9) + 1]) if message.startswith(b'{"role":"') else None
    if name is None:
        name = otlp.length_delimited(0x12, _ROLE_EVENT[ctx.parsed(message).get("role", "user")].encode())
    return name + event_attr(_CONTENT_KEY, bedrock_blocks(ctx, message))


def role_events(ctx: Ctx, messages: Any, time_ns: int, out: list[bytes]) -> int:
    """Append the :func:`role_event` of each message, all stamped ``time_ns``: the event's header and the stamp
    are separate pieces, so a message's event is looked up once per trace and never copied."""
    stamp = b"\x09" + _pack_fixed64(time_ns)
    cache, size = ctx.events, 0
    for message in messages:
        found = cache.get(id(message))
        if found is None or found[0] is not message:  # (the message is kept: its id is not reused meanwhile)
            tail = role_event(ctx, message)
            prefix = b"\x5a" + varint(9 + len(tail))
            found = cache[id(message)] = (message, prefix, tail, len(prefix) + 9 + len(tail))
        out += (found[1], stamp, found[2])
        size += found[3]
    return size


def timed_event(out: list[bytes], tail: bytes, time_ns: int) -> int:
    """Append a span event made of a cached ``tail`` (name and attributes) and this span's timestamp."""
    head = b"\x5a" + otlp.varint(9 + len(tail)) + b"\x09" + _pack_fixed64(time_ns)
    out += (head, tail)
    return len(head) + len(tail)


def map_element(ctx: Ctx, message: bytes) -> bytes:
    """A message as one ArrayValue element (an AnyValue kvlist, as SDKs encode dicts in log attributes)."""
    return ctx.converted("map", message, lambda c, data: _delimited(b"\x0a", any_value(data)))


def _delimited(tag: bytes, payload: bytes) -> bytes:
    return tag + varint(len(payload)) + payload


_MAP_KEYS: dict[str, bytes] = {}  #: KeyValue.key fields of map keys (a message's keys recur: role, parts, type...)


def any_value(value: Any) -> bytes:
    """``logs.any_value``, the same bytes, with the map keys encoded once and no generator per level."""
    kind = type(value)
    if kind is str:
        raw = value.encode()
        return b"\x0a" + varint(len(raw)) + raw
    if kind is dict:
        entries = []
        for key, item in value.items():
            key_field = _MAP_KEYS.get(key)
            if key_field is None:
                if len(_MAP_KEYS) >= 4096:
                    _MAP_KEYS.clear()
                raw_key = str(key).encode()
                key_field = _MAP_KEYS[key] = b"\x0a" + varint(len(raw_key)) + raw_key
            if type(item) is str:  # (most values: encoded here, not by a call per leaf)
                raw = item.encode()
                inner = b"\x0a" + varint(len(raw)) + raw
            else:
                inner = any_value(item)
            body = key_field + b"\x12" + varint(len(inner)) + inner
            entries.append(b"\x0a" + varint(len(body)) + body)
        return _delimited(b"\x32", b"".join(entries))
    if kind is list:
        return _delimited(b"\x2a", b"".join([_delimited(b"\x0a", any_value(item)) for item in value]))
    return otlp_logs.any_value(value)  # bool, int, float, tuple, null


# -- agent-level views ----------------------------------------------------------------------------------------


def last_llm(ctx: Ctx, node: Node) -> PlannedSpan | None:
    """The agent's final model call (its history plus output is the whole conversation): the last, in trace
    order, of its agent's model calls inside its span (the calls grouped by agent once per trace)."""
    key = ("last", id(node.span))
    if key not in ctx.cache:
        by_agent = ctx.cache.get("llms")
        if by_agent is None:
            by_agent = ctx.cache["llms"] = {}
            for span in ctx.trace.spans:
                if span.kind == "llm":
                    by_agent.setdefault(id(span.agent), []).append(span)
        found = None
        start, end = node.span.start, node.span.end
        for span in by_agent.get(id(node.span.agent), ()):
            if span.start >= start and span.end <= end:
                found = span
        ctx.cache[key] = found
    return ctx.cache[key]


def conversation(ctx: Ctx, node: Node) -> list[bytes]:
    """All messages of the agent's run: the last call's input and its output."""
    last = last_llm(ctx, node)
    if last is None:
        return [b'{"role":"user","parts":[{"type":"text","content":' + node.span.task + b"}]}"]
    return [*last.history, ctx.output(last)]


def join(pieces: list[bytes], head: bytes = b"[", tail: bytes = b"]") -> tuple[list[bytes], int]:
    """Pieces of a JSON array (comma-separated), not joined, and their total size."""
    if not pieces:
        return [head, tail], len(head) + len(tail)
    count = len(pieces)
    out = [b","] * (2 * count + 1)  # head, piece, comma, piece, ..., piece, tail: filled by slices, not a loop
    out[0], out[-1] = head, tail
    out[1::2] = pieces
    return out, sum(map(len, pieces)) + count - 1 + len(head) + len(tail)


def genai_arrays(span: PlannedSpan) -> tuple[bytes, bytes]:
    inputs, outputs = messages(span)
    return inputs, outputs


def definitions(node: Node) -> str:
    return tool_definitions(node.agent.tools) if node.agent.tools else "[]"


Writer = Callable[[Ctx, Node], Any]
Block = Callable[[Ctx, Node, list[bytes]], int]


def event_name(name: str) -> bytes:
    """Event.name (field 2), encoded once."""
    return otlp.length_delimited(0x12, name.encode())


def event_attr(key_field: bytes, value: str | bytes) -> bytes:
    """A string attribute of a span event (``otlp.attr_str(key, value, b"\\x1a")`` with the key encoded once)."""
    raw = value.encode() if isinstance(value, str) else value
    size_prefix = varint(len(raw))
    any_len = 1 + len(size_prefix) + len(raw)
    any_prefix = varint(any_len)
    body_len = len(key_field) + 1 + len(any_prefix) + any_len
    return b"".join((b"\x1a", varint(body_len), key_field, b"\x12", any_prefix, b"\x0a", size_prefix, raw))


def fast_event(name_field: bytes, time_ns: int, attributes: bytes) -> bytes:
    """``otlp.span_event`` with the name encoded once (:func:`event_name`)."""
    body_len = 9 + len(name_field) + len(attributes)  # (joined once: the attributes can be large)
    return b"".join((b"\x5a", varint(body_len), b"\x09", _pack_fixed64(time_ns), name_field, attributes))


_escape = json.encoder.encode_basestring_ascii


def escaped(ctx: Ctx, raw: bytes) -> bytes:
    """``raw`` (UTF-8 text, e.g. a tool's JSON result) as the inside of a JSON string literal, ASCII-escaped as
    ``json.dumps`` writes it; kept across traces by content (tool results come from pools)."""
    key = ("esc", raw)
    found = ctx.shared.get(key)
    if found is None:
        found = ctx.shared.put(key, _escape(raw.decode()).encode())
    return found


def text_blocks(text: str) -> str:
    """``dumps([{"text": text}])``."""
    return '[{"text":' + _escape(text) + "}]"


def literal_blocks(literal: bytes) -> str:
    """``dumps([{"text": <the text of the JSON string literal>}])``. The literal is spliced in when it is plain
    ASCII: Python's JSON encoders write such text the same way (``ensure_ascii`` or not), so decoding and
    re-encoding it would give the same bytes back."""
    if literal and literal.isascii() and b"\x7f" not in literal:
        return '[{"text":' + literal.decode() + "}]"
    return text_blocks(loads(literal) if literal else "")


def event(name: str, time_ns: int, attributes: list[tuple[str, Any]]) -> bytes:
    encoded = b"".join(
        otlp.attr_str(k, v, b"\x1a") if isinstance(v, (str, bytes)) else otlp_logs.key_value(k, v, b"\x1a")
        for k, v in attributes
    )
    return otlp.span_event(name, time_ns, encoded)
