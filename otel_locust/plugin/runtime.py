"""Everything the plugin holds for one Locust environment: settings, pools, the exporter, the accounts.

State lives on the environment (``environment.otel_runtime``), not in module globals, so several environments
can coexist in tests. The Locust event wiring that drives it is in :mod:`otel_locust.plugin.listeners`.
"""

from __future__ import annotations

from locust.env import Environment
from locust.exception import StopUser
from locust.runners import STATE_MISSING, MasterRunner

import itertools
import json
import logging
import os
import random
import time
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event

from otel_locust.encoding.dialects import DIALECTS
from otel_locust.encoding.instrument import Instrumentation
from otel_locust.engine.conversation import Conversation
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.engine.scenario import Scenario
from otel_locust.export.accounting import TraceStats, TraceTicket
from otel_locust.export.console import ConsoleTransport
from otel_locust.export.exporter import Exporter, Portion, Shipment
from otel_locust.export.http import OtlpHttpTransport
from otel_locust.export.retry import RetryPolicy
from otel_locust.export.transport import Transport
from otel_locust.plugin.options import Settings
from otel_locust.plugin.report import add_to_report, build_summary, format_table, rows_csv, trace_rows
from otel_locust.plugin.tasks import scenario_taskset
from otel_locust.sink.embedded import EmbeddedSink

logger = logging.getLogger("otel_locust")


class Session:
    """One user's identity: its content RNG, planner, user id and current conversation (``--otel-turns`` traces,
    see :mod:`otel_locust.engine.conversation`; its carried history is bounded by the payload tier)."""

    def __init__(self, planner: Planner, rng: random.Random, turns: tuple[int, int] = (1, 5),
                 think_seconds: float = 0.0) -> None:
        self.planner = planner
        self._rng = rng
        self.user_id = f"user_{rng.getrandbits(48):012x}"
        self._turns = turns
        self._think = think_seconds
        self.conversation: Conversation | None = None

    def next_conversation(self) -> Conversation:
        """The conversation the user's next trace continues: the current one, or a new one when it is done.

        Rate mode may check ``conversation.ready(time.monotonic())`` first (the think time has passed); pace
        mode does not wait for it."""
        if self.conversation is None or self.conversation.done:
            self.conversation = Conversation.start(self._rng, self.user_id, self._turns, self.planner.tier,
                                                   self._think)
        return self.conversation


def transport_for(settings: Settings) -> Transport:
    """The transport the platform and options ask for (one per process, shared by its users)."""
    if settings.platform.transport == "console":
        return ConsoleTransport()
    return OtlpHttpTransport(settings.endpoint, settings.headers, settings.compression, settings.timeout,
                             connections=settings.connections)


