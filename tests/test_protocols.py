"""End to end: headless Locust runs over OTLP/gRPC and OTLP/HTTP JSON, over TLS, and against a gRPC endpoint
that accepts connections and never answers (a distributed run must not lose its worker to a frozen hub)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from otel_locust.sink.embedded import EmbeddedSink

from .backends import free_port
from .helpers import check_exact, run_locust, start_worker, summary, worker_errors
from .test_transports import certificate, tls_stats  # noqa: F401 - certificate is a fixture

pytestmark = pytest.mark.e2e
RUN = ["--headless", "-u", "3", "-r", "3", "-t", "4s", "--otel-pace", "0.2", "--otel-summary", "summary.json"]


def _delivered_equals_received(data: dict, received: dict) -> None:
    check_exact(data)
    traces, spans = data["total"]["traces"], data["total"]["spans"]
    assert traces["generated"] == traces["delivered"] > 10, traces
    assert received["traces_complete"] == received["traces_received"] == traces["delivered"]
    assert received["spans_received"] == spans["delivered"] and received["orphan_spans"] == 0


@pytest.mark.parametrize(("protocol", "compression"), [("grpc", "gzip"), ("http/json", "none")])
def test_the_embedded_sink_receives_every_protocol(tmp_path, protocol, compression):
    result = run_locust([*RUN, "--otel-protocol", protocol, "--otel-compression", compression], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "summary.json")
    _delivered_equals_received(data, data["sink"])
    print(f"{protocol}: {data['total']['traces']['delivered']} traces delivered = received by the sink")


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_tls_endpoints_with_a_ca_file(tmp_path, certificate, protocol):  # noqa: F811
    cert, key = certificate
    sink = EmbeddedSink(extra_args=f"--tls-cert {cert} --tls-key {key}", protocol="grpc")
    try:
        endpoint = sink.grpc_url if protocol == "grpc" else sink.url
        result = run_locust(
            [
                *RUN,
                "--otel-platform",
                "otlp",
                "--otel-protocol",
                protocol,
                "--otel-endpoint",
                endpoint,
                "--otel-certificate",
                cert,
            ],
            tmp_path,
        )
        received = tls_stats(sink, cert)
    finally:
        sink.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    _delivered_equals_received(summary(tmp_path / "summary.json"), received)


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (nor closes them)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for conn in held:
        conn.close()


def test_a_grpc_endpoint_that_never_answers_does_not_stall_a_worker(tmp_path, black_hole):
    port = free_port()
    worker = start_worker(port, tmp_path)
    try:
        result = run_locust(
            [
                "--master",
                "--otel-sink-port",  # not the default 4318: another suite may run beside this one
                str(free_port()),
                "--master-bind-host",
                "127.0.0.1",
                "--master-bind-port",
                str(port),
                "--expect-workers",
                "1",
                "--headless",
                "-u",
                "4",
                "-r",
                "4",
                "-t",
                "8s",
                "--otel-pace",
                "0",
                "--otel-platform",
                "otlp",
                "--otel-protocol",
                "grpc",
                "--otel-endpoint",
                f"http://127.0.0.1:{black_hole}",
                "--otel-timeout",
                "3",
                "--otel-max-loss",
                "1",
                "--otel-summary",
                "summary.json",
            ],
            tmp_path,
            timeout=120,
        )
    finally:
        worker_err = worker_errors(worker)
    assert result.returncode in (0, 1), result.stderr[-3000:]  # 1: Locust saw failed requests
    assert "missing" not in result.stderr.lower(), result.stderr[-3000:]
    data = summary(tmp_path / "summary.json")
    assert data["workers"]["reported"] == 1 and data["workers"]["lost"] == []
    check_exact(data)
    traces = data["total"]["traces"]
    assert traces["delivered"] == 0 and traces["unconfirmed"] > 0, traces
    assert "Traceback" not in worker_err, worker_err[-2000:]
    print(f"black hole: {traces}")
