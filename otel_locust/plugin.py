"""Locust wiring: options, per-environment runtime, distributed accounting and the end-of-run report.

Importing this module registers the listeners on ``locust.events`` (Locust has no plugin discovery; the
locustfile imports ``otel_locust``). State lives on the environment (``environment.otel_runtime``), not in
module globals, so several environments can coexist in tests.

Lifecycle (master/local vs worker):

* ``init``: master/local validates the options (exit 2 with one line on error) and starts the embedded sink.
* ``test_start``: every process re-reads the options (workers only get them now), builds pools, sets the mix.
* ``test_stop``: in-flight exports are drained; what cannot finish counts as dropped.
* ``report_to_master`` / ``worker_report``: workers send their counter deltas; the master adds them up.
* ``quitting``: master/local reads the sink's counts, prints the table, writes ``--otel-summary``.
"""

from __future__ import annotations

from locust import events
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

import contextlib
import itertools
import json
import logging
import os
import random
import sys
import weakref
from typing import Any

import gevent
import gevent.event

from otel_locust.dialects import DIALECTS
from otel_locust.embedded_sink import EmbeddedSink
from otel_locust.exporter import Client, ConsoleClient, OtlpHttpClient, TraceExporter
from otel_locust.instrument import Instrumentation
from otel_locust.options import ConfigError, Settings, add_arguments, settings_from
from otel_locust.planner import Planner
from otel_locust.pools import pools_for
from otel_locust.preview import render_tree
from otel_locust.report import build_summary, format_table, loss, rows_csv, trace_rows
from otel_locust.retry import RetryPolicy
from otel_locust.scenario import Scenario
from otel_locust.stats import TraceStats
from otel_locust.user import AgentTraceUser, scenario_taskset
from otel_locust.webui import TracesTab, add_to_report

logger = logging.getLogger("otel_locust")

WORKER_DRAIN_SECONDS = 0.4  # fallback when no master asked to drain: it waits only 0.5 s for final reports
DRAIN = "otel_locust:drain"  # master -> workers: finish in-flight exports and report
DRAINED = "otel_locust:drained"  # worker -> master: the counters after draining
EXIT_CONFIG_ERROR = 2
_RUNTIMES: weakref.WeakSet[Runtime] = weakref.WeakSet()  # reset_stats carries no environment
EXIT_LOSS_EXCEEDED = 3


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


