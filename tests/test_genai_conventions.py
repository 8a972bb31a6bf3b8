"""The GenAI conventions beyond chat and tools (issue 11 section 3): retrieval (RAG), MCP tools, online evaluation
events, multimodal user parts, and output messages without the deprecated ``finish_reason``."""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Callable
from typing import Any

import pytest

from otel_locust.encoding.dialects import GenAI, OpenInference
from otel_locust.encoding.instrument import Instrumentation
from otel_locust.encoding.profiles import PROFILES, instrumentation_for
from otel_locust.engine.conversation import Conversation
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.engine.scenario import Scenario
from otel_locust.plugin.options import parse_mix
from otel_locust.scenarios import CONTENT as TRAVEL
from otel_locust.scenarios.content import AIRPORTS
from otel_locust.testing.conformance import MODALITIES, attributes, check_trace, shape

from .conftest import decode

Encode = Callable[[Any], tuple[bytes, list[Any]]]


def _traces(scenario: Scenario, encode: Encode, count: int, seed: int = 5) -> list[list[Any]]:
    planner = Planner(pools_for(TRAVEL, 11), random.Random(seed))
    return [encode(planner.plan(scenario, "conv_rag", "user_1"))[1] for _ in range(count)]


def _named(spans: list[Any], prefix: str) -> list[Any]:
    return [s for s in spans if s.name.startswith(prefix)]


# -- the retrieval scenario -------------------------------------------------------------------------------------


def test_destination_guide_shape_and_conformance(scenarios, encode_trace):
    traces = _traces(scenarios["destination_guide"], encode_trace, 150)
    counts = [len(spans) for spans in traces]
    assert min(counts) >= 5 and max(counts) <= 15, (min(counts), max(counts))
    assert len(set(counts)) >= 3, "traces of the scenario vary"
    assert 5 <= statistics.median(counts) <= 15
    assert all(shape(spans)["scenario"] == "destination_guide" for spans in traces)
    problems = [p for spans in traces for p in check_trace(spans)]
    assert problems == []
    for spans in traces:
        names = [s.name for s in spans]
        assert "embeddings text-embedding-3-small" in names and "retrieval destination_guides" in names
        assert "rerank rerank-v3.5" in names and "apply_guardrail prompt-shield" in names


def test_retrieval_spans_carry_documents_and_feed_the_answer(scenarios, encode_trace):
    for spans in _traces(scenarios["destination_guide"], encode_trace, 40):
        embed = attributes(_named(spans, "embeddings ")[0])
        assert embed["gen_ai.operation.name"] == "embeddings" and embed["gen_ai.embeddings.dimension.count"] == 1536
        search = attributes(_named(spans, "retrieval destination_guides")[0])
        found = json.loads(search["gen_ai.retrieval.documents"])
        assert search["gen_ai.data_source.id"] == "destination_guides" and 1 <= len(found) <= 16
        assert search["gen_ai.retrieval.query.text"].endswith(("?", "."))
        reranked = json.loads(attributes(_named(spans, "rerank ")[0])["gen_ai.retrieval.documents"])
        assert 3 <= len(reranked) <= 5 and {d["id"] for d in reranked} <= {d["id"] for d in found}
        # the kept passages are what the answering model reads, after the retrieval
        answer = attributes(_named(spans, "chat ")[-1])
        assert all(d["id"] in answer["gen_ai.input.messages"] for d in reranked)
        guard = attributes(_named(spans, "apply_guardrail ")[0])
        assert guard["gen_ai.security.target.type"] == "knowledge_result"


def test_retrieval_spans_in_the_openinference_dialect(scenarios):
    instrumentation = Instrumentation([GenAI(), OpenInference()])
    planner = Planner(pools_for(TRAVEL, 11), random.Random(2))
    trace = planner.plan(scenarios["destination_guide"], "conv_oi", "user_oi")
    spans = decode(instrumentation.requests(instrumentation.encode(trace))[0].body)
    kinds = {s.name.split(" ")[0]: attributes(s).get("openinference.span.kind") for s in spans}
    assert kinds["embeddings"] == "EMBEDDING" and kinds["retrieval"] == "RETRIEVER"
    assert kinds["rerank"] == "RERANKER" and kinds["apply_guardrail"] == "GUARDRAIL"
    embed = attributes(_named(spans, "embeddings ")[0])
    assert embed["embedding.model_name"] == "text-embedding-3-small"
    assert embed["embedding.embeddings.0.embedding.text"] == embed["input.value"]
    search = attributes(_named(spans, "retrieval ")[0])
    count = len(json.loads(search["gen_ai.retrieval.documents"]))
    for n in range(count):
        assert {f"retrieval.documents.{n}.document.{k}" for k in ("id", "score", "content")} <= set(search)
    assert " guide, " in search["retrieval.documents.0.document.content"]  # text, not a JSON literal
    rerank = attributes(_named(spans, "rerank ")[0])
    assert rerank["reranker.model_name"] == "rerank-v3.5" and "reranker.output_documents.0.document.id" in rerank
    assert rerank["reranker.top_k"] == len(json.loads(rerank["gen_ai.retrieval.documents"]))


