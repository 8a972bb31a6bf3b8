"""Accounting: outcomes add up, tickets settle traces by SPEC §5's precedence, deltas merge exactly."""

from __future__ import annotations

from otel_locust.export.accounting import TraceStats, TraceTicket, median
from otel_locust.plugin.report import build_summary, format_table, loss, redact_url


def _spans(**counts: int) -> dict[str, int]:
    return {"delivered": 0, "failed": 0, "dropped": 0, "unconfirmed": 0, **counts}


def test_outcomes_add_up_and_merge_across_workers():
    a, b, master = TraceStats(), TraceStats(), TraceStats()
    a.generated("s", 10, 3, 20_000)
    a.finished("s", "delivered", _spans(delivered=10))
    b.generated("s", 40, 5, 150_000)
    b.finished("s", "failed", _spans(delivered=25, failed=15), "refused")  # split trace: second request refused
    b.generated("t", 8, 2, 9_000)
    b.finished("t", "dropped", _spans(dropped=8), "backpressure")
    b.generated("t", 8, 2, 9_000)
    b.finished("t", "unconfirmed", _spans(unconfirmed=8))
    for worker in (a, b):
        master.merge(worker.take())
    assert a.scenarios == {} and b.scenarios == {}, "a delta is sent once"
    total = master.total()
    assert total["traces"] == {"generated": 4, "delivered": 1, "failed": 1, "dropped": 1, "unconfirmed": 1}
    assert total["spans"] == {"generated": 66, "delivered": 35, "failed": 15, "dropped": 8, "unconfirmed": 8}
    assert total["dropped_by_reason"] == {"backpressure": 1} and total["failed_by_reason"] == {"refused": 1}
    assert master.scenarios["s"]["shape"]["spans"] == {"10": 1, "40": 1}


def test_a_ticket_takes_the_worst_outcome_of_its_spans_when_its_last_span_settles():
    stats = TraceStats()
    ticket = TraceTicket(stats, "s", 10)
    assert not ticket.settle("delivered", 4)
    assert not ticket.settle("unconfirmed", 3)
    assert stats.scenarios == {}, "nothing is counted before the last span settles"
    assert ticket.settle("failed", 3, "partial_success")
    entry = stats.scenarios["s"]
    assert entry["traces"]["failed"] == 1 and entry["failed_by_reason"] == {"partial_success": 1}
    assert entry["spans"]["delivered"] == 4 and entry["spans"]["unconfirmed"] == 3 and entry["spans"]["failed"] == 3
    dropped = TraceTicket(stats, "s", 2)
    dropped.settle("failed", 1, "refused")
    dropped.settle("dropped", 1, "stop")
    assert entry["traces"]["dropped"] == 1 and entry["dropped_by_reason"] == {"stop": 1}
    assert entry["dropped_loss"] == 0, "a stop is the generator's truncation, not loss"
    assert not dropped.settle("delivered", 5), "a settled ticket ignores late settlements"


def test_median_of_histograms():
    assert median({"5": 3, "8": 1}) == 5
    assert median({"5": 1, "8": 1}) == 6.5
    assert median({}) is None


def test_summary_table_and_loss():
    stats = TraceStats()
    for _ in range(3):
        stats.generated("simple_query", 6, 3, 18_000)
        stats.request({"simple_query": 18_000}, True)
        stats.finished("simple_query", "delivered", _spans(delivered=6))
    stats.generated("simple_query", 6, 3, 18_000)
    stats.finished("simple_query", "failed", _spans(failed=6), "refused")
    for reason in ("stop", "queue_full"):
        stats.generated("simple_query", 6, 3, 18_000)
        stats.finished("simple_query", "dropped", _spans(dropped=6), reason)
    stats.generated("simple_query", 6, 3, 18_000)
    stats.finished("simple_query", "unconfirmed", _spans(unconfirmed=6))
    sink = {
        "traces_received": 3,
        "traces_complete": 3,
        "spans_received": 18,
        "orphan_spans": 0,
        "scenarios": {"simple_query": {"traces_complete": 3}},
    }
    summary = build_summary(stats, None, sink)
    assert summary["total"]["bytes_sent"] == 54_000 and summary["sink"]["traces_complete"] == 3
    assert loss(summary) == 3 / 7, "failed + dropped (not by stop) + unconfirmed"
    table = format_table(summary)
    assert "simple_query" in table and "Total" in table and "3 verified complete" in table


def test_redact_url_drops_credentials():
    assert redact_url("https://user:pw@host:8443/v1/traces?api_key=sk") == "https://host:8443/v1/traces"
