"""The framework profiles, as data. Each mirrors a committed capture of the real framework
(``tests/frameworks/captures/``; versions in ``matches``); ``tests/test_profiles.py`` fails when they diverge.
A new framework version is usually a change of keys or literals here."""

from __future__ import annotations

from otel_locust.encoding.otlp import KIND_CLIENT, STATUS_OK
from otel_locust.encoding.profiles.base import Profile, SpanSpec
from otel_locust.encoding.profiles.layout import Structure

JSON = "application/json"
_OI_JSON = (("input.mime_type", JSON), ("output.mime_type", JSON))
_OI_TOKENS = (
    ("llm.token_count.prompt", "input_tokens"),
    ("llm.token_count.completion", "output_tokens"),
    ("llm.token_count.total", "total_tokens"),
    ("llm.token_count.prompt_details.cache_read", "cache_read"),
    ("llm.token_count.completion_details.reasoning", "reasoning"),
)
_OI_LLM_STATIC = (
    *_OI_JSON,
    ("openinference.span.kind", "LLM"),
    ("llm.model_name", "$model.response"),
    ("llm.system", "$model.provider"),
    ("llm.invocation_parameters", "$invocation_params"),
)


def _oi(kind: str) -> tuple[tuple[str, str], ...]:
    return (("openinference.span.kind", kind),)


OPENAI_AGENTS = Profile(
    name="openai-agents",
    scope="openinference.instrumentation.openai_agents",
    capture="openai-agents",
    matches="openai-agents 0.24.0 + openinference-instrumentation-openai-agents 2.6.0",
    structure=Structure(root=("workflow", "workflow"), round="turn", delegation="handoff"),
    spans={
        "workflow": SpanSpec("Agent workflow", status=STATUS_OK, static=_oi("CHAIN")),
        "agent": SpanSpec(
            "{agent}",
            status=STATUS_OK,
            static=(*_oi("AGENT"), ("agent.name", "$agent.name"), ("graph.node.id", "$agent.name")),
            dynamic=(("graph.node.parent_id", "parent_agent"),),
        ),
        "turn": SpanSpec("turn", status=STATUS_OK, static=_oi("CHAIN")),
        "llm": SpanSpec(
            "response",
            status=STATUS_OK,
            static=_OI_LLM_STATIC,
            dynamic=(
                ("input.value", "oi_chat_items"),
                ("*", "oi_input_messages"),
                ("*", "oi_output_messages_contents"),
                ("*", "oi_tools"),
                ("llm.finish_reason", "finish_reason_oi"),
                *_OI_TOKENS,
                ("output.value", "oi_responses_output"),
            ),
        ),
        "tool": SpanSpec(
            "{tool}",
            status=STATUS_OK,
            static=(
                *_OI_JSON,
                *_oi("TOOL"),
                ("tool.name", "$tool.name"),
                ("tool.description", "$tool.description"),
                ("tool.parameters", "$tool.parameters"),
            ),
            dynamic=(("input.value", "arguments"), ("output.value", "result")),
        ),
        "handoff": SpanSpec(
            "handoff to {target}",
            status=STATUS_OK,
            static=_oi("TOOL"),
            dynamic=(("input.value", "handoff_from"), ("output.value", "handoff_to")),
        ),
    },
)

