"""Locust wiring: the listeners that drive a :class:`~otel_locust.plugin.runtime.Runtime` through a test.

Importing this module registers them on ``locust.events`` (Locust has no plugin discovery); importing
``otel_locust.plugin.user`` (which ``from otel_locust import AgentTraceUser`` does) imports it.

Lifecycle (master/local vs worker):

* ``init``: master/local validates the options (exit 2 with one line on error) and starts the embedded sink;
  a local process (and a worker given its own ``--otel-seed``) loads or starts its payload pools, the master none.
* ``test_start``: every process re-reads the options (workers only get them now), loads or starts pools (a worker
  once, for the master's seed; entries are made as users pick them), sets the mix.
* ``test_stop``: in-flight exports are drained; what cannot finish is settled as dropped or unconfirmed; the pool
  entries the process made go to the disk cache.
* ``report_to_master`` / ``worker_report``: workers send their counter deltas; the master adds them up.
* ``quitting``: master/local reads the sink's counts, prints the table, writes ``--otel-summary``.
"""

from __future__ import annotations

from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

import contextlib
import logging
import resource
import sys
from argparse import Namespace
from typing import Any

import gevent

from otel_locust.export.readback import stop_wait
from otel_locust.plugin.charts import report_html, start_sampling
from otel_locust.plugin.interrupts import route_ctrl_c_to_main_greenlet
from otel_locust.plugin.options import ConfigError, add_arguments, settings_from
from otel_locust.plugin.report import loss
from otel_locust.plugin.runtime import Runtime, attach, runtime_of
from otel_locust.plugin.webui import TracesTab
from otel_locust.sink.embedded import EmbeddedSink

logger = logging.getLogger("otel_locust")

WORKER_DRAIN_SECONDS = 0.4  # fallback when no master asked to drain: it waits only 0.5 s for final reports
DRAIN = "otel_locust:drain"  # master -> workers: finish in-flight exports and report
DRAINED = "otel_locust:drained"  # worker -> master: the counters after draining
PEAK = "otel_locust:peak"  # master -> workers: the peak user count changed (edited in the web UI)
PEAK_POLL_S = 1.0
READBACK = "otel_locust:readback"  # worker -> master: read-back counters after its pending look-ups ended
EXIT_CONFIG_ERROR = 2
EXIT_LOSS_EXCEEDED = 3


