"""End-of-run report: the ``--otel-summary`` JSON and the table printed after a run."""

from __future__ import annotations

import urllib.parse
from typing import Any

from otel_locust.options import Settings
from otel_locust.stats import TraceStats, median

SINK_KEYS = ("traces_received", "traces_complete", "spans_received", "orphan_spans", "traces_broken",
             "traces_pending", "requests", "bytes_received", "rejected_requests", "injected_failures",
             "injected_resets", "injected_partial")


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    """A stats entry with shape histograms replaced by their medians."""
    out = {k: v for k, v in entry.items() if k != "shape"}
    out["median"] = {name: median(hist) for name, hist in entry["shape"].items()}
    return out


def redact_url(url: str) -> str:
    """A URL without user info or query string (either may carry credentials)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def build_summary(stats: TraceStats, settings: Settings | None, sink: dict[str, Any] | None) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "total": _public(stats.total()),
        "scenarios": {name: _public(entry) for name, entry in sorted(stats.scenarios.items())},
    }
    if sink is not None:
        summary["sink"] = {key: sink.get(key, 0) for key in SINK_KEYS}
        summary["sink"]["scenarios"] = sink.get("scenarios", {})
    if settings is not None:
        summary["settings"] = {"platform": settings.platform.name, "endpoint": redact_url(settings.endpoint),
                               "mix": settings.mix, "seed": settings.seed, "pace": settings.pace,
                               "compression": settings.compression, "dialects": list(settings.dialects),
                               "max_request_bytes": settings.max_request_bytes,
                               "header_names": sorted(settings.headers)}
    return summary


def loss(summary: dict[str, Any]) -> float:
    """(failed + dropped) / generated traces, 0 when nothing was generated."""
    traces = summary["total"]["traces"]
    return (traces["failed"] + traces["dropped"]) / traces["generated"] if traces["generated"] else 0.0


def format_table(summary: dict[str, Any]) -> str:
    """A fixed-width table, one row per scenario plus the total."""
    sink = summary.get("sink")
    header = (f"{'scenario':<24}{'traces':>8}{'spans':>9}{'MB':>9}{'delivered':>10}{'failed':>8}{'dropped':>8}"
              f"{'retries':>8}{'med spans':>10}{'med depth':>10}{'med KB':>8}" + (f"{'verified':>10}" if sink else ""))
    rows = [header, "-" * len(header)]
    verified = (sink or {}).get("scenarios", {})
    for name, entry in [*summary["scenarios"].items(), ("TOTAL", summary["total"])]:
        traces, med = entry["traces"], entry["median"]
        row = (f"{name:<24}{traces['generated']:>8}{entry['spans']['generated']:>9}{entry['bytes_sent'] / 1e6:>9.1f}"
               f"{traces['delivered']:>10}{traces['failed']:>8}{traces['dropped']:>8}{entry['retries']:>8}"
               f"{_num(med['spans']):>10}{_num(med['depth']):>10}{_num(med['kb']):>8}")
        if sink:
            done = sink["traces_complete"] if name == "TOTAL" else verified.get(name, {}).get("traces_complete", 0)
            row += f"{done:>10}"
        rows.append(row)
    if sink:
        rows.append(f"sink: {sink['traces_received']} traces received, {sink['traces_complete']} verified complete, "
                    f"{sink['spans_received']} spans, {sink['orphan_spans']} orphan spans, "
                    f"{sink['traces_broken']} broken, {sink['traces_pending']} incomplete")
    return "\n".join(rows)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
