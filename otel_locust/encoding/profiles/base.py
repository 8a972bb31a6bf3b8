"""A framework profile as data, and the instrumentation that encodes planned traces with it.

A :class:`Profile` is a :class:`~.layout.Structure` (which framework spans exist and how they nest) plus one
:class:`SpanSpec` per span type: its name template, kind, status, static attributes (encoded once per scenario
step and cached), dynamic attributes (writers named by string, looked up once), span events and log records.
Following a new framework version is a change to this data, not to code.

Platform dialects (``--otel-dialects``) still add their keys to the spans that stand for planned agents, model
calls and tools, skipping keys the profile already set; they contribute nothing the profile's keys already say.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from otel_locust.encoding import otlp
from otel_locust.encoding.dialects import Dialect
from otel_locust.encoding.instrument import EncodedTrace, Instrumentation
from otel_locust.encoding.otlp import varint
from otel_locust.encoding.profiles.layout import Node, Structure, depth, layout
from otel_locust.encoding.profiles.values import Ctx, Shared
from otel_locust.engine.trace import PlannedTrace

_DIALECT_KIND = {"agent": "agent", "llm": "llm", "tool": "tool", "http": "http"}
_CAN_FAIL = ("tool", "http", "llm")  #: span types that show a planned failure


@dataclass(frozen=True)
class SpanSpec:
    """One span type of a framework.

    ``static`` values are literals or ``"$ref"`` strings resolved from the step (see ``REFS``); a ref that
    resolves to None leaves the key out. ``dynamic`` pairs a key with a writer name (``"*name"`` for a block
    writer that appends several attributes). ``events`` and ``logs`` name writers that add span events / log
    records.
    """

    name: str
    kind: int = otlp.KIND_INTERNAL
    status: int = 0  #: 0: UNSET
    static: tuple[tuple[str, Any], ...] = ()
    dynamic: tuple[tuple[str, str], ...] = ()
    events: str = ""
    logs: str = ""


@dataclass(frozen=True)
class Profile:
    """What one framework's instrumentation sends, for the spans of a planned trace."""

    name: str
    structure: Structure
    spans: dict[str, SpanSpec]
    scope: str
    matches: str = ""  #: the framework versions the profile was checked against
    capture: str = ""  #: the committed capture it is compared with
    notes: tuple[str, ...] = field(default=())

    @property
    def sends_logs(self) -> bool:
        return any(spec.logs for spec in self.spans.values())


