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
from otel_locust.encoding.profiles import instrumentation_for
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.engine.scenario import Scenario
from otel_locust.engine.trace import PlannedTrace
from otel_locust.export.accounting import TraceStats, TraceTicket
from otel_locust.export.batch import BatchSpanQueue, RealTimeScheduler
from otel_locust.export.console import ConsoleTransport
from otel_locust.export.exporter import Exporter, Portion, Shipment
from otel_locust.export.http import OtlpHttpTransport, OtlpJsonTransport
from otel_locust.export.retry import RetryPolicy
from otel_locust.export.transport import Transport
from otel_locust.plugin.charts import SeriesSampler, report_html
from otel_locust.plugin.options import Settings
from otel_locust.plugin.report import add_to_report, build_summary, format_table, rows_csv, trace_rows
from otel_locust.plugin.tasks import scenario_taskset
from otel_locust.sink.embedded import EmbeddedSink

logger = logging.getLogger("otel_locust")


class Session:
    """One user's identity: its content RNG, planner, user id and conversation (a few traces per session)."""

    def __init__(self, planner: Planner, rng: random.Random) -> None:
        self.planner = planner
        self._rng = rng
        self.user_id = f"user_{rng.getrandbits(48):012x}"
        self.conversation_id = ""
        self._turns_left = 0

    def next_conversation(self) -> str:
        if self._turns_left <= 0:
            self.conversation_id = f"conv_{self._rng.getrandbits(64):016x}"
            self._turns_left = self._rng.randint(1, 5)
        self._turns_left -= 1
        return self.conversation_id


def transport_for(settings: Settings) -> Transport:
    """The transport the platform and options ask for (one per process, shared by its users)."""
    if settings.platform.transport == "console":
        return ConsoleTransport()
    if settings.protocol == "grpc":
        from otel_locust.export.grpc import OtlpGrpcTransport  # only now: it switches grpcio to gevent mode

        return OtlpGrpcTransport(settings.endpoint, settings.headers, settings.compression, settings.timeout,
                                 ca_file=settings.certificate)
    http = OtlpJsonTransport if settings.protocol == "http/json" else OtlpHttpTransport
    return http(settings.endpoint, settings.headers, settings.compression, settings.timeout,
                connections=settings.connections, ca_file=settings.certificate)


def _nothing() -> None:
    """What a user waits on when its trace was dropped before it started."""


