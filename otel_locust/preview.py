"""``otel-locust-preview``: print one generated trace as a tree, to see what will be sent before sending it."""

from __future__ import annotations

import argparse
import random
import sys

from otel_locust.dialects import DIALECTS
from otel_locust.instrument import Instrumentation
from otel_locust.options import ConfigError, scenarios_from
from otel_locust.planner import Planner
from otel_locust.pools import pools_for
from otel_locust.trace import PlannedSpan, PlannedTrace

MS = 1_000_000


def span_label(span: PlannedSpan) -> str:
    if span.kind == "agent":
        return f"invoke_agent {span.agent.name}"
    if span.kind == "llm":
        return f"chat {span.model.name}"  # type: ignore[union-attr]
    if span.kind == "tool":
        return f"execute_tool {span.tool.name}"  # type: ignore[union-attr]
    return f"{span.http.method} {span.http.route}"  # type: ignore[union-attr]


def render_tree(trace: PlannedTrace, sizes: list[int]) -> list[str]:
    """Indented tree lines: name, start offset, duration, encoded size, and errors."""
    children: dict[int, list[int]] = {}
    for index, span in enumerate(trace.spans):
        children.setdefault(span.parent, []).append(index)
    total = sum(sizes)
    lines = [f"{trace.scenario.name}: {len(trace.spans)} spans, depth {trace.depth}, {total / 1000:.1f} KB OTLP"]
    width = 58

    def walk(index: int, prefix: str, last: bool, top: bool) -> None:
        span = trace.spans[index]
        branch = "" if top else ("└─ " if last else "├─ ")
        label = (prefix + branch + span_label(span))[:width]
        error = f"  ERROR {span.error}" if span.error else ""
        lines.append(f"{label:<{width}} {span.start / MS:>9.1f} ms {(span.end - span.start) / MS:>9.1f} ms "
                     f"{sizes[index] / 1000:>7.1f} KB{error}")
        kids = children.get(index, [])
        for position, child in enumerate(kids):
            walk(child, prefix + ("" if top else ("   " if last else "│  ")), position == len(kids) - 1, False)

    lines.append(f"{'span':<{width}} {'start':>12} {'duration':>12} {'size':>10}")
    walk(0, "", True, True)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="otel-locust-preview", description=__doc__)
    parser.add_argument("scenario", nargs="?", default="", help="scenario name (default: list the scenarios)")
    parser.add_argument("--seed", type=int, default=1, help="content seed (default 1)")
    parser.add_argument("--scenarios", default="", help="scenarios package directory")
    parser.add_argument("--dialects", default="genai", help="comma-separated dialects (default genai)")
    args = parser.parse_args(argv)
    try:
        scenarios = scenarios_from(args.scenarios)
    except ConfigError as exc:
        print(f"otel-locust-preview: {exc}", file=sys.stderr)
        return 2
    if args.scenario not in scenarios:
        if args.scenario:
            print(f"otel-locust-preview: unknown scenario {args.scenario!r}", file=sys.stderr)
        print("scenarios: " + ", ".join(f"{n} (weight {s.weight:g}: {s.description})" for n, s in scenarios.items()))
        return 2 if args.scenario else 0
    unknown = [d for d in args.dialects.split(",") if d not in DIALECTS]
    if unknown:
        print(f"otel-locust-preview: --dialects: unknown dialect {unknown[0]!r}", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    trace = Planner(pools_for(args.seed), rng).plan(scenarios[args.scenario], "conv-preview", "user-preview")
    instrumentation = Instrumentation([DIALECTS[d]() for d in args.dialects.split(",")])
    encoded = instrumentation.encode(trace)
    print("\n".join(render_tree(trace, encoded.sizes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