class Runtime:
    """Everything the plugin holds for one Locust environment."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.stats = TraceStats()
        self.exporter = TraceExporter(environment.events.request, self.stats)
        self.settings: Settings | None = None
        self.sink: EmbeddedSink | None = None
        self.instrumentation: Instrumentation | None = None
        self._pools_seed = random.SystemRandom().getrandbits(31)  # used when --otel-seed is -1
        self._user_numbers = itertools.count()
        self._tasksets: dict[str, type] = {}
        self.closing = False  # set when the test stops: users start no new trace
        self.tab: TracesTab | None = None
        self.reporting_workers: set[str] = set()  # master: workers that sent trace counts this test
        self._awaiting: set[str] = set()
        self._all_drained = gevent.event.Event()

    # -- configuration --------------------------------------------------------------------------------------

    def configure(self, settings: Settings) -> None:
        """Apply validated settings for a test: pools, instrumentation and the user classes' weighted tasks."""
        self.settings = settings
        self.prepare_pools(settings.seed)
        dialects = [DIALECTS[name]() for name in settings.dialects]
        self.instrumentation = Instrumentation(dialects, settings.service_name)
        self.exporter.policy = RetryPolicy(max_elapsed=settings.retry_seconds,
                                           max_attempts=RetryPolicy.max_attempts if settings.retry_seconds else 1)
        self.exporter.request_limit = settings.max_request_bytes
        tasks = [self._taskset(settings.scenarios[name]) for name, weight in settings.mix.items()
                 for _ in range(weight)]
        for user_class in self.environment.user_classes:
            if issubclass(user_class, AgentTraceUser):
                user_class.tasks = tasks
        if settings.seed >= 0:
            random.seed(settings.seed)  # Locust picks each user's next scenario with the global RNG

    def prepare_pools(self, seed: int) -> None:
        """Build the payload pools for ``seed`` (-1: this process's random seed) before users need them.

        Building takes a second or two of CPU; it runs in a real thread so the gevent hub keeps serving
        heartbeats and the web UI meanwhile. Pools are cached per seed, so later calls are free.
        """
        if seed >= 0:
            self._pools_seed = seed
        gevent.get_hub().threadpool.apply(pools_for, (self._pools_seed,))

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
        return Session(Planner(pools_for(self._pools_seed), rng), rng)

    def new_client(self) -> Client:
        settings = self._require()
        if not settings.platform.sends_otlp:
            return ConsoleClient()
        return OtlpHttpClient(settings.endpoint, settings.headers, settings.compression, settings.timeout)

    def emit(self, client: Client, session: Session, scenario: Scenario) -> gevent.Greenlet:
        """Plan, encode and account one trace and start its export; returns the export's greenlet."""
        if self.closing or self.settings is None or self.instrumentation is None:
            raise StopUser()
        settings, instrumentation = self.settings, self.instrumentation
        trace = session.planner.plan(scenario, session.next_conversation(), session.user_id)
        encoded = instrumentation.encode(trace)
        requests = instrumentation.requests(encoded, settings.max_request_bytes)
        self.stats.generated(scenario.name, len(trace.spans), trace.depth, sum(len(r.body) for r in requests))
        if isinstance(client, ConsoleClient):
            sys.stdout.write("\n".join(render_tree(trace, encoded.sizes)) + "\n")
        return self.exporter.submit(client, scenario.name, requests)

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

    # -- draining at the end of a test ---------------------------------------------------------------------

    def drain_exports(self, timeout: float) -> None:
        """Start no new trace and let in-flight exports finish; what cannot finish counts as dropped."""
        self.closing = True
        left = self.exporter.drain(timeout)
        if left:
            logger.warning("otel-locust: %d trace export(s) still in flight at stop were counted as dropped", left)

    def on_drain(self, environment: Environment, msg: Any, **_: Any) -> None:
        """Worker: the master asks for the final account of this test."""
        self.drain_exports(self.settings.timeout + 1 if self.settings else 1.0)
        environment.runner.send_message(DRAINED, self.stats.take())  # type: ignore[union-attr]

    def on_drained(self, environment: Environment, msg: Any, **_: Any) -> None:
        """Master: a worker's account after draining."""
        self.stats.merge(msg.data)
        self._awaiting.discard(msg.node_id)
        if not self._awaiting:
            self._all_drained.set()

    def drain_workers(self, runner: MasterRunner, timeout: float) -> None:
        """Master: ask every live worker to drain, and wait for their accounts (Locust waits only 0.5 s)."""
        self._awaiting = {c.id for c in runner.clients.all if c.state != STATE_MISSING}
        if not self._awaiting:
            return
        self._all_drained.clear()
        runner.send_message(DRAIN)
        if not self._all_drained.wait(timeout):
            logger.warning("otel-locust: no final account from %d worker(s) within %.0f s; their last traces "
                           "are missing from the summary", len(self._awaiting), timeout)

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


