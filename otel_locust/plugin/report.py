"""End-of-run report: the ``--otel-summary`` JSON and the table printed after a run."""

from __future__ import annotations

import csv
import html
import io
from typing import Any

from otel_locust.export.accounting import OUTCOMES, TraceStats, median
from otel_locust.plugin.options import Settings, redact_url

SINK_KEYS = (
    "traces_received",
    "traces_complete",
    "spans_received",
    "orphan_spans",
    "traces_broken",
    "traces_pending",
    "requests",
    "bytes_received",
    "rejected_requests",
    "injected_failures",
    "injected_resets",
    "injected_partial",
    "traces_evicted",
    "traces_whole",
    "traces_reassembled",
    "traces_child_first",
    "traces_root_last",
    "traces_child_first_pending",
    "records_evicted",
    "spans_after_settled",
)


def mean(hist: dict[str, int]) -> float | None:
    count = sum(hist.values())
    return sum(float(k) * n for k, n in hist.items()) / count if count else None


# the columns of the Traces tab, the CSV and the HTML report: (key, title)
COLUMNS = (
    ("scenario", "Scenario"),
    ("generated", "Traces"),
    ("delivered", "Delivered"),
    ("failed", "Failed"),
    ("dropped", "Dropped"),
    ("unconfirmed", "Unconfirmed"),
    ("spans", "Spans"),
    ("mb", "MB sent"),
    ("traces_per_s", "Traces/s"),
    ("spans_per_s", "Spans/s"),
    ("mb_per_s", "MB/s"),
    ("avg_spans", "Avg spans"),
    ("avg_depth", "Avg depth"),
    ("avg_kb", "Avg KB"),
    ("retries", "Retries"),
    ("verified", "Sink verified"),
)


def trace_rows(
    stats: TraceStats, rates: dict[str, tuple[float, float, float]] | None = None, sink: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One row per scenario and a Total row, with the COLUMNS keys; ``rates`` are (traces, spans, MB) per s."""
    rates = rates or {}
    verified = (sink or {}).get("scenarios", {})
    entries = [*sorted(stats.scenarios.items()), ("Total", stats.total())]
    rows = []
    for name, entry in entries:
        traces, shape = entry["traces"], entry["shape"]
        rate = rates.get(name, (0.0, 0.0, 0.0))
        done = (
            (sink or {}).get("traces_complete", "")
            if name == "Total"
            else verified.get(name, {}).get("traces_complete", "" if sink is None else 0)
        )
        rows.append(
            {
                "scenario": name,
                **{k: traces.get(k, 0) for k in OUTCOMES},
                "spans": entry["spans"]["generated"],
                "mb": round(entry["bytes_sent"] / 1e6, 2),
                "traces_per_s": round(rate[0], 1),
                "spans_per_s": round(rate[1]),
                "mb_per_s": round(rate[2], 2),
                "avg_spans": _round(mean(shape["spans"])),
                "avg_depth": _round(mean(shape["depth"])),
                "avg_kb": _round(mean(shape["kb"])),
                "retries": entry["retries"],
                "verified": done,
            }
        )
    return rows


def _round(value: float | None) -> float | str:
    return "" if value is None else round(value, 1)


def rows_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in COLUMNS])
    writer.writerows([[row[key] for key, _ in COLUMNS] for row in rows])
    return out.getvalue()


def rows_html(rows: list[dict[str, Any]]) -> str:
    """A self-contained section for Locust's HTML report."""
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row[key]))}</td>" for key, _ in COLUMNS) + "</tr>" for row in rows
    )
    style = "font-family:sans-serif;margin:24px;border-collapse:collapse;font-size:14px"
    return (
        f'<section id="otel-locust-traces" style="{style}"><h2>Traces (otel-locust)</h2>'
        f'<table border="1" cellpadding="4" style="border-collapse:collapse"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></section>"
    )


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    """A stats entry with shape histograms replaced by their medians."""
    out = {k: v for k, v in entry.items() if k != "shape"}
    out["median"] = {name: median(hist) for name, hist in entry["shape"].items()}
    return out


def build_summary(stats: TraceStats, settings: Settings | None, sink: dict[str, Any] | None) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "total": _public(stats.total()),
        "scenarios": {name: _public(entry) for name, entry in sorted(stats.scenarios.items())},
    }
    if sink is not None:
        summary["sink"] = {key: sink.get(key, 0) for key in SINK_KEYS}
        summary["sink"]["scenarios"] = sink.get("scenarios", {})
        if sink.get("logs", {}).get("requests"):
            summary["sink"]["logs"] = sink["logs"]
    if stats.logs["records"]["generated"]:
        summary["logs"] = stats.logs  # log records' own account (same outcomes); never part of a trace's outcome
    if settings is not None:
        summary["settings"] = {
            "platform": settings.platform.name,
            "endpoint": redact_url(settings.endpoint),
            "mix": settings.mix,
            "seed": settings.seed,
            "pace": settings.pace,
            "compression": settings.compression,
            "dialects": list(settings.dialects),
            "max_request_bytes": settings.max_request_bytes,
            "header_names": sorted(settings.headers),
        }
    return summary


