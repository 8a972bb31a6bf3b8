"""Command-line options (each also ``LOCUST_OTEL_*`` and ``locust.conf``) and their validation.

Locust converts values typed in the web UI by the type of the current value, not by argparse ``type=``, and
forwards the master's values to workers only when a test starts. So every option has a typed, non-None
default, and :func:`settings_from` re-validates everything wherever a test starts (master and workers).
Secrets are never in the web UI form: Locust ships form defaults in the page source, secret or not.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import urllib.parse
from dataclasses import dataclass, field
from math import gcd
from typing import Any, TypeVar

from otel_locust.encoding.dialects import DIALECTS
from otel_locust.encoding.profiles import FRAMEWORKS
from otel_locust.engine.pack import Pack, PackError, load_pack
from otel_locust.engine.scenario import Scenario
from otel_locust.engine.tiers import TIERS, Tier
from otel_locust.export.batch import LOG_BATCH_DEFAULTS, BatchSettings
from otel_locust.export.readback import default_sample
from otel_locust.platforms import MB, PLATFORMS, Platform, PresetError

PROTOCOLS = ("http/protobuf", "http/json", "grpc")  # as OTEL_EXPORTER_OTLP_PROTOCOL
JSON_EXPANSION = 1.4  #: OTLP/JSON body size over the protobuf's, at most (with room to spare)
DEFAULT_IN_FLIGHT = {"trace": 256, "batch": 10_000}  # exports in flight / traces unfolding, per process
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_N = TypeVar("_N", int, float)  # what _number parses: an int option stays an int


class ConfigError(ValueError):
    """A bad option value; the message names the option and what is wrong, never a secret value."""


def add_arguments(parser: Any) -> None:
    """Register the options on Locust's parser (``init_command_line_parser``)."""

    def opt(name: str, default: Any, help_text: str, *, ui: bool = True, secret: bool = False, **kw: Any) -> None:
        env = "LOCUST_" + name.lstrip("-").replace("-", "_").upper()
        parser.add_argument(
            name, default=default, help=help_text, env_var=env, include_in_web_ui=ui, is_secret=secret, **kw
        )

    opt("--otel-platform", "sink", "where traces go", choices=sorted(PLATFORMS))
    opt("--otel-endpoint", "", "OTLP/HTTP traces URL, or for gRPC scheme://host:port; default depends on the platform")
    opt(
        "--otel-protocol",
        "http/protobuf",
        "OTLP protocol, as OTEL_EXPORTER_OTLP_PROTOCOL",
        choices=list(PROTOCOLS),
        ui=False,
    )  # not in the form: the embedded sink's listeners are chosen at start
    opt(
        "--otel-certificate",
        "",
        "CA certificate (PEM file) trusted for https endpoints, as "
        "OTEL_EXPORTER_OTLP_CERTIFICATE; default: the system's",
        ui=False,
    )
    opt(
        "--otel-insecure",
        False,
        "gRPC: plaintext to an endpoint given as host:port without a scheme, as "
        "OTEL_EXPORTER_OTLP_INSECURE (default: TLS)",
        ui=False,
        action="store_true",
    )
    opt("--otel-headers", "", "extra request headers, k=v,k2=v2 (values may be URL-encoded)", ui=False, secret=True)
    opt(
        "--otel-api-key",
        "",
        "API key for the platform preset (Langfuse: public:secret); also read from the "
        "platform's own variables such as BRAINTRUST_API_KEY",
        ui=False,
        secret=True,
    )
    opt(
        "--otel-project",
        "",
        "project: Braintrust project (x-bt-parent), LangSmith project, Phoenix project, MLflow experiment id",
    )
    opt(
        "--otel-dialects",
        "",
        "attribute dialects on top of the GenAI conventions, e.g. genai,openinference; default: the platform's",
    )
    opt(
        "--otel-max-request-mb",
        0.0,
        "split traces into requests of at most this many MB; 0: the platform's limit",
        type=float,
    )
    opt(
        "--otel-mix",
        "",
        "scenario weights, e.g. simple_query=40,delegated_booking=20; default: each scenario's own weight",
    )
    opt("--otel-seed", -1, "seed for reproducible trace content; -1 for a random seed", type=int)
    opt("--otel-pace", 1.0, "seconds between the starts of one user's traces; 0 = back to back", type=float)
    opt(
        "--otel-rate",
        0.0,
        "open model: traces started per second in total at the peak user count, whatever the "
        "backend's latency; 0 = closed model (--otel-pace)",
        type=float,
    )
    opt(
        "--otel-arrival",
        "poisson",
        "open model arrivals: poisson (exponential gaps) or uniform",
        choices=["poisson", "uniform"],
    )
    opt(
        "--otel-max-in-flight",
        0,
        "open model bound per process: trace exports in flight (trace delivery, "
        "default 256, also the connection pool) or traces unfolding (batch delivery, "
        "default 10000); a trace that would exceed it is dropped (backpressure); 0: default",
        type=int,
    )
    opt(
        "--otel-delivery",
        "trace",
        "trace: one request per finished trace; batch: spans leave as they end, in "
        "real time, through an SDK-style batch queue",
        choices=["trace", "batch"],
    )
    opt("--otel-time-scale", 1.0, "batch delivery: run the planned timeline this many times faster", type=float)
    for prefix, what, env, defaults in (
        ("bsp", "batch delivery: spans", "OTEL_BSP", BatchSettings()),
        ("blrp", "log records (both deliveries)", "OTEL_BLRP", LOG_BATCH_DEFAULTS),
    ):
        opt(
            f"--otel-{prefix}-max-queue-size",
            defaults.max_queue_size,
            f"{what}: queue size, as {env}_MAX_QUEUE_SIZE",
            type=int,
        )
        opt(
            f"--otel-{prefix}-max-export-batch-size",
            defaults.max_export_batch_size,
            f"{what} per export, as {env}_MAX_EXPORT_BATCH_SIZE",
            type=int,
        )
        opt(
            f"--otel-{prefix}-schedule-delay",
            defaults.schedule_delay_ms,
            f"{what}: ms between exports, as {env}_SCHEDULE_DELAY",
            type=float,
        )
        opt(
            f"--otel-{prefix}-export-timeout",
            defaults.export_timeout_ms,
            f"{what}: ms an export may take, as {env}_EXPORT_TIMEOUT (accepted, and unused as in "
            "opentelemetry-sdk 1.45, whose processors cannot pass it on: --otel-timeout bounds each request)",
            type=float,
        )
    opt("--otel-compression", "none", "request compression", choices=["none", "gzip"])
    opt("--otel-timeout", 10.0, "seconds to wait for the receiver to answer one request", type=float)
    opt(
        "--otel-retry-seconds",
        30.0,
        "retry throttled (429/502/503/504) and refused requests for up to this long; 0: never retry",
        type=float,
    )
    opt("--otel-max-loss", 0.0, "exit with code 3 when (failed + dropped) / generated traces exceed this", type=float)
    opt(
        "--otel-profile-users",
        50,
        "peak users of the ramp and spike profiles (locustfiles/ramp.py, spike.py)",
        type=int,
    )
    opt("--otel-profile-seconds", 300.0, "duration of the ramp and spike profiles", type=float)
    opt("--otel-service-name", "travel-agent", "service.name of the generated traces")
    opt("--otel-summary", "", "write the end-of-run JSON summary to this path", ui=False)
    opt(
        "--otel-sink-port",
        4318,
        "distributed runs with the embedded sink: the port it listens on, on the "
        "master's --master-bind-host, so workers on other hosts reach it (0: any free "
        "port); local runs use a free port on 127.0.0.1",
        type=int,
        ui=False,
    )
    opt(
        "--otel-sink-args",
        "",
        "more otel-locust-sink options for the embedded sink, e.g. fault injection: "
        "'--fail-rate 0.1 --fail-status 503 --retry-after 1'",
        ui=False,
    )
    opt(
        "--otel-framework",
        "semconv",
        "send what this agent framework's instrumentation sends (span names, "
        "nesting, keys, content placement); semconv: the OTel GenAI conventions",
        choices=list(FRAMEWORKS),
    )
    opt(
        "--otel-logs-endpoint",
        "",
        "OTLP/HTTP logs URL for profiles that send log records (google-adk); "
        "default: the traces endpoint with /v1/traces replaced by /v1/logs",
    )
    opt(
        "--otel-readback",
        False,
        "after each trace is accepted, poll the platform's read API until it is visible "
        "and complete (or the read-back timeout); see README 'Read-back'",
        action="store_true",
    )
    opt(
        "--otel-readback-sample",
        -1.0,
        "fraction of accepted traces read back; -1: 1.0 on sink/otlp/phoenix/mlflow, 0.05 on cloud presets",
        type=float,
    )
    opt(
        "--otel-readback-timeout",
        120.0,
        "seconds after acceptance a trace may take to become visible and complete",
        type=float,
    )
    opt(
        "--otel-readback-url",
        "",
        "read API base URL: required for otlp (Jaeger or Tempo query URL, e.g. "
        "http://localhost:16686); otherwise derived from the endpoint",
    )
    opt(
        "--otel-payload",
        "realistic",
        "payload tier: realistic (SPEC shapes), production (heavy tail: MB traces, "
        "long contexts, a long-running scenario) or stress (limit probes)",
    )
    opt(
        "--otel-turns",
        "1-5",
        "turns per conversation, MIN-MAX (or N); each turn is one trace and carries the history on",
    )
    opt(
        "--otel-think-seconds",
        20.0,
        "median think time between the turns of a conversation (log-normal); "
        "rate mode only, in pace mode the pace decides",
        type=float,
    )
    opt(
        "--otel-error-rate",
        0.03,
        "share of traces with a failure inside (model 429/5xx and retry, tool timeout, "
        "guardrail block, failing sub-agent)",
        type=float,
    )
    opt(
        "--otel-fresh",
        0.02,
        "share of new conversations planned and encoded fresh; the others re-issue a recorded one with new ids, "
        "times, dates and tokens (1: plan every trace fresh)",
        type=float,
    )
    opt(
        "--otel-scenarios", "", "scenario pack: a dotted module path or a directory; default: the travel pack", ui=False
    )


