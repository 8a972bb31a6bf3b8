"""Memory of one Locust process (issue 9: under 500 MB RSS; issue 13: flat at 1,000 and 10,000 users).

Runs ``locust`` headless with N users, samples the Locust process's RSS every half second and prints the peak,
the last value, the traces generated and (``--every``) the RSS over time. Trace delivery goes into the embedded
sink (a separate process, not counted) or, with ``--rotel``, into rotel with its blackhole exporter. The history
each user carries is bounded by the tier, so RSS should level off once conversations reach their steady state.

    python benchmarks/memory.py                                  # production tier, 16 users, 60 s
    python benchmarks/memory.py --payload stress --users 4 --seconds 60
    python benchmarks/memory.py --payload realistic --users 100 --extra --otel-rate 100 --otel-delivery batch
    # issue 13: RSS every 10 s at 10,000 users into rotel, open model (200 traces/s) or closed (--pace 50)
    python benchmarks/memory.py --payload realistic --users 10000 --seconds 240 --rotel --every 10 --rate 200
    python benchmarks/memory.py --payload realistic --users 10000 --seconds 240 --rotel --every 10 --pace 50

``--probe FILE`` also loads ``benchmarks/memprobe.py``, which writes object counts by type (and, with
``OTEL_BENCH_TRACEMALLOC=N`` in the environment, tracemalloc growth) to FILE: slower, for finding a cause.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from harness import rotel  # noqa: E402 - benchmarks/ is not a package


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payload", default="production")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--spawn-rate", type=float, default=0, help="users started per second (default: all at once)")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--pace", type=float, default=0.0, help="--otel-pace (closed model)")
    parser.add_argument("--rate", type=float, default=0.0, help="--otel-rate in total (open model; 0: closed)")
    parser.add_argument("--rotel", action="store_true", help="deliver into rotel (blackhole), not the embedded sink")
    parser.add_argument("--every", type=float, default=0, help="print the RSS every this many seconds")
    parser.add_argument("--probe", default="", help="load benchmarks/memprobe.py, writing into this file")
    parser.add_argument(
        "--extra",
        nargs=argparse.REMAINDER,
        default=[],
        help="more locust arguments, e.g. --otel-rate 100 --otel-delivery batch",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        receiver = []
        if args.rotel:
            server = stack.enter_context(rotel())
            receiver = ["--otel-platform", "otlp", "--otel-endpoint", server.url, "--otel-compression", "none"]
        files = str(ROOT / "locustfiles" / "agent_mix.py")
        env = dict(os.environ)
        if args.probe:
            files += f",{ROOT / 'benchmarks' / 'memprobe.py'}"
            env["OTEL_BENCH_MEMPROBE"] = str(Path(args.probe).resolve())
            env.setdefault("OTEL_BENCH_MEMPROBE_EVERY", str(args.every or 30))
        model = ["--otel-rate", f"{args.rate:g}"] if args.rate > 0 else []
        cmd = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            files,
            "--headless",
            "-u",
            str(args.users),
            "-r",
            f"{args.spawn_rate or args.users:g}",
            "-t",
            f"{args.seconds}s",
            "--otel-pace",
            f"{args.pace:g}",
            *model,
            "--otel-payload",
            args.payload,
            *receiver,
            "--otel-summary",
            "summary.json",
            "--only-summary",
            "--loglevel",
            "WARNING",
            *args.extra,
        ]
        load = os.getloadavg()[0]
        process = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        locust = psutil.Process(process.pid)
        samples: list[tuple[float, int]] = []
        start = time.monotonic()
        next_print = args.every
        while process.poll() is None:
            try:
                samples.append((time.monotonic() - start, locust.memory_info().rss))
            except psutil.NoSuchProcess:
                break
            if args.every and samples[-1][0] >= next_print:
                print(f"  t={next_print:>4.0f} s  RSS {samples[-1][1] / 1e6:5.0f} MB", flush=True)
                next_print += args.every
            time.sleep(0.5)
        data = json.loads((Path(tmp) / "summary.json").read_text())
    peak = max(rss for _, rss in samples)
    late = [rss for t, rss in samples if t > args.seconds / 2]
    traces = data["total"]["traces"]
    model_text = f"--otel-rate {args.rate:g}" if args.rate > 0 else f"--otel-pace {args.pace:g}"
    print(
        f"{args.payload} tier, {args.users} users, {model_text}, {args.seconds} s, one process, "
        f"{'rotel (blackhole)' if args.rotel else 'embedded sink'}; load {load:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end"
    )
    print(
        f"RSS peak {peak / 1e6:.0f} MB, median over the second half {sorted(late)[len(late) // 2] / 1e6:.0f} MB, "
        f"last {samples[-1][1] / 1e6:.0f} MB"
    )
    print(
        f"traces generated {traces['generated']}, delivered {traces['delivered']}, "
        f"{data['total']['bytes_sent'] / 1e6:.0f} MB sent; most in flight (exports, or traces unfolding) "
        f"{data.get('rate', {}).get('peak_in_flight_this_process')}"
    )
    return 0 if peak < 500e6 else 1


if __name__ == "__main__":
    sys.exit(main())
