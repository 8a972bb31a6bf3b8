"""Platform presets: each sends its documented headers and dialect attributes, and its key shows nowhere."""

from __future__ import annotations

import base64
import os

import pytest

from otel_locust.plugin.options import ConfigError, settings_from
from otel_locust.testing.conformance import attributes

from .conftest import options_namespace
from .helpers import Receiver, run_locust

KEY = "sk-planted-3f9c1d2e7a"
CASES = {
    "braintrust": (
        {"BRAINTRUST_API_KEY": KEY},
        ["--otel-project", "loadtests"],
        {"authorization": f"Bearer {KEY}", "x-bt-parent": "project_name:loadtests"},
        {"chat": "braintrust.span_attributes", "execute_tool": "braintrust.input_json"},
    ),
    "langsmith": (
        {"LANGSMITH_API_KEY": KEY},
        ["--otel-project", "agents"],
        {"x-api-key": KEY, "langsmith-project": "agents"},
        {"chat": "langsmith.span.kind", "execute_tool": "langsmith.metadata.session_id"},
    ),
    "langfuse": (
        {"LANGFUSE_PUBLIC_KEY": "pk-lf-1", "LANGFUSE_SECRET_KEY": KEY},
        [],
        {
            "authorization": "Basic " + base64.b64encode(f"pk-lf-1:{KEY}".encode()).decode(),
            "x-langfuse-ingestion-version": "4",
        },
        {"chat": "langfuse.observation.type", "execute_tool": "session.id"},
    ),
    "phoenix": (
        {},
        ["--otel-api-key", KEY, "--otel-project", "p1"],
        {"authorization": f"Bearer {KEY}", "x-project-name": "p1"},
        {"chat": "llm.token_count.prompt", "execute_tool": "openinference.span.kind"},
    ),
    "mlflow": (
        {},
        ["--otel-project", "7"],
        {"x-mlflow-experiment-id": "7"},
        {"invoke_agent": "session.id", "chat": "gen_ai.usage.input_tokens"},
    ),
}


@pytest.mark.e2e
@pytest.mark.parametrize("platform", sorted(CASES))
def test_preset_headers_dialects_and_no_leaked_key(platform, tmp_path):
    env_vars, args, headers, dialect_keys = CASES[platform]
    receiver = Receiver()
    result = run_locust(
        [
            "--headless",
            "-u",
            "1",
            "-r",
            "1",
            "-t",
            "2s",
            "--otel-pace",
            "0.5",
            "--otel-platform",
            platform,
            "--otel-endpoint",
            receiver.url,
            "--otel-summary",
            "s.json",
            "--csv",
            "stats",
            "--html",
            "report.html",
            *args,
        ],
        tmp_path,
        env={**os.environ, **env_vars},
    )
    receiver.shutdown()
    assert result.returncode == 0, result.stderr[-2000:]
    assert receiver.headers_seen, "traffic reached the receiver"
    sent = {k.lower(): v for k, v in receiver.headers_seen[0].items()}
    for name, value in headers.items():
        assert sent.get(name) == value, (name, sent.get(name))
    spans = [s for spans in receiver.traces().values() for s in spans]
    for operation, key in dialect_keys.items():
        assert any(s.name.startswith(operation) and key in attributes(s) for s in spans), (operation, key)
    outputs = [result.stdout, result.stderr] + [
        p.read_text(errors="replace") for p in tmp_path.iterdir() if p.is_file()
    ]
    assert not any(KEY in text for text in outputs), "the API key must not appear in any output or report"


_options = options_namespace


@pytest.mark.parametrize("platform", ["braintrust", "langsmith", "langfuse"])
def test_presets_that_need_a_key_refuse_to_start_without_one(platform, monkeypatch):
    for name in (
        "BRAINTRUST_API_KEY",
        "LANGSMITH_API_KEY",
        "LANGCHAIN_API_KEY",
        "LANGFUSE_PUBLIC_KEY",
        "LANGFUSE_SECRET_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match=r"^--otel-api-key: the \w+ platform needs an API key"):
        settings_from(_options(otel_platform=platform))


def test_preset_defaults_limits_and_dialects():
    braintrust = settings_from(_options(otel_platform="braintrust", otel_api_key="k"))
    assert braintrust.endpoint == "https://api.braintrust.dev/otel/v1/traces"
    assert braintrust.max_request_bytes == 10_000_000 and braintrust.dialects == ("genai", "braintrust")
    langfuse = settings_from(_options(otel_platform="langfuse", otel_api_key="pk:sk"))
    assert langfuse.max_request_bytes == 5_000_000
    # a collector's default max_request_body_size (20 MiB); --otel-max-request-mb lifts it for a larger one
    assert settings_from(_options(otel_platform="otlp")).max_request_bytes == 20 * 1024 * 1024
    assert settings_from(_options(otel_platform="otlp", otel_max_request_mb="64")).max_request_bytes == 64_000_000
    assert settings_from(_options(otel_platform="sink")).max_request_bytes == 0
    # OTLP/JSON bodies are larger than the protobuf the split measures: the split leaves room for them
    json = settings_from(_options(otel_platform="braintrust", otel_api_key="k", otel_protocol="http/json"))
    assert json.max_request_bytes == 10_000_000 and json.split_bytes == int(10_000_000 / 1.4)
    assert braintrust.split_bytes == braintrust.max_request_bytes
    phoenix = settings_from(_options(otel_platform="phoenix", otel_dialects="openinference,langfuse"))
    assert phoenix.dialects == ("genai", "openinference", "langfuse") and phoenix.headers == {}
    mlflow = settings_from(_options(otel_platform="mlflow"))
    assert mlflow.headers == {"x-mlflow-experiment-id": "0"} and mlflow.endpoint == "http://localhost:5000/v1/traces"
    assert settings_from(
        _options(
            otel_platform="langsmith",
            otel_api_key="k",
            otel_endpoint="https://eu.api.smith.langchain.com/otel/v1/traces",
        )
    ).endpoint.startswith("https://eu.")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"otel_platform": "langfuse", "otel_api_key": "no-colon"}, "--otel-api-key: Langfuse needs"),
        ({"otel_platform": "mlflow", "otel_project": "abc"}, "--otel-project: MLflow needs a numeric"),
        ({"otel_dialects": "genai,klingon"}, "--otel-dialects: unknown dialect 'klingon'"),
        ({"otel_max_request_mb": "-1"}, "--otel-max-request-mb:"),
    ],
)
def test_preset_settings_are_validated(overrides, message):
    with pytest.raises(ConfigError) as info:
        settings_from(_options(**overrides))
    assert str(info.value).startswith(message)
    assert "no-colon" not in str(info.value)