def test_guide_passages_are_varied_text(scenarios):
    pools = pools_for(TRAVEL, 11)
    passages = pools.pool("guide.document")
    assert len(set(passages)) == len(passages) and statistics.median(map(len, passages)) > 250


def test_default_mix_stays_and_tiers_bring_retrieval_in(scenarios):
    assert parse_mix("", scenarios, "realistic") == {
        "simple_query": 4,
        "single_service_search": 3,
        "delegated_booking": 2,
        "multi_service_complex": 1,
    }
    assert "destination_guide" in parse_mix("", scenarios, "production")
    assert "destination_guide" in parse_mix("", scenarios, "stress")
    assert parse_mix("destination_guide=1", scenarios) == {"destination_guide": 1}


@pytest.mark.parametrize("framework", sorted(PROFILES))
def test_profiles_show_retrieval_as_tool_spans(scenarios, framework):
    """Frameworks run retrieval as a tool call: a profile shows each span of the step as one of its tool spans."""
    instrumentation = instrumentation_for(framework, [])
    planner = Planner(pools_for(TRAVEL, 11), random.Random(3))
    trace = planner.plan(scenarios["destination_guide"], "conv_p", "user_p")
    spans = decode(instrumentation.requests(instrumentation.encode(trace))[0].body)
    ids = {s.span_id for s in spans}
    assert all(not s.parent_span_id or s.parent_span_id in ids for s in spans)
    tool_spans = [
        s
        for s in spans
        if s.name.endswith(("embed_query", "search_destination_guides", "rerank_documents", "screen_documents"))
    ]
    if framework != "crewai":  # CrewAI names every tool span "Tool Usage"
        assert len(tool_spans) >= 4


# -- MCP ------------------------------------------------------------------------------------------------------


def _policy_traces(scenarios: dict[str, Scenario], encode: Encode) -> list[list[Any]]:
    traces = _traces(scenarios["simple_query"], encode, 60, seed=8)
    return [spans for spans in traces if _named(spans, "execute_tool lookup_policy")]


def test_mcp_tools_carry_session_and_request_ids_and_a_client_span(scenarios, encode_trace):
    traces = _policy_traces(scenarios, encode_trace)
    assert traces
    for spans in traces:
        assert not _named(spans, "GET /v1/policies"), "the MCP client span replaces the tool's HTTP span"
        ids = set()
        for tool in _named(spans, "execute_tool lookup_policy"):
            attrs = attributes(tool)
            assert attrs["mcp.method.name"] == "tools/call" and attrs["mcp.session.id"]
            call = [s for s in spans if s.parent_span_id == tool.span_id]
            assert [c.name for c in call] == ["tools/call lookup_policy"] and call[0].kind == 3
            client = attributes(call[0])
            assert client["jsonrpc.request.id"] == attrs["jsonrpc.request.id"]
            assert client["mcp.session.id"] == attrs["mcp.session.id"]
            ids.add(attrs["jsonrpc.request.id"])
        assert len(ids) == len(_named(spans, "execute_tool lookup_policy")), "request ids are unique in a trace"
        assert check_trace(spans) == []


def test_mcp_session_is_one_per_conversation_and_server(scenarios, encode_trace):
    planner = Planner(pools_for(TRAVEL, 11), random.Random(8))
    sessions: dict[str, set[str]] = {}
    for number in range(40):
        conversation = Conversation(f"conv_{number // 4}", "user", 4)
        spans = encode_trace(planner.plan(scenarios["simple_query"], conversation=conversation))[1]
        for tool in _named(spans, "execute_tool lookup_policy"):
            sessions.setdefault(conversation.id, set()).add(attributes(tool)["mcp.session.id"])
    assert len(sessions) >= 3 and all(len(found) == 1 for found in sessions.values())
    assert len({next(iter(found)) for found in sessions.values()}) == len(sessions)


def test_conformance_finds_a_broken_mcp_call(scenarios, encode_trace):
    spans = _policy_traces(scenarios, encode_trace)[0]
    client = _named(spans, "tools/call ")[0]
    assert any("without its tools/call" in p for p in check_trace([s for s in spans if s is not client]))
    for kv in client.attributes:
        if kv.key == "jsonrpc.request.id":
            kv.value.string_value = "999999"
    assert any("another session or request" in p for p in check_trace(spans))


