"""Scaling and memory (issue 13): traces per CPU-second per process from 1 to 2 processes and workers, RSS per
user count, and the message a process prints when it cannot reach its share of ``--otel-rate``.

Every Locust process loads ``benchmarks/probe.py`` beside the locustfile, which records its own CPU
(``RUSAGE_SELF``; a ``--processes`` child counts from its fork) and its successful OTLP requests (one per trace
with trace delivery) when it quits. The total CPU of each command comes from ``os.wait4`` (a ``--processes``
parent includes the children it reaped). All into rotel's blackhole exporter, ``--otel-pace 0``, 16 users per
generating process.

1. **scaling**: one plain process; ``--processes 1``; ``--processes 2``; ``--master`` + 1 and + 2 ``--worker``
   processes (the same commands ``tests/test_distributed.py`` runs). Per row: traces per CPU-s over all processes
   (master included), per worker (its own traces / its own CPU), the master's CPU, and each worker's CPU at its
   100th delivered trace.
2. **memory**: one process with 1,000 and 10,000 users at ``--otel-rate 200`` in total (the machine copes; the
   point is memory per user): peak RSS (sampled and from the kernel), traces delivered.
3. **overload**: 16 users at ``--otel-rate 12000`` (``--overload-rate``) for 25 s: the plugin's "target X
   traces/s on this process, achieved Y, CPU-bound ..." warning, quoted.

Waits (bounded) for the 1-minute load average to drop below 1.5 before each run and prints it. Figures only.

    PYTHONPATH=. python benchmarks/scaling.py
    PYTHONPATH=. python benchmarks/scaling.py --part memory --users 1000
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from harness import (
    AGENT_MIX,
    PROBE,
    WORKLOADS,
    Run,
    checked,
    free_port,
    locust_cmd,
    machine,
    rotel,
    run,
    run_group,
    wait_quiet,
)

USERS_PER_PROCESS = 16


def scaling_row(label: str, processes: int, mode: str, endpoint: str, args: argparse.Namespace) -> None:
    """One configuration: ``mode`` is plain, processes or workers; ``processes`` generating processes."""
    users = USERS_PER_PROCESS * processes
    base = locust_cmd(users, args.seconds, endpoint, WORKLOADS[args.workload], probe=True)
    load = wait_quiet(patience=args.patience)
    if mode == "workers":
        port = free_port()
        master = [
            *base,
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--expect-workers",
            str(processes),
        ]
        worker = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            f"{AGENT_MIX},{PROBE}",
            "--worker",
            "--master-host",
            "127.0.0.1",
            "--master-port",
            str(port),
            "--loglevel",
            "WARNING",
        ]
        runs = run_group([master] + [worker] * processes)
    else:
        runs = [run(base + (["--processes", str(processes)] if mode == "processes" else []))]
    report(label, checked(runs[0], label), runs, load)


def report(label: str, first: Run, runs: list[Run], load: float) -> None:
    cpu = sum(r.cpu_s for r in runs)
    traces = first.total("traces")
    workers = [p for p in first.probes if p["runner"] in ("WorkerRunner", "LocalRunner")]
    masters = [p for p in first.probes if p["runner"] == "MasterRunner"]
    per_worker = ", ".join(f"{p['delivered'] / _cpu(p):.0f}" for p in workers)
    startup = ", ".join(
        f"{p['milestones']['delivered_100']['cpu_s']:.2f}" for p in workers if "delivered_100" in p["milestones"]
    )
    master = f"master {_cpu(masters[0]):.2f} CPU-s ({100 * _cpu(masters[0]) / cpu:.0f} %)" if masters else "no master"
    print(
        f"{label:<26} {traces / cpu:6.0f} traces/CPU-s overall ({traces} traces, {cpu:.2f} CPU-s); per worker "
        f"{per_worker}; {master}; worker CPU-s at 100 delivered: {startup}; load {load:.2f}",
        flush=True,
    )


def _cpu(probe: dict[str, Any]) -> float:
    return float(probe["milestones"]["quitting"]["cpu_s"])


def memory_row(users: int, endpoint: str, args: argparse.Namespace) -> float:
    load = wait_quiet(patience=args.patience)
    extra = ["--otel-rate", str(args.rate), "-r", str(max(1, users // 5))]
    result = checked(
        run(locust_cmd(users, args.memory_seconds, endpoint, WORKLOADS[args.workload], extra), sample_rss=True),
        f"{users} users",
    )
    warnings = [line for line in result.stderr.splitlines() if "otel-locust: target" in line]
    print(
        f"{users:>6} users at --otel-rate {args.rate:g}: peak RSS {result.maxrss_mb:.0f} MB, "
        f"{result.total('traces')} traces delivered "
        f"in {args.memory_seconds} s, {result.cpu_s:.1f} CPU-s; load {load:.2f}"
        + (f"\n       {warnings[0].strip()}" if warnings else ""),
        flush=True,
    )
    return result.maxrss_mb


def overload(endpoint: str, args: argparse.Namespace) -> None:
    load = wait_quiet(patience=args.patience)
    rate = str(args.overload_rate)
    result = checked(run(locust_cmd(16, 25, endpoint, WORKLOADS[args.workload], ["--otel-rate", rate])), "overload")
    warnings = [line.strip() for line in result.stderr.splitlines() if "otel-locust: target" in line]
    print(
        f"16 users at --otel-rate {rate} for 25 s: {result.total('traces')} traces delivered "
        f"({result.total('traces') / 25:.0f}/s); load {load:.2f}\n  " + ("\n  ".join(warnings) or "no warning"),
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["scaling", "memory", "overload"], action="append")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="default mix")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--users", type=int, action="append", help="memory: user counts (default 1000, 10000)")
    parser.add_argument("--rate", type=float, default=200.0, help="memory: --otel-rate in total")
    parser.add_argument("--memory-seconds", type=int, default=60)
    parser.add_argument("--overload-rate", type=int, default=12000, help="--otel-rate of the overload run")
    parser.add_argument("--patience", type=float, default=180, help="seconds to wait for load < 1.5")
    args = parser.parse_args()
    parts = args.part or ["scaling", "memory", "overload"]
    print(f"scaling: {machine()}; workload {args.workload}", flush=True)
    with rotel() as server:
        if "scaling" in parts:
            for label, processes, mode in (
                ("one process", 1, "plain"),
                ("--processes 1", 1, "processes"),
                ("--processes 2", 2, "processes"),
                ("master + 1 worker", 1, "workers"),
                ("master + 2 workers", 2, "workers"),
            ):
                scaling_row(label, processes, mode, server.url, args)
        if "memory" in parts:
            counts = sorted(args.users or [1000, 10000])
            peaks = [memory_row(users, server.url, args) for users in counts]
            if len(counts) > 1:
                slope = (peaks[-1] - peaks[0]) / (counts[-1] - counts[0])
                print(
                    f"       RSS per added user: ({peaks[-1]:.0f} - {peaks[0]:.0f}) MB / ({counts[-1]} - "
                    f"{counts[0]}) users = {1000 * slope:.1f} KB per user",
                    flush=True,
                )
        if "overload" in parts:
            overload(server.url, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
