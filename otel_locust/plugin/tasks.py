"""Scenarios as Locust tasks: one task function per scenario, weighted by the mix, so weights are shares of traces.

Plain functions rather than TaskSets: a TaskSet is instantiated for every trace and hands control back by raising
an exception, which costs CPU per trace and keeps each waiting user's last tracebacks alive (measured at 10,000
users: about nine tracebacks and seven frames per user).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast

from otel_locust.engine.scenario import Scenario


class _Emitter(Protocol):
    def emit(self, scenario: Scenario) -> None: ...


def scenario_task(scenario: Scenario) -> Callable[[Any], None]:
    """A task that runs ``scenario`` once; the user then waits (pacing) and Locust picks the next task."""

    def run_scenario(user: Any) -> None:
        cast("_Emitter", user).emit(scenario)  # the user is an AgentTraceUser (importing it here: a cycle)

    run_scenario.__name__ = scenario.name
    run_scenario.__doc__ = scenario.description
    return run_scenario
