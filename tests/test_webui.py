"""The web UI: secrets stay out of the page, and a bad value typed in the form stops the test with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from .backends import free_port, wait_until
from .helpers import LOCUSTFILE

pytestmark = pytest.mark.e2e
KEY = "sk-planted-webui-8c1f"


@pytest.fixture
def web(tmp_path):
    port = free_port()
    log = open(tmp_path / "locust.log", "w")  # noqa: SIM115 - closed below
    env = {**os.environ, "LOCUST_OTEL_API_KEY": KEY, "LOCUST_OTEL_HEADERS": f"x-secret={KEY}"}
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
            "--otel-pace",
            "0.2",
        ],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: urllib.request.urlopen(base, timeout=2).status == 200, 60, what="the web UI")
    yield base, tmp_path / "locust.log"
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def _swarm(base: str, **fields: str) -> None:
    data = urllib.parse.urlencode({"user_count": "2", "spawn_rate": "2", "host": "", **fields}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{base}/swarm", data=data), timeout=10).close()


def _stats(base: str) -> dict:
    return json.loads(_get(f"{base}/stats/requests"))


def test_secrets_are_not_in_the_page(web):
    base, _ = web
    page = _get(base).decode()
    assert "otel_mix" in page, "the form has the plugin's options"
    assert KEY not in page and "otel_api_key" not in page and "otel_headers" not in page


def test_a_bad_value_typed_in_the_form_stops_the_test_with_one_line(web):
    base, log = web
    _swarm(base, otel_mix="nope=1")
    wait_until(lambda: _stats(base)["state"] == "stopped", 20, what="the test to be stopped")
    lines = [ln for ln in log.read_text().splitlines() if "otel-locust: --otel-mix:" in ln]
    assert len(lines) == 1 and "unknown scenario 'nope'" in lines[0]
    assert "Traceback" not in log.read_text()
    assert _stats(base)["total_rps"] == 0 and all(s["num_requests"] == 0 for s in _stats(base)["stats"])
    _swarm(base, otel_mix="simple_query=1")  # corrected in the same UI: the test runs
    wait_until(
        lambda: any(s["name"] == "simple_query" and s["num_requests"] > 0 for s in _stats(base)["stats"]),
        30,
        what="traces after the correction",
    )
    time.sleep(0.5)
    assert KEY not in log.read_text()


def test_the_page_loads_the_chart_script_and_the_series_grow_during_a_test(web):
    base, _ = web
    page = _get(base).decode()
    assert 'src="/otel-traces/static/traces-charts.js" data-series="/otel-traces/series"' in page
    assert len(_get(f"{base}/otel-traces/static/echarts/echarts.common.min.js")) > 500_000
    assert json.loads(_get(f"{base}/otel-traces/series"))["time"] == [], "no test yet: nothing sampled"
    _swarm(base)

    def points() -> list[float]:
        series = json.loads(_get(f"{base}/otel-traces/series"))
        return [v for v in series["values"].get("traces_generated", []) if v is not None]

    first = wait_until(points, 30, what="a first sample")
    later = wait_until(lambda: len(points()) > len(first) and points(), 30, what="a later sample")
    assert max(later) > 0
