"""rotel (a Rust OTLP collector) receives the generator's OTLP/gRPC and OTLP/HTTP JSON and forwards every span
to the verifying sink: delivered = received, per protocol. Behind the ``backend`` marker (rotel comes from
``.ci/install-backends``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    result = run_locust(
        [
            "--headless",
            "-u",
            "3",
            "-r",
            "3",
            "-t",
            "5s",
            "--otel-pace",
            "0.2",
            "--otel-platform",
            "otlp",
            "--otel-protocol",
            protocol,
            "--otel-compression",
            compression,
            "--otel-endpoint",
            endpoint,
            "--otel-summary",
            "summary.json",
        ],
        tmp_path,
    )
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
