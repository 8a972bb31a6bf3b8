"""Each ``--otel-framework`` profile against the committed capture of the real framework
(``tests/frameworks/captures/``; needs no framework installed).

A delegated_booking trace (tool calls and a sub-agent, the shape of the captured agent) is generated with the
profile, decoded with the official protobuf classes, described like a capture, and compared:
- span types (kind + name pattern, with agent, tool and model names as placeholders): the same set;
- parent/child edges between span types: the same set;
- attribute keys per span type: the same set (``error.type`` on failed tools excepted) -- overlap 100 %;
- value type per key: the same;
- sizes per key: within a factor of 4 or 24 bytes of the capture's median, for keys that are not content;
  content keys (messages, inputs, outputs) must be at least a quarter of the capture's size (travel content is
  larger than the captured toy agent's);
- content placement: the same span events (names and keys) per span type, and the same log records.
"""

from __future__ import annotations

import json
import random
import re
import statistics
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otel_locust.encoding.profiles import PROFILES, instrumentation_for
from otel_locust.engine.pack import load_pack
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for

from .frameworks import shape, venvs

pytestmark = pytest.mark.frameworks

SIZE_FACTOR, SIZE_SLACK = 4.0, 24
ALLOWED_EXTRA = {"error.type", "otel_locust.scenario", "otel_locust.trace.span_count"}  # ours, on the root
_CONTENT = re.compile(
    r"(messages|input\.value|output\.value|content|arguments|result|all_messages|output|"
    r"description|system_instructions|definitions|json_schema|parameters|metadata|callbacks|"
    r"usage_metrics|\.inputs)",
    re.IGNORECASE,
)
_CAPTURED_NAMES = {"agent": ("travel_agent", "flight_details_agent"), "tool": ("search_flights", "ask_flight_details")}
_CAPTURED_MODEL = re.compile(r"(gpt-4o-mini|gemini-2\.5-flash)")


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in any_value.kvlist_value.values}
    return getattr(any_value, kind) if kind else None


def _describe(attributes: Any) -> dict[str, dict[str, Any]]:
    from .frameworks.capture._common import describe_attributes

    return describe_attributes({kv.key: _value(kv.value) for kv in attributes})


_KINDS = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT"}


def _generated(framework: str, seed: int = 7) -> tuple[dict[str, Any], dict[str, str]]:
    """A delegated_booking trace under ``framework``, as a capture; and its own names -> placeholders."""
    pack = load_pack("")
    scenario = pack.scenarios["delegated_booking"]
    trace = Planner(pools_for(pack.content, seed), random.Random(seed)).plan(
        scenario, "conv_5f1c2a9b3d4e6f70", "user_3a9f2c1d4b5e"
    )
    instrumentation = instrumentation_for(framework, [], ids=random.Random(seed))
    encoded = instrumentation.encode(trace)
    body = instrumentation.requests(encoded)[0].body
    spans = list(ExportTraceServiceRequest.FromString(body).resource_spans[0].scope_spans[0].spans)
    spans.sort(key=lambda s: (s.start_time_unix_nano, -s.end_time_unix_nano))
    index = {s.span_id: i for i, s in enumerate(spans)}
    out = {
        "spans": [
            {
                "name": s.name,
                "kind": _KINDS[s.kind],
                "parent": index.get(s.parent_span_id, -1),
                "attributes": _describe(s.attributes),
                "events": [{"name": e.name, "attributes": _describe(e.attributes)} for e in s.events],
            }
            for s in spans
        ],
        "logs": [],
        "traces": 1,
    }
    if encoded.logs:
        request = ExportLogsServiceRequest.FromString(instrumentation.log_request(encoded.logs))
        for record in request.resource_logs[0].scope_logs[0].log_records:
            out["logs"].append(
                {
                    "event_name": record.event_name,
                    "body_type": "null" if not record.HasField("body") else "other",
                    "attributes": _describe(record.attributes),
                    "has_trace_id": record.trace_id == encoded.trace_id,
                    "has_span_id": record.span_id in index,
                }
            )
    agents = {s.agent for s in trace.spans}
    names = {a.name: "{agent}" for a in agents} | {f"transfer_to_{a.name}": "{tool}" for a in agents}
    names |= {t.name: "{tool}" for a in agents for t in a.tools} | {a.model.name: "{model}" for a in agents}
    return out, names


