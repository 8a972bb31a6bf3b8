"""Strands Agents, with its built-in OpenTelemetry tracer (``strands.telemetry.tracer``).

Strands reads the global TracerProvider, so this process sets its private in-memory one as global. The model is a
custom ``strands.models.Model`` that streams Bedrock-ConverseStream-shaped events from a script (Strands' own model
spans wrap any provider, so nothing is lost by faking the provider). The sub-agent is a second ``Agent`` called
from a ``@tool`` (the "agents as tools" pattern). ``OTEL_SEMCONV_STABILITY_OPT_IN`` picks the convention variant;
it is recorded in the capture's settings.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

import _common as c

pipes = c.Pipelines(set_global=True)  # before strands builds its tracer

from strands import Agent, tool  # noqa: E402
from strands.models.model import Model  # noqa: E402

SUB_PROMPT = "You answer questions about one flight's details."


def _tool_use(n: int, name: str, args: dict) -> list[dict]:
    return [
        {"contentBlockStart": {"start": {"toolUse": {"toolUseId": f"tooluse_{n}", "name": name}}}},
        {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(args)}}}},
        {"contentBlockStop": {}},
    ]


def _text(text: str) -> list[dict]:
    return [{"contentBlockDelta": {"delta": {"text": text}}}, {"contentBlockStop": {}}]


def _turn(blocks: list[dict], stop: str, usage: tuple[int, int]) -> list[dict]:
    return [
        {"messageStart": {"role": "assistant"}},
        *blocks,
        {"messageStop": {"stopReason": stop}},
        {
            "metadata": {
                "usage": {"inputTokens": usage[0], "outputTokens": usage[1], "totalTokens": usage[0] + usage[1]},
                "metrics": {"latencyMs": 420, "timeToFirstByteMs": 180},
            }
        },
    ]


class ScriptedModel(Model):
    """A model provider that replays a fixed list of turns."""

    def __init__(self, model_id: str, turns: list[list[dict]]) -> None:
        self.config = {"model_id": model_id}
        self.turns = list(turns)

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> Any:
        return self.config

    async def structured_output(self, output_model, prompt, system_prompt=None, **kwargs):  # pragma: no cover
        raise NotImplementedError
        yield

    async def stream(self, messages, tool_specs=None, system_prompt=None, **kwargs) -> AsyncIterator[dict]:
        for event in self.turns.pop(0):
            yield event


def main() -> None:
    main_model = ScriptedModel(
        c.MODEL,
        [
            _turn(_tool_use(1, c.TOOL_NAME, c.TOOL_ARGS), "tool_use", (180, 22)),
            _turn(_tool_use(2, "ask_flight_details", {"question": c.SUB_AGENT_QUESTION}), "tool_use", (260, 18)),
            _turn(_text(c.FINAL_ANSWER), "end_turn", (330, 24)),
        ],
    )
    sub_model = ScriptedModel(c.MODEL, [_turn(_text(c.SUB_AGENT_ANSWER), "end_turn", (60, 14))])

    @tool(name=c.TOOL_NAME, description=c.TOOL_DESCRIPTION)
    def search_flights(origin: str, destination: str) -> str:
        """Search flights between two airports.

        Args:
            origin: IATA code of the departure airport.
            destination: IATA code of the arrival airport.
        """
        return c.search_flights_result(origin, destination)

    sub_agent = Agent(name="flight_details_agent", model=sub_model, system_prompt=SUB_PROMPT, callback_handler=None)

    @tool
    def ask_flight_details(question: str) -> str:
        """Ask the flight-details sub-agent a question about one flight.

        Args:
            question: The question about the flight.
        """
        return str(sub_agent(question))

    agent = Agent(
        name="travel_agent",
        model=main_model,
        system_prompt=c.SYSTEM_PROMPT,
        tools=[search_flights, ask_flight_details],
        callback_handler=None,
    )
    result = agent(c.QUESTION)
    assert c.FINAL_ANSWER in str(result), result
    assert not main_model.turns and not sub_model.turns
    opt_in = os.environ.get("OTEL_SEMCONV_STABILITY_OPT_IN", "")
    pipes.finish(
        "strands",
        ["strands-agents", "opentelemetry-sdk"],
        notes=[
            "model: custom strands Model streaming scripted ConverseStream events (4 calls: tool call, "
            "sub-agent tool call, sub-agent answer, final answer)",
            "content: captured by default, as span EVENTS (gen_ai.user.message, gen_ai.choice, ...); "
            "OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental switches to the 1.37+ names and "
            "one gen_ai.client.inference.operation.details event per span, and adding "
            "gen_ai_span_attributes_only moves that content into span attributes",
            "the tracer uses the GLOBAL TracerProvider, set here to the private in-memory one",
        ],
        settings={"OTEL_SEMCONV_STABILITY_OPT_IN": opt_in},
    )


if __name__ == "__main__":
    main()