class ProfileInstrumentation(Instrumentation):
    """Encodes planned traces the way ``profile``'s framework would; requests are packed as usual."""

    def __init__(
        self,
        profile: Profile,
        dialects: Sequence[Dialect],
        service_name: str = "travel-agent",
        resource_attributes: dict[str, str] | None = None,
        ids: random.Random | None = None,
    ) -> None:
        super().__init__(dialects, service_name, resource_attributes, ids)
        from otel_locust import __version__
        from otel_locust.encoding.profiles import writers

        self.profile = profile
        self.sends_logs = profile.sends_logs
        self.scope = otlp.scope(profile.scope, __version__)
        self._writers = {stype: _plan_writers(spec) for stype, spec in profile.spans.items()}
        self._kinds = {stype: spec.kind for stype, spec in profile.spans.items()}
        self._statuses = {
            stype: otlp.span_status(spec.status) if spec.status else b"" for stype, spec in profile.spans.items()
        }
        self._events = {stype: writers.lookup(spec.events) for stype, spec in profile.spans.items() if spec.events}
        self._logs = {stype: writers.lookup(spec.logs) for stype, spec in profile.spans.items() if spec.logs}
        self._plans = {
            stype: (
                spec.kind,
                self._writers[stype],
                self._events.get(stype),
                self._logs.get(stype),
                self._statuses[stype],
                stype in _CAN_FAIL,
                stype in _DIALECT_KIND,
            )
            for stype, spec in profile.spans.items()
        }
        self._profile_static: dict[tuple[Any, ...], tuple[bytes, bytes, frozenset[str]]] = {}
        self._dialect_keys: dict[tuple[str, str], frozenset[str]] = {}
        self.shared = Shared()  #: message conversions kept across traces (see ``values``)

    # -- encoding ---------------------------------------------------------------------------------------------

    def encode(
        self, trace: PlannedTrace, end_ns: int | None = None, start_ns: int | None = None, scale: float = 1.0
    ) -> EncodedTrace:
        """As :meth:`Instrumentation.encode`; ``EncodedTrace.ends`` has each output span's end offset (framework
        spans included) for batch delivery's real-time scheduler."""
        if scale != 1.0:
            for span in trace.spans:  # the planned trace is this call's own: scaling it in place is safe
                span.start, span.end = int(span.start / scale), int(span.end / scale)
        nodes = layout(trace, self.profile.structure)
        first = min(node.start for node in nodes)
        if first < 0:  # framework wrappers start just before the root agent: keep offsets from the trace start
            for node in nodes:
                node.start -= first
                node.end -= first
        base = start_ns if start_ns is not None else (end_ns or time.time_ns()) - nodes[0].end
        getrandbits = self._ids.getrandbits
        trace_id = getrandbits(128).to_bytes(16, "big")
        span_ids = [(getrandbits(63) + 1).to_bytes(8, "big") for _ in nodes]
        ctx = Ctx(trace, nodes, self._ids, base, trace_id, span_ids, self.shared)
        chunk_lists, sizes = [], []
        node_of, count = self._node, len(nodes)
        for node in nodes:
            chunks, size = node_of(ctx, node, count)
            field = b"\x12" + varint(size)  # ScopeSpans.spans, in the slot _node left for it
            chunks[0] = field
            chunk_lists.append(chunks)
            sizes.append(len(field) + size)
        return EncodedTrace(
            chunk_lists, sizes, trace_id, len(nodes), depth(nodes), ctx.log_records, ends=[node.end for node in nodes]
        )

    def _node(self, ctx: Ctx, node: Node, count: int) -> tuple[list[bytes], int]:
        """A span's chunks (the first left empty for the field header) and their size."""
        stype = node.stype
        kind, writers, events, logs, status, can_fail, dialect_kind = self._plans[stype]
        name_field, static, keys = self._static_of(node)
        span_ids = ctx.span_ids
        head = otlp.span_head(
            ctx.trace_id,
            span_ids[node.index],
            span_ids[node.parent] if node.parent >= 0 else None,
            name_field,
            kind,
            ctx.base + node.start,
            ctx.base + node.end,
        )
        out = [b"", head, static]
        size = len(head) + len(static)
        value = None
        for field_, write, mode in writers:
            if mode is _VALUE:
                value = write(ctx, node)
                size += _put(out, field_, value)
            elif mode is _BLOCK:
                size += write(ctx, node, out)
            elif mode is _AGAIN:  # the previous key's value (the same pure writer)
                size += _put(out, field_, value)
            else:  # a constant, encoded once
                out.append(write)
                size += len(write)
        if node.index == 0:
            root = (
                otlp.attr_str("otel_locust.scenario", ctx.trace.scenario.name)
                + otlp.attr_int("otel_locust.trace.span_count", count)
                + b"".join(dialect.root(ctx.trace) for dialect in self.dialects)
            )
            out.append(root)
            size += len(root)
        if dialect_kind and self.dialects:
            size += self._dialects(ctx, node, out, keys)
        if events is not None:
            size += events(ctx, node, out)
        if logs is not None:
            logs(ctx, node, out)
        error = node.span.error if can_fail else None
        if error:  # ERROR with error.type on a failed tool or model call (every framework marks an exception)
            status = otlp.attr_str("error.type", error) + otlp.span_status(otlp.STATUS_ERROR, error)
        if status:
            out.append(status)
            size += len(status)
        return out, size

    # -- static attributes --------------------------------------------------------------------------------------

    def _static_of(self, node: Node) -> tuple[bytes, bytes, frozenset[str]]:
        span = node.span
        step = span.tool or span.model or span.agent
        key = (node.stype, id(step), id(node.agent), id(node.target), node.parent < 0, span.parent < 0)
        found = self._profile_static.get(key)
        if found is None:
            found = self._profile_static[key] = self._make(node)
        return found

    def _make(self, node: Node) -> tuple[bytes, bytes, frozenset[str]]:
        from otel_locust.encoding.profiles.writers import resolve

        spec = self.profile.spans[node.stype]
        encoded, keys = [], set()
        for key, value in spec.static:
            value = resolve(value, node)
            if value is None:
                continue
            encoded.append(_encode(key, value))
            keys.add(key)
        keys.update(key for key, _ in spec.dynamic if not key.startswith("*"))
        name = spec.name.format(**_names(node))
        return otlp.span_name(name), b"".join(encoded), frozenset(keys)

    # -- dialects on top ----------------------------------------------------------------------------------------

    def _dialects(self, ctx: Ctx, node: Node, out: list[bytes], keys: frozenset[str]) -> int:
        """The platform dialects' keys for a planned span, minus the keys the profile set (or writes as blocks)."""
        kind = _DIALECT_KIND[node.stype]
        span, size = node.span, 0
        for dialect in self.dialects:
            scratch: list[bytes] = [self._dialect_static(dialect, kind, node)]
            method = getattr(dialect, kind, None)
            if method is not None:
                method(span, ctx.trace, scratch)
            taken = self._dialect_keys.get((dialect.name, node.stype))
            body = b"".join(scratch)
            if taken is None:
                taken = self._dialect_keys[(dialect.name, node.stype)] = frozenset(_keys_of(body)) & (
                    keys | _block_keys(self.profile.spans[node.stype])
                )
            if taken:
                body = b"".join(f for k, f in _entries(body) if k not in taken)
            out.append(body)
            size += len(body)
        return size

    @staticmethod
    def _dialect_static(dialect: Dialect, kind: str, node: Node) -> bytes:
        span = node.span
        if kind == "agent":
            return dialect.agent_static(span.agent)
        if kind == "llm" and span.model is not None:
            return dialect.llm_static(span.agent, span.model)
        if kind == "tool" and span.tool is not None:
            return dialect.tool_static(span.tool)
        if span.http is not None:
            return dialect.http_static(span.http)
        raise ValueError(f"a planned {kind} span without its model, tool or request")


