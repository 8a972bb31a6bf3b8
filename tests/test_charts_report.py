"""The ``--html`` report of a real headless run carries the charts standalone: library, script and data inlined."""

from __future__ import annotations

import json

import pytest

from .helpers import run_locust, summary

pytestmark = pytest.mark.e2e


def test_the_html_report_inlines_charts_with_the_runs_data(tmp_path):
    result = run_locust(
        [
            "--headless",
            "-u",
            "4",
            "-r",
            "4",
            "-t",
            "5s",
            "--otel-pace",
            "0.2",
            "--html",
            "report.html",
            "--otel-summary",
            "summary.json",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    page = (tmp_path / "report.html").read_text()
    section = page[page.index('id="otel-locust-charts-report"') :]
    assert "<script src" not in section, "nothing is fetched at view time"
    assert "echarts" in section and "otelLocustCharts" in section
    data = json.loads(section.split('id="otel-locust-series">')[1].split("</script>")[0].replace("<\\/", "</"))
    titles = [chart["title"] for chart in data["charts"]]
    assert titles == ["Traces per second", "Spans per second", "MB sent per second", "In flight"]
    started = [v for v in data["values"]["traces_generated"] if v is not None]
    assert len(data["time"]) >= 2 and len(started) >= 2 and max(started) > 0
    assert max(v or 0 for v in data["values"]["spans"]) > 0
    assert data["time"] == sorted(data["time"])
    generated = summary(tmp_path / "summary.json")["total"]["traces"]["generated"]
    assert generated > 0 and max(started) <= generated, "a rate per second cannot exceed the run's total"