_LG_CHAIN = (*_OI_JSON, *_oi("CHAIN"))
LANGGRAPH = Profile(
    name="langgraph",
    scope="openinference.instrumentation.langchain",
    capture="langgraph",
    matches="langgraph 1.2.22 + langchain-openai 1.7.4 + openinference-instrumentation-langchain 0.1.80",
    structure=Structure(around_llm="model", around_tools="tools"),
    spans={
        "agent": SpanSpec(
            "{agent}",
            status=STATUS_OK,
            static=_LG_CHAIN,
            dynamic=(
                ("input.value", "lg_root_in"),
                ("*", "lg_chain_first"),
                ("metadata", "lg_metadata"),
                ("output.value", "lg_root_out"),
            ),
        ),
        "model": SpanSpec(
            "model",
            status=STATUS_OK,
            static=_LG_CHAIN,
            dynamic=(
                ("input.value", "lg_model_in"),
                ("*", "lg_chain_first"),
                ("metadata", "lg_metadata"),
                ("output.value", "lg_model_out"),
            ),
        ),
        "llm": SpanSpec(
            "ChatOpenAI",
            status=STATUS_OK,
            static=(*_OI_LLM_STATIC, ("llm.provider", "$model.provider")),
            dynamic=(
                ("input.value", "lg_llm_in"),
                ("*", "oi_input_messages_named"),
                ("*", "oi_output_messages"),
                ("*", "oi_tools"),
                ("llm.finish_reason", "finish_reason_oi"),
                *_OI_TOKENS,
                ("metadata", "lg_metadata"),
                ("output.value", "lg_llm_out"),
            ),
        ),
        "tools": SpanSpec(
            "tools",
            status=STATUS_OK,
            static=_LG_CHAIN,
            dynamic=(("input.value", "lg_tools_in"), ("metadata", "lg_metadata"), ("output.value", "lg_tools_out")),
        ),
        "tool": SpanSpec(
            "{tool}",
            status=STATUS_OK,
            static=(*_OI_JSON, *_oi("TOOL"), ("tool.name", "$tool.name"), ("tool.description", "$tool.description")),
            dynamic=(("input.value", "arguments"), ("metadata", "lg_metadata"), ("output.value", "result")),
        ),
        "delegate": SpanSpec(
            "transfer_to_{target}",
            status=STATUS_OK,
            static=(
                ("output.mime_type", JSON),
                *_oi("TOOL"),
                ("tool.name", "$call.name"),
                ("tool.description", "$call.description"),
            ),
            dynamic=(("input.value", "arguments"), ("metadata", "lg_metadata"), ("output.value", "result")),
        ),
    },
)

_ST_SYSTEM = ("gen_ai.system", "strands-agents")
_ST_TIMES = (("gen_ai.event.start_time", "start_iso"), ("gen_ai.event.end_time", "end_iso"))
_ST_USAGE = (
    ("gen_ai.usage.prompt_tokens", "input_tokens"),
    ("gen_ai.usage.input_tokens", "input_tokens"),
    ("gen_ai.usage.completion_tokens", "output_tokens"),
    ("gen_ai.usage.output_tokens", "output_tokens"),
    ("gen_ai.usage.total_tokens", "total_tokens"),
)
_ST_TOOL = SpanSpec(
    "execute_tool {tool}",
    status=STATUS_OK,
    static=(
        ("gen_ai.operation.name", "execute_tool"),
        _ST_SYSTEM,
        ("gen_ai.tool.name", "$call.name"),
        ("gen_ai.tool.description", "$call.description"),
        ("gen_ai.tool.json_schema", "$call.parameters"),
        ("gen_ai.tool.status", "success"),
    ),
    dynamic=(*_ST_TIMES, ("gen_ai.tool.call.id", "call_id")),
    events="strands_tool",
)
STRANDS = Profile(
    name="strands",
    scope="strands.telemetry.tracer",
    capture="strands",
    matches="strands-agents 1.62.0",
    structure=Structure(round="cycle"),
    spans={
        "agent": SpanSpec(
            "invoke_agent {agent}",
            status=STATUS_OK,
            static=(
                ("gen_ai.operation.name", "invoke_agent"),
                _ST_SYSTEM,
                ("gen_ai.agent.name", "$agent.name"),
                ("gen_ai.request.model", "$model.name"),
                ("gen_ai.agent.tools", "$agent.tools"),
            ),
            dynamic=(
                *_ST_TIMES,
                ("gen_ai.usage.prompt_tokens", "agent_input_tokens"),
                ("gen_ai.usage.input_tokens", "agent_input_tokens"),
                ("gen_ai.usage.completion_tokens", "agent_output_tokens"),
                ("gen_ai.usage.output_tokens", "agent_output_tokens"),
                ("gen_ai.usage.total_tokens", "agent_total_tokens"),
                ("gen_ai.usage.cache_read_input_tokens", "zero"),
                ("gen_ai.usage.cache_read.input_tokens", "zero"),
                ("gen_ai.usage.cache_write_input_tokens", "zero"),
                ("gen_ai.usage.cache_creation.input_tokens", "zero"),
            ),
            events="strands_agent",
        ),
        "cycle": SpanSpec(
            "execute_event_loop_cycle",
            status=STATUS_OK,
            static=(("gen_ai.operation.name", "execute_event_loop_cycle"), _ST_SYSTEM),
            dynamic=(
                *_ST_TIMES,
                ("event_loop.cycle_id", "cycle_uuid"),
                ("event_loop.parent_cycle_id", "parent_cycle_uuid"),
            ),
            events="strands_cycle",
        ),
        "llm": SpanSpec(
            "chat",
            status=STATUS_OK,
            static=(("gen_ai.operation.name", "chat"), _ST_SYSTEM, ("gen_ai.request.model", "$model.name")),
            dynamic=(
                *_ST_TIMES,
                *_ST_USAGE,
                ("gen_ai.server.request.duration", "duration_ms"),
                ("gen_ai.server.time_to_first_token", "ttft_ms"),
            ),
            events="strands_llm",
        ),
        "tool": _ST_TOOL,
        "delegate": _ST_TOOL,
    },
)