def _fail_config(exc: ConfigError) -> None:
    """One clear line, no traceback, non-zero exit (before any user spawns)."""
    sys.stderr.write(f"otel-locust: {exc}\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_CONFIG_ERROR)


def _runtime(environment: Environment) -> Runtime:
    return environment.otel_runtime  # type: ignore[attr-defined]


@events.init_command_line_parser.add_listener
def _on_parser(parser: Any, **_: Any) -> None:
    add_arguments(parser)


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    runtime = Runtime(environment)
    environment.otel_runtime = runtime  # type: ignore[attr-defined]
    _RUNTIMES.add(runtime)
    # report events carry no environment: bind this runtime's handlers to this environment's hooks
    environment.events.report_to_master.add_listener(runtime.report_to_master)
    environment.events.worker_report.add_listener(runtime.worker_report)
    if environment.web_ui is not None:
        runtime.tab = TracesTab(runtime)
        runtime.tab.install(environment.web_ui, getattr(environment.parsed_options, "web_base_path", "") or "")
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message(DRAIN, runtime.on_drain, concurrent=True)
    elif isinstance(environment.runner, MasterRunner):
        environment.runner.register_message(DRAINED, runtime.on_drained)
    options = environment.parsed_options
    if options is None:
        return
    if isinstance(environment.runner, WorkerRunner):
        # workers get the master's options with the first spawn message; build pools now if the seed is known
        with contextlib.suppress(ConfigError):
            runtime.prepare_pools(settings_from(options).seed)
        return
    try:
        settings = settings_from(options)
    except ConfigError as exc:
        _fail_config(exc)
    runtime.prepare_pools(settings.seed)
    if settings.platform.name == "sink" and not options.otel_endpoint:
        try:
            runtime.sink = EmbeddedSink(extra_args=options.otel_sink_args)
        except ValueError as exc:
            _fail_config(ConfigError(f"--otel-sink-args: the sink refused them: {exc}"))
        options.otel_sink_url = runtime.sink.url  # travels to workers inside the spawn message
        logger.info("otel-locust: embedded sink listening on %s", runtime.sink.url)


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_: Any) -> None:
    runtime = _runtime(environment)
    runtime.stats.clear()
    runtime.reporting_workers.clear()
    runtime.closing = False
    try:
        settings = settings_from(environment.parsed_options)
    except ConfigError as exc:
        _refuse_test(environment, runtime, exc)
        return
    if runtime.sink is not None:
        runtime.sink.reset()
    if not isinstance(environment.runner, MasterRunner):
        runtime.configure(settings)
    else:
        runtime.settings = settings


def _refuse_test(environment: Environment, runtime: Runtime, exc: ConfigError) -> None:
    """Options that failed validation when a test starts (typed in the web UI, or a worker's environment).

    One line in the log; users start no trace. With a web UI the test is stopped and the UI stays up for a
    corrected value; otherwise (headless, workers) the process exits with code 2.
    """
    logger.error("otel-locust: %s", exc)
    runtime.settings = None
    runtime.closing = True
    runner = environment.runner
    if runner is None:
        return
    if environment.web_ui is None:
        environment.process_exit_code = EXIT_CONFIG_ERROR
        gevent.spawn(runner.quit)
    else:
        gevent.spawn(runner.stop)


@events.reset_stats.add_listener
def _on_reset_stats(**_: Any) -> None:
    """Locust's reset button: start the trace statistics (and the sink's counts) from zero."""
    for runtime in _RUNTIMES:
        runtime.stats.clear()
        if runtime.tab is not None:
            runtime.tab.reset()
        if runtime.sink is not None:
            with contextlib.suppress(OSError):
                runtime.sink.reset()


@events.test_stop.add_listener
def _on_test_stop(environment: Environment, **_: Any) -> None:
    runtime = _runtime(environment)
    if runtime.settings is None:
        return
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runtime.drain_workers(runner, runtime.settings.timeout + 5)
    elif isinstance(runner, WorkerRunner):  # a fallback: the master normally asks first, with a longer budget
        runtime.drain_exports(WORKER_DRAIN_SECONDS)
    else:
        runtime.drain_exports(runtime.settings.timeout + 1)


@events.quitting.add_listener
def _on_quitting(environment: Environment, **_: Any) -> None:
    runtime = getattr(environment, "otel_runtime", None)
    if runtime is None or isinstance(environment.runner, WorkerRunner):
        return
    try:
        if runtime.settings is not None:
            summary = runtime.finish()
            if loss(summary) > runtime.settings.max_loss:
                logger.error("otel-locust: %.2f%% of traces were failed or dropped, above --otel-max-loss %.2f%%",
                             loss(summary) * 100, runtime.settings.max_loss * 100)
                environment.process_exit_code = EXIT_LOSS_EXCEEDED
    finally:
        if runtime.sink is not None:
            runtime.sink.stop()
