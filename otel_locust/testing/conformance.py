"""Checks of what arrived on the wire against the product's realism rules (SPEC section 3).

Works on spans decoded by the official ``opentelemetry-proto`` classes, independently of the encoder, so the
tests and ``benchmarks/shapes.py`` judge the bytes a backend would see. :func:`check_trace` returns a list of
violations (empty when the trace conforms); :func:`shape` measures spans and depth.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

KIND_INTERNAL, KIND_CLIENT = 1, 3
STATUS_ERROR = 2
TOKEN_TOLERANCE = 0.25
REQUIRED = {
    "chat": (
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "gen_ai.response.model",
        "gen_ai.response.id",
        "gen_ai.response.finish_reasons",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.conversation.id",
    ),
    "execute_tool": (
        "gen_ai.operation.name",
        "gen_ai.tool.name",
        "gen_ai.tool.call.id",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
    ),
    "invoke_agent": ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.agent.name", "gen_ai.conversation.id"),
    "embeddings": (
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "gen_ai.usage.input_tokens",
        "gen_ai.embeddings.dimension.count",
    ),
    "retrieval": (
        "gen_ai.operation.name",
        "gen_ai.data_source.id",
        "gen_ai.retrieval.top_k",
        "gen_ai.retrieval.query.text",
        "gen_ai.retrieval.documents",
    ),
    "rerank": (
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "gen_ai.retrieval.top_k",
        "gen_ai.retrieval.documents",
    ),
    "apply_guardrail": (
        "gen_ai.operation.name",
        "gen_ai.guardian.name",
        "gen_ai.security.target.type",
        "gen_ai.security.decision.type",
    ),
    "tools/call": ("mcp.method.name", "gen_ai.tool.name", "mcp.session.id", "jsonrpc.request.id", "server.address"),
}
KINDS = {
    "chat": KIND_CLIENT,
    "execute_tool": KIND_INTERNAL,
    "invoke_agent": KIND_INTERNAL,
    "embeddings": KIND_CLIENT,
    "retrieval": KIND_CLIENT,
    "rerank": KIND_CLIENT,
    "apply_guardrail": KIND_INTERNAL,
}
MCP_KEYS = ("mcp.method.name", "mcp.session.id", "jsonrpc.request.id")
DECISIONS = ("allow", "deny", "modify", "warn", "audit")
EVALUATION_KEYS = (
    "gen_ai.evaluation.name",
    "gen_ai.evaluation.score.value",
    "gen_ai.evaluation.score.label",
    "gen_ai.evaluation.explanation",
    "gen_ai.response.id",
)
# a failed model call has no response: what was sent, and the error
FAILED_CHAT = (
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.input.messages",
    "gen_ai.conversation.id",
    "error.type",
)
PART_FIELDS = {
    "text": ("content",),
    "tool_call": ("id", "name", "arguments"),
    "tool_call_response": ("id", "response"),
    "compaction": ("content",),
    "uri": ("modality", "uri"),
    "file": ("modality", "file_id"),
    "blob": ("modality", "content"),
    "reasoning": ("content",),
}
MODALITIES = ("image", "video", "audio", "document")


def attributes(span: Any) -> dict[str, Any]:
    """A decoded span's attributes as a dict (arrays as lists of strings)."""
    out: dict[str, Any] = {}
    for kv in span.attributes:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = (
            [v.string_value for v in kv.value.array_value.values]
            if kind == "array_value"
            else getattr(kv.value, kind)
            if kind
            else None
        )
    return out


def shape(spans: Sequence[Any]) -> dict[str, Any]:
    """Span count, depth (root alone = 1) and the root's scenario."""
    by_id = {s.span_id: s for s in spans}
    depth_of: dict[bytes, int] = {}

    def depth(span: Any) -> int:
        known = depth_of.get(span.span_id)
        if known is None:
            parent = by_id.get(span.parent_span_id)
            known = depth_of[span.span_id] = 1 if parent is None else depth(parent) + 1
        return known

    roots = [s for s in spans if not s.parent_span_id]
    scenario = attributes(roots[0]).get("otel_locust.scenario", "") if roots else ""
    return {"spans": len(spans), "depth": max(depth(s) for s in spans), "scenario": scenario}


