"""Framework profiles into real backends: Phoenix and MLflow store every span a profile delivered, and show each
span with the kind a user of that framework sees there (OpenInference span kinds in Phoenix; MLflow's span types,
which MLflow derives from ``openinference.span.kind`` when it stores OTLP spans).

The expected kind of a span is stated here from its name, independently of the profile data: what the real
framework's OpenInference instrumentation marks it (the OpenAI Agents SDK has AGENT spans; LangGraph's agents are
CHAIN graph nodes). Behind the ``backend`` marker; backends come from ``.ci/install-backends``.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from otel_locust.encoding.dialects import GenAI
from otel_locust.encoding.instrument import Instrumentation
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.engine.scenario import Agent, Scenario, Tool
from otel_locust.scenarios import CONTENT as TRAVEL

from .backends import MLflow, Phoenix, http_json, wait_until
from .helpers import run_locust, summary

pytestmark = pytest.mark.backend

PROFILES = ("openai-agents", "langgraph")
# every trace calls tools; a third hand over to a sub-agent (so each kind and the delegation spans appear)
MIX = "single_service_search=2,delegated_booking=1"
FIXED = {  # framework spans by exact name
    "openai-agents": {"Agent workflow": "CHAIN", "turn": "CHAIN", "response": "LLM"},
    "langgraph": {"model": "CHAIN", "tools": "CHAIN", "ChatOpenAI": "LLM"},
}
DELEGATION = {"openai-agents": "handoff to ", "langgraph": "transfer_to_"}  # a TOOL span that hands over
AGENT_KIND = {"openai-agents": "AGENT", "langgraph": "CHAIN"}  # LangGraph agents are graph nodes: CHAIN
KINDS = {"openai-agents": {"AGENT", "CHAIN", "LLM", "TOOL"}, "langgraph": {"CHAIN", "LLM", "TOOL"}}


@pytest.fixture(scope="module")
def mlflow(tmp_path_factory, scenarios):
    backend = MLflow(tmp_path_factory.mktemp("mlflow"))
    # the first OTLP request after start takes several seconds (lazy imports): pay it before the runs
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


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory):
    backend = Phoenix(tmp_path_factory.mktemp("phoenix"))
    yield backend
    backend.server.stop()


@pytest.fixture(scope="module")
def names(scenarios: dict[str, Scenario]) -> tuple[frozenset[str], frozenset[str]]:
    """Every agent and tool name in the travel pack (agents and tools become spans named after them)."""
    agents: set[str] = set()
    tools: set[str] = set()
    _collect(list(scenarios.values()), agents, tools)
    return frozenset(agents), frozenset(tools)


def _collect(value: Any, agents: set[str], tools: set[str]) -> None:
    if isinstance(value, Agent):
        agents.add(value.name)
    elif isinstance(value, Tool):
        tools.add(value.name)
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            _collect(getattr(value, f.name), agents, tools)
    elif isinstance(value, (tuple, list)):
        for item in value:
            _collect(item, agents, tools)


def expected_kind(profile: str, name: str, names: tuple[frozenset[str], frozenset[str]]) -> str:
    """The kind the framework's OpenInference instrumentation gives a span of this name."""
    agents, tools = names
    if name in FIXED[profile]:
        return FIXED[profile][name]
    if name.startswith(DELEGATION[profile]) or name in tools:
        return "TOOL"
    if name in agents:
        return AGENT_KIND[profile]
    return f"? ({name} is no span of {profile})"


def check_kinds(
    profile: str, spans: list[tuple[str, str]], names: tuple[frozenset[str], frozenset[str]]
) -> Counter[str]:
    """Every (name, kind) as the backend shows it has the expected kind; returns the per-kind counts."""
    wrong = Counter(
        (name, expected_kind(profile, name, names), kind)
        for name, kind in spans
        if kind != expected_kind(profile, name, names)
    )
    assert not wrong, f"spans shown with the wrong kind (name, expected, shown): {wrong}"
    kinds = Counter(kind for _, kind in spans)
    assert set(kinds) == KINDS[profile], kinds
    return kinds


def _run(tmp_path: Path, profile: str, args: list[str]) -> dict:
    result = run_locust(
        [
            "--headless",
            "-u",
            "2",
            "-r",
            "10",
            "-t",
            "6s",
            "--otel-pace",
            "0.5",
            "--otel-timeout",
            "60",
            "--otel-summary",
            "summary.json",
            "--otel-framework",
            profile,
            "--otel-mix",
            MIX,
            *args,
        ],
        tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "summary.json")
    traces, spans = data["total"]["traces"], data["total"]["spans"]
    assert traces["delivered"] == traces["generated"] > 0 and spans["delivered"] == spans["generated"], data["total"]
    return data


