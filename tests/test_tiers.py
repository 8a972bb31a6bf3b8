"""Payload tiers, multi-turn conversations and failures inside traces (issue 9)."""

from __future__ import annotations

import gc
import gzip
import itertools
import json
import lzma
import random
import statistics
import tracemalloc
from collections import defaultdict

import pytest

from otel_locust.encoding.dialects import DIALECTS
from otel_locust.encoding.instrument import Instrumentation
from otel_locust.engine.conversation import Conversation
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.engine.tiers import PRODUCTION, REALISTIC, STRESS, TIERS, Tier
from otel_locust.plugin.options import parse_mix
from otel_locust.scenarios import CONTENT as TRAVEL
from otel_locust.testing.conformance import attributes, check_failures, check_trace

from .conftest import decode
from .helpers import run_locust, summary

EVERY_DIALECT = Instrumentation([d() for d in DIALECTS.values()])


def _conversation(tier: Tier, scenario, turns: int, seed: int = 3) -> list[list]:
    """The decoded spans of each turn of one conversation of ``turns`` turns."""
    planner = Planner(pools_for(TRAVEL, 1), random.Random(seed), tier)
    conversation = Conversation.start(random.Random(seed), "user_1", (turns, turns), tier)
    decoded = []
    while not conversation.done:
        trace = planner.plan(scenario, conversation=conversation)
        decoded.append(decode(EVERY_DIALECT.requests(EVERY_DIALECT.encode(trace))[0].body))
    return decoded


def _root_chats(spans: list) -> list:
    root = next(s for s in spans if not s.parent_span_id)
    return sorted(
        (s for s in spans if s.parent_span_id == root.span_id and s.name.startswith("chat ")),
        key=lambda s: s.start_time_unix_nano,
    )


@pytest.mark.slow
@pytest.mark.parametrize("tier", [REALISTIC, PRODUCTION], ids=lambda t: t.name)
def test_turn_k_messages_open_turn_k_plus_1(tier, scenarios):
    turns = _conversation(tier, scenarios["simple_query"], 4)
    ids = {attributes(s)["gen_ai.conversation.id"] for spans in turns for s in spans if s.name.startswith("chat ")}
    assert len(ids) == 1, "every turn carries the same conversation id"
    for before, after in itertools.pairwise(turns):
        last = attributes(_root_chats(before)[-1])
        question = json.loads(attributes(_root_chats(before)[0])["gen_ai.input.messages"])[-1]
        answer = json.loads(last["gen_ai.output.messages"])[0]
        carried = json.loads(attributes(_root_chats(after)[0])["gen_ai.input.messages"])[:-1]
        assert question in carried, "turn k's question is in turn k+1's first model call"
        assert carried[-1]["parts"] == answer["parts"], "turn k's answer is the last carried message"
        if tier.carry_tools:
            kinds = {p["type"] for m in carried for p in m["parts"]}
            assert "tool_call_response" in kinds, "production carries tool results too"
        else:
            assert {m["role"] for m in carried} <= {"user", "assistant"}
            assert all(p["type"] == "text" for m in carried for p in m["parts"])


@pytest.mark.parametrize("tier", [REALISTIC, PRODUCTION], ids=lambda t: t.name)
def test_sizes_grow_with_the_turn_number(tier, scenarios):
    first_call: dict[int, list[int]] = defaultdict(list)
    for seed in range(12):
        for index, spans in enumerate(_conversation(tier, scenarios["simple_query"], 4, seed), start=1):
            first_call[index].append(len(attributes(_root_chats(spans)[0])["gen_ai.input.messages"]))
    medians = [statistics.median(first_call[i]) for i in range(1, 5)]
    assert medians == sorted(medians) and medians[-1] > medians[0] * (3 if tier.carry_tools else 1.5), medians


@pytest.mark.parametrize("tier", list(TIERS.values()), ids=lambda t: t.name)
def test_carried_history_is_bounded_per_user(tier, scenarios):
    planner = Planner(pools_for(TRAVEL, 1), random.Random(5), tier)
    conversation = Conversation.start(random.Random(5), "u", (40, 40), tier)
    compacted = 0
    while not conversation.done:
        planner.plan(scenarios["single_service_search"], conversation=conversation)
        assert conversation.history_bytes <= tier.history_limit
        assert conversation.history_bytes == sum(map(len, conversation.history))
        compacted += conversation.compacted
    assert compacted > 0 or not tier.compact_at, "production and stress compact a growing context"


