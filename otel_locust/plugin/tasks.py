"""Scenarios as Locust TaskSets: one TaskSet per scenario, weighted by the mix, so weights are shares of traces."""

from __future__ import annotations

from locust import TaskSet

from typing import Protocol, cast

from otel_locust.engine.scenario import Scenario


class _Emitter(Protocol):
    def emit(self, scenario: Scenario) -> None: ...


def scenario_taskset(scenario: Scenario) -> type[TaskSet]:
    """A TaskSet that runs ``scenario`` once per entry and hands control back to the user."""

    def run_scenario(taskset: TaskSet) -> None:
        cast("_Emitter", taskset.user).emit(scenario)  # the user is an AgentTraceUser (importing it here: a cycle)
        taskset.interrupt(reschedule=False)  # back to the user, which waits (pacing) and picks the next scenario

    run_scenario.__name__ = scenario.name
    return type(scenario.name, (TaskSet,), {"tasks": [run_scenario], "__doc__": scenario.description})
