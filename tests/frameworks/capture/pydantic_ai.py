"""Pydantic AI, with its built-in OpenTelemetry instrumentation (``Agent.instrument_all(InstrumentationSettings(...))``,
data format version 5, the default).

The model is ``FunctionModel`` (Pydantic AI's own offline test model) answering from a script; the sub-agent is a
second ``Agent`` run from a tool ("agent delegation" in the Pydantic AI docs). Content is included by default
(``include_content=True``).
"""

from __future__ import annotations

import _common as c
from pydantic_ai import Agent, RunContext
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.usage import RequestUsage

SUB_PROMPT = "You answer questions about one flight's details."


def main() -> None:
    pipes = c.Pipelines()
    settings = InstrumentationSettings(tracer_provider=pipes.tracer_provider)
    Agent.instrument_all(settings)  # what logfire.instrument_pydantic_ai() does
    main_turns = [
        ModelResponse(
            parts=[ToolCallPart(c.TOOL_NAME, dict(c.TOOL_ARGS), tool_call_id="call_1")],
            usage=RequestUsage(input_tokens=180, output_tokens=22),
            model_name=c.MODEL,
        ),
        ModelResponse(
            parts=[ToolCallPart("ask_flight_details", {"question": c.SUB_AGENT_QUESTION}, tool_call_id="call_2")],
            usage=RequestUsage(input_tokens=260, output_tokens=18),
            model_name=c.MODEL,
        ),
        ModelResponse(
            parts=[TextPart(c.FINAL_ANSWER)], usage=RequestUsage(input_tokens=330, output_tokens=24), model_name=c.MODEL
        ),
    ]
    sub_turns = [
        ModelResponse(
            parts=[TextPart(c.SUB_AGENT_ANSWER)],
            usage=RequestUsage(input_tokens=60, output_tokens=14),
            model_name=c.MODEL,
        )
    ]

    def main_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return main_turns.pop(0)

    def sub_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return sub_turns.pop(0)

    sub_agent = Agent(
        FunctionModel(sub_model, model_name=c.MODEL), name="flight_details_agent", instructions=SUB_PROMPT
    )
    agent = Agent(FunctionModel(main_model, model_name=c.MODEL), name="travel_agent", instructions=c.SYSTEM_PROMPT)

    @agent.tool_plain(name=c.TOOL_NAME, description=c.TOOL_DESCRIPTION)
    def search_flights(origin: str, destination: str) -> str:
        return c.search_flights_result(origin, destination)

    @agent.tool
    async def ask_flight_details(ctx: RunContext[None], question: str) -> str:
        """Ask the flight-details sub-agent a question about one flight."""
        return (await sub_agent.run(question, usage=ctx.usage)).output

    result = agent.run_sync(c.QUESTION)
    assert result.output == c.FINAL_ANSWER, result.output
    assert not main_turns and not sub_turns
    pipes.finish(
        "pydantic-ai",
        ["pydantic-ai-slim", "pydantic-graph", "opentelemetry-sdk"],
        notes=[
            "model: FunctionModel replaying scripted ModelResponses (4 calls: tool call, sub-agent tool "
            "call, sub-agent answer, final answer); its provider is reported as 'function'",
            "content: captured by default (include_content=True); instrumentation itself is opt-in: "
            "Agent.instrument_all() / logfire.instrument_pydantic_ai(), or an Instrumentation capability"
            " per agent",
            "no log records: data format version >= 2 keeps messages in span attributes",
        ],
        settings={"version": settings.version, "include_content": settings.include_content},
    )


if __name__ == "__main__":
    main()