def _types(capture: dict[str, Any], names: dict[str, str]) -> list[str]:
    """Each span's type with names replaced by placeholders (longest names first)."""
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    out = []
    for span in capture["spans"]:
        name = pattern.sub(lambda m: names[m.group(0)], span["name"]) if names else span["name"]
        out.append(f"{span['kind']} {shape.name_pattern(name)}")
    return out


def _captured_names() -> dict[str, str]:
    return {n: "{" + kind + "}" for kind, found in _CAPTURED_NAMES.items() for n in found}


def _per_type(capture: dict[str, Any], types: list[str]) -> dict[str, dict[str, list[tuple[str, int]]]]:
    """span type -> key pattern -> [(value type, size)] over its spans."""
    out: dict[str, dict[str, list[tuple[str, int]]]] = {}
    for span, stype in zip(capture["spans"], types, strict=True):
        keys = out.setdefault(stype, {})
        for key, entry in span["attributes"].items():
            keys.setdefault(shape.key_pattern(key), []).append((entry["type"], entry["size"]))
    return out


def _edges(capture: dict[str, Any], types: list[str]) -> set[tuple[str, str]]:
    return {(types[i], types[s["parent"]] if s["parent"] >= 0 else "-") for i, s in enumerate(capture["spans"])}


def _events(capture: dict[str, Any], types: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for span, stype in zip(capture["spans"], types, strict=True):
        for event in span["events"]:
            out.setdefault(stype, set()).update(
                {event["name"], *(f"{event['name']}: {k}" for k in event["attributes"])}
            )
    return out


def _comparison(framework: str) -> dict[str, Any]:
    profile = PROFILES[framework]
    captured = json.loads((venvs.CAPTURES / f"{profile.capture}.json").read_text())
    captured["spans"] = [{**s, "name": _CAPTURED_MODEL.sub("{model}", s["name"])} for s in captured["spans"]]
    generated, names = _generated(framework)
    return {
        "captured": captured,
        "generated": generated,
        "ctypes": _types(captured, _captured_names()),
        "gtypes": _types(generated, names),
    }


def key_overlap(framework: str) -> dict[str, float]:
    """Per span type: |generated keys & captured keys| / |union| (1.0 = identical key sets)."""
    c = _comparison(framework)
    want, got = _per_type(c["captured"], c["ctypes"]), _per_type(c["generated"], c["gtypes"])
    out = {}
    for stype in sorted(set(want) | set(got)):
        a, b = set(want.get(stype, {})), set(got.get(stype, {})) - ALLOWED_EXTRA
        out[stype] = len(a & b) / max(1, len(a | b))
    return out


@pytest.mark.parametrize("framework", sorted(PROFILES))
def test_span_types_and_nesting_match_the_capture(framework: str) -> None:
    c = _comparison(framework)
    assert set(c["gtypes"]) == set(c["ctypes"])
    assert _edges(c["generated"], c["gtypes"]) == _edges(c["captured"], c["ctypes"])


@pytest.mark.parametrize("framework", sorted(PROFILES))
def test_keys_types_and_sizes_match_the_capture(framework: str) -> None:
    c = _comparison(framework)
    want, got = _per_type(c["captured"], c["ctypes"]), _per_type(c["generated"], c["gtypes"])
    for stype, keys in want.items():
        assert set(got[stype]) - ALLOWED_EXTRA == set(keys), stype
        for key, found in keys.items():
            mine = got[stype][key]
            assert {t for t, _ in mine} == {t for t, _ in found}, (stype, key)
            expected, size = statistics.median(s for _, s in found), statistics.median(s for _, s in mine)
            if _CONTENT.search(key):
                assert size >= expected / SIZE_FACTOR, (stype, key, size, expected)
            else:
                assert (
                    abs(size - expected) <= SIZE_SLACK or 1 / SIZE_FACTOR <= size / max(1, expected) <= SIZE_FACTOR
                ), (stype, key, size, expected)


@pytest.mark.parametrize("framework", sorted(PROFILES))
def test_content_placement_matches_the_capture(framework: str) -> None:
    """Messages live where the framework puts them: attributes, span events (Strands) or log records (ADK)."""
    c = _comparison(framework)
    assert _events(c["generated"], c["gtypes"]) == _events(c["captured"], c["ctypes"])
    want = {
        (r["event_name"], r["body_type"], tuple(sorted(r["attributes"])), r["has_trace_id"], r["has_span_id"])
        for r in c["captured"]["logs"]
    }
    got = {
        (r["event_name"], r["body_type"], tuple(sorted(r["attributes"])), r["has_trace_id"], r["has_span_id"])
        for r in c["generated"]["logs"]
    }
    assert got == want
    for record in c["generated"]["logs"]:
        assert record["attributes"]["gen_ai.input.messages"]["type"] == "array<map>"


def test_a_diverging_profile_fails() -> None:
    """The comparison can fail: a profile with a key renamed no longer has the capture's key set."""
    import dataclasses

    from otel_locust.encoding.profiles import frameworks

    original = frameworks.PYDANTIC_AI
    spec = original.spans["tool"]
    renamed = dataclasses.replace(
        spec, static=tuple(("gen_ai.tool.label" if k == "gen_ai.tool.name" else k, v) for k, v in spec.static)
    )
    PROFILES["pydantic-ai"] = dataclasses.replace(
        original, spans={**original.spans, "tool": renamed, "delegate": renamed}
    )
    try:
        assert key_overlap("pydantic-ai")["INTERNAL execute_tool {tool}"] < 1.0
        with pytest.raises(AssertionError):
            test_keys_types_and_sizes_match_the_capture("pydantic-ai")
    finally:
        PROFILES["pydantic-ai"] = original


if __name__ == "__main__":
    for name in sorted(PROFILES):
        figures = key_overlap(name)
        print(
            f"{name:14} mean key-set overlap {statistics.mean(figures.values()):.0%}  "
            + ", ".join(f"{t}: {v:.0%}" for t, v in figures.items())
        )


@pytest.mark.parametrize("seed", [1, 2])
def test_semconv_usage_details_are_inside_the_totals(seed: int) -> None:
    """§3 keys on semconv model spans: cache hits grow along a conversation, reasoning tokens on reasoning models,
    stream + time to first chunk (the conformance checks agree)."""
    from otel_locust.encoding.dialects import GenAI
    from otel_locust.testing.conformance import check_trace

    pack = load_pack("")
    planner = Planner(pools_for(pack.content, seed), random.Random(seed))
    instrumentation = instrumentation_for("semconv", [GenAI()], ids=random.Random(seed))
    hits: dict[bool, list[int]] = {True: [], False: []}
    reasoning = 0
    for _ in range(30):
        trace = planner.plan(pack.scenarios["multi_service_complex"], "conv_5f1c2a9b3d4e6f70", "user_3a9f2c1d4b5e")
        body = instrumentation.requests(instrumentation.encode(trace))[0].body
        spans = ExportTraceServiceRequest.FromString(body).resource_spans[0].scope_spans[0].spans
        assert check_trace(spans) == []
        for span in spans:
            attrs = {kv.key: _value(kv.value) for kv in span.attributes}
            if not span.name.startswith("chat "):
                continue
            assert attrs["gen_ai.request.stream"] is True and attrs["gen_ai.response.time_to_first_chunk"] > 0
            late = len(json.loads(attrs["gen_ai.input.messages"])) > 3
            hits[late].append("gen_ai.usage.cache_read.input_tokens" in attrs)
            reasoning += "gen_ai.usage.reasoning.output_tokens" in attrs
    assert statistics.mean(hits[True]) > statistics.mean(hits[False])
    assert reasoning > 0


# -- the profiles' fast paths give what the plain code gives (they keep the output byte for byte) --------------


def _planned_messages(count: int = 12) -> list[bytes]:
    pack = load_pack("")
    planner = Planner(pools_for(pack.content, 3), random.Random(3))
    names = list(pack.scenarios)
    found: dict[bytes, None] = {}
    for n in range(count):
        trace = planner.plan(pack.scenarios[names[n % len(names)]], f"conv_{n}", "user_1")
        for span in trace.spans:
            for message in span.history:
                found[message] = None
    return list(found)


_ODD_TEXTS = ["", "plain", 'quote " back \\ slash / tab\t nl\n', "café ☕ 東京", "del \x7f bell \x07", "\ud800x"]


def test_json_helpers_write_what_json_writes() -> None:
    from otel_locust.encoding.profiles import values as v

    samples: list[Any] = [
        *_ODD_TEXTS,
        None,
        True,
        0,
        -3,
        2.5,
        1e-7,
        float("inf"),
        [],
        {},
        {"a": [1, {"b": None, "c": "x"}], "é": 1.0},
    ]
    for value in samples:
        assert v.dumps(value) == json.dumps(value, separators=(",", ":"))
        assert v.dumps_spaced(value) == json.dumps(value)
    for message in _planned_messages(4):
        assert v.loads(message) == json.loads(message)
        assert v.loads(v.mask(message)[0]) == json.loads(v.mask(message)[0])


def test_literal_blocks_equal_decoding_and_encoding_again() -> None:
    from otel_locust.encoding.profiles import values as v

    for text in _ODD_TEXTS[:-1]:
        for literal in (json.dumps(text).encode(), json.dumps(text, ensure_ascii=False).encode()):
            expected = json.dumps([{"text": json.loads(literal)}], separators=(",", ":"))
            assert v.literal_blocks(literal) == expected, literal
            assert v.text_blocks(text) == expected
    assert v.literal_blocks(b"") == '[{"text":""}]'


def test_iso_times_match_datetime() -> None:
    import datetime as dt

    from otel_locust.encoding.profiles.values import iso_utc

    rng = random.Random(5)
    stamps = [rng.randrange(1_700_000_000 * 10**9, 1_900_000_000 * 10**9) for _ in range(20_000)]
    stamps += [s - s % 1000 + 500 for s in stamps[:5000]]  # half-microsecond ties
    stamps += [1_800_000_000 * 10**9, 1_800_000_000 * 10**9 + 999_999_600, 1_800_000_001 * 10**9 - 1]
    for ns in stamps:
        assert iso_utc(ns / 1e9) == dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).isoformat(), ns


