"""The project against the transport limit (issue 13): what share of "the same bytes on one keep-alive socket"
does a Locust process reach per CPU-second?

In one run, for each workload (``multi_service_complex`` and the default mix) and variant (trace delivery with
the default tier: the headline ratio; the same with ``--otel-fresh 1``, every trace planned and encoded as before
the fast path; batch delivery; the production tier), against one rotel collector with its blackhole exporter:

1. **project**: a headless Locust process, 16 users, ``--otel-pace 0``, no compression, 20 s, into rotel. CPU is
   the kernel's for the whole process from exec to exit (``os.wait4``), start-up and drain included.
2. **capture**: the same command (same seed and options) once more, 8 s, into a capturing receiver
   (``otel_locust.testing.capture.CaptureReceiver``, bounded), to get the bodies this workload sends. A second run
   rather than a tee proxy so the measured run talks to rotel directly, with nothing else on its path or on the
   two cores; the bodies are the same workload's (same seed, scenarios, tier), not byte-for-byte the measured
   run's (ids and times differ, and a trace's content depends on which user drew it when).
3. **transport only**: ``benchmarks/replay.py`` in a subprocess posts the captured bodies (cycling) over ONE
   keep-alive HTTP/1.1 connection to the same rotel, as many requests as the project sent; CPU from ``os.wait4``
   too (its start-up, reading the bodies file, included; the send loop's own CPU is printed beside it). It runs
   ``--transport-repeat`` times (3) and the fastest counts: the raw socket's figure moves by a quarter between
   runs on a shared machine, and the best one makes the share the conservative one.
4. **steady state** (trace delivery, default tier): a 6 s run as well; (20 s run - 6 s run) / (CPU difference)
   is the start-up-free figure ``benchmarks/throughput.py`` reports.

Share = project traces per CPU-s / transport requests per CPU-s (one request per trace in trace delivery); the
MB-based share is printed beside it, and is the one that compares batch delivery (many traces per request).
Before each measured process the script waits (at most ``--patience`` s) for the 1-minute load average to drop
below 1.5, and prints the load it started at. Figures only; nothing here passes or fails.

    PYTHONPATH=. python benchmarks/transport_limit.py
    PYTHONPATH=. python benchmarks/transport_limit.py --variant trace --workload "default mix"
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness import WORKLOADS, Rotel, Run, checked, locust_cmd, machine, rotel, run, wait_quiet

from otel_locust.testing.capture import CaptureReceiver, decode_spans

REPLAY = Path(__file__).resolve().parent / "replay.py"
VARIANTS = {
    "trace": [],
    "fresh": ["--otel-fresh", "1"],  # every trace planned and encoded: the project before the fast path
    "batch": ["--otel-delivery", "batch", "--otel-time-scale", "1000"],
    # rotel closes the connection on bodies over 20 MiB; the otlp preset splits traces there in both runs
    "production": ["--otel-payload", "production"],
}


class BoundedCapture(CaptureReceiver):
    """Keeps bodies until ``limit_bytes``, then answers 200 and drops them (the capture run is not measured)."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes, self.kept_bytes = limit_bytes, 0
        super().__init__()

    def keep(self, body: bytes, headers: dict[str, str]) -> None:
        with self.lock:
            if self.kept_bytes + len(body) > self.limit_bytes and self.bodies:
                return
            self.kept_bytes += len(body)
            self.bodies.append(body)


@dataclass
class Figures:
    """Per-CPU-second rates of one measured process."""

    units: float  # traces (project) or requests (transport)
    spans: float
    mb: float
    cpu_s: float
    load: float

    def per_cpu(self) -> tuple[float, float, float]:
        return self.units / self.cpu_s, self.spans / self.cpu_s, self.mb / self.cpu_s


def project(mix: str, extra: list[str], endpoint: str, seconds: float, users: int) -> tuple[Run, Figures]:
    load = wait_quiet(patience=ARGS.patience)
    result = checked(run(locust_cmd(users, seconds, endpoint, mix, extra)), "locust")
    figures = Figures(
        result.total("traces"), result.total("spans"), result.total("bytes_sent") / 1e6, result.cpu_s, load
    )
    return result, figures


def capture(mix: str, extra: list[str], users: int, folder: Path) -> tuple[Path, list[int]]:
    """Bodies of the same workload, written length-prefixed to a file; returns it and each body's span count."""
    receiver = BoundedCapture(ARGS.capture_mb * 1_000_000)
    try:
        checked(run(locust_cmd(users, ARGS.capture_seconds, receiver.url, mix, extra)), "capture run")
    finally:
        receiver.shutdown()
    path = folder / "bodies.bin"
    with path.open("wb") as handle:
        for body in receiver.bodies:
            handle.write(struct.pack(">I", len(body)) + body)
    return path, [len(decode_spans(body)) for body in receiver.bodies]


