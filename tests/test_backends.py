"""Real backends: MLflow and Arize Phoenix read back exactly what was delivered; rotel as a collector hop.

Slow (installs and starts real servers), so behind the ``backend`` marker; ``.ci/run`` runs them after the
default suite. Backends come from ``.ci/install-backends``.
"""

from __future__ import annotations

import json
import random
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from otel_locust.encoding.dialects import GenAI
from otel_locust.encoding.instrument import Instrumentation
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.scenarios import CONTENT as TRAVEL

from .backends import MLflow, Phoenix, Server, executable, free_port, wait_until
from .helpers import run_locust, summary

pytestmark = pytest.mark.backend


@pytest.fixture(scope="module")
def mlflow(tmp_path_factory, scenarios):
    backend = MLflow(tmp_path_factory.mktemp("mlflow"))
    # the first OTLP request after start takes several seconds (lazy imports): pay it before measuring
    warmup = backend.experiment("warmup")
    instrumentation = Instrumentation([GenAI()])
    trace = Planner(pools_for(TRAVEL, 1), random.Random(1)).plan(scenarios["simple_query"], "c", "u")
    body = instrumentation.requests(instrumentation.encode(trace))[0].body
    request = urllib.request.Request(
        backend.traces_url,
        data=body,
        headers={"Content-Type": "application/x-protobuf", "x-mlflow-experiment-id": warmup},
    )
    urllib.request.urlopen(request, timeout=120).close()
    yield backend
    backend.server.stop()


def _run(tmp_path: Path, args: list[str]) -> dict:
    result = run_locust(
        ["--headless", "-r", "10", "--otel-timeout", "60", "--otel-summary", "summary.json", *args],
        tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return summary(tmp_path / "summary.json")


def test_mlflow_stores_every_delivered_span_with_usage_and_sessions(mlflow, tmp_path):
    experiment = mlflow.experiment("load")
    started = time.monotonic()
    data = _run(
        tmp_path,
        [
            "-u",
            "4",
            "-t",
            "10s",
            "--otel-pace",
            "0.3",
            "--otel-platform",
            "mlflow",
            "--otel-endpoint",
            mlflow.traces_url,
            "--otel-project",
            experiment,
        ],
    )
    traces, spans = data["total"]["traces"], data["total"]["spans"]
    # MLflow on a cold, busy machine answers in seconds: how many traces fit is its speed, not ours
    assert traces["delivered"] == traces["generated"] >= 8 and spans["failed"] == spans["dropped"] == 0
    assert mlflow.count(experiment, "SPANS") == spans["delivered"]
    assert mlflow.count(experiment, "TRACES") == traces["delivered"]
    print(
        f"mlflow: {traces['delivered']} traces / {spans['delivered']} spans stored, "
        f"{time.monotonic() - started:.1f} s including the run"
    )
    infos = mlflow.trace_infos(experiment)
    assert len(infos) == traces["delivered"]
    usage = [json.loads(i["trace_metadata"]["mlflow.trace.tokenUsage"]) for i in infos]
    assert all(u["input_tokens"] > 0 and u["output_tokens"] > 0 for u in usage), "token usage on every trace"
    sessions = Counter(i["trace_metadata"]["mlflow.trace.session"] for i in infos)
    assert max(sessions.values()) >= 2, "a multi-turn user's traces share a session"
    assert all(i["trace_metadata"].get("mlflow.trace.user", "").startswith("user_") for i in infos)


def test_mlflow_accepts_traces_split_under_a_request_limit(mlflow, tmp_path):
    experiment = mlflow.experiment("split")
    data = _run(
        tmp_path,
        [
            "-u",
            "2",
            "-t",
            "5s",
            "--otel-pace",
            "0.5",
            "--otel-platform",
            "mlflow",
            "--otel-endpoint",
            mlflow.traces_url,
            "--otel-project",
            experiment,
            "--otel-mix",
            "delegated_booking=1,multi_service_complex=1",
            "--otel-max-request-mb",
            "0.05",
        ],
    )
    total = data["total"]
    assert total["requests"] > 2 * total["traces"]["delivered"] > 0, "traces were split over several requests"
    assert total["traces"]["delivered"] == total["traces"]["generated"], "yet each trace is counted once"
    assert mlflow.count(experiment, "TRACES") == total["traces"]["delivered"]
    assert mlflow.count(experiment, "SPANS") == total["spans"]["delivered"]


def test_rotel_collector_hop_to_mlflow_loses_nothing(mlflow, tmp_path):
    experiment = mlflow.experiment("via-rotel")
    port = free_port()
    agent = executable("rotel", "lib/python3.11/site-packages/rotel/rotel-agent")
    rotel = Server(
        [
            str(agent),
            "start",
            "--otlp-http-endpoint",
            f"127.0.0.1:{port}",
            "--otlp-grpc-endpoint",
            f"127.0.0.1:{free_port()}",
            "--exporter",
            "otlp",
            "--otlp-exporter-protocol",
            "http",
            "--otlp-exporter-endpoint",
            mlflow.base,
            "--otlp-exporter-custom-headers",
            f"x-mlflow-experiment-id={experiment}",
            "--otlp-exporter-request-timeout",
            "30s",
        ],
        tmp_path / "rotel.log",
    )
    try:
        wait_until(lambda: _listening(port), 20, what="rotel to listen")
        data = _run(
            tmp_path,
            [
                "-u",
                "4",
                "-t",
                "6s",
                "--otel-pace",
                "0.2",
                "--otel-platform",
                "otlp",
                "--otel-endpoint",
                f"http://127.0.0.1:{port}/v1/traces",
                "--otel-dialects",
                "genai,mlflow",
            ],
        )
        spans = data["total"]["spans"]["delivered"]
        assert spans > 200 and data["total"]["traces"]["failed"] == 0
        started = time.monotonic()
        wait_until(lambda: mlflow.count(experiment, "SPANS") == spans, 120, 1.0, "MLflow to hold every span")
        assert mlflow.count(experiment, "TRACES") == data["total"]["traces"]["delivered"]
        print(f"rotel -> mlflow: {spans} spans arrived, settled {time.monotonic() - started:.1f} s after the run")
    finally:
        rotel.stop()


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory):
    backend = Phoenix(tmp_path_factory.mktemp("phoenix"))
    yield backend
    backend.server.stop()


