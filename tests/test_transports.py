"""OTLP/gRPC and OTLP/HTTP JSON transports and TLS, against the real sink in its own process.

The gRPC status rules are unit-tested on :func:`otel_locust.export.grpc.classify`; everything else talks to a
real ``otel-locust-sink`` child process (HTTP protobuf/JSON, gRPC, TLS with a certificate made here).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import random
import ssl
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from otel_locust.encoding.instrument import OtlpRequest
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.export import grpc as otlp_grpc
from otel_locust.export.http import OtlpHttpTransport, OtlpJsonTransport
from otel_locust.export.transport import Verdict
from otel_locust.plugin.options import ConfigError, settings_from
from otel_locust.scenarios import CONTENT as TRAVEL
from otel_locust.sink.embedded import EmbeddedSink

from .conftest import options_namespace

# -- the gRPC status rules ----------------------------------------------------------------------------------


def _retry_info(seconds: float) -> tuple[tuple[str, bytes], ...]:
    from google.protobuf.duration_pb2 import Duration
    from google.rpc import error_details_pb2, status_pb2

    status = status_pb2.Status(code=8, message="slow down")
    status.details.add().Pack(
        error_details_pb2.RetryInfo(retry_delay=Duration(seconds=int(seconds), nanos=int(seconds % 1 * 1e9)))
    )
    return ((otlp_grpc.STATUS_DETAILS_KEY, status.SerializeToString()),)


@pytest.mark.parametrize(
    ("code", "verdict"),
    [
        (grpc.StatusCode.UNAVAILABLE, Verdict.RETRY),
        (grpc.StatusCode.CANCELLED, Verdict.RETRY),
        (grpc.StatusCode.ABORTED, Verdict.RETRY),
        (grpc.StatusCode.OUT_OF_RANGE, Verdict.RETRY),
        (grpc.StatusCode.DATA_LOSS, Verdict.RETRY),
        (grpc.StatusCode.DEADLINE_EXCEEDED, Verdict.UNCONFIRMED),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, Verdict.REFUSED),
        (grpc.StatusCode.INVALID_ARGUMENT, Verdict.REFUSED),
        (grpc.StatusCode.UNAUTHENTICATED, Verdict.REFUSED),
        (grpc.StatusCode.PERMISSION_DENIED, Verdict.REFUSED),
        (grpc.StatusCode.UNIMPLEMENTED, Verdict.REFUSED),
        (grpc.StatusCode.INTERNAL, Verdict.REFUSED),
        (grpc.StatusCode.UNKNOWN, Verdict.REFUSED),
    ],
)
def test_grpc_codes_are_classified_as_the_otlp_spec_says(code, verdict):
    reply = otlp_grpc.classify(code, "why", (), 1000)
    assert reply.verdict is verdict and reply.status == code.value[0]
    assert reply.message.startswith(f"gRPC {code.name}: why")


def test_resource_exhausted_is_retried_only_with_retry_info_and_split_when_too_large():
    throttled = otlp_grpc.classify(grpc.StatusCode.RESOURCE_EXHAUSTED, "quota", _retry_info(1.5), 1000)
    assert throttled.verdict is Verdict.RETRY and throttled.retry_after == 1.5
    too_large = otlp_grpc.classify(
        grpc.StatusCode.RESOURCE_EXHAUSTED, "Received message larger than max (5000000 vs. 4194304)", (), 5_000_000
    )
    assert too_large.verdict is Verdict.TOO_LARGE
    unavailable = otlp_grpc.classify(grpc.StatusCode.UNAVAILABLE, "", _retry_info(0.25), 10)
    assert unavailable.verdict is Verdict.RETRY and unavailable.retry_after == 0.25, "RetryInfo honoured anywhere"
    garbled = ((otlp_grpc.STATUS_DETAILS_KEY, b"\xff\xff"),)
    assert otlp_grpc.classify(grpc.StatusCode.RESOURCE_EXHAUSTED, "", garbled, 10).verdict is Verdict.REFUSED


def test_grpc_targets_come_from_the_endpoint():
    assert otlp_grpc.target("http://collector:4317") == ("collector:4317", False)
    assert otlp_grpc.target("https://collector") == ("collector:443", True)
    assert otlp_grpc.target("http://[::1]:4317/") == ("[::1]:4317", False)


# -- options ------------------------------------------------------------------------------------------------


def test_presets_without_grpc_refuse_it_in_one_line_naming_the_option():
    for platform in ("langfuse", "braintrust", "langsmith", "mlflow"):
        with pytest.raises(ConfigError, match=r"^--otel-protocol: the \w+ platform takes http/protobuf") as err:
            settings_from(
                options_namespace(otel_platform=platform, otel_protocol="grpc", otel_api_key="a:b", otel_project="1")
            )
        assert "\n" not in str(err.value)
    assert (
        settings_from(options_namespace(otel_platform="otlp", otel_protocol="grpc")).endpoint == "http://localhost:4317"
    )
    assert settings_from(options_namespace(otel_platform="phoenix", otel_protocol="http/json")).protocol == "http/json"


@pytest.mark.parametrize(
    ("endpoint", "insecure", "expected"),
    [
        ("collector:4317", False, "https://collector:4317"),
        ("collector:4317", True, "http://collector:4317"),
        ("http://collector:4317", False, "http://collector:4317"),
    ],
)
def test_grpc_endpoints_without_a_scheme_use_tls_unless_insecure(endpoint, insecure, expected):
    options = options_namespace(
        otel_platform="otlp", otel_protocol="grpc", otel_endpoint=endpoint, otel_insecure=insecure
    )
    assert settings_from(options).endpoint == expected


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"otel_endpoint": "http://c:4317/v1/traces"}, "--otel-endpoint: a gRPC endpoint has no path"),
        ({"otel_endpoint": "https://c:4317", "otel_insecure": "true"}, "--otel-insecure: the endpoint's https"),
        ({"otel_certificate": "/no/such/ca.pem"}, "--otel-certificate: cannot read"),
        ({"otel_protocol": "grpc+json"}, "--otel-protocol: 'grpc+json' is not one of"),
    ],
)
def test_bad_transport_options_are_one_line_errors(overrides, message):
    with pytest.raises(ConfigError, match="^" + message.replace("+", r"\+")):
        settings_from(options_namespace(**{"otel_platform": "otlp", "otel_protocol": "grpc", **overrides}))


def test_a_certificate_file_without_a_pem_certificate_is_refused(tmp_path):
    (tmp_path / "ca.pem").write_text("not a certificate")
    with pytest.raises(ConfigError, match="holds no PEM certificate"):
        settings_from(options_namespace(otel_platform="otlp", otel_certificate=str(tmp_path / "ca.pem")))


# -- against the real sink ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def requests(instrumentation, scenarios) -> list[OtlpRequest]:
    planner = Planner(pools_for(TRAVEL, 3), random.Random(3))
    return [
        instrumentation.requests(instrumentation.encode(planner.plan(scenarios[name])))[0]
        for name in ("simple_query", "delegated_booking", "multi_service_complex")
    ]


def _sink(extra: str = "", protocol: str = "http/protobuf") -> Iterator[EmbeddedSink]:
    sink = EmbeddedSink(extra_args=extra, protocol=protocol)
    try:
        yield sink
    finally:
        sink.stop()


def _grpc(endpoint: str, compression: str = "none", ca_file: str = "") -> otlp_grpc.OtlpGrpcTransport:
    return otlp_grpc.OtlpGrpcTransport(endpoint, {"x-test": "1"}, compression, timeout=10, ca_file=ca_file)


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_grpc_delivers_to_the_sink_whole(requests, compression):
    for sink in _sink(protocol="grpc"):
        transport = _grpc(sink.grpc_url, compression)
        replies = [transport.post(transport.wire(r.body)) for r in requests]
        transport.close()
        assert [r.verdict for r in replies] == [Verdict.OK] * 3 and all(r.rejected == 0 for r in replies)
        stats = sink.stats()
        assert stats["traces_complete"] == 3 and stats["spans_received"] == sum(r.spans for r in requests)


def test_grpc_throttling_with_retry_info_and_partial_success_reach_the_exporter(requests):
    for sink in _sink("--fail-rate 1 --fail-status 429 --retry-after 0.5", "grpc"):
        transport = _grpc(sink.grpc_url)
        reply = transport.post(requests[0].body)
        assert (reply.verdict, reply.retry_after) == (Verdict.RETRY, 0.5), reply
        transport.close()
    for sink in _sink("--partial-rate 1", "grpc"):
        transport = _grpc(sink.grpc_url)
        reply = transport.post(requests[1].body)
        assert reply.verdict is Verdict.OK and reply.rejected == requests[1].spans
        transport.close()


def test_grpc_messages_over_the_receivers_limit_are_too_large(instrumentation, requests):
    for sink in _sink("--max-body-mb 0.05", "grpc"):
        transport = _grpc(sink.grpc_url)
        big = requests[2]
        assert len(big.body) > 0.05 * 1024 * 1024
        reply = transport.post(big.body)
        assert reply.verdict is Verdict.TOO_LARGE, reply
        small = transport.post(requests[0].body)
        assert small.verdict is Verdict.OK, "the channel survives a refused message"
        transport.close()


def test_grpc_to_nothing_is_retried():
    transport = _grpc("http://127.0.0.1:9")  # discard port: nothing listens
    reply = transport.post(b"")
    transport.close()
    assert reply.verdict is Verdict.RETRY and reply.message.startswith("gRPC UNAVAILABLE")


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_json_delivers_to_the_sink_whole_and_reads_partial_success(requests, compression):
    for sink in _sink():
        transport = OtlpJsonTransport(sink.url, {}, compression, timeout=10)
        replies = [transport.post(transport.wire(r.body)) for r in requests]
        transport.close()
        assert [r.verdict for r in replies] == [Verdict.OK] * 3
        stats = sink.stats()
        assert stats["traces_complete"] == 3 and stats["spans_received"] == sum(r.spans for r in requests)
    for sink in _sink("--partial-rate 1"):
        transport = OtlpJsonTransport(sink.url, {}, compression, timeout=10)
        reply = transport.post(transport.wire(requests[0].body))
        transport.close()
        assert reply.verdict is Verdict.OK and reply.rejected == requests[0].spans


# -- TLS ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert PEM path, key PEM path)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        _self_signed(cert, key)
    except ImportError:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                str(key),
                "-out",
                str(cert),
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
            ],
            check=True,
            capture_output=True,
        )
    return str(cert), str(key)


def _self_signed(cert: Path, key: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def tls_stats(sink: EmbeddedSink, ca_file: str) -> dict:
    context = ssl.create_default_context(cafile=ca_file)
    base = sink.url.rsplit("/v1/traces", 1)[0]
    with urllib.request.urlopen(f"{base}/stats", timeout=10, context=context) as response:
        return json.load(response)


def test_https_and_grpc_over_tls_with_the_ca_file(requests, certificate):
    cert, key = certificate
    for sink in _sink(f"--tls-cert {cert} --tls-key {key}", "grpc"):
        assert sink.url.startswith("https://") and sink.grpc_url.startswith("https://")
        transports = (
            OtlpHttpTransport(sink.url, {}, "gzip", 10, ca_file=cert),
            OtlpJsonTransport(sink.url, {}, "none", 10, ca_file=cert),
            _grpc(sink.grpc_url, ca_file=cert),
        )
        for transport, request in zip(transports, requests, strict=True):  # a distinct trace over each
            reply = transport.post(transport.wire(request.body))
            transport.close()
            assert reply.verdict is Verdict.OK, (type(transport).__name__, reply)
        assert tls_stats(sink, cert)["traces_complete"] == 3


def test_an_untrusted_certificate_is_not_delivered(requests, certificate):
    cert, key = certificate
    for sink in _sink(f"--tls-cert {cert} --tls-key {key}", "grpc"):
        http = OtlpHttpTransport(sink.url, {}, "none", 10)  # the system's trust store: self-signed is unknown
        grpc_transport = _grpc(sink.grpc_url)
        replies = [t.post(requests[0].body) for t in (http, grpc_transport)]
        http.close()
        grpc_transport.close()
        assert all(r.verdict is not Verdict.OK for r in replies), replies
        assert tls_stats(sink, cert)["traces_received"] == 0
