"""Charts over time for the Traces tab and the ``--html`` report: a registry of series, a sampler, the page parts.

Why this way: Locust's extension points (``extended_tabs``/``extended_tables``) render tables only, and a
custom React tab needs a rebuilt Locust front end (``--build-path``, experimental). So the plugin serves one
small script that adds a chart panel under the Traces table, drawn with Apache ECharts (the library Locust's own
Charts tab uses, so the same look: titles, legend, tooltip, dark/light colours taken from Locust's bundle).
ECharts is vendored from npm (``echarts@6.1.0`` ``dist/echarts.common.min.js``, 0.7 MB, its LICENSE and NOTICE
beside it in ``static/echarts/``) and served by a Flask route, never fetched from a CDN; the ``--html`` report
inlines the library, the script and the data, so it stays one standalone file that needs no network.

Data: the master (or local) process samples every series every :data:`INTERVAL_S` seconds while a test runs.
A :class:`Series` is a name and a function that reads the :class:`~otel_locust.plugin.runtime.Runtime`
(``None`` when the runtime has no such value, e.g. no target rate: the series is then not drawn). Counters
(``rate=True``) become per-second rates over the last :data:`RATE_WINDOW_S` seconds, wide enough to span two
worker reports (every 3 s), so distributed runs do not saw-tooth. Memory stays flat: when :data:`CAPACITY`
points are held, every other point is dropped and the sampling stride doubles, so a long run keeps its whole
history at a coarser step.

Adding a series from another module (no edit here)::

    from otel_locust.plugin.charts import Series, add_series
    add_series(Series("readback_p95", "p95", "Visibility latency (ms)",
                      lambda rt: rt.readback.latency_ms(0.95) if getattr(rt, "readback", None) else None))
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from otel_locust.plugin.runtime import Runtime

INTERVAL_S = 2.0
RATE_WINDOW_S = 6.0
CAPACITY = 1800  # points per series; an hour at 2 s before the first halving
GAP_FACTOR = 2.5  # a pause longer than this many strides breaks the lines (a new test after an idle UI)
ACTIVE_STATES = frozenset({"spawning", "running", "stopping", "cleanup"})


@dataclass(frozen=True)
class Series:
    """One line: ``key`` (unique), its legend ``label``, the ``chart`` (title) it is drawn in, and ``read``.

    ``read(runtime)`` returns a number or ``None`` (not available on this runtime). With ``rate=True`` it returns a
    running total and the chart shows its change per second. ``color`` overrides the chart's palette.
    """

    key: str
    label: str
    chart: str
    read: Callable[[Runtime], float | None]
    rate: bool = False
    color: str | None = None


SERIES: list[Series] = []


def add_series(series: Series) -> None:
    """Register a series (replacing one with the same key); charts appear in order of their first series."""
    SERIES[:] = [s for s in SERIES if s.key != series.key]
    SERIES.append(series)


def _traces(outcome: str) -> Callable[[Runtime], float]:
    return lambda rt: sum(e["traces"].get(outcome, 0) for e in rt.stats.scenarios.values())


def _spans(rt: Runtime) -> float:
    return sum(e["spans"]["generated"] for e in rt.stats.scenarios.values())


def _megabytes(rt: Runtime) -> float:
    return sum(e["bytes_sent"] for e in rt.stats.scenarios.values()) / 1e6


def _in_flight(rt: Runtime) -> float:
    """Traces generated but not settled yet (exports in flight, retries, waiting for a later part)."""
    traces = [e["traces"] for e in rt.stats.scenarios.values()]
    return sum(t["generated"] - t["delivered"] - t["failed"] - t["dropped"] - t.get("unconfirmed", 0) for t in traces)


def _target_rate(rt: Runtime) -> float | None:
    """``--otel-rate`` (traces/s) when the runtime's settings have one."""
    rate = getattr(rt.settings, "rate", None)
    return float(rate) if isinstance(rate, int | float) and rate > 0 else None


