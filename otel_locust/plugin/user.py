"""The Locust user: an agent front end whose tasks are the scenarios, weighted by the mix.

Modelled on ``locust/contrib/dns.py``: an abstract user with a protocol client. The weights come from
``--otel-mix`` when a test starts, not at import time, so they can be changed in the web UI and reach workers.
Importing this module registers the plugin's options and listeners with Locust, however it is imported.

Two traffic models:

* closed (``--otel-pace``): each user starts a trace, waits for it to be exported, and starts the next one
  ``--otel-pace`` seconds after the previous start. A slow backend slows the load down.
* open (``--otel-rate``): each user starts traces on its own schedule (Poisson or uniform arrivals at
  ``rate / peak users``) whether or not its earlier exports have finished. A slow backend faces a backlog.
"""

from __future__ import annotations

from locust import User
from locust.env import Environment
from locust.exception import StopUser

import random
import time

import gevent

from otel_locust.engine.scenario import Scenario
from otel_locust.plugin import listeners  # noqa: F401 - registers the options and listeners with Locust
from otel_locust.plugin.runtime import runtime_of

MAX_LAG_S = 1.0  # an open-model schedule that falls further behind than this slides (the process is saturated)


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
        self._runtime = runtime_of(environment)
        configured = self._runtime.settings is not None  # not when the test's options were refused
        self.session = self._runtime.new_session() if configured else None
        self._last_start = 0.0
        self._next_start = 0.0  # open model: when this user's next trace is due (monotonic)
        self._arrivals = random.Random()

    def on_start(self) -> None:
        """Open model: the first trace waits for this user's first arrival too (no burst as users spawn)."""
        settings = self._runtime.settings
        if settings is not None and settings.rate > 0:
            gevent.sleep(self._until_next_arrival(settings.rate / max(1, self._runtime.peak_users), settings.arrival))

    def wait_time(self) -> float:
        """Closed model: ``--otel-pace`` between starts. Open model: until this user's next scheduled arrival."""
        settings = self._runtime.settings
        if settings is None:
            return 1.0
        if settings.rate > 0:
            return self._until_next_arrival(settings.rate / max(1, self._runtime.peak_users), settings.arrival)
        if settings.pace <= 0:
            return 0.0
        return max(0.0, self._last_start + settings.pace - time.monotonic())

    def _until_next_arrival(self, rate: float, arrival: str) -> float:
        now = time.monotonic()
        if arrival == "uniform":
            gap = 1 / rate
            if not self._next_start:  # a random phase, so users never fire in lockstep
                self._next_start = now + self._arrivals.uniform(0, gap)
                return self._next_start - now
        else:
            gap = self._arrivals.expovariate(rate)
            if not self._next_start:
                self._next_start = now + gap
                return gap
        self._next_start = max(self._next_start + gap, now - MAX_LAG_S)
        return max(0.0, self._next_start - now)

    def emit(self, scenario: Scenario) -> None:
        """Plan, encode and deliver one trace of ``scenario``; the closed model waits for its delivery."""
        if self.session is None:  # made while the test's options were refused
            raise StopUser()
        self._last_start = time.monotonic()
        wait = self._runtime.emit(self.session, scenario)
        if self._runtime.settings is not None and self._runtime.settings.rate <= 0:
            wait()
