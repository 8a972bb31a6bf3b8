"""The named writers profile data refers to: static refs (``"$agent.name"``), per-span values, blocks, events
and logs. Kept in one table so a profile is plain data and a typo in it fails at start-up (:func:`lookup`)."""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
from collections.abc import Callable
from typing import Any

from otel_locust.encoding import logs as otlp_logs
from otel_locust.encoding import otlp
from otel_locust.encoding.dialects import tool_definitions
from otel_locust.encoding.profiles import values as v
from otel_locust.encoding.profiles.layout import Node
from otel_locust.encoding.usage import time_to_first_chunk

_DUMPS = v.dumps


def _text(literal: bytes) -> str:
    """A JSON string literal (how the planner stores tasks and answers) as text."""
    if not literal:
        return ""
    if b"\\" not in literal:  # no escapes: the text is what is between the quotes
        return literal[1:-1].decode()
    return v.loads(literal)


# -- static refs: resolved once per scenario step ------------------------------------------------------------


def _tools_schema(node: Node) -> list[tuple[str, str]]:
    return [
        (
            t.name,
            _DUMPS(
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": json.loads(t.parameters)},
                }
            ),
        )
        for t in node.agent.tools
    ]


REFS: dict[str, Callable[[Node], Any]] = {
    "agent.name": lambda n: n.agent.name,
    "agent.description": lambda n: n.agent.description,
    "agent.tools": lambda n: _DUMPS([t.name for t in n.agent.tools]),
    "agent.tool_definitions": lambda n: tool_definitions(n.agent.tools) if n.agent.tools else None,
    "call.name": lambda n: n.span.tool.name if n.span.tool else f"transfer_to_{n.target.name if n.target else ''}",
    "call.description": lambda n: (
        n.span.tool.description if n.span.tool else (n.target.description if n.target else "")
    ),
    "call.parameters": lambda n: n.span.tool.parameters if n.span.tool else _DELEGATE_SCHEMA,
    "target.name": lambda n: n.target.name if n.target else None,
    "target.description": lambda n: n.target.description if n.target else None,
    "model.name": lambda n: (n.span.model or n.agent.model).name,
    "model.response": lambda n: (n.span.model or n.agent.model).response_model,
    "model.provider": lambda n: (n.span.model or n.agent.model).provider,
    "tool.name": lambda n: n.span.tool.name if n.span.tool else None,
    "tool.description": lambda n: n.span.tool.description if n.span.tool else None,
    "tool.parameters": lambda n: n.span.tool.parameters if n.span.tool else None,
    "nested": lambda n: True if n.span.parent >= 0 else None,
    "invocation_params": lambda n: _DUMPS(
        {
            "model": (n.span.model or n.agent.model).name,
            "temperature": 0.2,
            "max_tokens": 4096,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [json.loads(s) for _, s in _tools_schema(n)][:1],
            "stream": False,
        }
    ),
    "request_parameters": lambda n: _DUMPS(
        {
            "function_tools": [
                json.loads(tool_definitions((t,)))[0]
                | {"strict": None, "kind": "function", "sequential": False, "metadata": None}
                for t in n.agent.tools
            ],
            "builtin_tools": [],
            "output_mode": "text",
            "output_object": None,
            "output_tools": [],
            "allow_text_output": True,
            "allow_image_output": False,
        }
    ),
    "crew.key": lambda n: hashlib.md5(n.agent.name.encode(), usedforsecurity=False).hexdigest(),
}


_DELEGATE_SCHEMA = '{"type":"object","properties":{"task":{"type":"string"}},"required":["task"]}'


def resolve(value: Any, node: Node) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return REFS[value[1:]](node)
    return value


# -- per-span values -------------------------------------------------------------------------------------------


def _llm(node: Node) -> Any:
    return node.span


def _agent_tokens(ctx: v.Ctx, node: Node) -> tuple[int, int]:
    """Tokens of the model calls that start within the agent's span (a sum over a window of the trace's model
    calls ordered by start, made once per trace)."""
    key = ("agent_tokens", id(node.span))
    found = ctx.cache.get(key)
    if found is None:
        calls = ctx.cache.get("llm_starts")
        if calls is None:
            ordered = sorted((s for s in ctx.trace.spans if s.kind == "llm"), key=lambda s: s.start)
            calls = ctx.cache["llm_starts"] = (
                [s.start for s in ordered],
                [0, *itertools.accumulate(s.input_tokens for s in ordered)],
                [0, *itertools.accumulate(s.output_tokens for s in ordered)],
            )
        starts, inputs, outputs = calls
        low = bisect.bisect_left(starts, node.span.start)
        high = max(low, bisect.bisect_right(starts, node.span.end))
        found = ctx.cache[key] = (inputs[high] - inputs[low], outputs[high] - outputs[low])
    return found


