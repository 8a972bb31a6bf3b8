"""Value writers that profiles name in their data: per-span values, blocks of attributes, events and logs.

Every writer takes the trace's :class:`Ctx` and a layout :class:`~.layout.Node`. Content conversions (message JSON
to OpenInference's flattened keys, Strands' content blocks, LangChain's serialized messages, OTLP maps) are done
once per message per trace and cached in the context: a message joins an agent's history once and is then sent
again by every later model call, so each later call only references the cached pieces.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
from collections.abc import Callable
from typing import Any

from otel_locust.encoding import logs as otlp_logs
from otel_locust.encoding import otlp
from otel_locust.encoding.dialects import messages, tool_definitions
from otel_locust.encoding.profiles.layout import Node
from otel_locust.encoding.usage import usage_extras
from otel_locust.engine.trace import PlannedSpan, PlannedTrace


class Ctx:
    """Per-trace state: the trace, id source, and the caches of converted messages."""

    __slots__ = ("base", "cache", "ids", "log_records", "nodes", "previous", "span_ids", "trace", "trace_id",
                 "uuids")

    def __init__(self, trace: PlannedTrace, nodes: list[Node], ids: random.Random, base: int,
                 trace_id: bytes, span_ids: list[bytes]) -> None:
        self.trace, self.nodes, self.ids, self.base = trace, nodes, ids, base
        self.trace_id, self.span_ids = trace_id, span_ids
        self.cache: dict[Any, Any] = {}
        self.log_records: list[bytes] = []
        self.uuids: dict[Any, str] = {}
        self.previous: dict[int, tuple[int, int]] = {}  # id(agent) -> (input tokens of its last call, calls)

    def uuid(self, key: Any = None) -> str:
        """A random uuid string; the same for the same ``key`` within the trace."""
        if key is not None and key in self.uuids:
            return self.uuids[key]
        value = "%08x-%04x-4%03x-a%03x-%012x" % (self.ids.getrandbits(32), self.ids.getrandbits(16),  # noqa: UP031
                                                 self.ids.getrandbits(12), self.ids.getrandbits(12),
                                                 self.ids.getrandbits(48))
        if key is not None:
            self.uuids[key] = value
        return value

    def parsed(self, message: bytes) -> dict[str, Any]:
        key = ("p", id(message))
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = json.loads(message)
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
        return _dt.datetime.fromtimestamp((self.base + offset) / 1e9, _dt.UTC).isoformat()


# -- message conversions --------------------------------------------------------------------------------------

def _parts_text(parts: list[dict[str, Any]]) -> str:
    return "".join(p.get("content", "") for p in parts if p.get("type") == "text")


def _args(part: dict[str, Any]) -> str:
    return json.dumps(part.get("arguments", {}), separators=(",", ":"))


def _response(part: dict[str, Any]) -> str:
    value = part.get("response", "")
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def output_message(span: PlannedSpan) -> bytes:
    return b'{"role":"assistant","parts":[' + span.output + b"]}"


def input_list(span: PlannedSpan) -> list[bytes]:
    """The model call's input messages, system first (as the frameworks send them)."""
    system = b'{"role":"system","parts":[{"type":"text","content":' + span.system + b"}]}"
    return [system, *span.history]


def flattened(ctx: Ctx, prefix: str, index: int, message: bytes, names: bool = False, contents: bool = False
              ) -> bytes:
    """OpenInference's ``{prefix}.{index}.message.*`` keys for one message, encoded once per trace (``names``:
    LangChain's ``message.name``; ``contents``: the Agents SDK's ``message.contents.N`` copy of the text)."""
    key = (prefix, index, id(message), names, contents)
    found = ctx.cache.get(key)
    if found is not None:
        return found
    data = ctx.parsed(message)
    role, parts = data.get("role", "user"), data.get("parts", [])
    base = f"{prefix}.{index}.message."
    out = [otlp.attr_str(base + "role", role)]
    text = _parts_text(parts)
    calls = [p for p in parts if p.get("type") == "tool_call"]
    results = [p for p in parts if p.get("type") == "tool_call_response"]
    if names and role in ("assistant", "tool"):
        out.append(otlp.attr_str(base + "name", calls[0]["name"] if calls else "tool"))
    if text:
        out.append(otlp.attr_str(base + "content", text))
        if contents:
            out.append(otlp.attr_str(base + "contents.0.message_content.type", "text")
                       + otlp.attr_str(base + "contents.0.message_content.text", text))
    for n, call in enumerate(calls):
        call_base = f"{base}tool_calls.{n}.tool_call."
        out.append(otlp.attr_str(call_base + "id", call.get("id", "")) + otlp.attr_str(
            call_base + "function.name", call.get("name", "")) + otlp.attr_str(call_base + "function.arguments",
                                                                               _args(call)))
    for result in results[:1]:
        out.append(otlp.attr_str(base + "content", _response(result))
                   + otlp.attr_str(base + "tool_call_id", result.get("id", "")))
    found = ctx.cache[key] = b"".join(out)
    return found


