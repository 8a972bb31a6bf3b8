"""CrewAI, with its built-in event-driven OpenTelemetry tracing (``crewai.telemetry.tracing.telemetry_session``).

CrewAI 1.x builds the trace of a crew run from its event bus into a provider of its own and hands the spans to
exporters the host supplies; that is what its hosted runtime (AMP) records. Here the exporter is the in-memory one.
The anonymous usage telemetry ("Crew Created", "Task Created", ...) no longer reaches an application's provider
at all (it uses crewAI's own provider and collector), so it is switched off. The model is CrewAI's native OpenAI
provider (``LLM("openai/gpt-4o-mini")``) on an OpenAI client with a scripted fake Chat Completions transport, so
the LLM events are the real ones; the "sub-agent" is a coworker reached through CrewAI's delegation tool.
"""

from __future__ import annotations

import json
import os

os.environ.update(
    {
        "CREWAI_DISABLE_TELEMETRY": "true",
        "CREWAI_TRACING_ENABLED": "false",
        "OPENAI_API_KEY": "sk-offline",
        "CREWAI_STORAGE_DIR": "/tmp/otel-locust-crewai",
    }
)

import _common as c
import httpx

pipes = c.Pipelines()

from crewai import LLM, Agent, Crew, Task  # noqa: E402
from crewai.telemetry.tracing import telemetry_session  # noqa: E402
from crewai.tools import tool  # noqa: E402
from openai import AsyncOpenAI, OpenAI  # noqa: E402

MAIN_ROLE = "Travel Assistant"
SUB_ROLE = "Flight Details Specialist"


def _completion(n: int, message: dict, finish: str, usage: tuple[int, int]) -> dict:
    return {
        "id": f"chatcmpl-{n:08d}",
        "object": "chat.completion",
        "created": 1763000000 + n,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_offline",
        "service_tier": "default",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "refusal": None, "annotations": [], **message},
                "finish_reason": finish,
                "logprobs": None,
            }
        ],
        "usage": c.openai_usage(*usage, responses=False),
    }


def _tool_call(n: int, name: str, args: dict) -> dict:
    return {
        "content": None,
        "tool_calls": [
            {"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        ],
    }


def main() -> None:
    calls: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        calls.append(body)
        system = " ".join(str(m.get("content")) for m in body.get("messages", []) if m.get("role") == "system")
        tools = [t["function"]["name"] for t in body.get("tools", [])]
        if SUB_ROLE in system:
            reply = _completion(10 + len(calls), {"content": c.SUB_AGENT_ANSWER}, "stop", (60, 14))
        elif not any(m.get("role") == "tool" for m in body.get("messages", [])):
            reply = _completion(len(calls), _tool_call(len(calls), c.TOOL_NAME, c.TOOL_ARGS), "tool_calls", (180, 22))
        elif sum(m.get("role") == "tool" for m in body.get("messages", [])) == 1:
            ask = next(t for t in tools if "ask" in t.lower())
            reply = _completion(
                len(calls),
                _tool_call(
                    len(calls),
                    ask,
                    {
                        "question": c.SUB_AGENT_QUESTION,
                        "context": "The user flies CDG to HND on Friday.",
                        "coworker": SUB_ROLE,
                    },
                ),
                "tool_calls",
                (260, 18),
            )
        else:
            reply = _completion(len(calls), {"content": c.FINAL_ANSWER}, "stop", (330, 24))
        return httpx.Response(200, json=reply)

    llm = LLM(model="openai/gpt-4o-mini", api_key="sk-offline", base_url="http://fake-openai.invalid/v1")
    llm._client = OpenAI(
        api_key="sk-offline",
        base_url="http://fake-openai.invalid/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    llm._async_client = AsyncOpenAI(
        api_key="sk-offline",
        base_url="http://fake-openai.invalid/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )

    @tool(c.TOOL_NAME)
    def search_flights(origin: str, destination: str) -> str:
        """Search flights between two airports."""
        return c.search_flights_result(origin, destination)

    main_agent = Agent(
        role=MAIN_ROLE,
        goal="Find the cheapest flight for the traveller.",
        backstory=c.SYSTEM_PROMPT,
        llm=llm,
        tools=[search_flights],
        allow_delegation=True,
        verbose=False,
    )
    sub_agent = Agent(
        role=SUB_ROLE,
        goal="Answer detailed questions about one flight.",
        backstory="You answer questions about one flight's details.",
        llm=llm,
        verbose=False,
    )
    task = Task(description=c.QUESTION, expected_output="The cheapest flight with its time and fare.", agent=main_agent)
    crew = Crew(agents=[main_agent, sub_agent], tasks=[task], verbose=False)
    with telemetry_session("kickoff-0001", "travel_crew", exporters=[pipes.spans]):
        result = crew.kickoff()
    assert c.FINAL_ANSWER in str(result), result
    pipes.finish(
        "crewai",
        ["crewai", "crewai-core", "openai", "opentelemetry-sdk"],
        notes=[
            "model: CrewAI's native OpenAI provider on a scripted fake Chat Completions transport "
            f"({len(calls)} calls: tool call, delegation tool call, coworker answer, final answer)",
            "tracing: crewai.telemetry.tracing.telemetry_session with a host-supplied exporter (the "
            "event-driven trace CrewAI's hosted runtime records); CrewAI instruments nothing into an "
            "application's own TracerProvider, and its anonymous telemetry spans (Crew Created, ...) "
            "go only to crewAI's collector",
            "content: recorded by default in this trace",
        ],
        settings={"calls": len(calls)},
    )


if __name__ == "__main__":
    main()