def _backlog(rt: Runtime) -> float | None:
    """Traces waiting for their turn under ``--otel-rate``, when the runtime exposes a ``backlog`` count."""
    backlog = getattr(rt, "backlog", None)
    value = backlog() if callable(backlog) else backlog
    return float(value) if isinstance(value, int | float) else None


TRACES = "Traces per second"
for _key, _label, _color in (
    ("generated", "started", "#0099ff"),
    ("delivered", "delivered", "#00ca5a"),
    ("failed", "failed", "#ff6d6d"),
    ("dropped", "dropped", "#ff9f00"),
    ("unconfirmed", "unconfirmed", "#9966CC"),
):
    add_series(Series(f"traces_{_key}", _label, TRACES, _traces(_key), rate=True, color=_color))
add_series(Series("target_rate", "target (--otel-rate)", TRACES, _target_rate, color="#8E4585"))
add_series(Series("spans", "spans/s", "Spans per second", _spans, rate=True, color="#0099ff"))
add_series(Series("megabytes", "MB/s", "MB sent per second", _megabytes, rate=True, color="#00ca5a"))
add_series(Series("in_flight", "traces in flight", "In flight", _in_flight, color="#ff9f00"))
add_series(Series("backlog", "backlog (--otel-rate)", "In flight", _backlog, color="#9966CC"))


class SeriesSampler:
    """The sampled history of every registered series for one runtime (master or local process)."""

    def __init__(
        self,
        runtime: Runtime,
        clock: Callable[[], float] = time.time,
        capacity: int = CAPACITY,
        interval: float = INTERVAL_S,
        window: float = RATE_WINDOW_S,
    ) -> None:
        self.runtime = runtime
        self.clock = clock
        self.capacity = capacity
        self.interval = interval
        self.window = window
        self.stride = 1  # record every stride-th tick (doubles at each halving)
        self.generation = 0  # changes whenever earlier points change: clients then fetch everything again
        self.times: list[float] = []
        self.values: dict[str, list[float | None]] = {}
        self._ticks = 0
        self._was_active = False
        self._totals: dict[str, deque[tuple[float, float]]] = {}
        self.greenlet: Any = None  # the ticking greenlet, when started by start_sampling()

    # -- sampling -------------------------------------------------------------------------------------------

    def tick(self, state: str) -> None:
        """Called every ``interval``: sample while a test runs, and once more when it has just stopped."""
        active = state in ACTIVE_STATES
        if active or self._was_active:
            self.sample()
        self._was_active = active

    def sample(self) -> None:
        now = self.clock()
        if self.times and now - self.times[-1] > GAP_FACTOR * self.interval * self.stride:
            self._totals.clear()  # rates must not span the pause
            self._record(now - 1e-3, {})  # nulls: the lines break instead of bridging the pause
            self._ticks = 0
        readings = {s.key: self._read(s, now) for s in SERIES}
        self._ticks += 1
        if (self._ticks - 1) % self.stride == 0:
            self._record(now, readings)

    def _read(self, series: Series, now: float) -> float | None:
        try:
            value = series.read(self.runtime)
        except Exception:  # a reader must never break the sampler (and the UI with it)
            return None
        if value is None or not series.rate:
            return value
        return self._rate(series.key, now, float(value))

    def _rate(self, key: str, now: float, total: float) -> float | None:
        history = self._totals.setdefault(key, deque())
        if not history or total < history[-1][1]:  # first sample of a test, or counters were cleared
            history.clear()
            history.append((now - self.interval, 0.0))  # counters start at zero with the test, about a tick ago
        history.append((now, total))
        while len(history) > 2 and now - history[1][0] >= self.window:
            history.popleft()
        then, before = history[0]
        return (total - before) / (now - then) if now > then else None

    def _record(self, now: float, readings: dict[str, float | None]) -> None:
        if len(self.times) >= self.capacity:
            self._halve()
        length = len(self.times)
        self.times.append(now)
        for key in {s.key for s in SERIES} | self.values.keys():
            column = self.values.setdefault(key, [None] * length)
            value = readings.get(key)
            column.append(None if value is None else float(f"{value:.4g}"))  # 4 significant digits

    def _halve(self) -> None:
        self.times = self.times[::2]
        self.values = {key: column[::2] for key, column in self.values.items()}
        self.stride *= 2
        self.generation += 1

    def clear(self) -> None:
        self.times, self.values, self._totals = [], {}, {}
        self.stride, self._ticks = 1, 0
        self.generation += 1

    # -- views ----------------------------------------------------------------------------------------------

    def snapshot(self, since: float | None = None, generation: str | None = None) -> dict[str, Any]:
        """The charts and their points (times in epoch ms). With the client's last ``since`` (ms) and
        ``generation``, only newer points (``full`` false) unless earlier points changed since."""
        present = [s for s in SERIES if any(v is not None for v in self.values.get(s.key, ()))]
        charts: dict[str, list[dict[str, Any]]] = {}
        for series in present:
            charts.setdefault(series.chart, []).append(
                {"key": series.key, "label": series.label, "color": series.color}
            )
        # a series appearing means a full reload too
        generation_now = f"{self.generation}:{','.join(s.key for s in present)}"
        start = 0
        full = since is None or generation != generation_now
        if not full and since is not None:
            start = next((i for i, t in enumerate(self.times) if round(t * 1000) > since), len(self.times))
        return {
            "generation": generation_now,
            "full": full,
            "interval": self.interval * self.stride,
            "charts": [{"title": title, "series": lines} for title, lines in charts.items()],
            "time": [round(t * 1000) for t in self.times[start:]],
            "values": {s.key: self.values[s.key][start:] for s in present},
        }

    def points(self) -> int:
        return len(self.times)


