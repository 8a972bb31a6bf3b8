"""The live "Traces" tab in Locust's web UI, its CSV download, and the trace table in the HTML report.

The tab is declared in ``template_args`` at ``init`` (so it shows on the main page, not only on an extra route),
added to whatever other plugins declared there, and filled by adding ``extended_stats`` to Locust's own
``stats/requests`` answer, which the UI polls every 2 s. Current rates come from the change of the totals over
the last few polls. The charts under the table (:mod:`otel_locust.plugin.charts`) come from a script this module
adds to Locust's page and the routes that serve it, ECharts and the sampled series.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import flask

from otel_locust.plugin.charts import report_html, script_tags, static_text
from otel_locust.plugin.report import COLUMNS, add_to_report, rows_csv, trace_rows

if TYPE_CHECKING:
    from otel_locust.plugin.runtime import Runtime

KEY = "otel_traces"
RATE_WINDOW_S = 10.0
SINK_POLL_S = 2.0
STATIC_FILES = frozenset({"traces-charts.js", "echarts/echarts.common.min.js"})


def _add(args: dict[str, Any], name: str, item: dict[str, Any], identity: str) -> None:
    """Append ``item`` to the list ``args[name]``, replacing only an earlier item of ours (same ``identity``)."""
    items = [i for i in args.get(name) or [] if i.get(identity) != item[identity]]
    args[name] = [*items, item]


def _before_body_end(page: str, html: str) -> str:
    index = page.rfind("</body>")
    return page[:index] + html + page[index:] if index >= 0 else page + html


class TracesTab:
    """Serves the rows for one runtime; also keeps the history that current rates are computed from."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._history: deque[tuple[float, dict[str, tuple[int, int, int]]]] = deque(maxlen=64)
        self._sink: tuple[float, dict[str, Any] | None] = (0.0, None)
        self.base_path = ""

    def install(self, web_ui: Any, base_path: str) -> None:
        """Declare the tab beside any other plugin's (added to the ``extended_*`` lists, never replacing them)."""
        self.base_path = base_path
        args = web_ui.template_args
        _add(args, "extended_tabs", {"title": "Traces", "key": KEY}, "key")
        _add(
            args,
            "extended_tables",
            {"key": KEY, "structure": [{"key": key, "title": title} for key, title in COLUMNS]},
            "key",
        )
        _add(
            args,
            "extended_csv_files",
            {"href": f"{base_path}/otel-traces/csv", "title": "Download trace statistics CSV"},
            "href",
        )
        blueprint = flask.Blueprint("otel_locust", __name__, url_prefix=base_path)

        @blueprint.route("/otel-traces/csv")
        @web_ui.auth_required_if_enabled
        def traces_csv() -> flask.Response:
            return flask.Response(
                rows_csv(self.rows()),
                mimetype="text/csv",
                headers={"Content-Disposition": "attachment; filename=otel_traces.csv"},
            )

        @blueprint.route("/otel-traces/series")
        @web_ui.auth_required_if_enabled
        def traces_series() -> flask.Response:
            return flask.jsonify(self.series(flask.request.args))

        @blueprint.route("/otel-traces/static/<path:name>")
        @web_ui.auth_required_if_enabled
        def traces_static(name: str) -> flask.Response:
            if name not in STATIC_FILES:
                flask.abort(404)
            return flask.Response(
                static_text(name), mimetype="text/javascript", headers={"Cache-Control": "max-age=3600"}
            )

        web_ui.app.register_blueprint(blueprint)
        web_ui.app.after_request(self._after_request)

    def _after_request(self, response: flask.Response) -> flask.Response:
        endpoint = flask.request.endpoint
        if endpoint == "locust.request_stats" and response.is_json:
            body = response.get_json()
            body["extended_stats"] = [{"key": KEY, "data": self.rows()}]
            response.set_data(json.dumps(body))
        elif endpoint == "locust.index" and response.mimetype == "text/html":
            response.set_data(_before_body_end(response.get_data(as_text=True), script_tags(self.base_path)))
        elif endpoint == "locust.stats_report" and response.mimetype == "text/html":
            response.set_data(
                add_to_report(response.get_data(as_text=True), self.rows(final=True), report_html(self.runtime.charts))
            )
        return response

    def series(self, args: Any) -> dict[str, Any]:
        """The sampled series for the chart script: everything, or only points after ``since`` (epoch ms)."""
        sampler = self.runtime.charts
        if sampler is None:
            return {"generation": "", "full": True, "interval": 0, "charts": [], "time": [], "values": {}}
        try:
            since = float(args["since"]) if "since" in args else None
        except ValueError:
            since = None
        return sampler.snapshot(since, args.get("generation"))

    def rows(self, final: bool = False) -> list[dict[str, Any]]:
        return trace_rows(self.runtime.stats, None if final else self._rates(), self._sink_stats())

    def reset(self, **_: Any) -> None:
        self._history.clear()

    def _rates(self) -> dict[str, tuple[float, float, float]]:
        now = time.monotonic()
        current = {
            name: (e["traces"]["generated"], e["spans"]["generated"], e["bytes_sent"])
            for name, e in self.runtime.stats.scenarios.items()
        }
        current["Total"] = tuple(sum(v[i] for v in current.values()) for i in range(3))
        self._history.append((now, current))
        while len(self._history) > 2 and now - self._history[1][0] >= RATE_WINDOW_S:
            self._history.popleft()
        then, past = self._history[0]
        elapsed = now - then
        if elapsed <= 0:
            return {}
        rates = {}
        for name, (traces, spans, nbytes) in current.items():
            t0, s0, b0 = past.get(name, (0, 0, 0))
            rates[name] = ((traces - t0) / elapsed, (spans - s0) / elapsed, (nbytes - b0) / elapsed / 1e6)
        return rates

    def _sink_stats(self) -> dict[str, Any] | None:
        sink = self.runtime.sink
        if sink is None:
            return None
        fetched, stats = self._sink
        if time.monotonic() - fetched >= SINK_POLL_S:
            with contextlib.suppress(OSError):
                stats = sink.stats(timeout=1.0)
            self._sink = (time.monotonic(), stats)
        return stats
