"""How near the transport limit can this design come in Python at all (issue 13)? The fast path without Locust.

``transport_limit.py`` compares a Locust run with the transport-only client. This script removes everything
between the two that is not generation: no Locust, no gevent, no exporter, no accounting. In one process, against
one rotel collector (blackhole exporter), on one blocking keep-alive socket with ``replay.py``'s framing:

1. **generate and send**: ``--traces`` traces of the scenario made the way ``Runtime.emit`` makes them with trace
   delivery (``benchmarks/variety.py``'s loop: 16 users' sessions sharing one ``TemplatePool``, ``--otel-fresh``
   0.02 by default, so re-issued and fresh traces in the run's proportions, templates recorded as they come), each
   posted as soon as it is made, its answer read;
2. **generate only**: the same loop (same seed) without the socket;
3. **send only**: the first ``--keep`` bodies of step 2, posted cyclically as many times as step 1 posted (the
   transport-only client's loop, in the same process).

CPU is ``RUSAGE_SELF`` around each loop. The share is step 3's requests per CPU-s over step 1's: the best a
Locust process with this design could reach, since a run adds Locust's task loop, gevent and the exporter's
accounting to step 1. Figures only; nothing passes or fails.

    PYTHONPATH=. python benchmarks/ceiling.py
    PYTHONPATH=. python benchmarks/ceiling.py --scenario simple_query --traces 40000
"""

from __future__ import annotations

import argparse
import resource

from harness import machine, rotel, wait_quiet
from replay import Poster
from variety import bodies

from otel_locust.engine.pack import load_pack
from otel_locust.engine.pools import pools_for


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(scenario: str, traces: int, fresh: float, keep: int, port: int) -> dict[str, float]:
    pools_for(load_pack("").content, 7).complete()  # entries are made once per process: start-up, not per trace
    poster = Poster("127.0.0.1", port)
    sent = 0
    start = _cpu()
    for body in bodies(scenario, traces, fresh, 7, 16):
        poster.post(body)
        sent += len(body)
    both = _cpu() - start
    kept: list[bytes] = []
    start = _cpu()
    for body in bodies(scenario, traces, fresh, 7, 16):
        if len(kept) < keep:
            kept.append(body)
    generate = _cpu() - start
    start = _cpu()
    for index in range(traces):
        poster.post(kept[index % len(kept)])
    send = _cpu() - start
    return {"both": both, "generate": generate, "send": send, "bytes": sent, "refused": poster.refused}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="multi_service_complex")
    parser.add_argument("--traces", type=int, default=20_000)
    parser.add_argument("--fresh", type=float, default=0.02, help="--otel-fresh")
    parser.add_argument("--keep", type=int, default=1000, help="distinct bodies the send-only loop cycles through")
    args = parser.parse_args()
    print(f"ceiling: {machine()}; one blocking socket, no Locust, no gevent")
    load = wait_quiet()
    with rotel() as collector:
        figures = measure(args.scenario, args.traces, args.fresh, args.keep, collector.port)
    n, mb = args.traces, figures["bytes"] / 1e6
    print(
        f"{args.scenario}: {n} traces, {mb / n * 1000:.0f} KB each, --otel-fresh {args.fresh} (load {load:.2f}; "
        f"{figures['refused']} refused)\n"
        f"  generate and send {n / figures['both']:8.0f} traces/CPU-s  ({figures['both'] / n * 1e6:5.0f} us each)\n"
        f"  generate only     {n / figures['generate']:8.0f} traces/CPU-s  ({figures['generate'] / n * 1e6:5.0f} us)\n"
        f"  send only         {n / figures['send']:8.0f} requests/CPU-s ({figures['send'] / n * 1e6:5.0f} us)\n"
        f"  ceiling of this design in Python: {figures['send'] / figures['both']:.1%} of the transport limit"
    )


if __name__ == "__main__":
    main()
