"""Helpers for end-to-end tests: run real Locust subprocesses and a receiver independent of the plugin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from otel_locust.testing.capture import CaptureReceiver

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = str(ROOT / "locustfiles" / "agent_mix.py")
OUTCOMES = ("delivered", "failed", "dropped", "unconfirmed")  # every generated trace ends in exactly one


def run_locust(
    args: list[str], cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``locust -f locustfiles/agent_mix.py ARGS`` as a subprocess, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "locust", "-f", LOCUSTFILE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def start_worker(
    port: int, cwd: Path, stderr: int = subprocess.PIPE, extra: tuple[str, ...] = ()
) -> subprocess.Popen[str]:
    """``locust -f locustfiles/agent_mix.py --worker [EXTRA]`` connecting to a master on 127.0.0.1:``port``."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            LOCUSTFILE,
            "--worker",
            "--master-host",
            "127.0.0.1",
            "--master-port",
            str(port),
            *extra,
        ],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )


def summary(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


Receiver = CaptureReceiver


def check_exact(data: dict[str, Any]) -> None:
    """Every generated trace and span is in exactly one outcome, per scenario and in total."""
    for entry in [data["total"], *data["scenarios"].values()]:
        for group in ("traces", "spans"):
            assert entry[group]["generated"] == sum(entry[group][k] for k in OUTCOMES), (group, entry[group])


def worker_errors(worker: subprocess.Popen[str], timeout: float = 90) -> str:
    """A worker's stderr once it has exited; one that has not within ``timeout`` s (its master failed, or the
    machine is very busy) is killed, so the test reports the master's outcome rather than a wait that ran out."""
    try:
        return worker.communicate(timeout=timeout)[1] or ""
    except subprocess.TimeoutExpired:
        worker.kill()
        return (worker.communicate()[1] or "") + "\n(worker killed: it had not exited)"
