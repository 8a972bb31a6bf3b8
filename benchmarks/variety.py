"""Variety on the fast path (issue 13): how many of N consecutive traces of a scenario differ in content?

Drives one user's conversations the way ``Runtime.emit`` does with trace delivery (a ``Session`` with the
process's ``TemplatePool``: recorded fresh conversations, replays re-issued with new ids, times, dates and tokens),
in this process and without a network, then decodes every trace with the official protobuf classes and counts:

* distinct (span structure, first user message, first tool result) combinations, as a share of the traces
  (span structure = each span's name and its parent's position; the first user message is the last user
  message of the first model call's input, the turn's question; the first tool result is the first
  ``execute_tool`` span's result);
* distinct span structures alone (how many fresh plans the run drew on);
* trace ids and span ids seen twice (there must be none);
* the shape distribution: p10, median and p90 of spans, depth and KB per trace, and of the gzip ratio (level 6,
  every 10th trace). With ``--compare`` the same run is made first with ``--fresh 1`` (every trace planned, the
  path before the fast path; same seed) and each figure's change is printed beside it.

    python benchmarks/variety.py                                   # multi_service_complex, 100,000 traces
    python benchmarks/variety.py --scenario simple_query --traces 20000 --compare
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import time
from collections import defaultdict
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otel_locust.encoding.dialects import GenAI
from otel_locust.encoding.instrument import Instrumentation
from otel_locust.encoding.reissue import token_pattern
from otel_locust.engine.pack import load_pack
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.plugin.replay import RecordedConversation, ReplayedConversation, TemplatePool, record_turn
from otel_locust.plugin.runtime import Session


def bodies(scenario_name: str, traces: int, fresh: float, seed: int, users: int):
    """Yield ``traces`` request bodies of one scenario from ``users`` sessions sharing one pool (round robin)."""
    pack = load_pack("")
    scenario = pack.scenarios[scenario_name]
    pools = pools_for(pack.content, seed)
    instrumentation = Instrumentation([GenAI()])
    tokens = token_pattern(pack.content.token_fields)
    pool = TemplatePool(fresh) if fresh < 1 else None
    sessions = []
    for number in range(users):
        rng = random.Random(f"{seed}:0:{number}")
        sessions.append(Session(Planner(pools, rng), rng, (1, 5), 0.0, pool))
    for index in range(traces):
        session = sessions[index % users]
        conversation = session.next_conversation(None, scenario.name)
        end_ns = time.time_ns()
        if isinstance(conversation, ReplayedConversation):
            template = conversation.template()
            issued = template.issue(session.rng, end_ns - template.root_end - template.base, conversation.stamp)
            conversation.finish_turn(session.rng)
            yield issued.body
            continue
        trace = session.planner.plan(scenario, conversation=conversation)
        encoded = instrumentation.encode(trace, end_ns)
        [request] = instrumentation.requests(encoded)
        if isinstance(conversation, RecordedConversation) and pool is not None:
            record_turn(pool, conversation, trace, encoded, request.body, end_ns - trace.spans[0].end, tokens)
        yield request.body


def depth(structure: tuple[tuple[str, int], ...]) -> int:
    """Levels of the span tree (a root alone is 1)."""
    levels: list[int] = []
    for _, parent in structure:
        levels.append(1 if parent < 0 else 0)
    for _ in range(len(structure)):  # parents may come after their children: settle until stable
        changed = False
        for index, (_, parent) in enumerate(structure):
            level = 1 if parent < 0 else levels[parent] + 1 if levels[parent] else 0
            if level != levels[index]:
                levels[index], changed = level, True
        if not changed:
            break
    return max(levels)


def signature(body: bytes) -> tuple[Any, str, str, list[bytes], bytes]:
    """(structure, first user message, first tool result, span ids, trace id) of one request body."""
    spans = [
        s for rs in ExportTraceServiceRequest.FromString(body).resource_spans for ss in rs.scope_spans for s in ss.spans
    ]
    position = {s.span_id: i for i, s in enumerate(spans)}
    structure = tuple((s.name, position.get(s.parent_span_id, -1)) for s in spans)
    question = result = ""
    for span in spans:
        if not question and span.name.startswith("chat "):
            attrs = {a.key: a.value.string_value for a in span.attributes}
            messages = json.loads(attrs.get("gen_ai.input.messages") or "[]")
            users = [m for m in messages if m.get("role") == "user"]
            question = json.dumps(users[-1]) if users else ""
        if not result and span.name.startswith("execute_tool "):
            attrs = {a.key: a.value.string_value for a in span.attributes}
            result = attrs.get("gen_ai.tool.call.result", "")
        if question and result:
            break
    return structure, question, result, [s.span_id for s in spans], spans[0].trace_id


def measure(scenario: str, traces: int, fresh: float, seed: int, users: int) -> dict[str, Any]:
    """Variety and shape figures of one run."""
    combos, structures, trace_ids, span_ids = set(), set(), set(), set()
    repeated_ids = 0
    shapes: dict[str, list[float]] = defaultdict(list)
    started = time.process_time()
    for index, body in enumerate(bodies(scenario, traces, fresh, seed, users)):
        structure, question, result, ids, trace_id = signature(body)
        combos.add(hash((structure, question, result)))
        structures.add(hash(structure))
        repeated_ids += trace_id in trace_ids
        trace_ids.add(trace_id)
        for span_id in ids:
            repeated_ids += (trace_id, span_id) in span_ids
            span_ids.add((trace_id, span_id))
        shapes["spans"].append(len(structure))
        shapes["depth"].append(depth(structure))
        shapes["KB"].append(len(body) / 1000)
        if index % 10 == 0:
            shapes["gzip ratio"].append(len(body) / len(gzip.compress(body, 6)))
    return {
        "distinct": len(combos) / traces,
        "structures": len(structures),
        "repeated_ids": repeated_ids,
        "cpu": time.process_time() - started,
        "shapes": {name: _deciles(values) for name, values in shapes.items()},
    }


def _deciles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=10)
    return cuts[0], statistics.median(values), cuts[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="multi_service_complex")
    parser.add_argument("--traces", type=int, default=100_000)
    parser.add_argument("--fresh", type=float, default=0.02, help="--otel-fresh")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--compare", action="store_true", help="also run with --fresh 1 and print the changes")
    args = parser.parse_args()
    before = measure(args.scenario, args.traces, 1.0, args.seed, args.users) if args.compare else None
    after = measure(args.scenario, args.traces, args.fresh, args.seed, args.users)
    print(
        f"{args.scenario}: {args.traces} traces, --otel-fresh {args.fresh}: "
        f"{after['distinct']:.1%} distinct (structure, first user message, first tool result); "
        f"{after['structures']} distinct structures; {after['repeated_ids']} repeated ids; {after['cpu']:.0f} CPU-s"
    )
    if before is not None:
        print(
            f"  with --otel-fresh 1: {before['distinct']:.1%} distinct, {before['structures']} distinct structures, "
            f"{before['repeated_ids']} repeated ids"
        )
    for name, (p10, median, p90) in after["shapes"].items():
        line = f"  {name:<10} p10 {p10:8.2f}  median {median:8.2f}  p90 {p90:8.2f}"
        if before is not None:
            b10, bmedian, b90 = before["shapes"][name]
            line += f"   fresh: {b10:8.2f} {bmedian:8.2f} {b90:8.2f}   change: " + "  ".join(
                f"{100 * (a / b - 1):+5.1f} %" for a, b in ((p10, b10), (median, bmedian), (p90, b90))
            )
        print(line)


if __name__ == "__main__":
    main()
