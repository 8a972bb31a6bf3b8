"""Read-API clients, one per backend: look up one trace by its OTLP trace id.

Each maps the OTLP ids to the backend's own (MLflow ``tr-<hex>``; LangSmith UUIDs) and counts the spans the read
API shows. Where the API shows the probe attribute as sent (a string, or a structure that re-serialises to the
same compact JSON), its CRC-32 is compared with the one computed at send time to catch truncated attributes;
where it does not (Langfuse, LangSmith and Braintrust map the message attributes into their own fields), only
span counts are compared and ``probe_crc`` stays None.
"""

from __future__ import annotations

import json
import urllib.parse
import zlib
from collections.abc import Mapping
from typing import Any

from otel_locust.export.readback.base import (
    PROBE_KEY,
    Fetch,
    Lookup,
    Probe,
    State,
    classify,
    crc_of,
    flat_get,
    guarded,
    hex_id,
)

JSON = {"Content-Type": "application/json", "Accept": "application/json"}


def _base(url: str, *suffixes: str) -> str:
    """A read API's base: the ingest URL without its OTLP path (and without a trailing slash)."""
    url = url.rstrip("/")
    for suffix in suffixes:
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def _found(spans: int, crc: int | None) -> Lookup:
    return Lookup(State.FOUND, spans=spans, probe_crc=crc) if spans else Lookup(State.MISSING)


class _Client:
    name = "base"

    def __init__(self, base: str, headers: Mapping[str, str], fetch: Fetch) -> None:
        self.base = base.rstrip("/")
        self.headers = {**JSON, **headers}
        self.fetch = fetch

    def lookup(self, probe: Probe) -> Lookup:
        return guarded(lambda: self._lookup(probe))

    def _lookup(self, probe: Probe) -> Lookup:
        raise NotImplementedError

    def _get(self, path: str) -> Any:
        return self.fetch("GET", self.base + path, self.headers, None)

    def _post(self, path: str, body: Any) -> Any:
        return self.fetch("POST", self.base + path, self.headers, json.dumps(body).encode())


def _trouble(response: Any) -> Lookup | None:
    """Missing on 404; throttled or an error as ``classify`` says; None when the answer can be read."""
    return Lookup(State.MISSING) if response.status == 404 else classify(response)


class SinkClient(_Client):
    """The embedded or standalone sink: ``GET /traces/{hex}`` (its bounded record of recent traces)."""

    name = "sink"

    def _lookup(self, probe: Probe) -> Lookup:
        response = self._get(f"/traces/{probe.trace_id}")
        trouble = _trouble(response)
        if trouble:
            return trouble
        data = response.json()
        found = data.get("probe") or {}
        crc = found.get("crc32") if found.get("span_id") == probe.span_id else None
        return _found(int(data.get("spans", 0)), crc)


def _plain(value: Any) -> Any:
    """An OTLP JSON AnyValue (proto field names, as MLflow returns them) as a plain Python value."""
    if not isinstance(value, dict):
        return value
    if "array_value" in value:
        return [_plain(v) for v in value["array_value"].get("values", [])]
    if "kvlist_value" in value:
        return {kv["key"]: _plain(kv.get("value", {})) for kv in value["kvlist_value"].get("values", [])}
    if "int_value" in value:
        return int(value["int_value"])
    for field in ("string_value", "bool_value", "double_value", "bytes_value"):
        if field in value:
            return value[field]
    return None


def _structured_crc(value: Any) -> int | None:
    """CRC-32 of a value the backend parsed from our JSON string: re-serialised compactly, as it was sent."""
    if isinstance(value, str):
        return crc_of(value)
    if isinstance(value, list | dict):
        return zlib.crc32(json.dumps(value, separators=(",", ":")).encode())
    return None


class MlflowClient(_Client):
    """MLflow's trace REST API: ``GET /api/3.0/mlflow/traces/batchGet?trace_ids=tr-<hex>``.

    MLflow's trace id is ``tr-`` + the OTLP trace id in hex; spans come back as OTLP JSON with base64 ids, and it
    parses JSON-string attributes into structures (compared after compact re-serialisation).
    """

    name = "mlflow"

    def _lookup(self, probe: Probe) -> Lookup:
        response = self._get(f"/api/3.0/mlflow/traces/batchGet?trace_ids=tr-{probe.trace_id}")
        trouble = _trouble(response)
        if trouble:
            return trouble
        traces = response.json().get("traces") or []
        spans = (traces[0].get("spans") or []) if traces else []
        crc = None
        for span in spans:
            if probe.span_id and hex_id(span.get("span_id")) == probe.span_id:
                for attr in span.get("attributes") or []:
                    if attr.get("key") == PROBE_KEY:
                        crc = _structured_crc(_plain(attr.get("value")))
        return _found(len(spans), crc)


class PhoenixClient(_Client):
    """Arize Phoenix REST: ``GET /v1/projects/{project}/spans?trace_id=<hex>`` (flat attributes, hex ids).

    An unknown project answers 404: nothing of ours arrived yet, so MISSING. Phoenix stores asynchronously; the
    poller keeps asking until the trace is complete or the timeout passes.
    """

    name = "phoenix"

    def __init__(self, base: str, headers: Mapping[str, str], fetch: Fetch, project: str = "default") -> None:
        super().__init__(base, headers, fetch)
        self.project = urllib.parse.quote(project or "default", safe="")

    def _lookup(self, probe: Probe) -> Lookup:
        spans: list[dict[str, Any]] = []
        cursor = ""
        while True:
            page = f"&cursor={urllib.parse.quote(cursor)}" if cursor else ""
            response = self._get(f"/v1/projects/{self.project}/spans?trace_id={probe.trace_id}&limit=1000{page}")
            if response.status == 404:
                return Lookup(State.MISSING)
            trouble = classify(response)
            if trouble:
                return trouble
            data = response.json()
            spans += data.get("data") or []
            cursor = data.get("next_cursor") or ""
            if not cursor:
                break
        crc = None
        for span in spans:
            if probe.span_id and (span.get("context") or {}).get("span_id") == probe.span_id:
                crc = _structured_crc(flat_get(span.get("attributes"), PROBE_KEY))
        return _found(len(spans), crc)