def _mask_reference(message: bytes) -> tuple[bytes, list[bytes]]:
    from otel_locust.encoding.profiles.values import _CALL_ID, _MARKS

    ids = _CALL_ID.findall(message)
    if not ids or len(ids) > len(_MARKS):
        return message, []
    pieces = _CALL_ID.split(message)
    out = [pieces[0]]
    for n, piece in enumerate(pieces[1:]):
        out += (_MARKS[n], piece)
    return b"".join(out), ids


def test_masking_matches_the_regular_expression_split() -> None:
    from otel_locust.encoding.profiles.values import fill, mask

    def call_id(n: int) -> bytes:
        return b"call_%024x" % n

    made = [
        b'{"role":"user","parts":[]}',
        b'{"id":"' + call_id(1) + b'","x":"call_short"}',
        b",".join(call_id(n) for n in range(100)),
        b",".join(call_id(n) for n in range(101)),  # more ids than markers: left as it is
    ]
    for message in [*_planned_messages(6), *made]:
        masked, ids = mask(message)
        assert (masked, ids) == _mask_reference(message)
        assert fill(masked, ids) == message


def test_log_maps_match_logs_any_value() -> None:
    from otel_locust.encoding import logs
    from otel_locust.encoding.profiles import values as v

    values: list[Any] = [{"a": [1, 2.5, True, None, "x", {"b": []}], "c": {}}, [], "é", ("t", 1), 7, None]
    values += [json.loads(m) for m in _planned_messages(4)]
    for value in values:
        assert v.any_value(value) == logs.any_value(value)


