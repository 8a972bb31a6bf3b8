"""Shared fixtures: scenarios, seeded planners and an independent decoder of what goes on the wire."""

from __future__ import annotations

import argparse
import os
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
from otel_locust.plugin.options import add_arguments
from otel_locust.scenarios import CONTENT as TRAVEL
from otel_locust.testing.capture import decode_spans

# Tests build pools as a first run does: no pool cache on disk (tests/test_pools.py turns it on where it is tested).
# Set here, before any test starts, so the Locust subprocesses the tests run inherit it too.
os.environ["OTEL_LOCUST_CACHE"] = ""


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

    class Recorder:
        """Stands in for Locust's parser: keeps each option's default."""

        def __init__(self) -> None:
            self.values: dict[str, Any] = {}

        def add_argument(self, name: str, default: Any = None, **_: Any) -> None:
            self.values[name.lstrip("-").replace("-", "_")] = default

    recorder = Recorder()
    add_arguments(recorder)
    return argparse.Namespace(**{**recorder.values, **overrides})
