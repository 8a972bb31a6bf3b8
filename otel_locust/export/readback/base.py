"""What every read-back client shares: the answer of one look-up, a small HTTP helper, attribute probing.

A client answers one question: *what does the backend's read API show of trace X right now?* It never waits or
retries; the poller decides when to ask again. Answers:

* ``FOUND``: the trace is visible, with ``spans`` spans; ``probe_crc`` is the CRC-32 of the probe attribute
  (the trace's largest ``gen_ai.input.messages`` value) as stored, when the API shows it (None otherwise).
* ``MISSING``: the API says it does not have the trace (yet).
* ``THROTTLED``: the read API rate-limited us (429); ``retry_after`` seconds when it said so. Never loss.
* ``ERROR``: the read API failed (5xx, connection refused, unparseable answer); the poller retries.
"""

from __future__ import annotations

import base64
import enum
import json
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from otel_locust.export.retry import parse_retry_after

PROBE_KEY = "gen_ai.input.messages"


class State(enum.Enum):
    FOUND = "found"
    MISSING = "missing"
    THROTTLED = "throttled"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Lookup:
    """One read-API answer about one trace."""

    state: State
    spans: int = 0
    probe_crc: int | None = None
    retry_after: float | None = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class Probe:
    """What was sent: the trace id, its span count, and the probe attribute's span id, length and CRC-32."""

    trace_id: str  # 32 hex digits
    spans: int
    span_id: str = ""  # 16 hex digits; empty: the trace has no probe attribute
    length: int = 0
    crc: int = 0


class ReadClient(Protocol):
    """Looks up one trace in one backend's read API (blocking; called from a read-back greenlet)."""

    name: str

    def lookup(self, probe: Probe) -> Lookup: ...


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        return json.loads(self.body or b"null")


#: (method, url, headers, body) -> Response; replaced by canned answers in unit tests
Fetch = Callable[[str, str, Mapping[str, str], bytes | None], Response]


def urllib_fetch(timeout: float = 10.0) -> Fetch:
    """A blocking HTTP fetch on the standard library (cooperative under Locust's gevent monkey patching)."""

    def fetch(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Response:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return Response(answer.status, answer.read(), {k.lower(): v for k, v in answer.headers.items()})
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.read() or b"", {k.lower(): v for k, v in (exc.headers or {}).items()})

    return fetch


def classify(response: Response) -> Lookup | None:
    """The answer for statuses that say nothing about the trace itself (429, 5xx, other errors); None for 2xx."""
    if response.status == 429:
        return Lookup(
            State.THROTTLED,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            message="read API rate limit (429)",
        )
    if response.status >= 300:
        return Lookup(State.ERROR, message=f"read API answered {response.status}")
    return None


def guarded(call: Callable[[], Lookup]) -> Lookup:
    """Run a look-up; network failures and unexpected answers become ERROR (retried), never an exception."""
    try:
        return call()
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return Lookup(State.ERROR, message=f"{type(exc).__name__}: {exc}"[:200])


def crc_of(value: Any) -> int | None:
    """CRC-32 of an attribute value as the backend shows it: the string as sent. Backends that store attribute
    values JSON-encoded (a string inside quotes) are unwrapped once; structured values are not comparable."""
    if isinstance(value, str):
        if value.startswith('"'):
            try:
                decoded = json.loads(value)
            except ValueError:
                decoded = None
            if isinstance(decoded, str):
                value = decoded
        return zlib.crc32(value.encode())
    return None


def flat_get(attributes: Any, key: str) -> Any:
    """``key`` from attributes given flat (``{"a.b": v}``), nested (``{"a": {"b": v}}``) or as an OTLP/Jaeger list
    of ``{"key": k, "value": ...}``; None when absent."""
    if isinstance(attributes, list):
        for item in attributes:
            if isinstance(item, dict) and item.get("key") == key:
                return any_value(item.get("value"))
        return None
    if not isinstance(attributes, dict):
        return None
    if key in attributes:
        return attributes[key]
    head, _, rest = key.partition(".")
    return flat_get(attributes.get(head), rest) if rest and head in attributes else None


def any_value(value: Any) -> Any:
    """An OTLP JSON AnyValue (``{"stringValue": "x"}``) or a Jaeger tag value, as a plain value."""
    if isinstance(value, dict):
        for field in ("stringValue", "string_value"):
            if field in value:
                return value[field]
        return next(iter(value.values()), None) if len(value) == 1 else value
    return value


def hex_id(value: Any) -> str:
    """A span or trace id as lower-case hex, whether the API gave hex or (OTLP JSON) base64."""
    text = str(value or "")
    if len(text) in (16, 32) and all(c in "0123456789abcdefABCDEF" for c in text):
        return text.lower()
    try:
        return base64.b64decode(text, validate=True).hex()
    except ValueError:
        return text.lower()