def _lc_reference(data: dict[str, Any]) -> bytes:
    """The dict-built LangChain message the text-built one replaces."""
    from otel_locust.encoding.profiles.values import RUN_MARK, _parts_text, _response

    role, parts = data.get("role", "user"), data.get("parts", [])
    kind = {"system": "SystemMessage", "assistant": "AIMessage", "tool": "ToolMessage"}.get(role, "HumanMessage")
    kwargs: dict[str, Any] = {
        "content": _parts_text(parts),
        "type": kind[:-7].lower() or "human",
        "id": "run--" + RUN_MARK.decode(),
    }
    calls = [p for p in parts if p.get("type") == "tool_call"]
    if calls:
        kwargs["tool_calls"] = [
            {"name": c.get("name"), "args": c.get("arguments", {}), "id": c.get("id"), "type": "tool_call"}
            for c in calls
        ]
        kwargs["response_metadata"] = {"finish_reason": "tool_calls", "model_provider": "openai"}
    for result in parts:
        if result.get("type") == "tool_call_response":
            kwargs.update(content=_response(result), tool_call_id=result.get("id"), status="success")
    message = {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", kind], "kwargs": kwargs}
    return json.dumps(message, separators=(",", ":")).encode()


def test_langchain_messages_match_the_dict_built_ones() -> None:
    from otel_locust.encoding.profiles.values import _lc_message

    datas = [json.loads(m) for m in _planned_messages(6)]
    datas += [
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": None, "response": {"é": [1, None]}}]},
        {"role": "assistant", "parts": [{"type": "text", "content": "a\x7f"}, {"type": "tool_call", "name": "t"}]},
        {"parts": []},
    ]
    for data in datas:
        assert _lc_message(None, data) == _lc_reference(data)  # type: ignore[arg-type]


def test_agent_token_sums_match_a_scan() -> None:
    from otel_locust.encoding.profiles import writers
    from otel_locust.encoding.profiles.layout import layout
    from otel_locust.encoding.profiles.values import Ctx

    pack = load_pack("")
    planner = Planner(pools_for(pack.content, 4), random.Random(4))
    for n, name in enumerate(list(pack.scenarios) * 3):
        trace = planner.plan(pack.scenarios[name], f"conv_{n}", "user_1")
        nodes = layout(trace, PROFILES["crewai"].structure)
        ctx = Ctx(trace, nodes, random.Random(1), 0, b"\0" * 16, [b"\0" * 8] * len(nodes))
        for node in nodes:
            if node.stype == "agent":
                calls = [s for s in trace.spans if s.kind == "llm" and node.span.start <= s.start <= node.span.end]
                expected = (sum(s.input_tokens for s in calls), sum(s.output_tokens for s in calls))
                assert writers._agent_tokens(ctx, node) == expected


@pytest.mark.parametrize("framework", sorted(PROFILES))
def test_a_small_shared_cache_changes_no_byte_and_stays_bounded(framework: str) -> None:
    """Conversions kept across traces (one entry per message, all its formats) give the bytes a cold run gives,
    and the table never grows past its limit however many messages go through."""
    from otel_locust.encoding.profiles.values import Shared

    pack = load_pack("")
    planner = Planner(pools_for(pack.content, 6), random.Random(6))
    names = list(pack.scenarios)
    traces = [planner.plan(pack.scenarios[names[n % len(names)]], f"conv_{n}", "user_1") for n in range(12)]
    small = instrumentation_for(framework, [])
    small.shared = Shared(limit=7)  # type: ignore[attr-defined]
    warm = instrumentation_for(framework, [])
    for trace in traces:
        bodies = []
        for instrumentation in (small, warm, instrumentation_for(framework, [])):
            instrumentation._ids = random.Random(7)
            encoded = instrumentation.encode(trace, end_ns=1_800_000_000_000_000_000)
            logs = instrumentation.log_request(encoded.logs) if encoded.logs else b""
            bodies.append((instrumentation.requests(encoded)[0].body, logs))
        assert bodies[0] == bodies[1] == bodies[2]
        shared = small.shared  # type: ignore[attr-defined]
        assert len(shared.table) <= 7
        assert shared.count == sum(len(e) if type(e) is dict else 1 for e in shared.table.values()) <= 7


def test_text_of_a_literal_is_json_decoding() -> None:
    from otel_locust.encoding.profiles.writers import _text

    for text in _ODD_TEXTS[:-1]:
        for literal in (json.dumps(text).encode(), json.dumps(text, ensure_ascii=False).encode()):
            assert _text(literal) == json.loads(literal)
    assert _text(b"") == ""