@dataclass(frozen=True)
class Settings:
    """Validated options: everything the plugin needs to run a test."""

    platform: Platform
    endpoint: str
    headers: dict[str, str] = field(repr=False)
    dialects: tuple[str, ...]
    max_request_bytes: int
    mix: dict[str, int]
    pack: Pack = field(repr=False)
    seed: int
    pace: float
    compression: str
    rate: float
    arrival: str
    max_in_flight: int
    delivery: str
    time_scale: float
    batch: BatchSettings
    timeout: float
    retry_seconds: float
    max_loss: float
    service_name: str
    summary_path: str
    framework: str = "semconv"
    logs_endpoint: str = ""
    readback: bool = False
    readback_sample: float = 1.0
    readback_timeout: float = 120.0
    readback_url: str = ""
    tier: Tier = TIERS["realistic"]
    turns: tuple[int, int] = (1, 5)
    think_seconds: float = 20.0
    error_rate: float = 0.03
    fresh: float = 0.02  # share of new conversations planned fresh (the rest re-issue recordings)
    protocol: str = "http/protobuf"
    certificate: str = ""  #: CA file for TLS; empty: the system's trust store
    logs_batch: BatchSettings = LOG_BATCH_DEFAULTS  #: the log record queue (``--otel-blrp-*``)

    @property
    def split_bytes(self) -> int:
        """The protobuf size traces and batches are split at (0: no split): the request limit, less room for
        OTLP/JSON's larger encoding when that is what goes out (measured at 1.08-1.30x the protobuf)."""
        if self.protocol == "http/json":
            return int(self.max_request_bytes / JSON_EXPANSION)
        return self.max_request_bytes

    @property
    def connections(self) -> int:
        """Connections in the process's pool: one per export that may be in flight."""
        return self.max_in_flight if self.delivery == "trace" else 4