class JaegerTempoClient(_Client):
    """Jaeger query (``/api/traces/{id}``: ``{"data": [{"spans": [...]}]}``, tags) or Grafana Tempo
    (``/api/traces/{id}``: OTLP JSON ``{"batches": [...]}``, or ``{"trace": {"resourceSpans": [...]}}`` on v2),
    told apart by the answer's shape. Both answer 404 for an unknown trace."""

    name = "jaeger/tempo"

    def _lookup(self, probe: Probe) -> Lookup:
        response = self._get(f"/api/traces/{probe.trace_id}")
        trouble = _trouble(response)
        if trouble:
            return trouble
        spans = list(_jaeger_or_otlp_spans(response.json()))
        crc = None
        for span_id, attributes in spans:
            if probe.span_id and span_id == probe.span_id:
                crc = crc_of(flat_get(attributes, PROBE_KEY))
        return _found(len(spans), crc)


def _jaeger_or_otlp_spans(data: Any) -> Any:
    """(hex span id, attributes) of every span in a Jaeger or Tempo trace answer."""
    if isinstance(data, dict) and "data" in data:
        for trace in data.get("data") or []:
            for span in trace.get("spans") or []:
                yield hex_id(span.get("spanID")), span.get("tags") or []
        return
    if isinstance(data, dict) and "trace" in data:
        data = data["trace"]
    for batch in (data or {}).get("batches") or (data or {}).get("resourceSpans") or []:
        for scope in batch.get("scopeSpans") or batch.get("instrumentationLibrarySpans") or []:
            for span in scope.get("spans") or []:
                yield hex_id(span.get("spanId")), span.get("attributes") or []


class LangfuseClient(_Client):
    """Langfuse public API: ``GET /api/public/traces/{hex}``; its ``observations`` are our spans (OTel-ingested
    trace and observation ids are the OTLP hex ids). Counts only: Langfuse maps messages into its own fields."""

    name = "langfuse"

    def _lookup(self, probe: Probe) -> Lookup:
        response = self._get(f"/api/public/traces/{probe.trace_id}")
        trouble = _trouble(response)
        if trouble:
            return trouble
        return _found(len(response.json().get("observations") or []), None)


def langsmith_uuid(trace_id: str) -> str:
    """LangSmith's trace UUID for an OTLP trace id: the same 16 bytes, UUID-formatted (langsmith SDK
    ``getUuidFromOtelTraceId``)."""
    t = trace_id
    return f"{t[:8]}-{t[8:12]}-{t[12:16]}-{t[16:20]}-{t[20:32]}"


class LangSmithClient(_Client):
    """LangSmith: ``POST /api/v1/runs/query`` with ``{"trace": <uuid>}``, paginated by ``cursors.next``; each run is
    one of our spans. Per-key rate limits answer 429 (slows read-back, never loss). Counts only."""

    name = "langsmith"

    def _lookup(self, probe: Probe) -> Lookup:
        body: dict[str, Any] = {"trace": langsmith_uuid(probe.trace_id), "select": ["id"], "limit": 100}
        runs = 0
        while True:
            response = self._post("/api/v1/runs/query", body)
            if response.status == 404:
                return Lookup(State.MISSING)
            trouble = classify(response)
            if trouble:
                return trouble
            data = response.json()
            runs += len(data.get("runs") or [])
            cursor = (data.get("cursors") or {}).get("next")
            if not cursor:
                return _found(runs, None)
            body["cursor"] = cursor


class BraintrustClient(_Client):
    """Braintrust: BTQL (``POST /btql``) over the project's logs, rows whose ``root_span_id`` is the trace id
    (OTel-ingested spans keep the OTLP hex ids). The project id comes from ``x-bt-parent``: ``project_id:ID``
    directly, ``project_name:NAME`` resolved once through ``GET /v1/project?project_name=``. Counts only."""

    name = "braintrust"

    def __init__(self, base: str, headers: Mapping[str, str], fetch: Fetch, parent: str = "") -> None:
        super().__init__(base, headers, fetch)
        kind, _, value = parent.partition(":")
        self.project_id = value if kind == "project_id" else ""
        self.project_name = value if kind == "project_name" else ""

    def _project(self) -> str:
        if not self.project_id and self.project_name:
            response = self._get("/v1/project?project_name=" + urllib.parse.quote(self.project_name))
            if response.status < 300:
                objects = response.json().get("objects") or []
                self.project_id = objects[0]["id"] if objects else ""
        return self.project_id

    def _lookup(self, probe: Probe) -> Lookup:
        project = self._project()
        if not project:
            return Lookup(State.ERROR, message="Braintrust project not found (x-bt-parent)")
        query = (
            f"select: id | from: project_logs('{project}') | filter: root_span_id = '{probe.trace_id}' | limit: 1000"
        )
        response = self._post("/btql", {"query": query, "fmt": "json"})
        trouble = classify(response)
        if trouble:
            return trouble
        return _found(len(response.json().get("data") or []), None)
