"""Shared by the capture scripts: private in-memory OTel pipelines, the fixed travel question, and the
normalizer that turns what a framework emitted into the committed JSON (structure and sizes, not text).

Each capture script runs in its framework's own virtualenv (see ``tests/frameworks/venvs.py``) and imports this
module from its own folder; it needs nothing beyond ``opentelemetry-sdk`` (and ``httpx`` for the fake OpenAI API).
"""

from __future__ import annotations

import json
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

# The scripts are named after their frameworks (langgraph.py, strands.py, ...): take this folder off the import
# path once this module is loaded, so that ``import langgraph`` finds the package, not the script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

SYSTEM_PROMPT = (
    "You are a travel assistant. Use the tools to look up flights and answer briefly, quoting the cheapest fare."
)
QUESTION = "Find me a flight from Paris to Tokyo next Friday."
TOOL_NAME = "search_flights"
TOOL_DESCRIPTION = "Search flights between two airports."
TOOL_ARGS = {"origin": "CDG", "destination": "HND"}
TOOL_RESULT = {
    "flights": [
        {"flight": "AF272", "depart": "2026-11-13T13:30", "price_eur": 912},
        {"flight": "JL46", "depart": "2026-11-13T19:05", "price_eur": 874},
    ]
}
SUB_AGENT_QUESTION = "Is AF272 a direct flight?"
SUB_AGENT_ANSWER = "Yes, AF272 is a direct flight from CDG to HND."
FINAL_ANSWER = "The cheapest flight is JL46 on Friday at 19:05 for 874 EUR."
MODEL = "gpt-4o-mini"


def search_flights_result(origin: str, destination: str) -> str:
    return json.dumps(TOOL_RESULT)


class Pipelines:
    """A private TracerProvider with an in-memory exporter, and a LoggerProvider with one for logs."""

    def __init__(self, set_global: bool = False) -> None:
        # Whatever the framework prints goes to stderr: stdout carries the capture's JSON alone.
        self._stdout = sys.stdout
        sys.stdout = sys.stderr
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.logs: Any = None
        self.logger_provider: Any = None
        try:
            from opentelemetry.sdk._logs import LoggerProvider
            from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

            try:
                from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter as LogExporter
            except ImportError:  # older SDKs
                from opentelemetry.sdk._logs.export import InMemoryLogExporter as LogExporter
            self.logs = LogExporter()
            self.logger_provider = LoggerProvider()
            self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.logs))
        except ImportError:
            pass
        if set_global:
            # Frameworks that read the global providers: this process is the capture's alone.
            from opentelemetry import trace

            trace.set_tracer_provider(self.tracer_provider)
            if self.logger_provider is not None:
                from opentelemetry import _logs

                _logs.set_logger_provider(self.logger_provider)
                try:
                    from opentelemetry import _events
                    from opentelemetry.sdk._events import EventLoggerProvider

                    _events.set_event_logger_provider(EventLoggerProvider(self.logger_provider))
                except ImportError:
                    pass

    def finish(self, framework: str, packages: list[str], notes: list[str], settings: dict[str, Any]) -> None:
        self.tracer_provider.force_flush()
        if self.logger_provider is not None:
            self.logger_provider.force_flush()
        spans = list(self.spans.get_finished_spans())
        logs = list(self.logs.get_finished_logs()) if self.logs is not None else []
        out = normalize(framework, packages, spans, logs, notes, settings)
        self._stdout.write(json.dumps(out, indent=2, sort_keys=True) + "\n")
        self._stdout.flush()


# Keys whose string values carry message content, tool arguments/results or request/response bodies: keep a
# short example so the format (JSON parts, OpenAI messages, flattened) stays visible. Ids are left out.
_CONTENT = re.compile(
    r"(input|output|message|content|prompt|completion|instruction|argument|result|request|"
    r"response|tool|choice|messages|parts|body|text|query|answer|task|description|goal|backstory|metadata|"
    r"parameters|schema)",
    re.IGNORECASE,
)
_NOT_CONTENT = re.compile(r"(\.id|_id|\.ids|_ids|\.name|_name|\.count|tokens|\.type|_type|\.role|finish_reason)$")
EXAMPLE_CHARS = 200


