"""Attribute dialects: which attributes each kind of planned span carries, for the backends that read them.

The OpenTelemetry GenAI semantic conventions (v1.41 core plus the ``semantic-conventions-genai`` renames) are
always emitted. On top, a platform adds the dialect its UI reads (``shared/reference/dialects.md`` section 8):
OpenInference for Phoenix, ``langsmith.*``, ``braintrust.*``, ``langfuse.*``, and MLflow's session/user keys.

A dialect contributes *static* attributes per scenario step (encoded once, cached by the instrumentation layer)
and *dynamic* ones per span, appended to ``out`` (returning the bytes appended). Message arrays are encoded once
per span (:func:`messages`) and shared by every dialect that repeats them.

Retrieval spans (embeddings, retrieval, rerank, guardrail of a ``Retrieve`` step) and MCP client spans have hooks
of their own (:meth:`Dialect.rag_static`/:meth:`Dialect.rag`, :meth:`Dialect.mcp_static`/:meth:`Dialect.mcp`).

Duplicated content, decided consciously: where a backend only shows inputs and outputs from its own keys
(OpenInference ``input.value``/``output.value``, Braintrust's ``*_json`` on tool and agent spans) the dialect
repeats the message JSON under those keys, which is what that backend's own instrumentations send. Where a
backend reads the GenAI keys itself (LangSmith, Langfuse, MLflow, Braintrust on model spans) nothing is
repeated. OpenInference's flattened ``llm.input_messages.N.*`` form is not emitted: Phoenix renders
``input.value`` JSON, and the flattened copy would triple the bytes of every model span.
"""

from __future__ import annotations

import json
import uuid
import zlib

from otel_locust.encoding import otlp
from otel_locust.encoding.usage import time_to_first_chunk, usage_extras
from otel_locust.engine.scenario import Agent, Http, Model, Retrieve, Tool
from otel_locust.engine.trace import Document, PlannedSpan, PlannedTrace

_FINISH_REASONS = {
    reason: otlp.attr_str_array("gen_ai.response.finish_reasons", [reason])
    for reason in ("stop", "tool_call", "length", "error", "content_filter", "compaction")
}
_COMPACTED = otlp.attr_bool("gen_ai.conversation.compacted", True)


MCP_PROTOCOL = "2025-06-18"


def _json_message(role: str, parts: bytes) -> bytes:
    """A message of the parts format. Output messages carry no ``finish_reason``: deprecated there by the GenAI
    conventions, it is reported in ``gen_ai.response.finish_reasons`` only."""
    return b'{"role":"' + role.encode() + b'","parts":[' + parts + b"]}"


def _text_part(text: bytes) -> bytes:
    return b'{"type":"text","content":' + text + b"}"


def messages(span: PlannedSpan) -> tuple[bytes, bytes]:
    """The span's input and output messages (GenAI parts format), encoded once per span.

    Each is the *inside* of a JSON array: :func:`_array` adds the brackets without copying the (large) history.
    """
    if not span.input_json:
        if span.kind == "llm":
            span.input_json = b",".join(span.history)
            # a failed call has no response: an empty output array
            span.output_json = b"" if span.error else _json_message("assistant", span.output)
        else:
            span.input_json = _json_message("user", _text_part(span.task))
            span.output_json = _json_message("assistant", _text_part(span.answer))
    return span.input_json, span.output_json


def _big(out: list[bytes], key: str, value: bytes) -> int:
    """A large string attribute appended without copying ``value``."""
    return otlp.attr_str_pieces(out, key, (value,), len(value))


def _array(out: list[bytes], key: str, inside: bytes) -> int:
    """A JSON array attribute from its inside, appended without copying it."""
    return otlp.attr_str_pieces(out, key, (b"[", inside, b"]"), len(inside) + 2)


def _append(out: list[bytes], encoded: bytes) -> int:
    out.append(encoded)
    return len(encoded)


def tool_definitions(tools: tuple[Tool, ...]) -> str:
    """``gen_ai.tool.definitions`` JSON for the tools an agent offers its model."""
    return json.dumps(
        [
            {"type": "function", "name": t.name, "description": t.description, "parameters": json.loads(t.parameters)}
            for t in tools
        ],
        separators=(",", ":"),
    )