def _phoenix_run(phoenix: Phoenix, tmp_path: Path, project: str, users: int, seconds: int, mix: str) -> tuple:
    """A run into Phoenix's ``project``: every generated trace delivered, then stored (Phoenix stores
    asynchronously). Returns the delivered trace and span counts and the stored spans."""
    data = _run(
        tmp_path,
        [
            "-u",
            str(users),
            "-t",
            f"{seconds}s",
            "--otel-pace",
            "0.5",
            "--otel-platform",
            "phoenix",
            "--otel-endpoint",
            phoenix.traces_url,
            "--otel-project",
            project,
            "--otel-mix",
            mix,
        ],
    )
    traces, spans = data["total"]["traces"]["delivered"], data["total"]["spans"]["delivered"]
    # Phoenix on a cold, busy machine is slower: how many traces fit is its speed, not ours
    assert traces == data["total"]["traces"]["generated"] >= 2 * users
    started = time.monotonic()
    wait_until(lambda: phoenix.counts(project) == (traces, spans), 180, 1.0, "Phoenix to store every span")
    print(f"phoenix {mix}: {traces} traces / {spans} spans stored, settled {time.monotonic() - started:.1f} s after")
    return traces, spans, phoenix.spans(project)


def test_phoenix_stores_every_span_with_kinds_and_sessions(phoenix, tmp_path):
    _, _, stored = _phoenix_run(phoenix, tmp_path, "otel-locust-e2e", 3, 6, "simple_query=2,single_service_search=1")
    kinds = Counter(s["span_kind"] for s in stored)
    assert {"LLM", "TOOL", "AGENT"} <= set(kinds), kinds
    by_session: dict[str, set[str]] = {}
    for span in stored:
        session = span["attributes"].get("session.id")
        if session:
            by_session.setdefault(session, set()).add(span["context"]["trace_id"])
    assert max(len(t) for t in by_session.values()) >= 2, "a multi-turn user's traces share a session"


def test_phoenix_shows_the_rag_scenario_with_retriever_embedding_and_reranker_kinds(phoenix, tmp_path):
    """destination_guide (retrieval-augmented): Phoenix reads its embeddings, retrieval and rerank spans as
    OpenInference's EMBEDDING, RETRIEVER and RERANKER kinds, beside LLM, AGENT and GUARDRAIL."""
    traces, _, stored = _phoenix_run(phoenix, tmp_path, "otel-locust-rag", 2, 4, "destination_guide=1")
    kinds = Counter(s["span_kind"] for s in stored)
    print(f"phoenix destination_guide kinds: {dict(sorted(kinds.items()))}")
    assert {"RETRIEVER", "EMBEDDING", "RERANKER", "LLM", "AGENT", "GUARDRAIL"} <= set(kinds), kinds
    assert kinds["RETRIEVER"] >= traces, "every RAG answer retrieves"