def _value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes):
        return "bytes"
    if isinstance(value, dict) or hasattr(value, "items"):
        return "map"
    if isinstance(value, (list, tuple)):
        inner = sorted({_value_type(v) for v in value})
        return f"array<{'|'.join(inner) or 'empty'}>"
    if value is None:
        return "null"
    return type(value).__name__


def _size(value: Any) -> int:
    """Bytes the value takes as OTLP payload data (strings as UTF-8, numbers 8, bools 1)."""
    if isinstance(value, bool):
        return 1
    if isinstance(value, (int, float)):
        return 8
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, dict) or hasattr(value, "items"):
        return sum(len(str(k).encode()) + _size(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    return len(str(value).encode()) if value is not None else 0


def _example(key: str, value: Any) -> str | None:
    if not _CONTENT.search(key) or _NOT_CONTENT.search(key):
        return None
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        value = json.dumps(list(value))
    if isinstance(value, (dict,)) or hasattr(value, "items"):
        value = json.dumps(dict(value), default=str)
    if not isinstance(value, str):
        return None
    return value[:EXAMPLE_CHARS]


def describe_attributes(attributes: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, value in (attributes or {}).items():
        entry: dict[str, Any] = {"type": _value_type(value), "size": _size(value)}
        example = _example(key, value)
        if example is not None:
            entry["example"] = example
        out[key] = entry
    return out


def _kind(span: ReadableSpan) -> str:
    return span.kind.name if span.kind is not None else "INTERNAL"


def normalize(
    framework: str,
    packages: list[str],
    spans: list[ReadableSpan],
    logs: list[Any],
    notes: list[str],
    settings: dict[str, Any],
) -> dict[str, Any]:
    spans = sorted(spans, key=lambda s: (s.start_time or 0, s.end_time or 0))
    index = {(s.context.trace_id, s.context.span_id): i for i, s in enumerate(spans)}
    trace_ids = sorted({s.context.trace_id for s in spans})
    out_spans = []
    for span in spans:
        parent = -1
        if span.parent is not None:
            parent = index.get((span.parent.trace_id, span.parent.span_id), -2)  # -2: parent not exported
        out_spans.append(
            {
                "name": span.name,
                "kind": _kind(span),
                "parent": parent,
                "trace": trace_ids.index(span.context.trace_id),
                "scope": span.instrumentation_scope.name if span.instrumentation_scope else "",
                "status": span.status.status_code.name,
                "attributes": describe_attributes(span.attributes),
                "events": [{"name": e.name, "attributes": describe_attributes(e.attributes)} for e in span.events],
                "links": len(span.links or ()),
            }
        )
    out_logs = []
    for item in logs:
        record = getattr(item, "log_record", item)
        body = record.body
        entry: dict[str, Any] = {
            "event_name": getattr(record, "event_name", None) or (record.attributes or {}).get("event.name"),
            "body_type": _value_type(body),
            "body_size": _size(body),
            "attributes": describe_attributes(record.attributes),
            "severity": record.severity_text or (record.severity_number.name if record.severity_number else None),
            "has_trace_id": bool(record.trace_id),
            "has_span_id": bool(record.span_id),
            "scope": getattr(getattr(item, "instrumentation_scope", None), "name", None),
        }
        if isinstance(body, (str, dict, list)) or hasattr(body, "items"):
            text = body if isinstance(body, str) else json.dumps(body, default=str)
            entry["body_example"] = text[:EXAMPLE_CHARS]
        if record.span_id:
            for i, span in enumerate(spans):
                if span.context.span_id == record.span_id:
                    entry["span"] = i
        out_logs.append(entry)
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "framework": framework,
        "versions": versions,
        "python": sys.version.split()[0],
        "notes": notes,
        "settings": settings,
        "traces": len(trace_ids),
        "spans": out_spans,
        "logs": out_logs,
    }


# ---- a fake OpenAI API, for frameworks whose model spans come from the real OpenAI client classes ----------


def openai_usage(prompt: int, completion: int, responses: bool) -> dict[str, Any]:
    if responses:
        return {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": completion,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + completion,
        }
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
