"""The Locust user: an agent front end whose tasks are the scenarios, as weighted TaskSets.

Modelled on ``locust/contrib/dns.py``: an abstract user with a protocol client. Each scenario becomes a TaskSet
with one task that emits one trace and hands control back (``interrupt``), so the weights are the shares of
traces. The weights come from ``--otel-mix`` when a test starts, not at import time, so they can be changed in
the web UI and reach workers.
"""

from __future__ import annotations

from locust import TaskSet, User
from locust.exception import StopUser

import time

import gevent

from otel_locust.scenario import Scenario


def scenario_taskset(scenario: Scenario) -> type[TaskSet]:
    """A TaskSet that runs ``scenario`` once per entry."""

    def run_scenario(taskset: TaskSet) -> None:
        taskset.user.emit(scenario)
        taskset.interrupt(reschedule=False)  # back to the user, which waits (pacing) and picks the next scenario

    run_scenario.__name__ = scenario.name
    return type(scenario.name, (TaskSet,), {"tasks": [run_scenario], "__doc__": scenario.description})


def _not_configured(user: User) -> None:
    """The task a user has while the test's options are refused (see ``plugin._refuse_test``): stop quietly."""
    raise StopUser()


class AgentTraceUser(User):
    """One simulated agent front end: plans, encodes and exports traces of the configured scenario mix.

    Subclass it in a locustfile (see ``locustfiles/agent_mix.py``); the plugin sets ``tasks`` per test.
    """

    abstract = True
    tasks = [_not_configured]  # replaced by the weighted scenario TaskSets when a test starts

    def __init__(self, environment) -> None:
        super().__init__(environment)
        self._runtime = environment.otel_runtime
        configured = self._runtime.settings is not None  # not when the test's options were refused
        self.session = self._runtime.new_session() if configured else None
        self.client = self._runtime.new_client() if configured else None
        self._last_start = 0.0
        self._export: gevent.Greenlet | None = None

    def wait_time(self) -> float:
        """Constant pacing: ``--otel-pace`` seconds between the starts of this user's traces."""
        if self._runtime.settings is None:
            return 1.0
        pace = self._runtime.settings.pace
        if pace <= 0:
            return 0.0
        return max(0.0, self._last_start + pace - time.monotonic())

    def emit(self, scenario: Scenario) -> None:
        """Plan, encode and export one trace of ``scenario``."""
        self._last_start = time.monotonic()
        self._export = self._runtime.emit(self.client, self.session, scenario)
        self._export.join()

    def on_stop(self) -> None:
        """Close the connection, after the export this user was waiting for (if any) has finished."""
        if self.client is None:
            return
        if self._export is not None and not self._export.dead:
            self._export.link(lambda _: self.client.close())
        else:
            self.client.close()
