"""Accounting: outcomes add up, deltas merge exactly, medians come from histograms."""

from __future__ import annotations

from otel_locust.report import build_summary, format_table, loss, redact_url
from otel_locust.stats import TraceStats, median


def test_outcomes_add_up_and_merge_across_workers():
    a, b, master = TraceStats(), TraceStats(), TraceStats()
    a.generated("s", 10, 3, 20_000)
    a.finished("s", "delivered", 10, 0, 0)
    b.generated("s", 40, 5, 150_000)
    b.finished("s", "failed", 25, 15, 0)  # split trace: first request ok, second rejected
    b.generated("t", 8, 2, 9_000)
    b.finished("t", "dropped", 0, 0, 8)
    for worker in (a, b):
        master.merge(worker.take())
    assert a.scenarios == {} and b.scenarios == {}, "a delta is sent once"
    total = master.total()
    assert total["traces"] == {"generated": 3, "delivered": 1, "failed": 1, "dropped": 1}
    assert total["spans"] == {"generated": 58, "delivered": 35, "failed": 15, "dropped": 8}
    assert master.scenarios["s"]["shape"]["spans"] == {"10": 1, "40": 1}


def test_median_of_histograms():
    assert median({"5": 3, "8": 1}) == 5
    assert median({"5": 1, "8": 1}) == 6.5
    assert median({}) is None


def test_summary_table_and_loss():
    stats = TraceStats()
    for _ in range(3):
        stats.generated("simple_query", 6, 3, 18_000)
        stats.request("simple_query", 18_000, True)
        stats.finished("simple_query", "delivered", 6, 0, 0)
    stats.generated("simple_query", 6, 3, 18_000)
    stats.finished("simple_query", "failed", 0, 6, 0)
    sink = {"traces_received": 3, "traces_complete": 3, "spans_received": 18, "orphan_spans": 0,
            "scenarios": {"simple_query": {"traces_complete": 3}}}
    summary = build_summary(stats, None, sink)
    assert summary["total"]["bytes_sent"] == 54_000 and summary["sink"]["traces_complete"] == 3
    assert loss(summary) == 0.25
    table = format_table(summary)
    assert "simple_query" in table and "TOTAL" in table and "3 verified complete" in table


def test_redact_url_drops_credentials():
    assert redact_url("https://user:pw@host:8443/v1/traces?api_key=sk") == "https://host:8443/v1/traces"
