"""Runs across hosts, for real: a master (with the embedded sink, or a standalone sink beside it) in one network
namespace and a worker in another, joined by a veth pair. The worker must reach the sink at the master's address.

Needs root and iproute2 (CI runs as root); the namespaces and addresses are this test's own and are removed after.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from .helpers import LOCUSTFILE, check_exact, summary
from .helpers import worker_errors as stopped_worker_errors

pytestmark = [pytest.mark.namespaces, pytest.mark.e2e]
MASTER_IP, WORKER_IP = "10.213.7.1", "10.213.7.2"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


@pytest.fixture
def hosts() -> Iterator[tuple[str, str]]:
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("needs root and iproute2 to make network namespaces")
    tag = uuid.uuid4().hex[:6]
    master, worker = f"otlm{tag}", f"otlw{tag}"
    try:
        _ip("netns", "add", master)
        _ip("netns", "add", worker)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot make network namespaces here: {exc.stderr.strip()}")
    try:
        _ip("link", "add", f"vm{tag}", "type", "veth", "peer", "name", f"vw{tag}")
        _ip("link", "set", f"vm{tag}", "netns", master)
        _ip("link", "set", f"vw{tag}", "netns", worker)
        for ns, dev, addr in ((master, f"vm{tag}", MASTER_IP), (worker, f"vw{tag}", WORKER_IP)):
            _ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            _ip("-n", ns, "link", "set", dev, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
        yield master, worker
    finally:
        for ns in (master, worker):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def _in(ns: str, *argv: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv]


def _run(hosts: tuple[str, str], tmp_path, *extra: str) -> dict:
    master_ns, worker_ns = hosts
    worker = subprocess.Popen(
        _in(
            worker_ns,
            sys.executable,
            "-m",
            "locust",
            "-f",
            LOCUSTFILE,
            "--worker",
            "--master-host",
            MASTER_IP,
            "--master-port",
            "5557",
        ),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        master = subprocess.run(
            _in(
                master_ns,
                sys.executable,
                "-m",
                "locust",
                "-f",
                LOCUSTFILE,
                "--master",
                "--master-bind-host",
                MASTER_IP,
                "--master-bind-port",
                "5557",
                "--expect-workers",
                "1",
                "--headless",
                "-u",
                "4",
                "-r",
                "4",
                "-t",
                "6s",
                "--otel-pace",
                "0.3",
                "--otel-summary",
                "summary.json",
                *extra,
            ),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        worker_errors = stopped_worker_errors(worker)
    assert master.returncode == 0, master.stderr[-3000:]
    assert "Traceback" not in worker_errors, worker_errors[-3000:]
    data = summary(tmp_path / "summary.json")
    check_exact(data)
    return data


def test_the_default_sink_is_reached_by_a_worker_on_another_host(hosts, tmp_path):
    data = _run(hosts, tmp_path, "--otel-sink-port", "4318")
    traces = data["total"]["traces"]
    assert traces["delivered"] == traces["generated"] > 0 and traces["failed"] == 0
    assert data["sink"]["traces_complete"] == traces["delivered"]


def test_otlp_into_a_standalone_sink_on_the_master_host(hosts, tmp_path):
    master_ns, _ = hosts
    sink = subprocess.Popen(
        _in(
            master_ns,
            sys.executable,
            "-m",
            "otel_locust.sink",
            "--host",
            MASTER_IP,
            "--port",
            "4319",
            "--interval",
            "0",
            "--json",
        ),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "listening on" in (sink.stdout.readline() if sink.stdout else "")
        data = _run(hosts, tmp_path, "--otel-platform", "otlp", "--otel-endpoint", f"http://{MASTER_IP}:4319/v1/traces")
    finally:
        sink.terminate()  # ip netns exec replaced itself with the sink: this is the sink's pid
        final, _ = sink.communicate(timeout=30)
    counts = json.loads(final.strip().splitlines()[-1])
    traces = data["total"]["traces"]
    assert traces["delivered"] == traces["generated"] > 0
    assert counts["traces_complete"] == traces["delivered"]
