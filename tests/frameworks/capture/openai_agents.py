"""OpenAI Agents SDK, instrumented by OpenInference (openinference-instrumentation-openai-agents).

The model is the SDK's real ``OpenAIResponsesModel`` on an ``AsyncOpenAI`` client whose HTTP transport is a
scripted fake of the Responses API: a custom ``Model`` subclass would emit no LLM span at all (the SDK's
response/generation spans are opened by its own model classes), so faking one layer lower keeps the spans real.
"""

from __future__ import annotations

import asyncio
import json
import os

import _common as c

try:
    import httpx2 as httpx  # openai>=3 is built on httpx2
except ImportError:
    import httpx

os.environ.setdefault("OPENAI_API_KEY", "sk-offline")

from agents import Agent, Runner, function_tool
from agents.models.openai_responses import OpenAIResponsesModel
from openai import AsyncOpenAI
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor


def _response(n: int, output: list[dict], usage: tuple[int, int], body: dict) -> dict:
    # Like the real API, echo the request's tools and settings back in the response object.
    return {
        "id": f"resp_{n:024d}",
        "object": "response",
        "created_at": 1763000000 + n,
        "status": "completed",
        "model": "gpt-4o-mini-2024-07-18",
        "output": output,
        "usage": c.openai_usage(*usage, responses=True),
        "parallel_tool_calls": True,
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": body.get("tools") or [],
        "temperature": 1.0,
        "top_p": 1.0,
        "instructions": body.get("instructions", ""),
        "error": None,
        "incomplete_details": None,
        "metadata": {},
        "text": {"format": {"type": "text"}},
    }


def _call(n: int, name: str, args: dict) -> dict:
    return {
        "type": "function_call",
        "id": f"fc_{n}",
        "call_id": f"call_{n}",
        "name": name,
        "arguments": json.dumps(args),
        "status": "completed",
    }


def _message(n: int, text: str) -> dict:
    return {
        "type": "message",
        "id": f"msg_{n}",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


SCRIPT = [
    lambda body: _response(1, [_call(1, c.TOOL_NAME, c.TOOL_ARGS)], (180, 22), body),
    lambda body: _response(2, [_call(2, "transfer_to_flight_details_agent", {})], (260, 14), body),
    lambda body: _response(3, [_message(3, c.SUB_AGENT_ANSWER + " " + c.FINAL_ANSWER)], (310, 30), body),
]


def main() -> None:
    pipes = c.Pipelines()
    OpenAIAgentsInstrumentor().instrument(tracer_provider=pipes.tracer_provider)
    calls: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        calls.append(body)
        return httpx.Response(200, json=SCRIPT[len(calls) - 1](body))

    client = AsyncOpenAI(
        api_key="sk-offline",
        base_url="http://fake-openai.invalid/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    model = OpenAIResponsesModel(model=c.MODEL, openai_client=client)

    @function_tool(description_override=c.TOOL_DESCRIPTION)
    def search_flights(origin: str, destination: str) -> str:
        return c.search_flights_result(origin, destination)

    details = Agent(
        name="flight_details_agent",
        instructions="You answer questions about one flight's details.",
        model=model,
        handoff_description="Answers detailed questions about one flight.",
    )
    agent = Agent(
        name="travel_agent", instructions=c.SYSTEM_PROMPT, model=model, tools=[search_flights], handoffs=[details]
    )
    result = asyncio.run(Runner.run(agent, c.QUESTION))
    assert result.final_output, result
    assert len(calls) == 3, calls
    pipes.finish(
        "openai-agents",
        [
            "openai-agents",
            "openai",
            "openinference-instrumentation-openai-agents",
            "openinference-instrumentation",
            "opentelemetry-sdk",
        ],
        notes=[
            "model: real OpenAIResponsesModel on a scripted fake Responses API transport (3 calls: "
            "tool call, handoff, sub-agent answer)",
            "content: captured by default (OpenInference TraceConfig hides nothing unless OPENINFERENCE_HIDE_* is set)",
            "the SDK's own OpenAI trace exporter is replaced (exclusive_processor defaults to True)",
        ],
        settings={"exclusive_processor": True},
    )


if __name__ == "__main__":
    main()
