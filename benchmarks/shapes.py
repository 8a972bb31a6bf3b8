"""Measure trace shapes on the wire: per scenario, the spans, depth, KB and gzip ratio of what was sent.

Runs a real headless Locust process into a capturing receiver and decodes every request with the official
opentelemetry-proto classes. Prints median [min-max] per scenario, the measured mix, and any conformance
problems (SPEC section 3). This is where the README's shape table comes from.

    python benchmarks/shapes.py                    # default mix, 10 s, 8 users
    python benchmarks/shapes.py --seconds 30 --dialects genai,openinference
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from otel_locust.testing.capture import CaptureReceiver, decode_spans
from otel_locust.testing.conformance import check_trace, shape

ROOT = Path(__file__).resolve().parent.parent


def _fmt(values: list[float], digits: int = 0) -> str:
    return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--mix", default="")
    parser.add_argument("--platform", default="otlp", help="preset whose dialects to use (endpoint is overridden)")
    parser.add_argument("--framework", default="", help="--otel-framework profile (spans, KB and log records "
                        "per trace of every profile, in process: benchmarks/profiles.py)")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more locust arguments")
    args = parser.parse_args()
    receiver = CaptureReceiver()
    logs_receiver = CaptureReceiver()  # log records (profiles that send them) arrive apart from the spans
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "locustfiles" / "agent_mix.py"), "--headless",
           "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "--otel-pace", "0",
           "--otel-platform", args.platform, "--otel-endpoint", receiver.url, "--only-summary",
           "--loglevel", "WARNING", *(["--otel-mix", args.mix] if args.mix else []),
           *(["--otel-framework", args.framework] if args.framework else []),
           "--otel-logs-endpoint", logs_receiver.url.replace("/v1/traces", "/v1/logs"), *args.extra]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(cmd, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    receiver.shutdown()
    logs_receiver.shutdown()

    shapes: dict[str, list[dict]] = defaultdict(list)
    sizes: dict[str, list[float]] = defaultdict(list)
    ratios: dict[str, list[float]] = defaultdict(list)
    problems: list[str] = []
    for body in receiver.bodies:
        spans = decode_spans(body)
        measured = shape(spans)
        name = measured["scenario"]
        shapes[name].append(measured)
        sizes[name].append(len(body) / 1000)
        if len(ratios[name]) < 100:
            ratios[name].append(len(body) / len(gzip.compress(body)))
            problems += check_trace(spans)
    total = sum(len(v) for v in shapes.values())
    print(f"{total} traces in {len(receiver.bodies)} requests, {sum(len(b) for b in receiver.bodies) / 1e6:.1f} MB")
    print(f"{'scenario':<24}{'share':>7}  {'spans':<16}{'depth':<12}{'KB':<20}{'gzip ratio':<18}")
    for name in sorted(shapes):
        rows = shapes[name]
        print(f"{name:<24}{len(rows) / total:>6.1%}  {_fmt([r['spans'] for r in rows]):<16}"
              f"{_fmt([r['depth'] for r in rows]):<12}{_fmt(sizes[name], 1):<20}{_fmt(ratios[name], 2):<18}")
    _print_logs(logs_receiver, total)
    print(f"conformance problems in the first 100 traces per scenario: {len(problems)}")
    for problem in sorted(set(problems))[:20]:
        print(f"  {problem}")
    return 1 if problems else 0


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
    print(f"log records per trace: {_fmt(list(per_trace.values()))} on {len(per_trace) / max(1, traces):.0%} of "
          f"traces, {sum(per_trace.values())} records in {len(receiver.bodies)} requests")


if __name__ == "__main__":
    sys.exit(main())
