"""The framework profiles keep message conversions across traces (keyed by content with call ids masked): a trace
encoded by a warm instrumentation must be byte for byte what a fresh one makes, logs included."""

from __future__ import annotations

import random

import pytest

from otel_locust.encoding.profiles import PROFILES, instrumentation_for
from otel_locust.encoding.profiles.values import _MARKS, RUN_MARK
from otel_locust.engine.pack import load_pack
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for


def _traces(count: int, seed: int) -> list:
    pack = load_pack("")
    names = list(pack.scenarios)
    rng = random.Random(seed)
    planner = Planner(pools_for(pack.content, 5), rng)
    return [planner.plan(pack.scenarios[names[n % 4]], f"conv_{n}", "user_1") for n in range(count)]


def _encode(instrumentation, trace) -> tuple[bytes, bytes]:
    instrumentation._ids = random.Random(99)  # the same ids for the same trace, warm or cold
    encoded = instrumentation.encode(trace, end_ns=1_800_000_000_000_000_000)
    logs = instrumentation.log_request(encoded.logs) if encoded.logs else b""
    return instrumentation.requests(encoded)[0].body, logs


@pytest.mark.slow
@pytest.mark.parametrize("framework", sorted(PROFILES))
def test_warm_caches_change_nothing(framework: str) -> None:
    warmup, probes = _traces(40, 1), _traces(8, 2)
    warm = instrumentation_for(framework, [])
    for trace in warmup:
        _encode(warm, trace)
    before = len(warm.shared.table)
    for trace in probes:
        body, logs = _encode(warm, trace)
        assert (body, logs) == _encode(instrumentation_for(framework, []), trace)
        for marker in (_MARKS[0][5:], RUN_MARK, b".#."):  # every placeholder was filled in
            assert marker not in body and marker not in logs
        ids = {s.call_id.encode() for s in trace.spans if s.call_id}
        assert all(i in body or i in logs for i in ids) or framework in ("crewai",)
    if framework != "pydantic-ai" and framework != "crewai":  # these convert no messages
        assert len(warm.shared.table) > 0
    assert len(warm.shared.table) >= before


def test_shared_cache_is_bounded() -> None:
    from otel_locust.encoding.profiles.values import Shared

    shared = Shared(limit=3)
    for n in range(10):
        shared.put(n, b"x")
    assert list(shared.table) == [7, 8, 9]
