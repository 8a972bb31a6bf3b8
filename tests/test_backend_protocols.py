"""rotel (a Rust OTLP collector) receives the generator's OTLP/gRPC and OTLP/HTTP JSON and forwards every span
to the verifying sink: delivered = received, per protocol. Behind the ``backend`` marker (rotel comes from
``.ci/install-backends``)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_locust.platforms import COLLECTOR_MAX_BODY
from otel_locust.sink.embedded import EmbeddedSink

from .backends import Server, executable, free_port, wait_until
from .helpers import check_exact, run_locust, summary
from .test_backends import _listening

pytestmark = pytest.mark.backend


@pytest.fixture(scope="module")
def rotel(tmp_path_factory) -> Iterator[tuple[EmbeddedSink, int, int]]:
    """(the sink rotel forwards to, rotel's gRPC port, rotel's HTTP port)."""
    sink = EmbeddedSink()
    grpc_port, http_port = free_port(), free_port()
    agent = executable("rotel", "lib/python3.11/site-packages/rotel/rotel-agent")
    server = Server(
        [
            str(agent),
            "start",
            "--otlp-grpc-endpoint",
            f"127.0.0.1:{grpc_port}",
            "--otlp-http-endpoint",
            f"127.0.0.1:{http_port}",
            "--exporter",
            "otlp",
            "--otlp-exporter-protocol",
            "http",
            "--otlp-exporter-endpoint",
            sink.url.rsplit("/v1/traces", 1)[0],
            "--otlp-exporter-request-timeout",
            "30s",
        ],
        tmp_path_factory.mktemp("rotel") / "rotel.log",
    )
    try:
        wait_until(lambda: _listening(grpc_port) and _listening(http_port), 20, what="rotel to listen")
        yield sink, grpc_port, http_port
    finally:
        server.stop()
        sink.stop()


@pytest.mark.parametrize(("protocol", "compression"), [("grpc", "gzip"), ("grpc", "none"), ("http/json", "gzip")])
def test_rotel_receives_every_span_over_each_protocol(rotel, tmp_path: Path, protocol, compression):
    sink, grpc_port, http_port = rotel
    sink.reset()
    endpoint = f"http://127.0.0.1:{grpc_port}" if protocol == "grpc" else f"http://127.0.0.1:{http_port}/v1/traces"
    result = _run(tmp_path, endpoint, 3, "5s", "--otel-protocol", protocol, "--otel-compression", compression)
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "summary.json")
    check_exact(data)
    traces, spans = data["total"]["traces"], data["total"]["spans"]
    assert traces["generated"] == traces["delivered"] > 10, traces
    started = time.monotonic()
    wait_until(lambda: sink.stats()["spans_received"] == spans["delivered"], 60, 0.5, "rotel to forward every span")
    received = sink.stats()
    assert received["traces_complete"] == received["traces_received"] == traces["delivered"]
    assert received["orphan_spans"] == 0
    print(
        f"rotel {protocol} ({compression}): {traces['delivered']} traces / {spans['delivered']} spans delivered "
        f"= received, forwarded within {time.monotonic() - started:.1f} s"
    )


def test_traces_over_the_collector_body_limit_reach_rotel_split(rotel, tmp_path: Path):
    """rotel, like the OpenTelemetry Collector, takes OTLP/HTTP bodies up to 20 MiB and closes the connection on
    a larger one (no 413 to split on): the ``otlp`` preset splits traces at that limit up front, so a stress-tier
    itinerary (about 22 MB) arrives whole, in several requests, instead of failing after three 20 MB attempts."""
    sink, _, http_port = rotel
    sink.reset()
    result = _run(
        tmp_path,
        f"http://127.0.0.1:{http_port}/v1/traces",
        1,
        "7s",
        *("--otel-pace", "2", "--otel-think-seconds", "0", "--otel-seed", "3", "--otel-fresh", "1"),
        *("--otel-payload", "stress", "--otel-mix", "itinerary_replanning=1", "--otel-turns", "3"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "summary.json")
    check_exact(data)
    traces, total = data["total"]["traces"], data["total"]
    assert traces["generated"] == traces["delivered"] >= 2 and traces["failed"] == 0, data["total"]
    assert total["requests"] > traces["delivered"], "traces over 20 MiB went out in several requests"
    assert total["bytes_sent"] / total["requests"] <= COLLECTOR_MAX_BODY
    assert total["bytes_sent"] / traces["delivered"] > COLLECTOR_MAX_BODY, "the run must include traces over 20 MiB"
    wait_until(lambda: sink.stats()["spans_received"] == data["total"]["spans"]["delivered"], 120, 0.5, "forwarding")
    received = sink.stats()
    assert received["traces_complete"] == received["traces_received"] == traces["delivered"]


def _run(tmp_path: Path, endpoint: str, users: int, seconds: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """A headless run of ``users`` into rotel on the ``otlp`` platform (``--otel-pace 0.2`` unless ``extra`` says)."""
    head = ["--headless", "-u", str(users), "-r", str(users), "-t", seconds, "--otel-pace", "0.2"]
    tail = ["--otel-platform", "otlp", "--otel-endpoint", endpoint, "--otel-summary", "summary.json"]
    return run_locust([*head, *extra, *tail], tmp_path, timeout=240)
