"""The Locust user: an agent front end whose tasks are the scenarios, as weighted TaskSets.

Modelled on ``locust/contrib/dns.py``: an abstract user with a protocol client. The weights come from
``--otel-mix`` when a test starts, not at import time, so they can be changed in the web UI and reach workers.
Importing this module registers the plugin's options and listeners with Locust, however it is imported.
"""

from __future__ import annotations

from locust import User
from locust.env import Environment
from locust.exception import StopUser

import time

import gevent

from otel_locust.engine.scenario import Scenario
from otel_locust.plugin import listeners  # noqa: F401 - registers the options and listeners with Locust


def _not_configured(user: User) -> None:
    """The task a user has while the test's options are refused (see ``listeners._refuse_test``): stop quietly."""
    raise StopUser()


class AgentTraceUser(User):
    """One simulated agent front end: plans, encodes and exports traces of the configured scenario mix.

    Subclass it in a locustfile (see ``locustfiles/agent_mix.py``); the plugin sets ``tasks`` per test.
    """

    abstract = True
    otel_locust_user = True  # the plugin sets ``tasks`` on user classes that carry this mark
    tasks = [_not_configured]  # replaced by the weighted scenario TaskSets when a test starts

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self._runtime = environment.otel_runtime  # type: ignore[attr-defined]
        configured = self._runtime.settings is not None  # not when the test's options were refused
        self.session = self._runtime.new_session() if configured else None
        self._last_start = 0.0

    def wait_time(self) -> float:
        """Constant pacing: ``--otel-pace`` seconds between the starts of this user's traces."""
        if self._runtime.settings is None:
            return 1.0
        pace = self._runtime.settings.pace
        if pace <= 0:
            return 0.0
        return max(0.0, self._last_start + pace - time.monotonic())

    def emit(self, scenario: Scenario) -> None:
        """Plan, encode and export one trace of ``scenario``, and wait for its export (closed model)."""
        self._last_start = time.monotonic()
        export: gevent.Greenlet = self._runtime.emit(self.session, scenario)
        export.join()
