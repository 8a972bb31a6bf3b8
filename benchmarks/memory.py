"""Memory of one Locust process generating a payload tier at full speed (issue 9: under 500 MB RSS).

Runs ``locust`` headless with N users, ``--otel-pace 0`` and trace delivery into the embedded sink (a separate
process, not counted), samples the Locust process's RSS every half second and prints the peak, the last value
and the traces generated. The history each user carries is bounded by the tier, so RSS should level off.

    python benchmarks/memory.py                                  # production tier, 16 users, 60 s
    python benchmarks/memory.py --payload stress --users 4 --seconds 60
    python benchmarks/memory.py --payload realistic --users 100 --extra --otel-rate 100 --otel-delivery batch
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payload", default="production")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--extra",
        nargs=argparse.REMAINDER,
        default=[],
        help="more locust arguments, e.g. --otel-rate 100 --otel-delivery batch",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
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
            "--otel-payload",
            args.payload,
            "--otel-summary",
            "summary.json",
            "--only-summary",
            "--loglevel",
            "WARNING",
            *args.extra,
        ]
        process = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        locust = psutil.Process(process.pid)
        samples: list[tuple[float, int]] = []
        start = time.monotonic()
        while process.poll() is None:
            try:
                samples.append((time.monotonic() - start, locust.memory_info().rss))
            except psutil.NoSuchProcess:
                break
            time.sleep(0.5)
        data = json.loads((Path(tmp) / "summary.json").read_text())
    peak = max(rss for _, rss in samples)
    late = [rss for t, rss in samples if t > args.seconds / 2]
    traces = data["total"]["traces"]
    print(f"{args.payload} tier, {args.users} users, --otel-pace 0, {args.seconds} s, one process")
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
