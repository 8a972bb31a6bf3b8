"""Distributed runs for real: a master and two worker processes on 127.0.0.1, and --processes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .backends import free_port
from .helpers import LOCUSTFILE, run_locust, start_worker, summary, worker_errors

pytestmark = pytest.mark.e2e


def _check_account(data: dict) -> None:
    traces, spans, sink = data["total"]["traces"], data["total"]["spans"], data["sink"]
    assert traces["generated"] == traces["delivered"] > 30 and traces["failed"] == traces["dropped"] == 0
    assert sink["traces_complete"] == sink["traces_received"] == traces["delivered"]
    assert sink["spans_received"] == spans["delivered"] and sink["orphan_spans"] == 0


def test_master_and_two_workers_sum_to_what_the_sink_received(tmp_path):
    port = free_port()
    workers = [start_worker(port, tmp_path) for _ in range(2)]
    try:
        result = run_locust(
            [
                "--master",
                "--otel-sink-port",  # not the default 4318: another suite may run beside this one
                str(free_port()),
                "--master-bind-host",
                "127.0.0.1",
                "--master-bind-port",
                str(port),
                "--expect-workers",
                "2",
                "--headless",
                "-u",
                "6",
                "-r",
                "6",
                "-t",
                "8s",
                "--otel-pace",
                "0.2",
                "--otel-mix",
                "simple_query=1,delegated_booking=1",
                "--otel-summary",
                "summary.json",
            ],
            tmp_path,
            timeout=120,
        )
    finally:
        errors = [worker_errors(w) for w in workers]
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "summary.json")
    _check_account(data)
    assert data["workers"] == {"reported": 2, "lost": [], "unknown_traces_estimate": 0}
    assert set(data["scenarios"]) == {"simple_query", "delegated_booking"}, "the master's options reached workers"
    assert all("Traceback" not in e for e in errors)


def test_processes_flag_works_and_accounts_exactly(tmp_path):
    result = run_locust(
        [
            "--processes",
            "2",
            "--otel-sink-port",
            str(free_port()),
            "--headless",
            "-u",
            "6",
            "-r",
            "6",
            "-t",
            "6s",
            "--otel-pace",
            "0.2",
            "--otel-summary",
            "summary.json",
        ],
        tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "summary.json")
    _check_account(data)
    assert data["workers"]["reported"] == 2


def test_a_worker_builds_its_pools_once_and_the_master_none(tmp_path):
    """A worker without a seed of its own builds pools once, for the master's --otel-seed (not first for a random
    seed of its own); one given the master's seed builds them at start and reuses them; the master builds none."""
    port = free_port()
    workers = [start_worker(port, tmp_path, extra=extra) for extra in ((), ("--otel-seed", "7"))]
    try:
        result = run_locust(
            [
                "--master",
                "--otel-sink-port",  # not the default 4318: another suite may run beside this one
                str(free_port()),
                "--master-bind-host",
                "127.0.0.1",
                "--master-bind-port",
                str(port),
                "--expect-workers",
                "2",
                "--headless",
                "-u",
                "4",
                "-r",
                "4",
                "-t",
                "6s",
                "--otel-seed",
                "7",
                "--otel-pace",
                "0.2",
                "--otel-mix",
                "simple_query=1",
                "--otel-summary",
                "summary.json",
            ],
            tmp_path,
            timeout=120,
        )
    finally:
        errors = [worker_errors(w) for w in workers]
    assert result.returncode == 0, result.stderr[-3000:]
    assert summary(tmp_path / "summary.json")["workers"]["reported"] == 2
    assert "payload pools" not in result.stderr, "the master generates nothing and builds no pools"
    for log in errors:
        builds = [line for line in log.splitlines() if "payload pools for seed" in line]
        assert len(builds) == 1 and "seed 7 started" in builds[0], log[-3000:]


def test_losing_a_worker_does_not_stop_the_others_and_the_summary_says_so(tmp_path):
    port = free_port()
    workers = [start_worker(port, tmp_path, subprocess.DEVNULL) for _ in range(2)]
    master = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            LOCUSTFILE,
            "--master",
            "--otel-sink-port",  # not the default 4318: another suite may run beside this one
            str(free_port()),
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--expect-workers",
            "2",
            "--headless",
            "-u",
            "4",
            "-r",
            "4",
            "-t",
            "20s",
            "--otel-pace",
            "0.2",
            "--otel-max-loss",
            "1",
            "--otel-summary",
            "summary.json",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    import time

    time.sleep(11)  # let the test start and run (workers report every 3 s), then lose one without a goodbye
    workers[0].kill()  # whether it had reported yet depends on how fast it started: the asserts allow both
    _, stderr = master.communicate(timeout=120)
    workers[1].wait(timeout=60)
    assert master.returncode == 0, stderr[-2000:]
    data = summary(tmp_path / "summary.json")
    assert len(data["workers"]["lost"]) == 1 and data["workers"]["reported"] in (1, 2)
    assert data["workers"]["unknown_traces_estimate"] >= 0
    traces = data["total"]["traces"]
    assert traces["delivered"] > 20, "the other worker kept going"
    assert data["sink"]["traces_complete"] >= traces["delivered"], "the lost worker's last traces arrived unaccounted"
    assert "went missing" in stderr
