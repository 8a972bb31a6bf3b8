"""Shared fixtures: scenarios, seeded planners and an independent decoder of what goes on the wire."""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from typing import Any

import pytest

from otel_locust.encoding.dialects import GenAI
from otel_locust.encoding.instrument import Instrumentation
from otel_locust.engine.pack import load_pack
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.engine.scenario import Scenario
from otel_locust.scenarios import CONTENT as TRAVEL
from otel_locust.testing.capture import decode_spans


@pytest.fixture(scope="session")
def scenarios() -> dict[str, Scenario]:
    return load_pack().scenarios


@pytest.fixture
def planner() -> Planner:
    return Planner(pools_for(TRAVEL, 11), random.Random(11))


@pytest.fixture(scope="session")
def instrumentation() -> Instrumentation:
    return Instrumentation([GenAI()])


decode = decode_spans


@pytest.fixture
def encode_trace(instrumentation: Instrumentation) -> Callable[..., tuple[bytes, list[Any]]]:
    def run(trace: Any) -> tuple[bytes, list[Any]]:
        body = instrumentation.requests(instrumentation.encode(trace))[0].body
        return body, decode(body)

    return run


def options_namespace(**overrides: Any) -> argparse.Namespace:
    """Parsed options as Locust would produce them with every otel option at its default."""
    values = dict(otel_platform="sink", otel_endpoint="", otel_headers="", otel_api_key="", otel_project="",
                  otel_dialects="", otel_max_request_mb=0.0, otel_mix="", otel_seed=-1, otel_pace=1.0,
                  otel_compression="none", otel_max_in_flight=256, otel_timeout=10.0, otel_retry_seconds=30.0,
                  otel_max_loss=0.0, otel_payload="realistic", otel_turns="1-5", otel_think_seconds=20.0,
                  otel_error_rate=0.03,
                  otel_service_name="travel-agent", otel_summary="", otel_scenarios="", otel_sink_args="")
    values.update(overrides)
    return argparse.Namespace(**values)