def transport(bodies: Path, spans: list[int], count: int, server: Rotel, client: str = "raw") -> tuple[Figures, float]:
    """Replay ``count`` requests in a subprocess; its whole-process figures and the send loop's CPU."""
    load = wait_quiet(patience=ARGS.patience)
    result = run([sys.executable, str(REPLAY), str(bodies), str(count), "127.0.0.1", str(server.port), client])
    if result.code != 0:
        raise SystemExit(f"replay failed ({result.code}): {result.stderr[-2000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["refused"]:
        print(f"  !! rotel refused {report['refused']} of {count} replayed requests", flush=True)
    cycles, rest = divmod(count, len(spans))
    span_total = cycles * sum(spans) + sum(spans[:rest])
    return Figures(count, span_total, report["bytes"] / 1e6, result.cpu_s, load), report["loop_cpu_s"]


def measure(name: str, variant: str, server: Rotel) -> None:
    mix, extra = WORKLOADS[name], VARIANTS[variant]
    rotel_before = server.cpu_s()
    result, mine = project(mix, extra, server.url, ARGS.seconds, ARGS.users)
    rotel_cpu = server.cpu_s() - rotel_before
    with tempfile.TemporaryDirectory() as tmp:
        bodies, spans = capture(mix, extra, ARGS.users, Path(tmp))
        tries = [transport(bodies, spans, result.total("requests"), server) for _ in range(ARGS.transport_repeat)]
        limit, loop_cpu = min(tries, key=lambda t: t[0].cpu_s)  # the best: the share is then the conservative one
        stdlib, _ = transport(bodies, spans, result.total("requests"), server, "http.client")
    t, s, m = mine.per_cpu()
    tr, ts, tm = limit.per_cpu()
    print(
        f"{name:<22} {variant:<10} project  {t:7.0f} traces/CPU-s {s:9.0f} spans/CPU-s {m:7.1f} MB/CPU-s "
        f"({mine.units:.0f} traces, {result.total('requests')} requests, {mine.mb:.0f} MB in {mine.cpu_s:.2f} "
        f"CPU-s, lost {result.total('traces', 'failed') + result.total('traces', 'dropped')}; load {mine.load:.2f})",
        flush=True,
    )
    print(
        f"{'':<33} transport {tr:6.0f} req/CPU-s    {ts:9.0f} spans/CPU-s {tm:7.1f} MB/CPU-s "
        f"({limit.cpu_s:.2f} CPU-s whole process, {loop_cpu:.2f} in the send loop: "
        f"{limit.mb / max(loop_cpu, 1e-9):.0f} MB/CPU-s; {len(spans)} distinct bodies; load {limit.load:.2f}; "
        f"best of {len(tries)}: {', '.join(f'{t.per_cpu()[0]:.0f}' for t, _ in tries)} req/CPU-s)",
        flush=True,
    )
    share = f"share {100 * t / tr:5.1f} % by traces/requests, " if variant != "batch" else "share "
    print(
        f"{'':<33} {share}{100 * m / tm:5.1f} % by MB; rotel used {rotel_cpu:.2f} CPU-s for the project's "
        f"{mine.mb:.0f} MB ({1000 * rotel_cpu / max(mine.mb, 1e-9):.1f} CPU-ms/MB)",
        flush=True,
    )
    sr, _, sm = stdlib.per_cpu()
    print(
        f"{'':<33} (reference: http.client on one connection {sr:6.0f} req/CPU-s {sm:7.1f} MB/CPU-s; the project "
        f"reaches {100 * m / sm:.1f} % of it by MB; load {stdlib.load:.2f})",
        flush=True,
    )
    if variant == "trace" and ARGS.steady:
        steady(result, mix, extra, server)


def steady(long: Run, mix: str, extra: list[str], server: Rotel) -> None:
    """The start-up-free rate, as ``benchmarks/throughput.py`` measures it: long run minus short run."""
    short, figures = project(mix, extra, server.url, ARGS.short, ARGS.users)
    cpu = long.cpu_s - short.cpu_s
    traces = long.total("traces") - short.total("traces")
    spans = long.total("spans") - short.total("spans")
    mb = (long.total("bytes_sent") - short.total("bytes_sent")) / 1e6
    print(
        f"{'':<33} steady state ({ARGS.seconds:.0f} s run - {ARGS.short:.0f} s run): {traces / cpu:7.0f} "
        f"traces/CPU-s {spans / cpu:9.0f} spans/CPU-s {mb / cpu:7.1f} MB/CPU-s (short run: {short.cpu_s:.2f} "
        f"CPU-s; load {figures.load:.2f})",
        flush=True,
    )


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=sorted(WORKLOADS), action="append")
    parser.add_argument("--variant", choices=list(VARIANTS), action="append")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--short", type=float, default=6, help="seconds of the steady-state short run")
    parser.add_argument("--no-steady", dest="steady", action="store_false")
    parser.add_argument("--capture-seconds", type=float, default=8)
    parser.add_argument("--capture-mb", type=int, default=300, help="bodies kept for the replay, at most")
    parser.add_argument("--transport-repeat", type=int, default=3, help="transport-only runs; the fastest is the limit")
    parser.add_argument("--patience", type=float, default=180, help="seconds to wait for load < 1.5")
    return parser.parse_args()


def main() -> int:
    print(
        f"transport limit: {machine()}; {ARGS.users} users, --otel-pace 0, no compression, {ARGS.seconds:.0f} s runs",
        flush=True,
    )
    with rotel() as server:
        for name in ARGS.workload or list(WORKLOADS):
            for variant in ARGS.variant or list(VARIANTS):
                measure(name, variant, server)
    return 0


ARGS = parse() if __name__ == "__main__" else argparse.Namespace()

if __name__ == "__main__":
    sys.exit(main())