# -- evaluation, multimodal parts, finish reasons -----------------------------------------------------------------


def test_evaluation_events_on_a_share_of_answers(scenarios, encode_trace):
    evaluated, answers, names = 0, 0, set()
    for name in ("simple_query", "destination_guide"):
        for spans in _traces(scenarios[name], encode_trace, 120, seed=6):
            root = next(s for s in spans if not s.parent_span_id)
            final = max(
                (s for s in _named(spans, "chat ") if s.parent_span_id == root.span_id),
                key=lambda s: s.start_time_unix_nano,
            )
            answers += 1
            events = [e for e in final.events if e.name == "gen_ai.evaluation.result"]
            evaluated += bool(events)
            for event in events:
                attrs = attributes(event)
                names.add(attrs["gen_ai.evaluation.name"])
                assert attrs["gen_ai.response.id"] == attributes(final)["gen_ai.response.id"]
                assert 0.0 <= attrs["gen_ai.evaluation.score.value"] <= 1.0
                assert attrs["gen_ai.evaluation.score.label"] and len(attrs["gen_ai.evaluation.explanation"]) > 20
                if attrs["gen_ai.evaluation.name"] == "groundedness":
                    assert name == "destination_guide", "groundedness needs retrieved documents"
    assert 0.12 < evaluated / answers < 0.40, evaluated / answers
    assert names == {"relevance", "helpfulness", "groundedness"}


def test_conformance_finds_a_bad_evaluation(scenarios, encode_trace):
    for spans in _traces(scenarios["simple_query"], encode_trace, 60, seed=6):
        for span in _named(spans, "chat "):
            for event in span.events:
                if event.name == "gen_ai.evaluation.result":
                    for kv in event.attributes:
                        if kv.key == "gen_ai.evaluation.score.value":
                            kv.value.double_value = 7.5
                    assert any("out of [0, 1]" in p for p in check_trace(spans))
                    return
    pytest.fail("no evaluated answer in 60 traces")


def _first_user_parts(spans: list[Any]) -> list[dict[str, Any]]:
    first = min(_named(spans, "chat "), key=lambda s: s.start_time_unix_nano)
    messages = json.loads(attributes(first)["gen_ai.input.messages"])
    return next(m for m in messages if m["role"] == "user")["parts"]


def test_multimodal_parts_on_a_share_of_turns(scenarios, encode_trace):
    traces = _traces(scenarios["simple_query"], encode_trace, 300, seed=9)
    attached = [p for spans in traces for p in _first_user_parts(spans)[1:]]
    assert 0.05 < len(attached) / len(traces) < 0.20, len(attached)
    kinds = {part["type"] for part in attached}
    assert kinds == {"uri", "file"}
    for part in attached:
        assert part["modality"] in MODALITIES and "/" in part["mime_type"]
        assert part["uri"].startswith("https://") if part["type"] == "uri" else part["file_id"].startswith("file-")
    assert all(check_trace(spans) == [] for spans in traces)


def test_output_messages_carry_no_finish_reason(scenarios, encode_trace):
    spans = _traces(scenarios["single_service_search"], encode_trace, 3)[0]
    for span in _named(spans, "chat "):
        attrs = attributes(span)
        if "gen_ai.output.messages" in attrs:
            assert all("finish_reason" not in m for m in json.loads(attrs["gen_ai.output.messages"]))
            assert attrs["gen_ai.response.finish_reasons"]
    chat = _named(spans, "chat ")[0]
    for kv in chat.attributes:
        if kv.key == "gen_ai.output.messages":
            kv.value.string_value = kv.value.string_value[:-2] + ',"finish_reason":"stop"}]'
    assert any("finish_reason inside output messages" in p for p in check_trace(spans))


def test_retrieval_finds_passages_about_the_city_asked_about(scenarios):
    planner = Planner(pools_for(TRAVEL, 11), random.Random(12))
    shares = []
    for _ in range(40):
        trace = planner.plan(scenarios["destination_guide"], "conv_c", "user_c")
        search = next(s for s in trace.spans if s.kind == "retrieval")
        city = next(city for _, city in AIRPORTS if city in json.loads(search.query))
        about = [d for d in search.documents if json.loads(d.content).startswith(f"{city} ")]
        shares.append(len(about) / len(search.documents))
        assert len({d.id for d in search.documents}) == len(search.documents), "a document is returned once"
    assert 0.5 < statistics.mean(shares) < 0.95, statistics.mean(shares)