def check_trace(spans: Sequence[Any]) -> list[str]:
    """Every rule a trace breaks, as short messages."""
    problems: list[str] = []
    by_id = {s.span_id: s for s in spans}
    roots = [s for s in spans if not s.parent_span_id]
    if len(roots) != 1:
        problems.append(f"{len(roots)} roots")
    elif "otel_locust.scenario" not in attributes(roots[0]):
        problems.append("root lacks otel_locust.scenario")
    seen_calls: dict[str, str] = {}
    answered: set[str] = set()
    for span in spans:
        if span.parent_span_id:
            parent = by_id.get(span.parent_span_id)
            if parent is None:
                problems.append(f"orphan span {span.name}")
            elif not (
                parent.start_time_unix_nano
                <= span.start_time_unix_nano
                <= span.end_time_unix_nano
                <= parent.end_time_unix_nano
            ):
                problems.append(f"{span.name} not inside its parent {parent.name}")
        problems += _check_span(span, seen_calls, answered)
    problems += check_mcp(spans)
    tool_ids = {attributes(s).get("gen_ai.tool.call.id") for s in spans if s.name.startswith("execute_tool ")}
    missing = tool_ids - set(seen_calls)
    if missing:
        problems.append(f"{len(missing)} tool spans whose call id no model asked for")
    return problems + check_failures(spans)


def check_failures(spans: Sequence[Any]) -> list[str]:
    """The shapes of failures and compactions inside a trace (issue 9):

    * a failed model call (status ERROR) has no response and is retried: a later model call of the same agent;
    * a model call blocked by a guardrail (finish reason ``content_filter``) ends its agent's turn: no later
      model call of that agent, and the agent span records the error;
    * a failed sub-agent is reported: a later model call of its parent is told the error;
    * a compaction (finish reason ``compaction``) returns a compaction part, and the agent's next call sends less
      and is marked ``gen_ai.conversation.compacted``.
    """
    problems: list[str] = []
    by_id = {s.span_id: s for s in spans}
    chats: dict[bytes, list[Any]] = {}
    for span in sorted(spans, key=lambda s: s.start_time_unix_nano):
        if span.name.startswith("chat "):
            chats.setdefault(span.parent_span_id, []).append(span)
    for parent_id, calls in chats.items():
        for index, call in enumerate(calls):
            attrs = attributes(call)
            later = [c for c in calls[index + 1 :] if c.start_time_unix_nano >= call.end_time_unix_nano]
            reasons = attrs.get("gen_ai.response.finish_reasons") or []
            if call.status.code == STATUS_ERROR:
                if "gen_ai.output.messages" in attrs:
                    problems.append(f"{call.name}: a failed call has output messages")
                if not later:
                    problems.append(f"{call.name}: a failed model call is not retried")
            elif "content_filter" in reasons:
                parent = by_id.get(parent_id)
                if later:
                    problems.append(f"{call.name}: the turn goes on after a guardrail block")
                if parent is None or parent.status.code != STATUS_ERROR:
                    problems.append(f"{call.name}: the agent blocked by a guardrail does not record it")
            elif "compaction" in reasons:
                problems += _check_compaction(call, attrs, later)
    for span in spans:
        if span.name.startswith("invoke_agent ") and span.status.code == STATUS_ERROR and span.parent_span_id:
            told = [
                c
                for c in chats.get(span.parent_span_id, [])
                if c.start_time_unix_nano >= span.end_time_unix_nano
                and '"error"' in attributes(c).get("gen_ai.input.messages", "")
            ]
            if not told:
                problems.append(f"{span.name}: its parent never hears of the failure")
    return problems


def _check_compaction(call: Any, attrs: dict[str, Any], later: list[Any]) -> list[str]:
    outputs = json.loads(attrs["gen_ai.output.messages"])
    if not any(p.get("type") == "compaction" for m in outputs for p in m.get("parts", [])):
        return [f"{call.name}: a compaction without a compaction part"]
    if later:
        after = attributes(later[0])
        if after.get("gen_ai.conversation.compacted") is not True:
            return [f"{later[0].name}: the call after a compaction is not marked compacted"]
        if len(after.get("gen_ai.input.messages", "")) >= len(attrs["gen_ai.input.messages"]):
            return [f"{later[0].name}: the call after a compaction sends no less than before"]
    return []


