"""Measure how traces reach the backend: what a receiver sees of ``--otel-delivery batch`` (or ``trace``).

Runs a real headless Locust process into a capturing receiver and prints, from the requests as they arrived:
requests per second, spans per request (distribution), the share of requests holding spans of more than one
trace, the share of traces whose root arrived last (in the last request carrying the trace), and the spread
between a trace's first and last span arriving.

    python benchmarks/delivery.py                                   # batch, 60 s at 20 traces/s, real time
    python benchmarks/delivery.py --seconds 30 --rate 20 --time-scale 4
    python benchmarks/delivery.py --delivery trace                  # the same figures for whole-trace requests
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from otel_locust.testing.capture import CaptureReceiver, decode_spans

ROOT = Path(__file__).resolve().parent.parent


def _quantiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"min {ordered[0]:g}, p10 {at(0.1):g}, median {statistics.median(ordered):g}, p90 {at(0.9):g}, "
        f"max {ordered[-1]:g}"
    )


def analyse(bodies: list[bytes], arrivals: list[float]) -> dict[str, Any]:
    """The delivery figures of the requests a receiver got, in arrival order."""
    per_request, mixed = [], 0
    first_seen: dict[bytes, float] = {}
    last_seen: dict[bytes, tuple[float, int]] = {}
    root_request: dict[bytes, int] = {}
    for index, (body, when) in enumerate(zip(bodies, arrivals, strict=True)):
        spans = decode_spans(body)
        per_request.append(len(spans))
        traces = {span.trace_id for span in spans}
        mixed += len(traces) > 1
        for span in spans:
            first_seen.setdefault(span.trace_id, when)
            last_seen[span.trace_id] = (when, index)
            if not span.parent_span_id:
                root_request[span.trace_id] = index
    root_last = sum(1 for tid, index in root_request.items() if last_seen[tid][1] == index)
    spread = [last_seen[tid][0] - first_seen[tid] for tid in first_seen]
    duration = (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    return {
        "requests": len(bodies),
        "traces": len(first_seen),
        "requests_per_s": len(bodies) / duration if duration else 0.0,
        "spans_per_request": per_request,
        "mixed_share": mixed / len(bodies) if bodies else 0.0,
        "root_last_share": root_last / len(root_request) if root_request else 0.0,
        "spread_s": spread,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=float, default=20.0, help="traces per second (open model)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--delivery", default="batch", choices=["batch", "trace"])
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--stop-timeout", type=int, default=90, help="let traces still unfolding finish")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more locust arguments")
    args = parser.parse_args()
    receiver = CaptureReceiver()
    with tempfile.TemporaryDirectory() as tmp:
        command = [
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
            "--stop-timeout",
            str(args.stop_timeout),
            "--otel-platform",
            "otlp",
            "--otel-endpoint",
            receiver.url,
            "--otel-rate",
            str(args.rate),
            "--otel-delivery",
            args.delivery,
            "--otel-time-scale",
            str(args.time_scale),
            *args.extra,
        ]
        result = subprocess.run(command, cwd=tmp, capture_output=True, text=True, timeout=args.seconds * 3 + 300)
    receiver.shutdown()
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
        return result.returncode
    figures = analyse(receiver.bodies, receiver.arrivals)
    print(f"delivery {args.delivery}, {args.rate:g} traces/s for {args.seconds} s (time scale {args.time_scale:g})")
    print(f"requests: {figures['requests']} ({figures['requests_per_s']:.2f}/s), traces: {figures['traces']}")
    print(f"spans per request: {_quantiles(figures['spans_per_request'])}")
    print(f"requests holding spans of more than one trace: {figures['mixed_share']:.1%}")
    print(f"traces whose root arrived last: {figures['root_last_share']:.1%}")
    print(f"first-to-last span arrival per trace (s): {_quantiles([round(s, 2) for s in figures['spread_s']])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
