"""``otel-locust-preview``: print one generated trace as a tree, to see what will be sent before sending it.

It renders the encoded request with the console transport's renderer, so it shows exactly what would be sent.
"""

from __future__ import annotations

import argparse
import random
import sys

from otel_locust.encoding.dialects import DIALECTS
from otel_locust.encoding.instrument import Instrumentation
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.export.console import render_body
from otel_locust.platforms import PLATFORMS
from otel_locust.plugin.options import ConfigError, pack_from, parse_dialects


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="otel-locust-preview", description=__doc__)
    parser.add_argument("scenario", nargs="?", default="", help="scenario name (default: list the scenarios)")
    parser.add_argument("--seed", type=int, default=1, help="content seed (default 1)")
    parser.add_argument("--scenarios", default="", help="scenario pack: dotted module path or directory")
    parser.add_argument("--dialects", default="genai", help="comma-separated dialects (default genai)")
    args = parser.parse_args(argv)
    try:
        pack = pack_from(args.scenarios)
        scenarios = pack.scenarios
    except ConfigError as exc:
        print(f"otel-locust-preview: {exc}", file=sys.stderr)
        return 2
    if args.scenario not in scenarios:
        if args.scenario:
            print(f"otel-locust-preview: unknown scenario {args.scenario!r}", file=sys.stderr)
        print("scenarios: " + ", ".join(f"{n} (weight {s.weight:g}: {s.description})" for n, s in scenarios.items()))
        return 2 if args.scenario else 0
    try:
        dialects = parse_dialects(args.dialects, PLATFORMS["otlp"])
    except ConfigError as exc:
        message = str(exc).replace("--otel-dialects", "--dialects")
        print(f"otel-locust-preview: {message}", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    planner = Planner(pools_for(pack.content, args.seed), rng)
    trace = planner.plan(scenarios[args.scenario], "conv-preview", "user-preview")
    instrumentation = Instrumentation([DIALECTS[d]() for d in dialects])
    body = instrumentation.requests(instrumentation.encode(trace))[0].body
    print("\n".join(render_body(body)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