def _genai_in(ctx: v.Ctx, node: Node) -> tuple[list[bytes], int]:
    inputs, _ = v.genai_arrays(node.span)
    return [b"[", inputs, b"]"], len(inputs) + 2


def _genai_out(ctx: v.Ctx, node: Node) -> tuple[list[bytes], int]:
    _, outputs = v.genai_arrays(node.span)
    return [b"[", outputs, b"]"], len(outputs) + 2


def _genai_in_system(ctx: v.Ctx, node: Node) -> tuple[list[bytes], int]:
    """The system message, then the history (joined once per span, as ``gen_ai.input.messages`` has it)."""
    span = node.span
    system = v.input_list_system(span)
    if not span.history:
        return [b"[", system, b"]"], len(system) + 2
    inputs, _ = v.genai_arrays(span)
    return [b"[", system, b",", inputs, b"]"], len(system) + len(inputs) + 3


def _system(ctx: v.Ctx, node: Node) -> bytes:
    span = node.span if node.span.kind == "llm" else v.last_llm(ctx, node)
    if span is None:
        return b"[]"
    key = ("system", span.system)  # (the same prompt object for every call of an agent: its hash is kept)
    found = ctx.shared.get(key)
    if found is None:
        found = ctx.shared.put(key, b'[{"type":"text","content":' + span.system + b"}]")
    return found


def _all_messages(ctx: v.Ctx, node: Node) -> tuple[list[bytes], int]:
    return v.join(v.conversation(ctx, node))


def _chat_items(ctx: v.Ctx, node: Node) -> tuple[list[bytes], int]:
    return v.join([v.chat_item(ctx, m) for m in node.span.history])


def _responses_output(ctx: v.Ctx, node: Node) -> tuple[list[bytes], int]:
    """The Responses API object the Agents SDK stores whole in ``output.value``."""
    span = node.span
    key = ("resp", node.agent, span.model)
    head = ctx.shared.get(key)
    if head is None:
        tools = [json.loads(s)["function"] | {"type": "function", "strict": True} for _, s in _tools_schema(node)]
        head = ctx.shared.put(
            key,
            _DUMPS(
                {
                    "id": "resp_",
                    "created_at": 1.0,
                    "error": None,
                    "incomplete_details": None,
                    "instructions": "",
                    "metadata": {},
                    "model": span.model.response_model if span.model else "",
                    "object": "response",
                    "parallel_tool_calls": True,
                    "temperature": 0.2,
                    "tool_choice": "auto",
                    "tools": tools,
                    "top_p": 1.0,
                    "max_output_tokens": None,
                    "previous_response_id": None,
                    "reasoning": {"effort": None, "summary": None},
                    "service_tier": "default",
                    "status": "completed",
                    "text": {"format": {"type": "text"}},
                    "truncation": "disabled",
                }
            )[:-1].encode(),
        )
    cache_read, _, reasoning = ctx.usage(span)
    usage = (
        f'{{"input_tokens":{span.input_tokens},"input_tokens_details":{{"cached_tokens":{cache_read}}},'
        f'"output_tokens":{span.output_tokens},"output_tokens_details":{{"reasoning_tokens":{reasoning}}},'
        f'"total_tokens":{span.input_tokens + span.output_tokens}}}'
    ).encode()  # (integers: as dumps writes them)
    pieces = [head, b',"output":[', v.chat_item(ctx, ctx.output(span)), b'],"usage":', usage, b"}"]
    return pieces, sum(map(len, pieces))


def _lc_state(
    ctx: v.Ctx, messages: list[bytes], head: bytes = b'{"messages":[', tail: bytes = b"]}"
) -> tuple[list[bytes], int]:
    return v.join([v.lc_message(ctx, m) for m in messages], head, tail)


def _lg_model_in(ctx: v.Ctx, node: Node) -> tuple[list[bytes], int]:
    return _lc_state(ctx, list(node.span.history))