@pytest.mark.parametrize("tier", [REALISTIC, PRODUCTION], ids=lambda t: t.name)
def test_between_traces_a_user_keeps_only_its_conversation(tier, scenarios):
    """Issue 13: every user has a planner; one that kept its last trace (spans, messages: tens of KB) made a
    10,000-user process grow by hundreds of MB as users got their first traces. Between traces a user may keep
    its conversation's carried history (bounded by the tier) and a little bookkeeping, nothing more."""
    pools = pools_for(TRAVEL, 1).complete()  # entries made on first pick are the pools', not the users'
    users = [
        (Planner(pools, random.Random(seed), tier), Conversation.start(random.Random(seed), "u", (5, 5), tier))
        for seed in range(16)
    ]
    planner, conversation = users[0]
    planner.plan(scenarios["multi_service_complex"], conversation=conversation)  # warm the shared caches
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for planner, conversation in users[1:]:
            planner.plan(scenarios["multi_service_complex"], conversation=conversation)
        gc.collect()  # the planner's reference cycles are garbage, not kept
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    carried = sum(conversation.history_bytes for _, conversation in users[1:])
    per_user = (kept - carried) / (len(users) - 1)
    # about 5 KB: production system prompts' handbooks, built once per prompt and shared (before the fix: 120+ KB)
    assert per_user < 10_000, f"{per_user:.0f} bytes per user kept beyond the carried history"


def test_compaction_marks_the_calls_after_it(scenarios):
    compactions = marked = 0
    for spans in _conversation(PRODUCTION, scenarios["delegated_booking"], 20):
        assert check_trace(spans) == []
        for span in spans:
            attrs = attributes(span)
            compactions += "compaction" in (attrs.get("gen_ai.response.finish_reasons") or [])
            marked += attrs.get("gen_ai.conversation.compacted") is True
    assert compactions and marked > compactions


@pytest.mark.parametrize("tier", list(TIERS.values()), ids=lambda t: t.name)
def test_every_failure_shape_conforms_on_every_tier(tier, scenarios):
    planner = Planner(pools_for(TRAVEL, 1), random.Random(9), tier, error_rate=1.0)
    seen: set[str] = set()
    for number in range(40):
        scenario = scenarios["multi_service_complex" if number % 2 else "simple_query"]
        spans = decode(EVERY_DIALECT.requests(EVERY_DIALECT.encode(planner.plan(scenario, "c", "u")))[0].body)
        assert check_trace(spans) == []
        for span in spans:
            if span.status.code == 2:
                error = attributes(span)["error.type"]
                assert [e.name for e in span.events] == ["exception"]
                seen.add(f"{span.name.split(' ')[0]}:{error}")
    assert {
        "invoke_agent:InputGuardrailTripwireTriggered",
        "invoke_agent:ToolExecutionError",
        "execute_tool:TimeoutError",
    } <= seen
    assert any(s.startswith("chat:") for s in seen), seen


def test_conformance_catches_a_failed_call_that_is_not_retried(scenarios):
    planner = Planner(pools_for(TRAVEL, 1), random.Random(2), REALISTIC, error_rate=1.0)
    for _ in range(60):
        spans = decode(EVERY_DIALECT.requests(EVERY_DIALECT.encode(planner.plan(scenarios["simple_query"])))[0].body)
        failed = [s for s in spans if s.name.startswith("chat ") and s.status.code == 2]
        if failed:
            break
    assert failed
    retried = [
        s
        for s in spans
        if s.name.startswith("chat ")
        and s.parent_span_id == failed[0].parent_span_id
        and s.start_time_unix_nano > failed[0].end_time_unix_nano
    ]
    broken = [s for s in spans if s not in retried]
    assert any("not retried" in p for p in check_failures(broken))


