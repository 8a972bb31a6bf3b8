"""The console transport (``--otel-platform console``): prints each request's spans as a tree on stdout.

For debugging what would be sent: it decodes the very bytes another transport would put on the wire, so what
it shows is what a backend would get. Decoding uses the official ``opentelemetry-proto`` classes, imported only
here (importing protobuf into a Locust process slows everything else; console runs are not load tests).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Any, TextIO

from otel_locust.engine.planner import MS
from otel_locust.export.transport import Reply, Verdict

STATUS_ERROR = 2


class ConsoleTransport:
    """Every request succeeds; its spans are printed, one tree per trace."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out

    def wire(self, body: bytes) -> bytes:
        return body

    def post(self, wire: bytes) -> Reply:
        out = self._out or sys.stdout
        out.write("\n".join(render_body(wire)) + "\n\n")
        out.flush()
        return Reply(Verdict.OK, 200)

    def close(self) -> None:
        """Nothing to release."""


def render_body(body: bytes, width: int = 58) -> list[str]:
    """Indented tree lines per trace in an OTLP request body: name, start offset, duration, size, errors."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest.FromString(body)
    traces: dict[bytes, list[Any]] = defaultdict(list)
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                traces[span.trace_id].append(span)
    lines: list[str] = []
    for spans in traces.values():
        lines.extend(render_spans(spans, width))
    return lines


def render_spans(spans: list[Any], width: int = 58) -> list[str]:
    """One trace's decoded spans as a tree; spans whose parent is not among them are shown at the top."""
    ids = {span.span_id for span in spans}
    children: dict[bytes, list[Any]] = defaultdict(list)
    tops = []
    for span in spans:
        if span.parent_span_id and span.parent_span_id in ids:
            children[span.parent_span_id].append(span)
        else:
            tops.append(span)
    for kids in children.values():
        kids.sort(key=lambda s: s.start_time_unix_nano)
    start = min(span.start_time_unix_nano for span in spans)
    scenario = next((a.value.string_value for s in tops for a in s.attributes if a.key == "otel_locust.scenario"), "")
    total = sum(span.ByteSize() for span in spans)
    lines = [
        f"{scenario or 'trace ' + spans[0].trace_id.hex()}: {len(spans)} spans, {total / 1000:.1f} KB OTLP",
        f"{'span':<{width}} {'start':>12} {'duration':>12} {'size':>10}",
    ]

    def walk(span: Any, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        label = (prefix + branch + span.name)[:width]
        error = f"  ERROR {span.status.message}" if span.status.code == STATUS_ERROR else ""
        lines.append(
            f"{label:<{width}} {(span.start_time_unix_nano - start) / MS:>9.1f} ms "
            f"{(span.end_time_unix_nano - span.start_time_unix_nano) / MS:>9.1f} ms "
            f"{span.ByteSize() / 1000:>7.1f} KB{error}"
        )
        kids = children.get(span.span_id, [])
        for position, child in enumerate(kids):
            walk(child, prefix + ("" if top else ("   " if last else "│  ")), position == len(kids) - 1, False)

    for span in tops:
        walk(span, "", True, True)
    return lines