def _names(node: Node) -> dict[str, str]:
    span = node.span
    return {
        "agent": node.agent.name,
        "model": span.model.name if span.model else node.agent.model.name,
        "tool": span.tool.name if span.tool else f"transfer_to_{node.target.name}" if node.target else "",
        "target": node.target.name if node.target else "",
        "method": span.http.method if span.http else "",
        "route": span.http.route if span.http else "",
    }


def _encode(key: str, value: Any) -> bytes:
    if isinstance(value, bool):
        return otlp.attr_bool(key, value)
    if isinstance(value, int):
        return otlp.attr_int(key, value)
    if isinstance(value, float):
        return otlp.attr_double(key, value)
    if isinstance(value, (list, tuple)):
        return otlp.attr_str_array(key, value)
    return otlp.attr_str(key, value)


_VALUE, _BLOCK, _AGAIN, _CONSTANT = "value", "block", "again", "constant"
_VARINTS = [varint(n) for n in range(16384)]  #: (indexing this is cheaper than calling ``varint``)
_SHORT = 4096  #: values up to this size have every length prefix in ``_VARINTS``


class _Field:
    """A dynamic attribute's key, encoded once per profile: its ``KeyValue.key`` field and the value's tag
    (``kv``), and the whole head of an integer entry for each varint length, so a value takes one or two steps."""

    __slots__ = ("ints", "key", "kv")

    def __init__(self, key: str) -> None:
        self.key = key
        self.kv = otlp._key(key) + b"\x12"
        self.ints = [b"\x4a" + varint(len(self.kv) + 2 + n) + self.kv + bytes((1 + n,)) + b"\x18" for n in range(11)]