@pytest.mark.slow
def test_large_documents_are_distinct_text_not_repeated_chunks():
    pools = pools_for(TRAVEL, 1)
    for kind in ("fares", "hotels", "cars", "policy", "trips", "itinerary"):
        full, view = pools.document(kind, 1_200_000, 40_000, random.Random(kind))
        assert len(full) >= 1_190_000 and 40_000 <= len(view) < 42_000
        json.loads(full), json.loads(view)
        gz = len(full) / len(gzip.compress(full))
        xz = len(full) / len(lzma.compress(full))
        assert 2.5 <= gz <= 6 and xz <= 1.5 * gz, (kind, gz, xz)


@pytest.mark.slow
def test_a_20_mb_attribute_is_built_without_several_copies():
    pools = pools_for(TRAVEL, 1)
    tracemalloc.start()
    try:
        full, view = pools.document("fares", 20_000_000, 48_000, random.Random(1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(full) >= 19_900_000 and len(view) < 50_000
    assert peak < 2.6 * len(full), f"peak {peak / 1e6:.1f} MB to build {len(full) / 1e6:.1f} MB"


def test_stress_probes_depth_and_span_count(scenarios):
    planner = Planner(pools_for(TRAVEL, 1), random.Random(4), STRESS)
    chain = planner.plan(scenarios["approval_chain"])
    assert chain.depth >= 30
    longest = max(len(planner.plan(scenarios["itinerary_replanning"]).spans) for _ in range(3))
    assert longest >= 10_000


def test_tier_weights_bring_the_long_running_scenario_in(scenarios):
    assert "itinerary_replanning" not in parse_mix("", scenarios, "realistic")
    assert "approval_chain" not in parse_mix("", scenarios, "production")
    assert {"itinerary_replanning", "approval_chain"} <= set(parse_mix("", scenarios, "stress"))
    planner = Planner(pools_for(TRAVEL, 1), random.Random(1), PRODUCTION)
    spans = len(planner.plan(scenarios["itinerary_replanning"]).spans)
    assert 300 <= spans <= 1500


def test_think_time_and_turn_timestamps():
    conversation = Conversation("c", "u", 3, REALISTIC, think_median=20.0)
    conversation.finish_turn(random.Random(1))
    conversation.emitted(100.0, 5_000_000_000)
    assert not conversation.ready(100.0) and conversation.ready(100.0 + conversation.think)
    assert 2.0 < conversation.think < 200.0
    # the next turn (10 s long) may not start before the previous one ended
    assert conversation.end_ns(10_000_000_000, 6_000_000_000) >= 5_000_000_000 + 10_000_000_000
    assert conversation.end_ns(1_000_000_000, 60_000_000_000) == 60_000_000_000


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("limit_mb", "protocol"),
    [(5, "http/protobuf"), (10, "http/protobuf"), (5, "http/json")],
    ids=["langfuse-5MB", "braintrust-10MB", "json-5MB"],
)
def test_production_traces_are_split_below_the_limit_and_accounted_once(tmp_path, limit_mb, protocol):
    """The split leaves room for OTLP/JSON's larger bodies: a JSON request over the limit would be refused."""
    result = run_locust(
        [
            "--otel-protocol",
            protocol,
            "--headless",
            "-u",
            "2",
            "-r",
            "2",
            "-t",
            "8s",
            "--otel-pace",
            "0",
            "--otel-seed",
            "4",
            "--otel-payload",
            "production",
            "--otel-mix",
            "itinerary_replanning=1,multi_service_complex=1",
            "--otel-max-request-mb",
            str(limit_mb),
            "--otel-summary",
            "summary.json",
            # the sink refuses (413) any request over the limit, in the same MB (10^6 bytes)
            "--otel-sink-args",
            f"--max-body-mb {limit_mb}",
        ],
        tmp_path,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "summary.json")
    traces, sink = data["total"]["traces"], data["sink"]
    assert traces["generated"] == traces["delivered"] == sink["traces_complete"] > 0
    assert data["total"]["spans"]["delivered"] == sink["spans_received"]
    assert sink["requests"] > traces["delivered"], "traces over the limit went out in several requests"
    assert sink["rejected_requests"] == 0 and traces["failed"] == 0, "no request went over the limit"
