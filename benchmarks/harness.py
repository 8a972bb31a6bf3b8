"""Shared pieces of the issue-13 benchmarks: a quiet-machine gate, rotel with its blackhole exporter, and headless
Locust runs whose CPU comes from the kernel (``os.wait4``) for the whole process, start-up included.

Not a test helper: nothing here asserts a figure. The machine is shared, so every measurement first waits (a
bounded time) for the 1-minute load average to fall, and reports the load it started at next to the figure.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
AGENT_MIX = ROOT / "locustfiles" / "agent_mix.py"
PROBE = Path(__file__).resolve().parent / "probe.py"
ROTEL = Path.home() / ".cache/otel-locust-backends/rotel/lib/python3.11/site-packages/rotel/rotel-agent"
WORKLOADS = {"multi_service_complex": "multi_service_complex=1", "default mix": ""}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_quiet(limit: float = 1.5, patience: float = 180.0) -> float:
    """Wait up to ``patience`` s for the 1-minute load average to drop below ``limit``; return the load then.

    Other agents share the two cores: a figure taken at load 3 is worth less, so the load is printed beside it.
    """
    deadline = time.monotonic() + patience
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


@dataclass
class Rotel:
    """A running rotel collector that discards everything (``--exporter blackhole``)."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/traces"

    def cpu_s(self) -> float:
        """rotel's CPU so far (user + system), for receiver sizing."""
        times = psutil.Process(self.process.pid).cpu_times()
        return float(times.user + times.system)


@contextmanager
def rotel() -> Iterator[Rotel]:
    """Start rotel on free ports (the same binary the backend tests use); stop it on exit."""
    if not ROTEL.exists():
        raise SystemExit(f"rotel is not installed ({ROTEL} missing): run .ci/install-backends")
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="rotel-", suffix=".log", delete=False)  # noqa: SIM115 - kept for errors
    process = subprocess.Popen(
        [
            str(ROTEL),
            "start",
            "--otlp-http-endpoint",
            f"127.0.0.1:{port}",
            "--otlp-grpc-endpoint",
            f"127.0.0.1:{free_port()}",
            "--exporter",
            "blackhole",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"rotel did not start: {Path(log.name).read_text()[-2000:]}")
            time.sleep(0.1)
        yield Rotel(process, port)
    finally:
        process.terminate()
        process.wait(10)
        os.unlink(log.name)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class Run:
    """One finished process: its exit code, kernel CPU and peak RSS, and what it left behind."""

    code: int
    cpu_s: float
    wall_s: float
    maxrss_mb: float
    stderr: str = ""
    stdout: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    probes: list[dict[str, Any]] = field(default_factory=list)

    def total(self, key: str, outcome: str = "delivered") -> int:
        """A summary total: ``traces``/``spans`` by outcome, or a plain counter (``requests``, ``bytes_sent``)."""
        entry = self.summary["total"][key]
        return int(entry[outcome] if isinstance(entry, dict) else entry)


def locust_cmd(
    users: int, seconds: float, endpoint: str, mix: str = "", extra: list[str] | None = None, probe: bool = False
) -> list[str]:
    """A headless run of the default locustfile into ``endpoint`` at ``--otel-pace 0`` (``extra`` may override)."""
    files = f"{AGENT_MIX},{PROBE}" if probe else str(AGENT_MIX)
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        files,
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{round(seconds)}s",
        "--otel-pace",
        "0",
        "--otel-seed",
        "7",
        "--otel-compression",
        "none",
        "--otel-platform",
        "otlp",
        "--otel-endpoint",
        endpoint,
        "--otel-summary",
        "summary.json",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    if mix:
        cmd += ["--otel-mix", mix]
    return cmd + (extra or [])


def run(cmd: list[str], sample_rss: bool = False) -> Run:
    """Run ``cmd`` in a fresh folder with this checkout on PYTHONPATH; CPU and peak RSS from ``os.wait4``.

    The rusage covers the process from exec to exit, and every child it waited for (``--processes`` forks).
    With ``sample_rss``, the RSS of the process and its children is also sampled twice a second (summed).
    """
    return run_group([cmd], sample_rss)[0]


def run_group(cmds: list[list[str]], sample_rss: bool = False) -> list[Run]:
    """Start ``cmds`` together in one folder (e.g. a master, then its workers) and reap each with ``os.wait4``.

    The first command's run carries the summary and every process's probe records; ``sample_rss`` samples it.
    """
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}".rstrip(os.pathsep)}
    with tempfile.TemporaryDirectory() as tmp:
        env["OTEL_BENCH_PROBE_DIR"] = tmp
        started = time.monotonic()
        processes = []
        for index, cmd in enumerate(cmds):
            with open(Path(tmp, f"out-{index}"), "wb") as out, open(Path(tmp, f"err-{index}"), "wb") as err:
                processes.append(subprocess.Popen(cmd, cwd=tmp, env=env, stdout=out, stderr=err))
        peak = _sample_rss(processes[0]) if sample_rss else 0.0
        results = []
        for index, process in enumerate(processes):
            _, status, usage = os.wait4(process.pid, 0)
            results.append(
                Run(
                    os.waitstatus_to_exitcode(status),
                    usage.ru_utime + usage.ru_stime,
                    time.monotonic() - started,
                    max(usage.ru_maxrss / 1024, peak if index == 0 else 0),
                    Path(tmp, f"err-{index}").read_text(errors="replace"),
                    Path(tmp, f"out-{index}").read_text(errors="replace"),
                )
            )
        if (Path(tmp) / "summary.json").exists():
            results[0].summary = json.loads((Path(tmp) / "summary.json").read_text())
        results[0].probes = [json.loads(p.read_text()) for p in sorted(Path(tmp).glob("probe-*.json"))]
    return results


def _sample_rss(process: subprocess.Popen[bytes]) -> float:
    """Peak summed RSS (MB) of ``process`` and its children until it exits (the caller then reaps it)."""
    peak = 0.0
    handle = psutil.Process(process.pid)
    while True:
        try:
            if handle.status() == psutil.STATUS_ZOMBIE:
                return peak
            rss = handle.memory_info().rss + sum(c.memory_info().rss for c in handle.children(recursive=True))
        except psutil.NoSuchProcess:
            return peak
        peak = max(peak, rss / 1e6)
        time.sleep(0.5)


def checked(result: Run, what: str) -> Run:
    """``result`` if the run wrote its summary (exit 1 = some request failed, 3 = loss over --otel-max-loss)."""
    if result.code not in (0, 1, 3) or not result.summary:
        raise SystemExit(f"{what} failed ({result.code}): {result.stderr[-3000:]}")
    return result


def machine() -> str:
    """One line naming the machine the figures come from."""
    return (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores (shared), "
        f"Python {sys.version.split()[0]}, locust {_version('locust')}, receiver rotel (blackhole exporter)"
    )


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"
