"""Safe stops with the embedded sink: real headless Locust runs, real signals to their process group.

The sink runs in its own session, so Ctrl-C (SIGINT to the terminal's process group) reaches Locust only; the
plugin still reads the sink's counts at quit. And the sink never outlives Locust: SIGKILL Locust, the sink exits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .helpers import LOCUSTFILE, summary

pytestmark = pytest.mark.e2e


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "locust.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            LOCUSTFILE,
            "--headless",
            "-u",
            "2",
            "-r",
            "2",
            "-t",
            "120s",
            "--otel-pace",
            "0.2",
            "--otel-summary",
            "summary.json",
            *args,
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=open(log, "w"),  # noqa: SIM115
        start_new_session=True,
    )
    return proc, log


def _wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _sink_pid(locust_pid: int) -> int:
    children = Path(f"/proc/{locust_pid}/task/{locust_pid}/children").read_text().split()
    for child in map(int, children):
        if "otel_locust.sink" in Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace"):
            return child
    return 0


def _gone(pid: int) -> bool:
    """The process no longer runs (a zombie nobody reaped counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _running(proc: subprocess.Popen, log: Path) -> int:
    """Wait until traces flow through the embedded sink; returns the sink's pid."""
    _wait_for(lambda: "embedded sink listening" in log.read_text(), 60, "the embedded sink")
    pid = _wait_for(lambda: _sink_pid(proc.pid), 10, "the sink process")
    time.sleep(2)  # let traces flow for a moment (nothing is asserted about speed)
    return pid


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_to_the_process_group_leaves_the_sink_counts_in_the_summary(tmp_path, sig):
    proc, log = _start(tmp_path)
    try:
        sink = _running(proc, log)
        os.killpg(proc.pid, sig)
        proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    data = summary(tmp_path / "summary.json")
    assert "sink" in data, log.read_text()[-2000:]
    delivered = data["total"]["traces"]["delivered"]
    assert delivered > 0
    assert data["sink"]["traces_complete"] == delivered
    assert data["sink"]["spans_received"] == data["total"]["spans"]["delivered"]
    _wait_for(lambda: _gone(sink), 30, "the sink to stop with Locust")


def test_the_sink_never_outlives_a_killed_locust(tmp_path):
    proc, log = _start(tmp_path)
    try:
        sink = _running(proc, log)
        proc.kill()  # SIGKILL: no handler runs, nobody stops the sink
        proc.wait(timeout=30)
        _wait_for(lambda: _gone(sink), 30, "the orphaned sink to exit")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_a_second_ctrl_c_cuts_the_drain_short_and_the_summary_is_still_written(tmp_path):
    proc, log = _start(tmp_path, "--otel-sink-args", "--latency-ms 4000")  # exports stay in flight for 4 s
    try:
        _running(proc, log)
        time.sleep(1)
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)  # impatient: the drain of the slow exports is cut short
        proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    data = summary(tmp_path / "summary.json")
    traces = data["total"]["traces"]
    assert traces["generated"] == sum(traces[k] for k in ("delivered", "failed", "dropped", "unconfirmed"))
    assert traces["generated"] > traces["delivered"], "exports were still in flight when the drain was cut"
    assert traces["unconfirmed"] + traces["dropped"] > 0 and data["total"]["dropped_loss"] == 0
    assert "sink" in data and data["sink"]["traces_complete"] >= traces["delivered"]


def test_one_ctrl_c_waits_for_the_exports_in_flight_before_the_summary(tmp_path):
    proc, log = _start(tmp_path, "--otel-sink-args", "--latency-ms 2000")  # every export is in flight for 2 s
    try:
        _running(proc, log)
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    data = summary(tmp_path / "summary.json")
    traces = data["total"]["traces"]
    assert traces["generated"] == traces["delivered"] > 0, (data["total"], log.read_text()[-3000:])
    assert data["sink"]["traces_complete"] == traces["delivered"]


def test_the_web_uis_stop_then_a_new_test_accounts_each_test_on_its_own(tmp_path):
    """Stop in the web UI, start again, stop, then SIGTERM: the summary and the sink hold the second test only."""
    import json
    import urllib.parse
    import urllib.request

    from .backends import free_port, wait_until

    port = free_port()
    proc, _ = _start_web(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: urllib.request.urlopen(base, timeout=2).status == 200, 60, what="the web UI")
        for round_ in range(2):
            form = urllib.parse.urlencode({"user_count": "2", "spawn_rate": "2", "host": ""}).encode()
            urllib.request.urlopen(urllib.request.Request(f"{base}/swarm", data=form), timeout=10).close()
            wait_until(lambda: _traces(base) >= 3, 60, what=f"traces in test {round_ + 1}")
            urllib.request.urlopen(urllib.request.Request(f"{base}/stop", data=b""), timeout=30).close()
            wait_until(
                lambda: (
                    json.loads(urllib.request.urlopen(f"{base}/stats/requests", timeout=5).read())["state"] == "stopped"
                ),
                60,
                what="the test to stop",
            )
        first = _traces(base)
        os.killpg(proc.pid, signal.SIGTERM)  # the web UI has no quit button: stop the process as an operator would
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    data = summary(tmp_path / "summary.json")
    traces = data["total"]["traces"]
    assert traces["generated"] == traces["delivered"] == first, "the second test's account, final at stop"
    assert data["sink"]["traces_complete"] == traces["delivered"], "the sink was reset when the test restarted"


def _start_web(tmp_path: Path, port: int) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "locust.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            LOCUSTFILE,
            "--web-host",
            "127.0.0.1",
            "--web-port",
            str(port),
            "--otel-pace",
            "0.2",
            "--otel-summary",
            "summary.json",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=open(log, "w"),  # noqa: SIM115
        start_new_session=True,
    )
    return proc, log


def _traces(base: str) -> int:
    """Traces generated in the current test, from the Traces tab's Total row."""
    import json
    import urllib.request

    body = json.loads(urllib.request.urlopen(f"{base}/stats/requests", timeout=5).read())
    rows = next(t["data"] for t in body.get("extended_stats", []) if t["key"] == "otel_traces")
    return int(next(r["generated"] for r in rows if r["scenario"] == "Total"))
