"""Measure trace shapes on the wire: per payload tier and scenario, the spans, depth, KB and compression of what
was sent.

Runs a real headless Locust process into a receiver that decodes every request with the official
opentelemetry-proto classes as it arrives (and then drops it, so long runs of MB traces fit in memory). Prints
the tier's distribution (median, p95 and max of spans and KB per trace; the largest span; model spans of 250 KB
and more; tool results of 1 MB and more; gzip and xz ratios of the largest spans; median KB per turn index), a
table per scenario, the measured mix, and any conformance problems (SPEC section 3, issue 9). This is where the
README's shape and tier tables come from.

    python benchmarks/shapes.py                                # realistic tier, default mix, 10 s, 8 users
    python benchmarks/shapes.py --payload production --seconds 120
    python benchmarks/shapes.py --payload stress --seconds 60 --users 4
    python benchmarks/shapes.py --platform langfuse --extra --otel-turns 1-3   # a preset's dialects; more options

Compression is measured on each sampled trace's largest span (the encoded span: its text dominates): gzip (a 32 KB
window) and xz (``lzma`` preset 6, an 8 MiB window, on the span's first 4 MB). Real text compresses a little
better with xz; repeated chunks a gzip window cannot see would make xz several times better.
"""

from __future__ import annotations

import argparse
import gzip
import lzma
import statistics
import subprocess
import sys
import tempfile
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from otel_locust.testing.capture import CaptureReceiver, decode_spans
from otel_locust.testing.conformance import attributes, check_trace, shape

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = 60  # traces per scenario whose largest span is compressed and which are checked for conformance
XZ_SLICE = 4_000_000


def _fmt(values: list[float], digits: int = 0) -> str:
    return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


class Measurer(CaptureReceiver):
    """A receiver that measures each body (one trace per request on the ``otlp`` preset) and keeps only figures."""

    def __init__(self, conformance: bool = True) -> None:
        self.conformance = conformance  # the GenAI checks; a framework profile follows its framework instead
        self.rows: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.ratios: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
        self.largest = (0, "")
        self.big_model_spans = 0
        self.max_input_tokens = 0
        self.big_tool_results = 0
        self.failures: dict[str, int] = defaultdict(int)
        self.measure_lock = threading.Lock()
        super().__init__()

    def keep(self, body: bytes, headers: dict[str, str]) -> None:
        spans = decode_spans(body)
        measured = shape(spans)
        root = next((s for s in spans if not s.parent_span_id), spans[0])
        sizes = [(s.ByteSize(), s) for s in spans]
        size, biggest = max(sizes, key=lambda pair: pair[0])
        row = {**measured, "kb": len(body) / 1000, "turn": attributes(root).get("otel_locust.conversation.turn", 1)}
        with self.measure_lock:
            self.rows.append(row)
            if size > self.largest[0]:
                self.largest = (size, biggest.name)
            self._count(sizes)
            sample = sum(1 for r in self.rows if r["scenario"] == row["scenario"]) <= SAMPLE
        if sample:
            text = biggest.SerializeToString()
            ratio = (
                len(text) / len(gzip.compress(text, 6)),
                min(len(text), XZ_SLICE) / len(lzma.compress(text[:XZ_SLICE], preset=6)),
                len(body) / len(gzip.compress(body, 6)),
            )
            problems = check_trace(spans) if self.conformance else []
            with self.measure_lock:
                self.ratios[row["scenario"]].append(ratio)
                self.problems += problems

    def _count(self, sizes: list[tuple[int, Any]]) -> None:
        for size, span in sizes:
            attrs = None
            if span.name.startswith("chat ") and size >= 250_000:
                self.big_model_spans += 1
                attrs = attributes(span)
                self.max_input_tokens = max(self.max_input_tokens, attrs.get("gen_ai.usage.input_tokens", 0))
            elif span.name.startswith("execute_tool ") and size >= 1_000_000:
                attrs = attributes(span)
                self.big_tool_results += len(attrs.get("gen_ai.tool.call.result", "")) >= 1_000_000
            if span.status.code == 2:
                attrs = attrs or attributes(span)
                self.failures[f"{span.name.split(' ', 1)[0]} {attrs.get('error.type')}"] += 1