def settings_from(options: argparse.Namespace) -> Settings:
    """Validate parsed options; raises :class:`ConfigError` naming the first bad option."""
    platform = _platform(options.otel_platform)
    pack = pack_from(options.otel_scenarios)
    try:
        preset_headers = platform.headers(str(options.otel_api_key), str(options.otel_project))
    except PresetError as exc:
        raise ConfigError(str(exc)) from None
    max_mb = _number("--otel-max-request-mb", options.otel_max_request_mb, float, minimum=0.0)
    tier = parse_tier(getattr(options, "otel_payload", "realistic"))
    protocol = _protocol(getattr(options, "otel_protocol", "http/protobuf"), platform)
    insecure = _flag(getattr(options, "otel_insecure", False))
    return Settings(
        platform=platform,
        endpoint=_endpoint(options.otel_endpoint, platform, getattr(options, "otel_sink_url", ""), protocol, insecure),
        headers={**preset_headers, **parse_headers(options.otel_headers)},
        dialects=parse_dialects(options.otel_dialects, platform),
        max_request_bytes=int(max_mb * MB) if max_mb else platform.max_request_bytes,
        mix=parse_mix(options.otel_mix, pack.scenarios, tier.name),
        pack=pack,
        seed=_number("--otel-seed", options.otel_seed, int, minimum=-1),
        pace=_number("--otel-pace", options.otel_pace, float, minimum=0.0),
        compression=_choice("--otel-compression", options.otel_compression, ("none", "gzip")),
        rate=_number("--otel-rate", options.otel_rate, float, minimum=0.0),
        arrival=_choice("--otel-arrival", options.otel_arrival, ("poisson", "uniform")),
        max_in_flight=_number("--otel-max-in-flight", options.otel_max_in_flight, int, minimum=0)
        or DEFAULT_IN_FLIGHT[_choice("--otel-delivery", options.otel_delivery, ("trace", "batch"))],
        delivery=_choice("--otel-delivery", options.otel_delivery, ("trace", "batch")),
        time_scale=_positive("--otel-time-scale", options.otel_time_scale),
        batch=_batch_settings(options, "bsp"),
        logs_batch=_batch_settings(options, "blrp"),
        timeout=_number("--otel-timeout", options.otel_timeout, float, minimum=0.001),
        retry_seconds=_number("--otel-retry-seconds", options.otel_retry_seconds, float, minimum=0.0),
        max_loss=_number("--otel-max-loss", options.otel_max_loss, float, minimum=0.0, maximum=1.0),
        service_name=str(options.otel_service_name).strip() or "travel-agent",
        summary_path=str(options.otel_summary or ""),
        framework=_choice("--otel-framework", getattr(options, "otel_framework", "semconv"), FRAMEWORKS),
        logs_endpoint=_logs_endpoint(str(getattr(options, "otel_logs_endpoint", "") or "").strip()),
        tier=tier,
        turns=parse_turns(getattr(options, "otel_turns", "1-5")),
        think_seconds=_number("--otel-think-seconds", getattr(options, "otel_think_seconds", 20.0), float, minimum=0.0),
        error_rate=_number(
            "--otel-error-rate", getattr(options, "otel_error_rate", 0.03), float, minimum=0.0, maximum=1.0
        ),
        fresh=_number("--otel-fresh", getattr(options, "otel_fresh", 0.02), float, minimum=0.0, maximum=1.0),
        **_readback(options, platform),
        protocol=protocol,
        certificate=_certificate(getattr(options, "otel_certificate", "")),
    )