def _tokens(attributes: dict[str, Any]) -> bool:
    return attributes.get("llm.token_count.prompt", 0) > 0 and attributes.get("llm.token_count.completion", 0) > 0


def _shown(kinds: Counter[str]) -> str:
    return " ".join(f"{kind}={n}" for kind, n in sorted(kinds.items()))


@pytest.mark.parametrize("profile", PROFILES)
def test_phoenix_stores_each_profile_with_its_span_kinds(phoenix, names, tmp_path, profile):
    project = f"profile-{profile}"
    data = _run(
        tmp_path,
        profile,
        ["--otel-platform", "phoenix", "--otel-endpoint", phoenix.traces_url, "--otel-project", project],
    )
    traces, spans = data["total"]["traces"]["delivered"], data["total"]["spans"]["delivered"]
    started = time.monotonic()
    wait_until(lambda: phoenix.counts(project) == (traces, spans), 180, 1.0, "Phoenix to store every span")
    settled = time.monotonic() - started
    stored = phoenix.spans(project)
    assert len(stored) == spans
    kinds = check_kinds(profile, [(s["name"], s["span_kind"]) for s in stored], names)
    llm = [s for s in stored if s["span_kind"] == "LLM"]
    # a failed model call (the planner's model_retry fault) has no completion: left out of the token check. The
    # profiles send it with status OK and no error.type (semconv sends ERROR): printed, not asserted, until fixed
    failed = Counter(s["status_code"] for s in llm if s["attributes"].get("llm.finish_reason") == "error")
    untokened = [
        (s["name"], {k: v for k, v in s["attributes"].items() if k.startswith("llm.token_count")})
        for s in llm
        if s["attributes"].get("llm.finish_reason") != "error" and not _tokens(s["attributes"])
    ]
    assert not untokened, f"LLM spans without token counts in Phoenix: {untokened[:5]}"
    print(
        f"phoenix {profile}: {traces} traces / {spans} spans stored = delivered (settled {settled:.1f} s); "
        f"span kinds {_shown(kinds)}; failed model calls by status: {dict(failed)}"
    )


@pytest.mark.parametrize("profile", PROFILES)
def test_mlflow_stores_each_profile_with_its_span_types(mlflow, names, tmp_path, profile):
    experiment = mlflow.experiment(f"profile-{profile}")
    data = _run(
        tmp_path,
        profile,
        ["--otel-platform", "mlflow", "--otel-endpoint", mlflow.traces_url, "--otel-project", experiment],
    )
    traces, spans = data["total"]["traces"]["delivered"], data["total"]["spans"]["delivered"]
    wait_until(lambda: mlflow.count(experiment, "SPANS") == spans, 120, 1.0, "MLflow to store every span")
    assert mlflow.count(experiment, "TRACES") == traces
    infos = mlflow.trace_infos(experiment)
    assert len(infos) == traces
    stored = [span for info in infos for span in _mlflow_spans(mlflow, info["trace_id"])]
    assert len(stored) == spans
    kinds = check_kinds(profile, [(s["name"], s["type"]) for s in stored], names)
    usage = [_token_usage(i) for i in infos]
    assert all(u["input_tokens"] > 0 and u["output_tokens"] > 0 for u in usage), "MLflow sums each trace's tokens"
    # MLflow 3.17 fills the span type it indexes (search filters, span-type metrics) only from an mlflow.spanType
    # the client sent, not from its own OpenInference translation: printed, since that is MLflow's to fix
    indexed = _traces_matching(mlflow, experiment, "span.type = 'LLM'")
    print(
        f"mlflow {profile}: {traces} traces / {spans} spans stored = delivered; span types {_shown(kinds)}; "
        f"traces found by the search filter span.type = 'LLM': {indexed} of {traces}"
    )


def _mlflow_spans(mlflow: MLflow, trace_id: str) -> list[dict[str, str]]:
    """A trace's spans as MLflow's trace API returns them (the UI's trace view): name and ``mlflow.spanType``."""
    query = urllib.parse.urlencode({"trace_id": trace_id})
    spans = http_json(f"{mlflow.base}/api/3.0/mlflow/traces/get?{query}")["trace"]["spans"]
    out = []
    for span in spans:
        attributes = {a["key"]: a["value"] for a in span["attributes"]}
        out.append({"name": span["name"], "type": attributes.get("mlflow.spanType", {}).get("string_value", "(none)")})
    return out


def _token_usage(info: dict[str, Any]) -> dict[str, Any]:
    return json.loads(info["trace_metadata"]["mlflow.trace.tokenUsage"])


def _traces_matching(mlflow: MLflow, experiment: str, search: str) -> int:
    body = {
        "locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment}}],
        "max_results": 500,
        "filter": search,
    }
    return len(http_json(f"{mlflow.base}/api/3.0/mlflow/traces/search", body).get("traces", []))
