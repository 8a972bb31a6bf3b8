"""The preview command prints one trace as a tree; the standalone sink serves and reports."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest

from .backends import wait_until


@pytest.mark.slow
def test_preview_prints_the_tree():
    result = subprocess.run(
        [sys.executable, "-m", "otel_locust.preview", "multi_service_complex", "--seed", "4"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("multi_service_complex: ") and "KB OTLP" in lines[0]
    spans = int(lines[0].split(": ")[1].split(" spans")[0])
    assert len(lines) == spans + 2 and lines[2].startswith("invoke_agent travel_assistant")
    assert any("└─ chat claude-sonnet-4-5" in line for line in lines)


def test_preview_of_an_unknown_scenario_lists_the_known_ones():
    result = subprocess.run(
        [sys.executable, "-m", "otel_locust.preview", "nope"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "unknown scenario 'nope'" in result.stderr
    assert "simple_query (weight 40" in result.stdout


def test_standalone_sink_serves_and_prints_its_final_counts(scenarios, planner, instrumentation):
    proc = subprocess.Popen(
        [sys.executable, "-m", "otel_locust.sink", "--port", "0", "--interval", "0", "--json"],
        stdout=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
    body = instrumentation.requests(instrumentation.encode(planner.plan(scenarios["simple_query"])))[0].body
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-protobuf"})
    assert urllib.request.urlopen(request, timeout=10).status == 200
    wait_until(
        lambda: json.load(urllib.request.urlopen(url.replace("/v1/traces", "/stats")))["traces_complete"],
        10,
        what="the trace to be verified",
    )
    proc.terminate()
    final = json.loads(proc.communicate(timeout=10)[0].strip().splitlines()[-1])
    assert final["traces_complete"] == 1 and final["requests"] == 1