def _protocol(value: Any, platform: Platform) -> str:
    """The OTLP protocol; a preset whose platform does not take it refuses it before the test starts."""
    protocol = _choice("--otel-protocol", value, PROTOCOLS)
    if protocol not in platform.protocols:
        raise ConfigError(
            f"--otel-protocol: the {platform.name} platform takes {', '.join(platform.protocols)}, not {protocol}"
        )
    if protocol == "grpc" and platform.transport == "otlp" and importlib.util.find_spec("grpc") is None:
        raise ConfigError("--otel-protocol: grpc needs grpcio; install it with: pip install 'otel-locust[grpc]'")
    return protocol


def _flag(value: Any) -> bool:
    """A store_true option, also as LOCUST_OTEL_* text or a web UI value."""
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")


def _certificate(value: Any) -> str:
    """A readable PEM file, checked before the test starts (a TLS handshake error mid-run says much less)."""
    path = str(value or "").strip()
    if not path:
        return ""
    try:
        with open(os.path.expanduser(path), "rb") as handle:
            pem = handle.read()
    except OSError as exc:
        raise ConfigError(f"--otel-certificate: cannot read {path!r}: {exc.strerror}") from None
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise ConfigError(f"--otel-certificate: {path!r} holds no PEM certificate")
    return os.path.expanduser(path)