def report(m: Measurer) -> None:
    rows = m.rows
    kbs, spans = [r["kb"] for r in rows], [r["spans"] for r in rows]
    print(f"{len(rows)} traces, {sum(kbs) / 1000:.1f} MB")
    print(
        f"per trace  spans: median {statistics.median(spans):.0f}  p95 {_p95(spans):.0f}  max {max(spans)}   "
        f"KB: median {statistics.median(kbs):.1f}  p95 {_p95(kbs):.1f}  max {max(kbs):.1f}   "
        f"depth max {max(r['depth'] for r in rows)}"
    )
    print(
        f"largest span: {m.largest[0] / 1000:.1f} KB ({m.largest[1]});  model spans >= 250 KB: {m.big_model_spans} "
        f"(most input tokens {m.max_input_tokens});  tool results >= 1 MB: {m.big_tool_results}"
    )
    ratios = [r for values in m.ratios.values() for r in values]
    gz, xz = [g for g, _, _ in ratios], [x for _, x, _ in ratios]
    print(
        f"largest span per trace, {len(ratios)} sampled: gzip ratio {_fmt(gz, 2)}  xz ratio {_fmt(xz, 2)}  "
        f"xz/gzip {_fmt([x / g for g, x, _ in ratios], 2)};  body gzip ratio {_fmt([r[2] for r in ratios], 2)}"
    )
    turns: dict[int, list[float]] = defaultdict(list)
    for r in rows:
        turns[r["turn"]].append(r["kb"])
    print(
        "median KB per turn index: "
        + "  ".join(f"{t}: {statistics.median(v):.1f} ({len(v)})" for t, v in sorted(turns.items())[:8])
    )
    print("failed spans: " + (", ".join(f"{k} {v}" for k, v in sorted(m.failures.items())) or "none"))
    by_scenario: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_scenario[r["scenario"]].append(r)
    print(
        f"{'scenario':<24}{'share':>7}  {'spans':<18}{'depth':<12}{'KB':<26}{'gzip body':<11}"
        f"{'gzip / xz largest span':<24}"
    )
    for name in sorted(by_scenario):
        group = by_scenario[name]
        g = [r[0] for r in m.ratios[name]] or [0.0]
        x = [r[1] for r in m.ratios[name]] or [0.0]
        body = [r[2] for r in m.ratios[name]] or [0.0]
        print(
            f"{name:<24}{len(group) / len(rows):>6.1%}  {_fmt([r['spans'] for r in group]):<18}"
            f"{_fmt([r['depth'] for r in group]):<12}{_fmt([r['kb'] for r in group], 1):<26}"
            f"{statistics.median(body):<11.2f}{statistics.median(g):.2f} / {statistics.median(x):.2f}"
        )
    if not m.conformance:
        print("conformance: not checked; a framework profile sends what its framework does, not the GenAI layout")
        print("  (profiles are compared with captures of the real frameworks: python -m tests.test_profiles)")
        return
    print(f"conformance problems in the first {SAMPLE} traces per scenario: {len(m.problems)}")
    for problem in sorted(set(m.problems))[:20]:
        print(f"  {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payload", default="realistic", help="payload tier: realistic, production or stress")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--mix", default="")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--platform", default="otlp", help="preset whose dialects to use (endpoint is overridden)")
    parser.add_argument(
        "--framework",
        default="",
        help="--otel-framework profile (spans, KB and log records "
        "per trace of every profile, in process: benchmarks/profiles.py)",
    )
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more locust arguments")
    args = parser.parse_args()
    receiver = Measurer(conformance=args.framework in ("", "semconv"))
    logs_receiver = CaptureReceiver()  # log records (profiles that send them) arrive apart from the spans
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "locustfiles" / "agent_mix.py"),
        "--headless",
        "-u",
        str(args.users),
        "-r",
        str(args.users),
        "-t",
        f"{args.seconds}s",
        "--otel-pace",
        "0",
        "--otel-platform",
        args.platform,
        "--otel-endpoint",
        receiver.url,
        "--otel-payload",
        args.payload,
        "--otel-seed",
        str(args.seed),
        "--otel-max-request-mb",
        "1000",
        "--only-summary",
        "--loglevel",
        "WARNING",
        # the receiver measures each body before it answers: large stress traces take seconds
        "--otel-timeout",
        "300",
        "--otel-max-loss",
        "1",
        *(["--otel-mix", args.mix] if args.mix else []),
        *(["--otel-framework", args.framework] if args.framework else []),
        "--otel-logs-endpoint",
        logs_receiver.url.replace("/v1/traces", "/v1/logs"),
        *args.extra,
    ]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(cmd, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    receiver.shutdown()
    logs_receiver.shutdown()
    print(f"payload tier: {args.payload}")
    report(receiver)
    _print_logs(logs_receiver, len(receiver.rows))
    return 1 if receiver.problems else 0


def _print_logs(receiver: CaptureReceiver, traces: int) -> None:
    """Log records per trace (median over the traces that have any) and the share of traces with logs."""
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    per_trace: dict[bytes, int] = defaultdict(int)
    for body in receiver.bodies:
        for resource in ExportLogsServiceRequest.FromString(body).resource_logs:
            for scope in resource.scope_logs:
                for record in scope.log_records:
                    per_trace[record.trace_id] += 1
    if not per_trace:
        print("log records per trace: 0")
        return
    print(
        f"log records per trace: {_fmt(list(per_trace.values()))} on {len(per_trace) / max(1, traces):.0%} of "
        f"traces, {sum(per_trace.values())} records in {len(receiver.bodies)} requests"
    )


if __name__ == "__main__":
    sys.exit(main())