def _fail_config(exc: ConfigError) -> None:
    """One clear line, no traceback, non-zero exit (before any user spawns)."""
    sys.stderr.write(f"otel-locust: {exc}\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_CONFIG_ERROR)


def _runtime(environment: Environment) -> Runtime:
    return runtime_of(environment)


@events.init_command_line_parser.add_listener
def _on_parser(parser: Any, **_: Any) -> None:
    add_arguments(parser)


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    runtime = Runtime(environment)
    attach(environment, runtime)
    # these events carry no environment: bind this runtime's handlers to this environment's hooks
    environment.events.report_to_master.add_listener(runtime.report_to_master)
    environment.events.worker_report.add_listener(runtime.worker_report)
    environment.events.reset_stats.add_listener(runtime.reset)
    if environment.web_ui is not None:
        tab = TracesTab(runtime)
        tab.install(environment.web_ui, getattr(environment.parsed_options, "web_base_path", "") or "")
        environment.events.reset_stats.add_listener(tab.reset)
    runner = environment.runner
    if runner is not None and not isinstance(runner, WorkerRunner):
        runtime.charts = start_sampling(runtime)
    if isinstance(runner, WorkerRunner):
        runner.register_message(DRAIN, _on_drain_request, concurrent=True)
        runner.register_message(PEAK, _on_peak)
    elif isinstance(runner, MasterRunner):
        runner.register_message(DRAINED, _on_drained)
        runner.register_message(READBACK, _on_readback)
    options = environment.parsed_options
    if options is None:
        return
    route_ctrl_c_to_main_greenlet()  # a Locust process (not an Environment built in a script)
    if isinstance(runner, WorkerRunner):
        # workers get the master's options with the first spawn message. A seed of their own (the same
        # locust.conf as the master's) is likely the master's: build now. Without one, the master's options
        # decide at test_start; building for a random seed now would be thrown away if the master has a seed.
        with contextlib.suppress(ConfigError):
            settings = settings_from(options)
            if settings.seed >= 0:
                runtime.prepare_pools(settings)
        return
    try:
        settings = settings_from(options)
    except ConfigError as exc:
        _fail_config(exc)
    if not isinstance(runner, MasterRunner):  # the master generates nothing: it needs no pools
        runtime.prepare_pools(settings)
    if settings.platform.embedded_sink and not options.otel_endpoint:
        runtime.sink = _start_sink(environment, options, settings.protocol)
        options.otel_sink_url = runtime.sink.endpoint
        # workers send to the master's address they connected to, on this port (and path)
        options.otel_sink_remote_port = int(runtime.sink.endpoint.rsplit(":", 1)[1].split("/", 1)[0])
        options.otel_sink_remote_path = "" if settings.protocol == "grpc" else "/v1/traces"
        logger.info("otel-locust: embedded sink listening on %s", runtime.sink.endpoint)


def _start_sink(environment: Environment, options: Namespace, protocol: str) -> EmbeddedSink:
    """The embedded sink: on 127.0.0.1 for a local run; for a master, where the master listens
    (``--master-bind-host``) on ``--otel-sink-port``, so workers on other hosts can reach it."""
    host, port = "127.0.0.1", 0
    if isinstance(environment.runner, MasterRunner):
        bind = str(getattr(options, "master_bind_host", "*") or "*")
        host, port = ("0.0.0.0" if bind in ("*", "") else bind), int(getattr(options, "otel_sink_port", 4318))
    try:
        return EmbeddedSink(host=host, port=port, extra_args=options.otel_sink_args, protocol=protocol)
    except ValueError as exc:
        if "cannot listen" in str(exc):
            _fail_config(ConfigError(f"--otel-sink-port: {exc.args[0].split(': ', 1)[-1]}"))
        _fail_config(ConfigError(f"--otel-sink-args: the sink refused them: {exc}"))
        raise


def _on_drained(environment: Environment, msg: Any, **_: Any) -> None:
    """Master: a worker's account after draining."""
    _runtime(environment).drained(msg.node_id, msg.data)


def _on_peak(environment: Environment, msg: Any, **_: Any) -> None:
    """Worker: the master restated the peak user count (open model: per-user rate = rate / peak)."""
    _runtime(environment).peak_users = int(msg.data["users"])


def declared_peak(environment: Environment) -> int:
    """The peak user count the open model's rate refers to: a load shape's peak, else the user count (-u, or as
    edited in the web UI)."""
    options = environment.parsed_options
    shape = environment.shape_class
    if shape is not None:
        if getattr(shape, "keyframes", None) is not None:  # the plugin's ramp/spike profiles
            return max(1, int(getattr(options, "otel_profile_users", 50)))
        stages = getattr(shape, "stages", None)  # the common "stages" pattern of Locust's examples
        if stages:
            return max(1, max(int(stage.get("users", 0)) for stage in stages))
    runner = environment.runner
    users = int(getattr(options, "num_users", 0) or 0) or int(getattr(runner, "target_user_count", 0) or 0)
    return max(1, users)


def _follow_peak(environment: Environment) -> None:
    """Master/local: keep the peak current while a test runs (the web UI can edit the user count), tell workers."""
    runtime = _runtime(environment)
    while not runtime.closing:
        peak = declared_peak(environment)
        if peak != runtime.peak_users:
            runtime.peak_users = peak
            if environment.parsed_options is not None:
                environment.parsed_options.otel_peak_users = peak  # spawn messages carry it to new workers
            if isinstance(environment.runner, MasterRunner):
                environment.runner.send_message(PEAK, {"users": peak})
        gevent.sleep(PEAK_POLL_S)


RATE_CHECK_S = 10.0  # the open model's target is checked over windows this long
CPU_BOUND_PERCENT = 80.0  # of one core: a Python process cannot use more than one


def _watch_rate(environment: Environment) -> None:
    """Open model, each generating process: when it starts traces slower than its share of the target, say so once
    per test, with the figures and the likely cause (CPU, or the in-flight bound)."""
    runtime = _runtime(environment)
    runner = environment.runner
    before = runtime.generated_here
    cpu_before = _cpu_seconds()
    users_before = runner.user_count if runner is not None else 0
    told = False
    while not runtime.closing and not told:
        gevent.sleep(RATE_CHECK_S)
        cpu_now = _cpu_seconds()
        cpu, cpu_before = (cpu_now - cpu_before) / RATE_CHECK_S * 100, cpu_now
        if runtime.settings is None or runner is None:
            return
        users = runner.user_count
        spawning, users_before = users != users_before, users
        if spawning or users == 0:  # users were still spawning (or leaving) in this window: judge the next one
            before = runtime.generated_here
            continue
        generated = runtime.generated_here
        target = runtime.settings.rate * users / max(1, runtime.peak_users)
        achieved = (generated - before) / RATE_CHECK_S
        before = generated
        if users and target > 0 and achieved < 0.9 * target:
            cause = _rate_cause(runtime, cpu)
            logger.warning(
                "otel-locust: target %.1f traces/s on this process, achieved %.1f, %s", target, achieved, cause
            )
            told = True


def _cpu_seconds() -> float:
    """CPU time this process has used (user + system), from the kernel."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rate_cause(runtime: Runtime, cpu: float) -> str:
    if cpu >= CPU_BOUND_PERCENT:
        return f"CPU-bound ({cpu:.0f}% CPU): add processes (--processes) or workers"
    if runtime.settings is not None and runtime.in_flight() >= runtime.settings.max_in_flight:
        return "backend-bound: the in-flight bound (--otel-max-in-flight) is hit and traces are dropped (backpressure)"
    return (
        f"starved for CPU ({cpu:.0f}% CPU for this process: other processes share the machine's cores): "
        "add processes or workers on other machines"
    )


def _unfold_timeout(environment: Environment) -> float:
    """How long batch delivery lets traces still unfolding finish at stop: Locust's --stop-timeout."""
    return float(getattr(environment, "stop_timeout", 0.0) or 0.0)


def _on_readback(environment: Environment, msg: Any, **_: Any) -> None:
    """Master: a worker's read-back counters after its pending look-ups ended (sent just before DRAINED)."""
    _runtime(environment).readback_stats.merge(msg.data)


def _on_drain_request(environment: Environment, msg: Any, **_: Any) -> None:
    """Worker: the master asks for the final account of this test."""
    runtime = _runtime(environment)
    runtime.drain_exports(runtime.settings.timeout + 1 if runtime.settings else 1.0, _unfold_timeout(environment))
    runtime.finish_readback()
    runner = environment.runner
    if isinstance(runner, WorkerRunner):  # always: only a worker registers this handler
        runner.send_message(READBACK, runtime.readback_stats.take())
        runner.send_message(DRAINED, runtime.stats.take())


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_: Any) -> None:
    runtime = _runtime(environment)
    runtime.stats.clear()
    runtime.readback_stats.clear()
    runtime.reporting_workers.clear()
    runtime.worker_pace.clear()
    runtime.closing = False
    runtime.account_final = False
    options = environment.parsed_options
    if options is None:  # an Environment made without Locust's parser (library use): nothing configured
        return
    _point_worker_at_sink(environment)
    try:
        settings = settings_from(options)
    except ConfigError as exc:
        _refuse_test(environment, runtime, exc)
        return
    if runtime.sink is not None:
        runtime.sink.reset()
    runtime.window.start()
    if isinstance(environment.runner, WorkerRunner):
        runtime.peak_users = int(getattr(environment.parsed_options, "otel_peak_users", 0) or 0) or 1
    else:
        runtime.peak_users = declared_peak(environment)
        options.otel_peak_users = runtime.peak_users  # sent to workers with the spawn messages
        if runtime.peak_follower is not None:
            runtime.peak_follower.kill(block=False)
        if settings.rate > 0:
            runtime.peak_follower = gevent.spawn(_follow_peak, environment)
    if not isinstance(environment.runner, MasterRunner):
        runtime.configure(settings)
        if settings.rate > 0:
            gevent.spawn(_watch_rate, environment)
    else:
        runtime.settings = settings


