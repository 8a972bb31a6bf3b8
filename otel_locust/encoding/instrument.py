"""The one shared instrumentation layer: a planned trace becomes OTel spans, encoded as OTLP protobuf.

Span names and kinds follow the GenAI conventions (``invoke_agent {agent}`` INTERNAL, ``chat {model}`` CLIENT,
``execute_tool {tool}`` INTERNAL; for retrieval ``embeddings {model}``, ``retrieval {data source}`` and
``rerank {model}`` CLIENT, ``apply_guardrail {guardian}`` INTERNAL), the MCP conventions for the calls MCP tools
make (``tools/call {tool}`` CLIENT) and HTTP conventions for the calls other tools make (``{method} {route}``
CLIENT). Online evaluations of answers are ``gen_ai.evaluation.result`` events on the evaluated model span.
Attributes come from the configured dialects. Each trace gets fresh random ids (ids are not part of the seeded
content) and timestamps that end "now", so backends see traces that just finished.

This module does not use the OTel SDK's span objects: building those costs about 46 us per span, several times
the whole budget. No global TracerProvider is touched, so Locust's own ``--otel`` keeps working beside it.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from otel_locust import __version__
from otel_locust.encoding import logs as otlp_logs
from otel_locust.encoding import otlp
from otel_locust.encoding.dialects import Dialect
from otel_locust.engine.trace import RAG_KINDS, PlannedSpan, PlannedTrace

_KINDS = {
    "agent": otlp.KIND_INTERNAL,
    "llm": otlp.KIND_CLIENT,
    "tool": otlp.KIND_INTERNAL,
    "http": otlp.KIND_CLIENT,
    "embedding": otlp.KIND_CLIENT,
    "retrieval": otlp.KIND_CLIENT,
    "rerank": otlp.KIND_CLIENT,
    "guardrail": otlp.KIND_INTERNAL,
}
_RAG_NAMES = {
    "embedding": "embeddings {model}",
    "retrieval": "retrieval {source}",
    "rerank": "rerank {model}",
    "guardrail": "apply_guardrail {guardian}",
}


@dataclass(slots=True)
class EncodedTrace:
    """A trace's spans, each an encoded chunk list (ready for ``otlp.export_request``) with its size.

    ``probe_span``/``probe_inside`` point at the trace's largest ``gen_ai.input.messages`` value (the inside of
    its JSON array, not copied): read-back checksums it, only for the traces it samples (:func:`probe_crc32`),
    to tell a backend that truncated a large attribute from one that stored it whole.
    """

    spans: list[list[bytes]]
    sizes: list[int]
    trace_id: bytes
    count: int = 0  #: spans sent (a framework profile adds its own spans to the planned ones)
    depth: int = 0
    logs: list[bytes] = field(default_factory=list)  #: encoded log records (``encoding.logs``), if any
    ends: list[int] = field(default_factory=list)  #: each span's end, ns after the trace's start (real-time delivery)
    probe_span: bytes = b""
    probe_inside: bytes = b""

    def probe_crc32(self) -> tuple[int, int]:
        """(length, CRC-32) of the probe attribute's value as sent (``[`` + inside + ``]``); (0, 0) without one."""
        if not self.probe_span:
            return 0, 0
        return len(self.probe_inside) + 2, zlib.crc32(b"]", zlib.crc32(self.probe_inside, zlib.crc32(b"[")))


@dataclass(slots=True, eq=False)
class OtlpRequest:
    """One request body and its span count. It keeps no encoded pieces (holding hundreds of small objects per
    trace in flight would make the garbage collector slower); a refused request is split by re-reading its body."""

    body: bytes
    spans: int
    envelope: Instrumentation

    def halves(self) -> list[OtlpRequest]:
        """Two requests with half the spans each; empty when there is a single span (nothing to split)."""
        if self.spans < 2:
            return []
        fields = otlp.split_spans(self.body)
        middle = len(fields) // 2
        return [self.envelope.wrap(fields[:middle]), self.envelope.wrap(fields[middle:])]