def _plan_writers(spec: SpanSpec) -> list[tuple[_Field, Any, str]]:
    """(key, writer or constant, mode) per dynamic entry of ``spec``, in order: block writers (``*...``) append
    their own attributes; a constant writer's attribute is encoded here, once (consecutive ones as one piece); a
    pure writer named again right after itself (e.g. ``prompt_tokens`` and ``input_tokens``) reuses the value
    it gave."""
    from otel_locust.encoding.profiles import writers

    planned: list[tuple[_Field, Any, str]] = []
    previous = ""
    for key, name in spec.dynamic:
        field = _Field(key)  # (unused by blocks and constants)
        if key.startswith("*"):
            planned.append((field, writers.lookup(name), _BLOCK))
        elif name in writers.CONSTANTS:
            encoded = _encode(key, writers.CONSTANTS[name])
            if planned and planned[-1][2] is _CONSTANT:  # (constants in a row: one piece)
                encoded = planned.pop()[1] + encoded
            planned.append((field, encoded, _CONSTANT))
        elif name == previous and name in writers.PURE:
            planned.append((field, None, _AGAIN))
        else:
            planned.append((field, writers.lookup(name), _VALUE))
        previous = name
    return planned


def _put(out: list[bytes], field: _Field, value: Any) -> int:
    """Append one dynamic value (None: the key is left out; ``(pieces, size)``: a large string, not copied),
    encoded as ``otlp.attr_int``/``attr_str`` would (other types: as :func:`_encode`)."""
    kind = type(value)
    if kind is int:
        number = varint(value)
        encoded = field.ints[len(number)] + number
    elif kind is bytes or kind is str:
        raw = value if kind is bytes else value.encode()
        size = len(raw)
        if size > 512 and kind is bytes:
            return otlp.keyed_str_pieces(out, field.kv, (raw,), size)
        if size > _SHORT:
            encoded = otlp.attr_str(field.key, raw)
        else:
            size_prefix = _VARINTS[size]
            any_len = 1 + len(size_prefix) + size
            any_prefix = _VARINTS[any_len]
            kv = field.kv
            encoded = b"".join(
                (b"\x4a", _VARINTS[len(kv) + len(any_prefix) + any_len], kv, any_prefix, b"\x0a", size_prefix, raw)
            )
    elif kind is tuple:  # (pieces, size)
        return otlp.keyed_str_pieces(out, field.kv, value[0], value[1])
    elif value is None:
        return 0
    else:
        encoded = _encode(field.key, value)
    out.append(encoded)
    return len(encoded)


def _block_keys(spec: SpanSpec) -> frozenset[str]:
    """Keys the profile's block writers own (listed after ``*`` in the spec, e.g. ``*input.value``)."""
    return frozenset(k for key, _ in spec.dynamic if key.startswith("*") for k in key[1:].split(",") if k)


def _entries(body: bytes) -> list[tuple[str, bytes]]:
    """(key, whole field) of each attribute entry in a concatenation of ``attr_*`` fields."""
    found = []
    for _, start, payload, end in otlp._fields(body, 0, len(body)):
        # KeyValue.key is the first field: tag 0x0a, a varint length, then the key
        length, pos = otlp.read_varint(body, payload + 1)
        found.append((body[pos : pos + length].decode(), body[start:end]))
    return found


def _keys_of(body: bytes) -> list[str]:
    return [key for key, _ in _entries(body)]


__all__ = ["Profile", "ProfileInstrumentation", "SpanSpec", "Structure"]
