"""Google ADK, with its built-in OpenTelemetry tracing (``google.adk.telemetry``, scope ``gcp.vertex.agent``).

ADK reads the global TracerProvider and LoggerProvider, so this process sets its private in-memory ones as
global. The model is a custom ``BaseLlm`` replaying scripted ``LlmResponse``s; it is named like a Gemini model,
as most ADK agents are, and no google-genai instrumentor is installed, so ADK records the inference itself. The
sub-agent is an ``AgentTool``. Environment variables pick the variant (``venvs.VARIANTS``): content capture
(``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``) and the legacy schema
(``ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1``); they are recorded in the capture's settings.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator

import _common as c

pipes = c.Pipelines(set_global=True)

from google.adk.agents import LlmAgent  # noqa: E402
from google.adk.models.base_llm import BaseLlm  # noqa: E402
from google.adk.models.llm_request import LlmRequest  # noqa: E402
from google.adk.models.llm_response import LlmResponse  # noqa: E402
from google.adk.runners import InMemoryRunner  # noqa: E402
from google.adk.tools.agent_tool import AgentTool  # noqa: E402
from google.genai import types  # noqa: E402

MODEL = "gemini-2.5-flash"
SUB_PROMPT = "You answer questions about one flight's details."


def _usage(prompt: int, completion: int) -> types.GenerateContentResponseUsageMetadata:
    return types.GenerateContentResponseUsageMetadata(
        prompt_token_count=prompt, candidates_token_count=completion, total_token_count=prompt + completion
    )


def _call(n: int, name: str, args: dict, usage: tuple[int, int]) -> LlmResponse:
    part = types.Part(function_call=types.FunctionCall(id=f"adk-call-{n}", name=name, args=args))
    return LlmResponse(
        content=types.Content(role="model", parts=[part]),
        usage_metadata=_usage(*usage),
        finish_reason=types.FinishReason.STOP,
        model_version=MODEL,
    )


def _text(text: str, usage: tuple[int, int]) -> LlmResponse:
    return LlmResponse(
        content=types.Content(role="model", parts=[types.Part(text=text)]),
        usage_metadata=_usage(*usage),
        finish_reason=types.FinishReason.STOP,
        model_version=MODEL,
    )


class ScriptedLlm(BaseLlm):
    """A BaseLlm that replays turns, one queue per agent (told apart by the system instruction)."""

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        system = str(llm_request.config.system_instruction or "") if llm_request.config else ""
        queue = SUB if SUB_PROMPT in system else MAIN
        yield queue.pop(0)


MAIN = [
    _call(1, c.TOOL_NAME, c.TOOL_ARGS, (180, 22)),
    _call(2, "flight_details_agent", {"request": c.SUB_AGENT_QUESTION}, (260, 18)),
    _text(c.FINAL_ANSWER, (330, 24)),
]
SUB = [_text(c.SUB_AGENT_ANSWER, (60, 14))]


def search_flights(origin: str, destination: str) -> dict:
    """Search flights between two airports.

    Args:
        origin: IATA code of the departure airport.
        destination: IATA code of the arrival airport.
    """
    return dict(c.TOOL_RESULT)


async def run() -> str:
    llm = ScriptedLlm(model=MODEL)
    sub_agent = LlmAgent(
        name="flight_details_agent",
        model=llm,
        instruction=SUB_PROMPT,
        description="Answers detailed questions about one flight.",
    )
    agent = LlmAgent(
        name="travel_agent", model=llm, instruction=c.SYSTEM_PROMPT, tools=[search_flights, AgentTool(agent=sub_agent)]
    )
    runner = InMemoryRunner(agent=agent, app_name="travel_app")
    session = await runner.session_service.create_session(app_name="travel_app", user_id="user-1")
    answer = ""
    async for event in runner.run_async(
        user_id="user-1",
        session_id=session.id,
        new_message=types.Content(role="user", parts=[types.Part(text=c.QUESTION)]),
    ):
        if event.content and event.content.parts and event.content.parts[0].text:
            answer = event.content.parts[0].text
    return answer


def main() -> None:
    answer = asyncio.run(run())
    assert answer == c.FINAL_ANSWER, answer
    assert not MAIN and not SUB
    pipes.finish(
        "google-adk",
        ["google-adk", "google-genai", "opentelemetry-sdk"],
        notes=[
            "model: custom BaseLlm (named gemini-2.5-flash) replaying scripted LlmResponses (4 calls: "
            "tool call, AgentTool call, sub-agent answer, final answer)",
            "ADK 2.x default telemetry schema 2 (semconv-aligned): invoke_workflow / invoke_agent / "
            "generate_content / execute_tool spans plus one gen_ai.client.inference.operation.details "
            "LOG record per model call; message content is OFF by default and goes into that log "
            "record with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true",
            "ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1 restores the legacy format (invocation / call_llm "
            "spans, full request/response JSON in gcp.vertex.agent.llm_request / llm_response, on by "
            "default, ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS=false turns that off)",
            "ADK uses the GLOBAL TracerProvider and LoggerProvider, set here to the private in-memory ones",
        ],
        settings={
            k: os.environ.get(k, "")
            for k in (
                "OTEL_SEMCONV_STABILITY_OPT_IN",
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
                "ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS",
                "ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN",
            )
        },
    )


if __name__ == "__main__":
    main()