def _lg_model_out(ctx: v.Ctx, node: Node) -> tuple[list[bytes], int]:
    return _lc_state(ctx, [ctx.output(node.span)])


def _lg_llm_in(ctx: v.Ctx, node: Node) -> tuple[list[bytes], int]:
    return _lc_state(ctx, v.input_list(node.span), b'{"messages":[[', b"]]}")


def _lg_llm_out(ctx: v.Ctx, node: Node) -> tuple[list[bytes], int]:
    span = node.span
    message = v.lc_message(ctx, ctx.output(span))
    model_name = _json_str(span.model.response_model if span.model else "")
    usage = (
        f'{{"token_usage":{{"completion_tokens":{span.output_tokens},"prompt_tokens":{span.input_tokens},'
        f'"total_tokens":{span.input_tokens + span.output_tokens}}},"model_provider":"openai",'
        f'"model_name":{model_name},"system_fingerprint":null,"id":{_json_str(span.response_id)},'
        f'"service_tier":"default","finish_reason":{_json_str(span.finish_reason)}}}'
    ).encode()
    pieces = [
        b'{"generations":[[{"text":"","generation_info":{"finish_reason":"',
        span.finish_reason.encode(),
        b'","logprobs":null},"type":"ChatGeneration","message":',
        message,
        b'}]],"llm_output":',
        usage,
        b',"run":null,"type":"LLMResult"}',
    ]
    return pieces, sum(map(len, pieces))


def _json_str(value: Any) -> str:
    """``dumps(value)``, a string escaped directly."""
    return v._escape(value) if type(value) is str else _DUMPS(value)


def _round_tools(ctx: v.Ctx, node: Node) -> list[Any]:
    return [ctx.nodes[c].span for c in node.children]


def _lg_tools_in(ctx: v.Ctx, node: Node) -> bytes:
    calls = ",".join(
        [
            f'{{"name":{_json_str(s.tool.name if s.tool else "transfer")},"args":"",'
            f'"id":{_json_str(s.call_id)},"type":"tool_call"}}'
            for s in _round_tools(ctx, node)
        ]
    )
    return b'{"messages":[{"tool_calls":[' + calls.encode() + b"]}]}"


def _lg_tools_out(ctx: v.Ctx, node: Node) -> tuple[list[bytes], int]:
    pieces = [b'{"messages":[']
    for n, span in enumerate(_round_tools(ctx, node)):
        pieces += [
            b"," if n else b"",
            b'{"lc":1,"type":"constructor","id":["langchain","schema","messages","ToolMessage"],"kwargs":{"content":',
            v.escaped(ctx, span.result or span.answer),
            b',"type":"tool","tool_call_id":"',
            span.call_id.encode(),
            b'","status":"success"}}',
        ]
    pieces.append(b"]}")
    return pieces, sum(map(len, pieces))


def _lg_root_in(ctx: v.Ctx, node: Node) -> bytes:
    return b'{"messages":[{"role":"user","content":' + node.span.task + b"}]}"


def _lg_root_out(ctx: v.Ctx, node: Node) -> tuple[list[bytes], int]:
    return _lc_state(ctx, v.conversation(ctx, node))


def _lg_metadata(ctx: v.Ctx, node: Node) -> bytes:
    model = node.span.model or node.agent.model if node.stype == "llm" else None
    key = ("lg_meta", node.stype, model)
    pieces = ctx.shared.get(key)  # (the JSON split where the run id goes: joined with it, not replaced)
    if pieces is None:
        meta: dict[str, Any] = {
            "langgraph_step": 0,
            "langgraph_node": node.stype,
            "langgraph_triggers": [f"branch:to:{node.stype}"],
            "langgraph_path": ["__pregel_pull", node.stype],
            "langgraph_checkpoint_ns": f"{node.stype}:{v.RUN_MARK.decode()}",
        }
        if model is not None:
            meta |= {
                "checkpoint_ns": meta["langgraph_checkpoint_ns"],
                "ls_provider": model.provider,
                "ls_model_name": model.name,
                "ls_model_type": "chat",
                "ls_temperature": 0.2,
                "ls_max_tokens": 4096,
                "ls_integration": "langchain_chat_model",
            }
        pieces = ctx.shared.put(key, tuple(_DUMPS(meta).encode()[len(b'{"langgraph_step":0') :].split(v.RUN_MARK)))
    return b'{"langgraph_step":%d' % node.index + ctx.uuid().encode().join(pieces)


