"""Start-up cost (issue 13): CPU seconds from process start to the first 100 delivered traces.

Runs a short headless Locust process (16 users, ``--otel-pace 0``, trace delivery, into rotel's blackhole
exporter) with ``benchmarks/probe.py`` loaded beside the locustfile. The probe reads the process's own rusage
(``RUSAGE_SELF``: user + system CPU since exec, from the kernel) when Locust has loaded everything, at ``init``
(after which the plugin has built its payload pools), at the first and at the 100th successful OTLP request (one
request per trace with trace delivery). The whole process's CPU (``os.wait4``) is printed beside it. Target: under
1.5 CPU-s to 100 delivered traces. Figures only; nothing passes or fails.

With ``--worker``, the same run is a master (``--otel-seed 7``, 16 users) and one ``--worker`` process started
without a seed of its own (as ``benchmarks/scaling.py`` starts them): the worker's milestones are printed, and the
master's CPU at its ``init`` and in all.

    PYTHONPATH=. python benchmarks/startup.py
    PYTHONPATH=. python benchmarks/startup.py --tier realistic --repeat 3
    PYTHONPATH=. python benchmarks/startup.py --worker --workload "default mix" --tier realistic
"""

from __future__ import annotations

import argparse
import sys

from harness import WORKLOADS, checked, free_port, locust_cmd, machine, rotel, run, run_group, wait_quiet

STEPS = ("loaded", "init", "first_delivered", "delivered_100")


def once(name: str, tier: str, endpoint: str, seconds: int, patience: float) -> None:
    load = wait_quiet(patience=patience)
    result = checked(
        run(locust_cmd(16, seconds, endpoint, WORKLOADS[name], ["--otel-payload", tier], probe=True)), "locust"
    )
    (probe,) = result.probes
    marks = probe["milestones"]
    cells = "  ".join(
        f"{step} {marks[step]['cpu_s']:5.2f} CPU-s/{marks[step]['wall_s']:5.2f} s" for step in STEPS if step in marks
    )
    print(
        f"{name:<22} {tier:<11} {cells}  (whole run: {result.cpu_s:.2f} CPU-s, "
        f"{result.total('traces')} traces; load {load:.2f})",
        flush=True,
    )


def once_worker(name: str, tier: str, endpoint: str, seconds: int, patience: float) -> None:
    """A master and one seedless worker: the worker's milestones, the master's CPU at init and in all."""
    load = wait_quiet(patience=patience)
    port = free_port()
    master = locust_cmd(16, seconds, endpoint, WORKLOADS[name], ["--otel-payload", tier], probe=True)
    master += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port), "--expect-workers", "1"]
    files = master[master.index("-f") + 1]
    worker = [master[0], "-m", "locust", "-f", files, "--worker", "--master-host", "127.0.0.1"]
    worker += ["--master-port", str(port), "--loglevel", "WARNING"]
    head, tail = run_group([master, worker])
    checked(head, "locust master")
    probes = {p["runner"]: p for p in head.probes}
    marks = probes["WorkerRunner"]["milestones"]
    cells = "  ".join(
        f"{step} {marks[step]['cpu_s']:5.2f} CPU-s/{marks[step]['wall_s']:5.2f} s" for step in STEPS if step in marks
    )
    master_init = probes["MasterRunner"]["milestones"]["init"]["cpu_s"]
    print(
        f"{name:<22} {tier:<11} worker: {cells}  (worker in all {tail.cpu_s:.2f} CPU-s; master: init "
        f"{master_init:.2f} CPU-s, in all {head.cpu_s:.2f} CPU-s; {head.total('traces')} traces; load {load:.2f})",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=sorted(WORKLOADS), action="append")
    parser.add_argument("--tier", action="append", help="payload tiers (default: realistic, production)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--patience", type=float, default=180, help="seconds to wait for load < 1.5")
    parser.add_argument("--worker", action="store_true", help="a master and one seedless --worker process")
    args = parser.parse_args()
    print(f"start-up: {machine()}; CPU-s / wall s since process start at each milestone", flush=True)
    with rotel() as server:
        for name in args.workload or list(WORKLOADS):
            for tier in args.tier or ["realistic", "production"]:
                for _ in range(args.repeat):
                    measure = once_worker if args.worker else once
                    measure(name, tier, server.url, args.seconds, args.patience)
    return 0


if __name__ == "__main__":
    sys.exit(main())