def loss(summary: dict[str, Any]) -> float:
    """(failed + dropped + unconfirmed) / generated traces, 0 when nothing was generated.

    Traces dropped because the test stopped (reason ``stop``) are the generator's own truncation, not loss.
    When read-back ran, its verdict decides: unconfirmed traces it found stored are not lost, delivered ones it
    found missing or incomplete are (estimated from the sample; see ``backend.loss``).
    """
    verdict = summary.get("backend", {}).get("loss")
    if verdict is not None:
        return verdict["estimate"]
    total = summary["total"]
    traces = total["traces"]
    lost = traces["failed"] + total.get("dropped_loss", traces["dropped"]) + traces.get("unconfirmed", 0)
    return lost / traces["generated"] if traces["generated"] else 0.0


def format_table(summary: dict[str, Any]) -> str:
    """A fixed-width table, one row per scenario plus the total."""
    sink = summary.get("sink")
    header = (
        f"{'scenario':<24}{'traces':>8}{'spans':>9}{'MB':>9}{'delivered':>10}{'failed':>8}{'dropped':>8}"
        f"{'unconf.':>8}"
        f"{'retries':>8}{'med spans':>10}{'med depth':>10}{'med KB':>8}" + (f"{'verified':>10}" if sink else "")
    )
    rows = [header, "-" * len(header)]
    verified = (sink or {}).get("scenarios", {})
    for name, entry in [*summary["scenarios"].items(), ("Total", summary["total"])]:
        traces, med = entry["traces"], entry["median"]
        row = (
            f"{name:<24}{traces['generated']:>8}{entry['spans']['generated']:>9}{entry['bytes_sent'] / 1e6:>9.1f}"
            f"{traces['delivered']:>10}{traces['failed']:>8}{traces['dropped']:>8}{traces['unconfirmed']:>8}"
            f"{entry['retries']:>8}"
            f"{_num(med['spans']):>10}{_num(med['depth']):>10}{_num(med['kb']):>8}"
        )
        if sink:
            done = sink["traces_complete"] if name == "Total" else verified.get(name, {}).get("traces_complete", 0)
            row += f"{done:>10}"
        rows.append(row)
    rate = summary.get("rate")
    if rate and rate.get("seconds"):
        target = f"target {rate['target_per_s']:g}/s, " if rate.get("target_per_s") else ""
        rows.append(
            f"rate ({rate['model']} model, {rate['seconds']:.0f} s): {target}started "
            f"{rate['started_per_s']:.1f}/s, delivered {rate['delivered_per_s']:.1f}/s"
        )
    logs = summary.get("logs")
    if logs:
        records = logs["records"]
        rows.append(
            f"log records: {records['generated']} generated, {records['delivered']} delivered, "
            f"{records['failed']} failed, {records['dropped']} dropped, {records['unconfirmed']} unconfirmed "
            f"in {logs['requests']} OTLP-LOGS requests"
        )
    total = summary["total"]
    for kind in ("dropped", "failed"):
        reasons = total.get(f"{kind}_by_reason") or {}
        if reasons:
            rows.append(f"{kind}: " + ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items())))
    if sink:
        rows.append(
            f"sink: {sink['traces_received']} traces received, {sink['traces_complete']} verified complete, "
            f"{sink['spans_received']} spans, {sink['orphan_spans']} orphan spans, "
            f"{sink['traces_broken']} broken, {sink['traces_pending']} incomplete"
        )
    if "backend" in summary:
        rows.append(_backend_line(summary["backend"]))
    return "\n".join(rows)


def _backend_line(backend: dict[str, Any]) -> str:
    total, verdict, ms = backend["total"], backend["loss"], backend["total"]["visibility_ms"]
    return (
        f"read-back: {total['checked']} checked, {total['complete']} complete, {total['incomplete']} incomplete, "
        f"{total['missing']} missing, {total['pending_at_stop']} pending at stop, {total['unknown']} unknown; "
        f"unconfirmed {total['unconfirmed']['stored']} stored / {total['unconfirmed']['lost']} lost; "
        f"visible p50 {_num(ms['p50'])} ms p95 {_num(ms['p95'])} ms max {_num(ms['max'])} ms; "
        f"loss {verdict['estimate'] * 100:.2f}% (95% {verdict['low'] * 100:.2f}-{verdict['high'] * 100:.2f}%)"
    )


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def add_to_report(page: str, rows: list[dict[str, Any]], charts: str = "") -> str:
    """Locust's HTML report with the trace table (and the ``charts`` section, if any) added before ``</body>``."""
    section = rows_html(rows) + charts
    index = page.rfind("</body>")
    return page[:index] + section + page[index:] if index >= 0 else page + section