def _tool_args(ctx: v.Ctx, node: Node) -> bytes:
    span = node.span
    return span.arguments if span.kind == "tool" else b'{"task":' + span.task + b"}"


def _tool_result(ctx: v.Ctx, node: Node) -> bytes:
    span = node.span
    return span.result if span.kind == "tool" else span.answer


def _cost(ctx: v.Ctx, node: Node) -> float:
    span = node.span
    return round(span.input_tokens * 2.5e-6 + span.output_tokens * 1e-5, 6)


def _crew_usage(ctx: v.Ctx, node: Node) -> str:
    prompt, completion = _agent_tokens(ctx, node)
    return _DUMPS(
        {
            "total_tokens": prompt + completion,
            "prompt_tokens": prompt,
            "cached_prompt_tokens": 0,
            "completion_tokens": completion,
            "successful_requests": 4,
        }
    )


def _parent_cycle_uuid(ctx: v.Ctx, node: Node) -> str | None:
    """The previous cycle's id (the nearest earlier sibling of the same type), None for the first cycle."""
    siblings = ctx.nodes[node.parent].children if node.parent >= 0 else []
    earlier = [c for c in siblings if c < node.index and ctx.nodes[c].stype == node.stype]
    return ctx.uuid(("cycle", earlier[-1])) if earlier else None


VALUES: dict[str, Callable[[v.Ctx, Node], Any]] = {
    "input_tokens": lambda c, n: n.span.input_tokens,
    "output_tokens": lambda c, n: n.span.output_tokens,
    "total_tokens": lambda c, n: n.span.input_tokens + n.span.output_tokens,
    "cache_read": lambda c, n: c.usage(n.span)[0],
    "cache_write": lambda c, n: c.usage(n.span)[1],
    "reasoning": lambda c, n: c.usage(n.span)[2],
    "agent_input_tokens": lambda c, n: _agent_tokens(c, n)[0],
    "agent_output_tokens": lambda c, n: _agent_tokens(c, n)[1],
    "agent_total_tokens": lambda c, n: sum(_agent_tokens(c, n)),
    "zero": lambda c, n: 0,
    "parent_agent": lambda c, n: c.trace.spans[n.span.parent].agent.name if n.span.parent >= 0 else None,
    "agent_calls": lambda c, n: sum(1 for s in c.trace.spans if s.kind == "llm" and s.agent is n.agent),
    "response_id": lambda c, n: n.span.response_id,
    "finish_reason": lambda c, n: n.span.finish_reason,
    "finish_reason_oi": lambda c, n: "tool_calls" if n.span.finish_reason == "tool_call" else n.span.finish_reason,
    "finish_reasons": lambda c, n: [n.span.finish_reason],
    "conversation_id": lambda c, n: c.trace.conversation_id,
    "user_id": lambda c, n: c.trace.user_id,
    "call_id": lambda c, n: n.span.call_id or f"call_{c.ids.getrandbits(64):016x}",
    "arguments": _tool_args,
    "result": _tool_result,
    "uuid": lambda c, n: c.uuid(),
    "agent_uuid": lambda c, n: c.uuid(("agent", id(n.agent))),
    "invocation_uuid": lambda c, n: "e-" + c.uuid("invocation"),
    "parent_uuid": lambda c, n: c.uuid(("event", n.parent)),
    "event_uuid": lambda c, n: c.uuid(("event", n.index)),
    "crew_uuid": lambda c, n: c.uuid("crew"),
    "task_uuid": lambda c, n: c.uuid("task"),
    "short_uuid": lambda c, n: c.uuid("execution")[:12],
    "start_iso": lambda c, n: v.iso_utc((c.base + n.start) / 1e9),
    "end_iso": lambda c, n: v.iso_utc((c.base + n.end) / 1e9),
    "duration_ms": lambda c, n: (n.end - n.start) // 1_000_000,
    "duration_ms_double": lambda c, n: (n.end - n.start) / 1e6,
    "ttft_ms": lambda c, n: int(time_to_first_chunk(n.span) * 1000),
    "ttft_s": lambda c, n: time_to_first_chunk(n.span),
    "cycle_uuid": lambda c, n: c.uuid(("cycle", n.index)),
    "parent_cycle_uuid": _parent_cycle_uuid,
    "genai_input": _genai_in,
    "genai_input_system": _genai_in_system,
    "genai_output": _genai_out,
    "genai_system": _system,
    "all_messages": _all_messages,
    "task_text": lambda c, n: _text(n.span.task),
    "answer_text": lambda c, n: _text(n.span.answer),
    "task_message": lambda c, n: b'[{"role":"user","parts":[{"type":"text","content":' + n.span.task + b"}]}]",
    "answer_message": lambda c, n: b'[{"role":"assistant","parts":[{"type":"text","content":' + n.span.answer + b"}]}]",
    "oi_chat_items": _chat_items,
    "oi_responses_output": _responses_output,
    "lg_model_in": _lg_model_in,
    "lg_model_out": _lg_model_out,
    "lg_llm_in": _lg_llm_in,
    "lg_llm_out": _lg_llm_out,
    "lg_tools_in": _lg_tools_in,
    "lg_tools_out": _lg_tools_out,
    "lg_root_in": _lg_root_in,
    "lg_root_out": _lg_root_out,
    "lg_metadata": _lg_metadata,
    "cost": _cost,
    "crew_usage": _crew_usage,
    "logfire_agent_msg": lambda c, n: f"{n.agent.name} run",
    "logfire_tool_msg": lambda c, n: (
        f"running tool: {n.span.tool.name if n.span.tool else n.target.name if n.target else ''}"
    ),
    "handoff_from": lambda c, n: _DUMPS(n.agent.name),
    "handoff_to": lambda c, n: _DUMPS({"assistant": n.target.name if n.target else ""}),
    "message_count_in": lambda c, n: len(n.span.history) + 1,
    "message_count_out": lambda c, n: 1,
}


