"""Traces, spans and MB per CPU-second of one headless Locust process, plus its peak RSS.

Runs ``locust -f locustfiles/agent_mix.py --headless`` twice per workload (a short and a long run) into a local
receiver and reads the child's exact CPU time and peak RSS from ``os.wait4``. The steady-state rate is the
difference between the two runs, so start-up (imports, building payload pools) does not count:

    traces per CPU-second = (traces_long - traces_short) / (cpu_long - cpu_short)

Receivers: ``discard`` (default: a threaded HTTP server in another process that reads each body and answers
200, standing in for a fast collector), ``sink`` (the verifying sink: also checks nothing was lost), or any
OTLP/HTTP URL (e.g. a rotel collector with a blackhole exporter).

    python benchmarks/throughput.py                       # both workloads, discard receiver
    python benchmarks/throughput.py --receiver sink --users 50 --short 10 --long 30
    python benchmarks/throughput.py --workload "default mix" --extra --otel-delivery batch --otel-time-scale 1000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import Process
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = {
    "multi_service_complex": "multi_service_complex=1",
    "default mix": "",
}


class _Discard(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining:
            remaining -= len(self.rfile.read(min(remaining, 1 << 20)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""


def _serve_discard(port: int) -> None:
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), _Discard).serve_forever()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_locust(
    mix: str, seconds: int, users: int, endpoint: str, platform: str, extra: list[str] | None = None
) -> dict:
    """One headless run; returns the summary plus the process's CPU seconds and peak RSS (MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        summary_path = Path(tmp) / "summary.json"
        cmd = [
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
            "0",
            "--otel-seed",
            "7",
            "--otel-platform",
            platform,
            "--otel-summary",
            str(summary_path),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        if endpoint:
            cmd += ["--otel-endpoint", endpoint]
        if mix:
            cmd += ["--otel-mix", mix]
        cmd += extra or []
        proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 3) or not summary_path.exists():
            raise SystemExit(f"locust failed ({proc.returncode}): {proc.stderr.read()[-2000:] if proc.stderr else ''}")
        summary = json.loads(summary_path.read_text())
    summary["cpu_s"] = usage.ru_utime + usage.ru_stime
    summary["rss_mb"] = usage.ru_maxrss / 1024
    return summary


def measure(name: str, mix: str, args: argparse.Namespace, endpoint: str, platform: str) -> dict:
    short = run_locust(mix, args.short, args.users, endpoint, platform, args.extra)
    long = run_locust(mix, args.long, args.users, endpoint, platform, args.extra)
    t_s, t_l = short["total"], long["total"]
    cpu = long["cpu_s"] - short["cpu_s"]
    traces = t_l["traces"]["delivered"] - t_s["traces"]["delivered"]
    spans = t_l["spans"]["delivered"] - t_s["spans"]["delivered"]
    mbytes = (t_l["bytes_sent"] - t_s["bytes_sent"]) / 1e6
    lost = t_l["traces"]["failed"] + t_l["traces"]["dropped"] + t_l["traces"].get("unconfirmed", 0)
    result = {
        "workload": name,
        "traces_per_cpu_s": traces / cpu,
        "spans_per_cpu_s": spans / cpu,
        "mb_per_cpu_s": mbytes / cpu,
        "peak_rss_mb": long["rss_mb"],
        "long_run_traces": t_l["traces"]["delivered"],
        "long_run_cpu_s": long["cpu_s"],
        "lost_traces": lost,
    }
    if "sink" in long:
        result["sink_complete"] = long["sink"]["traces_complete"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--receiver", default="discard", help="discard | sink | an OTLP/HTTP traces URL")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--short", type=int, default=8, help="seconds of the short run")
    parser.add_argument("--long", type=int, default=24, help="seconds of the long run")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), action="append")
    parser.add_argument(
        "--extra",
        nargs=argparse.REMAINDER,
        default=[],
        help="more locust arguments, e.g. --otel-delivery batch --otel-time-scale 1000",
    )
    args = parser.parse_args()
    server = None
    platform, endpoint = "otlp", args.receiver
    if args.receiver == "discard":
        port = _free_port()
        server = Process(target=_serve_discard, args=(port,), daemon=True)
        server.start()
        time.sleep(0.5)
        endpoint = f"http://127.0.0.1:{port}/v1/traces"
    elif args.receiver == "sink":
        platform, endpoint = "sink", ""
    try:
        for name in args.workload or list(WORKLOADS):
            r = measure(name, WORKLOADS[name], args, endpoint, platform)
            verified = f", sink verified {r['sink_complete']}" if "sink_complete" in r else ""
            print(
                f"{r['workload']:<22} {r['traces_per_cpu_s']:7.0f} traces/CPU-s  "
                f"{r['spans_per_cpu_s']:8.0f} spans/CPU-s  {r['mb_per_cpu_s']:6.1f} MB/CPU-s  "
                f"peak RSS {r['peak_rss_mb']:5.0f} MB  (long run: {r['long_run_traces']} traces in "
                f"{r['long_run_cpu_s']:.1f} CPU-s, lost {r['lost_traces']}{verified})",
                flush=True,
            )
    finally:
        if server is not None:
            server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