class Runtime:
    """Everything the plugin holds for one Locust environment."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.stats = TraceStats()
        self.exporter: Exporter | None = None
        self.settings: Settings | None = None
        self.sink: EmbeddedSink | None = None
        self.instrumentation: Instrumentation | None = None
        self._pools_seed = random.SystemRandom().getrandbits(31)  # used when --otel-seed is -1
        self._user_numbers = itertools.count()
        self._tasksets: dict[str, type] = {}
        self.closing = False  # set when the test stops: users start no new trace
        self.reporting_workers: set[str] = set()  # master: workers that sent trace counts this test
        self.awaiting: set[str] = set()  # master: workers asked to drain that have not answered yet
        self.all_drained = gevent.event.Event()
        #: called with each trace's ticket when its last span is settled (read-back hooks in here)
        self.on_trace_done: Callable[[TraceTicket], None] | None = None

    # -- configuration --------------------------------------------------------------------------------------

    def configure(self, settings: Settings) -> None:
        """Apply validated settings for a test: pools, instrumentation, transport and the weighted tasks."""
        self.settings = settings
        self.prepare_pools(settings)
        dialects = [DIALECTS[name]() for name in settings.dialects]
        self.instrumentation = Instrumentation(dialects, settings.service_name)
        if self.exporter is not None:
            self.exporter.transport.close()
        policy = RetryPolicy(max_elapsed=settings.retry_seconds,
                             max_attempts=RetryPolicy.max_attempts if settings.retry_seconds else 1)
        self.exporter = Exporter(self.environment.events.request.fire, self.stats, transport_for(settings), policy,
                                 settings.max_request_bytes)
        tasks = [self._taskset(settings.pack.scenarios[name]) for name, weight in settings.mix.items()
                 for _ in range(weight)]
        for user_class in self.environment.user_classes:
            if getattr(user_class, "otel_locust_user", False):
                user_class.tasks = tasks
        if settings.seed >= 0:
            random.seed(settings.seed)  # Locust picks each user's next scenario with the global RNG

    def prepare_pools(self, settings: Settings) -> None:
        """Build the pack's payload pools for the seed (-1: this process's random seed) before users need them.

        Building takes a second or two of CPU; it runs in a real thread so the gevent hub keeps serving
        heartbeats and the web UI meanwhile. Pools are cached per seed, so later calls are free.
        """
        if settings.seed >= 0:
            self._pools_seed = settings.seed
        gevent.get_hub().threadpool.apply(pools_for, (settings.pack.content, self._pools_seed))

    def _taskset(self, scenario: Scenario) -> type:
        if scenario.name not in self._tasksets:
            self._tasksets[scenario.name] = scenario_taskset(scenario)
        return self._tasksets[scenario.name]

    # -- per user -------------------------------------------------------------------------------------------

    def new_session(self) -> Session:
        settings = self._require()
        number = next(self._user_numbers)
        if settings.seed >= 0:
            worker = getattr(self.environment.runner, "worker_index", 0)
            rng = random.Random(f"{settings.seed}:{worker}:{number}")
        else:
            rng = random.Random()
        planner = Planner(pools_for(settings.pack.content, self._pools_seed), rng, settings.tier, settings.error_rate)
        return Session(planner, rng, settings.turns, settings.think_seconds)

    def emit(self, session: Session, scenario: Scenario) -> gevent.Greenlet:
        """Plan, encode and account one trace and start its export; returns the export's greenlet."""
        if self.closing or self.settings is None or self.instrumentation is None or self.exporter is None:
            raise StopUser()
        settings, instrumentation = self.settings, self.instrumentation
        conversation = session.next_conversation()
        trace = session.planner.plan(scenario, conversation=conversation)
        end_ns = conversation.end_ns(trace.spans[0].end, time.time_ns())
        conversation.emitted(time.monotonic(), end_ns)
        encoded = instrumentation.encode(trace, end_ns)
        requests = instrumentation.requests(encoded, settings.max_request_bytes)
        self.stats.generated(scenario.name, len(trace.spans), trace.depth, sum(len(r.body) for r in requests))
        ticket = TraceTicket(self.stats, scenario.name, len(trace.spans), encoded.trace_id, trace.depth,
                             self.on_trace_done)
        return self.exporter.submit([Shipment(r, [Portion(ticket, r.spans, len(r.body))]) for r in requests])

    def _require(self) -> Settings:
        if self.settings is None:
            raise RuntimeError("otel-locust is not configured: no test has started")
        return self.settings

    # -- distributed accounting ---------------------------------------------------------------------------

    def report_to_master(self, data: dict[str, Any], **_: Any) -> None:
        """Worker: ship the counters since the last report (every 3 s, and once more on quit)."""
        data["otel_locust"] = self.stats.take()

    def worker_report(self, client_id: str, data: dict[str, Any], **_: Any) -> None:
        """Master: add a worker's delta."""
        if data.get("otel_locust"):
            self.stats.merge(data["otel_locust"])
            self.reporting_workers.add(client_id)

    def reset(self, **_: Any) -> None:
        """Locust's reset button: start the trace statistics (and the sink's counts) from zero."""
        self.stats.clear()
        if self.sink is not None:
            try:
                self.sink.reset()
            except OSError as exc:
                logger.warning("otel-locust: could not reset the embedded sink: %s", exc)

    # -- draining at the end of a test ---------------------------------------------------------------------

    def drain_exports(self, timeout: float) -> None:
        """Start no new trace and let in-flight exports finish; what cannot finish is settled (dropped/unconfirmed)."""
        self.closing = True
        if self.exporter is None:
            return
        left = self.exporter.drain(timeout)
        if left:
            logger.warning("otel-locust: %d export(s) still in flight at stop were cut short: spans on the wire count "
                           "unconfirmed, the others dropped (reason stop)", left)

    def drain_workers(self, runner: MasterRunner, timeout: float, message: str) -> None:
        """Master: ask every live worker to drain, and wait for their accounts (Locust waits only 0.5 s)."""
        self.awaiting = {c.id for c in runner.clients.all if c.state != STATE_MISSING}
        if not self.awaiting:
            return
        self.all_drained.clear()
        runner.send_message(message)
        if not self.all_drained.wait(timeout):
            logger.warning("otel-locust: no final account from %d worker(s) within %.0f s; their last traces "
                           "are missing from the summary", len(self.awaiting), timeout)

    def drained(self, node_id: str, delta: dict[str, Any]) -> None:
        """Master: a worker's account after draining."""
        self.stats.merge(delta)
        self.awaiting.discard(node_id)
        if not self.awaiting:
            self.all_drained.set()

    # -- end of run -----------------------------------------------------------------------------------------

    def finish(self) -> dict[str, Any]:
        """Read the sink, print the table, write the summary; returns the summary."""
        sink_stats = None
        if self.sink is not None:
            try:
                sink_stats = self.sink.stats()
            except OSError as exc:
                logger.error("otel-locust: could not read the embedded sink's counts: %s", exc)
        summary = build_summary(self.stats, self.settings, sink_stats)
        runner = self.environment.runner
        if isinstance(runner, MasterRunner):
            lost = sorted(c.id for c in runner.clients.all if c.state == STATE_MISSING)
            summary["workers"] = {"reported": len(self.reporting_workers), "lost": lost}
            if lost:
                logger.warning("otel-locust: %d worker(s) went missing; what they generated after their last report "
                               "(up to 3 s) is not in this account", len(lost))
        print("\n" + format_table(summary), flush=True)
        if self.settings and self.settings.summary_path:
            with open(self.settings.summary_path, "w", encoding="utf-8") as handle:
                json.dump(summary, handle, indent=2)
        self._write_reports(trace_rows(self.stats, None, sink_stats))
        return summary

    def _write_reports(self, rows: list[dict[str, Any]]) -> None:
        """The trace table beside Locust's own reports: in the ``--html`` file and as ``PREFIX_traces.csv``.

        Written at quit time, so the numbers are final (Locust's own CSV misses a run's last moments).
        """
        options = self.environment.parsed_options
        html_file = getattr(options, "html_file", None)
        if html_file and os.path.exists(html_file):
            with open(html_file, encoding="utf-8") as handle:
                page = handle.read()
            with open(html_file, "w", encoding="utf-8") as handle:
                handle.write(add_to_report(page, rows))
        csv_prefix = getattr(options, "csv_prefix", None)
        if csv_prefix:
            with open(f"{csv_prefix}_traces.csv", "w", encoding="utf-8", newline="") as handle:
                handle.write(rows_csv(rows))
