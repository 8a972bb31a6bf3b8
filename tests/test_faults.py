"""The fault matrix: a failing, throttling, vanishing or slow receiver; every trace ends accounted for.

Each case runs a real headless Locust against the embedded sink with injected faults and checks the summary's
account against what the sink stored: delivered traces are exactly the traces the sink verified complete.
"""

from __future__ import annotations

import pytest

from .backends import free_port
from .helpers import OUTCOMES, run_locust, summary

pytestmark = pytest.mark.e2e


def _run(tmp_path, sink_args: str, *extra: str, seconds: int = 6, minimum: int = 20) -> tuple[dict, str]:
    result = run_locust(
        [
            "--headless",
            "-u",
            "4",
            "-r",
            "4",
            "-t",
            f"{seconds}s",
            "--otel-pace",
            "0.2",
            "--otel-mix",
            "simple_query=2,single_service_search=1",
            "--otel-max-loss",
            "1",
            "--otel-sink-args",
            sink_args,
            "--otel-summary",
            "summary.json",
            *extra,
        ],
        tmp_path,
        timeout=180,
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    data = summary(tmp_path / "summary.json")
    traces, spans, sink = data["total"]["traces"], data["total"]["spans"], data["sink"]
    assert traces["generated"] == sum(traces[k] for k in OUTCOMES) > minimum
    assert spans["generated"] == sum(spans[k] for k in OUTCOMES)
    assert sink["traces_complete"] == traces["delivered"], "the account agrees with what the receiver stored"
    assert sink["spans_received"] == spans["delivered"] and sink["orphan_spans"] == 0
    return data, result.stderr


@pytest.mark.parametrize("status", ["503", "429"])
def test_throttling_with_retry_after_is_retried_until_delivered(tmp_path, status):
    data, _ = _run(tmp_path, f"--fail-rate 0.3 --fail-status {status} --retry-after 0.1")
    total = data["total"]
    assert total["traces"]["failed"] == total["traces"]["dropped"] == 0
    assert total["retries"] >= 0.15 * total["requests"], "about 30% of first attempts were refused and retried"
    assert data["sink"]["injected_failures"] == total["retries"]


def test_permanent_errors_fail_without_retries(tmp_path):
    data, stderr = _run(tmp_path, "--fail-rate 0.25 --fail-status 400")
    total = data["total"]
    assert total["retries"] == 0
    assert 0.1 <= total["traces"]["failed"] / total["traces"]["generated"] <= 0.4
    assert "HTTP 400: injected fault" in stderr, "failed exports are Locust failures with the status"


def test_an_outage_window_recovers_with_nothing_unaccounted(tmp_path):
    data, _ = _run(tmp_path, "--outage 1-3", seconds=8)
    total = data["total"]
    assert data["sink"]["injected_failures"] > 0 and total["retries"] > 0
    assert total["traces"]["failed"] == 0 and total["traces"]["dropped"] == 0


def test_connection_resets_are_retried(tmp_path):
    data, _ = _run(tmp_path, "--reset-rate 0.2")
    total = data["total"]
    assert data["sink"]["injected_resets"] > 0 and total["retries"] >= data["sink"]["injected_resets"]
    assert total["traces"]["failed"] == 0


def test_partial_success_rejections_count_as_failed_spans(tmp_path):
    data, stderr = _run(tmp_path, "--partial-rate 0.2")
    total = data["total"]
    assert total["traces"]["failed"] == data["sink"]["injected_partial"] > 0
    assert total["spans"]["failed"] > 0 and "partial success" in stderr


def test_a_slow_receiver_stalls_nothing_in_a_distributed_run(tmp_path):
    data, stderr = _run(
        tmp_path,
        "--latency-ms 2500",
        "--processes",
        "2",
        "--otel-sink-port",
        str(free_port()),
        "--otel-timeout",
        "10",
        seconds=10,
        minimum=8,
    )
    assert "missing" not in stderr.lower(), "no worker was marked missing"
    assert data["total"]["traces"]["failed"] == 0


def test_a_413_splits_the_request_until_it_fits(tmp_path):
    data, stderr = _run(tmp_path, "--max-body-mb 0.1", "--otel-mix", "multi_service_complex=1", minimum=5)
    total = data["total"]
    assert total["traces"]["failed"] == 0, "every trace arrived, in smaller requests"
    assert total["requests"] > 3 * total["traces"]["generated"]
    assert "HTTP 413: request of" in stderr and "resent in two halves" in stderr