_STREAM = otlp.attr_bool("gen_ai.request.stream", True)


def _usage_details(span: PlannedSpan) -> bytes:
    """Cache and reasoning tokens (inside the input/output totals). The provider caches the prompt prefix a
    previous call of the agent sent: everything but the two newest messages; the hit rate grows with the
    conversation (see ``profiles.values.usage_extras``)."""
    history = span.history
    previous = 0
    if len(history) > 2:
        previous = int((span.history_bytes - len(history[-1]) - len(history[-2]) + len(span.system)) / 4)
    cache_read, cache_write, reasoning = usage_extras(span, previous, max(0, len(history) - 1) // 2)
    out = b""
    if cache_read:
        out += otlp.attr_int("gen_ai.usage.cache_read.input_tokens", min(cache_read, span.input_tokens))
    if cache_write:
        out += otlp.attr_int("gen_ai.usage.cache_write.input_tokens", cache_write)
    if reasoning:
        out += otlp.attr_int("gen_ai.usage.reasoning.output_tokens", reasoning)
    return out


def documents_json(documents: tuple[Document, ...]) -> bytes:
    """``gen_ai.retrieval.documents``: ``[{"id":...,"score":...}]``, best first (ids and scores, no content)."""
    return (
        b"[" + b",".join(b'{"id":"%s","score":%s}' % (d.id.encode(), repr(d.score).encode()) for d in documents) + b"]"
    )


_TEXTS: dict[bytes, str] = {}


def text_of(literal: bytes) -> str:
    """The text of a JSON string literal (pool entries repeat: decoded once, bounded cache)."""
    found = _TEXTS.get(literal)
    if found is None:
        if len(_TEXTS) > 4096:
            _TEXTS.clear()
        found = _TEXTS[literal] = json.loads(literal)
    return found


_SESSIONS: dict[tuple[str, str], str] = {}


def mcp_session(conversation_id: str, server: str) -> str:
    """The MCP session of a conversation with one server: a stable UUID (one session per conversation)."""
    key = (conversation_id, server)
    found = _SESSIONS.get(key)
    if found is None:
        if len(_SESSIONS) > 10_000:
            _SESSIONS.clear()
        seed = zlib.crc32(server.encode(), zlib.crc32(conversation_id.encode()))
        found = _SESSIONS[key] = str(uuid.UUID(int=(seed << 96) | zlib.crc32(conversation_id.encode()[::-1])))
    return found


class Dialect:
    """Base dialect: contributes nothing. Subclasses override the parts they need."""

    name = "none"

    def agent_static(self, agent: Agent) -> bytes:
        return b""

    def llm_static(self, agent: Agent, model: Model) -> bytes:
        return b""

    def tool_static(self, tool: Tool) -> bytes:
        return b""

    def http_static(self, http: Http) -> bytes:
        return b""

    def rag_static(self, kind: str, step: Retrieve, model: Model | None) -> bytes:
        """Static attributes of one span of a Retrieve step (``kind``: embedding, retrieval, rerank, guardrail)."""
        return b""

    def mcp_static(self, tool: Tool) -> bytes:
        """Static attributes of the MCP ``tools/call`` client span under an MCP tool's span."""
        return b""

    def root(self, trace: PlannedTrace) -> bytes:
        """Extra attributes of the root span (trace-level fields)."""
        return b""

    def agent(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        return 0

    def llm(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        return 0

    def tool(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        return 0

    def rag(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        return 0

    def mcp(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        return 0


class _SessionCache:
    """Encoded per-session attributes (conversation and user ids change every few traces, not per span)."""

    def __init__(self, keys: tuple[str, ...], user_keys: tuple[str, ...] = ()) -> None:
        self._keys, self._user_keys = keys, user_keys
        self._cache: dict[tuple[str, str], bytes] = {}

    def __call__(self, trace: PlannedTrace) -> bytes:
        key = (trace.conversation_id, trace.user_id)
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) > 10_000:
                self._cache.clear()
            cached = b"".join(otlp.attr_str(k, trace.conversation_id) for k in self._keys) + b"".join(
                otlp.attr_str(k, trace.user_id) for k in self._user_keys
            )
            self._cache[key] = cached
        return cached


class GenAI(Dialect):
    """OpenTelemetry GenAI semantic conventions: names, usage, messages in the JSON parts format."""

    name = "genai"

    def __init__(self) -> None:
        self._system_cache: dict[bytes, bytes] = {}
        self._conversation = _SessionCache(("gen_ai.conversation.id",))

    def agent_static(self, agent: Agent) -> bytes:
        return (
            otlp.attr_str("gen_ai.operation.name", "invoke_agent")
            + otlp.attr_str("gen_ai.provider.name", agent.model.provider)
            + otlp.attr_str("gen_ai.agent.name", agent.name)
            + otlp.attr_str("gen_ai.agent.description", agent.description)
            + otlp.attr_str("gen_ai.request.model", agent.model.name)
            + (otlp.attr_str("gen_ai.tool.definitions", tool_definitions(agent.tools)) if agent.tools else b"")
        )

    def llm_static(self, agent: Agent, model: Model) -> bytes:
        return (
            otlp.attr_str("gen_ai.operation.name", "chat")
            + otlp.attr_str("gen_ai.provider.name", model.provider)
            + otlp.attr_str("gen_ai.request.model", model.name)
            + otlp.attr_str("gen_ai.response.model", model.response_model)
            + otlp.attr_str("server.address", model.host)
            + otlp.attr_int("server.port", 443)
            + otlp.attr_double("gen_ai.request.temperature", 0.2)
            + otlp.attr_int("gen_ai.request.max_tokens", 4096)
            + otlp.attr_str("gen_ai.output.type", "text")
        )

    def tool_static(self, tool: Tool) -> bytes:
        mcp = (
            otlp.attr_str("mcp.method.name", "tools/call") + otlp.attr_str("mcp.protocol.version", MCP_PROTOCOL)
            if tool.mcp
            else b""
        )
        return (
            otlp.attr_str("gen_ai.operation.name", "execute_tool")
            + otlp.attr_str("gen_ai.tool.name", tool.name)
            + otlp.attr_str("gen_ai.tool.description", tool.description)
            + otlp.attr_str("gen_ai.tool.type", "function")
            + mcp
        )

    def mcp_static(self, tool: Tool) -> bytes:
        http = tool.http[0]
        return (
            otlp.attr_str("mcp.method.name", "tools/call")
            + otlp.attr_str("gen_ai.tool.name", tool.name)
            + otlp.attr_str("mcp.protocol.version", MCP_PROTOCOL)
            + otlp.attr_str("server.address", http.host)
            + otlp.attr_int("server.port", 443)
            + otlp.attr_str("network.transport", "tcp")
            + otlp.attr_str("network.protocol.name", "http")
        )

    def mcp(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        return _append(out, self._rpc(span, trace))

    @staticmethod
    def _rpc(span: PlannedSpan, trace: PlannedTrace) -> bytes:
        """The MCP session (one per conversation and server) and the JSON-RPC id of the ``tools/call``."""
        server = span.tool.mcp if span.tool else ""
        return otlp.attr_str("mcp.session.id", mcp_session(trace.conversation_id, server)) + otlp.attr_str(
            "jsonrpc.request.id", str((trace.turn - 1) * 1000 + span.rpc_id)
        )

    def rag_static(self, kind: str, step: Retrieve, model: Model | None) -> bytes:
        if kind == "guardrail":
            return (
                otlp.attr_str("gen_ai.operation.name", "apply_guardrail")
                + otlp.attr_str("gen_ai.guardian.name", step.guardian)
                + otlp.attr_str("gen_ai.security.target.type", "knowledge_result")
            )
        if kind == "retrieval":
            return (
                otlp.attr_str("gen_ai.operation.name", "retrieval")
                + otlp.attr_str("gen_ai.data_source.id", step.source)
                + otlp.attr_str("server.address", step.store)
                + otlp.attr_int("server.port", 443)
            )
        assert model is not None
        common = (
            otlp.attr_str("gen_ai.provider.name", model.provider)
            + otlp.attr_str("gen_ai.request.model", model.name)
            + otlp.attr_str("gen_ai.response.model", model.response_model)
            + otlp.attr_str("server.address", model.host)
            + otlp.attr_int("server.port", 443)
        )
        if kind == "embedding":
            return (
                otlp.attr_str("gen_ai.operation.name", "embeddings")
                + common
                + otlp.attr_int("gen_ai.embeddings.dimension.count", step.dimensions)
                + otlp.attr_str_array("gen_ai.request.encoding_formats", ["float"])
            )
        return (
            otlp.attr_str("gen_ai.operation.name", "rerank")
            + common
            + otlp.attr_str("gen_ai.data_source.id", step.source)
        )

    def rag(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        kind = span.kind
        if kind == "embedding":
            return _append(out, otlp.attr_int("gen_ai.usage.input_tokens", span.input_tokens))
        if kind == "guardrail":
            return _append(
                out, self._conversation(trace) + otlp.attr_str("gen_ai.security.decision.type", span.decision)
            )
        return _append(
            out,
            otlp.attr_str("gen_ai.retrieval.query.text", text_of(span.query))
            + otlp.attr_int("gen_ai.retrieval.top_k", len(span.documents))
            + otlp.attr_str("gen_ai.retrieval.documents", documents_json(span.documents)),
        )

    def http_static(self, http: Http) -> bytes:
        return (
            otlp.attr_str("http.request.method", http.method)
            + otlp.attr_str("url.template", http.route)
            + otlp.attr_str("server.address", http.host)
            + otlp.attr_int("server.port", 443)
        )

    def agent(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        inputs, outputs = messages(span)
        return (
            _append(out, self._conversation(trace))
            + _array(out, "gen_ai.input.messages", inputs)
            + _array(out, "gen_ai.output.messages", outputs)
        )

    def llm(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        system = self._system_cache.get(span.system)
        if system is None:
            value = b'[{"type":"text","content":' + span.system + b"}]"
            system = self._system_cache[span.system] = otlp.attr_str("gen_ai.system_instructions", value)
        inputs, outputs = messages(span)
        if span.error:  # the call failed: what was sent, no response (status and error.type come from the layer)
            return _append(out, self._conversation(trace) + system) + _array(out, "gen_ai.input.messages", inputs)
        small = (
            self._conversation(trace)
            + system
            + otlp.attr_str("gen_ai.response.id", span.response_id)
            + _FINISH_REASONS[span.finish_reason]
            + otlp.attr_int("gen_ai.usage.input_tokens", span.input_tokens)
            + otlp.attr_int("gen_ai.usage.output_tokens", span.output_tokens)
            + _usage_details(span)
            + _STREAM
            + otlp.attr_double("gen_ai.response.time_to_first_chunk", round(time_to_first_chunk(span), 3))
            + (_COMPACTED if span.compacted else b"")
        )
        return (
            _append(out, small)
            + _array(out, "gen_ai.input.messages", inputs)
            + _array(out, "gen_ai.output.messages", outputs)
        )

    def tool(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        mcp = self._rpc(span, trace) if span.rpc_id else b""
        return (
            _append(out, otlp.attr_str("gen_ai.tool.call.id", span.call_id) + mcp)
            + _big(out, "gen_ai.tool.call.arguments", span.arguments)
            + _big(out, "gen_ai.tool.call.result", span.result)
        )


class OpenInference(Dialect):
    """Arize OpenInference (Phoenix): span kinds, ``llm.*`` model and token keys, input/output values."""

    name = "openinference"
    _JSON = otlp.attr_str("input.mime_type", "application/json") + otlp.attr_str("output.mime_type", "application/json")

    def __init__(self) -> None:
        self._session = _SessionCache(("session.id",), ("user.id",))

    def agent_static(self, agent: Agent) -> bytes:
        return otlp.attr_str("openinference.span.kind", "AGENT") + otlp.attr_str("agent.name", agent.name) + self._JSON

    def llm_static(self, agent: Agent, model: Model) -> bytes:
        return (
            otlp.attr_str("openinference.span.kind", "LLM")
            + otlp.attr_str("llm.model_name", model.name)
            + otlp.attr_str("llm.provider", model.provider)
            + otlp.attr_str("llm.system", model.provider)
            + self._JSON
        )

    def tool_static(self, tool: Tool) -> bytes:
        return (
            otlp.attr_str("openinference.span.kind", "TOOL")
            + otlp.attr_str("tool.name", tool.name)
            + otlp.attr_str("tool.description", tool.description)
            + otlp.attr_str("tool.parameters", tool.parameters)
            + self._JSON
        )

    def agent(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        inputs, outputs = messages(span)
        return (
            _append(out, self._session(trace))
            + _array(out, "input.value", inputs)
            + _array(out, "output.value", outputs)
        )

    def llm(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        tokens = (
            otlp.attr_int("llm.token_count.prompt", span.input_tokens)
            + otlp.attr_int("llm.token_count.completion", span.output_tokens)
            + otlp.attr_int("llm.token_count.total", span.input_tokens + span.output_tokens)
        )
        return self.agent(span, trace, out) + _append(out, tokens)

    def tool(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        return (
            _append(out, self._session(trace) + otlp.attr_str("tool.id", span.call_id))
            + _big(out, "input.value", span.arguments)
            + _big(out, "output.value", span.result)
        )

    _RAG_KINDS = {"embedding": "EMBEDDING", "retrieval": "RETRIEVER", "rerank": "RERANKER", "guardrail": "GUARDRAIL"}

    def rag_static(self, kind: str, step: Retrieve, model: Model | None) -> bytes:
        static = otlp.attr_str("openinference.span.kind", self._RAG_KINDS[kind])
        if kind == "embedding" and model is not None:
            static += otlp.attr_str("embedding.model_name", model.name)
        elif kind == "rerank" and model is not None:
            static += otlp.attr_str("reranker.model_name", model.name)
        return static

    def rag(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        """EMBEDDING: the text embedded; RETRIEVER and RERANKER: the query and the documents (id, score, content)
        flattened as OpenInference does; GUARDRAIL: the decision. Vectors are not sent (1,536 floats each)."""
        query = text_of(span.query)
        small = self._session(trace) + otlp.attr_str("input.value", query)
        kind = span.kind
        if kind == "embedding":
            return _append(out, small + otlp.attr_str("embedding.embeddings.0.embedding.text", query))
        if kind == "guardrail":
            return _append(out, small + otlp.attr_str("output.value", span.decision))
        prefix = "retrieval.documents"
        if kind == "rerank":
            small += otlp.attr_str("reranker.query", query) + otlp.attr_int("reranker.top_k", len(span.documents))
            prefix = "reranker.output_documents"
        size = _append(out, small)
        for n, doc in enumerate(span.documents):
            base = f"{prefix}.{n}.document."
            size += _append(out, otlp.attr_str(base + "id", doc.id) + otlp.attr_double(base + "score", doc.score))
            size += _append(out, otlp.attr_str(base + "content", text_of(doc.content)))
        return size


class _TypedSpans(Dialect):
    """A backend that types spans with one key per span kind and reads session and user on every span."""

    kind_key = ""
    kinds: dict[str, str] = {}
    session_keys: tuple[str, ...] = ()
    user_keys: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._session = _SessionCache(self.session_keys, self.user_keys)

    def agent_static(self, agent: Agent) -> bytes:
        return otlp.attr_str(self.kind_key, self.kinds["agent"])

    def llm_static(self, agent: Agent, model: Model) -> bytes:
        return otlp.attr_str(self.kind_key, self.kinds["llm"])

    def tool_static(self, tool: Tool) -> bytes:
        return otlp.attr_str(self.kind_key, self.kinds["tool"])

    def rag_static(self, kind: str, step: Retrieve, model: Model | None) -> bytes:
        return otlp.attr_str(self.kind_key, self.kinds[kind])

    def agent(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        return _append(out, self._session(trace))

    llm = agent
    tool = agent
    rag = agent


class LangSmith(_TypedSpans):
    """LangSmith: run types, the provider under its read key, and thread metadata."""

    name = "langsmith"
    kind_key = "langsmith.span.kind"
    kinds = {
        "agent": "chain",
        "llm": "llm",
        "tool": "tool",
        "embedding": "embedding",
        "retrieval": "retriever",
        "rerank": "retriever",
        "guardrail": "chain",
    }
    session_keys = ("langsmith.metadata.session_id",)
    user_keys = ("langsmith.metadata.user_id",)

    def llm_static(self, agent: Agent, model: Model) -> bytes:
        # LangSmith maps gen_ai.system (not gen_ai.provider.name) to ls_provider
        return super().llm_static(agent, model) + otlp.attr_str("gen_ai.system", model.provider)

    def root(self, trace: PlannedTrace) -> bytes:
        return otlp.attr_str("langsmith.trace.name", trace.scenario.name) + otlp.attr_str(
            "langsmith.span.tags", f"otel-locust,{trace.scenario.name}"
        )


class Braintrust(Dialect):
    """Braintrust: span types, and input/output where Braintrust does not read the GenAI keys."""

    name = "braintrust"

    def _type(self, kind: str, name: str) -> bytes:
        return otlp.attr_str("braintrust.span_attributes", json.dumps({"type": kind, "name": name}))

    def agent_static(self, agent: Agent) -> bytes:
        return self._type("task", f"invoke_agent {agent.name}")

    def llm_static(self, agent: Agent, model: Model) -> bytes:
        return self._type("llm", f"chat {model.name}")

    def tool_static(self, tool: Tool) -> bytes:
        return self._type("tool", f"execute_tool {tool.name}")

    def rag_static(self, kind: str, step: Retrieve, model: Model | None) -> bytes:
        return self._type("function", f"{kind} {step.source}")

    def root(self, trace: PlannedTrace) -> bytes:
        return otlp.attr_str(
            "braintrust.metadata",
            json.dumps(
                {"conversation_id": trace.conversation_id, "user_id": trace.user_id, "scenario": trace.scenario.name}
            ),
        ) + otlp.attr_str_array("braintrust.tags", ["otel-locust", trace.scenario.name])

    def agent(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        inputs, outputs = messages(span)
        return _array(out, "braintrust.input_json", inputs) + _array(out, "braintrust.output_json", outputs)

    def tool(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        return _big(out, "braintrust.input_json", span.arguments) + _big(out, "braintrust.output_json", span.result)


class Langfuse(_TypedSpans):
    """Langfuse: observation types, and session/user on every span (Langfuse reads them per span)."""

    name = "langfuse"
    kind_key = "langfuse.observation.type"
    kinds = {
        "agent": "agent",
        "llm": "generation",
        "tool": "tool",
        "embedding": "embedding",
        "retrieval": "retriever",
        "rerank": "retriever",
        "guardrail": "guardrail",
    }
    session_keys = ("session.id",)
    user_keys = ("user.id",)

    def llm_static(self, agent: Agent, model: Model) -> bytes:
        return super().llm_static(agent, model) + otlp.attr_str("langfuse.observation.model.name", model.response_model)

    def http_static(self, http: Http) -> bytes:
        return otlp.attr_str(self.kind_key, "span")

    def root(self, trace: PlannedTrace) -> bytes:
        return otlp.attr_str("langfuse.trace.name", trace.scenario.name) + otlp.attr_str_array(
            "langfuse.trace.tags", ["otel-locust", trace.scenario.name]
        )


class MLflow(Dialect):
    """MLflow reads the GenAI keys itself; it takes the trace's session and user from the root span."""

    name = "mlflow"

    def root(self, trace: PlannedTrace) -> bytes:
        return (
            otlp.attr_str("session.id", trace.conversation_id)
            + otlp.attr_str("user.id", trace.user_id)
            + otlp.attr_str("mlflow.traceTag.scenario", trace.scenario.name)
        )


DIALECTS: dict[str, type[Dialect]] = {
    d.name: d for d in (GenAI, OpenInference, LangSmith, Braintrust, Langfuse, MLflow)
}
