"""Platform presets: where traces go, the headers and dialects each backend needs, and its request-size limit.

Facts (endpoints, headers, limits) come from ``shared/reference/dialects.md`` sections 3-7. A preset checks its
required settings before the test starts; the API key may come from ``--otel-api-key`` or from the variables the
platform's own SDK reads (``BRAINTRUST_API_KEY``, ...). Header values built from keys are secrets: they go on
the wire and nowhere else.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

OTLP_DEFAULT_ENDPOINT = "http://localhost:4318/v1/traces"
OTLP_GRPC_DEFAULT_ENDPOINT = "http://localhost:4317"
MB = 1_000_000
MIB = 1024 * 1024
#: the OpenTelemetry Collector's default ``max_request_body_size`` for OTLP/HTTP (confighttp), which rotel keeps too:
#: a larger request is refused, by rotel with the connection closed mid-upload (nothing says it was the size)
COLLECTOR_MAX_BODY = 20 * MIB
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


class PresetError(ValueError):
    """A required platform setting is missing or malformed; the message names the option."""


def _first_env(names: tuple[str, ...]) -> str:
    return next((os.environ[v] for v in names if os.environ.get(v)), "")


def _langfuse_key(names: tuple[str, ...]) -> str:
    """Langfuse's SDK reads its two keys from two variables; the preset wants them as public:secret."""
    public, secret = os.environ.get("LANGFUSE_PUBLIC_KEY", ""), os.environ.get("LANGFUSE_SECRET_KEY", "")
    return f"{public}:{secret}" if public and secret else ""


def _no_headers(key: str, project: str) -> dict[str, str]:
    return {}


def _braintrust(key: str, project: str) -> dict[str, str]:
    if ":" in project:
        parent = project  # project_id:..., project_name:..., experiment_id:... or a span slug
    else:
        parent = f"project_id:{project}" if _UUID.match(project) else f"project_name:{project}"
    return {"Authorization": f"Bearer {key}", "x-bt-parent": parent}


def _langsmith(key: str, project: str) -> dict[str, str]:
    return {"x-api-key": key, "Langsmith-Project": project}


def _langfuse(key: str, project: str) -> dict[str, str]:
    public, sep, secret = key.partition(":")
    if not sep or not public or not secret:
        raise PresetError(
            "--otel-api-key: Langfuse needs 'public_key:secret_key' (or LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY)"
        )
    token = base64.b64encode(f"{public}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "x-langfuse-ingestion-version": "4"}


def _phoenix(key: str, project: str) -> dict[str, str]:
    headers = {"x-project-name": project} if project else {}
    if key:
        headers["authorization"] = f"Bearer {key}"
    return headers


def _mlflow(key: str, project: str) -> dict[str, str]:
    if not project.isdigit():
        raise PresetError(f"--otel-project: MLflow needs a numeric experiment id, got {project!r}")
    headers = {"x-mlflow-experiment-id": project}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


@dataclass(frozen=True)
class Platform:
    """A destination preset and what it can do, as fields (code asks ``platform.embedded_sink``, never the name).

    ``endpoint`` empty means the platform supplies it at run time (the embedded sink).
    """

    name: str
    endpoint: str = ""
    dialects: tuple[str, ...] = ("genai",)
    max_request_bytes: int = 0  # 0: no documented limit; one request per trace
    transport: str = "otlp"  # "otlp": OTLP over the network; "console": printed on stdout
    embedded_sink: bool = False  # the plugin starts its own verifying receiver when no endpoint is given
    protocols: tuple[str, ...] = ("http/protobuf", "http/json", "grpc")  # OTLP protocols the platform takes
    grpc_endpoint: str = ""  # default endpoint for --otel-protocol grpc (host:port, no path)
    key_env: tuple[str, ...] = ()  # where the key is read from when --otel-api-key is not given
    key_required: bool = False
    project_env: tuple[str, ...] = ()
    default_project: str = ""
    make_headers: Callable[[str, str], dict[str, str]] = field(default=_no_headers, repr=False)
    key_from_env: Callable[[tuple[str, ...]], str] = field(default=_first_env, repr=False)

    def resolve_key(self, given: str) -> str:
        return given or self.key_from_env(self.key_env)

    def resolve_project(self, given: str) -> str:
        return given or next((os.environ[v] for v in self.project_env if os.environ.get(v)), self.default_project)

    def headers(self, given_key: str, given_project: str) -> dict[str, str]:
        """The preset's headers; raises :class:`PresetError` when a required setting is missing."""
        key = self.resolve_key(given_key.strip())
        if self.key_required and not key:
            sources = " or ".join(["--otel-api-key", *self.key_env])
            raise PresetError(f"--otel-api-key: the {self.name} platform needs an API key ({sources})")
        return self.make_headers(key, self.resolve_project(given_project.strip()))


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("sink", embedded_sink=True),  # embedded local receiver that verifies every trace
        Platform(
            "otlp",
            endpoint=OTLP_DEFAULT_ENDPOINT,  # any OTLP receiver: collector, Jaeger, Tempo, ...
            grpc_endpoint=OTLP_GRPC_DEFAULT_ENDPOINT,
            max_request_bytes=COLLECTOR_MAX_BODY,
        ),
        Platform("console", transport="console"),  # each trace as a tree on stdout (debugging only)
        Platform(
            "braintrust",
            endpoint="https://api.braintrust.dev/otel/v1/traces",
            dialects=("genai", "braintrust"),
            max_request_bytes=10 * MB,
            key_env=("BRAINTRUST_API_KEY",),
            key_required=True,
            project_env=("BRAINTRUST_PROJECT",),
            default_project="otel-locust",
            make_headers=_braintrust,
            protocols=("http/protobuf", "http/json"),
        ),
        Platform(
            "langsmith",
            endpoint="https://api.smith.langchain.com/otel/v1/traces",
            dialects=("genai", "langsmith"),
            key_env=("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"),
            key_required=True,
            project_env=("LANGSMITH_PROJECT", "LANGCHAIN_PROJECT"),
            default_project="otel-locust",
            make_headers=_langsmith,
            protocols=("http/protobuf", "http/json"),
        ),
        Platform(
            "langfuse",
            endpoint="https://cloud.langfuse.com/api/public/otel/v1/traces",
            dialects=("genai", "langfuse"),
            max_request_bytes=5 * MB,
            key_required=True,
            make_headers=_langfuse,
            key_from_env=_langfuse_key,
            protocols=("http/protobuf", "http/json"),
        ),
        Platform(
            "phoenix",
            endpoint="http://localhost:6006/v1/traces",
            dialects=("genai", "openinference"),
            key_env=("PHOENIX_API_KEY",),
            project_env=("PHOENIX_PROJECT_NAME",),
            make_headers=_phoenix,
            grpc_endpoint=OTLP_GRPC_DEFAULT_ENDPOINT,
        ),
        Platform(
            "mlflow",
            endpoint="http://localhost:5000/v1/traces",
            dialects=("genai", "mlflow"),
            key_env=("MLFLOW_TRACKING_TOKEN",),
            project_env=("MLFLOW_EXPERIMENT_ID",),
            default_project="0",
            make_headers=_mlflow,
            protocols=("http/protobuf",),
        ),
    )
}
