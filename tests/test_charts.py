"""The charts' series sampler (pure logic on a fake clock) and the Traces tab's page parts on a real Flask app."""

from __future__ import annotations

import json
from types import SimpleNamespace

import flask
import pytest

from otel_locust.export.accounting import TraceStats
from otel_locust.plugin import charts
from otel_locust.plugin.charts import Series, SeriesSampler, add_series, charts_html, report_html
from otel_locust.plugin.webui import KEY, TracesTab


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def registry():
    """Tests that register series put the registry back afterwards."""
    saved = list(charts.SERIES)
    yield
    charts.SERIES[:] = saved


def _runtime() -> SimpleNamespace:
    return SimpleNamespace(stats=TraceStats(), settings=None)


def _generate(stats: TraceStats, traces: int, delivered: int | None = None) -> None:
    for _ in range(traces):
        stats.generated("s", 10, 3, 5_000)
        stats.request({"s": 5_000})
    for _ in range(traces if delivered is None else delivered):
        stats.finished("s", "delivered", {"delivered": 10})


def _run(sampler: SeriesSampler, clock: Clock, runtime: SimpleNamespace, per_tick: list[int]) -> None:
    for traces in per_tick:
        clock.now += sampler.interval
        _generate(runtime.stats, traces)
        sampler.tick("running")


def test_counters_become_rates_and_gauges_stay_values():
    clock, runtime = Clock(), _runtime()
    sampler = SeriesSampler(runtime, clock=clock)
    _run(sampler, clock, runtime, [10, 10, 10])
    clock.now += 2
    _generate(runtime.stats, 4, delivered=1)  # three traces still in flight
    sampler.tick("running")
    values = sampler.snapshot()["values"]
    assert values["traces_generated"][:3] == [5.0, 5.0, 5.0]
    assert values["spans"][:3] == [50.0, 50.0, 50.0]
    assert values["megabytes"][0] == pytest.approx(0.025)
    assert values["in_flight"] == [0, 0, 0, 3]
    assert values["traces_failed"] == [0.0] * 4


def test_rates_cover_the_last_window_only():
    clock, runtime = Clock(), _runtime()
    sampler = SeriesSampler(runtime, clock=clock, window=6.0)
    _run(sampler, clock, runtime, [30, 0, 0, 0, 0, 0])
    started = sampler.snapshot()["values"]["traces_generated"]
    assert started[0] == 15.0 and started[1] > 0
    assert started[-1] == 0.0, "a burst leaves the rate once it is older than the window"


def test_cleared_counters_never_give_negative_rates():
    clock, runtime = Clock(), _runtime()
    sampler = SeriesSampler(runtime, clock=clock)
    _run(sampler, clock, runtime, [20, 20])
    runtime.stats.clear()  # a new test, or the reset button
    _run(sampler, clock, runtime, [4])
    assert sampler.snapshot()["values"]["traces_generated"] == [10.0, 10.0, 2.0]


def test_samples_only_while_a_test_runs_and_a_pause_breaks_the_lines():
    clock, runtime = Clock(), _runtime()
    sampler = SeriesSampler(runtime, clock=clock)
    for state in ("ready", "spawning", "running", "stopped", "stopped", "stopped"):
        clock.now += 2
        sampler.tick(state)
    assert sampler.points() == 3, "spawning, running, and once more just after the stop"
    clock.now += 60
    _run(sampler, clock, runtime, [6])
    started = sampler.snapshot()["values"]["traces_generated"]
    assert started[3] is None and started[4] == 3.0, "a null between the tests, then a fresh rate"


def test_memory_stays_flat_and_the_whole_run_stays_visible():
    clock, runtime = Clock(), _runtime()
    sampler = SeriesSampler(runtime, clock=clock, capacity=100)
    start = clock.now
    generations = set()
    for _ in range(1_000):
        clock.now += 2
        sampler.tick("running")
        generations.add(sampler.snapshot()["generation"])
        assert sampler.points() <= 100
    assert sampler.times[0] == start + 2, "halving keeps the first point"
    assert sampler.stride == 16 and len(generations) == 5
    assert all(len(column) == sampler.points() for column in sampler.values.values())