_PY_COMMON = (("gen_ai.agent.name", "$agent.name"),)
_PY_DYNAMIC = (("gen_ai.agent.call.id", "agent_uuid"), ("gen_ai.conversation.id", "conversation_id"))
_PY_TOOL = SpanSpec(
    "execute_tool {tool}",
    static=(
        *_PY_COMMON,
        ("gen_ai.operation.name", "execute_tool"),
        ("gen_ai.tool.name", "$call.name"),
        (
            "logfire.json_schema",
            '{"type":"object","properties":{"gen_ai.tool.name":{},"gen_ai.tool.call.id":{},'
            '"gen_ai.tool.call.arguments":{},"gen_ai.tool.call.result":{}}}',
        ),
    ),
    dynamic=(
        *_PY_DYNAMIC,
        ("gen_ai.tool.call.id", "call_id"),
        ("gen_ai.tool.call.arguments", "arguments"),
        ("gen_ai.tool.call.result", "result"),
        ("logfire.msg", "logfire_tool_msg"),
    ),
)
PYDANTIC_AI = Profile(
    name="pydantic-ai",
    scope="pydantic-ai",
    capture="pydantic-ai",
    matches="pydantic-ai-slim 2.68.0",
    structure=Structure(),
    spans={
        "agent": SpanSpec(
            "invoke_agent {agent}",
            static=(
                *_PY_COMMON,
                ("agent_name", "$agent.name"),
                ("model_name", "$model.name"),
                ("gen_ai.operation.name", "invoke_agent"),
                (
                    "logfire.json_schema",
                    '{"type":"object","properties":{"pydantic_ai.all_messages":{"type":"array"},'
                    '"gen_ai.system_instructions":{"type":"array"},"final_result":{"type":"object"}}}',
                ),
            ),
            dynamic=(
                *_PY_DYNAMIC,
                ("final_result", "answer_text"),
                ("gen_ai.system_instructions", "genai_system"),
                ("gen_ai.aggregated_usage.input_tokens", "agent_input_tokens"),
                ("gen_ai.aggregated_usage.output_tokens", "agent_output_tokens"),
                ("pydantic_ai.all_messages", "all_messages"),
                ("logfire.msg", "logfire_agent_msg"),
            ),
        ),
        "llm": SpanSpec(
            "chat {model}",
            kind=KIND_CLIENT,
            static=(
                *_PY_COMMON,
                ("gen_ai.operation.name", "chat"),
                ("gen_ai.provider.name", "$model.provider"),
                ("gen_ai.system", "$model.provider"),
                ("gen_ai.request.model", "$model.name"),
                ("gen_ai.response.model", "$model.name"),
                ("gen_ai.tool.definitions", "$agent.tool_definitions"),
                ("model_request_parameters", "$request_parameters"),
                (
                    "logfire.json_schema",
                    '{"type":"object","properties":{"gen_ai.input.messages":{"type":"array"},'
                    '"gen_ai.output.messages":{"type":"array"},"gen_ai.system_instructions":'
                    '{"type":"array"},"model_request_parameters":{"type":"object"}}}',
                ),
            ),
            dynamic=(
                *_PY_DYNAMIC,
                ("gen_ai.input.messages", "genai_input"),
                ("gen_ai.output.messages", "genai_output"),
                ("gen_ai.system_instructions", "genai_system"),
                ("gen_ai.usage.input_tokens", "input_tokens"),
                ("gen_ai.usage.output_tokens", "output_tokens"),
                ("operation.cost", "cost"),
            ),
        ),
        "tool": _PY_TOOL,
        "delegate": _PY_TOOL,
    },
)