def http_url(option: str, url: str, what: str = "an http(s) URL with a host") -> urllib.parse.SplitResult:
    """``url`` split, or a ConfigError naming ``option`` when it is not an http(s) URL with a host and a valid
    port. The URL is shown without user info or query, which may carry secrets."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"{option}: {redact_url(url)!r} is not {what}")
    try:
        parsed.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ConfigError(f"{option}: {redact_url(url)!r} has an invalid port") from None
    return parsed


def _logs_endpoint(value: str) -> str:
    """An explicit logs URL, checked like the traces endpoint (empty: derived from it when logs are sent)."""
    if value:
        http_url("--otel-logs-endpoint", value)
    return value


#: platforms that ingest OTLP logs (``/v1/logs``): our sink, and a generic OTLP receiver (collectors take all
#: signals). Langfuse documents that logs are not accepted; Phoenix, MLflow and LangSmith document trace ingestion
#: only; Braintrust's logs path is unconfirmed (reference/dialects.md); the console prints spans only.
LOG_PLATFORMS = frozenset({"sink", "otlp"})


def ingests_logs(platform: Platform) -> bool:
    return platform.name in LOG_PLATFORMS


def logs_url(traces_url: str, explicit: str = "") -> str:
    """Where log records go: ``explicit``, else the traces URL with its ``/v1/traces`` suffix (or, without
    one, its path) replaced by ``/v1/logs``."""
    if explicit:
        return explicit
    parts = urllib.parse.urlsplit(traces_url)
    path = parts.path
    path = path[: -len("/v1/traces")] + "/v1/logs" if path.endswith("/v1/traces") else "/v1/logs"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _readback(options: argparse.Namespace, platform: Platform) -> dict[str, Any]:
    """The read-back settings; options absent from the namespace (older callers) mean read-back off."""
    enabled = _flag(getattr(options, "otel_readback", False))
    sample = _number("--otel-readback-sample", getattr(options, "otel_readback_sample", -1.0), float)
    if sample == -1:
        sample = default_sample(platform.name)
    elif not 0 < sample <= 1:
        raise ConfigError(
            f"--otel-readback-sample: must be a fraction in (0, 1] (or -1 for the platform's default), got {sample}"
        )
    timeout = _number("--otel-readback-timeout", getattr(options, "otel_readback_timeout", 120.0), float, minimum=0.001)
    url = str(getattr(options, "otel_readback_url", "") or "").strip()
    if url:
        http_url("--otel-readback-url", url)
    if enabled and platform.transport != "otlp":
        raise ConfigError(f"--otel-readback: the {platform.name} platform has no read API to read traces back from")
    if enabled and platform.name == "otlp" and not url:
        raise ConfigError(
            "--otel-readback: the otlp platform needs --otel-readback-url (the Jaeger or Tempo query "
            "URL, e.g. http://localhost:16686 or http://localhost:3200)"
        )
    return {"readback": enabled, "readback_sample": sample, "readback_timeout": timeout, "readback_url": url}


def redact_url(url: str) -> str:
    """A URL as it may be shown (errors, the summary): without user info or query string, either of which may
    carry credentials; what does not parse as a URL loses the same parts by hand."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return url.split("?", 1)[0].rsplit("@", 1)[-1]
    try:
        netloc = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
    except ValueError:  # a malformed port: show the host only
        netloc = parts.hostname
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def parse_tier(value: str) -> Tier:
    """``realistic``, ``production`` or ``stress``."""
    tier = TIERS.get(str(value).strip().lower())
    if tier is None:
        raise ConfigError(f"--otel-payload: unknown tier {str(value)!r}; choose one of {', '.join(TIERS)}")
    return tier


