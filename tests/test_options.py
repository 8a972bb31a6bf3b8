"""Option parsing and validation: each bad input gets one message naming the option."""

from __future__ import annotations

import pytest

from otel_locust.plugin.options import ConfigError, parse_headers, parse_mix, settings_from

from .conftest import options_namespace

_options = options_namespace


def test_defaults_give_the_scenarios_own_weights():
    settings = settings_from(_options())
    assert settings.mix == {
        "delegated_booking": 2,
        "multi_service_complex": 1,
        "simple_query": 4,
        "single_service_search": 3,
    }
    assert settings.platform.name == "sink" and settings.endpoint == ""


def test_tier_turns_and_error_rate_are_parsed():
    settings = settings_from(_options(otel_payload=" Production ", otel_turns="3", otel_error_rate="0.1"))
    assert settings.tier.name == "production" and settings.turns == (3, 3) and settings.error_rate == 0.1
    assert "itinerary_replanning" in settings.mix
    assert settings_from(_options()).turns == (1, 5)


def test_otlp_defaults_to_the_standard_endpoint():
    assert settings_from(_options(otel_platform="otlp")).endpoint == "http://localhost:4318/v1/traces"


def test_mix_weights_are_scaled_to_integers(scenarios):
    assert parse_mix("simple_query=0.5,delegated_booking=1.5", scenarios) == {"simple_query": 1, "delegated_booking": 3}
    assert parse_mix("simple_query", scenarios) == {"simple_query": 1}


def test_headers_are_parsed_and_url_decoded():
    assert parse_headers("Authorization=Bearer%20abc, x-team = core") == {
        "Authorization": "Bearer abc",
        "x-team": "core",
    }


@pytest.mark.parametrize(
    ("overrides", "option", "fragment"),
    [
        ({"otel_platform": "datadog"}, "--otel-platform", "unknown platform"),
        ({"otel_mix": "nope=1"}, "--otel-mix", "unknown scenario 'nope'"),
        ({"otel_mix": "simple_query=abc"}, "--otel-mix", "is not a number"),
        ({"otel_mix": "simple_query=0"}, "--otel-mix", "must be positive"),
        ({"otel_mix": "simple_query=-2"}, "--otel-mix", "at least"),
        ({"otel_mix": "simple_query=1,simple_query=2"}, "--otel-mix", "listed twice"),
        ({"otel_mix": " , "}, "--otel-mix", "no scenario"),
        ({"otel_platform": "otlp", "otel_endpoint": "ftp://x/v1/traces"}, "--otel-endpoint", "not an http(s) URL"),
        ({"otel_platform": "otlp", "otel_endpoint": "localhost:4318"}, "--otel-endpoint", "not an http(s) URL"),
        ({"otel_platform": "otlp", "otel_endpoint": "http://h:99999/v1/traces"}, "--otel-endpoint", "invalid port"),
        ({"otel_headers": "novalue"}, "--otel-headers", "entry 1"),
        ({"otel_headers": "a=1,bad name=2"}, "--otel-headers", "entry 2"),
        ({"otel_seed": "x"}, "--otel-seed", "not an integer"),
        ({"otel_pace": -1}, "--otel-pace", "at least 0"),
        ({"otel_pace": "nan"}, "--otel-pace", "finite"),
        ({"otel_timeout": 0}, "--otel-timeout", "at least"),
        ({"otel_max_loss": 2}, "--otel-max-loss", "at most 1"),
        ({"otel_compression": "zstd"}, "--otel-compression", "not one of"),
        ({"otel_scenarios": "/nonexistent"}, "--otel-scenarios", "cannot load"),
        ({"otel_readback": True, "otel_readback_sample": 2}, "--otel-readback-sample", "fraction in (0, 1]"),
        ({"otel_readback_sample": 0}, "--otel-readback-sample", "fraction in (0, 1]"),
        ({"otel_readback_timeout": -1}, "--otel-readback-timeout", "at least"),
        ({"otel_readback": True, "otel_platform": "console"}, "--otel-readback", "no read API"),
        ({"otel_readback": True, "otel_platform": "otlp"}, "--otel-readback", "--otel-readback-url"),
        ({"otel_readback_url": "jaeger:16686"}, "--otel-readback-url", "not an http(s) URL"),
        ({"otel_payload": "huge"}, "--otel-payload", "unknown tier 'huge'"),
        ({"otel_rate": -1}, "--otel-rate", "at least 0"),
        ({"otel_rate": "abc"}, "--otel-rate", "not a number"),
        ({"otel_delivery": "nope"}, "--otel-delivery", "not one of trace, batch"),
        ({"otel_bsp_max_queue_size": "x"}, "--otel-bsp-max-queue-size", "not an integer"),
        ({"otel_bsp_max_export_batch_size": 4096}, "--otel-bsp-max-export-batch-size", "must not exceed"),
        ({"otel_time_scale": 0}, "--otel-time-scale", "greater than 0"),
        ({"otel_arrival": "burst"}, "--otel-arrival", "not one of poisson, uniform"),
        ({"otel_max_in_flight": -2}, "--otel-max-in-flight", "at least 0"),
        ({"otel_turns": "5-2"}, "--otel-turns", "MIN 5 is larger than MAX 2"),
        ({"otel_turns": "0-3"}, "--otel-turns", "at least 1"),
        ({"otel_turns": "a-b"}, "--otel-turns", "not an integer"),
        ({"otel_error_rate": 2}, "--otel-error-rate", "at most 1"),
        ({"otel_think_seconds": -1}, "--otel-think-seconds", "at least 0"),
    ],
)
def test_bad_input_names_the_option(overrides, option, fragment):
    with pytest.raises(ConfigError) as info:
        settings_from(_options(**overrides))
    message = str(info.value)
    assert message.startswith(option + ":") and fragment in message and "\n" not in message


def test_header_errors_never_echo_the_value():
    with pytest.raises(ConfigError) as info:
        parse_headers("Authorization=Bearer sk-se%0Acret")
    assert "sk-se" not in str(info.value) and "cret" not in str(info.value)