class Instrumentation:
    """Turns planned traces into OTLP requests with the given dialects and resource."""

    sends_logs = False  #: whether encoded traces carry OTLP log records (framework profiles that put content there)

    def __init__(
        self,
        dialects: Sequence[Dialect],
        service_name: str = "travel-agent",
        resource_attributes: dict[str, str] | None = None,
        ids: random.Random | None = None,
    ) -> None:
        self.dialects = tuple(dialects)
        # per span kind, the dialects' methods that add dynamic attributes (looked up once, not per span)
        self._dynamic = {
            "agent": [d.agent for d in dialects],
            "llm": [d.llm for d in dialects],
            "tool": [d.tool for d in dialects],
            "http": [],
            "mcp": [d.mcp for d in dialects],
            **{kind: [d.rag for d in dialects] for kind in RAG_KINDS},
        }
        self._ids = ids or random.Random()
        self._static: dict[tuple[str, int, int], tuple[bytes, bytes]] = {}
        attrs = {
            "service.name": service_name,
            "service.version": __version__,
            "telemetry.sdk.name": "otel-locust",
            "telemetry.sdk.language": "python",
            "deployment.environment.name": "loadtest",
            **(resource_attributes or {}),
        }
        encoded = b"".join(otlp.attr_str(k, v, b"\x0a") for k, v in attrs.items())
        encoded += otlp.attr_bool("otel_locust.synthetic", True, b"\x0a")
        self.resource = otlp.resource(encoded)
        self.scope = otlp.scope("otel_locust", __version__)

    def encode(
        self, trace: PlannedTrace, end_ns: int | None = None, start_ns: int | None = None, scale: float = 1.0
    ) -> EncodedTrace:
        """Encode every span. By default the root ends now (a trace that just finished, sent whole); with
        ``start_ns`` the trace starts then and unfolds in real time, its planned timeline ``scale`` times faster."""
        spans = trace.spans
        if scale != 1.0:
            for span in spans:  # the planned trace is this call's own: scaling it in place is safe
                span.start, span.end = int(span.start / scale), int(span.end / scale)
        base = start_ns if start_ns is not None else (end_ns or time.time_ns()) - spans[0].end
        getrandbits = self._ids.getrandbits
        trace_id = getrandbits(128).to_bytes(16, "big")
        span_ids = [(getrandbits(63) + 1).to_bytes(8, "big") for _ in spans]
        chunk_lists, sizes = [], []
        probe, probe_len, probe_id = None, -1, b""
        for index, span in enumerate(spans):
            parent = span_ids[span.parent] if span.parent >= 0 else None
            chunks, size = self._span(span, trace, trace_id, span_ids[index], parent, base, index == 0)
            chunk_lists.append(otlp.wrap_span(chunks, size))
            sizes.append(len(chunks[0]) + size)
            if span.kind == "llm" and span.input_json:
                length = len(span.input_json)  # the largest wins; ties go to the larger span id (the sink's rule)
                if length > probe_len or (length == probe_len and span_ids[index] > probe_id):
                    probe, probe_len, probe_id = span.input_json, length, span_ids[index]
        if probe is None:
            return EncodedTrace(
                chunk_lists, sizes, trace_id, len(spans), trace.depth, ends=[span.end for span in spans]
            )
        return EncodedTrace(
            chunk_lists,
            sizes,
            trace_id,
            len(spans),
            trace.depth,
            probe_span=probe_id,
            probe_inside=probe,
            ends=[span.end for span in spans],
        )

    def requests(self, encoded: EncodedTrace, max_bytes: int = 0) -> list[OtlpRequest]:
        """Pack the spans into requests of at most ``max_bytes`` each (0: one request per trace).

        A single span larger than the limit still goes alone: the exporter decides whether to send or refuse it.
        """
        return self.pack(encoded.spans, encoded.sizes, max_bytes)

    def pack(self, spans: list[list[bytes]], sizes: list[int], max_bytes: int = 0) -> list[OtlpRequest]:
        overhead = len(self.resource) + len(self.scope) + 16
        total = sum(sizes)
        if not max_bytes or total + overhead <= max_bytes:
            return [OtlpRequest(self._body(spans, total), len(spans), self)]
        requests: list[OtlpRequest] = []
        batch: list[list[bytes]] = []
        batch_size = 0
        for chunks, size in zip(spans, sizes, strict=True):
            if batch and batch_size + size + overhead > max_bytes:
                requests.append(OtlpRequest(self._body(batch, batch_size), len(batch), self))
                batch, batch_size = [], 0
            batch.append(chunks)
            batch_size += size
        requests.append(OtlpRequest(self._body(batch, batch_size), len(batch), self))
        return requests

    def wrap(self, span_fields: list[bytes]) -> OtlpRequest:
        """A request around already-encoded span fields (see ``otlp.split_spans``)."""
        return OtlpRequest(self._body([[f] for f in span_fields], sum(map(len, span_fields))), len(span_fields), self)

    def log_request(self, records: list[bytes]) -> bytes:
        """An ExportLogsServiceRequest body for ``records``, with this instrumentation's resource and scope."""
        return otlp_logs.export_request(self.resource, self.scope, records)

    def _body(self, spans: list[list[bytes]], size: int) -> bytes:
        return otlp.export_request(self.resource, self.scope, spans, size)

    # -- one span ---------------------------------------------------------------------------------------------

    def _static_for(self, span: PlannedSpan) -> tuple[bytes, bytes]:
        """(name field, static attributes) for the step behind ``span``, encoded once."""
        step = span.http or span.tool or span.model or span.agent
        key = (span.kind, id(step), id(span.agent))
        cached = self._static.get(key)
        if cached is None:
            cached = self._static[key] = self._make_static(span)
        return cached

    def _make_static(self, span: PlannedSpan) -> tuple[bytes, bytes]:
        if (step := span.retrieve) is not None:
            model = span.model
            name = _RAG_NAMES[span.kind].format(
                model=model.name if model else "", source=step.source, guardian=step.guardian
            )
            static = b"".join(d.rag_static(span.kind, step, model) for d in self.dialects)
        elif span.kind == "http" and span.tool is not None and span.tool.mcp:
            name = f"tools/call {span.tool.name}"
            static = b"".join(d.mcp_static(span.tool) for d in self.dialects)
        elif span.kind == "agent":
            name = f"invoke_agent {span.agent.name}"
            static = b"".join(d.agent_static(span.agent) for d in self.dialects)
        elif span.kind == "llm" and (model := span.model) is not None:
            name = f"chat {model.name}"
            static = b"".join(d.llm_static(span.agent, model) for d in self.dialects)
        elif span.kind == "tool" and (tool := span.tool) is not None:
            name = f"execute_tool {tool.name}"
            static = b"".join(d.tool_static(tool) for d in self.dialects)
        elif (http := span.http) is not None:
            name = f"{http.method} {http.route}"
            static = b"".join(d.http_static(http) for d in self.dialects)
        else:
            raise ValueError(f"a planned {span.kind} span without its model, tool or request")
        return otlp.span_name(name), static

    def _span(
        self,
        span: PlannedSpan,
        trace: PlannedTrace,
        trace_id: bytes,
        span_id: bytes,
        parent: bytes | None,
        base: int,
        is_root: bool,
    ) -> tuple[list[bytes], int]:
        name_field, static = self._static_for(span)
        head = otlp.span_head(
            trace_id, span_id, parent, name_field, _KINDS[span.kind], base + span.start, base + span.end
        )
        out = [head, static]
        size = len(head) + len(static)
        mcp = span.kind == "http" and span.tool is not None and bool(span.tool.mcp)
        for add in self._dynamic["mcp" if mcp else span.kind]:
            size += add(span, trace, out)
        if span.evaluations:
            events = self._evaluations(span, base + span.end)
            out.append(events)
            size += len(events)
        if is_root:
            root = (
                otlp.attr_str("otel_locust.scenario", trace.scenario.name)
                + otlp.attr_int("otel_locust.trace.span_count", len(trace.spans))
                + otlp.attr_int("otel_locust.conversation.turn", trace.turn)
                + b"".join(dialect.root(trace) for dialect in self.dialects)
            )
            out.append(root)
            size += len(root)
        if mcp:
            tail = self._mcp_outcome(span)
            out.append(tail)
            size += len(tail)
        elif span.kind == "http":
            tail = self._http_outcome(span)
            out.append(tail)
            size += len(tail)
        elif span.error:
            tail = self._error(span, base + span.end)
            out.append(tail)
            size += len(tail)
        return out, size

    @staticmethod
    def _evaluations(span: PlannedSpan, time_ns: int) -> bytes:
        """A ``gen_ai.evaluation.result`` event per online evaluation, on the evaluated span (as the conventions
        ask), stamped at its end: the evaluator judged the finished answer."""
        events = b""
        for ev in span.evaluations:
            attrs = (
                otlp.attr_str("gen_ai.evaluation.name", ev.name, b"\x1a")
                + otlp.attr_double("gen_ai.evaluation.score.value", ev.score, b"\x1a")
                + otlp.attr_str("gen_ai.evaluation.score.label", ev.label, b"\x1a")
                + otlp.attr_str("gen_ai.evaluation.explanation", ev.explanation, b"\x1a")
                + otlp.attr_str("gen_ai.response.id", span.response_id, b"\x1a")
            )
            events += otlp.span_event("gen_ai.evaluation.result", time_ns, attrs)
        return events

    @staticmethod
    def _mcp_outcome(span: PlannedSpan) -> bytes:
        """An MCP call that failed: the JSON-RPC error code, ``error.type`` and status ERROR."""
        if span.error is None:
            return b""
        return (
            otlp.attr_str("rpc.response.status_code", "-32603")
            + otlp.attr_str("error.type", span.error)
            + otlp.span_status(otlp.STATUS_ERROR, f"{span.error} from the MCP server")
        )

    @staticmethod
    def _http_outcome(span: PlannedSpan) -> bytes:
        error = span.error
        if error is None:
            return otlp.attr_int("http.response.status_code", 200)
        if error.isdigit():
            return (
                otlp.attr_int("http.response.status_code", int(error))
                + otlp.attr_str("error.type", error)
                + otlp.span_status(otlp.STATUS_ERROR)
            )
        return otlp.attr_str("error.type", error) + otlp.span_status(otlp.STATUS_ERROR, error)

    @staticmethod
    def _error(span: PlannedSpan, time_ns: int) -> bytes:
        """error.type, an ``exception`` event and status ERROR, as the conventions ask for failed operations."""
        subject = span.tool.name if span.tool else f"chat {span.model.name}" if span.model else span.agent.name
        message = f"{subject} failed: {span.error}"
        event_attrs = otlp.attr_str("exception.type", span.error or "", b"\x1a") + otlp.attr_str(
            "exception.message", message, b"\x1a"
        )
        return (
            otlp.attr_str("error.type", span.error or "")
            + otlp.span_event("exception", time_ns, event_attrs)
            + otlp.span_status(otlp.STATUS_ERROR, message)
        )
