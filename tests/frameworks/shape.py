"""The structure of a capture, without values or sizes: what the ``frameworks`` test compares, and what a
generated ``--otel-framework`` profile can later be compared against.

Span names and attribute keys become patterns: ids in span names (CrewAI has used ``Crew_<uuid>.kickoff``) turn
into ``ID``, and list indices (``llm.input_messages.3.message.content``) turn into
``N``, so a conversation one turn longer keeps the same key set.
"""

from __future__ import annotations

import re
from typing import Any

_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)")


def key_pattern(key: str) -> str:
    return _INDEX.sub("N", key)


_NAME_ID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|(?<![\w.-])\d+(?![\w.-])")


def name_pattern(name: str) -> str:
    """Ids (uuids, standalone numbers) in a span name become ``ID``; model names such as gpt-4o stay as they are."""
    return _NAME_ID.sub("ID", name)


def span_type(span: dict[str, Any]) -> str:
    return f"{span['kind']} {name_pattern(span['name'])}"


def tree(capture: dict[str, Any]) -> list[tuple[str, int]]:
    """Each span's type and its parent's index (-1 for a root), in start order."""
    return [(span_type(s), s["parent"]) for s in capture["spans"]]


def attribute_keys(capture: dict[str, Any]) -> dict[str, list[str]]:
    """Per span type: the union of its attribute key patterns."""
    out: dict[str, set[str]] = {}
    for s in capture["spans"]:
        out.setdefault(span_type(s), set()).update(key_pattern(k) for k in s["attributes"])
    return {t: sorted(keys) for t, keys in sorted(out.items())}


def events(capture: dict[str, Any]) -> dict[str, list[str]]:
    """Per span type: the union of ``event-name: attribute-key`` patterns of its span events."""
    out: dict[str, set[str]] = {}
    for s in capture["spans"]:
        found = out.setdefault(span_type(s), set())
        for e in s["events"]:
            found.add(e["name"])
            found.update(f"{e['name']}: {key_pattern(k)}" for k in e["attributes"])
    return {t: sorted(v) for t, v in sorted(out.items()) if v}


def logs(capture: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...], bool, bool]]:
    """Each log record's event name, body type, attribute key patterns and trace/span correlation, sorted."""
    return sorted(
        (
            str(r["event_name"]),
            r["body_type"],
            tuple(sorted({key_pattern(k) for k in r["attributes"]})),
            r["has_trace_id"],
            r["has_span_id"],
        )
        for r in capture["logs"]
    )


def shape(capture: dict[str, Any]) -> dict[str, Any]:
    return {
        "tree": tree(capture),
        "attributes": attribute_keys(capture),
        "events": events(capture),
        "logs": logs(capture),
        "traces": capture["traces"],
    }