class RunWindow:
    """When the current test started and stopped (monotonic), for rates over the whole run."""

    def __init__(self) -> None:
        self.started = 0.0
        self.stopped = 0.0

    def start(self) -> None:
        self.started, self.stopped = time.monotonic(), 0.0

    def stop(self) -> None:
        if self.started and not self.stopped:
            self.stopped = time.monotonic()

    @property
    def seconds(self) -> float:
        if not self.started:
            return 0.0
        return (self.stopped or time.monotonic()) - self.started


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
        self.batch: BatchSpanQueue | None = None  # batch delivery: the process's span queue
        self.scheduler: RealTimeScheduler | None = None  # batch delivery: spans waiting for their end time
        self.unfolding = 0  # batch delivery: traces whose spans are still ending
        self.window = RunWindow()  # when this test started and stopped, for rates
        self.peak_users = 0  # open model: the declared peak user count (the master's, sent to workers)
        self.peak_follower: gevent.Greenlet | None = None
        self.charts: SeriesSampler | None = None  # master/local: the series over time (plugin/charts.py)

    # -- configuration --------------------------------------------------------------------------------------

    def configure(self, settings: Settings) -> None:
        """Apply validated settings for a test: pools, instrumentation, transport and the weighted tasks."""
        self.settings = settings
        self.prepare_pools(settings)
        dialects = [DIALECTS[name]() for name in settings.dialects]
        self.instrumentation = instrumentation_for(settings.framework, dialects, settings.service_name)
        if self.exporter is not None:
            self.exporter.transport.close()
        policy = RetryPolicy(max_elapsed=settings.retry_seconds,
                             max_attempts=RetryPolicy.max_attempts if settings.retry_seconds else 1)
        self.exporter = Exporter(self.environment.events.request.fire, self.stats, transport_for(settings), policy,
                                 settings.max_request_bytes)
        self._close_batching()
        if settings.delivery == "batch":
            self.batch = BatchSpanQueue(self.exporter, self.instrumentation, settings.batch,
                                        settings.max_request_bytes)
            self.scheduler = RealTimeScheduler(self.batch, settings.time_scale)
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
        return Session(Planner(pools_for(settings.pack.content, self._pools_seed), rng), rng)

    def emit(self, session: Session, scenario: Scenario) -> Callable[[], None]:
        """Plan, encode and account one trace and start its delivery; returns what a closed-model user waits on
        (the export, or the trace's real-time unfolding). In the open model a trace that would exceed
        ``--otel-max-in-flight`` is counted dropped (backpressure) instead."""
        if self.closing or self.settings is None or self.instrumentation is None or self.exporter is None:
            raise StopUser()
        settings, instrumentation = self.settings, self.instrumentation
        trace = session.planner.plan(scenario, session.next_conversation(), session.user_id)
        if settings.rate > 0 and self.in_flight() >= settings.max_in_flight:
            self.stats.generated(scenario.name, len(trace.spans), trace.depth, 0)
            TraceTicket(self.stats, scenario.name, len(trace.spans)).settle("dropped", len(trace.spans),
                                                                             "backpressure")
            return _nothing
        if self.scheduler is not None:
            return self._unfold(trace, scenario)
        encoded = instrumentation.encode(trace)
        requests = instrumentation.requests(encoded, settings.max_request_bytes)
        self.stats.generated(scenario.name, encoded.count, encoded.depth, sum(len(r.body) for r in requests))
        ticket = TraceTicket(self.stats, scenario.name, encoded.count, encoded.trace_id, encoded.depth,
                             self.on_trace_done)
        return self.exporter.submit([Shipment(r, [Portion(ticket, r.spans, len(r.body))]) for r in requests]).join

    def _unfold(self, trace: PlannedTrace, scenario: Scenario) -> Callable[[], None]:
        """Batch delivery: the trace starts now and its spans end in real time (scaled)."""
        assert self.settings is not None and self.instrumentation is not None and self.scheduler is not None
        started, start_ns = time.monotonic(), time.time_ns()
        encoded = self.instrumentation.encode(trace, start_ns=start_ns, scale=self.settings.time_scale)
        self.stats.generated(scenario.name, len(trace.spans), trace.depth, sum(encoded.sizes))
        ticket = TraceTicket(self.stats, scenario.name, len(trace.spans), encoded.trace_id, trace.depth,
                             self.on_trace_done)
        self.scheduler.add(encoded, [span.end for span in trace.spans], ticket, started)
        self.unfolding += 1
        duration = trace.spans[0].end / 1e9
        gevent.spawn_later(duration, self._unfolded)
        return lambda: gevent.sleep(max(0.0, started + duration - time.monotonic()))

    def _unfolded(self) -> None:
        self.unfolding -= 1

    @property
    def backlog(self) -> int | None:
        """Open model, this process: exports in flight (or traces unfolding); None elsewhere (the charts hide it)."""
        if self.settings is None or self.settings.rate <= 0 or self.exporter is None:
            return None
        return self.in_flight()

    def in_flight(self) -> int:
        """Trace exports in flight (trace delivery) or traces still unfolding (batch delivery)."""
        if self.scheduler is not None:
            return self.unfolding
        return len(self.exporter.in_flight) if self.exporter is not None else 0

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

    def drain_exports(self, timeout: float, unfold_timeout: float = 0.0) -> None:
        """Start no new trace and let in-flight exports finish; what cannot finish is settled (dropped/unconfirmed).

        Batch delivery first lets unfolding traces end for up to ``unfold_timeout`` (Locust's --stop-timeout),
        then flushes the queue as ``force_flush`` does; spans that had not ended are dropped (reason stop).
        """
        self.closing = True
        self.window.stop()
        if self.exporter is None:
            return
        if self.scheduler is not None and self.batch is not None:
            self.scheduler.wait_idle(unfold_timeout)
            cut = self.scheduler.close()
            if cut:
                logger.warning("otel-locust: %d span(s) had not ended when the test stopped: dropped (reason stop)",
                               cut)
            flush = gevent.spawn(self.batch.flush)
            flush.join(timeout)
        left = self.exporter.drain(timeout)
        self._close_batching()
        if left:
            logger.warning("otel-locust: %d export(s) still in flight at stop were cut short: spans on the wire count "
                           "unconfirmed, the others dropped (reason stop)", left)

    def _close_batching(self) -> None:
        if self.scheduler is not None:
            self.scheduler.close()
        if self.batch is not None:
            self.batch.close()
        self.scheduler = self.batch = None
        self.unfolding = 0

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
        summary["rate"] = self.rates()
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

    def rates(self) -> dict[str, Any]:
        """Target, achieved start and delivered rates over the whole test (traces per second)."""
        seconds = self.window.seconds
        total = self.stats.total()["traces"]
        target = self.settings.rate if self.settings is not None else 0.0
        return {"model": "open" if target > 0 else "closed", "target_per_s": target or None,
                "peak_users": self.peak_users, "seconds": round(seconds, 3),
                "started_per_s": round(total["generated"] / seconds, 3) if seconds else 0.0,
                "delivered_per_s": round(total["delivered"] / seconds, 3) if seconds else 0.0}

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
                handle.write(add_to_report(page, rows, report_html(self.charts)))
        csv_prefix = getattr(options, "csv_prefix", None)
        if csv_prefix:
            with open(f"{csv_prefix}_traces.csv", "w", encoding="utf-8", newline="") as handle:
                handle.write(rows_csv(rows))
