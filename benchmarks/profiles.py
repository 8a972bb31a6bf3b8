"""Framework profiles side by side: spans, KB and log records per trace, and CPU per span of encoding.

Plans the same traces (same seed) once, then encodes them with each ``--otel-framework`` profile in this
process, timing only the encoding (planning is the same for every profile and is not part of a profile's
cost). CPU per span is what the issue bounds: no profile may cost more than 1.5x ``semconv``.

    python benchmarks/profiles.py                       # default mix, 400 traces
    python benchmarks/profiles.py --traces 1000 --mix multi_service_complex=1
    python benchmarks/profiles.py --framework langgraph
    python benchmarks/profiles.py --run                 # what a run pays: Locust into rotel, fast path on

``--run`` measures what a user pays per span in a real run: for each profile, a headless Locust process (16 users,
``--otel-pace 0``, no compression) into rotel's blackhole exporter, CPU from the kernel; the steady-state rate
is (20 s run - 6 s run), so start-up does not count (the method of ``benchmarks/throughput.py``). With the fast
path (the default ``--otel-fresh``) a profile's encoding is paid for the fresh share only; the rest of the cost is
re-issuing the encoded bytes, which grows with the bytes a profile sends. Add ``--fresh 1`` to plan every trace.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from otel_locust.encoding.dialects import GenAI
from otel_locust.encoding.profiles import FRAMEWORKS, instrumentation_for
from otel_locust.engine.pack import load_pack
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for


def _plan(count: int, mix: str, seed: int) -> list:
    pack = load_pack("")
    weights = dict(e.split("=") for e in mix.split(",")) if mix else {n: s.weight for n, s in pack.scenarios.items()}
    names = [n for n, w in weights.items() for _ in range(int(w)) if int(w) > 0]
    rng = random.Random(seed)
    planner = Planner(pools_for(pack.content, seed), rng)
    return [
        planner.plan(pack.scenarios[rng.choice(names)], f"conv_{rng.getrandbits(64):016x}", "user_1")
        for _ in range(count)
    ]


def measure(framework: str, sets: list[list], warm: list) -> dict[str, float]:
    """Spans, KB and logs per trace (medians) and the best CPU-microseconds per span over ``sets``.

    ``warm`` is encoded first, untimed: the profiles keep message conversions across traces (keyed by content),
    so a run's first traces cost more than the rest. Every timed set holds traces not seen before (as in a run:
    each trace is planned fresh and encoded once), so the caches only help as much as content recurs."""
    dialects = [GenAI()] if framework == "semconv" else []
    instrumentation = instrumentation_for(framework, dialects, ids=random.Random(1))
    for trace in warm:
        _encode(instrumentation, trace)
    spans, kb, logs, best = [], [], [], float("inf")
    for round_, traces in enumerate(sets):
        for trace in traces:  # fresh encoded message arrays (semconv keeps them on the planned span)
            for span in trace.spans:
                span.input_json = span.output_json = b""
        total_spans, start = 0, time.process_time()
        for trace in traces:
            count, size, records = _encode(instrumentation, trace)
            total_spans += count
            if round_ == 0:
                spans.append(count)
                kb.append(size / 1000)
                logs.append(records)
        best = min(best, (time.process_time() - start) / total_spans * 1e6)
    return {
        "spans": statistics.median(spans),
        "kb": statistics.median(kb),
        "logs": statistics.median(logs),
        "us_per_span": best,
    }


def _encode(instrumentation, trace) -> tuple[int, int, int]:
    """Encode one trace as a run would (spans and, when the profile sends logs, the logs request)."""
    encoded = instrumentation.encode(trace)
    body = instrumentation.requests(encoded)[0].body
    if encoded.logs:
        instrumentation.log_request(encoded.logs)
    return encoded.count, len(body), len(encoded.logs)


def run_cost(names: list[str], mix: str, fresh: float) -> None:
    """CPU per span in real runs (steady state), per profile, against semconv."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from harness import (
        locust_cmd,
        machine,
        rotel,
        run,
        wait_quiet,
    )

    print(f"profiles in a run: {machine()}; 16 users, --otel-pace 0, --otel-fresh {fresh}, into rotel")
    print(f"{'framework':14} {'spans/CPU-s':>11} {'us/span':>8} {'vs semconv':>10} {'MB/CPU-s':>9} {'load':>5}")
    base = None
    with rotel() as server:
        for name in dict.fromkeys(names):
            extra = ["--otel-framework", name, "--otel-fresh", str(fresh)]
            load = wait_quiet(patience=120)
            long, short = (run(locust_cmd(16, seconds, server.url, mix, extra)) for seconds in (20, 6))
            cpu = long.cpu_s - short.cpu_s
            spans = long.total("spans") - short.total("spans")
            mb = (long.total("bytes_sent") - short.total("bytes_sent")) / 1e6
            us = cpu / max(spans, 1) * 1e6
            base = base or us
            print(f"{name:14} {spans / cpu:>11.0f} {us:>8.2f} {us / base:>9.2f}x {mb / cpu:>9.1f} {load:>5.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=int, default=400)
    parser.add_argument("--mix", default="")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--framework", default="", help="only this profile (and semconv for the ratio)")
    parser.add_argument("--run", action="store_true", help="measure real runs into rotel instead")
    parser.add_argument("--fresh", type=float, default=0.02, help="with --run: --otel-fresh")
    args = parser.parse_args()
    if args.run:
        run_cost(["semconv", args.framework] if args.framework else list(FRAMEWORKS), args.mix, args.fresh)
        return 0
    rounds = 3
    planned = _plan(args.traces * (rounds + 1), args.mix, args.seed)
    warm, sets = planned[: args.traces], [planned[args.traces * (n + 1) : args.traces * (n + 2)] for n in range(rounds)]
    names = ["semconv", args.framework] if args.framework else list(FRAMEWORKS)
    base = None
    print(f"{args.traces} traces, mix: {args.mix or 'default'}")
    print(f"{'framework':14} {'spans/trace':>11} {'KB/trace':>9} {'logs/trace':>10} {'us/span':>8} {'vs semconv':>10}")
    for name in dict.fromkeys(names):
        figures = measure(name, sets, warm)
        base = base or figures["us_per_span"]
        print(
            f"{name:14} {figures['spans']:>11.0f} {figures['kb']:>9.1f} {figures['logs']:>10.0f} "
            f"{figures['us_per_span']:>8.2f} {figures['us_per_span'] / base:>9.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