# -- page parts ---------------------------------------------------------------------------------------------


def static_text(name: str) -> str:
    """A file shipped in ``otel_locust/plugin/static`` (package data)."""
    return resources.files("otel_locust.plugin").joinpath("static", name).read_text(encoding="utf-8")


def _inline(text: str) -> str:
    """Text that is safe inside a ``<script>`` element (cannot close it early)."""
    return text.replace("</", "<\\/")


def charts_html(snapshot: dict[str, Any]) -> str:
    """The charts as a standalone section for the ``--html`` report: library, data and script inlined."""
    return (
        '<section id="otel-locust-charts-report" style="margin:24px;font-family:sans-serif">'
        '<h2>Traces over time (otel-locust)</h2><div id="otel-locust-charts"></div>'
        f"<script>{_inline(static_text('echarts/echarts.common.min.js'))}</script>"
        f'<script type="application/json" id="otel-locust-series">{_inline(json.dumps(snapshot))}</script>'
        f"<script>{_inline(static_text('traces-charts.js'))}</script></section>"
    )


def script_tags(base_path: str) -> str:
    """What the web UI's page gets: ECharts and the chart panel script, both served by the plugin."""
    return (
        f'<script src="{base_path}/otel-traces/static/echarts/echarts.common.min.js"></script>'
        f'<script src="{base_path}/otel-traces/static/traces-charts.js" '
        f'data-series="{base_path}/otel-traces/series"></script>'
    )


def start_sampling(runtime: Runtime) -> SeriesSampler:
    """A sampler for ``runtime`` and the greenlet that ticks it every ``INTERVAL_S`` with the runner's state."""
    import gevent  # here, not at the top: the sampler itself is plain logic, testable without gevent

    sampler = SeriesSampler(runtime)

    def loop() -> None:
        while True:
            gevent.sleep(sampler.interval)
            runner = runtime.environment.runner
            sampler.tick(getattr(runner, "state", ""))

    sampler.greenlet = gevent.spawn(loop)
    return sampler


def report_html(sampler: SeriesSampler | None) -> str:
    """The report's chart section with a last sample taken now (the run's tail), or "" without data."""
    if sampler is None:
        return ""
    age = sampler.clock() - sampler.times[-1] if sampler.times else None
    if age is None or sampler.interval / 4 < age <= GAP_FACTOR * sampler.interval * sampler.stride:
        sampler.sample()
    return charts_html(sampler.snapshot()) if sampler.points() else ""
