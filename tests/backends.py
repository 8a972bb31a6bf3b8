"""Start real backends (installed by ``.ci/install-backends``) on free loopback ports, and read them back."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

BACKENDS = Path(os.environ.get("OTEL_LOCUST_BACKENDS", "~/.cache/otel-locust-backends")).expanduser()


def executable(venv: str, relative: str) -> Path:
    path = BACKENDS / venv / relative
    if not path.exists():
        pytest.fail(f"{venv} is not installed ({path} missing): run .ci/install-backends")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url: str, body: Any = None, timeout: float = 30) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"}, method="POST" if data is not None else "GET"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def wait_until(check: Callable[[], Any], timeout: float, interval: float = 0.5, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; returns it, or fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (OSError, urllib.error.URLError, ValueError) as exc:
            last = exc
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


class Server:
    """A backend process in its own session, logging to a file, stopped with its children."""

    def __init__(self, cmd: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.log = log
        self._log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )

    def wait_http(self, url: str, timeout: float) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                pytest.fail(f"backend exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200

        wait_until(ready, timeout, what=url)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()


class MLflow:
    """``mlflow server`` with a SQLite store: a 200 from /v1/traces means the spans are committed."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = Server(
            [
                str(executable("mlflow", "bin/mlflow")),
                "server",
                "--backend-store-uri",
                f"sqlite:///{workdir}/mlflow.db",
                "--default-artifact-root",
                str(workdir / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
            ],
            workdir / "mlflow.log",
            env={"MLFLOW_DISABLE_TELEMETRY": "true"},
            cwd=workdir,
        )
        self.server.wait_http(f"{self.base}/health", timeout=120)

    @property
    def traces_url(self) -> str:
        return f"{self.base}/v1/traces"

    def experiment(self, name: str) -> str:
        return http_json(f"{self.base}/api/2.0/mlflow/experiments/create", {"name": name})["experiment_id"]

    def count(self, experiment: str, view: str) -> int:
        metric = {"SPANS": "span_count", "TRACES": "trace_count"}[view]
        data = http_json(
            f"{self.base}/api/3.0/mlflow/traces/metrics",
            {
                "experiment_ids": [experiment],
                "view_type": view,
                "metric_name": metric,
                "aggregations": [{"aggregation_type": "COUNT"}],
            },
        )
        points = data.get("data_points", [])
        return int(points[0]["values"]["COUNT"]) if points else 0

    def trace_infos(self, experiment: str) -> list[dict[str, Any]]:
        infos, token = [], None
        while True:
            body: dict[str, Any] = {
                "locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment}}],
                "max_results": 500,
            }
            if token:
                body["page_token"] = token
            page = http_json(f"{self.base}/api/3.0/mlflow/traces/search", body)
            infos += page.get("traces", [])
            token = page.get("next_page_token")
            if not token:
                return infos


class Phoenix:
    """``phoenix serve`` with SQLite; it stores asynchronously, so callers poll the counts."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            "PHOENIX_WORKING_DIR": str(workdir),
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(self.port),
            "PHOENIX_GRPC_PORT": str(free_port()),
            "PHOENIX_TELEMETRY_ENABLED": "false",
        }
        self.server = Server(
            [str(executable("phoenix", "bin/phoenix")), "serve"], workdir / "phoenix.log", env=env, cwd=workdir
        )
        self.server.wait_http(f"{self.base}/healthz", timeout=180)

    @property
    def traces_url(self) -> str:
        return f"{self.base}/v1/traces"

    def counts(self, project: str) -> tuple[int, int]:
        fields = "edges { node { traceCount recordCount } }"
        query = "{ projects(filter:{col:name,value:" + json.dumps(project) + "}) { " + fields + " } }"
        edges = http_json(f"{self.base}/graphql", {"query": query})["data"]["projects"]["edges"]
        return (edges[0]["node"]["traceCount"], edges[0]["node"]["recordCount"]) if edges else (0, 0)

    def spans(self, project: str) -> list[dict[str, Any]]:
        spans, cursor = [], None
        while True:
            url = f"{self.base}/v1/projects/{project}/spans?limit=1000" + (f"&cursor={cursor}" if cursor else "")
            page = http_json(url)
            spans += page["data"]
            cursor = page.get("next_cursor")
            if not cursor:
                return spans
