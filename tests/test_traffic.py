"""Traffic models for real: the open model keeps starting traces on schedule and drops (counted) past its
in-flight bound; batch delivery sends spans as they end, mixing traces in SDK-style batches; every trace and span
ends in exactly one outcome, and the sink's account agrees."""

from __future__ import annotations

import csv

import pytest

from .helpers import check_exact, run_locust, summary

pytestmark = pytest.mark.e2e


def _run(tmp_path, *args: str, timeout: float = 180) -> tuple[dict, str]:
    result = run_locust(
        ["--headless", "--otel-summary", "summary.json", "--csv", "run", *args], tmp_path, timeout=timeout
    )
    assert result.returncode in (0, 1, 3), result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    data = summary(tmp_path / "summary.json")
    check_exact(data)
    return data, result.stderr


def _locust_names(tmp_path) -> dict[str, int]:
    with open(tmp_path / "run_stats.csv", encoding="utf-8") as handle:
        return {row["Name"]: int(row["Request Count"]) for row in csv.DictReader(handle) if row["Type"] == "OTLP"}


def test_the_open_model_drops_what_exceeds_the_in_flight_bound_and_says_why(tmp_path):
    data, _ = _run(
        tmp_path,
        "-u",
        "4",
        "-r",
        "4",
        "-t",
        "5s",
        "--otel-rate",
        "20",
        "--otel-max-in-flight",
        "2",
        "--otel-sink-args",
        "--latency-ms 1000",
        "--otel-max-loss",
        "1",
    )
    total = data["total"]
    assert total["traces"]["dropped"] > 0 and set(total["dropped_by_reason"]) == {"backpressure"}
    assert total["traces"]["delivered"] > 0
    assert data["sink"]["traces_complete"] == total["traces"]["delivered"]
    assert data["rate"]["model"] == "open" and data["rate"]["target_per_s"] == 20
    assert data["rate"]["started_per_s"] > data["rate"]["delivered_per_s"], "the backlog is visible"


def test_batch_delivery_mixes_traces_in_sdk_style_batches_and_every_trace_arrives_whole(tmp_path):
    data, _ = _run(
        tmp_path,
        "-u",
        "4",
        "-r",
        "4",
        "-t",
        "6s",
        "--otel-rate",
        "8",
        "--otel-delivery",
        "batch",
        "--otel-time-scale",
        "20",
        "--stop-timeout",
        "30",
        "--otel-bsp-schedule-delay",
        "300",
    )
    total, sink = data["total"], data["sink"]
    assert total["traces"]["delivered"] == total["traces"]["generated"] > 0
    assert sink["traces_complete"] == total["traces"]["delivered"] and sink["orphan_spans"] == 0
    assert sink["spans_received"] == total["spans"]["delivered"]
    names = _locust_names(tmp_path)
    assert names.get("batch", 0) > 0, names
    assert sum(names.values()) < total["traces"]["generated"], "fewer requests than traces: spans were batched"


def test_a_full_batch_queue_drops_spans_and_the_account_stays_exact(tmp_path):
    data, _ = _run(
        tmp_path,
        "-u",
        "4",
        "-r",
        "4",
        "-t",
        "5s",
        "--otel-rate",
        "10",
        "--otel-delivery",
        "batch",
        "--otel-time-scale",
        "50",
        "--stop-timeout",
        "20",
        "--otel-bsp-max-queue-size",
        "8",
        "--otel-bsp-max-export-batch-size",
        "4",
        "--otel-sink-args",
        "--latency-ms 300",
        "--otel-mix",
        "delegated_booking=1",
        "--otel-max-loss",
        "1",
    )
    total, sink = data["total"], data["sink"]
    assert total["spans"]["dropped"] > 0 and "queue_full" in total["dropped_by_reason"]
    assert sink["spans_received"] == total["spans"]["delivered"], "the sink got exactly the spans counted delivered"
    assert sink["traces_complete"] == total["traces"]["delivered"]


def test_stopping_cuts_unfolding_traces_short_without_counting_it_as_loss(tmp_path):
    result_data, stderr = _run(
        tmp_path,
        "-u",
        "2",
        "-r",
        "2",
        "-t",
        "3s",
        "--otel-rate",
        "4",
        "--otel-delivery",
        "batch",
        "--otel-mix",
        "multi_service_complex=1",
        "--stop-timeout",
        "0",
        "--otel-bsp-schedule-delay",
        "200",
    )
    total = result_data["total"]
    assert total["traces"]["dropped"] > 0 and set(total["dropped_by_reason"]) == {"stop"}
    assert total["dropped_loss"] == 0
    assert "had not ended when the test stopped" in stderr