def test_snapshot_sends_only_newer_points_unless_earlier_ones_changed():
    clock, runtime = Clock(), _runtime()
    sampler = SeriesSampler(runtime, clock=clock)
    _run(sampler, clock, runtime, [2, 2])
    first = sampler.snapshot()
    assert first["full"] and len(first["time"]) == 2
    assert [c["title"] for c in first["charts"]] == [
        "Traces per second",
        "Spans per second",
        "MB sent per second",
        "In flight",
    ]
    assert "target_rate" not in first["values"] and "backlog" not in first["values"], "absent: not drawn"
    _run(sampler, clock, runtime, [2])
    newer = sampler.snapshot(first["time"][-1], first["generation"])
    assert not newer["full"] and newer["time"] == [round(clock.now * 1000)]
    assert newer["values"]["traces_generated"] == [1.0]
    assert sampler.snapshot(first["time"][-1], "stale")["full"]


def test_a_series_added_elsewhere_appears_and_a_broken_reader_is_only_absent(registry):
    def broken(rt: object) -> float:
        raise KeyError("not there yet")

    add_series(Series("readback_p95", "p95", "Visibility latency (ms)", lambda rt: 250.0))
    add_series(Series("oops", "oops", "Visibility latency (ms)", broken))
    clock, runtime = Clock(), _runtime()
    runtime.settings = SimpleNamespace(rate=40.0)  # --otel-rate
    sampler = SeriesSampler(runtime, clock=clock)
    _run(sampler, clock, runtime, [1])
    snapshot = sampler.snapshot()
    latency = next(c for c in snapshot["charts"] if c["title"] == "Visibility latency (ms)")
    assert [s["key"] for s in latency["series"]] == ["readback_p95"]
    assert snapshot["values"]["readback_p95"] == [250.0] and snapshot["values"]["target_rate"] == [40.0]


def test_the_report_section_inlines_library_script_and_data_safely(registry):
    add_series(Series("evil", "</script><b>x", "Evil", lambda rt: 1.0))
    clock, runtime = Clock(), _runtime()
    sampler = SeriesSampler(runtime, clock=clock)
    _run(sampler, clock, runtime, [3, 3])
    clock.now += 1.5
    section = report_html(sampler)
    assert sampler.points() == 3, "the run's tail is sampled for the report"
    assert "echarts" in section and "otelLocustCharts" in section and "<script src" not in section
    assert section.count("</script>") == 3 and "<\\/script><b>x" in section
    data = section.split('id="otel-locust-series">')[1].split("</script>")[0].replace("<\\/", "</")
    assert json.loads(data)["values"]["traces_generated"][:2] == [1.5, 1.5]
    assert report_html(None) == "" and charts_html(sampler.snapshot()).startswith("<section")


def _web_ui() -> SimpleNamespace:
    app = flask.Flask("test")
    locust = flask.Blueprint("locust", __name__)
    locust.add_url_rule("/", "index", lambda: "<html><body><div id=root></div></body></html>")
    app.register_blueprint(locust)
    other = {
        "extended_tabs": [{"title": "Cache", "key": "cache"}],
        "extended_tables": [{"key": "cache", "structure": []}],
        "extended_csv_files": [{"href": "/cache/csv", "title": "Cache CSV"}],
    }
    return SimpleNamespace(app=app, template_args=other, auth_required_if_enabled=lambda f: f)


def test_the_tab_adds_to_other_plugins_tabs_and_serves_its_charts():
    web_ui, runtime = _web_ui(), _runtime()
    clock = Clock()
    runtime.charts = SeriesSampler(runtime, clock=clock)
    _run(runtime.charts, clock, runtime, [2])
    tab = TracesTab(runtime)  # type: ignore[arg-type]
    tab.install(web_ui, "/lt")
    args = web_ui.template_args
    assert [t["key"] for t in args["extended_tabs"]] == ["cache", KEY]
    assert [t["key"] for t in args["extended_tables"]] == ["cache", KEY]
    assert [f["href"] for f in args["extended_csv_files"]] == ["/cache/csv", "/lt/otel-traces/csv"]
    client = web_ui.app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert 'src="/lt/otel-traces/static/traces-charts.js" data-series="/lt/otel-traces/series"' in page
    assert page.index("traces-charts.js") < page.index("</body>")
    series = client.get("/lt/otel-traces/series").get_json()
    assert series["values"]["traces_generated"] == [1.0]
    assert (
        client.get(f"/lt/otel-traces/series?since={series['time'][-1]}&generation={series['generation']}").get_json()[
            "time"
        ]
        == []
    )
    script = client.get("/lt/otel-traces/static/echarts/echarts.common.min.js")
    assert script.status_code == 200 and len(script.data) > 500_000
    assert client.get("/lt/otel-traces/static/../webui.py").status_code == 404
