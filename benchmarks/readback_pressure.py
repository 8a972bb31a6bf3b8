"""Push a real backend past what it can ingest and print the read-back verdict (issue 10).

Starts Arize Phoenix (from ``.ci/install-backends``) on 127.0.0.1, runs a headless Locust with ``--otel-readback``
at the load given, and prints what the backend made visible: traces checked, complete, incomplete, missing,
pending at stop, and the visibility latency. Phoenix ingests about 150-200 spans/s with SQLite and queues up to
20,000 spans, so a few users at ``--otel-pace 0`` push it past its rate: latency grows, and traces arrive late or
never.

    python benchmarks/readback_pressure.py                         # 4 users at pace 2, then 12 users at pace 0
    python benchmarks/readback_pressure.py --load 20:0 --seconds 40 --timeout 60
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.backends import Phoenix  # noqa: E402 - the tests' own way to start the real backend


def run(phoenix: Phoenix, users: int, pace: float, seconds: int, timeout: float, project: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "locustfiles" / "agent_mix.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--otel-pace",
            str(pace),
            "--otel-platform",
            "phoenix",
            "--otel-endpoint",
            phoenix.traces_url,
            "--otel-project",
            project,
            "--otel-readback",
            "--otel-readback-timeout",
            str(timeout),
            "--otel-timeout",
            "30",
            "--otel-max-loss",
            "1",
            "--otel-summary",
            "summary.json",
            "--only-summary",
        ]
        subprocess.run(
            command, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + timeout + 300
        )
        return json.loads((Path(tmp) / "summary.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load", action="append", help="USERS:PACE, repeatable (default 4:2 then 12:0)")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=45.0, help="--otel-readback-timeout")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        phoenix = Phoenix(Path(work))
        try:
            for number, load in enumerate(args.load or ["4:2", "12:0"]):
                users, pace = load.split(":")
                data = run(phoenix, int(users), float(pace), args.seconds, args.timeout, f"pressure-{number}")
                traces, backend = data["total"]["traces"], data.get("backend", {})
                total = backend.get("total", {})
                latency = total.get("visibility_ms") or total.get("latency_ms") or {}
                print(
                    f"{users} users at pace {pace} for {args.seconds} s: generated {traces['generated']}, "
                    f"delivered {traces['delivered']}, failed {traces['failed']}, "
                    f"unconfirmed {traces['unconfirmed']}, {data['total']['spans']['delivered']} spans"
                )
                print(f"  read-back: {json.dumps({k: v for k, v in total.items() if not isinstance(v, dict)})}")
                print(
                    f"  visibility latency (ms): {json.dumps(latency)}; loss verdict: "
                    f"{json.dumps(backend.get('loss'))}",
                    flush=True,
                )
        finally:
            phoenix.server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
