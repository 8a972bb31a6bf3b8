"""Read-back (``--otel-readback``): did every accepted trace become queryable, whole, and how fast?

* **Which process polls:** the one that exported the trace: each worker polls its own traces (the local runner in
  a single-process run) and ships its read-back counters to the master in the same ``report_to_master`` delta as
  its trace counters; the master only adds them up. Poll traffic therefore scales with the workers, like load.
* **Accepted:** a trace is accepted when its last request is answered, i.e. when its TraceTicket settles. Read-back
  polls ``delivered`` traces and ``unconfirmed`` ones (a request timed out: the backend may have stored it), in the
  sample ``--otel-readback-sample`` (default 1.0 on sink/otlp/phoenix/mlflow, 0.05 on cloud presets).
* **Verdicts:** see :mod:`otel_locust.export.readback.stats`. Each resolved trace fires a Locust request event
  ``READBACK`` / scenario with the visibility latency, and an exception when missing or incomplete.
* **Stop:** pending look-ups get min(``--otel-readback-timeout``, 30 s) after the test stops, then count as
  ``pending_at_stop`` (not missing). A new test started from the web UI drops the old test's pending look-ups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from otel_locust.export.readback.base import Fetch, ReadClient, urllib_fetch
from otel_locust.export.readback.clients import (
    BraintrustClient,
    JaegerTempoClient,
    LangfuseClient,
    LangSmithClient,
    MlflowClient,
    PhoenixClient,
    SinkClient,
    _base,
)
from otel_locust.export.readback.poller import Pacing, ReadbackPoller
from otel_locust.export.readback.stats import ReadbackStats

STOP_WAIT_CAP = 30.0  # seconds pending look-ups get after the test stops (at most the read-back timeout)
CLOUD = frozenset({"braintrust", "langsmith", "langfuse"})
LOCAL_PACING = Pacing(concurrency=8, min_interval=0.25, max_interval=2.0)
CLOUD_PACING = Pacing(concurrency=2, min_interval=1.0, max_interval=15.0)
OTLP_PATH = "/v1/traces"


def default_sample(platform: str) -> float:
    """Everything on local backends; 5 % on cloud services (their read APIs are rate-limited per key)."""
    return 0.05 if platform in CLOUD else 1.0


def stop_wait(timeout: float) -> float:
    return min(timeout, STOP_WAIT_CAP)


def client_for(
    platform: str, endpoint: str, headers: dict[str, str], readback_url: str = "", fetch: Fetch | None = None
) -> ReadClient:
    """The read-API client for a platform. ``readback_url`` overrides the read API's base URL (required for
    ``otlp``: the Jaeger or Tempo query URL); otherwise it is derived from the ingest endpoint."""
    fetch = fetch or urllib_fetch()
    auth = {k: v for k, v in headers.items() if k.lower() in ("authorization", "x-api-key")}
    if platform == "sink":
        return SinkClient(readback_url or _base(endpoint, OTLP_PATH), {}, fetch)
    if platform == "otlp":
        return JaegerTempoClient(readback_url, auth, fetch)
    if platform == "mlflow":
        return MlflowClient(readback_url or _base(endpoint, OTLP_PATH), auth, fetch)
    if platform == "phoenix":
        project = next((v for k, v in headers.items() if k.lower() == "x-project-name"), "default")
        return PhoenixClient(readback_url or _base(endpoint, OTLP_PATH), auth, fetch, project)
    if platform == "langfuse":
        return LangfuseClient(readback_url or _base(endpoint, "/api/public/otel/v1/traces"), auth, fetch)
    if platform == "langsmith":
        return LangSmithClient(readback_url or _base(endpoint, "/otel/v1/traces"), auth, fetch)
    if platform == "braintrust":
        parent = next((v for k, v in headers.items() if k.lower() == "x-bt-parent"), "")
        return BraintrustClient(readback_url or _base(endpoint, "/otel/v1/traces"), auth, fetch, parent)
    raise ValueError(f"the {platform} platform has no read API")


def poller_for(
    platform: str,
    endpoint: str,
    headers: dict[str, str],
    readback_url: str,
    sample: float,
    timeout: float,
    stats: ReadbackStats,
    fire: Callable[..., Any],
) -> ReadbackPoller:
    pacing = CLOUD_PACING if platform in CLOUD else LOCAL_PACING
    client = client_for(platform, endpoint, headers, readback_url)
    return ReadbackPoller(client, stats, fire, sample, timeout, pacing)


__all__ = ["ReadbackPoller", "ReadbackStats", "client_for", "default_sample", "poller_for", "stop_wait"]
