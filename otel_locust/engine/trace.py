"""The planned trace: what the engine decided, before any OpenTelemetry encoding.

A :class:`PlannedTrace` is a flat list of :class:`PlannedSpan` in creation order (parents before children),
with times as nanosecond offsets from the trace start. Message payloads are already JSON-encoded byte strings
(see ``pools``), so the instrumentation layer only splices them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from otel_locust.engine.scenario import Agent, Http, Model, Retrieve, Scenario, Tool

SpanKindName = Literal["agent", "llm", "tool", "http", "embedding", "retrieval", "rerank", "guardrail"]
RAG_KINDS = ("embedding", "retrieval", "rerank", "guardrail")  # the spans of a Retrieve step


class PlannedSpan:
    """One span of a planned trace. Plain slotted class: hundreds are made per trace."""

    __slots__ = (
        "agent",
        "answer",
        "arguments",
        "call_id",
        "compacted",
        "decision",
        "documents",
        "end",
        "error",
        "evaluations",
        "finish_reason",
        "history",
        "history_bytes",
        "http",
        "input_json",
        "input_tokens",
        "kind",
        "model",
        "output",
        "output_json",
        "output_tokens",
        "parent",
        "query",
        "response_id",
        "result",
        "retrieve",
        "rpc_id",
        "start",
        "system",
        "task",
        "tool",
    )

    def __init__(self, kind: SpanKindName, parent: int, start: int, agent: Agent) -> None:
        self.kind = kind
        self.parent = parent  # index in PlannedTrace.spans, -1 for the root
        self.start = start
        self.end = start
        self.agent = agent
        self.model: Model | None = None
        self.tool: Tool | None = None
        self.http: Http | None = None
        self.error: str | None = None  # error.type when the operation failed
        self.compacted = False  # llm: the history sent was compacted earlier (gen_ai.conversation.compacted)
        # llm
        self.history: tuple[bytes, ...] = ()  # input messages, each a JSON object
        self.history_bytes = 0
        self.system = b""  # JSON string literal of the system prompt
        self.output = b""  # the output message's parts, JSON array body (without brackets)
        self.finish_reason = "stop"
        self.input_tokens = 0
        self.output_tokens = 0
        self.response_id = ""
        self.evaluations: tuple[Evaluation, ...] = ()  # online evaluations of this answer (gen_ai.evaluation.result)
        # tool
        self.call_id = ""
        self.arguments = b""  # JSON document
        self.result = b""  # JSON document (or string literal for errors)
        self.rpc_id = 0  # MCP tools: the JSON-RPC request id of the ``tools/call``
        # retrieval (embedding, retrieval, rerank, guardrail spans of a Retrieve step)
        self.retrieve: Retrieve | None = None
        self.query = b""  # JSON string literal: the search query
        self.documents: tuple[Document, ...] = ()  # retrieved (or reranked, screened) documents, best first
        self.decision = ""  # guardrail: gen_ai.security.decision.type
        # agent
        self.task = b""  # JSON string literal: what the agent was asked
        self.answer = b""  # JSON string literal: what it answered
        # encoded message arrays, built once by the first dialect that needs them (see dialects.messages)
        self.input_json = b""
        self.output_json = b""


@dataclass(frozen=True, slots=True)
class Document:
    """A retrieved document: its id, relevance score and text (a JSON string literal)."""

    id: str
    score: float
    content: bytes


@dataclass(frozen=True, slots=True)
class Evaluation:
    """An online evaluation of a model answer, as ``gen_ai.evaluation.result`` reports it."""

    name: str
    score: float
    label: str
    explanation: str


@dataclass(slots=True)
class PlannedTrace:
    """A whole trace: spans (root first), its scenario, and the session (and turn) it belongs to."""

    scenario: Scenario
    spans: list[PlannedSpan]
    depth: int
    conversation_id: str
    user_id: str
    turn: int = 1  # the trace's turn in its conversation (1-based)