_ADK_TOOL = (
    ("gen_ai.operation.name", "execute_tool"),
    ("gen_ai.agent.name", "$agent.name"),
    ("gen_ai.tool.name", "$call.name"),
    ("gen_ai.tool.description", "$call.description"),
)
GOOGLE_ADK = Profile(
    name="google-adk",
    scope="gcp.vertex.agent",
    capture="google-adk-content",
    matches="google-adk 2.13.0 (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true)",
    structure=Structure(root=("workflow",), agent=("workflow",)),
    spans={
        "workflow": SpanSpec(
            "invoke_workflow {agent}",
            static=(
                ("gen_ai.operation.name", "invoke_workflow"),
                ("gen_ai.workflow.name", "$agent.name"),
                ("gen_ai.workflow.nested", "$nested"),
            ),
            dynamic=(("gen_ai.conversation.id", "conversation_id"),),
        ),
        "agent": SpanSpec(
            "invoke_agent {agent}",
            static=(
                ("gen_ai.operation.name", "invoke_agent"),
                ("gen_ai.agent.name", "$agent.name"),
                ("gen_ai.agent.description", "$agent.description"),
            ),
            dynamic=(("gen_ai.conversation.id", "conversation_id"),),
        ),
        "llm": SpanSpec(
            "generate_content {model}",
            static=(
                ("gen_ai.operation.name", "generate_content"),
                ("gen_ai.agent.name", "$agent.name"),
                ("gen_ai.provider.name", "$model.provider"),
                ("gen_ai.request.model", "$model.name"),
                ("gen_ai.tool.definitions", "$agent.tool_definitions"),
            ),
            dynamic=(
                ("gcp.vertex.agent.event_id", "event_uuid"),
                ("gcp.vertex.agent.invocation_id", "invocation_uuid"),
                ("gen_ai.conversation.id", "conversation_id"),
                ("gen_ai.response.finish_reasons", "finish_reasons"),
                ("gen_ai.usage.input_tokens", "input_tokens"),
                ("gen_ai.usage.output_tokens", "output_tokens"),
            ),
            logs="adk_inference",
        ),
        "tool": SpanSpec(
            "execute_tool {tool}",
            static=(*_ADK_TOOL, ("gen_ai.tool.type", "FunctionTool")),
            dynamic=(("gcp.vertex.agent.event_id", "event_uuid"), ("gen_ai.tool.call.id", "call_id")),
        ),
        "delegate": SpanSpec(
            "execute_tool {target}",
            static=(*_ADK_TOOL, ("gen_ai.tool.type", "AgentTool")),
            dynamic=(("gcp.vertex.agent.event_id", "event_uuid"), ("gen_ai.tool.call.id", "call_id")),
        ),
    },
)

