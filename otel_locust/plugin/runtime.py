"""Everything the plugin holds for one Locust environment: settings, pools, the exporter, the accounts.

State lives on the environment (``environment.otel_runtime``), not in module globals, so several environments
can coexist in tests. The Locust event wiring that drives it is in :mod:`otel_locust.plugin.listeners`.
"""

from __future__ import annotations

from locust import TaskSet
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import STATE_MISSING, MasterRunner

import functools
import itertools
import json
import logging
import os
import random
import re
import time
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event

from otel_locust.encoding.dialects import DIALECTS
from otel_locust.encoding.instrument import EncodedTrace, Instrumentation, OtlpRequest
from otel_locust.encoding.profiles import instrumentation_for
from otel_locust.encoding.reissue import Issued, Template, token_pattern
from otel_locust.engine.conversation import Conversation
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import UNSEEDED_SEEDS, keep_pools, pools_for
from otel_locust.engine.scenario import Scenario
from otel_locust.engine.trace import PlannedTrace
from otel_locust.export.accounting import TraceStats, TraceTicket
from otel_locust.export.batch import BatchLogQueue, BatchSpanQueue, RealTimeScheduler
from otel_locust.export.console import ConsoleTransport
from otel_locust.export.exporter import Exporter, Portion, Shipment
from otel_locust.export.http import OtlpHttpTransport, OtlpJsonTransport
from otel_locust.export.readback import ReadbackPoller, ReadbackStats, poller_for, stop_wait
from otel_locust.export.readback.stats import loss_verdict
from otel_locust.export.readback.stats import public as readback_public
from otel_locust.export.retry import RetryPolicy
from otel_locust.export.transport import Transport
from otel_locust.plugin.options import Settings, ingests_logs, logs_url
from otel_locust.plugin.replay import (
    BUDGET_BYTES,
    TIER_BUDGET_BYTES,
    RecordedConversation,
    ReplayedConversation,
    TemplatePool,
    record_turn,
)
from otel_locust.plugin.report import add_to_report, build_summary, format_table, rows_csv, trace_rows
from otel_locust.plugin.tasks import scenario_task
from otel_locust.sink.embedded import EmbeddedSink

logger = logging.getLogger("otel_locust")
MAX_OPEN_CONVERSATIONS = 4  # open model: conversations one user keeps going at once
UNNOTICED_S = 6.0  # a lost worker: its last report interval (3 s) plus Locust's heartbeat liveness (3 s)


class Session:
    """One user's identity: its content RNG, planner, user id and current conversation (``--otel-turns`` traces,
    see :mod:`otel_locust.engine.conversation`; its carried history is bounded by the payload tier)."""

    def __init__(
        self,
        planner: Planner,
        rng: random.Random,
        turns: tuple[int, int] = (1, 5),
        think_seconds: float = 0.0,
        pool: TemplatePool | None = None,
    ) -> None:
        self.planner = planner
        self.pool = pool  # the process's recordings to re-issue (None: every trace is planned fresh)
        self.rng = rng
        self.user_id = f"user_{rng.getrandbits(48):012x}"
        self._turns = turns
        self._think = think_seconds
        self.conversation: Conversation | None = None
        self._open: list[Conversation] = []  # open model: conversations waiting for their next turn

    def next_conversation(self, now: float | None = None, scenario: str = "") -> Conversation:
        """The conversation the user's next trace continues (a new one is of ``scenario``, or re-issues a
        recording of it: see :mod:`otel_locust.plugin.replay`).

        Closed model (``now`` None): the current one, or a new one when it is done; the pace decides when.
        Open model (``now`` given): an arrival continues the oldest open conversation of this user whose think
        time has passed (its previous turn ended and the user has read and typed), else starts a new one; a
        user keeps at most ``MAX_OPEN_CONVERSATIONS`` open (the oldest is abandoned), so history stays bounded.
        """
        if now is None:
            if self.conversation is None or self.conversation.done:
                self.conversation = self._start(scenario)
            return self.conversation
        self._open = [c for c in self._open if not c.done]
        ready = next((c for c in self._open if c.ready(now)), None)
        if ready is None:
            ready = self._start(scenario)
            self._open.append(ready)
            del self._open[:-MAX_OPEN_CONVERSATIONS]
        self.conversation = ready
        return ready

    def _start(self, scenario: str) -> Conversation:
        """A replay of a recording, or a fresh conversation (recorded while the pool has room for it)."""
        pool = self.pool
        recording = pool.draw(scenario, self.rng) if pool is not None else None
        if recording is not None:
            return ReplayedConversation.of(recording, self.rng, self.user_id, self._think)
        if pool is None or not pool.has_room(scenario):  # planned fresh, not kept
            return Conversation.start(self.rng, self.user_id, self._turns, self.planner.tier, self._think)
        fresh = RecordedConversation.start(self.rng, self.user_id, self._turns, self.planner.tier, self._think)
        fresh.recording = pool.record(scenario, fresh.turns, self.rng)
        return fresh