def _mlflow_stored_all(mlflow: MLflow, experiment: str, data: dict, label: str, wait: float) -> None:
    """Every generated trace was delivered, and MLflow stored exactly the delivered traces and spans."""
    traces, spans = data["total"]["traces"], data["total"]["spans"]
    assert traces["delivered"] == traces["generated"] > 0
    wait_until(lambda: mlflow.count(experiment, "SPANS") == spans["delivered"], wait, 1.0, "MLflow to store the spans")
    assert mlflow.count(experiment, "TRACES") == traces["delivered"]
    print(
        f"mlflow {label}: {traces['delivered']} traces / {spans['delivered']} spans / "
        f"{data['total']['bytes_sent'] / 1e6:.1f} MB stored = delivered"
    )


def _phoenix_stored_all(phoenix: Phoenix, project: str, data: dict, label: str, poll: float, wait: float = 180) -> None:
    """Every generated trace was delivered, and Phoenix stored exactly the delivered traces and spans."""
    traces, spans = data["total"]["traces"]["delivered"], data["total"]["spans"]["delivered"]
    assert traces == data["total"]["traces"]["generated"] > 0
    wait_until(lambda: phoenix.counts(project) == (traces, spans), wait, poll, "Phoenix to store every span")
    print(f"phoenix {label}: {traces} traces / {spans} spans / {data['total']['bytes_sent'] / 1e6:.1f} MB stored")


TRAFFIC = {  # the open model with SDK-style batches, sped up; and the open model with one request per trace
    "batch": [
        "--otel-rate",
        "4",
        "--otel-delivery",
        "batch",
        "--otel-time-scale",
        "10",
        "--stop-timeout",
        "60",
        "--otel-bsp-schedule-delay",
        "500",
    ],
    "rate": ["--otel-rate", "4"],
}


@pytest.mark.parametrize("mode", sorted(TRAFFIC))
def test_mlflow_stores_what_each_traffic_model_delivered(mlflow, tmp_path, mode):
    experiment = mlflow.experiment(f"traffic-{mode}")
    data = _run(
        tmp_path,
        [
            "-u",
            "4",
            "-t",
            "8s",
            "--otel-platform",
            "mlflow",
            "--otel-endpoint",
            mlflow.traces_url,
            "--otel-project",
            experiment,
            *TRAFFIC[mode],
        ],
    )
    assert data["total"]["spans"]["delivered"] == data["total"]["spans"]["generated"]
    _mlflow_stored_all(mlflow, experiment, data, mode, 120)


@pytest.mark.parametrize("mode", sorted(TRAFFIC))
def test_phoenix_stores_what_each_traffic_model_delivered(phoenix, tmp_path, mode):
    project = f"otel-locust-{mode}"
    data = _run(
        tmp_path,
        [
            "-u",
            "3",
            "-t",
            "6s",
            "--otel-platform",
            "phoenix",
            "--otel-endpoint",
            phoenix.traces_url,
            "--otel-project",
            project,
            "--otel-mix",
            "simple_query=2,single_service_search=1",
            *TRAFFIC[mode],
        ],
    )
    _phoenix_stored_all(phoenix, project, data, mode, 1.0)


def test_mlflow_stores_every_delivered_production_tier_trace(mlflow, tmp_path):
    """The heavy tail (MB traces, long contexts, hundreds of spans) into a real backend: nothing lost on the way."""
    experiment = mlflow.experiment("production")
    data = _run(
        tmp_path,
        [
            "-u",
            "2",
            "-t",
            "8s",
            "--otel-pace",
            "1",
            "--otel-payload",
            "production",
            "--otel-seed",
            "3",
            "--otel-timeout",
            "120",
            "--otel-platform",
            "mlflow",
            "--otel-endpoint",
            mlflow.traces_url,
            "--otel-project",
            experiment,
        ],
    )
    _mlflow_stored_all(mlflow, experiment, data, "production", 180)


def test_phoenix_stores_every_delivered_production_tier_trace(phoenix, tmp_path):
    project = "otel-locust-production"
    data = _run(
        tmp_path,
        [
            "-u",
            "2",
            "-t",
            "6s",
            "--otel-pace",
            "2",
            "--otel-payload",
            "production",
            "--otel-seed",
            "3",
            "--otel-timeout",
            "120",
            "--otel-mix",
            "simple_query=1,single_service_search=1,delegated_booking=1",
            "--otel-platform",
            "phoenix",
            "--otel-endpoint",
            phoenix.traces_url,
            "--otel-project",
            project,
        ],
    )
    _phoenix_stored_all(phoenix, project, data, "production", 2.0, 300)