def parse_turns(value: str) -> tuple[int, int]:
    """``MIN-MAX`` (or ``N``) turns per conversation, 1 <= MIN <= MAX <= 1000."""
    text = str(value).strip()
    low, sep, high = text.partition("-")
    bounds = (
        _number("--otel-turns", low, int, minimum=1, maximum=1000, what="MIN"),
        _number("--otel-turns", high if sep else low, int, minimum=1, maximum=1000, what="MAX"),
    )
    if bounds[0] > bounds[1]:
        raise ConfigError(f"--otel-turns: MIN {bounds[0]} is larger than MAX {bounds[1]}; write MIN-MAX, e.g. 1-5")
    return bounds


def _platform(name: str) -> Platform:
    platform = PLATFORMS.get(str(name).strip().lower())
    if platform is None:
        raise ConfigError(f"--otel-platform: unknown platform {name!r}; choose one of {', '.join(sorted(PLATFORMS))}")
    return platform


def pack_from(spec: str) -> Pack:
    """The scenario pack ``spec`` names (empty: the travel pack), or a ConfigError naming --otel-scenarios."""
    try:
        return load_pack(str(spec))
    except PackError as exc:
        raise ConfigError(f"--otel-scenarios: {exc}") from None


def _endpoint(
    value: str, platform: Platform, sink_url: str, protocol: str = "http/protobuf", insecure: bool = False
) -> str:
    default = platform.grpc_endpoint if protocol == "grpc" else platform.endpoint
    url = str(value).strip() or (sink_url if platform.embedded_sink else default)
    if platform.transport != "otlp" or (platform.embedded_sink and not url):
        return url  # console needs none; the sink's URL is known once it has started
    if protocol == "grpc":
        return _grpc_endpoint(url, insecure)
    http_url("--otel-endpoint", url)
    return url


def _grpc_endpoint(url: str, insecure: bool) -> str:
    """``scheme://host:port`` for gRPC; without a scheme TLS is used unless ``--otel-insecure`` (as the OTel
    SDKs do); the scheme, when given, decides."""
    if "://" not in url:
        url = ("http://" if insecure else "https://") + url
    elif insecure and url.lower().startswith("https://"):
        raise ConfigError(
            "--otel-insecure: the endpoint's https:// scheme asks for TLS; give http:// (or no scheme) for plaintext"
        )
    parsed = http_url("--otel-endpoint", url, "a gRPC endpoint scheme://host:port")
    if parsed.path not in ("", "/"):
        raise ConfigError(
            f"--otel-endpoint: a gRPC endpoint has no path (got {parsed.path!r}); give "
            "scheme://host:port, e.g. http://localhost:4317"
        )
    return url


def parse_dialects(value: str, platform: Platform) -> tuple[str, ...]:
    """``genai,openinference``; GenAI conventions are always included, first."""
    names = [n.strip().lower() for n in str(value).split(",") if n.strip()] or list(platform.dialects)
    for name in names:
        if name not in DIALECTS:
            raise ConfigError(f"--otel-dialects: unknown dialect {name!r}; choose from {', '.join(sorted(DIALECTS))}")
    return tuple(dict.fromkeys(["genai", *names]))