#: writers whose value depends on the span only (no ids drawn): one named twice in a row is called once
PURE = frozenset(
    (
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "agent_input_tokens",
        "agent_output_tokens",
        "agent_total_tokens",
    )
)
#: writers that always give the same value: encoded once per profile
CONSTANTS: dict[str, Any] = {"zero": 0}


# -- blocks: several attributes at once ------------------------------------------------------------------------


def _oi_flat_input(ctx: v.Ctx, node: Node, out: list[bytes], names: bool = False) -> int:
    size = 0
    for index, message in enumerate(v.input_list(node.span)):
        encoded = v.flattened(ctx, "llm.input_messages", index, message, names)
        out.append(encoded)
        size += len(encoded)
    return size


def _oi_flat_output(ctx: v.Ctx, node: Node, out: list[bytes], contents: bool = False) -> int:
    encoded = v.flattened(ctx, "llm.output_messages", 0, ctx.output(node.span), contents=contents)
    out.append(encoded)
    return len(encoded)


def _oi_tools(ctx: v.Ctx, node: Node, out: list[bytes]) -> int:
    key = ("oi_tools", node.agent)
    encoded = ctx.shared.get(key)
    if encoded is None:
        encoded = ctx.shared.put(
            key,
            b"".join(
                otlp.attr_str(f"llm.tools.{n}.tool.json_schema", schema)
                for n, (_, schema) in enumerate(_tools_schema(node))
            ),
        )
    out.append(encoded)
    return len(encoded)


_FIRST_ROLE = otlp.attr_str("llm.input_messages.0.message.role", "user")


def _lg_chain_first(ctx: v.Ctx, node: Node, out: list[bytes]) -> int:
    """LangGraph's chain spans carry the first message of the state, flattened (a conversion of the message,
    so it is made once per message and shares the message's parse with its other formats)."""
    span = node.span
    encoded = _FIRST_ROLE
    if span.kind == "llm":
        first = span.history[0] if span.history else b'{"role":"user","parts":[]}'
        encoded = ctx.converted("lg_first", first, _first_content)
    out.append(encoded)
    return len(encoded)


def _first_content(ctx: v.Ctx, data: dict[str, Any]) -> bytes:
    text = v._parts_text(data.get("parts", []))
    return _FIRST_ROLE + otlp.attr_str("llm.input_messages.0.message.content", text)


BLOCKS: dict[str, Callable[[v.Ctx, Node, list[bytes]], int]] = {
    "oi_input_messages": _oi_flat_input,
    "oi_input_messages_named": lambda c, n, o: _oi_flat_input(c, n, o, names=True),
    "oi_output_messages": _oi_flat_output,
    "oi_output_messages_contents": lambda c, n, o: _oi_flat_output(c, n, o, contents=True),
    "oi_tools": _oi_tools,
    "lg_chain_first": _lg_chain_first,
}