def chat_item(ctx: Ctx, message: bytes) -> bytes:
    """One message as an OpenAI input item (what ``input.value`` holds for the Agents SDK)."""
    key = ("c", id(message))
    found = ctx.cache.get(key)
    if found is None:
        data = ctx.parsed(message)
        parts, items = data.get("parts", []), []
        for part in parts:
            if part.get("type") == "tool_call":
                items.append({"arguments": _args(part), "call_id": part.get("id"), "name": part.get("name"),
                              "type": "function_call", "id": "fc_" + str(part.get("id", ""))[5:], "status":
                              "completed"})
            elif part.get("type") == "tool_call_response":
                items.append({"call_id": part.get("id"), "output": _response(part), "type": "function_call_output"})
        if not items:
            items.append({"content": _parts_text(parts), "role": data.get("role", "user")})
        found = ctx.cache[key] = json.dumps(items, separators=(",", ":"))[1:-1].encode()
    return found


def lc_message(ctx: Ctx, message: bytes) -> bytes:
    """One message as LangChain serializes it (``lc`` constructor form), for LangGraph's values."""
    key = ("l", id(message))
    found = ctx.cache.get(key)
    if found is None:
        data = ctx.parsed(message)
        role, parts = data.get("role", "user"), data.get("parts", [])
        kind = {"system": "SystemMessage", "assistant": "AIMessage", "tool": "ToolMessage"}.get(role, "HumanMessage")
        kwargs: dict[str, Any] = {"content": _parts_text(parts), "type": kind[:-7].lower() or "human",
                                  "id": f"run--{ctx.uuid()}"}
        calls = [p for p in parts if p.get("type") == "tool_call"]
        if calls:
            kwargs["tool_calls"] = [{"name": c.get("name"), "args": c.get("arguments", {}), "id": c.get("id"),
                                     "type": "tool_call"} for c in calls]
            kwargs["response_metadata"] = {"finish_reason": "tool_calls", "model_provider": "openai"}
        for result in parts:
            if result.get("type") == "tool_call_response":
                kwargs.update(content=_response(result), tool_call_id=result.get("id"), status="success")
        found = ctx.cache[key] = json.dumps({"lc": 1, "type": "constructor", "id": [
            "langchain", "schema", "messages", kind], "kwargs": kwargs}, separators=(",", ":")).encode()
    return found


def bedrock_blocks(ctx: Ctx, message: bytes) -> str:
    """One message's content as Strands' (Bedrock-style) content blocks, a JSON string."""
    key = ("b", id(message))
    found = ctx.cache.get(key)
    if found is None:
        blocks: list[dict[str, Any]] = []
        for part in ctx.parsed(message).get("parts", []):
            kind = part.get("type")
            if kind == "text":
                blocks.append({"text": part.get("content", "")})
            elif kind == "tool_call":
                blocks.append({"toolUse": {"toolUseId": part.get("id"), "name": part.get("name"),
                                           "input": part.get("arguments", {})}})
            elif kind == "tool_call_response":
                blocks.append({"toolResult": {"toolUseId": part.get("id"), "status": "success",
                                              "content": [{"text": _response(part)}]}})
        found = ctx.cache[key] = json.dumps(blocks)
    return found


def as_maps(ctx: Ctx, message: bytes) -> Any:
    """A message as a JSON value (for OTLP maps in log records)."""
    return ctx.parsed(message)


# -- agent-level views ----------------------------------------------------------------------------------------

def last_llm(ctx: Ctx, node: Node) -> PlannedSpan | None:
    """The agent's final model call (its history plus output is the whole conversation)."""
    key = ("last", id(node.span))
    if key not in ctx.cache:
        found = None
        for span in ctx.trace.spans:
            if span.kind == "llm" and span.agent is node.span.agent and span.start >= node.span.start \
                    and span.end <= node.span.end:
                found = span
        ctx.cache[key] = found
    return ctx.cache[key]


def conversation(ctx: Ctx, node: Node) -> list[bytes]:
    """All messages of the agent's run: the last call's input and its output."""
    last = last_llm(ctx, node)
    if last is None:
        return [b'{"role":"user","parts":[{"type":"text","content":' + node.span.task + b"}]}"]
    return [*last.history, output_message(last)]


def join(pieces: list[bytes], head: bytes = b"[", tail: bytes = b"]") -> tuple[list[bytes], int]:
    """Pieces of a JSON array (comma-separated), not joined, and their total size."""
    out = [head]
    for n, piece in enumerate(pieces):
        if n:
            out.append(b",")
        out.append(piece)
    out.append(tail)
    return out, sum(map(len, out))


def put_pieces(out: list[bytes], key: str, pieces: list[bytes], size: int) -> int:
    return otlp.attr_str_pieces(out, key, pieces, size)


def genai_arrays(span: PlannedSpan) -> tuple[bytes, bytes]:
    inputs, outputs = messages(span)
    return inputs, outputs


def definitions(node: Node) -> str:
    return tool_definitions(node.agent.tools) if node.agent.tools else "[]"


Writer = Callable[[Ctx, Node], Any]
Block = Callable[[Ctx, Node, list[bytes]], int]


def event(name: str, time_ns: int, attributes: list[tuple[str, Any]]) -> bytes:
    encoded = b"".join(otlp.attr_str(k, v, b"\x1a") if isinstance(v, (str, bytes)) else
                       otlp_logs.key_value(k, v, b"\x1a") for k, v in attributes)
    return otlp.span_event(name, time_ns, encoded)
