"""The engine and instrumentation: shapes, variation, timing, conversation growth, tokens, reproducibility."""

from __future__ import annotations

import gzip
import itertools
import json
import random
import statistics
import time

import pytest

from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.scenarios import CONTENT as TRAVEL
from otel_locust.testing.conformance import attributes, check_trace, shape

from .conftest import decode

# SPEC section 2: (spans, depth, KB) ranges for the median over many traces
RANGES = {
    "simple_query": ((5, 10), (2, 4), (15, 30)),
    "single_service_search": ((10, 20), (3, 5), (40, 70)),
    "delegated_booking": ((30, 50), (4, 6), (120, 180)),
    "multi_service_complex": ((80, 150), (5, 8), (200, 300)),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RANGES))
def test_median_shape_is_in_spec_range_and_traces_vary(name, scenarios, encode_trace):
    planner = Planner(pools_for(TRAVEL, 5), random.Random(5))
    spans, depths, kbs, ratios = [], [], [], []
    for i in range(120):
        body, decoded = encode_trace(planner.plan(scenarios[name], "conv", "user"))
        measured = shape(decoded)
        spans.append(measured["spans"])
        depths.append(measured["depth"])
        kbs.append(len(body) / 1000)
        if i < 30:
            ratios.append(len(body) / len(gzip.compress(body)))
    (s_lo, s_hi), (d_lo, d_hi), (k_lo, k_hi) = RANGES[name]
    assert s_lo <= statistics.median(spans) <= s_hi
    assert d_lo <= statistics.median(depths) <= d_hi
    assert k_lo <= statistics.median(kbs) <= k_hi
    assert 2.5 <= statistics.median(ratios) <= 6.0, "the body must compress like real text, not like filler"
    assert len(set(spans)) >= 3 and len({round(k) for k in kbs}) >= 10, "traces of one scenario must vary"


@pytest.mark.parametrize("name", ["simple_query", "delegated_booking", "multi_service_complex"])
def test_traces_conform_to_conventions(name, scenarios, planner, encode_trace):
    for _ in range(15):
        _, decoded = encode_trace(planner.plan(scenarios[name], "conv_1", "user_1"))
        assert check_trace(decoded) == []


def test_sequential_steps_do_not_overlap_and_parallel_ones_do(scenarios, planner):
    overlapping = 0
    for _ in range(20):
        trace = planner.plan(scenarios["multi_service_complex"])
        for parent in range(len(trace.spans)):
            llm_children = [s for s in trace.spans if s.parent == parent and s.kind == "llm"]
            for a, b in itertools.pairwise(llm_children):
                assert a.end <= b.start, "an agent's model calls are sequential"
            agents = [s for s in trace.spans if s.parent == parent and s.kind == "agent"]
            overlapping += sum(1 for a, b in itertools.pairwise(agents) if b.start < a.end)
    assert overlapping >= 20, "the trip planner's specialists run in parallel"


def test_no_waiting_timestamps_are_synthetic(scenarios, planner, instrumentation):
    start = time.perf_counter()
    traces = [planner.plan(scenarios["multi_service_complex"]) for _ in range(20)]
    assert time.perf_counter() - start < 2.0, "planning must not sleep for the simulated durations"
    assert min(t.spans[0].end for t in traces) > 5_000_000_000, "yet the traces span seconds of agent time"
    body = instrumentation.requests(instrumentation.encode(traces[0], end_ns=10**18))[0].body
    spans = decode(body)
    assert spans[0].end_time_unix_nano == 10**18, "the root ends when the trace is emitted"
    assert spans[0].end_time_unix_nano - spans[0].start_time_unix_nano == traces[0].spans[0].end


def test_conversation_grows_and_tool_ids_link(scenarios, planner, encode_trace):
    _, decoded = encode_trace(planner.plan(scenarios["single_service_search"], "conv", "user"))
    by_parent: dict[bytes, list] = {}
    for span in decoded:
        if span.name.startswith("chat "):
            by_parent.setdefault(span.parent_span_id, []).append(span)
    grew = 0
    for chats in by_parent.values():
        ordered = sorted(chats, key=lambda s: s.start_time_unix_nano)
        sizes = [len(attributes(c)["gen_ai.input.messages"]) for c in ordered]
        assert sizes == sorted(sizes), "each model call carries the history so far"
        grew += len(sizes) > 1 and sizes[-1] > sizes[0]
    assert grew >= 1
    calls = {}
    for span in decoded:
        if span.name.startswith("chat "):
            for message in json.loads(attributes(span)["gen_ai.output.messages"]):
                for part in message["parts"]:
                    if part["type"] == "tool_call":
                        calls[part["id"]] = part["name"]
    tools = [attributes(s) for s in decoded if s.name.startswith("execute_tool ")]
    assert tools and all(calls.get(t["gen_ai.tool.call.id"]) == t["gen_ai.tool.name"] for t in tools)


def test_token_counts_agree_with_content(scenarios, planner, encode_trace):
    for _ in range(10):
        _, decoded = encode_trace(planner.plan(scenarios["delegated_booking"]))
        for span in decoded:
            if span.name.startswith("chat "):
                a = attributes(span)
                chars = len(a["gen_ai.input.messages"]) + len(a["gen_ai.system_instructions"])
                assert abs(a["gen_ai.usage.input_tokens"] - chars / 4) <= 0.25 * chars / 4
                assert (
                    abs(a["gen_ai.usage.output_tokens"] - len(a["gen_ai.output.messages"]) / 4)
                    <= 0.25 * len(a["gen_ai.output.messages"]) / 4 + 1
                )


def _content(trace, encode_trace):
    _, decoded = encode_trace(trace)
    return [
        (
            s.name,
            s.kind,
            s.end_time_unix_nano - s.start_time_unix_nano,
            sorted((k, v) for k, v in attributes(s).items()),
        )
        for s in decoded
    ]


@pytest.mark.slow
def test_seed_makes_content_reproducible_ids_aside(scenarios, encode_trace):
    def run(seed: int) -> list:
        planner = Planner(pools_for(TRAVEL, seed), random.Random(seed))
        return [_content(planner.plan(scenarios[n], "c", "u"), encode_trace) for n in sorted(scenarios)]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_errors_carry_status_type_and_exception_event(scenarios, planner, encode_trace):
    errors = []
    for _ in range(80):
        trace = planner.plan(scenarios["multi_service_complex"])
        if any(s.error for s in trace.spans):
            _, decoded = encode_trace(trace)
            errors += [s for s in decoded if s.status.code == 2 and s.name.startswith("execute_tool")]
    assert errors, "tools fail now and then (and the model retries)"
    for span in errors:
        assert "error.type" in attributes(span)
        assert [e.name for e in span.events] == ["exception"]