# -- span events (Strands) -----------------------------------------------------------------------------------


def _put_events(out: list[bytes], events: list[bytes]) -> int:
    out.extend(events)
    return sum(map(len, events))


_EV_CHOICE = v.event_name("gen_ai.choice")
_EV_SYSTEM = v.event_name("gen_ai.system.message")
_EV_USER = v.event_name("gen_ai.user.message")
_EV_TOOL = v.event_name("gen_ai.tool.message")
_K_MESSAGE, _K_CONTENT, _K_ID = otlp._key("message"), otlp._key("content"), otlp._key("id")
_K_TOOL_RESULT = otlp._key("tool.result")
_FINISH = {reason: v.event_attr(otlp._key("finish_reason"), reason) for reason in ("tool_use", "end_turn")}
_ROLE_TOOL = v.event_attr(otlp._key("role"), "tool")


def _strands_llm_events(ctx: v.Ctx, node: Node, out: list[bytes]) -> int:
    span = node.span
    size = v.role_events(ctx, v.input_list(span), ctx.base + node.start, out)
    choice = v.fast_event(
        _EV_CHOICE,
        ctx.base + node.end,
        _FINISH["tool_use" if span.finish_reason == "tool_call" else "end_turn"]
        + v.event_attr(_K_MESSAGE, v.bedrock_blocks(ctx, ctx.output(span))),
    )
    out.append(choice)
    return size + len(choice)


def _tool_result_block(ctx: v.Ctx, span: Any) -> bytes:
    """``dumps({"toolResult": {...}})`` of one tool's result, the text escaped without a JSON tree."""
    call_id = span.call_id
    return (
        b'{"toolResult":{"toolUseId":'
        + (v._escape(call_id) if type(call_id) is str else _DUMPS(call_id)).encode()
        + b',"status":"success","content":[{"text":'
        + v.escaped(ctx, span.result or span.answer)
        + b"}]}}"
    )


def _strands_cycle_events(ctx: v.Ctx, node: Node, out: list[bytes]) -> int:
    span = node.span
    size = v.role_events(ctx, span.history, ctx.base + node.start, out)
    nodes = ctx.nodes
    results = [nodes[c].span for c in node.children if nodes[c].stype in ("tool", "delegate")]
    if results:
        blocks = b"[" + b",".join([_tool_result_block(ctx, s) for s in results]) + b"]"
        choice = v.fast_event(
            _EV_CHOICE,
            ctx.base + node.end,
            v.event_attr(_K_MESSAGE, v.bedrock_blocks(ctx, ctx.output(span))) + v.event_attr(_K_TOOL_RESULT, blocks),
        )
        out.append(choice)
        size += len(choice)
    return size


def _strands_agent_events(ctx: v.Ctx, node: Node, out: list[bytes]) -> int:
    span, time_ns = node.span, ctx.base + node.start
    last = v.last_llm(ctx, node)
    system = (b'"' + b'"') if last is None else last.system
    events = [
        v.fast_event(_EV_SYSTEM, time_ns, v.event_attr(_K_CONTENT, v.literal_blocks(system))),
        v.fast_event(_EV_USER, time_ns, v.event_attr(_K_CONTENT, v.literal_blocks(span.task))),
        v.fast_event(
            _EV_CHOICE,
            ctx.base + node.end,
            _FINISH["end_turn"] + v.event_attr(_K_MESSAGE, v.literal_blocks(span.answer)),
        ),
    ]
    return _put_events(out, events)


def _strands_tool_events(ctx: v.Ctx, node: Node, out: list[bytes]) -> int:
    span = node.span
    call_id = v.event_attr(_K_ID, span.call_id or "tooluse")
    events = [
        v.fast_event(
            _EV_TOOL,
            ctx.base + node.start,
            _ROLE_TOOL + v.event_attr(_K_CONTENT, _tool_args(ctx, node)) + call_id,
        ),
        v.fast_event(
            _EV_CHOICE,
            ctx.base + node.end,
            v.event_attr(_K_MESSAGE, b'[{"text":' + v.escaped(ctx, _tool_result(ctx, node)) + b"}]") + call_id,
        ),
    ]
    return _put_events(out, events)


EVENTS: dict[str, Callable[[v.Ctx, Node, list[bytes]], int]] = {
    "strands_llm": _strands_llm_events,
    "strands_cycle": _strands_cycle_events,
    "strands_agent": _strands_agent_events,
    "strands_tool": _strands_tool_events,
}


