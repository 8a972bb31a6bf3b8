"""Shared fixtures: scenarios, seeded planners and an independent decoder of what goes on the wire."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from otel_locust.capture import decode_spans
from otel_locust.dialects import GenAI
from otel_locust.instrument import Instrumentation
from otel_locust.planner import Planner
from otel_locust.pools import pools_for
from otel_locust.scenario import Scenario, load_scenarios


@pytest.fixture(scope="session")
def scenarios() -> dict[str, Scenario]:
    return load_scenarios()


@pytest.fixture
def planner() -> Planner:
    return Planner(pools_for(11), random.Random(11))


@pytest.fixture(scope="session")
def instrumentation() -> Instrumentation:
    return Instrumentation([GenAI()])


decode = decode_spans


@pytest.fixture
def encode_trace(instrumentation: Instrumentation) -> Callable[..., tuple[bytes, list[Any]]]:
    def run(trace: Any) -> tuple[bytes, list[Any]]:
        body = instrumentation.requests(instrumentation.encode(trace))[0][0]
        return body, decode(body)

    return run
