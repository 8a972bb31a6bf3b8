"""The Traces tab and the --html report in a real browser: Debian's Chromium, driven by Playwright (which never
downloads a browser). Chart assertions read the series ECharts is drawing (window.otelLocustCharts), not pixels."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from .backends import free_port, wait_until
from .helpers import LOCUSTFILE, run_locust

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: per chart title, per series name: how many points are drawn and the largest value
DRAWN = """() => Object.fromEntries(Object.entries(window.otelLocustCharts.charts).map(([title, chart]) =>
    [title, Object.fromEntries(chart.getOption().series.map(s => {
        const values = s.data.map(point => point[1]).filter(v => v !== null && v !== undefined);
        return [s.name, {points: values.length, max: Math.max(0, ...values)}];
    }))]))"""


@pytest.fixture
def chromium():
    playwright = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: apt-get install chromium (see .ci/run)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _total_traces(page) -> int:
    row = page.locator("tr", has_text="Total").first
    return int(row.locator("td").nth(1).inner_text().strip())


def _started_points(page) -> int:
    return page.evaluate(DRAWN).get("Traces per second", {}).get("started", {}).get("points", 0)


def test_traces_tab_shows_live_rows_and_charts_that_grow(tmp_path, chromium):
    port = free_port()
    with open(tmp_path / "locust.log", "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                LOCUSTFILE,
                "--web-host",
                "127.0.0.1",
                "--web-port",
                str(port),
                "--autostart",
                "-u",
                "8",
                "-r",
                "8",
                "--otel-pace",
                "0.5",
            ],
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}/"
            wait_until(lambda: urllib.request.urlopen(base, timeout=2).status == 200, 60, what="the web UI")
            page = chromium.new_page(viewport={"width": 1600, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(base)
            page.get_by_role("tab", name="Traces").click()
            page.wait_for_selector("text=multi_service_complex", timeout=30_000)
            first = _total_traces(page)
            wait_until(lambda: _started_points(page) >= 1, 30, what="a first chart point")
            points = _started_points(page)
            wait_until(lambda: _started_points(page) >= points + 2, 30, what="the charts to grow")  # 2 s samples
            later = _total_traces(page)
            assert later > first > 0, (first, later)
            for name in ("simple_query", "single_service_search", "delegated_booking", "Sink verified"):
                assert page.get_by_text(name).count() >= 1
            drawn = page.evaluate(DRAWN)
            assert set(drawn) == {"Traces per second", "Spans per second", "MB sent per second", "In flight"}
            assert drawn["Traces per second"]["started"]["max"] > 0 and drawn["Spans per second"]["spans/s"]["max"] > 0
            assert drawn["MB sent per second"]["MB/s"]["max"] > 0
            assert set(drawn["Traces per second"]) == {"started", "delivered", "failed", "dropped", "unconfirmed"}
            page.get_by_role("tab", name="Statistics").click()
            wait_until(lambda: page.locator("#otel-locust-charts-panel").count() == 0, 10, what="the panel to leave")
            page.get_by_role("tab", name="Traces").click()
            wait_until(
                lambda: page.locator("#otel-locust-charts-panel .otel-locust-chart").count() == 4,
                10,
                what="the panel to come back",
            )
            assert not errors, errors
            time.sleep(0.5)  # let the last redraw settle before the picture
            page.screenshot(path=str(tmp_path / "traces-tab.png"), full_page=True)
            if target := os.environ.get("OTEL_LOCUST_SCREENSHOT"):
                shutil.copy(tmp_path / "traces-tab.png", target)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_the_html_report_draws_its_charts_offline(tmp_path, chromium):
    result = run_locust(
        ["--headless", "-u", "4", "-r", "4", "-t", "5s", "--otel-pace", "0.2", "--html", "report.html"], tmp_path
    )
    assert result.returncode == 0, result.stderr[-3000:]
    context = chromium.new_context(offline=True)  # a standalone file: nothing may come from the network
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto((tmp_path / "report.html").as_uri())
    page.wait_for_selector("#otel-locust-charts-panel .otel-locust-chart", timeout=30_000)
    drawn = page.evaluate(DRAWN)
    assert drawn["Traces per second"]["started"]["points"] >= 2 and drawn["Traces per second"]["started"]["max"] > 0
    assert drawn["Spans per second"]["spans/s"]["max"] > 0
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    context.close()