def _point_worker_at_sink(environment: Environment) -> None:
    """Worker: the master's embedded sink is at the address this worker reached the master on."""
    options = environment.parsed_options
    port = getattr(options, "otel_sink_remote_port", 0)
    if (
        options is not None
        and isinstance(environment.runner, WorkerRunner)
        and port
        and not getattr(options, "otel_endpoint", "")
    ):
        host = str(getattr(options, "master_host", "127.0.0.1"))
        options.otel_sink_url = f"http://{host}:{port}{getattr(options, 'otel_sink_remote_path', '/v1/traces')}"


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


@events.test_stop.add_listener
def _on_test_stop(environment: Environment, **_: Any) -> None:
    runtime = _runtime(environment)
    if runtime.settings is None or runtime.account_final:
        return
    try:
        _drain(environment, runtime)
    finally:
        runtime.account_final = True
    runtime.log_reissue()
    if not isinstance(environment.runner, MasterRunner):  # the master generates nothing: it made no entries
        runtime.keep_pools()


def _drain(environment: Environment, runtime: Runtime) -> None:
    """Finish this test's exports (master: the workers'), or settle what cannot finish."""
    assert runtime.settings is not None
    runner = environment.runner
    unfold = _unfold_timeout(environment) if runtime.settings.delivery == "batch" else 0.0
    if isinstance(runner, MasterRunner):
        runtime.closing = True
        runtime.window.stop()
        readback = stop_wait(runtime.settings.readback_timeout) if runtime.settings.readback else 0.0
        # a worker may take: traces still unfolding, then a flush, the last exports' timeout, pending read-backs
        runtime.drain_workers(runner, unfold + 2 * runtime.settings.timeout + 5 + readback, DRAIN)
    elif isinstance(runner, WorkerRunner):  # a fallback: the master normally asks first, with a longer budget
        runtime.drain_exports(WORKER_DRAIN_SECONDS)
    else:
        runtime.drain_exports(runtime.settings.timeout + 1, unfold)