# -- log records (Google ADK) ----------------------------------------------------------------------------------


def _maps(ctx: v.Ctx, key: str, messages: Any) -> bytes:
    """A log attribute holding the messages as an array of maps, each element encoded once (see
    :func:`~.values.map_element`)."""
    return otlp_logs.key_value_array(key, [v.map_element(ctx, m) for m in messages])


def _adk_log(ctx: v.Ctx, node: Node, out: list[bytes]) -> int:
    """One ``gen_ai.client.inference.operation.details`` record per model call, content as OTLP maps."""
    span = node.span
    attributes = [
        _adk_static(ctx, node),
        otlp.attr_str("gcp.vertex.agent.event_id", ctx.uuid(("event", node.index)), otlp_logs.ATTRIBUTE),
        _adk_trace(ctx),
        _adk_finish(span.finish_reason),
        otlp.attr_int("gen_ai.usage.input_tokens", span.input_tokens, otlp_logs.ATTRIBUTE),
        otlp.attr_int("gen_ai.usage.output_tokens", span.output_tokens, otlp_logs.ATTRIBUTE),
        _maps(ctx, "gen_ai.input.messages", span.history),
        _maps(ctx, "gen_ai.output.messages", (ctx.output(span),)),
    ]
    ctx.log_records.append(
        otlp_logs.log_record(
            ctx.base + node.end,
            ctx.trace_id,
            ctx.span_ids[node.index],
            "gen_ai.client.inference.operation.details",
            attributes,
        )
    )
    return 0


def _adk_static(ctx: v.Ctx, node: Node) -> bytes:
    """The record's agent attributes and system instructions: the agent's part kept per agent (its tool
    definitions are a deep map), the instructions per prompt (prompts vary more than agents)."""
    span = node.span
    key = ("adk_static", id(node.agent), span.system)
    static = ctx.shared.get(key)
    if static is None:
        agent_key = ("adk_agent", id(node.agent), (span.model or node.agent.model).provider)
        agent = ctx.shared.get(agent_key)
        if agent is None:
            definitions = json.loads(tool_definitions(node.agent.tools)) if node.agent.tools else []
            agent = ctx.shared.put(
                agent_key,
                otlp.attr_str("gen_ai.agent.name", node.agent.name, otlp_logs.ATTRIBUTE)
                + otlp.attr_str("gen_ai.provider.name", agent_key[2], otlp_logs.ATTRIBUTE)
                + otlp_logs.key_value("gen_ai.tool.definitions", definitions),
            )
        instructions = v.any_value([{"type": "text", "content": _text(span.system)}])
        static = ctx.shared.put(key, agent + otlp_logs.key_any_value(b"gen_ai.system_instructions", instructions))
    return static


def _adk_trace(ctx: v.Ctx) -> bytes:
    """The attributes every record of the trace repeats (invocation, conversation, user), encoded once."""
    found = ctx.cache.get("adk_trace")
    if found is None:
        found = ctx.cache["adk_trace"] = (
            otlp.attr_str("gcp.vertex.agent.invocation_id", "e-" + ctx.uuid("invocation"), otlp_logs.ATTRIBUTE)
            + otlp.attr_str("gen_ai.conversation.id", ctx.trace.conversation_id, otlp_logs.ATTRIBUTE)
            + otlp.attr_str("user.id", ctx.trace.user_id, otlp_logs.ATTRIBUTE)
        )
    return found


_FINISH_REASONS: dict[str, bytes] = {}


def _adk_finish(reason: str) -> bytes:
    found = _FINISH_REASONS.get(reason)
    if found is None:
        found = otlp.attr_str_array("gen_ai.response.finish_reasons", [reason.upper()], otlp_logs.ATTRIBUTE)
        if len(_FINISH_REASONS) < 64:  # (a handful of reasons: bounded all the same)
            _FINISH_REASONS[reason] = found
    return found


LOGS: dict[str, Callable[[v.Ctx, Node, list[bytes]], int]] = {"adk_inference": _adk_log}


def lookup(name: str) -> Callable[..., Any]:
    """The writer called ``name`` (values, blocks, events and logs share one namespace)."""
    for table in (VALUES, BLOCKS, EVENTS, LOGS):
        if name in table:
            return table[name]
    raise KeyError(f"unknown profile writer {name!r}")