def _check_span(span: Any, seen_calls: dict[str, str], answered: set[str]) -> list[str]:
    attrs = attributes(span)
    operation = span.name.split(" ", 1)[0]
    expected_kind = KINDS.get(operation)
    failed_chat = operation == "chat" and span.status.code == STATUS_ERROR
    required = FAILED_CHAT if failed_chat else REQUIRED.get(operation, ())
    problems = [f"{span.name}: missing {key}" for key in required if key not in attrs]
    if expected_kind is not None:
        if span.kind != expected_kind:
            problems.append(f"{span.name}: kind {span.kind}, expected {expected_kind}")
        if attrs.get("gen_ai.operation.name") != operation:
            problems.append(f"{span.name}: gen_ai.operation.name is {attrs.get('gen_ai.operation.name')!r}")
    if span.status.code == STATUS_ERROR and (
        "error.type" not in attrs or not any(e.name == "exception" for e in span.events)
    ):
        problems.append(f"{span.name}: error without error.type and an exception event")
    if operation == "chat" and not problems and not failed_chat:
        problems += _check_chat(span.name, attrs, seen_calls, answered)
        problems += check_evaluations(span, attrs)
    elif operation in ("retrieval", "rerank") and not problems:
        problems += _check_documents(span.name, attrs)
    elif operation == "apply_guardrail" and attrs.get("gen_ai.security.decision.type") not in DECISIONS:
        problems.append(f"{span.name}: unknown decision {attrs.get('gen_ai.security.decision.type')!r}")
    return problems


def _check_documents(name: str, attrs: dict[str, Any]) -> list[str]:
    """``gen_ai.retrieval.documents``: a JSON array of ``{"id", "score"}``, best first, ``top_k`` of them."""
    try:
        documents = json.loads(attrs["gen_ai.retrieval.documents"])
    except (ValueError, TypeError) as exc:
        return [f"{name}: documents JSON does not parse: {exc}"]
    if not all(isinstance(d.get("id"), str) and isinstance(d.get("score"), int | float) for d in documents):
        return [f"{name}: a document without a string id and a numeric score"]
    scores = [d["score"] for d in documents]
    if scores != sorted(scores, reverse=True):
        return [f"{name}: documents are not ordered best first"]
    if len(documents) != attrs["gen_ai.retrieval.top_k"]:
        return [f"{name}: {len(documents)} documents for top_k {attrs['gen_ai.retrieval.top_k']}"]
    return []


def check_evaluations(span: Any, attrs: dict[str, Any]) -> list[str]:
    """``gen_ai.evaluation.result`` events: every key, a score in [0, 1], the evaluated response's id."""
    problems = []
    for event in span.events:
        if event.name != "gen_ai.evaluation.result":
            continue
        found = attributes(event)
        missing = [k for k in EVALUATION_KEYS if k not in found]
        if missing:
            problems.append(f"{span.name}: evaluation event lacks {missing[0]}")
        elif not 0.0 <= found["gen_ai.evaluation.score.value"] <= 1.0:
            problems.append(f"{span.name}: evaluation score {found['gen_ai.evaluation.score.value']} out of [0, 1]")
        elif found["gen_ai.response.id"] != attrs.get("gen_ai.response.id"):
            problems.append(f"{span.name}: evaluation of another response")
    return problems


def check_mcp(spans: Sequence[Any]) -> list[str]:
    """MCP tools: the ``execute_tool`` span carries ``mcp.method.name``, ``mcp.session.id`` and
    ``jsonrpc.request.id``; its ``tools/call {tool}`` CLIENT child has the same session and request id."""
    problems = []
    by_id = {s.span_id: s for s in spans}
    calls = {s.parent_span_id: s for s in spans if s.name.startswith("tools/call ")}
    for call in calls.values():
        parent = by_id.get(call.parent_span_id)
        if call.kind != KIND_CLIENT:
            problems.append(f"{call.name}: kind {call.kind}, expected {KIND_CLIENT}")
        if parent is None or parent.name != "execute_tool " + call.name.split(" ", 1)[-1]:
            problems.append(f"{call.name}: not under the execute_tool span of its tool")
    for span in spans:
        attrs = attributes(span)
        if not span.name.startswith("execute_tool ") or "mcp.method.name" not in attrs:
            continue
        missing = [k for k in MCP_KEYS if k not in attrs]
        call = calls.get(span.span_id)
        if missing:
            problems.append(f"{span.name}: MCP tool without {missing[0]}")
        elif call is None:
            problems.append(f"{span.name}: MCP tool without its tools/call client span")
        elif any(attributes(call).get(k) != attrs[k] for k in MCP_KEYS):
            problems.append(f"{span.name}: its tools/call span names another session or request")
    return problems


