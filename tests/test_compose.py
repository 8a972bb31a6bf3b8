"""docker-compose.yml, checked without a Docker engine: structure, images, ports, the collector's pipeline,
and the Locust commands themselves, run locally (master and worker) against a stand-in for the collector.
Master and workers run the image the Dockerfile builds (tests/test_deploy.py checks that image)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from otel_locust import __version__

from .backends import free_port
from .dockerfile import stages
from .helpers import ROOT, Receiver, summary
from .helpers import worker_errors as stopped_worker_errors

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
OFFICIAL = {
    "otel-collector": "otel/opentelemetry-collector-contrib:",
    "jaeger": "jaegertracing/jaeger:",
    "phoenix": "arizephoenix/phoenix:",
}
LOCUST_SERVICES = ("master", "worker")
IMAGE = stages((ROOT / "Dockerfile").read_text())[-1]
VERSION = __version__


def test_services_images_and_ports():
    assert set(SERVICES) == set(OFFICIAL) | set(LOCUST_SERVICES)
    for name, prefix in OFFICIAL.items():
        image = SERVICES[name]["image"]
        assert image.startswith(prefix) and not image.endswith(":latest"), image
    for name in LOCUST_SERVICES:
        service = SERVICES[name]
        assert service["build"] == "." and service["image"] == f"otel-locust:{VERSION}", service
        assert not {"volumes", "entrypoint", "user", "working_dir"} & set(service), "the image has it all"
    assert IMAGE.base.startswith("locustio/locust:") and not IMAGE.base.endswith(":latest"), IMAGE.base
    ports = {name: {p.split(":")[0] for p in svc.get("ports", [])} for name, svc in SERVICES.items()}
    assert ports == {
        "master": {"8089"},
        "worker": set(),
        "otel-collector": {"4318", "13133"},
        "jaeger": {"16686"},
        "phoenix": {"6006"},
    }, "workers must publish no ports to scale"
    assert SERVICES["worker"]["depends_on"] == ["master"]


def test_collector_pipeline_is_complete_with_batching_and_retries():
    (volume,) = SERVICES["otel-collector"]["volumes"]
    source, target = volume.split(":")[:2]
    assert f"--config={target}" in SERVICES["otel-collector"]["command"]
    config = yaml.safe_load((ROOT / source).read_text())
    pipeline = config["service"]["pipelines"]["traces"]
    for kind in ("receivers", "processors", "exporters"):
        assert set(pipeline[kind]) <= set(config[kind]), kind
    assert "batch" in pipeline["processors"]
    for exporter in pipeline["exporters"]:
        settings = config["exporters"][exporter]
        assert settings["retry_on_failure"]["enabled"] and settings["sending_queue"]["enabled"]
        host = settings["endpoint"].split("//")[-1].split(":")[0]
        assert host in SERVICES, f"{exporter} points at {host}, not a compose service"
    endpoint = SERVICES["master"]["environment"]["LOCUST_OTEL_ENDPOINT"]
    assert endpoint == "http://otel-collector:4318/v1/traces"


@pytest.mark.e2e
def test_the_compose_commands_run_here(tmp_path):
    """The master's and worker's commands, as written, after the image's entrypoint, with only hosts adapted.

    No threshold on timing: the master starts its clock once the worker has connected, but the worker's first
    traces still wait for its imports and test start, which vary with the machine's load. So the run is long
    (10 s at one trace per user-second) and the check is exact accounting: what the worker says it delivered is
    what the receiver got, and that is at least one trace."""
    receiver = Receiver()
    port = free_port()
    base_env = SERVICES["master"]["environment"]
    assert SERVICES["worker"]["environment"] == base_env
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOCUST")},
        "PYTHONPATH": str(ROOT),
        **{k: str(v).replace("http://otel-collector:4318/v1/traces", receiver.url) for k, v in base_env.items()},
    }
    (entrypoint,) = IMAGE.all("ENTRYPOINT")
    assert entrypoint.exec_form() == ["locust"]

    def argv(service: str) -> list[str]:
        command = list(SERVICES[service]["command"])
        assert command[:2] == ["-f", "locustfiles/agent_mix.py"], command
        return [sys.executable, "-m", "locust", "-f", str(ROOT / command[1]), *command[2:]]

    worker_cmd = [a if a != "master" else "127.0.0.1" for a in argv("worker")] + ["--master-port", str(port)]
    worker = subprocess.Popen(
        worker_cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        master = subprocess.run(
            [
                *argv("master"),
                "--master-bind-host",
                "127.0.0.1",
                "--master-bind-port",
                str(port),
                "--headless",
                "-u",
                "4",
                "-r",
                "4",
                "-t",
                "10s",
                "--expect-workers",
                "1",
                "--otel-summary",
                "s.json",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        worker_errors = stopped_worker_errors(worker)
    receiver.shutdown()
    assert master.returncode == 0, master.stderr[-2000:]
    assert "Traceback" not in worker_errors, worker_errors[-2000:]
    data = summary(Path(tmp_path) / "s.json")
    assert data["settings"]["platform"] == "otlp" and data["settings"]["pace"] == float(base_env["LOCUST_OTEL_PACE"])
    traces = data["total"]["traces"]
    assert traces["failed"] == traces["dropped"] == 0, traces
    assert len(receiver.traces()) == traces["delivered"] >= 1