def _drain_before_the_summary(environment: Environment, runtime: Runtime) -> None:
    """Locust fires ``quitting`` before it stops a still-running test (Ctrl-C, SIGTERM): drain first, so the summary
    has every trace. A second Ctrl-C cuts the drain short: what was in flight is settled, the summary still written."""
    try:
        _on_test_stop(environment)
        runtime.finish_readback()
    except KeyboardInterrupt:
        logger.warning(
            "otel-locust: interrupted again: exports still in flight were cut short (on the wire: "
            "unconfirmed; not sent: dropped, reason stop)"
        )


@events.quitting.add_listener
def _on_quitting(environment: Environment, **_: Any) -> None:
    runtime = getattr(environment, "otel_runtime", None)
    if runtime is None or isinstance(environment.runner, WorkerRunner):
        return
    try:
        if runtime.settings is not None:
            _drain_before_the_summary(environment, runtime)
            summary = runtime.finish(report_html(runtime.charts))
            if loss(summary) > runtime.settings.max_loss:
                logger.error(
                    "otel-locust: %.2f%% of traces were lost (failed, dropped or unconfirmed%s), above "
                    "--otel-max-loss %.2f%%",
                    loss(summary) * 100,
                    "; read-back verdict" if "backend" in summary else "",
                    runtime.settings.max_loss * 100,
                )
                environment.process_exit_code = EXIT_LOSS_EXCEEDED
    finally:
        if runtime.sink is not None:
            runtime.sink.stop()