def _check_chat(name: str, attrs: dict[str, Any], seen_calls: dict[str, str], answered: set[str]) -> list[str]:
    problems: list[str] = []
    try:
        inputs = json.loads(attrs["gen_ai.input.messages"])
        outputs = json.loads(attrs["gen_ai.output.messages"])
        system = json.loads(attrs["gen_ai.system_instructions"])
    except (ValueError, TypeError) as exc:
        return [f"{name}: message JSON does not parse: {exc}"]
    for message in [*inputs, *outputs]:
        problems += _check_message(name, message)
    if any("finish_reason" in message for message in outputs):
        problems.append(f"{name}: finish_reason inside output messages (deprecated: gen_ai.response.finish_reasons)")
    problems += _check_usage_details(name, attrs, outputs)
    if not all(p.get("type") == "text" and "content" in p for p in system):
        problems.append(f"{name}: system instructions are not text parts")
    for message in outputs:
        for part in message.get("parts", []):
            if part.get("type") == "tool_call":
                seen_calls[part["id"]] = part["name"]
    asked: set[str] = set()  # a model API refuses a tool result whose call is not earlier in the same input
    for message in inputs:
        for part in message.get("parts", []):
            if part.get("type") == "tool_call":
                asked.add(part["id"])
            elif part.get("type") == "tool_call_response":
                answered.add(part["id"])
                if part["id"] not in asked:
                    problems.append(f"{name}: a tool result answers call {part['id']}, which the input never made")
    in_chars = len(attrs["gen_ai.input.messages"]) + len(attrs["gen_ai.system_instructions"])
    out_chars = len(attrs["gen_ai.output.messages"])
    for label, tokens, chars in (
        ("input", attrs["gen_ai.usage.input_tokens"], in_chars),
        ("output", attrs["gen_ai.usage.output_tokens"], out_chars),
    ):
        if abs(tokens - chars / 4) > TOKEN_TOLERANCE * chars / 4:
            problems.append(f"{name}: {tokens} {label} tokens for {chars} characters")
    return problems


def _check_message(name: str, message: dict[str, Any]) -> list[str]:
    if message.get("role") not in ("system", "user", "assistant", "tool") or not isinstance(message.get("parts"), list):
        return [f"{name}: malformed message {str(message)[:80]}"]
    problems = []
    for part in message["parts"]:
        fields = PART_FIELDS.get(part.get("type"))
        if fields is None or any(f not in part for f in fields):
            problems.append(f"{name}: malformed part {str(part)[:80]}")
        elif "modality" in fields and part["modality"] not in MODALITIES:
            problems.append(f"{name}: unknown modality {part['modality']!r}")
    return problems


def _check_usage_details(name: str, attrs: dict[str, Any], outputs: list[dict[str, Any]]) -> list[str]:
    """Cache and reasoning tokens lie inside the totals; streaming calls report a time to first chunk."""
    problems = []
    if (
        attrs.get("gen_ai.usage.cache_read.input_tokens", 0) + attrs.get("gen_ai.usage.cache_write.input_tokens", 0)
        > attrs["gen_ai.usage.input_tokens"]
    ):
        problems.append(f"{name}: cache tokens exceed the input tokens")
    if attrs.get("gen_ai.usage.reasoning.output_tokens", 0) > attrs["gen_ai.usage.output_tokens"]:
        problems.append(f"{name}: reasoning tokens exceed the output tokens")
    if attrs.get("gen_ai.request.stream") and not attrs.get("gen_ai.response.time_to_first_chunk", 0) > 0:
        problems.append(f"{name}: a streaming call without gen_ai.response.time_to_first_chunk")
    return problems