def parse_headers(value: str) -> dict[str, str]:
    """``k=v,k2=v2`` as in ``OTEL_EXPORTER_OTLP_HEADERS``; errors name the entry, never its value."""
    headers: dict[str, str] = {}
    for index, entry in enumerate(filter(None, (e.strip() for e in str(value).split(","))), start=1):
        name, sep, raw = entry.partition("=")
        name = name.strip()
        if not sep or not _HEADER_NAME.match(name):
            raise ConfigError(f"--otel-headers: entry {index} is not name=value with a valid header name")
        text = urllib.parse.unquote(raw.strip())
        if any(ch in text for ch in "\r\n\0"):
            raise ConfigError(f"--otel-headers: the value of header {name!r} contains a control character")
        headers[name] = text
    return headers


def parse_mix(value: str, scenarios: dict[str, Scenario], tier: str = "realistic") -> dict[str, int]:
    """``name=weight,...`` into integer weights (scaled and reduced); empty means the scenarios' own weights in
    the payload tier."""
    text = str(value).strip()
    if not text:
        raw = {name: float(s.weight_in(tier)) for name, s in scenarios.items() if s.weight_in(tier) > 0}
    else:
        raw = {}
        for entry in filter(None, (e.strip() for e in text.split(","))):
            name, sep, weight = entry.partition("=")
            name = name.strip()
            if name not in scenarios:
                raise ConfigError(f"--otel-mix: unknown scenario {name!r}; known: {', '.join(sorted(scenarios))}")
            if name in raw:
                raise ConfigError(f"--otel-mix: scenario {name!r} is listed twice")
            raw[name] = _number("--otel-mix", weight if sep else "1", float, minimum=0.0, what=f"weight of {name}")
            if raw[name] <= 0:
                raise ConfigError(f"--otel-mix: weight of {name} must be positive, got {weight.strip()}")
        if not raw:
            raise ConfigError("--otel-mix: no scenario given")
    scaled = {name: max(1, round(w * 1000)) for name, w in raw.items()}
    divisor = 0
    for scale in scaled.values():
        divisor = gcd(divisor, scale)
    return {name: weight // divisor for name, weight in scaled.items()}


def _number(
    option: str, value: Any, kind: type[_N], minimum: float | None = None, maximum: float | None = None, what: str = ""
) -> _N:
    label = what or "value"
    try:
        number = kind(str(value).strip()) if not isinstance(value, kind) else value
    except ValueError:
        raise ConfigError(
            f"{option}: {label} {str(value)!r} is not a{'n integer' if kind is int else ' number'}"
        ) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ConfigError(f"{option}: {label} must be a finite number")
    if minimum is not None and number < minimum:
        raise ConfigError(f"{option}: {label} must be at least {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{option}: {label} must be at most {maximum}, got {number}")
    return number


def _positive(option: str, value: Any) -> float:
    number = _number(option, value, float)
    if number <= 0:
        raise ConfigError(f"{option}: value must be greater than 0, got {number}")
    return float(number)


def _batch_settings(options: argparse.Namespace, prefix: str) -> BatchSettings:
    """A batch processor's settings from ``--otel-{prefix}-*`` (``bsp`` spans, ``blrp`` log records)."""

    def number(name: str, kind: type[_N], minimum: _N) -> _N:
        return _number(
            f"--otel-{prefix}-{name}",
            getattr(options, f"otel_{prefix}_{name.replace('-', '_')}"),
            kind,
            minimum=minimum,
        )

    settings = BatchSettings(
        max_queue_size=number("max-queue-size", int, 1),
        max_export_batch_size=number("max-export-batch-size", int, 1),
        schedule_delay_ms=number("schedule-delay", float, 0.0),
        export_timeout_ms=number("export-timeout", float, 0.0),
    )
    if settings.max_export_batch_size > settings.max_queue_size:
        raise ConfigError(
            f"--otel-{prefix}-max-export-batch-size: must not exceed --otel-{prefix}-max-queue-size "
            f"({settings.max_export_batch_size} > {settings.max_queue_size})"
        )
    return settings


def _choice(option: str, value: Any, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise ConfigError(f"{option}: {value!r} is not one of {', '.join(choices)}")
    return text