def transport_for(settings: Settings) -> Transport:
    """The transport the platform and options ask for (one per process, shared by its users)."""
    if settings.platform.transport == "console":
        return ConsoleTransport()
    if settings.protocol == "grpc":
        from otel_locust.export.grpc import OtlpGrpcTransport  # only now: it switches grpcio to gevent mode

        return OtlpGrpcTransport(
            settings.endpoint, settings.headers, settings.compression, settings.timeout, ca_file=settings.certificate
        )
    http = OtlpJsonTransport if settings.protocol == "http/json" else OtlpHttpTransport
    return http(
        settings.endpoint,
        settings.headers,
        settings.compression,
        settings.timeout,
        connections=settings.connections,
        ca_file=settings.certificate,
    )


def logs_transport_for(settings: Settings, sends_logs: bool) -> Transport | None:
    """The logs path's transport, when the framework profile sends log records and the platform ingests them
    (see ``options.ingests_logs``); otherwise None, with a one-time notice that they are not sent."""
    if not sends_logs:
        return None
    if not ingests_logs(settings.platform):
        logger.warning(
            "otel-locust: --otel-framework %s puts message content in OTLP log records; platform %s "
            "does not ingest OTLP logs, so they are not sent (spans are)",
            settings.framework,
            settings.platform.name,
        )
        return None
    return OtlpHttpTransport(
        logs_url(settings.endpoint, settings.logs_endpoint),
        settings.headers,
        settings.compression,
        settings.timeout,
        connections=settings.connections,
    )


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
        self.pool: TemplatePool | None = None  # recordings to re-issue (None with --otel-fresh 1)
        self._token_pattern: re.Pattern[bytes] | None = None
        # --otel-seed -1: pools of one of a few seeds, so the disk cache serves unseeded runs too (users' own
        # random draws still differ run to run)
        self._pools_seed = random.SystemRandom().randrange(UNSEEDED_SEEDS)
        self._user_numbers = itertools.count()
        self._tasks: dict[str, Callable[[Any], None]] = {}
        self.closing = False  # set when the test stops: users start no new trace
        self.account_final = False  # this test's exports were drained (or settled): the account is final
        self.reporting_workers: set[str] = set()  # master: workers that sent trace counts this test
        #: master: per worker, (first report, last report, traces generated) on the monotonic clock
        self.worker_pace: dict[str, tuple[float, float, int]] = {}
        self.awaiting: set[str] = set()  # master: workers asked to drain that have not answered yet
        self.all_drained = gevent.event.Event()
        #: called with each trace's ticket when its last span is settled (read-back hooks in here)
        self.on_trace_done: Callable[[TraceTicket], None] | None = None
        self.batch: BatchSpanQueue | None = None  # batch delivery: the process's span queue
        self.scheduler: RealTimeScheduler | None = None  # batch delivery: spans waiting for their end time
        self.unfolding = 0  # batch delivery: traces whose spans are still ending
        self.logs: BatchLogQueue | None = None  # the process's log record queue, when log records are sent
        self.window = RunWindow()  # when this test started and stopped, for rates
        self.peak_users = 0  # open model: the declared peak user count (the master's, sent to workers)
        self.peak_follower: gevent.Greenlet | None = None
        self._generated_here = 0
        self.peak_in_flight = 0  # this process: most exports in flight / traces unfolding at once, this test
        self.charts: Any = None  # master/local: the charts' SeriesSampler (plugin/charts.py sets it)
        self.readback: ReadbackPoller | None = None  # this process's poller (not on the master)
        self.readback_stats = ReadbackStats()  # on the master: the sum of the workers' read-back counters

    # -- configuration --------------------------------------------------------------------------------------

    def configure(self, settings: Settings) -> None:
        """Apply validated settings for a test: pools, instrumentation, transport and the weighted tasks."""
        self.settings = settings
        self._generated_here = 0
        self.peak_in_flight = 0
        self.prepare_pools(settings)
        self.pool = None
        if settings.fresh < 1:
            budget = TIER_BUDGET_BYTES.get(settings.tier.name, BUDGET_BYTES)
            self.pool = TemplatePool(settings.fresh, budget_bytes=budget, shares=dict(settings.mix))
        self._token_pattern = token_pattern(settings.pack.content.token_fields)
        dialects = [DIALECTS[name]() for name in settings.dialects]
        self.instrumentation = instrumentation_for(settings.framework, dialects, settings.service_name)
        if self.exporter is not None:
            self.exporter.close()
        policy = RetryPolicy(
            max_elapsed=settings.retry_seconds, max_attempts=RetryPolicy.max_attempts if settings.retry_seconds else 1
        )
        self.exporter = Exporter(
            self.environment.events.request.fire,
            self.stats,
            transport_for(settings),
            policy,
            settings.max_request_bytes,
            logs_transport_for(settings, self.instrumentation.sends_logs),
        )
        self._close_batching()
        if settings.delivery == "batch":
            self.batch = BatchSpanQueue(self.exporter, self.instrumentation, settings.batch, settings.split_bytes)
            self.scheduler = RealTimeScheduler(self.batch, settings.time_scale)
        self.logs = None
        if self.exporter.logs_transport is not None:
            self.logs = BatchLogQueue(
                self.exporter, self.stats, self.instrumentation, settings.logs_batch, settings.split_bytes
            )
        tasks: list[TaskSet | Callable[..., Any]] = [
            self._task(settings.pack.scenarios[name]) for name, weight in settings.mix.items() for _ in range(weight)
        ]
        for user_class in self.environment.user_classes:
            if getattr(user_class, "otel_locust_user", False):
                user_class.tasks = tasks
        if settings.seed >= 0:
            random.seed(settings.seed)  # Locust picks each user's next scenario with the global RNG
        self.configure_readback(settings)

    def configure_readback(self, settings: Settings) -> None:
        """A fresh poller for this test (the old test's pending look-ups are dropped), or none."""
        if self.readback is not None:
            self.readback.close()
            self.readback = None
            self.on_trace_done = None
        self.readback_stats.clear()
        if settings.readback:
            self.readback = poller_for(
                settings.platform.name,
                settings.endpoint,
                settings.headers,
                settings.readback_url,
                settings.readback_sample,
                settings.readback_timeout,
                self.readback_stats,
                self.environment.events.request.fire,
            )
            self.on_trace_done = self.readback.on_done

    def finish_readback(self) -> None:
        """End of the run in this process: pending look-ups get min(timeout, 30 s), then count pending_at_stop."""
        if self.readback is not None and self.settings is not None:
            left = self.readback.pending
            if left:
                logger.info(
                    "otel-locust: waiting up to %.0f s for %d pending read-back(s)",
                    stop_wait(self.settings.readback_timeout),
                    left,
                )
            self.readback.finish(stop_wait(self.settings.readback_timeout))

    def prepare_pools(self, settings: Settings) -> None:
        """Load (or start) the pack's payload pools for the seed (-1: one of a few seeds) before users need them.

        Loading the disk cache takes a tenth of a second of CPU; it runs in a real thread so the gevent hub keeps
        serving heartbeats and the web UI meanwhile (entries not in the cache are made as users pick them). Pools
        are kept per seed, so later calls are free; a call while the same pools are being loaded (a worker's
        ``init`` and its first ``test_start`` overlap) waits for that load.
        """
        if settings.seed >= 0:
            self._pools_seed = settings.seed
        self._pools_build((settings.pack.content, self._pools_seed)).get()

    def keep_pools(self) -> None:
        """At the end of a test: the pool entries this process made go to the disk cache (the next process with
        this seed picks them ready-made)."""
        if self.settings is not None:
            keep_pools(pools_for(self.settings.pack.content, self._pools_seed))

    @staticmethod
    @functools.lru_cache(maxsize=4)
    def _pools_build(pack_and_seed: tuple[Any, int]) -> gevent.event.AsyncResult:
        """The one build of a pack's pools (its Pools class) for a seed in this process, running or done."""
        return gevent.get_hub().threadpool.spawn(pools_for, *pack_and_seed)

    def _task(self, scenario: Scenario) -> Callable[[Any], None]:
        if scenario.name not in self._tasks:
            self._tasks[scenario.name] = scenario_task(scenario)
        return self._tasks[scenario.name]

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
        return Session(planner, rng, settings.turns, settings.think_seconds, self.pool)

    def emit(self, session: Session, scenario: Scenario) -> Callable[[], None]:
        """Plan (or re-issue), encode and account one trace and start its delivery; returns what a closed-model
        user waits on (the export, or the trace's real-time unfolding). In the open model a trace that would
        exceed ``--otel-max-in-flight`` is counted dropped (backpressure) instead."""
        if self.closing or self.settings is None or self.instrumentation is None or self.exporter is None:
            raise StopUser()
        conversation = session.next_conversation(time.monotonic() if self.settings.rate > 0 else None, scenario.name)
        self._generated_here += 1
        if isinstance(conversation, ReplayedConversation):
            return self._reissue(session, conversation)
        trace = session.planner.plan(scenario, conversation=conversation)
        if self.pool is not None:
            self.pool.planned += 1
            self.pool.count(scenario.name)
        if self._pressed():
            self._drop(scenario.name, len(trace.spans), trace.depth)
            return _nothing
        if self.scheduler is not None:
            return self._unfold_fresh(conversation, trace)
        return self._send_fresh(conversation, trace)

    def _unfold_fresh(self, conversation: Conversation, trace: PlannedTrace) -> Callable[[], None]:
        """Batch delivery of a freshly planned trace (recorded when its conversation is)."""
        assert self.settings is not None and self.instrumentation is not None
        instrumentation, scale = self.instrumentation, self.settings.time_scale
        duration_s = trace.spans[0].end / scale / 1e9  # the turn ends when the trace has unfolded
        conversation.emitted(time.monotonic() + duration_s, time.time_ns() + int(duration_s * 1e9))
        start_ns = time.time_ns()
        encoded = instrumentation.encode(trace, start_ns=start_ns, scale=scale)
        if isinstance(conversation, RecordedConversation) and self.pool is not None:
            body = instrumentation.pack(encoded.spans, encoded.sizes)[0].body
            record_turn(self.pool, conversation, trace, encoded, body, start_ns, self._token_pattern)
        return self._unfold(encoded, trace.scenario.name)

    def _send_fresh(self, conversation: Conversation, trace: PlannedTrace) -> Callable[[], None]:
        """Trace delivery of a freshly planned trace (recorded when its conversation is)."""
        assert self.settings is not None and self.instrumentation is not None
        instrumentation = self.instrumentation
        end_ns = conversation.end_ns(trace.spans[0].end, time.time_ns())
        conversation.emitted(time.monotonic(), end_ns)
        encoded = instrumentation.encode(trace, end_ns)
        requests = instrumentation.requests(encoded, self.settings.split_bytes)
        if isinstance(conversation, RecordedConversation) and self.pool is not None:
            if len(requests) == 1:
                base_ns = end_ns - trace.spans[0].end
                record_turn(self.pool, conversation, trace, encoded, requests[0].body, base_ns, self._token_pattern)
            else:  # split to the platform's limit: not re-issued (planned fresh each time)
                self.pool.add(conversation.recording, None, "")
        return self._send(trace.scenario.name, encoded, requests)

    def _send(self, name: str, encoded: EncodedTrace, requests: list[OtlpRequest]) -> Callable[[], None]:
        """Trace delivery: account the trace, start exporting its requests and queue its log records."""
        assert self.exporter is not None
        self.stats.generated(name, encoded.count, encoded.depth, sum(len(r.body) for r in requests))
        ticket = TraceTicket(self.stats, name, encoded.count, encoded.trace_id, encoded.depth, self.on_trace_done)
        if self.readback is not None:
            self.readback.expect(encoded, encoded.count)
        export = self.exporter.submit([Shipment(r, [Portion(ticket, r.spans, len(r.body))]) for r in requests])
        self._emit_logs(encoded.logs, name)
        self.peak_in_flight = max(self.peak_in_flight, len(self.exporter.in_flight))
        return export.join

    def _pressed(self) -> bool:
        """Open model: this process has ``--otel-max-in-flight`` traces under way already."""
        assert self.settings is not None
        return self.settings.rate > 0 and self.in_flight() >= self.settings.max_in_flight

    def _drop(self, name: str, spans: int, depth: int) -> None:
        self.stats.generated(name, spans, depth, 0)
        TraceTicket(self.stats, name, spans).settle("dropped", spans, "backpressure")

    def _reissue(self, session: Session, conversation: ReplayedConversation) -> Callable[[], None]:
        """Send the replay's next turn: its recorded template, with new ids, times, dates and tokens."""
        assert self.settings is not None and self.instrumentation is not None and self.pool is not None
        template, rng = conversation.template(), session.rng
        if self._pressed():
            conversation.finish_turn(rng)
            self._drop(template.scenario, template.count, template.depth)
            return _nothing
        self.pool.issued += 1
        self.pool.count(template.scenario)
        if self.scheduler is not None:
            duration_s = template.root_end / 1e9  # recorded already scaled
            conversation.emitted(time.monotonic() + duration_s, time.time_ns() + int(duration_s * 1e9))
            issued = template.issue(rng, time.time_ns() - template.base, conversation.stamp)
            conversation.finish_turn(rng)
            return self._unfold(
                self._encoded(template, issued, split=True, probe=self.readback is not None), template.scenario
            )
        end_ns = conversation.end_ns(template.root_end, time.time_ns())
        conversation.emitted(time.monotonic(), end_ns)
        issued = template.issue(rng, end_ns - template.root_end - template.base, conversation.stamp)
        conversation.finish_turn(rng)
        request = OtlpRequest(issued.body, template.count, self.instrumentation)
        return self._send(
            template.scenario, self._encoded(template, issued, split=False, probe=self.readback is not None), [request]
        )

    @staticmethod
    def _encoded(template: Template, issued: Issued, split: bool, probe: bool) -> EncodedTrace:
        """The re-issued trace as the rest of the pipeline sees a freshly encoded one (``split``: with its span
        fields cut apart, for real-time delivery; ``probe``: with read-back's probe value)."""
        body = issued.body
        spans: list[list[bytes]] = []
        if split:
            at = issued.header
            for size in template.sizes:
                spans.append([body[at : at + size]])
                at += size
        probe_span, probe_inside = b"", b""
        if probe and template.probe is not None:
            offset, length, number = template.probe
            probe_span, probe_inside = issued.span_id(number), body[offset : offset + length]
        return EncodedTrace(
            spans,
            template.sizes,
            issued.trace_id,
            template.count,
            template.depth,
            logs=list(issued.logs),
            ends=template.ends,
            probe_span=probe_span,
            probe_inside=probe_inside,
        )

    def _emit_logs(self, records: list[bytes], name: str) -> None:
        """The trace's log records go to the process's log queue (batched across traces, as the SDK's
        BatchLogRecordProcessor does), when they are sent at all."""
        if records and self.logs is not None:
            self.logs.emit_records(records, name)

    def _unfold(self, encoded: EncodedTrace, name: str) -> Callable[[], None]:
        """Batch delivery: the trace starts now and its spans end in real time (scaled)."""
        assert self.settings is not None and self.scheduler is not None
        started = time.monotonic()
        self.stats.generated(name, encoded.count, encoded.depth, sum(encoded.sizes))
        if self.readback is not None:
            self.readback.expect(encoded, encoded.count)
        ticket = TraceTicket(self.stats, name, encoded.count, encoded.trace_id, encoded.depth, self.on_trace_done)
        self.scheduler.add(encoded, encoded.ends, ticket, started)
        self.unfolding += 1
        self.peak_in_flight = max(self.peak_in_flight, self.unfolding)
        duration = max(encoded.ends) / 1e9
        gevent.spawn_later(duration, self._unfolded, encoded.logs, name)
        return lambda: gevent.sleep(max(0.0, started + duration - time.monotonic()))

    def _unfolded(self, records: list[bytes], name: str) -> None:
        """A trace finished unfolding (batch delivery): its log records are emitted now, at the end of the agent
        run (after the test's drain the closed queue counts them dropped, reason stop)."""
        self.unfolding -= 1
        self._emit_logs(records, name)

    def log_reissue(self) -> None:
        """Say how many of this process's traces took the fast path (and how many were planned fresh)."""
        pool = self.pool
        if pool is None or not (pool.issued or pool.planned) or isinstance(self.environment.runner, MasterRunner):
            return
        assert self.settings is not None
        logger.info(
            "otel-locust: %d traces re-issued from %d recordings (%.0f MB kept), %d planned fresh (--otel-fresh %g)",
            pool.issued,
            pool.kept,
            pool.nbytes / 1e6,
            pool.planned,
            self.settings.fresh,
        )

    @property
    def backlog(self) -> int | None:
        """Open model, this process: exports in flight (or traces unfolding); None elsewhere (the charts hide it)."""
        if self.settings is None or self.settings.rate <= 0 or self.exporter is None:
            return None
        return self.in_flight()

    @property
    def generated_here(self) -> int:
        """Traces this process generated in this test (its counters are shipped to the master as deltas)."""
        return self._generated_here

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
        if self.readback_stats.scenarios:
            data["otel_locust_readback"] = self.readback_stats.take()

    def worker_report(self, client_id: str, data: dict[str, Any], **_: Any) -> None:
        """Master: add a worker's delta (and remember its pace, to estimate what a lost worker never reported)."""
        if data.get("otel_locust"):
            delta = data["otel_locust"]
            self.stats.merge(delta)
            self.reporting_workers.add(client_id)
            generated = sum(entry["traces"]["generated"] for entry in delta.values())
            first, _last, total = self.worker_pace.get(client_id, (time.monotonic(), 0.0, 0))
            self.worker_pace[client_id] = (first, time.monotonic(), total + generated)
        if data.get("otel_locust_readback"):
            self.readback_stats.merge(data["otel_locust_readback"])

    def reset(self, **_: Any) -> None:
        """Locust's reset button: start the trace statistics (and the sink's counts) from zero."""
        self.stats.clear()
        self.readback_stats.clear()
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
        try:
            if self.scheduler is not None and self.batch is not None:
                self.scheduler.wait_idle(unfold_timeout)
                cut = self.scheduler.close()
                if cut:
                    logger.warning(
                        "otel-locust: %d span(s) had not ended when the test stopped: dropped (reason stop)", cut
                    )
                flush = gevent.spawn(self.batch.flush)
                flush.join(timeout)
            if self.logs is not None:
                gevent.spawn(self.logs.flush).join(timeout)
            left = self.exporter.drain(timeout)
        finally:  # interrupted or not, nothing is left unsettled
            self._close_batching()
            self.exporter.in_flight.kill(block=True, timeout=2)
        if left:
            logger.warning(
                "otel-locust: %d export(s) still in flight at stop were cut short: spans on the wire count "
                "unconfirmed, the others dropped (reason stop)",
                left,
            )

    def _close_batching(self) -> None:
        if self.scheduler is not None:
            self.scheduler.close()
        if self.batch is not None:
            self.batch.close()
        if self.logs is not None:
            self.logs.close()  # kept: records of traces still unfolding are counted dropped (reason stop)
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
            logger.warning(
                "otel-locust: no final account from %d worker(s) within %.0f s; their last traces "
                "are missing from the summary",
                len(self.awaiting),
                timeout,
            )

    def drained(self, node_id: str, delta: dict[str, Any]) -> None:
        """Master: a worker's account after draining."""
        self.stats.merge(delta)
        self.awaiting.discard(node_id)
        if not self.awaiting:
            self.all_drained.set()

    # -- end of run -----------------------------------------------------------------------------------------

    def finish(self, charts_html: str = "") -> dict[str, Any]:
        """Read the sink, print the table, write the summary and reports (``charts_html`` goes into the HTML
        report); returns the summary."""
        sink_stats = None
        if self.sink is not None:
            try:
                sink_stats = self.sink.stats()
            except OSError as exc:
                logger.error("otel-locust: could not read the embedded sink's counts: %s", exc)
        summary = build_summary(self.stats, self.settings, sink_stats)
        summary["rate"] = self.rates()
        if self.settings is not None and self.settings.readback:
            summary["backend"] = self.backend_section(summary)
        runner = self.environment.runner
        if isinstance(runner, MasterRunner):
            lost = sorted(c.id for c in runner.clients.all if c.state == STATE_MISSING)
            unknown = self.unreported_estimate(lost)
            summary["workers"] = {
                "reported": len(self.reporting_workers),
                "lost": lost,
                "unknown_traces_estimate": unknown,
            }
            if lost:
                logger.warning(
                    "otel-locust: %d worker(s) went missing; about %d trace(s) they generated after their "
                    "last report are unknown (estimated from their rate) and not in this account",
                    len(lost),
                    unknown,
                )
        print("\n" + format_table(summary), flush=True)
        if self.settings and self.settings.summary_path:
            with open(self.settings.summary_path, "w", encoding="utf-8") as handle:
                json.dump(summary, handle, indent=2)
        self._write_reports(trace_rows(self.stats, None, sink_stats), charts_html)
        return summary

    def unreported_estimate(self, lost: list[str]) -> int:
        """Traces the lost workers likely generated after their last report: their rate over the time until Locust
        would have noticed them gone (a report interval plus the heartbeat liveness), or the end of the test."""
        end = self.window.stopped or time.monotonic()
        estimate = 0.0
        for worker in lost:
            first, last, generated = self.worker_pace.get(worker, (0.0, 0.0, 0))
            if last > first:
                estimate += generated / (last - first) * min(max(0.0, end - last), UNNOTICED_S)
        return round(estimate)

    def rates(self) -> dict[str, Any]:
        """Target, achieved start and delivered rates over the whole test (traces per second)."""
        seconds = self.window.seconds
        total = self.stats.total()["traces"]
        target = self.settings.rate if self.settings is not None else 0.0
        return {
            "model": "open" if target > 0 else "closed",
            "target_per_s": target or None,
            "peak_users": self.peak_users,
            "seconds": round(seconds, 3),
            "peak_in_flight_this_process": self.peak_in_flight or None,
            "started_per_s": round(total["generated"] / seconds, 3) if seconds else 0.0,
            "delivered_per_s": round(total["delivered"] / seconds, 3) if seconds else 0.0,
        }

    def backend_section(self, summary: dict[str, Any]) -> dict[str, Any]:
        """The summary's ``backend`` section: read-back verdicts per scenario and in total, and the loss verdict
        (what ``--otel-max-loss`` and the exit code use when read-back ran)."""
        settings = self.settings
        assert settings is not None
        stats = self.readback_stats
        total = stats.total()
        return {
            "readback": {
                "platform": settings.platform.name,
                "sample": settings.readback_sample,
                "timeout_s": settings.readback_timeout,
                "stop_wait_s": stop_wait(settings.readback_timeout),
            },
            "total": readback_public(total),
            "scenarios": {name: readback_public(entry) for name, entry in sorted(stats.scenarios.items())},
            "loss": loss_verdict(total, summary["total"]["traces"], summary["total"].get("dropped_loss", 0)),
        }

    def _write_reports(self, rows: list[dict[str, Any]], charts_html: str) -> None:
        """The trace table beside Locust's own reports: in the ``--html`` file and as ``PREFIX_traces.csv``.

        Written at quit time, so the numbers are final (Locust's own CSV misses a run's last moments).
        """
        options = self.environment.parsed_options
        html_file = getattr(options, "html_file", None)
        if html_file and os.path.exists(html_file):
            with open(html_file, encoding="utf-8") as handle:
                page = handle.read()
            with open(html_file, "w", encoding="utf-8") as handle:
                handle.write(add_to_report(page, rows, charts_html))
        csv_prefix = getattr(options, "csv_prefix", None)
        if csv_prefix:
            with open(f"{csv_prefix}_traces.csv", "w", encoding="utf-8", newline="") as handle:
                handle.write(rows_csv(rows))


RUNTIME_ATTRIBUTE = "otel_runtime"  # Locust's Environment has no slot for plugins: the Runtime rides on this attribute


def attach(environment: Environment, runtime: Runtime) -> None:
    """Give ``environment`` its Runtime (the init listener does, once per environment)."""
    setattr(environment, RUNTIME_ATTRIBUTE, runtime)


def runtime_of(environment: Environment) -> Runtime:
    """The Runtime :func:`attach` gave ``environment``, typed (Environment does not declare the attribute)."""
    runtime: Runtime = getattr(environment, RUNTIME_ATTRIBUTE)
    return runtime
