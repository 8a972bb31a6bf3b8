"""Attribute dialects: which attributes each kind of planned span carries, for the backends that read them.

The OpenTelemetry GenAI semantic conventions (v1.41 core plus the ``semantic-conventions-genai`` renames) are
always emitted. A dialect contributes two things per span kind: *static* attributes that depend only on the
scenario step (encoded once and cached by the instrumentation layer) and *dynamic* ones that change per span.
Dynamic methods append encoded chunks to ``out`` and return the number of bytes appended.
"""

from __future__ import annotations

import json

from otel_locust import otlp
from otel_locust.scenario import Agent, Http, Model, Tool
from otel_locust.trace import PlannedSpan, PlannedTrace

_FINISH_REASONS = {reason: otlp.attr_str_array("gen_ai.response.finish_reasons", [reason])
                   for reason in ("stop", "tool_call", "length", "error")}


def _json_message(role: str, parts: bytes, finish_reason: str | None = None) -> bytes:
    tail = b"]" if finish_reason is None else b'],"finish_reason":"' + finish_reason.encode() + b'"'
    return b'{"role":"' + role.encode() + b'","parts":[' + parts + tail + b"}"


def _text_part(text: bytes) -> bytes:
    return b'{"type":"text","content":' + text + b"}"


def tool_definitions(tools: tuple[Tool, ...]) -> str:
    """``gen_ai.tool.definitions`` JSON for the tools an agent offers its model."""
    return json.dumps([{"type": "function", "name": t.name, "description": t.description,
                        "parameters": json.loads(t.parameters)} for t in tools], separators=(",", ":"))


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

    def agent(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        return 0

    def llm(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        return 0

    def tool(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        return 0


class GenAI(Dialect):
    """OpenTelemetry GenAI semantic conventions: names, usage, messages in the JSON parts format."""

    name = "genai"

    def __init__(self) -> None:
        self._system_cache: dict[bytes, bytes] = {}
        self._conversation_cache: dict[str, bytes] = {}

    def agent_static(self, agent: Agent) -> bytes:
        return (otlp.attr_str("gen_ai.operation.name", "invoke_agent")
                + otlp.attr_str("gen_ai.provider.name", agent.model.provider)
                + otlp.attr_str("gen_ai.agent.name", agent.name)
                + otlp.attr_str("gen_ai.agent.description", agent.description)
                + otlp.attr_str("gen_ai.request.model", agent.model.name))

    def llm_static(self, agent: Agent, model: Model) -> bytes:
        return (otlp.attr_str("gen_ai.operation.name", "chat")
                  + otlp.attr_str("gen_ai.provider.name", model.provider)
                  + otlp.attr_str("gen_ai.request.model", model.name)
                  + otlp.attr_str("gen_ai.response.model", model.response_model)
                  + otlp.attr_str("server.address", model.host)
                  + otlp.attr_int("server.port", 443)
                  + otlp.attr_double("gen_ai.request.temperature", 0.2)
                  + otlp.attr_int("gen_ai.request.max_tokens", 4096)
                  + otlp.attr_str("gen_ai.output.type", "text"))

    def tool_static(self, tool: Tool) -> bytes:
        return (otlp.attr_str("gen_ai.operation.name", "execute_tool")
                + otlp.attr_str("gen_ai.tool.name", tool.name)
                + otlp.attr_str("gen_ai.tool.description", tool.description)
                + otlp.attr_str("gen_ai.tool.type", "function"))

    def http_static(self, http: Http) -> bytes:
        return (otlp.attr_str("http.request.method", http.method) + otlp.attr_str("url.template", http.route)
                + otlp.attr_str("server.address", http.host) + otlp.attr_int("server.port", 443))

    def _conversation(self, trace: PlannedTrace) -> bytes:
        cached = self._conversation_cache.get(trace.conversation_id)
        if cached is None:
            if len(self._conversation_cache) > 10_000:
                self._conversation_cache.clear()
            cached = otlp.attr_str("gen_ai.conversation.id", trace.conversation_id)
            self._conversation_cache[trace.conversation_id] = cached
        return cached

    def agent(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        conv = self._conversation(trace)
        inputs = b"[" + _json_message("user", _text_part(span.task)) + b"]"
        outputs = b"[" + _json_message("assistant", _text_part(span.answer), "stop") + b"]"
        out.append(conv)
        return (len(conv) + otlp.attr_str_pieces(out, "gen_ai.input.messages", (inputs,), len(inputs))
                + otlp.attr_str_pieces(out, "gen_ai.output.messages", (outputs,), len(outputs)))

    def llm(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        system = self._system_cache.get(span.system)
        if system is None:
            value = b'[{"type":"text","content":' + span.system + b"}]"
            system = otlp.attr_str("gen_ai.system_instructions", value)
            self._system_cache[span.system] = system
        small = (self._conversation(trace) + system
                 + otlp.attr_str("gen_ai.response.id", span.response_id)
                 + _FINISH_REASONS[span.finish_reason]
                 + otlp.attr_int("gen_ai.usage.input_tokens", span.input_tokens)
                 + otlp.attr_int("gen_ai.usage.output_tokens", span.output_tokens))
        out.append(small)
        history = b",".join(span.history)
        size = len(small) + otlp.attr_str_pieces(out, "gen_ai.input.messages", (b"[", history, b"]"),
                                                 len(history) + 2)
        output = b"[" + _json_message("assistant", span.output, span.finish_reason) + b"]"
        return size + otlp.attr_str_pieces(out, "gen_ai.output.messages", (output,), len(output))

    def tool(self, span: PlannedSpan, trace: PlannedTrace, out: list[bytes]) -> int:
        call_id = otlp.attr_str("gen_ai.tool.call.id", span.call_id)
        out.append(call_id)
        return (len(call_id)
                + otlp.attr_str_pieces(out, "gen_ai.tool.call.arguments", (span.arguments,), len(span.arguments))
                + otlp.attr_str_pieces(out, "gen_ai.tool.call.result", (span.result,), len(span.result)))


DIALECTS: dict[str, type[Dialect]] = {"genai": GenAI}
