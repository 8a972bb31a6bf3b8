"""LangGraph (a LangChain ``create_agent`` graph), instrumented by OpenInference
(openinference-instrumentation-langchain).

The model is LangChain's real ``ChatOpenAI`` on an OpenAI client whose HTTP transport is a scripted fake of the
Chat Completions API, so the LLM spans carry what a real provider integration reports (model name, invocation
parameters, token usage). The sub-agent is a second ``create_agent`` graph called from a tool, the pattern the
LangChain docs give for sub-agents.
"""

from __future__ import annotations

import json
import os

import _common as c

try:
    import httpx2 as httpx  # openai>=3 is built on httpx2
except ImportError:
    import httpx

os.environ.setdefault("OPENAI_API_KEY", "sk-offline")

from langchain.agents import create_agent
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from openinference.instrumentation.langchain import LangChainInstrumentor

SUB_PROMPT = "You answer questions about one flight's details."


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


MAIN = [
    lambda: _completion(1, _tool_call(1, c.TOOL_NAME, c.TOOL_ARGS), "tool_calls", (180, 22)),
    lambda: _completion(
        2, _tool_call(2, "ask_flight_details", {"question": c.SUB_AGENT_QUESTION}), "tool_calls", (260, 18)
    ),
    lambda: _completion(4, {"content": c.FINAL_ANSWER}, "stop", (330, 24)),
]
SUB = [lambda: _completion(3, {"content": c.SUB_AGENT_ANSWER}, "stop", (60, 14))]


def main() -> None:
    pipes = c.Pipelines()
    LangChainInstrumentor().instrument(tracer_provider=pipes.tracer_provider)
    queues = {"main": list(MAIN), "sub": list(SUB)}

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        system = next((m.get("content") for m in body.get("messages", []) if m.get("role") == "system"), "")
        queue = queues["sub" if system == SUB_PROMPT else "main"]
        return httpx.Response(200, json=queue.pop(0)())

    model = ChatOpenAI(
        model=c.MODEL,
        api_key="sk-offline",
        base_url="http://fake-openai.invalid/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )

    @tool(c.TOOL_NAME, description=c.TOOL_DESCRIPTION)
    def search_flights(origin: str, destination: str) -> str:
        return c.search_flights_result(origin, destination)

    sub_agent = create_agent(model, tools=[], system_prompt=SUB_PROMPT, name="flight_details_agent")

    @tool
    def ask_flight_details(question: str) -> str:
        """Ask the flight-details sub-agent a question about one flight."""
        result = sub_agent.invoke({"messages": [{"role": "user", "content": question}]})
        return result["messages"][-1].content

    agent = create_agent(
        model, tools=[search_flights, ask_flight_details], system_prompt=c.SYSTEM_PROMPT, name="travel_agent"
    )
    result = agent.invoke({"messages": [{"role": "user", "content": c.QUESTION}]})
    assert result["messages"][-1].content == c.FINAL_ANSWER, result
    assert not queues["main"] and not queues["sub"], queues
    pipes.finish(
        "langgraph",
        [
            "langgraph",
            "langchain",
            "langchain-core",
            "langchain-openai",
            "openai",
            "openinference-instrumentation-langchain",
            "openinference-instrumentation",
            "opentelemetry-sdk",
        ],
        notes=[
            "model: real ChatOpenAI on a scripted fake Chat Completions transport (4 calls: tool call, "
            "sub-agent tool call, sub-agent answer, final answer)",
            "agent: langchain.agents.create_agent (a compiled LangGraph StateGraph); sub-agent is a "
            "second create_agent graph invoked inside a @tool",
            "content: captured by default (OpenInference TraceConfig hides nothing unless OPENINFERENCE_HIDE_* is set)",
            "only the LangChain instrumentor is on: instrumenting the openai SDK too would add a "
            "second LLM span per call",
        ],
        settings={},
    )


if __name__ == "__main__":
    main()