_CR_EVENT = (("event_id", "event_uuid"), ("crewai.execution_uuid", "short_uuid"))
_CR_CHILD = (*_CR_EVENT, ("parent_event_id", "parent_uuid"))
_CR_CREW = (("crewai.crew.id", "crew_uuid"),)
_CR_TOOL = SpanSpec(
    "call tool",
    status=STATUS_OK,
    static=(
        ("crewai.agent.role", "$agent.name"),
        ("crewai.agent.key", "$crew.key"),
        ("crewai.event_name", "tool_usage_finished"),
        ("crewai.subject", "$call.name"),
        ("crewai.tool.from_cache", False),
        ("gen_ai.operation.name", "execute_tool"),
        ("gen_ai.tool.name", "$call.name"),
        ("gen_ai.tool.type", "function"),
    ),
    dynamic=(*_CR_CHILD, ("gen_ai.tool.call.arguments", "arguments"), ("gen_ai.tool.call.result", "result")),
)
CREWAI = Profile(
    name="crewai",
    scope="crewai",
    capture="crewai",
    matches="crewai 1.15.30",
    structure=Structure(root=("crew", "task")),
    spans={
        "crew": SpanSpec(
            "execute crew",
            status=STATUS_OK,
            static=(
                ("crewai.crew.inputs", "null"),
                ("crewai.crew.key", "$crew.key"),
                ("crewai.crew.name", "crew"),
                ("crewai.crew.num_agents", 2),
                ("crewai.crew.num_tasks", 1),
                ("crewai.crew.process", "Process.sequential"),
                ("crewai.event_name", "crew_kickoff_completed"),
                ("crewai.subject", "crew"),
                ("gen_ai.operation.name", "invoke_workflow"),
                ("gen_ai.workflow.name", "crew"),
            ),
            dynamic=(
                *_CR_EVENT,
                *_CR_CREW,
                ("crewai.crew.execution_duration_ms", "duration_ms_double"),
                ("crewai.crew.output", "answer_text"),
                ("crewai.crew.usage_metrics", "crew_usage"),
                ("gen_ai.input.messages", "task_message"),
                ("gen_ai.output.messages", "answer_message"),
            ),
        ),
        "task": SpanSpec(
            "execute task",
            status=STATUS_OK,
            static=(
                ("crewai.crew.key", "$crew.key"),
                ("crewai.crew.name", "crew"),
                ("crewai.event_name", "task_completed"),
                ("crewai.subject", "$crew.key"),
                ("crewai.task.key", "$crew.key"),
                ("crewai.task.expected_output", "A short answer quoting what the user asked for."),
                ("crewai.task.output_format", "raw"),
                ("crewai.task.output_json_produced", False),
                ("crewai.task.output_pydantic_produced", False),
                ("gen_ai.operation.name", "execute_task"),
            ),
            dynamic=(
                *_CR_CHILD,
                *_CR_CREW,
                ("crewai.task.id", "task_uuid"),
                ("crewai.task.description", "task_text"),
                ("crewai.task.output", "answer_text"),
                ("gen_ai.input.messages", "task_message"),
                ("gen_ai.output.messages", "answer_message"),
            ),
        ),
        "agent": SpanSpec(
            "execute agent",
            status=STATUS_OK,
            static=(
                ("crewai.agent.role", "$agent.name"),
                ("crewai.crew.name", "crew"),
                ("crewai.event_name", "agent_execution_completed"),
                ("crewai.subject", "$agent.name"),
                ("gen_ai.agent.name", "$agent.name"),
                ("gen_ai.agent.description", "$agent.description"),
                ("gen_ai.operation.name", "invoke_agent"),
                ("gen_ai.provider.name", "$model.provider"),
                ("gen_ai.request.model", "$model.name"),
                ("gen_ai.tool.definitions", "$agent.tool_definitions"),
            ),
            dynamic=(
                *_CR_CHILD,
                *_CR_CREW,
                ("crewai.agent.execution_duration_ms", "duration_ms_double"),
                ("crewai.agent.llm_calls_count", "agent_calls"),
                ("gen_ai.agent.id", "agent_uuid"),
                ("gen_ai.input.messages", "task_message"),
                ("gen_ai.output.messages", "answer_message"),
                ("gen_ai.system_instructions", "genai_system"),
            ),
        ),
        "llm": SpanSpec(
            "call llm",
            kind=KIND_CLIENT,
            status=STATUS_OK,
            static=(
                ("crewai.agent.role", "$agent.name"),
                ("crewai.event_name", "llm_call_completed"),
                ("crewai.llm.available_functions", "null"),
                ("crewai.llm.call_type", "llm_call"),
                (
                    "crewai.llm.callbacks",
                    "[<crewai.utilities.token_counter_callback.TokenCalcHandler object at "
                    "0x7f3a2c1d5e10>, <crewai.agents.crew_agent_executor.StepCallback object>]",
                ),
                ("crewai.subject", "$model.name"),
                ("gen_ai.operation.name", "chat"),
                ("gen_ai.output.type", "text"),
                ("gen_ai.provider.name", "$model.provider"),
                ("gen_ai.request.model", "$model.name"),
                ("gen_ai.response.model", "$model.name"),
                ("gen_ai.request.stop_sequences", ["\nObservation:"]),
                ("gen_ai.request.stream", False),
                ("gen_ai.tool.definitions", "$agent.tool_definitions"),
            ),
            dynamic=(
                *_CR_CHILD,
                ("crewai.llm.call_id", "uuid"),
                ("crewai.task.id", "task_uuid"),
                ("gen_ai.conversation.id", "conversation_id"),
                ("gen_ai.input.messages", "genai_input_system"),
                ("gen_ai.input.messages.size", "message_count_in"),
                ("gen_ai.output.messages", "genai_output"),
                ("gen_ai.output.messages.size", "message_count_out"),
                ("gen_ai.response.finish_reasons", "finish_reasons"),
                ("gen_ai.response.id", "response_id"),
                ("gen_ai.usage.input_tokens", "input_tokens"),
                ("gen_ai.usage.output_tokens", "output_tokens"),
            ),
        ),
        "tool": _CR_TOOL,
        "delegate": _CR_TOOL,
    },
)

PROFILES: dict[str, Profile] = {p.name: p for p in (OPENAI_AGENTS, LANGGRAPH, STRANDS, PYDANTIC_AI, GOOGLE_ADK, CREWAI)}
